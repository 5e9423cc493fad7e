"""Scene counts for ``igedit status``: read from the cached analysis of local clips only
(never analyses: status must stay instant)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from .analysis import load


def local_path(media: Any) -> Path | None:
    """The file behind a local media item (a ``file:`` URL), or None."""
    url = str(getattr(media, "url", "") or "")
    if not url.startswith("file:"):
        return None
    path = Path(unquote(urlparse(url).path))
    return path if path.is_file() else None


def scene_count(media: Any) -> int | None:
    """How many scenes a local video clip has, once analysed; None otherwise."""
    if getattr(media, "kind", "") != "video":
        return None
    path = local_path(media)
    if path is None:
        return None
    try:
        found = load(path)
    except OSError:
        return None
    return len(found.scenes) if found is not None else None
