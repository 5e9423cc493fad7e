"""Find the ffmpeg binary and run it: one subprocess, progress parsed, errors kept.

The binary is the one shipped by ``imageio-ffmpeg`` (found lazily, never at import),
unless ``IGEDIT_FFMPEG`` names another. :func:`run_ffmpeg` never goes through a shell,
feeds ``-progress pipe:1`` into a callback, and on failure raises
:class:`~skill.errors.EngineError` carrying the argv and the tail of stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections import deque
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from ...backend import ProgressCb
from ...errors import ConfigError, EngineError

T = TypeVar("T")

#: how many stderr lines an EngineError keeps
STDERR_TAIL_LINES = 40
#: seconds ffmpeg gets to exit after SIGTERM before it is killed
TERMINATE_GRACE_S = 3.0


@lru_cache(maxsize=1)
def _bundled_ffmpeg() -> str:
    try:
        import imageio_ffmpeg
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ConfigError("imageio-ffmpeg is not installed", key="error_no_ffmpeg") from exc
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError as exc:
        found = shutil.which("ffmpeg")
        if found:
            return found
        raise ConfigError(str(exc), key="error_no_ffmpeg") from exc


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary: ``IGEDIT_FFMPEG`` if set, else imageio-ffmpeg's.

    Raises :class:`ConfigError` (template ``error_no_ffmpeg``) naming what to install.
    """
    override = os.environ.get("IGEDIT_FFMPEG", "").strip()
    if override:
        path = Path(override).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
        found = shutil.which(override)
        if found:
            return found
        raise ConfigError(f"IGEDIT_FFMPEG={override} is not an executable file",
                          key="error_no_ffmpeg", path=override)
    return _bundled_ffmpeg()


def with_progress_args(argv: list[str]) -> list[str]:
    """``argv`` with ``-nostdin -nostats -progress pipe:1`` right after the binary
    (unless already present), so progress arrives on stdout as key=value lines."""
    if not argv:
        raise ValueError("empty argv")
    if "-progress" in argv:
        return list(argv)
    head = [argv[0], "-nostdin", "-nostats", "-progress", "pipe:1"]
    return head + [a for a in argv[1:] if a not in ("-nostdin", "-nostats")]


def parse_progress_line(line: str) -> float | None:
    """Seconds of output written, from one ``-progress`` line (``out_time_us=…``)."""
    key, _, value = line.strip().partition("=")
    if key not in ("out_time_us", "out_time_ms"):  # both are microseconds in ffmpeg
        return None
    try:
        micros = int(value)
    except ValueError:
        return None  # "N/A" before the first frame
    return max(0.0, micros / 1_000_000)


async def _pump_progress(stream: asyncio.StreamReader, duration_s: float | None,
                         progress: ProgressCb | None, label: str) -> None:
    last = -1.0
    while True:
        raw = await stream.readline()
        if not raw:
            return
        line = raw.decode("utf-8", "replace")
        if line.startswith("progress=end") and progress is not None and duration_s:
            progress(label, duration_s, duration_s)
            continue
        seconds = parse_progress_line(line)
        if seconds is None or progress is None:
            continue
        if duration_s:
            seconds = min(seconds, duration_s)
        if seconds > last:
            last = seconds
            progress(label, seconds, duration_s)


async def _pump_stderr(stream: asyncio.StreamReader, tail: deque[str]) -> None:
    while True:
        raw = await stream.readline()
        if not raw:
            return
        tail.append(raw.decode("utf-8", "replace").rstrip())


async def _drain(proc: asyncio.subprocess.Process) -> None:
    """Read a stopped ffmpeg's pipes to their end, so their transports close now: a
    cancelled pump leaves them open until garbage collection, which then warns about an
    unclosed transport in whatever code happens to be running."""
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(stream.read(), TERMINATE_GRACE_S)


async def _stop(proc: asyncio.subprocess.Process) -> None:
    """Terminate ffmpeg, then kill it if it does not exit in time."""
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.terminate()
    try:
        await asyncio.wait_for(proc.wait(), TERMINATE_GRACE_S)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


async def _uncancellable(fut: asyncio.Future[T]) -> T:
    """Await ``fut`` to its end even when the awaiting task is cancelled again meanwhile
    (e.g. a cancel from the user, then the server's shutdown cancelling the same render)."""
    while True:
        try:
            return await asyncio.shield(fut)
        except asyncio.CancelledError:
            if fut.cancelled():
                raise
            continue


async def _finish(proc: asyncio.subprocess.Process) -> None:
    """Stop ffmpeg and drain its pipes, all the way: a second cancel arriving during the
    stop would otherwise leave the process unreaped and its transport open, and the loop
    could close before the child's exit is seen."""
    await _uncancellable(asyncio.ensure_future(_stop_and_drain(proc)))


async def _stop_and_drain(proc: asyncio.subprocess.Process) -> None:
    await _stop(proc)
    await _drain(proc)


async def run_ffmpeg(argv: list[str], *, duration_s: float | None = None,
                     progress: ProgressCb | None = None, label: str = "render",
                     private: bool = True,
                     stderr_lines: list[str] | None = None) -> None:
    """Run ffmpeg (``argv[0]`` is the binary) to completion.

    ffmpeg dies with this process, even on ``kill -9`` (Linux), and with ``private``
    (the default: it writes into ``IGEDIT_HOME``) creates its files 0600 — see
    :mod:`skill.engine.render.childproc`.

    ``progress(label, seconds_done, duration_s)`` is called as output time advances.
    Cancelling the awaiting task terminates ffmpeg (then kills it) and re-raises
    :class:`asyncio.CancelledError`. A non-zero exit raises :class:`EngineError`
    with ``cmd``, ``returncode`` and the last lines of stderr. ``stderr_lines``, when
    given, receives those last lines on success too (e.g. a meter's summary).
    """
    full = with_progress_args(argv)
    tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
    from .childproc import child_options

    # Starting is shielded: a cancel that lands while the process is being created would
    # otherwise leave it running, unowned (and its pipes open) — it is stopped instead.
    starting = asyncio.ensure_future(asyncio.create_subprocess_exec(
        *full, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        **child_options(private=private)))
    try:
        proc = await asyncio.shield(starting)
    except OSError as exc:
        raise EngineError(f"cannot start {full[0]}: {exc.strerror or exc}", cmd=full,
                          returncode=None, stderr_tail="") from exc
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await _finish(await _uncancellable(starting))
        raise
    assert proc.stdout is not None and proc.stderr is not None
    pumps = asyncio.gather(_pump_progress(proc.stdout, duration_s, progress, label),
                           _pump_stderr(proc.stderr, tail))
    try:
        await pumps
        returncode = await proc.wait()
    except BaseException:
        # CancelledError (Ctrl-C, timeouts) or a failing progress callback: never leave
        # an orphaned encoder running.
        pumps.cancel()
        await _finish(proc)
        raise
    if returncode != 0:
        stderr_tail = "\n".join(tail)
        last = next((ln for ln in reversed(tail) if ln.strip()), "")
        raise EngineError(f"ffmpeg exited with code {returncode}: {last}", cmd=full,
                          returncode=returncode, stderr_tail=stderr_tail)
    if stderr_lines is not None:
        stderr_lines.extend(tail)
