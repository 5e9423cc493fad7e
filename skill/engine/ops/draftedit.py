"""The uploaded media as the planner sees it, and pure helpers over raw draft dicts.

Drafts are the compact wire format of ``docs/draft.md`` (``t``/``tt``/``sg``/``s``/``d``/
``m``). Ops copy a draft once and then use these helpers on their private copy; the
helpers keep the invariants every op relies on (see :func:`settle`):

* video segments play back to back from 0 (segment *i* starts where *i−1* ends);
* the music (``bgm``) segment spans the whole timeline;
* text segments lie inside the timeline; the cover frame too.

When the video segments change (trim, speed, reorder), :func:`retime` moves captions
with the footage they belong to, while a title that opens the video stays at 0.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...draft import CANVAS
from ...errors import InputError

VIDEO, AUDIO, TEXT = 0, 1, 7

IMAGE_MS = 3000            # a still photo is shown this long
DEFAULT_TITLE_MS = 3000    # a title without times opens the video for this long
DEFAULT_MUSIC_VOLUME = 0.3
#: music that comes in later still plays at least this long
MIN_MUSIC_MS = 1000
MIN_TEXT_MS = 100          # shorter text segments (after a trim) are dropped

Draft = dict[str, Any]
Seg = dict[str, Any]


@dataclass(frozen=True)
class MediaItem:
    """One uploaded file: ``kind`` is ``video``, ``image``, ``audio`` or ``caption``."""

    id: str
    src: str
    name: str
    kind: str
    duration_ms: int = 0
    width: int = 0
    height: int = 0
    has_audio: bool = False
    fps: float = 0.0            # a video's frame rate (0: unknown)


@dataclass(frozen=True)
class PlanContext:
    """What the planner may refer to besides the draft: the session's media, the reply language."""

    media: tuple[MediaItem, ...] = ()
    lang: str = "en"

    def find(self, ref: str, kinds: tuple[str, ...] = ()) -> MediaItem | None:
        """The item whose id, file name or name without extension is ``ref`` (case-insensitive)."""
        want = ref.strip().lower()
        for item in reversed(self.media):   # the newest upload wins a name clash
            if kinds and item.kind not in kinds:
                continue
            name = item.name.lower()
            stem = name.rsplit(".", 1)[0]
            if want in (item.id.lower(), name, stem):
                return item
        return None


# ---------------------------------------------------------------- tracks

_RANK = {VIDEO: 0, AUDIO: 1, TEXT: 2}


def track(draft: Draft, tt: int, role: str | None = None) -> dict[str, Any] | None:
    """The first track of type ``tt`` (and ``m.role`` when given), or ``None``."""
    for t in draft.get("t") or []:
        if t.get("tt") == tt and (role is None or (t.get("m") or {}).get("role") == role):
            return t  # type: ignore[no-any-return]
    return None


def ensure_track(draft: Draft, tt: int, role: str | None, name: str) -> dict[str, Any]:
    """The track of that type and role, created in drawing order (video, audio, text) if absent."""
    found = track(draft, tt, role)
    if found is not None:
        return found
    meta: dict[str, Any] = {"name": name}
    if role:
        meta["role"] = role
    new: dict[str, Any] = {"tt": tt, "m": meta, "sg": []}
    tracks = draft.setdefault("t", [])
    rank = _RANK.get(tt, 3)
    pos = next((i for i, t in enumerate(tracks) if _RANK.get(t.get("tt"), 3) > rank), len(tracks))
    tracks.insert(pos, new)
    return new


def remove_track(draft: Draft, tt: int, role: str | None) -> bool:
    before = len(draft.get("t") or [])
    draft["t"] = [t for t in draft.get("t") or []
                  if not (t.get("tt") == tt and (role is None or (t.get("m") or {}).get("role") == role))]
    return len(draft["t"]) != before


def video_segments(draft: Draft) -> list[Seg]:
    t = track(draft, VIDEO)
    return list(t["sg"]) if t is not None else []


def seg_speed(seg: Seg) -> float:
    value = (seg.get("m") or {}).get("speed", 1.0)
    return float(value) if isinstance(value, int | float) and value > 0 else 1.0


