"""Typed edit operations on the draft: one small frozen dataclass per edit, one ``apply``.

Every op has a ``tool`` name (also its ADK ``functionCall`` name and its Claude tool
name), a JSON ``schema`` for its arguments, ``apply(draft, ctx)`` returning a **new**
draft (the input is never mutated), ``describe(lang)`` saying exactly what was applied
(rendered from ``prompts/<lang>/planner.j2``) and ``args()`` (JSON-able).

    set_aspect  set_fit  trim  cut_ends  cut_range  set_speed  join
    add_music  set_music  set_original_audio  fade  set_look  set_loudnorm
    add_title  add_captions  captions_from_file  set_cover  remove_track

Draft keys are those of ``docs/draft.md``; times are ms, volumes are given as percent
in args and stored as linear gains in the draft.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from ..errors import InputError
from ..templates import render
from .draftedit import (
    AUDIO,
    CANVAS,
    DEFAULT_MUSIC_VOLUME,
    DEFAULT_TITLE_MS,
    MAX_SPEED,
    MIN_SPEED,
    TEXT,
    VIDEO,
    Draft,
    MediaItem,
    PlanContext,
    Seg,
    add_media,
    cut_map,
    ensure_track,
    initial_draft,
    keep_map,
    music_segment_meta,
    remove_track,
    retime,
    seg_in,
    seg_speed,
    segment_map,
    set_canvas,
    set_caption_cues,
    settle,
    total_ms,
    track,
    video_segments,
)
from .opschema import check, jsonable

__all__ = [
    "OPS", "MOODS", "MediaItem", "PlanContext", "Op", "add_media", "initial_draft",
    "op_from_call", "tool_definitions", "secs",
]

MOODS: dict[str, str] = {"lofi": "Lo-fi", "chill": "Chill", "upbeat": "Upbeat",
                         "cinematic": "Cinematic"}
MAX_FADE_MS = 30_000
MAX_TEXT = 500

OPS: dict[str, type[Op]] = {}


def secs(ms: int | None) -> str:
    """Milliseconds as seconds for a reply: ``2500`` → ``"2.5"``, ``3000`` → ``"3"``."""
    value = (ms or 0) / 1000
    return f"{value:.1f}".rstrip("0").rstrip(".") if round(value, 1) % 1 else str(round(value))


def _obj(props: dict[str, Any], *required: str) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(required),
            "additionalProperties": False}


_MS = {"type": "integer", "minimum": 0, "maximum": 24 * 3600 * 1000}
_FADE = {"type": "integer", "minimum": 0, "maximum": MAX_FADE_MS}
_PCT = {"type": "integer", "minimum": 0, "maximum": 200}
_POSITION = {"type": "string", "enum": ["top", "center", "bottom"]}


@dataclass(frozen=True)
class Op:
    """Base of all operations; subclasses set the class variables and ``_edit``."""

    tool: ClassVar[str] = ""
    summary: ClassVar[str] = ""                  # the tool description Claude reads
    schema: ClassVar[dict[str, Any]] = _obj({})

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.tool:
            OPS[cls.tool] = cls

    def apply(self, draft: Draft, ctx: PlanContext) -> Draft:
        """A new draft with this edit applied (the input is left untouched)."""
        out = copy.deepcopy(draft) if draft else {"t": [], "m": {}}
        out.setdefault("t", [])
        out.setdefault("m", {})
        self._edit(out, ctx)
        return settle(out)

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        raise NotImplementedError

    def args(self) -> dict[str, Any]:
        """The op's arguments as JSON (``None`` fields left out): the ADK functionCall args."""
        return {f.name: jsonable(getattr(self, f.name)) for f in fields(self)
                if getattr(self, f.name) is not None}

    def view(self) -> dict[str, Any]:
        """Template context for :meth:`describe` (args plus formatted values)."""
        return self.args()

    def describe(self, lang: str = "en") -> str:
        """What this op did, in the user's language."""
        return render(f"plan_op_{self.tool}", lang, **self.view())

    def validate(self) -> None:
        """Cross-field checks beyond the schema (raise :class:`InputError`)."""

    @classmethod
    def from_args(cls, args: dict[str, Any]) -> Op:
        values = check(cls.schema, args, cls.tool)
        op = cls(**values)
        op.validate()
        return op


