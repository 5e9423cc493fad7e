"""Render jobs: a row in the database, an asyncio task in whichever process owns it.

Life of a job::

    pending ──claim──▶ processing ──▶ completed | failed
       ▲                   │
       └──── release ──────┘   (the owner was cancelled: Ctrl-C, loop shut down)

    pending | processing ──cancel──▶ cancelled   (``igedit export --cancel``, serve's
                                                  cancel route: ffmpeg is stopped)

A job belongs to one *worker* (this process; ``worker_id`` = pid + random, plus the
pid) which refreshes a heartbeat every couple of seconds while ffmpeg runs. Anyone
waiting on a job whose worker is gone — pid dead, or heartbeat stale (pid reuse, a
frozen machine) — claims it atomically and renders it again from scratch. ffmpeg
writes to a temporary name in ``renders/`` that is renamed only after the self-check
passed, so a half-written file is never taken for a result.

Self-check violations make the job ``failed`` with the violations as its error: a
render that does not meet the delivery spec is never reported as a success.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import glob
import os
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog

from ..backend import ProgressCb, Sleeper
from ..draft import Draft
from ..errors import InputError, SkillError, StoreError
from ..fsfaults import is_disk_full
from ..leftovers import alive, pid_alive, process_tag
from .db import EngineDB, JobRow

log = structlog.get_logger(__name__)

TERMINAL = ("completed", "failed", "cancelled")
#: the longest timeline rendered: 60 minutes, four times Instagram's longest video
#: (15 min through the API, 3 min in the app); a longer one is a mistake or an attack
MAX_RENDER_MS = 60 * 60 * 1000
_WORKER: tuple[int, str] | None = None


def worker_id() -> str:
    """This process's worker id, ``<pid>-<start ticks>-<random>`` (recomputed after a
    fork): the process tag of :mod:`skill.leftovers`, so a partial file or work folder
    named after it is swept once this process is gone, and a recycled pid is not
    taken for this worker."""
    global _WORKER
    pid = os.getpid()
    if _WORKER is None or _WORKER[0] != pid:
        _WORKER = (pid, f"{process_tag()}-{secrets.token_hex(4)}")
    return _WORKER[1]


_WORKER_ID = re.compile(r"^(?P<pid>\d+)-(?P<ticks>\d+)-[0-9a-f]+$")


def worker_process_alive(worker: str | None, pid: int | None) -> bool:
    """Whether the process behind a worker id is running — the same process, checked
    by its start time when the id carries one (older ids: by pid only)."""
    m = _WORKER_ID.match(worker or "")
    if m is not None and int(m["pid"]) == pid:
        return alive(int(m["pid"]), int(m["ticks"]))
    return pid_alive(pid)


def partial_name(job_id: str, worker: str) -> str:
    """The temporary name a worker renders job ``job_id`` to, in ``renders/``."""
    return f".{job_id}.{worker}.part.mp4"


def is_partial_of(name: str, job_id: str) -> bool:
    """Whether ``name`` is a partial render of exactly ``job_id`` (any worker; the
    renderer's own ``….partial`` too): job ``reel`` must not claim
    ``.reel.v2.<worker>.part.mp4`` of job ``reel.v2``."""
    prefix, suffix = f".{job_id}.", ".part.mp4"
    name = name.removesuffix(".partial")
    if not (name.startswith(prefix) and name.endswith(suffix)):
        return False
    worker = name[len(prefix):-len(suffix)]
    return bool(worker) and "." not in worker


def new_job_id() -> str:
    return f"render_{int(time.time() * 1000)}_{secrets.token_hex(2)}"


#: a job's draft with its media references checked and resolved to files on this
#: machine (raises InputError when a clip is gone or not the job owner's)
Resolver = Callable[[JobRow], Draft]


class JobRunner:
    """Starts, watches and restarts render jobs for one engine home."""

    def __init__(self, db: EngineDB, home: Path, *, resolve: Resolver,
                 sleep: Sleeper | None = None, heartbeat_s: float = 2.0,
                 stale_s: float = 20.0, poll_s: float = 0.3,
                 max_parallel: int | None = None) -> None:
        self.db = db
        self.home = home
        self.renders = home / "renders"
        self.resolve = resolve
        self.sleep: Sleeper = sleep or asyncio.sleep
        self.heartbeat_s = heartbeat_s
        self.stale_s = stale_s
        self.poll_s = poll_s
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._progress: dict[str, float] = {}
        #: make preview proxies of clips in the background (off for one-shot jobs,
        #: which never preview): see ``skill.engine.render.proxy``
        self.make_proxies = True
        #: renders run at once by this runner (None: no limit); the others wait their
        #: turn, heartbeating, so nobody takes them for dead (``igedit serve`` sets it)
        self.max_parallel = max_parallel
        self._slots: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None

    # -- ownership ----------------------------------------------------------------
    def worker_alive(self, row: JobRow) -> bool:
        if not row.worker_id:
            return False
        if row.worker_id == worker_id() and row.id in self._tasks and not self._tasks[row.id].done():
            return True
        fresh = row.heartbeat is not None and time.time() - row.heartbeat < self.stale_s
        return fresh and worker_process_alive(row.worker_id, row.worker_pid)

    def _claimable(self, row: JobRow) -> bool:
        if row.status in TERMINAL:
            return False
        return not self.worker_alive(row)

    # -- public -------------------------------------------------------------------
    def submit(self, *, session_id: str, owner: str, draft: Draft, preview: bool,
               job_id: str | None = None) -> JobRow:
        """Record a job (pending) and start rendering it in this process.

        A timeline longer than :data:`MAX_RENDER_MS` is refused (``render_too_long``)."""
        length_ms = draft.duration_ms
        if length_ms > MAX_RENDER_MS:
            raise InputError(f"timeline is {length_ms} ms long", key="render_too_long",
                             minutes=round(length_ms / 60_000, 1),
                             cap=MAX_RENDER_MS // 60_000)
        row = self.db.create_job(job_id or new_job_id(), session_id=session_id, owner=owner,
                                 draft=draft, preview=preview)
        self.start(row.id)
        return self.db.get_job(row.id) or row

    def start(self, job_id: str) -> bool:
        """Claim the job if nobody alive is working on it, and render it here."""
        row = self.db.claim_job(job_id, worker_id=worker_id(), pid=os.getpid(),
                                claimable=self._claimable)
        if row is None:
            return False
        if row.attempts > 1:
            log.info("render.restart", job=job_id, attempt=row.attempts)
        self._tasks[job_id] = asyncio.get_running_loop().create_task(self._run(row),
                                                                     name=f"render-{job_id}")
        return True

    def status(self, job_id: str) -> JobRow | None:
        return self.db.get_job(job_id)

    async def wait(self, job_id: str, *, progress: ProgressCb | None = None,
                   on_restart: Callable[[JobRow], None] | None = None) -> JobRow:
        """Until the job is completed or failed; restarts it if its worker is gone."""
        last = -1.0
        while True:
            row = self.db.get_job(job_id)
            if row is None:
                raise InputError(f"unknown render job {job_id}", key="local_job_unknown",
                                 job=job_id)
            if progress and row.progress != last and row.status != "failed":
                last = row.progress
                progress("render", float(row.progress), 100.0)
            if row.status in TERMINAL:
                return row
            if not self.worker_alive(row) and self.start(job_id) and on_restart and (
                    row.status == "processing" or row.attempts > 0):
                on_restart(row)  # it had been started before: this is a restart
            task = self._tasks.get(job_id)
            if task is not None and not task.done():
                # our own render: wake as soon as it ends, or to report progress
                await asyncio.wait({task}, timeout=self.poll_s)
            else:
                await self.sleep(self.poll_s)

    async def cancel(self, job_id: str) -> JobRow | None:
        """Cancel a pending or running job: it is marked ``cancelled`` and its ffmpeg
        stopped — here at once when this process renders it, by its own worker at the
        next heartbeat otherwise. A finished job is returned unchanged; None if unknown."""
        row = self.db.cancel_job(job_id)
        task = self._tasks.get(job_id)
        if row is not None and row.status == "cancelled" and task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        return row

    def _slot(self) -> contextlib.AbstractAsyncContextManager[Any]:
        if self.max_parallel is None:
            return contextlib.nullcontext()
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots[0] is not loop:
            self._slots = (loop, asyncio.Semaphore(self.max_parallel))
        return self._slots[1]

    async def aclose(self) -> None:
        """Cancel this runner's renders; their jobs go back to pending for a restart.

        A task cancelled before it ever ran never reaches ``_run``'s own release, so
        every job cancelled here is handed back explicitly (a no-op for a job that
        finished or was already released: ``release_job`` only touches a job that is
        still ``processing`` under this worker).
        """
        running = {job_id: t for job_id, t in self._tasks.items() if not t.done()}
        for task in running.values():
            task.cancel()
        for task in running.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        me = worker_id()
        for job_id in running:
            self.db.release_job(job_id, me)
        self._tasks.clear()

    # -- the render itself --------------------------------------------------------
    async def _run(self, row: JobRow) -> None:
        me = worker_id()
        final = self.renders / f"{row.id}.mp4"
        tmp = self.renders / partial_name(row.id, me)
        work = self.home / "work" / f"{row.id}-{me}"
        # partial files of earlier, dead workers of this job (exactly this job's): we
        # own the job now
        for stale in self.renders.glob(f".{glob.escape(row.id)}.*.part.mp4*"):
            if is_partial_of(stale.name, row.id):
                with contextlib.suppress(OSError):
                    stale.unlink()
        self._progress[row.id] = 0.0
        render_task = asyncio.current_task()
        beat = asyncio.get_running_loop().create_task(self._heartbeat(row.id, me, render_task))

        def on_progress(_label: str, done: float, total: float | None) -> None:
            if total:
                # 100 is written only with "completed", after the self-check
                self._progress[row.id] = round(max(0.0, min(99.0, 100.0 * done / total)), 1)

        def settle(record: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
            # The database may refuse the write (disk full): the task must still end
            # quietly — the waiter meets the same error and reports it — never with
            # "Task exception was never retrieved" on the user's terminal.
            try:
                record(*args, **kwargs)
            except StoreError as exc:
                log.warning("render.unrecorded", job=row.id, error=str(exc))

        try:
            async with self._slot():
                output, cover = await self._render(row, tmp, final, work, on_progress)
        except asyncio.CancelledError:
            settle(self.db.release_job, row.id, me)
            raise
        except SkillError as exc:
            log.warning("render.failed", job=row.id, error=str(exc))
            settle(self.db.finish_job, row.id, me, status="failed", error=_detail(exc))
        except Exception as exc:  # never leave a job "processing" behind a crash
            log.exception("render.crashed", job=row.id)
            settle(self.db.finish_job, row.id, me, status="failed",
                   error=f"{type(exc).__name__}: {exc}")
        else:
            settle(self.db.finish_job, row.id, me, status="completed", output=output,
                   cover=cover)
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError, StoreError):
                await beat
            self._progress.pop(row.id, None)
            with contextlib.suppress(OSError):
                tmp.unlink()
            _rmtree(work)

    async def _render(self, row: JobRow, tmp: Path, final: Path, work: Path,
                      on_progress: ProgressCb) -> tuple[str, str]:
        from ..private import private_dir
        from .render.pipeline import RenderOptions, extract_cover, render

        draft = self.resolve(row)
        private_dir(self.renders)
        private_dir(work)
        report = await render(draft, tmp, work_dir=work, music_dir=self.home / "music",
                              options=RenderOptions(preview=row.preview), progress=on_progress,
                              proxy_dir=self.home / "proxies", make_proxies=self.make_proxies)
        violations = list(getattr(report, "violations", ()) or ())
        if violations:
            raise SelfCheckFailed(violations)
        os.replace(tmp, final)
        cover = ""
        if draft.cover_ms is not None:
            jpg = final.with_suffix(".jpg")
            made = await extract_cover(draft, final, jpg)
            cover = str(made)
        return str(final), cover

    async def _heartbeat(self, job_id: str, me: str, render_task: asyncio.Task[Any] | None) -> None:
        """Publish progress (when it moved) and prove we are alive (at least every
        ``heartbeat_s``). If another worker took the job over, stop rendering it."""
        written, last_write = -1.0, 0.0
        tick = min(0.5, self.heartbeat_s)
        while True:
            await asyncio.sleep(tick)
            now = time.monotonic()
            progress = self._progress.get(job_id, 0.0)
            if progress == written and now - last_write < self.heartbeat_s:
                continue
            try:
                mine = self.db.job_heartbeat(job_id, me, progress)
            except StoreError as exc:  # cannot write (disk full): keep rendering, try again
                log.warning("render.heartbeat_failed", job=job_id, error=str(exc))
                continue
            if not mine:
                log.warning("render.taken_over", job=job_id)
                if render_task is not None:
                    render_task.cancel()
                return
            written, last_write = progress, now


class SelfCheckFailed(SkillError):
    """The rendered file broke the delivery spec (never reported as a success)."""

    key = "local_selfcheck_failed"

    def __init__(self, violations: list[Any]) -> None:
        lines = [str(v) for v in violations]
        super().__init__("; ".join(lines), violations=lines)


def _detail(exc: SkillError) -> str:
    text = str(exc)
    tail = getattr(exc, "stderr_tail", "")
    if is_disk_full(tail) and not is_disk_full(text):
        # ffmpeg's last line is "Conversion failed!": keep the reason the exporter needs
        text = f"{text} ({os.strerror(errno.ENOSPC)})"
    if tail:
        last = [ln for ln in str(tail).splitlines() if ln.strip()][-1:]
        text = f"{text} ({last[0].strip()})" if last else text
    return text


def _rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
