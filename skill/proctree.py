"""The chain of parent processes, read from ``/proc`` (Linux).

Where there is no ``/proc`` we use ``psutil`` if it happens to be installed, else give up
(an empty chain): the platform then falls through to the next rule. Nothing here raises.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MAX_DEPTH = 64


@dataclass(frozen=True)
class Proc:
    pid: int
    name: str  # the kernel's short name (``comm``), at most 15 characters on Linux
    argv: tuple[str, ...]


def parse_stat(text: str) -> tuple[str, int]:
    """``(comm, ppid)`` from the text of ``/proc/<pid>/stat``.

    ``comm`` sits in parentheses and may itself contain spaces or ``)``, so the fields
    after it are found from the *last* ``)``.
    """
    start, end = text.index("("), text.rindex(")")
    fields = text[end + 2 :].split()
    return text[start + 1 : end], int(fields[1])


def _read_proc(root: Path, pid: int) -> tuple[Proc, int] | None:
    try:
        name, ppid = parse_stat((root / str(pid) / "stat").read_text(errors="replace"))
        raw = (root / str(pid) / "cmdline").read_bytes()
    except (OSError, ValueError, IndexError):
        return None
    argv = tuple(a.decode(errors="replace") for a in raw.split(b"\0") if a)
    return Proc(pid, name, argv), ppid


def ancestors(pid: int | None = None, *, root: Path = Path("/proc")) -> Iterator[Proc]:
    """The parent of ``pid`` (default: this process), its parent, … up to (not incl.) pid 1."""
    if not (root / "self").exists() and root == Path("/proc"):
        yield from _psutil_ancestors(pid)
        return
    current = os.getpid() if pid is None else pid
    first = _read_proc(root, current)
    if first is None:
        return
    ppid = first[1]
    for _ in range(MAX_DEPTH):
        if ppid <= 1:
            return
        found = _read_proc(root, ppid)
        if found is None:
            return
        proc, ppid = found
        yield proc


def _psutil_ancestors(pid: int | None) -> Iterator[Proc]:
    try:
        import psutil  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        return
    try:
        parents = psutil.Process(pid).parents()
    except Exception:  # noqa: BLE001 - psutil's errors vary by platform; give up quietly
        return
    for parent in parents[:MAX_DEPTH]:
        if parent.pid <= 1:
            return
        try:
            yield Proc(parent.pid, parent.name(), tuple(parent.cmdline()))
        except Exception:  # noqa: BLE001
            return


__all__ = ["MAX_DEPTH", "Proc", "ancestors", "parse_stat"]
