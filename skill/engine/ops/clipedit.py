"""Media added to a session whose clips are edited separately (see :mod:`skill.clipset`).

The joined timeline always gets the new file (:func:`~.draftedit.add_media`), so joining
later includes it. In ``each`` mode a new clip or photo also gets its own draft (cut
from the joined timeline: the session's canvas, look and music), and a song or caption
file goes to the clips an unaddressed edit goes to.
"""

from __future__ import annotations

from ... import clipset
from ...draft import Draft
from .draftedit import MediaItem, add_media


def add_media_batch(draft: Draft, item: MediaItem) -> Draft:
    """``draft`` with ``item`` added to the joined timeline and, in ``each`` mode, to the clips."""
    out = add_media(draft, item)
    if clipset.mode(out) != clipset.EACH:
        return out
    items = clipset.stored(out)
    if item.kind in ("video", "image"):
        cut = next((c for c in clipset.split(out) if c.media == item.id), None)
        if cut is not None and all(c.media != item.id for c in items):
            items.append(clipset.Clip(len(items), cut.media, cut.name, cut.draft))
    else:
        chosen = clipset.focus(out) or list(range(len(items)))
        items = [clipset.Clip(c.index, c.media, c.name, add_media(c.draft, item))
                 if c.index in chosen else c for c in items]
    return clipset.with_clips(out, items)


__all__ = ["add_media_batch"]
