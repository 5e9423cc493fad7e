"""Ops that see the footage: subject-aware reframe on/off, transitions, highlights,
cuts on the beat, removing a scene (registered in :data:`.ops.OPS` when imported).

Highlights, scenes and beats read each clip's analysis (:mod:`.vision.analysis`): the
cached one made at upload, else one made now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...draft import AUDIO, Draft, Segment, Transition
from ...errors import InputError
from .base import Op, need_video, obj_schema, secs
from .draftedit import (
    PlanContext,
    cut_map,
    keep_map,
    repack,
    retime,
    seg_in,
    seg_speed,
    track,
    video_segments,
)
from .timeline import _keep

if TYPE_CHECKING:
    from ..vision.analysis import Analysis

Analyser = Callable[[Path], "Analysis | None"]

TRANSITIONS = ("crossfade", "black", "white", "wipe", "slide", "zoom")
DEFAULT_TRANSITION_MS = 400


def _analyser() -> Analyser:
    from ..vision.reframe import default_analyser

    return default_analyser


def scenes_of(draft: Draft, analyser: Analyser | None = None) -> list[tuple[int, int]]:
    """(start_ms, end_ms) of each scene on the draft's timeline."""
    from ..vision.highlight import timeline_scenes

    return [(s.start_ms, s.end_ms) for s in
            timeline_scenes(video_segments(draft), analyser or _analyser())]


def _spans_map(spans: list[tuple[int, int]]) -> Callable[[int], int]:
    """Time map for keeping only ``spans`` (in order) of the timeline."""
    def mapping(t: int) -> int:
        done = 0
        for a, b in spans:
            if t < a:
                return done
            if t < b:
                return done + t - a
            done += b - a
        return done
    return mapping


@dataclass(frozen=True)
class SetReframe(Op):
    mode: str

    tool = "set_reframe"
    summary = ("How a crop to a narrower canvas chooses what to keep: subject (the default: "
               "the crop follows faces or the main moving subject with a calm, AutoFlip-like "
               "camera) or center (a fixed centre crop).")
    schema = obj_schema({"mode": {"type": "string", "enum": ["subject", "center"]}}, "mode")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        draft.reframe = self.mode
        if self.mode == "subject":
            draft.fit = "crop"


@dataclass(frozen=True)
class AddTransitions(Op):
    style: str = "crossfade"
    ms: int = DEFAULT_TRANSITION_MS

    tool = "add_transitions"
    summary = ("Transitions between clips and at cuts: crossfade (dissolve), black or white "
               "(fade through), wipe, slide or zoom; ms is each transition's length (default "
               "400). The sound crossfades with the picture; titles and captions are not "
               "affected. style=none removes them.")
    schema = obj_schema({"style": {"type": "string", "enum": [*TRANSITIONS, "none"]},
                         "ms": {"type": "integer", "minimum": 100, "maximum": 2000}})

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        draft.transition = None if self.style == "none" else Transition(self.style, self.ms)

    def view(self) -> dict[str, Any]:
        return {**self.args(), "secs": secs(self.ms)}


@dataclass(frozen=True)
class MakeHighlight(Op):
    seconds: int

    tool = "make_highlight"
    summary = ("Cut the video down to a highlight (trailer) of about this many seconds: the "
               "liveliest moments of several scenes (visual activity and loudness), within "
               "half a second of the length, in story order; with a transcript, never "
               "cut mid-word (sentence boundaries preferred).")
    schema = obj_schema({"seconds": {"type": "integer", "minimum": 3, "maximum": 600}},
                        "seconds")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        from ..vision.highlight import pick_highlight, timeline_scenes

        total = need_video(draft)
        target = self.seconds * 1000
        if target >= total:
            raise InputError("the video is already that short", key="plan_highlight_short",
                             seconds=self.seconds, total=secs(total))
        scenes = timeline_scenes(video_segments(draft), _analyser())
        spans = pick_highlight(scenes, target, spoken(draft))
        _keep(draft, spans, _spans_map(spans))


def spoken(draft: Draft) -> list[tuple[int, int, bool]]:
    """The words said on the timeline, (start_ms, end_ms, ends a sentence), from the
    clips' transcripts where they exist (cached: a highlight never waits for a
    transcription); [] without any."""
    from ...store import default_home
    from ..speech.analysis import Analysis as Speech
    from ..speech.analysis import ends_sentence
    from ..speech.store import cached
    from ..speech.timeline import timeline_words

    found: dict[str, Speech] = {}
    segs = video_segments(draft)
    for seg in segs:
        src = seg.src or ""
        if seg.kind in (None, "video") and src and src not in found and Path(src).is_file():
            a = cached(Path(src), default_home())
            if a is not None:
                found[src] = a
    words = timeline_words(segs, found) if found else []
    return [(w.start_ms, w.end_ms, i + 1 == len(words) or ends_sentence(words, i))
            for i, w in enumerate(words)]


