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


def _num(value: Any, default: float) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else default


def _ms(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _pct(gain: Any, default: float) -> int:
    return round(_num(gain, default) * 100)


def _clip(seg: Segment) -> dict[str, Any]:
    m = seg.meta
    speed = _num(m.get("speed"), 1.0) or 1.0
    kind = str(m.get("kind") or "video")
    out: dict[str, Any] = {"start_ms": seg.start_ms, "end_ms": seg.end_ms,
                           "source": str(m.get("name") or ""), "media": str(m.get("media") or ""),
                           "kind": kind}
    if kind != "image":
        in_ms = _ms(m.get("in")) or 0
        out.update({"in_ms": in_ms, "out_ms": in_ms + round(seg.dur_ms * speed), "speed": speed,
                    "volume_pct": _pct(m.get("volume"), 1.0)})
    return out


def _music(seg: Segment) -> dict[str, Any]:
    m = seg.meta
    return {"start_ms": seg.start_ms, "end_ms": seg.end_ms, "name": str(m.get("name") or ""),
            "mood": m.get("mood") if isinstance(m.get("mood"), str) else None,
            "file": None if m.get("mood") else (str(m.get("name") or "") or None),
            "volume_pct": _pct(m.get("volume"), 0.3), "fade_in_ms": _ms(m.get("fade_in")) or 0,
            "fade_out_ms": _ms(m.get("fade_out")) or 0, "duck": bool(m.get("duck", False)),
            "loop": bool(m.get("loop", True))}


def _text(seg: Segment, role: str) -> dict[str, Any]:
    m = seg.meta
    default_pos = "bottom" if role == "caption" else "center"
    out: dict[str, Any] = {"role": role, "text": str(m.get("text") or ""),
                           "start_ms": seg.start_ms, "end_ms": seg.end_ms,
                           "position": str(m.get("position") or default_pos)}
    for key in ("size", "color", "y"):
        if m.get(key) is not None:
            out[key] = m[key]
    return out


def _track(index: int, track: Track) -> dict[str, Any]:
    kind = _TYPES.get(track.type, "other")
    role = str(track.meta.get("role") or ("main" if kind == "video" else ""))
    if kind == "video":
        segments = [_clip(s) for s in track.segments]
    elif kind == "audio" and role == "bgm":
        segments = [_music(s) for s in track.segments]
    elif kind == "text":
        segments = [_text(s, role or "title") for s in track.segments]
    else:
        segments = [{"start_ms": s.start_ms, "end_ms": s.end_ms} for s in track.segments]
    return {"index": index, "type": kind, "role": role,
            "name": str(track.meta.get("name") or ""), "segments": segments}


def timeline_view(draft: Draft, media: Sequence[Any] = ()) -> dict[str, Any]:
    """The documented timeline object (see the module docstring and docs/timeline.md)."""
    m = draft.meta
    tracks = [_track(i, t) for i, t in enumerate(draft.tracks)]
    look = m.get("look") if isinstance(m.get("look"), str) and m.get("look") else None
    music = next((t["segments"][0] for t in tracks
                  if t["type"] == "audio" and t["role"] == "bgm" and t["segments"]), None)
    return {
        "schema": SCHEMA,
        "duration_ms": draft.duration_ms,
        "canvas": {"ratio": m.get("ratio"), "width": _ms(m.get("w")), "height": _ms(m.get("h")),
                   "fit": str(m.get("fit") or "crop"), "fps": _ms(m.get("fps")) or 30,
                   "target": m.get("target")},
        "look": look,
        "looks": look.split("+") if look else [],
        "fades": {"video": {"in_ms": _ms(m.get("vfade_in")) or 0,
                            "out_ms": _ms(m.get("vfade_out")) or 0},
                  "audio": {"in_ms": _ms(m.get("afade_in")) or 0,
                            "out_ms": _ms(m.get("afade_out")) or 0}},
        "loudnorm": m.get("loudnorm", True) is not False,
        "formats": [str(f) for f in m.get("formats") or [] if isinstance(f, str)],
        "cover_ms": _ms(m.get("cover_ms")),
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
    from . import clipset
    from .draft import decode_draft, encode_draft

    raw = encode_draft(draft)
    items = clipset.stored(raw)
    if not items:
        return None
    focus = clipset.focus(raw)
    return {"mode": clipset.mode(raw),
            "focus": [i + 1 for i in focus] if focus else None,
            "clips": [{"index": c.index + 1, "name": c.name, "media": c.media,
                       "timeline": {k: v for k, v in timeline_view(decode_draft(c.draft)).items()
                                    if k not in ("media", "batch", "schema")}}
                      for c in items]}


__all__ = ["SCHEMA", "timeline_view"]
