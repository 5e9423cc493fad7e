"""File-system faults as errors a user can act on: full disks, folders we cannot write.

Every place that writes a file the user asked for (an export, the state folder)
turns an :class:`OSError` into a :class:`~skill.errors.SkillError` here, once, so the
user reads "the disk is full" or "that folder cannot be written (Read-only file
system)" with the fix — never a traceback. Checks are made by *writing*: a folder's
mode bits say nothing as root, on a read-only mount or on a full disk.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from pathlib import Path

from .errors import InputError, SkillError, StoreError

#: how a full disk shows up in texts we only have as strings (ffmpeg's stderr tail,
#: SQLite's message, a failed job's stored error)
DISK_FULL_TEXTS = ("no space left on device", "disk is full", "disk full", "[errno 28]",
                   os.strerror(errno.ENOSPC).lower())
#: errnos meaning "out of room", not "not allowed"
_FULL = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})


def is_disk_full(fault: BaseException | str | None) -> bool:
    """Whether an error (or the text of one) says the disk (or quota) is full."""
    if fault is None:
        return False
    if isinstance(fault, OSError) and fault.errno in _FULL:
        return True
    text = str(fault).lower()
    return any(t in text for t in DISK_FULL_TEXTS)


def reason(exc: OSError) -> str:
    """The short, human part of an OSError ("Read-only file system")."""
    return exc.strerror or str(exc) or type(exc).__name__


def probe_writable(folder: Path) -> OSError | None:
    """Write (and remove) a small file in ``folder``; the error when that fails.

    A byte is written and flushed so a full disk is noticed too, not only a folder
    we may not create files in.
    """
    probe = Path(folder) / f".igedit-probe-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except OSError as exc:
        return exc
    try:
        os.write(fd, b"\0" * 4096)
        os.fsync(fd)
    except OSError as exc:
        return exc
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(probe)
    return None


def export_error(exc: OSError, dest: Path, *, rendered: bool) -> SkillError:
    """The error for an export that could not be written to ``dest``.

    ``rendered``: the render is done and stays pending, so the message says how to
    save it elsewhere (``igedit export --resume -o``) instead of rendering again.
    """
    folder = str(Path(dest).parent)
    if is_disk_full(exc):
        return InputError(f"{folder}: disk full", key="export_disk_full", folder=folder,
                          file=str(dest), reason=reason(exc), rendered=rendered)
    return InputError(f"{folder} is not writable: {reason(exc)}", key="export_unwritable",
                      folder=folder, file=str(dest), reason=reason(exc), rendered=rendered)


def check_export_folder(dest: Path, *, rendered: bool = False) -> None:
    """Raise the export error now when ``dest``'s folder cannot take a file."""
    problem = probe_writable(Path(dest).parent)
    if problem is not None:
        raise export_error(problem, dest, rendered=rendered) from problem


def home_error(exc: BaseException, home: Path, what: str = "") -> StoreError:
    """The error for the state folder (``IGEDIT_HOME``) refusing a write."""
    detail = reason(exc) if isinstance(exc, OSError) else str(exc)
    if is_disk_full(exc):
        return StoreError(f"{home}: disk full", key="error_disk_full", home=str(home),
                          folder=str(home), reason=detail)
    message = f"cannot write {what or home}: {detail}"
    return StoreError(message, key="error_store", home=str(home), detail=message)


def os_error(exc: OSError, home: Path) -> SkillError:
    """Last resort at the front door for an OSError no handler mapped: a full disk is
    named as such; anything else says what failed on which file, never a traceback."""
    if is_disk_full(exc):
        return home_error(exc, home)
    where = f" ({exc.filename})" if exc.filename else ""
    return SkillError(f"{reason(exc)}{where}", key="error_generic")


__all__ = ["check_export_folder", "os_error", "export_error", "home_error", "is_disk_full",
           "probe_writable", "reason"]
