"""Several clips in one session, each with its own edit ("batch style"). Pure functions
over raw drafts: the one place that reads and writes the clip set.

A session's draft is the *joined* timeline (every uploaded clip one after another, as
the cloud and ``igedit serve`` clients see it). When the clips are edited separately,
the draft's metadata also holds one draft per clip (``docs/draft.md``, "Clips edited
separately")::

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
from dataclasses import dataclass
from typing import Any

VIDEO, AUDIO, TEXT = 0, 1, 7
KEY = "batch"
EACH, JOIN = "each", "join"
#: text shorter than this after a split is dropped (as a trim drops it)
_MIN_TEXT_MS = 100

Raw = dict[str, Any]


@dataclass(frozen=True)
class Clip:
    """One clip of the session: 0-based ``index``, its media id, file name and own draft."""

    index: int
    media: str
    name: str
    draft: Raw

    @property
    def stem(self) -> str:
        return self.name.rsplit(".", 1)[0] if "." in self.name else self.name

    @property
    def label(self) -> str:
        return f"{self.index + 1}"


def _meta(raw: Any) -> dict[str, Any]:
    meta = raw.get("m") if isinstance(raw, dict) else None
    return meta if isinstance(meta, dict) else {}


def _batch(raw: Any) -> dict[str, Any]:
    value = _meta(raw).get(KEY)
    return value if isinstance(value, dict) else {}


def mode(raw: Any) -> str:
    """``"each"`` when the clips are edited separately, else ``"join"``."""
    return EACH if _batch(raw).get("mode") == EACH else JOIN


def focus(raw: Any) -> list[int] | None:
    """The clips an edit naming none goes to (None: every clip)."""
    value = _batch(raw).get("focus")
    if isinstance(value, list) and value and all(isinstance(i, int) for i in value):
        return [int(i) for i in value]
    return None


def stored(raw: Any) -> list[Clip]:
    """The per-clip drafts kept in the draft (empty when the clips were never separated)."""
    out: list[Clip] = []
    items = _batch(raw).get("clips")
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("draft"), dict):
            out.append(Clip(len(out), str(item.get("media") or ""), str(item.get("name") or ""),
                            item["draft"]))
    return out


def joined(raw: Raw) -> Raw:
    """The joined timeline alone (no clip set): what a render of the whole session uses."""
    out = dict(raw)
    meta = dict(_meta(raw))
    meta.pop(KEY, None)
    out["m"] = meta
    return out


def visual_media(raw: Any, order: list[str] | None = None) -> list[tuple[str, str]]:
    """``(media id, file name)`` of every clip or photo on the joined video track, once
    each, in ``order`` (the session's upload order) when given, else in play order."""
    seen: dict[str, str] = {}
    tracks = raw.get("t") if isinstance(raw, dict) else None
    for t in tracks if isinstance(tracks, list) else []:
        if not isinstance(t, dict) or t.get("tt") != VIDEO:
            continue
        for seg in t.get("sg") or []:
            meta = seg.get("m") if isinstance(seg, dict) else None
            if not isinstance(meta, dict):
                continue
            media = meta.get("media")
            if isinstance(media, str) and media and media not in seen:
                seen[media] = str(meta.get("name") or media)
        break
    if order:
        rank = {m: i for i, m in enumerate(order)}
        return sorted(seen.items(), key=lambda kv: rank.get(kv[0], len(rank)))
    return list(seen.items())


def several(raw: Any) -> bool:
    """The session has more than one clip (the only case where clips can be addressed)."""
    return len(visual_media(raw)) > 1 or len(stored(raw)) > 1


def clips(raw: Raw, order: list[str] | None = None) -> list[Clip]:
    """Every clip with its own draft: the stored ones in ``each`` mode, else the joined
    timeline cut into one draft per clip (:func:`split`)."""
    if mode(raw) == EACH:
        return stored(raw)
    return split(raw, order)


def with_clips(raw: Raw, items: list[Clip], *, new_mode: str | None = None,
               new_focus: list[int] | None | bool = False) -> Raw:
    """A copy of ``raw`` holding ``items`` as its clip set (``new_focus=False``: keep it)."""
    out = dict(raw)
    meta = dict(_meta(raw))
    batch = dict(_batch(raw))
    batch["mode"] = new_mode or batch.get("mode") or EACH
    batch["clips"] = [{"media": c.media, "name": c.name, "draft": c.draft} for c in items]
    if new_focus is not False:
        if new_focus:
            batch["focus"] = list(new_focus)  # type: ignore[arg-type]
        else:
            batch.pop("focus", None)
    meta[KEY] = batch
    out["m"] = meta
    return out


def set_mode(raw: Raw, new_mode: str) -> Raw:
    """A copy of ``raw`` in ``new_mode``; going to ``each`` keeps the clips' own drafts
    from before and cuts a draft from the joined timeline for any clip without one."""
    if new_mode == JOIN:
        if not _batch(raw):
            return raw
        out = dict(raw)
        meta = dict(_meta(raw))
        meta[KEY] = {**_batch(raw), "mode": JOIN}
        out["m"] = meta
        return out
    have = {c.media: c for c in stored(raw)}
    items = [have.get(c.media, c) for c in split(raw)]
    items = [Clip(i, c.media, c.name, c.draft) for i, c in enumerate(items)]
    return with_clips(raw, items, new_mode=EACH, new_focus=None)


# ---------------------------------------------------------------- split

def _spans(segs: list[dict[str, Any]], media: str) -> list[tuple[int, int, int]]:
    """``(start, end, new start)`` of each of ``media``'s segments on the joined track."""
    out: list[tuple[int, int, int]] = []
    at = 0
    for seg in segs:
        meta = seg.get("m") or {}
        if meta.get("media") != media:
            continue
        start, dur = int(seg.get("s") or 0), int(seg.get("d") or 0)
        out.append((start, start + dur, at))
        at += dur
    return out


def _map(spans: list[tuple[int, int, int]], a: int, b: int) -> list[tuple[int, int]]:
    """The parts of the joined span [a, b) that fall in the clip, on the clip's timeline."""
    out = []
    for start, end, new in spans:
        lo, hi = max(a, start), min(b, end)
        if hi > lo:
            out.append((new + lo - start, new + hi - start))
    return out


def split(raw: Raw, order: list[str] | None = None) -> list[Clip]:
    """The joined timeline as one draft per clip: the clip's own segments (with their
    trims and speeds), the session's canvas and look, the music over the whole clip,
    and the titles and captions that fall inside the clip, moved with it."""
    base = joined(raw)
    tracks = [t for t in base.get("t") or [] if isinstance(t, dict)]
    video = next((t for t in tracks if t.get("tt") == VIDEO), None)
    if video is None:
        return []
    segs = [s for s in video.get("sg") or [] if isinstance(s, dict)]
    out: list[Clip] = []
    for media, name in visual_media(base, order):
        spans = _spans(segs, media)
        total = sum(end - start for start, end, _ in spans)
        new_tracks: list[dict[str, Any]] = []
        for t in tracks:
            if t is video:
                sg = [dict(copy.deepcopy(s), s=new) for s in segs
                      for start, _, new in spans
                      if (s.get("m") or {}).get("media") == media and int(s.get("s") or 0) == start]
            elif t.get("tt") == AUDIO:
                sg = [dict(copy.deepcopy(s), s=0, d=total) for s in (t.get("sg") or [])[:1]]
            else:
                sg = []
                for s in t.get("sg") or []:
                    a = int(s.get("s") or 0)
                    for lo, hi in _map(spans, a, a + int(s.get("d") or 0)):
                        if hi - lo >= _MIN_TEXT_MS:
                            sg.append(dict(copy.deepcopy(s), s=lo, d=hi - lo))
            if sg:
                new_tracks.append({**copy.deepcopy({k: v for k, v in t.items() if k != "sg"}),
                                   "sg": sg})
        meta = copy.deepcopy(_meta(base))
        cover = meta.pop("cover_ms", None)
        if isinstance(cover, int):
            moved = _map(spans, cover, cover + 1)
            if moved:
                meta["cover_ms"] = moved[0][0]
        out.append(Clip(len(out), media, name, {"t": new_tracks, "m": meta}))
    return out


__all__ = ["EACH", "JOIN", "KEY", "Clip", "clips", "focus", "joined", "mode", "set_mode",
           "several", "split", "stored", "visual_media", "with_clips"]
