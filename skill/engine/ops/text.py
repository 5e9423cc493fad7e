"""Text ops: add_title, add_captions, captions_from_file (registered in :data:`.ops.OPS`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...draft import TEXT, Draft, Segment
from ...errors import InputError
from .base import MAX_TEXT, MS_ARG, POSITION_ARG, Op, need_video, obj_schema, secs
from .draftedit import (
    DEFAULT_TITLE_MS,
    PlanContext,
    ensure_track,
    remove_track,
    set_caption_cues,
)


def _clear_span(segments: list[Segment], start: int, end: int) -> list[Segment]:
    return [s for s in segments if s.start_ms >= end or s.end_ms <= start]


@dataclass(frozen=True)
class AddTitle(Op):
    text: str
    start_ms: int = 0
    end_ms: int | None = None
    position: str = "center"

    tool = "add_title"
    summary = ("Show a title (the user's exact text) from start_ms to end_ms (default: the first "
               "3 seconds) at the top, center or bottom. Replaces a title at the same time.")
    schema = obj_schema({"text": {"type": "string", "maxLength": MAX_TEXT}, "start_ms": MS_ARG,
                   "end_ms": MS_ARG, "position": POSITION_ARG}, "text")

    def validate(self) -> None:
        if not self.text.strip():
            raise InputError("empty title", key="plan_bad_call", field="text", problem="is empty")

    def span(self, total: int) -> tuple[int, int]:
        end = self.end_ms if self.end_ms is not None else self.start_ms + DEFAULT_TITLE_MS
        return self.start_ms, min(end, total)

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        total = need_video(draft)
        start, end = self.span(total)
        if end - start < 100:
            raise InputError("title outside the video", key="plan_time_outside",
                             start=secs(start), total=secs(total))
        tt = ensure_track(draft, TEXT, "title", "Title")
        tt.segments = _clear_span(tt.segments, start, end)
        tt.segments.append(Segment(start, end - start, text=self.text, position=self.position))
        tt.segments.sort(key=lambda s: s.start_ms)

    def view(self) -> dict[str, Any]:
        end = self.end_ms if self.end_ms is not None else self.start_ms + DEFAULT_TITLE_MS
        return {**self.args(), "start_s": secs(self.start_ms), "end_s": secs(end)}


@dataclass(frozen=True)
class AddCaptions(Op):
    lines: tuple[str, ...]
    start_ms: int | None = None
    end_ms: int | None = None
    position: str = "bottom"

    tool = "add_captions"
    summary = ("Caption lines (the user's exact words), shown one after another and spread "
               "evenly between start_ms and end_ms. Without times they cover the whole video "
               "and replace existing captions; with times they are added there.")
    schema = obj_schema({"lines": {"type": "array", "minItems": 1, "maxItems": 200,
                             "items": {"type": "string", "maxLength": MAX_TEXT}},
                   "start_ms": MS_ARG, "end_ms": MS_ARG, "position": POSITION_ARG}, "lines")

    def validate(self) -> None:
        if not any(line.strip() for line in self.lines):
            raise InputError("empty captions", key="plan_bad_call", field="lines",
                             problem="are empty")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        total = need_video(draft)
        lines = [ln.strip() for ln in self.lines if ln.strip()]
        start = min(self.start_ms or 0, total)
        end = total if self.end_ms is None else min(self.end_ms, total)
        if end - start < 100:
            raise InputError("captions outside the video", key="plan_time_outside",
                             start=secs(start), total=secs(total))
        if self.start_ms is None and self.end_ms is None:
            remove_track(draft, TEXT, "caption")
        ct = ensure_track(draft, TEXT, "caption", "Captions")
        ct.segments = _clear_span(ct.segments, start, end)
        step = (end - start) / len(lines)
        for i, line in enumerate(lines):
            s = start + round(i * step)
            e = start + round((i + 1) * step)
            ct.segments.append(Segment(s, e - s, text=line, position=self.position))
        ct.segments.sort(key=lambda s: s.start_ms)

    def view(self) -> dict[str, Any]:
        return {**self.args(), "count": len(self.lines), "timed": self.start_ms is not None
                or self.end_ms is not None, "start_s": secs(self.start_ms),
                "end_s": secs(self.end_ms)}


@dataclass(frozen=True)
class CaptionsFromFile(Op):
    file: str

    tool = "captions_from_file"
    summary = "Use an uploaded .srt or .vtt file (by name) as the captions, one per cue."
    schema = obj_schema({"file": {"type": "string", "maxLength": 300}}, "file")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        item = ctx.find(self.file, ("caption",))
        if item is None:
            raise InputError(f"no uploaded caption file named {self.file}",
                             key="plan_captions_missing", file=self.file)
        set_caption_cues(draft, item)
