"""Several formats from one edit: the ``set_formats`` op (registered in :data:`.ops.OPS`)
and :func:`draft_for_format`, the edit re-laid-out for one format's canvas.

``set_formats`` records on the draft (:attr:`Draft.formats <skill.draft.Draft.formats>`,
on the wire ``m.formats``) the Instagram formats an export
writes, one file each (``out-reel.mp4``, ``out-square.mp4``; see :mod:`skill.formats`).
The edit itself keeps its own canvas; each file is the same edit reframed for its
format: the canvas and the Instagram target change (so titles and captions keep to
that format's safe zones, as the renderer lays text out per canvas), the crop follows
the subject as it would for a reframe, and a text placed at an explicit height moves
with the canvas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...draft import CANVAS, TEXT, Draft
from ...formats import WRITTEN, formats
from .base import Op, SetAspect, obj_schema
from .draftedit import PlanContext


@dataclass(frozen=True)
class SetFormats(Op):
    formats: tuple[str, ...] = ()

    tool = "set_formats"
    summary = ("Export the same edit in several Instagram formats, one file each (reel 9:16, "
               "story 9:16, square 1:1, 4x5 feed, landscape 16:9), each re-laid-out for its "
               "canvas; an empty list goes back to one file in the edit's own format.")
    schema = obj_schema({"formats": {"type": "array", "maxItems": len(WRITTEN),
                                     "items": {"type": "string", "enum": list(WRITTEN)}}},
                        "formats")

    def __post_init__(self) -> None:   # a list from JSON works as well as a tuple
        object.__setattr__(self, "formats", tuple(dict.fromkeys(self.formats)))

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        # one format is the edit's own canvas: no list to keep
        draft.formats = list(self.formats) if len(self.formats) > 1 else None

    def view(self) -> dict[str, Any]:
        table = formats()
        return {"formats": [{"name": n, "ratio": table[n].ratio, "target": table[n].target or "",
                             "w": CANVAS[table[n].ratio][0], "h": CANVAS[table[n].ratio][1]}
                            for n in self.formats]}


def draft_formats(draft: Draft) -> tuple[str, ...]:
    """The formats the draft asks to be exported in (``()``: one file, its own canvas)."""
    return tuple(dict.fromkeys(n for n in draft.formats or () if n in WRITTEN))


def draft_for_format(draft: Draft, name: str, ctx: PlanContext | None = None) -> Draft:
    """The same edit for the format ``name``: its canvas and target, texts placed at an
    explicit height moved with the canvas, and no format list (it is one file)."""
    fmt = formats()[name]
    before_h = int(draft.height or 0)
    out = SetAspect(fmt.ratio, None, fmt.target).apply(draft, ctx or PlanContext())
    out.formats = None
    after_h = int(out.height or 0)
    if before_h and after_h and before_h != after_h:
        for seg in (s for t in out.tracks if t.type == TEXT for s in t.segments):
            if seg.y is not None:
                seg.y = round(seg.y * after_h / before_h)
    return out


__all__ = ["SetFormats", "draft_for_format", "draft_formats"]