def seg_in(seg: Seg) -> int:
    value = (seg.get("m") or {}).get("in", 0)
    return int(value) if isinstance(value, int | float) else 0


def total_ms(draft: Draft) -> int:
    """Timeline length: the video track when there is one, else the longest track."""
    segs = video_segments(draft)
    if segs:
        return sum(int(s.get("d", 0)) for s in segs)
    ends = [int(s.get("s", 0)) + int(s.get("d", 0))
            for t in draft.get("t") or [] for s in t.get("sg") or []]
    return max(ends, default=0)


def canvas_for(width: int, height: int) -> str:
    """Aspect ratio for a source: portrait → 9:16, square → 1:1, landscape → 16:9."""
    if width <= 0 or height <= 0:
        return "9:16"
    if abs(width - height) <= 0.02 * max(width, height):
        return "1:1"
    return "9:16" if height > width else "16:9"


def set_canvas(draft: Draft, ratio: str) -> None:
    w, h = CANVAS[ratio]
    m = draft.setdefault("m", {})
    m.update(ratio=ratio, w=w, h=h)


# ---------------------------------------------------------------- invariants

def repack(draft: Draft) -> None:
    """Video segments back to back from 0 (in place)."""
    vt = track(draft, VIDEO)
    if vt is not None:
        pos = 0
        for seg in vt["sg"]:
            seg["s"] = pos
            pos += int(seg.get("d", 0))


def settle(draft: Draft) -> Draft:
    """Re-establish the invariants after an edit (in place; returns the draft)."""
    repack(draft)
    vt = track(draft, VIDEO)
    total = total_ms(draft)
    for t in draft.get("t") or []:
        if t.get("tt") == AUDIO and (t.get("m") or {}).get("role") == "bgm" and vt is not None:
            for seg in t.get("sg") or []:   # from where it comes in (s) to the end
                start = max(0, min(int(seg.get("s", 0) or 0), total - MIN_MUSIC_MS))
                seg["s"], seg["d"] = start, total - start
        elif t.get("tt") == TEXT and vt is not None:
            kept = []
            for seg in t.get("sg") or []:
                start = int(seg.get("s", 0))
                end = min(start + int(seg.get("d", 0)), total)
                if end - start >= MIN_TEXT_MS:
                    seg["d"] = end - start
                    kept.append(seg)
            t["sg"] = kept
    m = draft.setdefault("m", {})
    if "cover_ms" in m and total:
        m["cover_ms"] = max(0, min(int(m["cover_ms"]), total - 1))
    return draft


def retime(draft: Draft, mapping: Callable[[int], int], *, reordered: bool = False) -> None:
    """Move text segments and the cover after the video segments changed.

    ``mapping`` turns an old timeline time into the new one. Captions follow their
    footage; a title that starts at 0 keeps opening the video. With ``reordered``
    a caption whose footage moved apart keeps its length.
    """
    for t in draft.get("t") or []:
        if t.get("tt") != TEXT:
            continue
        is_title = (t.get("m") or {}).get("role") == "title"
        for seg in t.get("sg") or []:
            start, dur = int(seg.get("s", 0)), int(seg.get("d", 0))
            if is_title and start == 0:
                continue
            new_start, new_end = mapping(start), mapping(start + dur)
            if new_end <= new_start and reordered:
                new_end = new_start + dur
            seg["s"], seg["d"] = new_start, max(0, new_end - new_start)
    m = draft.get("m") or {}
    if "cover_ms" in m:
        m["cover_ms"] = mapping(int(m["cover_ms"]))
    settle(draft)


def keep_map(start: int, end: int) -> Callable[[int], int]:
    """Time map for keeping only [start, end) of the timeline."""
    return lambda t: min(max(t - start, 0), end - start)


def cut_map(start: int, end: int) -> Callable[[int], int]:
    """Time map for removing [start, end) from the timeline."""
    return lambda t: t if t < start else (start if t < end else t - (end - start))


