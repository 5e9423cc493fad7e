"""The draft (timeline): one typed model for the engine, the host and both backends.

``Draft`` → ``Track`` → ``Segment`` are mutable dataclasses with a typed attribute for
every key of ``docs/draft.md``. The wire form (the seed's compact JSON: ``t`` tracks, ``tt``
track type 0 video / 1 audio / 7 text, ``sg`` segments, ``s`` start and ``d`` duration in
ms, ``m`` metadata) is read by :func:`decode_draft` and written by :func:`encode_draft`,
only at the edges (the engine's database, ADK events, HTTP, export records). Decoding is
defensive and loses nothing: unknown keys and ill-typed values wait in ``extra`` (and
``outer``) and are written back as they came. Canvas sizes and speed limits are defined
here once. The summariser and differ are pure functions over the typed objects.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

VIDEO, AUDIO, TEXT = 0, 1, 7

#: output canvas per aspect ratio (Instagram's delivery sizes), the one definition
CANVAS: dict[str, tuple[int, int]] = {
    "9:16": (1080, 1920), "1:1": (1080, 1080), "4:5": (1080, 1350), "16:9": (1920, 1080),
}
#: playback speed limits of a segment, the one definition
MIN_SPEED, MAX_SPEED = 0.25, 4.0
#: a text segment shorter than this (what a trim left of it) is dropped
MIN_TEXT_MS = 100
#: a clip "has" 60 fps from this rate on (59.94 fps phone footage counts); a 60 fps
#: draft needs every video clip at this rate
HIGH_FPS_MIN = 59.0


@dataclass(frozen=True)
class Canvas:
    """The output canvas a draft asks for (``ratio`` and/or ``width``×``height``)."""

    ratio: str = ""
    width: int = 0
    height: int = 0

    def config(self) -> dict[str, Any]:
        """The ADK ``canvas_config`` state (only what is known)."""
        out: dict[str, Any] = {}
        if self.ratio:
            out["ratio"] = self.ratio
        if self.width and self.height:
            out["width"], out["height"] = self.width, self.height
        return out


# ---------------------------------------------------------------- the model
#
# Every known key of docs/draft.md is a typed attribute; ``None`` means "absent on the
# wire" (so a draft written back is the draft that was read). A value of the wrong type
# is not dropped: it waits in ``extra`` under its wire key, like keys this version does
# not know (a newer engine's or the cloud's), and is written back as it came.


@dataclass
class Segment:
    """One segment: timeline ``start_ms``/``dur_ms`` and the fields of its track's kind."""

    start_ms: int = 0
    dur_ms: int = 0
    # video (tt 0) and user audio: the uploaded file
    media: str | None = None
    src: str | None = None
    name: str | None = None
    kind: str | None = None                  # video: "video" | "image"
    in_ms: int | None = None                 # wire "in": source in-point
    speed: float | None = None
    volume: float | None = None              # linear gain (video: original audio; audio: music)
    cam: list[tuple[float, float]] | None = None   # camera keyframes (source s, centre x 0-1)
    # audio (tt 1)
    mood: str | None = None
    fade_in: int | None = None
    fade_out: int | None = None
    duck: bool | None = None
    loop: bool | None = None
    # text (tt 7)
    text: str | None = None
    position: str | None = None
    size: int | None = None
    y: int | None = None
    color: str | None = None
    style: str | None = None                 # caption style (clean, bold, boxed, word)
    auto: bool | None = None                 # captions made from the speech
    hl: tuple[int, int] | None = None        # highlighted characters of ``text``
    extra: dict[str, Any] = field(default_factory=dict)
    outer: dict[str, Any] = field(default_factory=dict)   # wire keys beside s/d/m

    @property
    def end_ms(self) -> int:
        return self.start_ms + self.dur_ms

    def copy(self) -> Segment:
        return copy.deepcopy(self)


