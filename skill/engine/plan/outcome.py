"""Done vs not done: what an edit turn applied, and the exact words it did not do, and why.

Pure (no I/O). :func:`settle_plan` walks the planned ops over the draft as it changes:

* an op whose times fall past the end is clamped to the clip and a note says what was
  kept ("the clip is only 15 s, so I kept 5–15 s");
* an op that cannot apply at all (a title at 0:20 on a 15 s clip, music that was never
  uploaded) is left out and becomes a :class:`NotDone` with the reason in words;
* words nobody understood become :class:`NotDone` too, each with a reason from the
  table in ``skill/data/notdone.yaml`` ("needs speech analysis", "Instagram's limit is
  1080p", "not supported by the local engine") or ``unclear``.

The cloud is named as an option only when ``cloud_option`` says a cloud backend is
configured and reachable *and* the table says the cloud offers that kind of edit.

:func:`outcome_data` is the structured form hosts read (``--json`` kind ``not_done``,
MCP structured content): ``{"done": [str], "not_done": [{"text", "reason", "why",
"cloud"}], "notes": [str]}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from ...draft import MIN_TEXT_MS, Draft
from ...errors import SkillError
from ...templates import render
from ..ops import AddCaptions, AddTitle, CutEnds, CutRange, Op, SetCover, Trim, secs
from ..ops.draftedit import PlanContext, total_ms, video_segments

DATA = Path(__file__).resolve().parents[2] / "data" / "notdone.yaml"
#: the state-delta key that carries a turn's outcome next to the draft (ADK clients
#: that do not know it ignore it)
DELTA_KEY = "igedit_outcome"


@dataclass(frozen=True)
class NotDone:
    """A part of the request that was not done: the user's words and why."""

    text: str
    reason: str                  # unclear | needs_speech | above_1080 | generative | effects
    #                              | clip_short | failed | no_media
    why: str = ""                # the reason in the reply language
    cloud: bool = False          # the cloud backend can do it and is reachable

    def data(self) -> dict[str, Any]:
        return {"text": self.text, "reason": self.reason, "why": self.why, "cloud": self.cloud}


@dataclass(frozen=True)
class Settled:
    """The ops that will apply, and everything else the reply must say."""

    ops: tuple[Op, ...]
    not_done: tuple[NotDone, ...] = ()
    notes: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def _table() -> list[tuple[str, bool, re.Pattern[str]]]:
    import yaml

    raw = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    return [(str(row["reason"]), bool(row.get("cloud")),
             re.compile("|".join(f"(?:{w})" for w in row["words"]), re.IGNORECASE))
            for row in raw["kinds"]]


def classify(words: str) -> tuple[str, bool]:
    """(reason, cloud offers it) for words nobody understood."""
    for reason, cloud, pattern in _table():
        if pattern.search(words):
            return reason, cloud
    return "unclear", False


def not_understood(words: str, lang: str, *, cloud_option: bool = False) -> NotDone:
    reason, cloud = classify(words)
    return NotDone(words, reason, render(f"notdone_{reason}", lang, text=words),
                   cloud and cloud_option)


def _clamp(op: Op, total: int, stills: bool = False) -> tuple[Op | None, str]:
    """``op`` fitted to a timeline of ``total`` ms: (op or None when nothing is left,
    the part the user asked for beyond the end, as a template key or ""). With photos on
    the timeline (``stills``) a longer trim is a length: the photos are held longer."""
    if isinstance(op, Trim):
        if op.start_ms >= total - MIN_TEXT_MS:
            return None, ""
        if op.end_ms is not None and op.end_ms > total and not (stills and op.start_ms == 0):
            return replace(op, end_ms=total), "notdone_note_clamped"
    elif isinstance(op, CutRange):
        if op.start_ms >= total:
            return None, ""
        if op.end_ms > total:
            return replace(op, end_ms=total), "notdone_note_clamped"
    elif isinstance(op, CutEnds):
        if op.head_ms + op.tail_ms >= total - MIN_TEXT_MS:
            return None, ""
    elif isinstance(op, AddTitle | AddCaptions):
        start = op.start_ms or 0
        if start >= total - MIN_TEXT_MS:
            return None, ""
        if op.end_ms is not None and op.end_ms > total:
            return replace(op, end_ms=total), "notdone_note_clamped"
    elif isinstance(op, SetCover) and op.at_ms >= total:
        return None, ""
    return op, ""


def asked(op: Op, lang: str) -> str:
    """A short phrase for what an op asked ("keep 20–30 s"), for a not-done line."""
    view = {k: secs(v) if k.endswith("_ms") and isinstance(v, int) else v
            for k, v in op.args().items()}
    return render("notdone_asked", lang, tool=op.tool, **view)


def settle_plan(ops: tuple[Op, ...], unknown: tuple[str, ...], draft: Draft, ctx: PlanContext,
                *, cloud_option: bool = False) -> Settled:
    """Fit ``ops`` to the draft as it changes op by op (see the module docstring)."""
    lang = ctx.lang
    kept: list[Op] = []
    missing: list[NotDone] = [not_understood(w, lang, cloud_option=cloud_option)
                              for w in unknown]
    notes: list[str] = []
    current = draft.copy()
    for op in ops:
        total = total_ms(current)
        stills = any(seg.kind == "image" for seg in video_segments(current))
        fitted, note = _clamp(op, total, stills) if total > 0 else (op, "")
        if fitted is None:
            missing.append(NotDone(asked(op, lang), "clip_short",
                                   render("notdone_clip_short", lang, total=secs(total))))
            continue
        try:
            current = fitted.apply(current, ctx)
        except SkillError as exc:
            # the reason is a clause of the "Not done: … — <why>." line: no sentence end
            why = render(exc.key, lang, **exc.ctx).strip().rstrip(".。")
            missing.append(NotDone(asked(op, lang), "failed", why))
            continue
        if note:
            notes.append(render(note, lang, total=secs(total), asked=asked(op, lang)))
        kept.append(fitted)
    return Settled(tuple(kept), tuple(missing), tuple(dict.fromkeys(notes)))


def describe(settled: Settled, lang: str, extra_notes: tuple[str, ...] = ()) -> str:
    """The reply: what was done, then each not-done part with its reason, then notes."""
    return render("plan_reply", lang, applied=[op.describe(lang) for op in settled.ops],
                  not_done=[n.data() for n in settled.not_done], unknown=[],
                  notes=list(settled.notes) + list(extra_notes))


def outcome_data(settled: Settled, lang: str) -> dict[str, Any]:
    """The structured outcome hosts read (see the module docstring)."""
    return {"done": [op.describe(lang) for op in settled.ops],
            "not_done": [n.data() for n in settled.not_done],
            "notes": list(settled.notes)}


__all__ = ["DELTA_KEY", "NotDone", "Settled", "asked", "classify", "describe",
           "not_understood", "outcome_data", "settle_plan"]
