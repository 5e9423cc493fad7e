"""Instagram targets named in words ("export for stories", "导出为快拍").

The vocabulary is the planner's (``skill/data/planner.yaml`` ``targets``), so an edit
and an export understand the same names.
"""

from __future__ import annotations


def named_target(text: str) -> str | None:
    """``reels``, ``stories``, ``feed`` or ``square`` when ``text`` names one, else None."""
    from .engine.plan.rulebase import rx, vocab, words

    for name, items in vocab().raw.get("targets", {}).items():
        if rx(words(list(items))).search(text or ""):
            return str(name)
    return None


__all__ = ["named_target"]