@dataclass
class Track:
    type: int
    role: str | None = None
    name: str | None = None
    segments: list[Segment] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    outer: dict[str, Any] = field(default_factory=dict)   # wire keys beside tt/m/sg

    @property
    def start_ms(self) -> int:
        return min((s.start_ms for s in self.segments), default=0)

    @property
    def end_ms(self) -> int:
        return max((s.end_ms for s in self.segments), default=0)



@dataclass
class Transition:
    style: str
    ms: int


@dataclass
class Fades:
    """Fade lengths (ms) at the start and the end; ``None``: not set."""

    in_ms: int | None = None
    out_ms: int | None = None


@dataclass
class BatchClip:
    """One clip edited separately: its upload and its own (one-clip) draft."""

    media: str
    name: str
    draft: Draft
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Batch:
    """Clips edited separately (docs/draft.md, "batch style")."""

    mode: str = "join"                       # "each" | "join"
    focus: list[int] | None = None           # 0-based clips the latest edit named
    clips: list[BatchClip] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Draft:
    """The timeline: tracks drawn bottom-up, and the draft's settings."""

    tracks: list[Track] = field(default_factory=list)
    ratio: str | None = None
    width: int | None = None                 # wire "w"
    height: int | None = None                # wire "h"
    fit: str | None = None                   # "crop" | "blur"
    reframe: str | None = None               # "subject" | "center"
    transition: Transition | None = None
    look: str | None = None
    target: str | None = None
    formats: list[str] | None = None
    fps: int | None = None
    video_fade: Fades = field(default_factory=Fades)    # wire vfade_in / vfade_out
    audio_fade: Fades = field(default_factory=Fades)    # wire afade_in / afade_out
    loudnorm: bool | None = None
    cover_ms: int | None = None
    speech_fixes: list[tuple[str, str]] | None = None
    srt: bool | None = None
    batch: Batch | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    outer: dict[str, Any] = field(default_factory=dict)   # wire keys beside t/m

    @property
    def canvas(self) -> Canvas:
        w, h = self.width, self.height
        return Canvas(self.ratio or "", *((w, h) if w and h else (0, 0)))

    @property
    def ready(self) -> bool:
        """Ready for export: at least one track with segments."""
        return any(t.segments for t in self.tracks)

    @property
    def duration_ms(self) -> int:
        explicit = _int(self.extra.get("d"), 0)
        return explicit or max((t.end_ms for t in self.tracks), default=0)

    def copy(self) -> Draft:
        return copy.deepcopy(self)


def _int(value: Any, default: int = 0) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            return default
    return default


# ---------------------------------------------------------------- wire codec

_MISSING = object()


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_pair_list(v: Any, kind: type | tuple[type, ...]) -> bool:
    return isinstance(v, list) and all(
        isinstance(p, list | tuple) and len(p) == 2 and all(
            isinstance(x, kind) and not isinstance(x, bool) for x in p) for p in v)


def _as_pairs(v: Any) -> list[tuple[Any, Any]]:
    return [(p[0], p[1]) for p in v]


#: attribute name, wire key, accepts(value), to typed, to wire
_Codec = tuple[str, str, Any, Any, Any]


def _plain(attr: str, check: Any, wire: str | None = None) -> _Codec:
    return (attr, wire or attr, check, lambda v: v, lambda v: v)


def _str(v: Any) -> bool:
    return isinstance(v, str)


def _bool(v: Any) -> bool:
    return isinstance(v, bool)