def segment_map(before: list[Seg], after: list[Seg],
                pairs: list[int | None]) -> Callable[[int], int]:
    """Time map when clips changed speed or order: ``pairs[i]`` is where old segment *i*
    went in ``after`` (settled, so ``s`` is set), ``None`` if it was removed."""
    new_total = sum(int(s.get("d", 0)) for s in after)

    def next_kept(i: int) -> int:
        for k in range(i, len(before)):
            j = pairs[k] if k < len(pairs) else None
            if j is not None:
                return int(after[j]["s"])
        return new_total

    def mapping(t: int) -> int:
        for i, old in enumerate(before):
            s, d = int(old.get("s", 0)), int(old.get("d", 0))
            if t < s + d or i == len(before) - 1:
                j = pairs[i] if i < len(pairs) else None
                if j is None:
                    return next_kept(i)
                new = after[j]
                src = seg_in(old) + (t - s) * seg_speed(old)
                lo = seg_in(new)
                hi = lo + int(new.get("d", 0)) * seg_speed(new)
                src = min(max(src, lo), hi)
                return int(new["s"]) + round((src - lo) / seg_speed(new))
        return min(t, new_total)

    return mapping


# ---------------------------------------------------------------- media → draft

def empty_draft() -> Draft:
    """A draft with no tracks and the default canvas (9:16, crop, loudness normalised)."""
    w, h = CANVAS["9:16"]
    return {"t": [], "m": {"ratio": "9:16", "w": w, "h": h, "fit": "crop", "loudnorm": True}}


def initial_draft(ctx: PlanContext) -> Draft:
    """The draft for the uploaded media: each item joins the timeline in upload order."""
    draft = empty_draft()
    for item in ctx.media:
        draft = add_media(draft, item)
    return draft


def music_segment_meta(item: MediaItem, keep: dict[str, Any] | None = None) -> dict[str, Any]:
    """Segment ``m`` for a user's audio file as music, keeping volume/fades/duck of ``keep``."""
    meta: dict[str, Any] = {"media": item.id, "src": item.src, "name": item.name,
                            "volume": DEFAULT_MUSIC_VOLUME, "loop": True}
    for key in ("volume", "fade_in", "fade_out", "duck", "loop"):
        if keep and key in keep:
            meta[key] = keep[key]
    return meta


def add_media(draft: Draft, item: MediaItem) -> Draft:
    """A new draft with ``item`` on the timeline.

    Video and images are appended to the video track (the first one also sets the
    canvas); an audio file becomes the music; a ``.srt``/``.vtt`` file becomes the
    caption track, one segment per cue (:class:`InputError` when it has no cues).
    """
    out = copy.deepcopy(draft)
    out.setdefault("t", [])
    out.setdefault("m", {})
    if item.kind in ("video", "image"):
        vt = ensure_track(out, VIDEO, None, "Video")
        if not vt["sg"]:
            set_canvas(out, canvas_for(item.width, item.height))
        dur = item.duration_ms if item.kind == "video" and item.duration_ms > 0 else IMAGE_MS
        meta: dict[str, Any] = {"media": item.id, "src": item.src, "name": item.name,
                                "kind": item.kind, "in": 0}
        if item.kind == "video":
            meta.update(speed=1.0, volume=1.0)
        vt["sg"].append({"s": total_ms(out), "d": dur, "m": meta})
    elif item.kind == "audio":
        old = track(out, AUDIO, "bgm")
        keep = (old["sg"][0].get("m") if old and old["sg"] else None) or None
        remove_track(out, AUDIO, "bgm")
        bgm = ensure_track(out, AUDIO, "bgm", item.name)
        span = total_ms(out) or item.duration_ms
        bgm["sg"].append({"s": 0, "d": span, "m": music_segment_meta(item, keep)})
    elif item.kind == "caption":
        set_caption_cues(out, item)
    else:
        raise InputError(f"{item.name}: unsupported media kind {item.kind!r}", key="error_4001",
                         file=item.name)
    return settle(out)


def set_caption_cues(draft: Draft, item: MediaItem) -> int:
    """Replace the caption track with the cues of a caption file; returns the cue count."""
    from .captions import read_captions

    cues = read_captions(item.src)
    remove_track(draft, TEXT, "caption")
    ct = ensure_track(draft, TEXT, "caption", "Captions")
    for cue in cues:
        ct["sg"].append({"s": cue.start_ms, "d": cue.end_ms - cue.start_ms,
                         "m": {"text": cue.text, "position": "bottom"}})
    return len(cues)
