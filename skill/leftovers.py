"""What killed processes leave behind, and sweeping it — never what a live one is using.

A process that is killed (``kill -9``, a closed laptop, an out-of-memory kill) cannot
clean up: a half-downloaded export (``.igedit-export-*/``), an upload being received
(``media/.incoming-*``, up to 500 MB), a render's partial output and its work folder.
So every such name carries its owner's **process tag** — the pid *and* the
process's start time — and the next igedit that starts deletes the ones whose owner
is gone. Checking the start time as well as the pid means a recycled pid (a new,
unrelated process that happens to get the same number) never keeps a leftover alive
forever, and — the direction that matters — a live owner is always recognised.

The start time is the kernel's (``/proc/<pid>/stat``, clock ticks since boot, Linux);
where it cannot be read the tag says ``0`` and only the pid is checked.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

#: ``<pid>-<start ticks>``, optionally followed by ``-<random>``, inside a leftover's name
TAG = r"(?P<pid>\d+)-(?P<ticks>\d+)"
#: the patterns of leftovers; each has the named groups ``pid`` and ``ticks``
EXPORT_STAGING = re.compile(rf"^\.igedit-export-{TAG}-[A-Za-z0-9_]+$")
INCOMING = re.compile(rf"^\.incoming-{TAG}-[0-9a-f]+(\.[A-Za-z0-9]+)?$")
RENDER_PART = re.compile(rf"^\..+\.{TAG}-[0-9a-f]+\.part\.mp4(\.partial)?$")
WORK_DIR = re.compile(rf"^.+-{TAG}-[0-9a-f]+$")
PROXY_PART = re.compile(rf"^\.[0-9a-f]+\.{TAG}-[0-9a-f]+\.partial\.mp4$")
#: names written before the start time was part of the tag (pid only)
_OLD = {
    "incoming": re.compile(r"^\.incoming-(?P<pid>\d+)-[0-9a-f]{12}(\.[A-Za-z0-9]+)?$"),
    "work": re.compile(r"^.+-(?P<pid>\d+)-[0-9a-f]{8}$"),
    "part": re.compile(r"^\..+\.(?P<pid>\d+)-[0-9a-f]{8}\.part\.mp4(\.partial)?$"),
}


def start_ticks(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot), or None when unknown."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after the last ")"
    fields = raw[raw.rfind(b")") + 2:].split()
    try:
        return int(fields[19])  # field 22 overall
    except (IndexError, ValueError):
        return None


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return False
    return True


_MINE: tuple[int, str] | None = None


def process_tag() -> str:
    """This process's tag, ``<pid>-<start ticks>`` (recomputed after a fork)."""
    global _MINE
    pid = os.getpid()
    if _MINE is None or _MINE[0] != pid:
        _MINE = (pid, f"{pid}-{start_ticks(pid) or 0}")
    return _MINE[1]


def alive(pid: int, ticks: int | None) -> bool:
    """Whether the process that wrote a tag is still running (the same process:
    a pid now used by a process that started at another time is not it)."""
    if not pid_alive(pid):
        return False
    if not ticks:
        return True  # no start time recorded: the pid is all we can go by
    now = start_ticks(pid)
    return now is None or now == ticks


def owner_alive(match: re.Match[str]) -> bool:
    ticks = match.groupdict().get("ticks")
    return alive(int(match["pid"]), int(ticks) if ticks else None)


def _remove(path: Path) -> bool:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        log.warning("leftover.not_removed", path=str(path), error=str(exc))
        return False
    return True


def sweep(folder: Path, patterns: Iterable[re.Pattern[str]]) -> list[Path]:
    """Delete the entries of ``folder`` matching one of ``patterns`` whose owner
    process is gone. Returns what was deleted; never raises."""
    gone: list[Path] = []
    pats = tuple(patterns)
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return gone
    for entry in entries:
        for pat in pats:
            m = pat.match(entry.name)
            if m is None:
                continue
            if not owner_alive(m) and _remove(Path(entry.path)):
                gone.append(Path(entry.path))
            break
    if gone:
        log.info("leftovers.swept", folder=str(folder), count=len(gone))
    return gone


def sweep_home(home: Path) -> list[Path]:
    """Sweep the engine's folders in ``home``: uploads being received, render
    partials, work folders and half-made proxies of processes that are gone."""
    home = Path(home)
    gone = sweep(home / "media", (INCOMING, _OLD["incoming"]))
    gone += sweep(home / "renders", (RENDER_PART, _OLD["part"]))
    gone += sweep(home / "work", (WORK_DIR, _OLD["work"]))
    gone += sweep(home / "proxies", (PROXY_PART,))
    return gone


def sweep_exports(folders: Iterable[Path]) -> list[Path]:
    """Sweep export staging folders (``.igedit-export-*``) of dead exports."""
    gone: list[Path] = []
    for folder in dict.fromkeys(Path(f) for f in folders):
        with contextlib.suppress(OSError):
            gone += sweep(folder, (EXPORT_STAGING,))
    return gone


__all__ = ["alive", "pid_alive", "process_tag", "start_ticks", "sweep", "sweep_exports",
           "sweep_home"]
