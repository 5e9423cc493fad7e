"""The whole timeline as plain JSON for hosts (``igedit status --json``, MCP ``timeline``).

Pure: a decoded :class:`~skill.draft.Draft` (and the session's media) in, one JSON-able
dict out, with the schema of ``docs/timeline.md`` (``"schema": "igedit.timeline/1"``).
Times are integer milliseconds on the output timeline, volumes are percent, so a host
can plan typed ops (``apply_edits``) straight from what it reads here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .draft import AUDIO, TEXT, VIDEO, Draft, Segment, Track

SCHEMA = "igedit.timeline/1"
_TYPES = {VIDEO: "video", AUDIO: "audio", TEXT: "text"}


def _pct(gain: float | None, default: float) -> int:
    return round((gain if gain is not None else default) * 100)


def _clip(seg: Segment) -> dict[str, Any]:
    speed = float(seg.speed or 1.0)
    kind = seg.kind or "video"
    out: dict[str, Any] = {"start_ms": seg.start_ms, "end_ms": seg.end_ms,
                           "source": seg.name or "", "media": seg.media or "", "kind": kind}
    if kind != "image":
        in_ms = int(seg.in_ms or 0)
        out.update({"in_ms": in_ms, "out_ms": in_ms + round(seg.dur_ms * speed), "speed": speed,
                    "volume_pct": _pct(seg.volume, 1.0)})
    return out


def _music(seg: Segment) -> dict[str, Any]:
    return {"start_ms": seg.start_ms, "end_ms": seg.end_ms, "name": seg.name or "",
            "mood": seg.mood, "file": None if seg.mood else (seg.name or None),
            "volume_pct": _pct(seg.volume, 0.3), "fade_in_ms": int(seg.fade_in or 0),
            "fade_out_ms": int(seg.fade_out or 0), "duck": bool(seg.duck),
            "loop": seg.loop is not False}


def _text(seg: Segment, role: str) -> dict[str, Any]:
    default_pos = "bottom" if role == "caption" else "center"
    out: dict[str, Any] = {"role": role, "text": seg.text or "",
                           "start_ms": seg.start_ms, "end_ms": seg.end_ms,
                           "position": seg.position or default_pos}
    for key, value in (("size", seg.size), ("color", seg.color), ("y", seg.y)):
        if value is not None:
            out[key] = value
    return out


def _track(index: int, track: Track) -> dict[str, Any]:
    kind = _TYPES.get(track.type, "other")
    role = track.role or ("main" if kind == "video" else "")
    if kind == "video":
        segments = [_clip(s) for s in track.segments]
    elif kind == "audio" and role == "bgm":
        segments = [_music(s) for s in track.segments]
    elif kind == "text":
        segments = [_text(s, role or "title") for s in track.segments]
    else:
        segments = [{"start_ms": s.start_ms, "end_ms": s.end_ms} for s in track.segments]
    return {"index": index, "type": kind, "role": role, "name": track.name or "",
            "segments": segments}


def _opt_ms(value: float | None) -> int | None:
    return int(value) if value is not None else None


def timeline_view(draft: Draft, media: Sequence[Any] = ()) -> dict[str, Any]:
    """The documented timeline object (see the module docstring and docs/timeline.md)."""
    tracks = [_track(i, t) for i, t in enumerate(draft.tracks)]
    look = draft.look or None
    music = next((t["segments"][0] for t in tracks
                  if t["type"] == "audio" and t["role"] == "bgm" and t["segments"]), None)
    vf, af = draft.video_fade, draft.audio_fade
    return {
        "schema": SCHEMA,
        "duration_ms": draft.duration_ms,
        "canvas": {"ratio": draft.ratio, "width": _opt_ms(draft.width),
                   "height": _opt_ms(draft.height), "fit": draft.fit or "crop",
                   "fps": int(draft.fps or 30), "target": draft.target},
        "look": look,
        "looks": look.split("+") if look else [],
        "fades": {"video": {"in_ms": int(vf.in_ms or 0), "out_ms": int(vf.out_ms or 0)},
                  "audio": {"in_ms": int(af.in_ms or 0), "out_ms": int(af.out_ms or 0)}},
        "loudnorm": draft.loudnorm is not False,
        "formats": list(draft.formats or []),
        "cover_ms": _opt_ms(draft.cover_ms),
        "clips": next((t["segments"] for t in tracks if t["type"] == "video"), []),
        "music": music,
        "texts": sorted((s for t in tracks if t["type"] == "text" for s in t["segments"]),
                        key=lambda s: (s["start_ms"], s["role"] != "title")),
        "tracks": tracks,
        "batch": _batch(draft),
        "media": [{"name": getattr(x, "name", ""), "kind": getattr(x, "kind", ""),
                   "duration_ms": round(x.duration * 1000) if getattr(x, "duration", None)
                   else None, "width": getattr(x, "width", None),
                   "height": getattr(x, "height", None)} for x in media],
    }


def _batch(draft: Draft) -> dict[str, Any] | None:
    """The clips edited separately (``docs/timeline.md``, ``batch``), or None when the
    session never separated them: ``mode`` says which timeline an export renders."""
    batch = draft.batch
    if batch is None or not batch.clips:
        return None
    return {"mode": "each" if batch.mode == "each" else "join",
            "focus": [i + 1 for i in batch.focus] if batch.focus else None,
            "clips": [{"index": i + 1, "name": c.name, "media": c.media,
                       "timeline": {k: v for k, v in timeline_view(c.draft).items()
                                    if k not in ("media", "batch", "schema")}}
                      for i, c in enumerate(batch.clips)]}


__all__ = ["SCHEMA", "timeline_view"]