def op_from_call(name: str, args: dict[str, Any] | None) -> Op:
    """The op for a tool call ``name(args)``; :class:`InputError` when unknown or invalid."""
    cls = OPS.get(name)
    if cls is None:
        raise InputError(f"unknown operation {name!r}", key="plan_bad_call", field=name,
                         problem="unknown operation")
    return cls.from_args(dict(args or {}))


def tool_definitions() -> list[dict[str, Any]]:
    """Anthropic tool definitions (name, description, input_schema), one per op."""
    return [{"name": c.tool, "description": c.summary, "input_schema": c.schema}
            for c in OPS.values()]


def _need(draft: Draft) -> int:
    total = total_ms(draft)
    if not video_segments(draft):
        raise InputError("no video on the timeline", key="timeline_empty")
    return total


# ---------------------------------------------------------------- canvas & look

@dataclass(frozen=True)
class SetAspect(Op):
    ratio: str
    fit: str | None = None

    tool = "set_aspect"
    summary = ("Reframe the video to an Instagram aspect ratio. fit=crop fills the frame with "
               "a centre crop; fit=blur keeps the whole picture over a blurred background "
               "(use it when the user does not want anything cut off).")
    schema = _obj({"ratio": {"type": "string", "enum": list(CANVAS)},
                   "fit": {"type": "string", "enum": ["crop", "blur"]}}, "ratio")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        set_canvas(draft, self.ratio)
        if self.fit:
            draft["m"]["fit"] = self.fit
        draft["m"].setdefault("fit", "crop")

    def view(self) -> dict[str, Any]:
        w, h = CANVAS[self.ratio]
        return {**self.args(), "w": w, "h": h}


@dataclass(frozen=True)
class SetFit(Op):
    fit: str

    tool = "set_fit"
    summary = ("Keep the aspect ratio but change how the footage fills it: crop (centre "
               "crop-to-fill) or blur (whole picture over a blurred copy, nothing cut off).")
    schema = _obj({"fit": {"type": "string", "enum": ["crop", "blur"]}}, "fit")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        draft["m"]["fit"] = self.fit


@dataclass(frozen=True)
class SetLook(Op):
    look: str

    tool = "set_look"
    summary = "Colour look of the whole video: warm, cool, bw (black & white), vivid, or none."
    schema = _obj({"look": {"type": "string", "enum": ["warm", "cool", "bw", "vivid", "none"]}},
                  "look")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        if self.look == "none":
            draft["m"].pop("look", None)
        else:
            draft["m"]["look"] = self.look


@dataclass(frozen=True)
class Fade(Op):
    target: str = "both"
    in_ms: int | None = None
    out_ms: int | None = None

    tool = "fade"
    summary = ("Fade the whole video from/to black (target=video), the final audio mix "
               "(target=audio) or both, at the start (in_ms) and/or the end (out_ms); 0 removes "
               "a fade. For fading only the music use set_music.")
    schema = _obj({"target": {"type": "string", "enum": ["video", "audio", "both"]},
                   "in_ms": _FADE, "out_ms": _FADE})

    def validate(self) -> None:
        if self.in_ms is None and self.out_ms is None:
            raise InputError("fade needs in_ms or out_ms", key="plan_bad_call", field="fade",
                             problem="needs in_ms or out_ms")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        prefixes = {"video": ["v"], "audio": ["a"], "both": ["v", "a"]}[self.target]
        for p in prefixes:
            if self.in_ms is not None:
                draft["m"][f"{p}fade_in"] = self.in_ms
            if self.out_ms is not None:
                draft["m"][f"{p}fade_out"] = self.out_ms

    def view(self) -> dict[str, Any]:
        return {**self.args(), "in_s": secs(self.in_ms), "out_s": secs(self.out_ms)}