_SEG_KEYS: tuple[_Codec, ...] = (
    _plain("media", _str), _plain("src", _str), _plain("name", _str), _plain("kind", _str),
    _plain("in_ms", _is_num, "in"), _plain("speed", _is_num), _plain("volume", _is_num),
    ("cam", "cam", lambda v: _is_pair_list(v, (int, float)), _as_pairs,
     lambda v: [[t, x] for t, x in v]),
    _plain("mood", _str), _plain("fade_in", _is_num), _plain("fade_out", _is_num),
    _plain("duck", _bool), _plain("loop", _bool),
    _plain("text", _str), _plain("position", _str), _plain("size", _is_num), _plain("y", _is_num),
    _plain("color", _str), _plain("style", _str), _plain("auto", _bool),
    ("hl", "hl", lambda v: isinstance(v, list) and len(v) == 2 and all(_is_int(x) for x in v),
     lambda v: (v[0], v[1]), lambda v: [v[0], v[1]]),
)
_TRACK_KEYS: tuple[_Codec, ...] = (_plain("role", _str), _plain("name", _str))
_DRAFT_KEYS: tuple[_Codec, ...] = (
    _plain("ratio", _str), _plain("width", _is_num, "w"), _plain("height", _is_num, "h"),
    _plain("fit", _str), _plain("reframe", _str),
    ("transition", "transition",
     lambda v: isinstance(v, dict) and set(v) == {"style", "ms"} and _str(v["style"])
     and _is_num(v["ms"]),
     lambda v: Transition(v["style"], v["ms"]), lambda v: {"style": v.style, "ms": v.ms}),
    _plain("look", _str), _plain("target", _str),
    ("formats", "formats", lambda v: isinstance(v, list) and all(_str(x) for x in v),
     list, list),
    _plain("fps", _is_num),
    _plain("loudnorm", _bool), _plain("cover_ms", _is_num),
    ("speech_fixes", "speech_fixes", lambda v: _is_pair_list(v, str), _as_pairs,
     lambda v: [[a, b] for a, b in v]),
    _plain("srt", _bool),
)
_FADES = (("video_fade", "vfade_in", "vfade_out"), ("audio_fade", "afade_in", "afade_out"))


def _read(obj: Any, raw: dict[str, Any], codecs: tuple[_Codec, ...]) -> None:
    """Set ``obj``'s typed attributes from the wire ``m`` dict; the rest goes to ``extra``."""
    known = {wire: (attr, ok, conv) for attr, wire, ok, conv, _ in codecs}
    for key, value in raw.items():
        spec = known.get(key)
        if spec is not None and spec[1](value):
            setattr(obj, spec[0], spec[2](copy.deepcopy(value)))
        else:
            obj.extra[key] = copy.deepcopy(value)


