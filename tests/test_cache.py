"""Engine caches stay within their size: least recently used first, never a file in use."""

from __future__ import annotations

import os
import time
from pathlib import Path

from skill.engine.render.cache import prune, remove_stale, touch

NOW = 1_800_000_000.0
HOUR = 3600.0


def _file(folder: Path, name: str, size: int, used_hours_ago: float) -> Path:
    path = folder / name
    path.write_bytes(b"x" * size)
    t = NOW - used_hours_ago * HOUR
    os.utime(path, (t, t))
    return path


def test_prune_drops_least_recently_used_until_it_fits(tmp_path: Path) -> None:
    old = _file(tmp_path, "old.mp4", 400, 72)
    mid = _file(tmp_path, "mid.mp4", 400, 24)
    new = _file(tmp_path, "new.mp4", 400, 2)
    other = _file(tmp_path, "notes.txt", 5000, 100)     # not matched by the pattern
    gone = prune(tmp_path, "*.mp4", max_bytes=900, now=NOW)
    assert gone == [old]
    assert not old.exists() and mid.exists() and new.exists() and other.exists()
    assert prune(tmp_path, "*.mp4", max_bytes=900, now=NOW) == []     # fits now


def test_prune_never_deletes_files_used_recently(tmp_path: Path) -> None:
    a = _file(tmp_path, "a.wav", 1000, 0.5)
    b = _file(tmp_path, "b.wav", 1000, 0.1)
    assert prune(tmp_path, "*.wav", max_bytes=10, now=NOW) == []
    assert a.exists() and b.exists()
    # once they have not been used for an hour they may go, oldest first
    assert prune(tmp_path, "*.wav", max_bytes=1000, now=NOW + 2 * HOUR) == [a]


def test_touch_marks_a_file_as_used(tmp_path: Path) -> None:
    now = time.time()
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    for path, hours in ((a, 50), (b, 40)):
        path.write_bytes(b"x" * 100)
        os.utime(path, (now - hours * HOUR, now - hours * HOUR))
    touch(a)                          # a was just used: b is now the least recent
    touch(tmp_path / "vanished.mp4")  # never raises
    assert prune(tmp_path, "*.mp4", max_bytes=100, now=now + 2 * HOUR) == [b]


def test_prune_and_remove_stale_tolerate_missing_folders(tmp_path: Path) -> None:
    assert prune(tmp_path / "nope", "*", max_bytes=0) == []
    assert remove_stale(tmp_path / "nope", "*", older_than_s=0) == []


def test_remove_stale_drops_only_old_leftovers(tmp_path: Path) -> None:
    dead = _file(tmp_path, ".x.1234.partial.mp4", 10, 12)
    live = _file(tmp_path, ".y.5678.partial.mp4", 10, 0.2)
    keep = _file(tmp_path, "y.mp4", 10, 12)
    assert remove_stale(tmp_path, ".*.partial.mp4", older_than_s=6 * HOUR, now=NOW) == [dead]
    assert live.exists() and keep.exists()
