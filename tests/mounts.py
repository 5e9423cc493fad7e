"""Real file-system faults for tests, that also work as root (where chmod blocks nothing).

* :func:`tmpfs` mounts a small tmpfs — full after ``size`` bytes (real ENOSPC), or
  read-only (real EROFS). Needs permission to mount (root with CAP_SYS_ADMIN, as in
  this project's CI container); elsewhere the test is skipped, never faked.
* :func:`under_a_file` is a folder path below a regular *file*: every write there
  fails with ENOTDIR, for any user.
* ``/dev/full`` fails every write with ENOSPC, for any user.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)  # noqa: S603, S607


@contextlib.contextmanager
def tmpfs(where: Path, *, size: int = 1024 * 1024, read_only: bool = False) -> Iterator[Path]:
    """A tmpfs of ``size`` bytes mounted at ``where`` (created), unmounted afterwards."""
    where.mkdir(parents=True, exist_ok=True)
    opts = f"size={size}" + (",ro" if read_only else "")
    try:
        done = _mount("-t", "tmpfs", "-o", opts, "tmpfs", str(where))
    except OSError:
        done = None
    if done is None or done.returncode != 0:
        pytest.skip("needs permission to mount a tmpfs (root in the CI container)")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)  # noqa: S603, S607


def remount(where: Path, *, read_only: bool) -> None:
    done = _mount("-o", "remount," + ("ro" if read_only else "rw"), str(where))
    assert done.returncode == 0, done.stderr


def fill(folder: Path) -> None:
    """Write into ``folder`` until its file system is full (ENOSPC)."""
    for name, size in (("filler", 65536), ("filler2", 512)):  # then the last few blocks
        with (folder / name).open("ab", buffering=0) as fh, contextlib.suppress(OSError):
            while True:
                fh.write(b"\0" * size)


def under_a_file(tmp_path: Path) -> Path:
    """A folder path that cannot exist: its parent is a regular file (ENOTDIR)."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file, not a folder")
    return blocker / "home"


def ls_modes(root: Path) -> dict[str, int]:
    """Every entry under ``root`` (and root itself) → its permission bits."""
    out = {".": os.stat(root).st_mode & 0o777}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            out[str(path.relative_to(root))] = os.lstat(path).st_mode & 0o777
    return out
