"""Several formats from one edit: the ``set_formats`` op (registered in :data:`.ops.OPS`)
and :func:`draft_for_format`, the edit re-laid-out for one format's canvas.

``set_formats`` records on the draft (``m.formats``) the Instagram formats an export
writes, one file each (``out-reel.mp4``, ``out-square.mp4``; see :mod:`skill.formats`).
The edit itself keeps its own canvas; each file is the same edit reframed for its
format: the canvas and the Instagram target change (so titles and captions keep to
that format's safe zones, as the renderer lays text out per canvas), the crop follows
the subject as it would for a reframe, and a text placed at an explicit height moves
with the canvas.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from ...formats import WRITTEN, formats
from .base import Op, SetAspect, obj_schema
from .draftedit import TEXT, Draft, PlanContext


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
        if len(self.formats) > 1:
            draft["m"]["formats"] = list(self.formats)
        else:   # one format is the edit's own canvas: no list to keep
            draft["m"].pop("formats", None)

    def view(self) -> dict[str, Any]:
        table = formats()
        return {"formats": [{"name": n, "ratio": table[n].ratio, "target": table[n].target or "",
                             "w": _size(table[n].ratio)[0], "h": _size(table[n].ratio)[1]}
                            for n in self.formats]}


def _size(ratio: str) -> tuple[int, int]:
    from ...draft import CANVAS

    return CANVAS[ratio]


def draft_formats(draft: Draft) -> tuple[str, ...]:
    """The formats the draft asks to be exported in (``()``: one file, its own canvas)."""
    raw = (draft.get("m") or {}).get("formats") if isinstance(draft, dict) else None
    if not isinstance(raw, list):
        return ()
    return tuple(dict.fromkeys(str(n) for n in raw if str(n) in WRITTEN))


def draft_for_format(draft: Draft, name: str, ctx: PlanContext | None = None) -> Draft:
    """The same edit for the format ``name``: its canvas and target, texts placed at an
    explicit height moved with the canvas, and no format list (it is one file)."""
    fmt = formats()[name]
    before_h = int((draft.get("m") or {}).get("h") or 0)
    out = SetAspect(fmt.ratio, None, fmt.target).apply(copy.deepcopy(draft), ctx or PlanContext())
    out["m"].pop("formats", None)
    after_h = int(out["m"].get("h") or 0)
    if before_h and after_h and before_h != after_h:
        for track in out.get("t") or []:
            if track.get("tt") != TEXT:
                continue
            for seg in track.get("sg") or []:
                meta = seg.get("m") or {}
                if isinstance(meta.get("y"), int | float) and not isinstance(meta.get("y"), bool):
                    meta["y"] = round(meta["y"] * after_h / before_h)
    return out


__all__ = ["SetFormats", "draft_for_format", "draft_formats"]
