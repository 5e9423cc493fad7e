"""Private files: everything igedit keeps under ``IGEDIT_HOME`` is 0600, its folders 0700.

The state folder holds serve's bearer tokens (``engine.sqlite``), the cloud token
(``auth.json``), the user's uploaded media, renders, preview proxies and caches:
nothing another account on the machine should read. So files are *created* private
(``os.open(..., 0o600)``, ffmpeg children run with umask 077 — see
:mod:`skill.engine.render.ffmpeg`) and folders are made 0700, rather than fixed afterwards,
which would leave a window where the file is readable.

Exports are the user's files, not igedit's: they are written with the user's umask
like any other program's output.

The process umask is never changed: it is process-wide (other threads, a host that
imports igedit as a library) and exports must keep the user's.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
#: folders of the home that are igedit's alone (fixed recursively when found open)
OWN_FOLDERS = ("media", "renders", "work", "proxies", "music")
#: files of the home's top level that are igedit's
_OWN_FILE_SUFFIXES = (".json", ".sqlite", ".sqlite-wal", ".sqlite-shm", ".lock", ".checked")


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) as 0700 folders; an existing folder is
    left as it is. Returns ``path``."""
    path = Path(path)
    missing: list[Path] = []
    probe = path
    while not probe.is_dir():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            if not folder.is_dir():  # a file where a folder should be
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR),
                                         str(folder)) from None
            continue
        # mkdir's mode is filtered by the umask; make it exactly 0700
        os.chmod(folder, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty and 0600 (an existing file is truncated and made 0600)."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return Path(path)


def write_private(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` as a 0600 file."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        view = memoryview(raw)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _fix(path: Path, mode: int) -> None:
    with contextlib.suppress(OSError):
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode):
            return
        if stat.S_IMODE(st.st_mode) & 0o077:
            os.chmod(path, mode)


def _is_own_file(name: str) -> bool:
    return (name.endswith(_OWN_FILE_SUFFIXES) or ".corrupt-" in name
            or name in ("chat_history",) or name.endswith(".tmp")
            or name.startswith(".igedit-probe-"))


def secure_home(home: Path) -> None:
    """Make what igedit owns in ``home`` private: a home from an older version (files
    0644, folders 0755) is fixed once. Cheap when already private (a few ``stat``s).

    Only igedit's own entries are touched: ``IGEDIT_HOME`` may point at a folder that
    also holds the user's other files. The home folder itself is made 0700 only when
    it holds nothing but igedit's entries (never ``/tmp`` or the user's home).
    """
    home = Path(home)
    try:
        entries = list(os.scandir(home))
    except OSError:
        return
    only_ours = True
    for entry in entries:
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False) and entry.name in OWN_FOLDERS:
            with contextlib.suppress(OSError):
                if stat.S_IMODE(entry.stat(follow_symlinks=False).st_mode) & 0o077:
                    _tighten_tree(path)
        elif entry.is_file(follow_symlinks=False) and _is_own_file(entry.name):
            _fix(path, FILE_MODE)
        else:
            only_ours = False
    if only_ours:
        _fix(home, DIR_MODE)


def _tighten_tree(root: Path) -> None:
    _fix(root, DIR_MODE)
    for folder, dirs, files in os.walk(root):
        for d in dirs:
            _fix(Path(folder) / d, DIR_MODE)
        for f in files:
            _fix(Path(folder) / f, FILE_MODE)


__all__ = ["DIR_MODE", "FILE_MODE", "private_dir", "private_file", "secure_home",
           "write_private"]