def _meta_out(obj: Any, codecs: tuple[_Codec, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for attr, wire, _, _, back in codecs:
        value = getattr(obj, attr)
        if value is not None:
            out[wire] = back(copy.deepcopy(value))
    for key, value in obj.extra.items():
        out.setdefault(key, copy.deepcopy(value))
    return out


def _draft_meta_out(draft: Draft) -> dict[str, Any]:
    out = _meta_out(draft, _DRAFT_KEYS)
    for attr, k_in, k_out in _FADES:
        fades: Fades = getattr(draft, attr)
        if fades.in_ms is not None:
            out[k_in] = fades.in_ms
        if fades.out_ms is not None:
            out[k_out] = fades.out_ms
    if draft.batch is not None:
        out["batch"] = _batch_out(draft.batch)
    return out


def _batch_out(batch: Batch) -> dict[str, Any]:
    out: dict[str, Any] = {"mode": batch.mode}
    if batch.focus is not None:
        out["focus"] = list(batch.focus)
    out["clips"] = [{"media": c.media, "name": c.name, "draft": encode_draft(c.draft),
                     **copy.deepcopy(c.extra)} for c in batch.clips]
    for key, value in batch.extra.items():
        out.setdefault(key, copy.deepcopy(value))
    return out


def _batch_in(raw: Any) -> Batch | None:
    """The typed batch, or None when ``raw`` is not one in full (then it stays in ``extra``)."""
    if not (isinstance(raw, dict) and _str(raw.get("mode")) and isinstance(raw.get("clips"), list)):
        return None
    focus = raw.get("focus", _MISSING)
    if focus is not _MISSING and not (isinstance(focus, list) and all(_is_int(i) for i in focus)):
        return None
    clips = []
    for item in raw["clips"]:
        if not (isinstance(item, dict) and _str(item.get("media")) and _str(item.get("name"))
                and isinstance(item.get("draft"), dict)):
            return None
        sub = decode_draft(item["draft"])
        if encode_draft(sub) != item["draft"]:   # not a draft this version reads in full
            return None
        rest = {k: copy.deepcopy(v) for k, v in item.items() if k not in ("media", "name", "draft")}
        clips.append(BatchClip(item["media"], item["name"], sub, rest))
    extra = {k: copy.deepcopy(v) for k, v in raw.items() if k not in ("mode", "focus", "clips")}
    return Batch(raw["mode"], list(focus) if isinstance(focus, list) else None, clips, extra)


def decode_draft(raw: Any) -> Draft:
    """The typed draft of a wire draft (``None`` or junk gives an empty draft)."""
    if isinstance(raw, str):
        import json

        try:
            raw = json.loads(raw)
        except ValueError:
            raw = None
    if not isinstance(raw, dict):
        return Draft()
    draft = Draft(outer=_outer(raw, ("t", "m")))
    raw_tracks = raw.get("t")
    for t in raw_tracks if isinstance(raw_tracks, list) else []:
        if not isinstance(t, dict):
            continue
        tr = Track(_int(t.get("tt"), -1), outer=_outer(t, ("tt", "m", "sg")))
        if isinstance(t.get("m"), dict):
            _read(tr, t["m"], _TRACK_KEYS)
        raw_segs = t.get("sg")
        for s in raw_segs if isinstance(raw_segs, list) else []:
            if isinstance(s, dict):
                seg = Segment(max(0, _int(s.get("s"))), max(0, _int(s.get("d"))),
                              outer=_outer(s, ("s", "d", "m")))
                if isinstance(s.get("m"), dict):
                    _read(seg, s["m"], _SEG_KEYS)
                tr.segments.append(seg)
        draft.tracks.append(tr)
    meta = raw.get("m")
    if isinstance(meta, dict):
        rest = dict(meta)
        for attr, k_in, k_out in _FADES:
            fades = getattr(draft, attr)
            for key, slot in ((k_in, "in_ms"), (k_out, "out_ms")):
                if _is_num(rest.get(key)):
                    setattr(fades, slot, rest.pop(key))
        batch = _batch_in(rest.get("batch"))
        if batch is not None:
            rest.pop("batch")
            draft.batch = batch
        _read(draft, rest, _DRAFT_KEYS)
    return draft


def encode_draft(draft: Draft) -> dict[str, Any]:
    """The wire form (``docs/draft.md`` keys) of a typed draft: the other edge."""
    return {"t": [{"tt": t.type, "m": _meta_out(t, _TRACK_KEYS),
                   "sg": [{"s": s.start_ms, "d": s.dur_ms, "m": _meta_out(s, _SEG_KEYS),
                           **_copy(s.outer)}
                          for s in t.segments], **_copy(t.outer)}
                  for t in draft.tracks],
            "m": _draft_meta_out(draft), **_copy(draft.outer)}


def _outer(raw: dict[str, Any], known: tuple[str, ...]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in raw.items() if k not in known}


def _copy(value: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(value) if value else {}


# ---------------------------------------------------------------- summary

def _secs(ms: int) -> str:
    value = ms / 1000
    return f"{value:.1f}".rstrip("0").rstrip(".") if value % 1 else str(int(value))


def track_label(track: Track) -> str:
    role = (track.role or "").lower()
    if track.type == VIDEO:
        return "Video"
    if track.type == AUDIO:
        if role in {"bgm", "music"}:
            return "BGM"
        if role in {"voice", "voiceover", "vo"}:
            return "Voice"
        return "Audio"
    if track.type == TEXT:
        if role in {"caption", "captions", "subtitle", "subtitles"}:
            return "Captions"
        name = (track.name or "").lower()
        if "caption" in name or "subtitle" in name:
            return "Captions"
        return "Title"
    return "Track"


def _volume(value: Any) -> str:
    if _is_num(value):
        pct = value * 100 if value <= 1.0 else value
        return f"{round(pct)}%"
    return ""


def _name(track: Track) -> str:
    sources: list[Segment | Track] = [*track.segments[:1], track]
    for source in sources:
        for value in (source.name, source.extra.get("title"), source.extra.get("label")):
            if value:
                return str(value)
        src = (source.src if isinstance(source, Segment) else None) or source.extra.get("url")
        if isinstance(src, str) and src:
            return src.rstrip("/").rsplit("/", 1)[-1]
    return "untitled"


def summarize_track(track: Track) -> str:
    label = track_label(track)
    span = f"{_secs(track.start_ms)}-{_secs(track.end_ms)}s"
    if track.type == TEXT:
        texts = [s.text for s in track.segments if s.text]
        if len(texts) == 1:
            return f'{label}: "{texts[0]}" ({span})'
        if texts:
            return f"{label}: {len(texts)} lines ({span})"
        return f"{label}: {_name(track)} ({span})"
    extra = ""
    if track.type == AUDIO:
        vol = (_volume(track.segments[0].volume) if track.segments else "") \
            or _volume(track.extra.get("volume"))
        extra = f", {vol}" if vol else ""
    count = f", {len(track.segments)} clips" if track.type == VIDEO and len(track.segments) > 1 else ""
    return f"{label}: {_name(track)} ({span}{extra}{count})"


def summarize(draft: Draft) -> str:
    """The seed's one-line form: ``Timeline (3 tracks): 1. Video: … 2. BGM: …``; when the
    clips are edited separately (``docs/draft.md``), one such timeline per clip."""
    if draft.batch is not None and draft.batch.mode == "each":
        return _summarize_clips(draft.batch.clips)
    n = len(draft.tracks)
    if n == 0:
        return "Timeline (0 tracks): empty"
    body = " ".join(f"{i}. {summarize_track(t)}" for i, t in enumerate(draft.tracks, start=1))
    return f"Timeline ({n} track{'s' if n != 1 else ''}): {body}"


def _summarize_clips(clips: list[BatchClip]) -> str:
    """``Clips edited separately (2): [1] red.mp4 (1:1): Timeline (…) [2] blue.mp4 …``."""
    shown = []
    for i, item in enumerate(clips):
        ratio = f" ({item.draft.canvas.ratio})" if item.draft.canvas.ratio else ""
        shown.append(f"[{i + 1}] {item.name or 'clip'}{ratio}: {summarize(item.draft)}")
    return f"Clips edited separately ({len(shown)}): " + " ".join(shown)


# ---------------------------------------------------------------- diff

def _canvas(draft: Draft) -> str:
    if draft.ratio:
        return draft.ratio
    w, h = _int(draft.width), _int(draft.height)
    return f"{w}x{h}" if w and h else ""


def diff(before: Draft, after: Draft) -> list[str]:
    """Human-readable changes between two drafts (English facts; templates wrap them)."""
    changes: list[str] = []
    if _canvas(before) != _canvas(after) and _canvas(after):
        changes.append(f"canvas is now {_canvas(after)}")
    old = [summarize_track(t) for t in before.tracks]
    new = [summarize_track(t) for t in after.tracks]
    remaining = list(old)
    for item in new:
        if item in remaining:
            remaining.remove(item)
        else:
            changes.append(f"added or changed {item}")
    for item in remaining:
        changes.append(f"removed {item}")
    if before.batch != after.batch:
        b, a = summarize(before), summarize(after)
        if a != b and a.startswith("Clips"):
            changes.append(a)
    # the other settings, by their wire names (batch: the clips' drafts, summarised above)
    was, now = _draft_meta_out(before), _draft_meta_out(after)
    for key in sorted(set(was) | set(now)):
        if key in ("ratio", "w", "h", "batch"):
            continue
        if was.get(key) != now.get(key):
            changes.append(f"{key} set to {now.get(key)!r}" if key in now else f"{key} removed")
    return changes
