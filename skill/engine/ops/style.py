"""Text style op: style_text — size, position and colour of titles and captions
(registered in :data:`.ops.OPS`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...draft import CANVAS, HIGH_FPS_MIN, TEXT, Draft
from ...errors import InputError
from .base import POSITION_ARG, Op, obj_schema
from .draftedit import PlanContext, video_segments

#: colour names a title or caption may have (``Segment.color``) → RGB hex
COLORS: dict[str, str] = {
    "white": "FFFFFF", "black": "000000", "yellow": "FFE14D", "red": "FF3B30",
    "orange": "FF9500", "pink": "FF6FB5", "purple": "AF52DE", "blue": "2F80FF",
    "green": "34C759", "gold": "FFC83D",
}


def default_size(role: str, width: int, height: int) -> int:
    """A title's or caption's font size in canvas pixels when none was set."""
    base = min(width, height)
    return int(round(base * (0.085 if role == "title" else 0.052)))


MIN_PX, MAX_FRACTION = 16, 0.25
_ROLES = {"title": ("title",), "captions": ("caption",), "all": ("title", "caption")}


@dataclass(frozen=True)
class StyleText(Op):
    what: str = "all"
    scale_pct: int | None = None
    position: str | None = None
    color: str | None = None

    tool = "style_text"
    summary = ("Restyle the title, the captions or all text: scale_pct resizes (130 = 30 % "
               "bigger, 75 = smaller), position top/center/bottom (kept inside the Reels and "
               "Stories safe zones), color by name.")
    schema = obj_schema({"what": {"type": "string", "enum": list(_ROLES)},
                         "scale_pct": {"type": "integer", "minimum": 25, "maximum": 400},
                         "position": POSITION_ARG,
                         "color": {"type": "string", "enum": list(COLORS)}})

    def validate(self) -> None:
        if self.scale_pct is None and self.position is None and self.color is None:
            raise InputError("style_text needs a change", key="plan_bad_call",
                             field="style_text", problem="needs scale_pct, position or color")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        default_w, default_h = CANVAS["9:16"]   # a draft without a canvas is a Reel
        w, h = int(draft.width or default_w), int(draft.height or default_h)
        roles = _ROLES[self.what]
        found = False
        for track in draft.tracks:
            if track.type != TEXT or track.role not in roles:
                continue
            for seg in track.segments:
                found = True
                if self.scale_pct is not None:
                    size = seg.size or default_size(str(track.role), w, h)
                    seg.size = max(MIN_PX, min(round(h * MAX_FRACTION),
                                               round(size * self.scale_pct / 100)))
                if self.position is not None:
                    seg.position, seg.y = self.position, None
                if self.color is not None:
                    seg.color = self.color
        if not found:
            raise InputError(f"no {self.what} to restyle", key="plan_style_nothing",
                             what=self.what)

    def view(self) -> dict[str, Any]:
        return self.args()


def source_rates(draft: Draft, ctx: PlanContext) -> list[tuple[str, float]]:
    """(name, frame rate) of each video clip on the timeline (photos have none)."""
    out: list[tuple[str, float]] = []
    for seg in video_segments(draft):
        if seg.kind == "image":
            continue
        item = next((m for m in ctx.media if m.id == seg.media), None)
        out.append((seg.name or "", item.fps if item else 0.0))
    return out


@dataclass(frozen=True)
class SetFps(Op):
    fps: int

    tool = "set_fps"
    summary = ("Output frame rate: 30 (Instagram's safe default) or 60. 60 only when every "
               "video clip on the timeline was shot at 60 fps; otherwise the edit is refused "
               "and the video stays 30 fps.")
    schema = obj_schema({"fps": {"type": "integer", "enum": [30, 60]}}, "fps")

    def validate(self) -> None:
        if self.fps not in (30, 60):
            raise InputError("fps must be 30 or 60", key="plan_bad_call", field="fps",
                             problem="must be 30 or 60")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        if self.fps == 60:
            rates = source_rates(draft, ctx)
            slow = [(name, fps) for name, fps in rates if fps < HIGH_FPS_MIN]
            if not rates or slow:
                found = slow[0][1] if slow else 0.0
                raise InputError("the source is not 60 fps", key="plan_fps_source",
                                 found=f"{found:.3g}" if found else "", fps=self.fps,
                                 file=slow[0][0] if slow and len(rates) > 1 else "",
                                 clips=len(rates))
        draft.fps = self.fps


__all__ = ["COLORS", "HIGH_FPS_MIN", "SetFps", "StyleText", "source_rates"]