@dataclass(frozen=True)
class CutToBeat(Op):
    tool = "cut_to_beat"
    summary = ("Move the cuts between clips (and the end) onto beats of the background music: "
               "the built-in music's own beat grid, or beats tracked in an uploaded song.")
    schema = obj_schema({})

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        from ..vision.beats import snap_cuts

        total = need_video(draft)
        beats = music_beats(draft, total)
        if not beats:
            raise InputError("no music with a beat to cut to", key="plan_no_beat")
        segs = video_segments(draft)
        bounds = [0]
        for seg in segs:
            bounds.append(bounds[-1] + seg.dur_ms)
        room = [_room(seg) for seg in segs]
        new = snap_cuts(bounds, beats, room=room)
        before = [(s.start_ms, s.dur_ms) for s in segs]
        for seg, a, b in zip(segs, new, new[1:], strict=False):
            seg.dur_ms = b - a
        repack(draft)

        def mapping(t: int) -> int:
            for (s, d), a in zip(before, new, strict=False):
                if t < s + d:
                    return a + min(t - s, d)
            return new[-1]

        retime(draft, mapping)


def _room(seg: Segment) -> int:
    """Timeline ms of footage left after a segment's out point (endless for stills)."""
    if seg.kind == "image":
        return 10 ** 9
    found = _analyser()(Path(seg.src or ""))
    dur = int(found.duration * 1000) if found else 0
    used = seg_in(seg) + seg.dur_ms * seg_speed(seg)
    return max(0, int((float(dur) - used) / seg_speed(seg)))


def music_beats(draft: Draft, total: int) -> list[int]:
    """Beat times (timeline ms) of the draft's background music, or []."""
    from ..render.music import MOOD_TABLE
    from ..vision.beats import grid, track_beats

    bgm = track(draft, AUDIO, "bgm")
    if bgm is None or not bgm.segments:
        return []
    seg = bgm.segments[0]
    start = seg.start_ms
    mood = (seg.mood or "").lower()
    if mood in MOOD_TABLE:
        return grid(MOOD_TABLE[mood].bpm, start, total)
    src = Path(seg.src or "")
    if not src.is_file():
        return []
    from ..vision.analysis import read_pcm

    rate = 11025
    _, found = track_beats(read_pcm(src, rate), rate)
    return [start + round(b * 1000) for b in found if start + b * 1000 <= total]


@dataclass(frozen=True)
class _OneScene(Op):
    """An op on one scene (a shot between two cuts, found by scene detection), named by
    its number: 1 is the first scene, -1 the last."""

    index: int

    schema = obj_schema({"index": {"type": "integer", "minimum": -1, "maximum": 999}}, "index")

    def validate(self) -> None:
        if self.index == 0:
            raise InputError("scene 0", key="plan_bad_call", field="index",
                             problem="scenes count from 1 (-1 is the last)")

    def span(self, draft: Draft) -> tuple[int, int]:
        """The scene's timeline span; ``plan_no_scene`` when there is none."""
        scenes = scenes_of(draft)
        pos = self.index - 1 if self.index > 0 else len(scenes) + self.index
        if not 0 <= pos < len(scenes):
            raise InputError(f"there is no scene {self.index}", key="plan_no_scene",
                             index=self.index, count=len(scenes))
        return scenes[pos]


@dataclass(frozen=True)
class RemoveScene(_OneScene):
    tool = "remove_scene"
    summary = ("Remove one scene (a shot between two cuts, found by scene detection) from "
               "the timeline: index 1 is the first scene, -1 the last.")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        total = need_video(draft)
        a, b = self.span(draft)
        if len(scenes_of(draft)) == 1:
            raise InputError("the only scene", key="plan_trim_empty", start="0",
                             end=secs(total), total=secs(total))
        _keep(draft, [(0, a), (b, total)], cut_map(a, b))


@dataclass(frozen=True)
class KeepScene(_OneScene):
    tool = "keep_scene"
    summary = ("Keep only one scene (a shot between two cuts, found by scene detection) and "
               "cut everything else: index 1 is the first scene, -1 the last.")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        need_video(draft)
        a, b = self.span(draft)
        _keep(draft, [(a, b)], keep_map(a, b))
