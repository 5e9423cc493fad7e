"""The draft (timeline) in the seed's compact format, decoded in one place.

Wire keys: ``t`` tracks, ``tt`` track type (0 video, 1 audio, 7 text), ``sg`` segments,
``s`` segment start (ms), ``d`` duration (ms), ``m`` metadata. Decoding is defensive:
unknown keys are kept in ``meta``; wrong types become defaults. The summariser and
differ are pure functions over the typed objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

VIDEO, AUDIO, TEXT = 0, 1, 7

#: output canvas per aspect ratio (Instagram's delivery sizes), the one definition
CANVAS: dict[str, tuple[int, int]] = {
    "9:16": (1080, 1920), "1:1": (1080, 1080), "4:5": (1080, 1350), "16:9": (1920, 1080),
}
#: playback speed limits of a segment, the one definition
MIN_SPEED, MAX_SPEED = 0.25, 4.0


@dataclass(frozen=True)
class Segment:
    start_ms: int
    dur_ms: int
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def end_ms(self) -> int:
        return self.start_ms + self.dur_ms


@dataclass(frozen=True)
class Track:
    type: int
    meta: dict[str, Any]
    segments: tuple[Segment, ...]

    @property
    def start_ms(self) -> int:
        return min((s.start_ms for s in self.segments), default=0)

    @property
    def end_ms(self) -> int:
        return max((s.end_ms for s in self.segments), default=0)


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


@dataclass(frozen=True)
class Draft:
    tracks: tuple[Track, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def canvas(self) -> Canvas:
        ratio = self.meta.get("ratio")
        w, h = self.meta.get("w"), self.meta.get("h")
        return Canvas(ratio if isinstance(ratio, str) else "",
                      *((w, h) if w and h else (0, 0)))

    @property
    def ready(self) -> bool:
        """Ready for export: at least one track with segments."""
        return any(t.segments for t in self.tracks)

    @property
    def duration_ms(self) -> int:
        explicit = _int(self.meta.get("d"), 0)
        return explicit or max((t.end_ms for t in self.tracks), default=0)


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


def _dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def decode_draft(raw: Any) -> Draft:
    """Typed view of a raw draft dict (``None`` or junk gives an empty draft)."""
    if isinstance(raw, str):
        import json

        try:
            raw = json.loads(raw)
        except ValueError:
            raw = None
    if not isinstance(raw, dict):
        return Draft()
    tracks: list[Track] = []
    raw_tracks = raw.get("t")
    for t in raw_tracks if isinstance(raw_tracks, list) else []:
        if not isinstance(t, dict):
            continue
        segs = []
        raw_segs = t.get("sg")
        for s in raw_segs if isinstance(raw_segs, list) else []:
            if isinstance(s, dict):
                segs.append(Segment(max(0, _int(s.get("s"))), max(0, _int(s.get("d"))),
                                    _dict(s.get("m"))))
        tracks.append(Track(_int(t.get("tt"), -1), _dict(t.get("m")), tuple(segs)))
    return Draft(tuple(tracks), _dict(raw.get("m")))


def encode_draft(draft: Draft) -> dict[str, Any]:
    """The wire form (``docs/draft.md`` keys) of a typed draft: the other edge."""
    return {"t": [{"tt": t.type, "m": dict(t.meta),
                   "sg": [{"s": s.start_ms, "d": s.dur_ms, "m": dict(s.meta)}
                          for s in t.segments]}
                  for t in draft.tracks],
            "m": dict(draft.meta)}


# ---------------------------------------------------------------- summary

def _secs(ms: int) -> str:
    value = ms / 1000
    return f"{value:.1f}".rstrip("0").rstrip(".") if value % 1 else str(int(value))


def track_label(track: Track) -> str:
    role = str(track.meta.get("role") or "").lower()
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
        name = str(track.meta.get("name") or "").lower()
        if "caption" in name or "subtitle" in name:
            return "Captions"
        return "Title"
    return "Track"


def _volume(meta: dict[str, Any]) -> str:
    vol = meta.get("volume")
    if isinstance(vol, int | float) and not isinstance(vol, bool):
        pct = vol * 100 if vol <= 1.0 else vol
        return f"{round(pct)}%"
    return ""


def _name(track: Track) -> str:
    for source in [*(s.meta for s in track.segments[:1]), track.meta]:
        for key in ("name", "title", "label"):
            if source.get(key):
                return str(source[key])
        src = source.get("src") or source.get("url")
        if isinstance(src, str) and src:
            return src.rstrip("/").rsplit("/", 1)[-1]
    return "untitled"


def summarize_track(track: Track) -> str:
    label = track_label(track)
    span = f"{_secs(track.start_ms)}-{_secs(track.end_ms)}s"
    if track.type == TEXT:
        texts = [str(s.meta.get("text")) for s in track.segments if s.meta.get("text")]
        if len(texts) == 1:
            return f'{label}: "{texts[0]}" ({span})'
        if texts:
            return f"{label}: {len(texts)} lines ({span})"
        return f"{label}: {_name(track)} ({span})"
    extra = ""
    if track.type == AUDIO:
        vol = _volume(track.segments[0].meta if track.segments else {}) or _volume(track.meta)
        extra = f", {vol}" if vol else ""
    count = f", {len(track.segments)} clips" if track.type == VIDEO and len(track.segments) > 1 else ""
    return f"{label}: {_name(track)} ({span}{extra}{count})"


def summarize(draft: Draft) -> str:
    """The seed's one-line form: ``Timeline (3 tracks): 1. Video: … 2. BGM: …``; when the
    clips are edited separately (``docs/draft.md``), one such timeline per clip."""
    batch = draft.meta.get("batch")
    if isinstance(batch, dict) and batch.get("mode") == "each" and isinstance(batch.get("clips"), list):
        return _summarize_clips(batch["clips"])
    n = len(draft.tracks)
    if n == 0:
        return "Timeline (0 tracks): empty"
    body = " ".join(f"{i}. {summarize_track(t)}" for i, t in enumerate(draft.tracks, start=1))
    return f"Timeline ({n} track{'s' if n != 1 else ''}): {body}"


def _summarize_clips(clips: list[Any]) -> str:
    """``Clips edited separately (2): [1] red.mp4 (1:1): Timeline (…) [2] blue.mp4 …``."""
    shown = []
    for i, item in enumerate(c for c in clips if isinstance(c, dict)):
        sub = decode_draft(item.get("draft"))
        ratio = f" ({sub.canvas.ratio})" if sub.canvas.ratio else ""
        shown.append(f"[{i + 1}] {item.get('name') or 'clip'}{ratio}: {summarize(sub)}")
    return f"Clips edited separately ({len(shown)}): " + " ".join(shown)


# ---------------------------------------------------------------- diff

def _canvas(draft: Draft) -> str:
    m = draft.meta
    ratio = m.get("ratio")
    if ratio:
        return str(ratio)
    w, h = _int(m.get("w")), _int(m.get("h"))
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
    skip = {"ratio", "w", "h", "batch"}   # batch: the clips' own drafts, summarised instead
    if before.meta.get("batch") != after.meta.get("batch"):
        b, a = summarize(before), summarize(after)
        if a != b and a.startswith("Clips"):
            changes.append(a)
    for key in sorted(set(before.meta) | set(after.meta)):
        if key in skip:
            continue
        if before.meta.get(key) != after.meta.get(key):
            changes.append(f"{key} set to {after.meta.get(key)!r}" if key in after.meta
                           else f"{key} removed")
    return changes
