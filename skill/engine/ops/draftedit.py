"""The uploaded media as the planner sees it, and helpers over the typed draft.

Drafts are :class:`skill.draft.Draft` objects (their wire form is ``docs/draft.md``,
read and written only at the edges). Ops copy a draft once and then use these helpers
on their private copy; the helpers keep the invariants every op relies on (see
:func:`settle`):

* video segments play back to back from 0 (segment *i* starts where *i−1* ends);
* the music (``bgm``) segment spans the whole timeline;
* text segments lie inside the timeline; the cover frame too.

When the video segments change (trim, speed, reorder), :func:`retime` moves captions
with the footage they belong to, while a title that opens the video stays at 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ...draft import AUDIO, CANVAS, HIGH_FPS_MIN, MIN_TEXT_MS, TEXT, VIDEO, Draft, Segment, Track
from ...errors import InputError

IMAGE_MS = 3000            # a still photo is shown this long
DEFAULT_TITLE_MS = 3000    # a title without times opens the video for this long
DEFAULT_MUSIC_VOLUME = 0.3
#: music that comes in later still plays at least this long
MIN_MUSIC_MS = 1000

Seg = Segment


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


def track(draft: Draft, tt: int, role: str | None = None) -> Track | None:
    """The first track of type ``tt`` (and ``role`` when given), or ``None``."""
    for t in draft.tracks:
        if t.type == tt and (role is None or t.role == role):
            return t
    return None


def ensure_track(draft: Draft, tt: int, role: str | None, name: str) -> Track:
    """The track of that type and role, created in drawing order (video, audio, text) if absent."""
    found = track(draft, tt, role)
    if found is not None:
        return found
    new = Track(tt, role=role or None, name=name)
    rank = _RANK.get(tt, 3)
    tracks = draft.tracks
    pos = next((i for i, t in enumerate(tracks) if _RANK.get(t.type, 3) > rank), len(tracks))
    tracks.insert(pos, new)
    return new


def remove_track(draft: Draft, tt: int, role: str | None) -> bool:
    before = len(draft.tracks)
    draft.tracks = [t for t in draft.tracks
                    if not (t.type == tt and (role is None or t.role == role))]
    return len(draft.tracks) != before


def video_segments(draft: Draft) -> list[Segment]:
    t = track(draft, VIDEO)
    return list(t.segments) if t is not None else []


def seg_speed(seg: Segment) -> float:
    value = seg.speed
    return float(value) if value is not None and value > 0 else 1.0


def seg_in(seg: Segment) -> int:
    return int(seg.in_ms) if seg.in_ms is not None else 0


def total_ms(draft: Draft) -> int:
    """Timeline length: the video track when there is one, else the longest track."""
    segs = video_segments(draft)
    if segs:
        return sum(s.dur_ms for s in segs)
    return max((s.end_ms for t in draft.tracks for s in t.segments), default=0)


def canvas_for(width: int, height: int) -> str:
    """Aspect ratio for a source: portrait → 9:16, square → 1:1, landscape → 16:9."""
    if width <= 0 or height <= 0:
        return "9:16"
    if abs(width - height) <= 0.02 * max(width, height):
        return "1:1"
    return "9:16" if height > width else "16:9"


def set_canvas(draft: Draft, ratio: str) -> None:
    draft.ratio = ratio
    draft.width, draft.height = CANVAS[ratio]


# ---------------------------------------------------------------- invariants

def repack(draft: Draft) -> None:
    """Video segments back to back from 0 (in place)."""
    vt = track(draft, VIDEO)
    if vt is not None:
        pos = 0
        for seg in vt.segments:
            seg.start_ms = pos
            pos += seg.dur_ms


def settle(draft: Draft) -> Draft:
    """Re-establish the invariants after an edit (in place; returns the draft)."""
    repack(draft)
    vt = track(draft, VIDEO)
    total = total_ms(draft)
    for t in draft.tracks:
        if t.type == AUDIO and t.role == "bgm" and vt is not None:
            for seg in t.segments:   # from where it comes in (s) to the end
                start = max(0, min(seg.start_ms, total - MIN_MUSIC_MS))
                seg.start_ms, seg.dur_ms = start, total - start
        elif t.type == TEXT and vt is not None:
            kept = []
            for seg in t.segments:
                end = min(seg.end_ms, total)
                if end - seg.start_ms >= MIN_TEXT_MS:
                    seg.dur_ms = end - seg.start_ms
                    kept.append(seg)
            t.segments = kept
    if draft.cover_ms is not None and total:
        draft.cover_ms = max(0, min(int(draft.cover_ms), total - 1))
    return draft


def retime(draft: Draft, mapping: Callable[[int], int], *, reordered: bool = False) -> None:
    """Move text segments and the cover after the video segments changed.

    ``mapping`` turns an old timeline time into the new one. Captions follow their
    footage; a title that starts at 0 keeps opening the video. With ``reordered``
    a caption whose footage moved apart keeps its length.
    """
    for t in draft.tracks:
        if t.type != TEXT:
            continue
        is_title = t.role == "title"
        for seg in t.segments:
            start, dur = seg.start_ms, seg.dur_ms
            if is_title and start == 0:
                continue
            new_start, new_end = mapping(start), mapping(start + dur)
            if new_end <= new_start and reordered:
                new_end = new_start + dur
            seg.start_ms, seg.dur_ms = new_start, max(0, new_end - new_start)
    if draft.cover_ms is not None:
        draft.cover_ms = mapping(int(draft.cover_ms))
    settle(draft)


def keep_map(start: int, end: int) -> Callable[[int], int]:
    """Time map for keeping only [start, end) of the timeline."""
    return lambda t: min(max(t - start, 0), end - start)


def cut_map(start: int, end: int) -> Callable[[int], int]:
    """Time map for removing [start, end) from the timeline."""
    return lambda t: t if t < start else (start if t < end else t - (end - start))


def segment_map(before: list[Segment], after: list[Segment],
                pairs: list[int | None]) -> Callable[[int], int]:
    """Time map when clips changed speed or order: ``pairs[i]`` is where old segment *i*
    went in ``after`` (settled, so ``start_ms`` is set), ``None`` if it was removed."""
    new_total = sum(s.dur_ms for s in after)

    def next_kept(i: int) -> int:
        for k in range(i, len(before)):
            j = pairs[k] if k < len(pairs) else None
            if j is not None:
                return after[j].start_ms
        return new_total

    def mapping(t: int) -> int:
        for i, old in enumerate(before):
            s, d = old.start_ms, old.dur_ms
            if t < s + d or i == len(before) - 1:
                j = pairs[i] if i < len(pairs) else None
                if j is None:
                    return next_kept(i)
                new = after[j]
                src = seg_in(old) + (t - s) * seg_speed(old)
                lo = seg_in(new)
                hi = lo + new.dur_ms * seg_speed(new)
                src = min(max(src, lo), hi)
                return new.start_ms + round((src - lo) / seg_speed(new))
        return min(t, new_total)

    return mapping


# ---------------------------------------------------------------- media → draft

def empty_draft() -> Draft:
    """A draft with no tracks and the default canvas (9:16, crop, loudness normalised)."""
    draft = Draft(fit="crop", loudnorm=True)
    set_canvas(draft, "9:16")
    return draft


def initial_draft(ctx: PlanContext) -> Draft:
    """The draft for the uploaded media: each item joins the timeline in upload order."""
    draft = empty_draft()
    for item in ctx.media:
        draft = add_media(draft, item)
    return draft


#: the music settings a new song takes over from the one it replaces
MUSIC_SETTINGS = ("volume", "fade_in", "fade_out", "duck")


def keep_settings(seg: Segment, old: Segment | None, attrs: tuple[str, ...]) -> Segment:
    """``seg`` with each of ``attrs`` that ``old`` has set taken over from it."""
    for attr in attrs if old is not None else ():
        if getattr(old, attr) is not None:
            setattr(seg, attr, getattr(old, attr))
    return seg


def music_segment(item: MediaItem, span_ms: int, keep: Segment | None = None) -> Segment:
    """The music segment for a user's audio file, keeping volume/fades/duck/loop of ``keep``."""
    seg = Segment(0, span_ms, media=item.id, src=item.src, name=item.name,
                  volume=DEFAULT_MUSIC_VOLUME, loop=True)
    return keep_settings(seg, keep, (*MUSIC_SETTINGS, "loop"))


