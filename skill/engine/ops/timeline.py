"""Timeline ops: trim, cut_ends, cut_range, set_speed, join (registered in :data:`.ops.OPS`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...draft import MAX_SPEED, MIN_SPEED, VIDEO, Draft
from ...errors import InputError
from .base import MS_ARG, Op, need_video, obj_schema, secs
from .draftedit import (
    PlanContext,
    Seg,
    cut_map,
    keep_map,
    repack,
    retime,
    seg_in,
    seg_speed,
    segment_map,
    total_ms,
    track,
    video_segments,
)


def _keep(draft: Draft, spans: list[tuple[int, int]], mapping: Callable[[int], int]) -> None:
    """Keep the timeline spans [a, b) (in order) across all clips, splitting clips as
    needed; text and the cover move with ``mapping``."""
    pieces: list[Seg] = []
    for seg in video_segments(draft):
        s, d = seg.start_ms, seg.dur_ms
        for start, end in spans:
            lo, hi = max(s, start), min(s + d, end)
            if hi - lo <= 0:
                continue
            new = seg.copy()
            new.dur_ms = hi - lo
            if new.kind != "image":
                new.in_ms = seg_in(seg) + round((lo - s) * seg_speed(seg))
            pieces.append(new)
    vt = track(draft, VIDEO)
    assert vt is not None
    vt.segments = pieces
    repack(draft)
    retime(draft, mapping)


def _stretch_stills(draft: Draft, want_ms: int) -> None:
    """Photos have no length of their own: when the timeline is shorter than ``want_ms``
    its stills are lengthened (sharing the difference) so that it lasts ``want_ms``."""
    stills = [s for s in video_segments(draft) if s.kind == "image"]
    extra = want_ms - total_ms(draft)
    if extra <= 0 or not stills:
        return
    each, rest = divmod(extra, len(stills))
    for i, seg in enumerate(stills):
        seg.dur_ms += each + (1 if i < rest else 0)
    repack(draft)


def _empty(start: int, end: int, total: int) -> InputError:
    return InputError("nothing left after the trim", key="plan_trim_empty",
                      start=secs(start), end=secs(end), total=secs(total))


@dataclass(frozen=True)
class Trim(Op):
    start_ms: int = 0
    end_ms: int | None = None

    tool = "trim"
    summary = ("Keep only the part of the timeline from start_ms to end_ms (omit end_ms for "
               "'to the end'); spans all joined clips.")
    schema = obj_schema({"start_ms": MS_ARG, "end_ms": MS_ARG})

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        need_video(draft)
        if self.end_ms is not None:   # "8 seconds long" from a photo: the photo lasts 8 s
            _stretch_stills(draft, self.end_ms)
        total = total_ms(draft)
        end = total if self.end_ms is None else min(self.end_ms, total)
        if end - self.start_ms < 100:
            raise _empty(self.start_ms, self.end_ms or total, total)
        _keep(draft, [(self.start_ms, end)], keep_map(self.start_ms, end))

    def view(self) -> dict[str, Any]:
        return {**self.args(), "start_s": secs(self.start_ms), "end_s": secs(self.end_ms)}


@dataclass(frozen=True)
class CutEnds(Op):
    head_ms: int = 0
    tail_ms: int = 0

    tool = "cut_ends"
    summary = "Cut head_ms off the start and/or tail_ms off the end of the timeline."
    schema = obj_schema({"head_ms": MS_ARG, "tail_ms": MS_ARG})

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        total = need_video(draft)
        if total - self.head_ms - self.tail_ms < 100:
            raise _empty(self.head_ms, total - self.tail_ms, total)
        start, end = self.head_ms, total - self.tail_ms
        _keep(draft, [(start, end)], keep_map(start, end))

    def view(self) -> dict[str, Any]:
        return {**self.args(), "head_s": secs(self.head_ms), "tail_s": secs(self.tail_ms)}


@dataclass(frozen=True)
class CutRange(Op):
    start_ms: int
    end_ms: int

    tool = "cut_range"
    summary = "Remove the part of the timeline from start_ms to end_ms and close the gap."
    schema = obj_schema({"start_ms": MS_ARG, "end_ms": MS_ARG}, "start_ms", "end_ms")

    def validate(self) -> None:
        if self.end_ms <= self.start_ms:
            raise InputError("end before start", key="plan_bad_call", field="end_ms",
                             problem="must be after start_ms")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        total = need_video(draft)
        start, end = min(self.start_ms, total), min(self.end_ms, total)
        if total - (end - start) < 100:
            raise _empty(start, end, total)
        _keep(draft, [(0, start), (end, total)], cut_map(start, end))

    def view(self) -> dict[str, Any]:
        return {**self.args(), "start_s": secs(self.start_ms), "end_s": secs(self.end_ms)}


@dataclass(frozen=True)
class SetSpeed(Op):
    factor: float

    tool = "set_speed"
    summary = ("Playback speed of all video clips: 2 = twice as fast, 0.5 = slow motion. "
               "The engine supports 0.25 to 4 and clamps other values.")
    schema = obj_schema({"factor": {"type": "number", "minimum": 0.01, "maximum": 100}}, "factor")

    @property
    def applied(self) -> float:
        return max(MIN_SPEED, min(MAX_SPEED, self.factor))

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        need_video(draft)
        before = [s.copy() for s in video_segments(draft)]
        vt = track(draft, VIDEO)
        assert vt is not None
        for seg in vt.segments:
            if seg.kind == "image":
                continue
            span = seg.dur_ms * seg_speed(seg)          # source time used stays the same
            seg.dur_ms = max(1, round(span / self.applied))
            seg.speed = self.applied
        repack(draft)
        retime(draft, segment_map(before, vt.segments, list(range(len(before)))))

    def view(self) -> dict[str, Any]:
        fmt = f"{self.applied:g}"
        return {"factor": fmt, "requested": f"{self.factor:g}",
                "clamped": self.applied != self.factor}


@dataclass(frozen=True)
class Join(Op):
    order: str = "upload"

    tool = "join"
    summary = "Join all uploaded clips one after another, in upload order or reversed."
    schema = obj_schema({"order": {"type": "string", "enum": ["upload", "reverse"]}})

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        need_video(draft)
        before = [s.copy() for s in video_segments(draft)]
        rank = {item.id: i for i, item in enumerate(ctx.media)}
        order = sorted(range(len(before)),
                       key=lambda i: (rank.get(before[i].media or "", len(rank)), i))
        if self.order == "reverse":
            order.reverse()
        vt = track(draft, VIDEO)
        assert vt is not None
        vt.segments = [before[i].copy() for i in order]
        pairs: list[int | None] = [order.index(i) for i in range(len(before))]
        repack(draft)
        retime(draft, segment_map(before, vt.segments, pairs), reordered=True)