@dataclass(frozen=True)
class SetLoudnorm(Op):
    enabled: bool

    tool = "set_loudnorm"
    summary = "Turn loudness normalisation of the final mix (-14 LUFS, -1 dBTP) on or off."
    schema = _obj({"enabled": {"type": "boolean"}}, "enabled")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        draft["m"]["loudnorm"] = self.enabled


@dataclass(frozen=True)
class SetCover(Op):
    at_ms: int

    tool = "set_cover"
    summary = "Use the frame at this timeline time (ms) as the cover image."
    schema = _obj({"at_ms": _MS}, "at_ms")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        total = _need(draft)
        draft["m"]["cover_ms"] = max(0, min(self.at_ms, total - 1))

    def view(self) -> dict[str, Any]:
        return {**self.args(), "at_s": secs(self.at_ms)}


# ---------------------------------------------------------------- timeline

def _keep(draft: Draft, spans: list[tuple[int, int]], mapping: Callable[[int], int]) -> None:
    """Keep the timeline spans [a, b) (in order) across all clips, splitting clips as
    needed; text and the cover move with ``mapping``."""
    pieces: list[Seg] = []
    for seg in video_segments(draft):
        s, d = int(seg["s"]), int(seg["d"])
        for start, end in spans:
            lo, hi = max(s, start), min(s + d, end)
            if hi - lo <= 0:
                continue
            new = copy.deepcopy(seg)
            new["d"] = hi - lo
            if new["m"].get("kind", "video") != "image":
                new["m"]["in"] = seg_in(seg) + round((lo - s) * seg_speed(seg))
            pieces.append(new)
    vt = track(draft, VIDEO)
    assert vt is not None
    vt["sg"] = pieces
    settle(draft)
    retime(draft, mapping)


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
    schema = _obj({"start_ms": _MS, "end_ms": _MS})

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        total = _need(draft)
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
    schema = _obj({"head_ms": _MS, "tail_ms": _MS})

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        total = _need(draft)
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
    schema = _obj({"start_ms": _MS, "end_ms": _MS}, "start_ms", "end_ms")

    def validate(self) -> None:
        if self.end_ms <= self.start_ms:
            raise InputError("end before start", key="plan_bad_call", field="end_ms",
                             problem="must be after start_ms")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        total = _need(draft)
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
    schema = _obj({"factor": {"type": "number", "minimum": 0.01, "maximum": 100}}, "factor")

    @property
    def applied(self) -> float:
        return max(MIN_SPEED, min(MAX_SPEED, self.factor))

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        _need(draft)
        before = [copy.deepcopy(s) for s in video_segments(draft)]
        vt = track(draft, VIDEO)
        assert vt is not None
        for seg in vt["sg"]:
            if seg["m"].get("kind", "video") == "image":
                continue
            span = int(seg["d"]) * seg_speed(seg)          # source time used stays the same
            seg["d"] = max(1, round(span / self.applied))
            seg["m"]["speed"] = self.applied
        settle(draft)
        retime(draft, segment_map(before, vt["sg"], list(range(len(before)))))

    def view(self) -> dict[str, Any]:
        fmt = f"{self.applied:g}"
        return {"factor": fmt, "requested": f"{self.factor:g}",
                "clamped": self.applied != self.factor}


