"""Sound ops: add_music, set_music, set_original_audio, remove_track (registered in :data:`.ops.OPS`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...draft import AUDIO, TEXT, Draft, Segment
from ...errors import InputError
from .base import FADE_ARG, MOODS, MS_ARG, PCT_ARG, Op, need_video, obj_schema, secs
from .draftedit import (
    DEFAULT_MUSIC_VOLUME,
    MIN_MUSIC_MS,
    MUSIC_SETTINGS,
    PlanContext,
    ensure_track,
    keep_settings,
    music_segment,
    remove_track,
    total_ms,
    track,
    video_segments,
)


def _music_settings(seg: Segment, volume_pct: int | None, fade_in_ms: int | None,
                    fade_out_ms: int | None, duck: bool | None) -> None:
    if volume_pct is not None:
        seg.volume = volume_pct / 100
    if fade_in_ms is not None:
        seg.fade_in = fade_in_ms
    if fade_out_ms is not None:
        seg.fade_out = fade_out_ms
    if duck is not None:
        seg.duck = duck


def _put_music(draft: Draft, seg: Segment) -> Segment:
    """The music track with the one segment ``seg``; it comes in where the previous music
    did (:func:`_music_start` moves it) and runs to the end (``settle`` keeps it so)."""
    old = track(draft, AUDIO, "bgm")
    start_ms = old.segments[0].start_ms if old and old.segments else 0
    remove_track(draft, AUDIO, "bgm")
    bgm = ensure_track(draft, AUDIO, "bgm", seg.name if seg.name is not None else "Music")
    seg.start_ms, seg.dur_ms = start_ms, max(0, total_ms(draft) - start_ms)
    bgm.segments = [seg]
    return seg


def _music_start(draft: Draft, start_ms: int | None) -> None:
    if start_ms is None:
        return
    total = total_ms(draft)
    if start_ms > total - MIN_MUSIC_MS:
        raise InputError("music starts after the end", key="plan_time_outside",
                         start=secs(start_ms), total=secs(total))
    bgm = track(draft, AUDIO, "bgm")
    if bgm and bgm.segments:
        bgm.segments[0].start_ms, bgm.segments[0].dur_ms = start_ms, total - start_ms


def _mood_segment(mood: str, keep: Segment | None) -> Segment:
    """A built-in mood's music, keeping the volume and fades of the music it replaces."""
    seg = Segment(name=MOODS[mood], mood=mood, volume=DEFAULT_MUSIC_VOLUME, loop=True)
    return keep_settings(seg, keep, MUSIC_SETTINGS)


def _bgm_segment(draft: Draft) -> Segment | None:
    bgm = track(draft, AUDIO, "bgm")
    return bgm.segments[0] if bgm is not None and bgm.segments else None


def _audio_names(ctx: PlanContext) -> str:
    return ", ".join(m.name for m in ctx.media if m.kind == "audio")


@dataclass(frozen=True)
class AddMusic(Op):
    mood: str | None = None
    file: str | None = None
    volume_pct: int | None = None
    fade_in_ms: int | None = None
    fade_out_ms: int | None = None
    duck: bool | None = None
    requested: str | None = None
    start_ms: int | None = None

    tool = "add_music"
    summary = ("Set the background music: a built-in mood track (lofi, chill, upbeat, "
               "cinematic) or an uploaded audio file by name (file). Optional volume in percent, "
               "fades in ms, duck=true lowers it under the original audio, start_ms where it "
               "comes in (default: the start). If the user asks for something with no local "
               "equivalent (e.g. trending music), pick the closest mood and put their words in "
               "requested.")
    schema = obj_schema({"mood": {"type": "string", "enum": list(MOODS)},
                   "file": {"type": "string", "maxLength": 300},
                   "volume_pct": PCT_ARG, "fade_in_ms": FADE_ARG, "fade_out_ms": FADE_ARG,
                   "duck": {"type": "boolean"},
                   "requested": {"type": "string", "maxLength": 100}, "start_ms": MS_ARG})

    def validate(self) -> None:
        if self.mood and self.file:
            raise InputError("choose a mood or a file, not both", key="plan_bad_call",
                             field="add_music", problem="mood and file are exclusive")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        keep = _bgm_segment(draft)
        if self.file:
            item = ctx.find(self.file, ("audio",))
            if item is None:
                raise InputError(f"no uploaded audio named {self.file}", key="plan_music_missing",
                                 file=self.file, names=_audio_names(ctx))
            seg = music_segment(item, 0, keep)
        else:
            seg = _mood_segment(self.mood or "lofi", keep)
        _music_settings(seg, self.volume_pct, self.fade_in_ms, self.fade_out_ms, self.duck)
        _put_music(draft, seg)
        _music_start(draft, self.start_ms)

    def view(self) -> dict[str, Any]:
        return {**self.args(), "mood": None if self.file else (self.mood or "lofi"),
                "fade_in_s": secs(self.fade_in_ms), "fade_out_s": secs(self.fade_out_ms),
                "start_s": secs(self.start_ms)}


@dataclass(frozen=True)
class SetMusic(Op):
    volume_pct: int | None = None
    fade_in_ms: int | None = None
    fade_out_ms: int | None = None
    duck: bool | None = None
    start_ms: int | None = None

    tool = "set_music"
    summary = ("Adjust the existing background music: volume in percent, fade in/out in ms "
               "(0 removes), duck=true to lower it whenever the original audio (speech) plays, "
               "start_ms where it comes in.")
    schema = obj_schema({"volume_pct": PCT_ARG, "fade_in_ms": FADE_ARG, "fade_out_ms": FADE_ARG,
                   "duck": {"type": "boolean"}, "start_ms": MS_ARG})

    def validate(self) -> None:
        if all(v is None for v in (self.volume_pct, self.fade_in_ms, self.fade_out_ms,
                                   self.duck, self.start_ms)):
            raise InputError("set_music needs a setting", key="plan_bad_call", field="set_music",
                             problem="needs at least one setting")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        seg = _bgm_segment(draft)
        if seg is None:   # nothing to adjust yet: the settings come with the default track
            seg = _put_music(draft, _mood_segment("lofi", None))
        _music_settings(seg, self.volume_pct, self.fade_in_ms, self.fade_out_ms, self.duck)
        _music_start(draft, self.start_ms)

    def view(self) -> dict[str, Any]:
        return {**self.args(), "fade_in_s": secs(self.fade_in_ms),
                "fade_out_s": secs(self.fade_out_ms), "start_s": secs(self.start_ms)}


@dataclass(frozen=True)
class SetOriginalAudio(Op):
    volume_pct: int

    tool = "set_original_audio"
    summary = "Volume of the clips' own audio in percent; 0 mutes it."
    schema = obj_schema({"volume_pct": PCT_ARG}, "volume_pct")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        need_video(draft)
        for seg in video_segments(draft):
            if seg.kind in (None, "video"):
                seg.volume = self.volume_pct / 100


@dataclass(frozen=True)
class RemoveTrack(Op):
    what: str

    tool = "remove_track"
    summary = "Remove the background music, the title or the captions."
    schema = obj_schema({"what": {"type": "string", "enum": ["music", "title", "captions"]}}, "what")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        tt, role = {"music": (AUDIO, "bgm"), "title": (TEXT, "title"),
                    "captions": (TEXT, "caption")}[self.what]
        remove_track(draft, tt, role)