def add_media(draft: Draft, item: MediaItem) -> Draft:
    """A new draft with ``item`` on the timeline.

    Video and images are appended to the video track (the first one also sets the
    canvas); an audio file becomes the music; a ``.srt``/``.vtt`` file becomes the
    caption track, one segment per cue (:class:`InputError` when it has no cues).
    """
    out = draft.copy()
    if item.kind in ("video", "image"):
        vt = ensure_track(out, VIDEO, None, "Video")
        if not vt.segments:
            set_canvas(out, canvas_for(item.width, item.height))
        dur = item.duration_ms if item.kind == "video" and item.duration_ms > 0 else IMAGE_MS
        seg = Segment(total_ms(out), dur, media=item.id, src=item.src, name=item.name,
                      kind=item.kind, in_ms=0)
        if item.kind == "video":
            seg.speed, seg.volume = 1.0, 1.0
            if out.fps == 60 and 0 < item.fps < HIGH_FPS_MIN:
                out.fps = None   # 60 fps needs every clip shot at 60: back to 30 (said at upload)
        vt.segments.append(seg)
    elif item.kind == "audio":
        old = track(out, AUDIO, "bgm")
        keep = old.segments[0] if old and old.segments else None
        remove_track(out, AUDIO, "bgm")
        bgm = ensure_track(out, AUDIO, "bgm", item.name)
        bgm.segments.append(music_segment(item, total_ms(out) or item.duration_ms, keep))
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
        ct.segments.append(Segment(cue.start_ms, cue.end_ms - cue.start_ms, text=cue.text,
                                   position="bottom"))
    return len(cues)
