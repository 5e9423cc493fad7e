"""Keeping the engine's caches (preview proxies, synthesised music) within a size.

Cached files are touched each time they are used, so their mtime says when they were
last needed; pruning deletes the least recently used until the folder fits, and never
a file used within the last ``min_age_s`` (a render may be reading it right now).
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

#: preview proxies: ~25 MB per minute of 1080p footage, so about 80 minutes of clips
PROXY_CACHE_BYTES = 2 * 1024**3
#: synthesised music: ~11.5 MB per minute of track
MUSIC_CACHE_BYTES = 512 * 1024**2


def touch(path: Path) -> None:
    """Mark a cached file as just used (a read-only or vanished file is left alone)."""
    with contextlib.suppress(OSError):
        os.utime(path)


def prune(folder: Path, pattern: str, *, max_bytes: int, min_age_s: float = 3600.0,
          now: float | None = None) -> list[Path]:
    """Delete the least recently used ``pattern`` files of ``folder`` until their total
    size is at most ``max_bytes``; files used within ``min_age_s`` always stay.
    Returns what was deleted. Never raises for a file it cannot stat or delete."""
    now = time.time() if now is None else now
    entries: list[tuple[float, int, Path]] = []
    try:
        candidates = list(Path(folder).glob(pattern))
    except OSError:
        return []
    for path in candidates:
        with contextlib.suppress(OSError):
            st = path.stat()
            if path.is_file():
                entries.append((st.st_mtime, st.st_size, path))
    total = sum(size for _, size, _ in entries)
    deleted: list[Path] = []
    for mtime, size, path in sorted(entries):
        if total <= max_bytes:
            break
        if now - mtime < min_age_s:
            break  # sorted oldest first: everything after this is recent too
        try:
            path.unlink()
        except OSError:
            continue
        total -= size
        deleted.append(path)
    if deleted:
        log.info("cache.pruned", folder=str(folder), files=len(deleted))
    return deleted


def remove_stale(folder: Path, pattern: str, *, older_than_s: float,
                 now: float | None = None) -> list[Path]:
    """Delete ``pattern`` files not modified for ``older_than_s`` (leftovers of work
    that was killed before it could clean up)."""
    now = time.time() if now is None else now
    gone: list[Path] = []
    with contextlib.suppress(OSError):
        for path in Path(folder).glob(pattern):
            with contextlib.suppress(OSError):
                if now - path.stat().st_mtime > older_than_s:
                    path.unlink()
                    gone.append(path)
    return gone