@dataclass(frozen=True)
class Join(Op):
    order: str = "upload"

    tool = "join"
    summary = "Join all uploaded clips one after another, in upload order or reversed."
    schema = _obj({"order": {"type": "string", "enum": ["upload", "reverse"]}})

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        _need(draft)
        before = [copy.deepcopy(s) for s in video_segments(draft)]
        rank = {item.id: i for i, item in enumerate(ctx.media)}
        order = sorted(range(len(before)),
                       key=lambda i: (rank.get(before[i]["m"].get("media"), len(rank)), i))
        if self.order == "reverse":
            order.reverse()
        vt = track(draft, VIDEO)
        assert vt is not None
        vt["sg"] = [copy.deepcopy(before[i]) for i in order]
        pairs: list[int | None] = [order.index(i) for i in range(len(before))]
        settle(draft)
        retime(draft, segment_map(before, vt["sg"], pairs), reordered=True)


# ---------------------------------------------------------------- audio

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
    remove_track(draft, AUDIO, "bgm")
    bgm = ensure_track(draft, AUDIO, "bgm", str(meta.get("name", "Music")))
    bgm["sg"] = [{"s": 0, "d": total_ms(draft), "m": meta}]
    return meta


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

    tool = "add_music"
    summary = ("Set the background music: a built-in mood track (lofi, chill, upbeat, "
               "cinematic) or an uploaded audio file by name (file). Optional volume in percent, "
               "fades in ms, duck=true lowers it under the original audio. If the user asks for "
               "something with no local equivalent (e.g. trending music), pick the closest mood "
               "and put their words in requested.")
    schema = _obj({"mood": {"type": "string", "enum": list(MOODS)},
                   "file": {"type": "string", "maxLength": 300},
                   "volume_pct": _PCT, "fade_in_ms": _FADE, "fade_out_ms": _FADE,
                   "duck": {"type": "boolean"},
                   "requested": {"type": "string", "maxLength": 100}})

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

    def view(self) -> dict[str, Any]:
        return {**self.args(), "mood": None if self.file else (self.mood or "lofi"),
                "fade_in_s": secs(self.fade_in_ms), "fade_out_s": secs(self.fade_out_ms)}


@dataclass(frozen=True)
class SetMusic(Op):
    volume_pct: int | None = None
    fade_in_ms: int | None = None
    fade_out_ms: int | None = None
    duck: bool | None = None

    tool = "set_music"
    summary = ("Adjust the existing background music: volume in percent, fade in/out in ms "
               "(0 removes), duck=true to lower it whenever the original audio (speech) plays.")
    schema = _obj({"volume_pct": _PCT, "fade_in_ms": _FADE, "fade_out_ms": _FADE,
                   "duck": {"type": "boolean"}})

    def validate(self) -> None:
        if all(v is None for v in (self.volume_pct, self.fade_in_ms, self.fade_out_ms,
                                   self.duck)):
            raise InputError("set_music needs a setting", key="plan_bad_call", field="set_music",
                             problem="needs at least one setting")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        meta = _bgm_meta(draft)
        if meta is None:   # nothing to adjust yet: the settings come with the default track
            meta = _put_music(draft, _mood_meta("lofi", None))
        _music_settings(meta, self.volume_pct, self.fade_in_ms, self.fade_out_ms, self.duck)

    def view(self) -> dict[str, Any]:
        return {**self.args(), "fade_in_s": secs(self.fade_in_ms),
                "fade_out_s": secs(self.fade_out_ms)}


@dataclass(frozen=True)
class SetOriginalAudio(Op):
    volume_pct: int

    tool = "set_original_audio"
    summary = "Volume of the clips' own audio in percent; 0 mutes it."
    schema = _obj({"volume_pct": _PCT}, "volume_pct")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        _need(draft)
        for seg in video_segments(draft):
            if seg["m"].get("kind", "video") == "video":
                seg["m"]["volume"] = self.volume_pct / 100


@dataclass(frozen=True)
class RemoveTrack(Op):
    what: str

    tool = "remove_track"
    summary = "Remove the background music, the title or the captions."
    schema = _obj({"what": {"type": "string", "enum": ["music", "title", "captions"]}}, "what")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        tt, role = {"music": (AUDIO, "bgm"), "title": (TEXT, "title"),
                    "captions": (TEXT, "caption")}[self.what]
        remove_track(draft, tt, role)


