"""Sound ops: add_music, set_music, set_original_audio, remove_track (registered in :data:`.ops.OPS`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...errors import InputError
from .base import FADE_ARG, MOODS, MS_ARG, PCT_ARG, Op, need_video, obj_schema, secs
from .draftedit import (
    AUDIO,
    DEFAULT_MUSIC_VOLUME,
    MIN_MUSIC_MS,
    TEXT,
    Draft,
    PlanContext,
    ensure_track,
    music_segment,
    remove_track,
    total_ms,
    track,
    video_segments,
)


def _music_settings(meta: dict[str, Any], volume_pct: int | None, fade_in_ms: int | None,
                    fade_out_ms: int | None, duck: bool | None) -> None:
    if volume_pct is not None:
        meta["volume"] = volume_pct / 100
    if fade_in_ms is not None:
        meta["fade_in"] = fade_in_ms
    if fade_out_ms is not None:
        meta["fade_out"] = fade_out_ms
    if duck is not None:
        meta["duck"] = duck


def _put_music(draft: Draft, meta: dict[str, Any]) -> dict[str, Any]:
    """The music track with one segment of ``meta``; it comes in where the previous music
    did (:func:`_music_start` moves it) and runs to the end (``settle`` keeps it so)."""
    old = track(draft, AUDIO, "bgm")
    start_ms = int(old["sg"][0].get("s", 0)) if old and old.get("sg") else 0
    remove_track(draft, AUDIO, "bgm")
    bgm = ensure_track(draft, AUDIO, "bgm", str(meta.get("name", "Music")))
    total = total_ms(draft)
    bgm["sg"] = [{"s": start_ms, "d": max(0, total - start_ms), "m": meta}]
    return meta


def _music_start(draft: Draft, start_ms: int | None) -> None:
    if start_ms is None:
        return
    total = total_ms(draft)
    if start_ms > total - MIN_MUSIC_MS:
        raise InputError("music starts after the end", key="plan_time_outside",
                         start=secs(start_ms), total=secs(total))
    bgm = track(draft, AUDIO, "bgm")
    if bgm and bgm.get("sg"):
        bgm["sg"][0]["s"], bgm["sg"][0]["d"] = start_ms, total - start_ms


def _mood_meta(mood: str, keep: dict[str, Any] | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": MOODS[mood], "mood": mood, "volume": DEFAULT_MUSIC_VOLUME,
                            "loop": True}
    for key in ("volume", "fade_in", "fade_out", "duck"):
        if keep and key in keep:
            meta[key] = keep[key]
    return meta


def _bgm_meta(draft: Draft) -> dict[str, Any] | None:
    bgm = track(draft, AUDIO, "bgm")
    if bgm is None or not bgm["sg"]:
        return None
    return bgm["sg"][0].setdefault("m", {})  # type: ignore[no-any-return]


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
        keep = _bgm_meta(draft)
        if self.file:
            item = ctx.find(self.file, ("audio",))
            if item is None:
                raise InputError(f"no uploaded audio named {self.file}", key="plan_music_missing",
                                 file=self.file, names=_audio_names(ctx))
            meta = music_segment_meta(item, keep)
        else:
            meta = _mood_meta(self.mood or "lofi", keep)
        _music_settings(meta, self.volume_pct, self.fade_in_ms, self.fade_out_ms, self.duck)
        _put_music(draft, meta)
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
        meta = _bgm_meta(draft)
        if meta is None:   # nothing to adjust yet: the settings come with the default track
            meta = _put_music(draft, _mood_meta("lofi", None))
        _music_settings(meta, self.volume_pct, self.fade_in_ms, self.fade_out_ms, self.duck)
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
            if seg["m"].get("kind", "video") == "video":
                seg["m"]["volume"] = self.volume_pct / 100


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
