"""Several clips in one session, each with its own edit ("batch style"). Pure functions
over the typed draft (:class:`skill.draft.Draft`): the one place that reads and writes
the clip set.

A session's draft is the *joined* timeline (every uploaded clip one after another, as
the cloud and ``igedit serve`` clients see it). When the clips are edited separately,
the draft also holds one draft per clip, :attr:`Draft.batch <skill.draft.Draft.batch>`
(on the wire ``m.batch``, ``docs/draft.md``, "Clips edited separately")::

    "m": {..., "batch": {"mode": "each", "focus": [1],
                         "clips": [{"media": "<id>", "name": "red.mp4", "draft": {"t": […], "m": {…}}},
                                   …]}}

* ``mode``: ``"each"`` (every clip its own edit and render) or ``"join"`` (the joined
  timeline; the per-clip drafts are kept, so going back to ``each`` finds them);
* ``focus``: indices (0-based) of the clips the latest edit addressed; an edit that
  names no clip goes to them (absent: every clip);
* ``clips``: in upload order; each ``draft`` is an ordinary one-clip draft.

A draft without ``batch`` is in join mode (every cloud draft is). Undo needs nothing
special: the whole draft, clip set included, is one revision of the session.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from typing import Any

from .draft import AUDIO, MIN_TEXT_MS, VIDEO, Batch, BatchClip, Draft, Segment, Track

KEY = "batch"
EACH, JOIN = "each", "join"


@dataclass(frozen=True)
class Clip:
    """One clip of the session: 0-based ``index``, its media id, file name and own draft."""

    index: int
    media: str
    name: str
    draft: Draft

    @property
    def stem(self) -> str:
        return self.name.rsplit(".", 1)[0] if "." in self.name else self.name

    @property
    def label(self) -> str:
        return f"{self.index + 1}"


def mode(draft: Draft) -> str:
    """``"each"`` when the clips are edited separately, else ``"join"``."""
    return EACH if draft.batch is not None and draft.batch.mode == EACH else JOIN


def focus(draft: Draft) -> list[int] | None:
    """The clips an edit naming none goes to (None: every clip)."""
    value = draft.batch.focus if draft.batch is not None else None
    return list(value) if value else None


def stored(draft: Draft) -> list[Clip]:
    """The per-clip drafts kept in the draft (empty when the clips were never separated)."""
    items = draft.batch.clips if draft.batch is not None else []
    return [Clip(i, c.media, c.name, c.draft) for i, c in enumerate(items)]


def _without_batch(draft: Draft) -> dict[str, Any]:
    return {k: v for k, v in draft.extra.items() if k != KEY}


def joined(draft: Draft) -> Draft:
    """The joined timeline alone (no clip set): what a render of the whole session uses."""
    return replace(draft, batch=None, extra=_without_batch(draft)).copy()


def visual_media(draft: Draft, order: list[str] | None = None) -> list[tuple[str, str]]:
    """``(media id, file name)`` of every clip or photo on the joined video track, once
    each, in ``order`` (the session's upload order) when given, else in play order."""
    seen: dict[str, str] = {}
    video = next((t for t in draft.tracks if t.type == VIDEO), None)
    for seg in video.segments if video is not None else []:
        if seg.media and seg.media not in seen:
            seen[seg.media] = seg.name or seg.media
    if order:
        rank = {m: i for i, m in enumerate(order)}
        return sorted(seen.items(), key=lambda kv: rank.get(kv[0], len(rank)))
    return list(seen.items())


def several(draft: Draft) -> bool:
    """The session has more than one clip (the only case where clips can be addressed)."""
    return len(visual_media(draft)) > 1 or len(stored(draft)) > 1


def clips(draft: Draft, order: list[str] | None = None) -> list[Clip]:
    """Every clip with its own draft: the stored ones in ``each`` mode, else the joined
    timeline cut into one draft per clip (:func:`split`)."""
    if mode(draft) == EACH:
        return stored(draft)
    return split(draft, order)


def with_clips(draft: Draft, items: list[Clip], *, new_mode: str | None = None,
               new_focus: list[int] | None | bool = False) -> Draft:
    """A copy of ``draft`` holding ``items`` as its clip set (``new_focus=False``: keep it)."""
    old = draft.batch
    batch = Batch(mode=new_mode or (old.mode if old is not None else "") or EACH,
                  focus=old.focus if old is not None else None,
                  clips=[BatchClip(c.media, c.name, c.draft) for c in items],
                  extra=dict(old.extra) if old is not None else {})
    if new_focus is not False:
        batch.focus = list(new_focus) if isinstance(new_focus, list) and new_focus else None
    return replace(draft, batch=batch, extra=_without_batch(draft)).copy()


def set_mode(draft: Draft, new_mode: str) -> Draft:
    """A copy of ``draft`` in ``new_mode``; going to ``each`` keeps the clips' own drafts
    from before and cuts a draft from the joined timeline for any clip without one."""
    if new_mode == JOIN:
        if draft.batch is None:
            return draft
        out = draft.copy()
        assert out.batch is not None
        out.batch.mode = JOIN
        return out
    have = {c.media: c for c in stored(draft)}
    items = [have.get(c.media, c) for c in split(draft)]
    items = [Clip(i, c.media, c.name, c.draft) for i, c in enumerate(items)]
    return with_clips(draft, items, new_mode=EACH, new_focus=None)


# ---------------------------------------------------------------- split

def _spans(segs: list[Segment], media: str) -> list[tuple[int, int, int]]:
    """``(start, end, new start)`` of each of ``media``'s segments on the joined track."""
    out: list[tuple[int, int, int]] = []
    at = 0
    for seg in segs:
        if seg.media != media:
            continue
        out.append((seg.start_ms, seg.end_ms, at))
        at += seg.dur_ms
    return out


def _map(spans: list[tuple[int, int, int]], a: int, b: int) -> list[tuple[int, int]]:
    """The parts of the joined span [a, b) that fall in the clip, on the clip's timeline."""
    out = []
    for start, end, new in spans:
        lo, hi = max(a, start), min(b, end)
        if hi > lo:
            out.append((new + lo - start, new + hi - start))
    return out


def _moved(seg: Segment, start: int, dur: int | None = None) -> Segment:
    out = seg.copy()
    out.start_ms = start
    if dur is not None:
        out.dur_ms = dur
    return out


def split(draft: Draft, order: list[str] | None = None) -> list[Clip]:
    """The joined timeline as one draft per clip: the clip's own segments (with their
    trims and speeds), the session's canvas and look, the music over the whole clip,
    and the titles and captions that fall inside the clip, moved with it."""
    base = replace(draft, batch=None, extra=_without_batch(draft))   # copied piece by piece
    video = next((t for t in base.tracks if t.type == VIDEO), None)
    if video is None:
        return []
    segs = video.segments
    settings = replace(base, tracks=[], cover_ms=None)
    out: list[Clip] = []
    for media, name in visual_media(base, order):
        spans = _spans(segs, media)
        total = sum(end - start for start, end, _ in spans)
        new_tracks: list[Track] = []
        for t in base.tracks:
            if t is video:
                sg = [_moved(s, new) for s in segs for start, _, new in spans
                      if s.media == media and s.start_ms == start]
            elif t.type == AUDIO:
                sg = [_moved(s, 0, total) for s in t.segments[:1]]
            else:
                sg = [_moved(s, lo, hi - lo) for s in t.segments
                      for lo, hi in _map(spans, s.start_ms, s.end_ms) if hi - lo >= MIN_TEXT_MS]
            if sg:
                new_tracks.append(Track(t.type, t.role, t.name, sg, copy.deepcopy(t.extra)))
        clip = settings.copy()
        clip.tracks = new_tracks
        cover = base.cover_ms
        if isinstance(cover, int):
            moved = _map(spans, cover, cover + 1)
            if moved:
                clip.cover_ms = moved[0][0]
        out.append(Clip(len(out), media, name, clip))
    return out


__all__ = ["EACH", "JOIN", "KEY", "Clip", "clips", "focus", "joined", "mode", "set_mode",
           "several", "split", "stored", "visual_media", "with_clips"]