# ---------------------------------------------------------------- text

def _clear_span(segments: list[Seg], start: int, end: int) -> list[Seg]:
    return [s for s in segments if int(s["s"]) >= end or int(s["s"]) + int(s["d"]) <= start]


@dataclass(frozen=True)
class AddTitle(Op):
    text: str
    start_ms: int = 0
    end_ms: int | None = None
    position: str = "center"

    tool = "add_title"
    summary = ("Show a title (the user's exact text) from start_ms to end_ms (default: the first "
               "3 seconds) at the top, center or bottom. Replaces a title at the same time.")
    schema = _obj({"text": {"type": "string", "maxLength": MAX_TEXT}, "start_ms": _MS,
                   "end_ms": _MS, "position": _POSITION}, "text")

    def validate(self) -> None:
        if not self.text.strip():
            raise InputError("empty title", key="plan_bad_call", field="text", problem="is empty")

    def span(self, total: int) -> tuple[int, int]:
        end = self.end_ms if self.end_ms is not None else self.start_ms + DEFAULT_TITLE_MS
        return self.start_ms, min(end, total)

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        total = _need(draft)
        start, end = self.span(total)
        if end - start < 100:
            raise InputError("title outside the video", key="plan_time_outside",
                             start=secs(start), total=secs(total))
        tt = ensure_track(draft, TEXT, "title", "Title")
        tt["sg"] = _clear_span(tt["sg"], start, end)
        tt["sg"].append({"s": start, "d": end - start,
                         "m": {"text": self.text, "position": self.position}})
        tt["sg"].sort(key=lambda s: s["s"])

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
    schema = _obj({"lines": {"type": "array", "minItems": 1, "maxItems": 200,
                             "items": {"type": "string", "maxLength": MAX_TEXT}},
                   "start_ms": _MS, "end_ms": _MS, "position": _POSITION}, "lines")

    def validate(self) -> None:
        if not any(line.strip() for line in self.lines):
            raise InputError("empty captions", key="plan_bad_call", field="lines",
                             problem="are empty")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        total = _need(draft)
        lines = [ln.strip() for ln in self.lines if ln.strip()]
        start = min(self.start_ms or 0, total)
        end = total if self.end_ms is None else min(self.end_ms, total)
        if end - start < 100:
            raise InputError("captions outside the video", key="plan_time_outside",
                             start=secs(start), total=secs(total))
        if self.start_ms is None and self.end_ms is None:
            remove_track(draft, TEXT, "caption")
        ct = ensure_track(draft, TEXT, "caption", "Captions")
        ct["sg"] = _clear_span(ct["sg"], start, end)
        step = (end - start) / len(lines)
        for i, line in enumerate(lines):
            s = start + round(i * step)
            e = start + round((i + 1) * step)
            ct["sg"].append({"s": s, "d": e - s, "m": {"text": line, "position": self.position}})
        ct["sg"].sort(key=lambda s: s["s"])

    def view(self) -> dict[str, Any]:
        return {**self.args(), "count": len(self.lines), "timed": self.start_ms is not None
                or self.end_ms is not None, "start_s": secs(self.start_ms),
                "end_s": secs(self.end_ms)}


@dataclass(frozen=True)
class CaptionsFromFile(Op):
    file: str

    tool = "captions_from_file"
    summary = "Use an uploaded .srt or .vtt file (by name) as the captions, one per cue."
    schema = _obj({"file": {"type": "string", "maxLength": 300}}, "file")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        item = ctx.find(self.file, ("caption",))
        if item is None:
            raise InputError(f"no uploaded caption file named {self.file}",
                             key="plan_captions_missing", file=self.file)
        set_caption_cues(draft, item)

