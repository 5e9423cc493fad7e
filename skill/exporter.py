"""Export: draft → render job → wait → download, resumable across processes.

The job is written to the store (doc ``renders``) *before* waiting, so closing the
terminal never orphans it: ``igedit export --resume`` picks it up again. A failed
render is retried once with a new job; the download never overwrites a file unless
``--force`` is given.

The output folder is tested by writing to it *before* anything is rendered; a folder
that stops accepting files later (full disk, removed drive) is a clear message and
the finished render stays pending, to be saved elsewhere with ``--resume -o``. The
download is staged in ``.igedit-export-<process tag>-*/`` beside the destination,
which the next export into that folder sweeps if its process was killed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Protocol

import structlog

from .backend import Backend, ProgressCb, RenderJob, RenderStatus
from .draft import Draft, decode_draft, encode_draft
from .errors import InputError, RenderError, StoreError
from .fsfaults import check_export_folder, export_error, is_disk_full, probe_writable, reason
from .leftovers import process_tag, sweep_exports
from .media import human_size
from .replies import Reply
from .store import Store
from .templates import render

log = structlog.get_logger(__name__)
DOC = "renders"


def _target(draft: Draft | None) -> str:
    """The Instagram target the draft's shape was made for ("" when none was named)."""
    return (draft.target or "") if draft is not None else ""


def default_name(draft: Draft, now: float | None = None) -> str:
    ratio = (draft.ratio or "").replace(":", "x")
    ratio = re.sub(r"[^0-9x]", "", ratio)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    return f"instagram-{ratio + '-' if ratio else ''}{stamp}.mp4"


def choose_dest(out: str | Path | None, draft: Draft, cwd: Path, *, force: bool) -> Path:
    """The file the export will be saved to; refuses to overwrite without ``force``."""
    if out is None:
        dest = cwd / default_name(draft)
        n = 2
        while dest.exists():
            dest = cwd / f"{dest.stem.rsplit('~', 1)[0]}~{n}.mp4"
            n += 1
        return dest
    dest = Path(out).expanduser()
    if not dest.is_absolute():
        dest = cwd / dest
    if dest.is_dir():
        dest = dest / default_name(draft)
    if dest.suffix.lower() != ".mp4":
        dest = dest.with_name(dest.name + ".mp4")
    if dest.exists() and not force:
        raise InputError(f"{dest} already exists", key="export_exists", file=str(dest))
    if not dest.parent.is_dir():
        raise InputError(f"{dest.parent} does not exist", key="export_no_folder",
                         folder=str(dest.parent))
    check_export_folder(dest)  # by writing: before any render, not after it
    return dest


def place_file(src: Path, dest: Path, *, overwrite: bool) -> None:
    """Move ``src`` to ``dest`` atomically; without ``overwrite``, only if ``dest`` is absent."""
    if overwrite:
        os.replace(src, dest)
        return
    try:
        os.link(src, dest)  # atomic create-if-absent
    except FileExistsError as exc:
        raise InputError(f"{dest} already exists", key="export_exists", file=str(dest)) from exc
    except OSError:
        # No hard links on this filesystem: reserve the name exclusively, then replace it.
        try:
            fd = os.open(dest, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError as exc:
            raise InputError(f"{dest} already exists", key="export_exists",
                             file=str(dest)) from exc
        os.close(fd)
        os.replace(src, dest)
        return
    os.unlink(src)


class ExportHost(Protocol):
    """What the exporter uses of its host (:class:`skill.runtime.Runtime` is one)."""

    @property
    def backend(self) -> Backend: ...
    @property
    def store(self) -> Store: ...
    @property
    def cwd(self) -> Path: ...
    @property
    def lang(self) -> str: ...
    @property
    def progress_cb(self) -> ProgressCb: ...
    def emit(self, reply: Reply) -> None: ...
    def door_key(self, key: str) -> str: ...
    def say_key(self, key: str, kind: str = "notice", **ctx: Any) -> None: ...
    def notice(self, key: str, ctx: dict[str, Any]) -> None: ...


class Exporter:
    def __init__(self, host: ExportHost) -> None:
        self.rt = host
        self.backend = host.backend
        self.store = host.store

    # --------------------------------------------------------- pending jobs
    def _record(self, job: RenderJob, dest: Path, force: bool, draft: Draft,
                attempt: int) -> None:
        with self.store.update(DOC) as doc:
            jobs = doc.setdefault("jobs", {})
            jobs[job.id] = {
                "backend": job.backend, "session_id": job.session_id, "dest": str(dest),
                "force": force, "preview": job.preview, "created": time.time(),
                "attempt": attempt, "draft": encode_draft(draft),   # a file: the wire form
            }

    def _forget(self, job_id: str) -> None:
        with self.store.update(DOC) as doc:
            doc.setdefault("jobs", {}).pop(job_id, None)

    def pending(self) -> list[tuple[str, dict[str, Any]]]:
        jobs = self.store.read(DOC).get("jobs", {})
        mine = [(k, v) for k, v in jobs.items()
                if isinstance(v, dict) and v.get("backend") == self.backend.name]
        return sorted(mine, key=lambda kv: float(kv[1].get("created", 0)))

    # --------------------------------------------------------- the flow
    async def run(self, out: str | Path | None, *, force: bool, resume: bool,
                  preview: bool, draft: Draft | None = None) -> None:
        """Render and save; ``draft`` renders that draft instead of the session's
        (one format of several, :mod:`.format_export`)."""
        # what killed exports left in their folders (never a live export's staging)
        sweep_exports(Path(rec["dest"]).parent for _, rec in self.pending())
        if resume:
            pending = self.pending()
            if not pending:
                self.rt.say_key("export_nothing_pending", kind="text")
                return
            # every interrupted export, oldest first (an export in several files or one
            # per clip leaves several); ``-o`` names one file: the latest export's
            for job_id, rec in pending if out is None else pending[-1:]:
                await self._resume(job_id, rec, out, force=force)
            return
        if draft is None:
            draft = (await self.backend.state()).draft
        if not draft.ready:
            raise InputError("nothing to export", key="export_empty")
        dest = choose_dest(out, draft, self.rt.cwd, force=force)
        from .clipset import joined

        draft = joined(draft)   # the clips' own drafts are not rendered here
        self.rt.say_key("export_started", preview=preview)
        job = await self.backend.submit_render(draft, preview=preview)
        self._record(job, dest, force, draft, 1)
        await self.finish(job, dest, draft, force=force, attempt=1)

    async def _resume(self, job_id: str, rec: dict[str, Any], out: str | Path | None, *,
                      force: bool) -> None:
        """Finish one recorded job: wait for it (or render it again) and save it where it
        was going, or at ``out``."""
        job = RenderJob(id=job_id, session_id=str(rec.get("session_id", "")),
                        backend=self.backend.name, preview=bool(rec.get("preview")))
        try:
            dest = Path(str(rec["dest"])) if out is None else choose_dest(
                out, Draft(), self.rt.cwd, force=force)
        except InputError as exc:
            if exc.key not in ("export_unwritable", "export_disk_full"):
                raise
            raise InputError(str(exc), key="export_resume_unwritable",
                             file=exc.ctx["file"], folder=exc.ctx["folder"],
                             reason=exc.ctx["reason"]) from exc
        force = force or bool(rec.get("force"))
        if dest.exists() and not force:
            raise InputError(f"{dest} already exists", key="export_exists", file=str(dest))
        problem = probe_writable(dest.parent)
        if problem is not None:  # the job stays pending: --resume -o saves it elsewhere
            raise InputError(f"{dest.parent} is not writable", key="export_resume_unwritable",
                             file=str(dest), folder=str(dest.parent),
                             reason=reason(problem)) from problem
        self.rt.say_key("export_resuming", job=job_id)
        draft = decode_draft(rec.get("draft"))   # the record is a file: the wire form
        await self.finish(job, dest, draft, force=force, attempt=int(rec.get("attempt", 1)))

    async def render_to(self, draft: Draft, dest: Path, *, force: bool,
                        preview: bool, announce: bool = True) -> Path:
        """Render one draft to ``dest`` (already chosen with :func:`choose_dest`): the
        same job record, retry and download as ``run`` (used per clip by ``clipexport``)."""
        job = await self.backend.submit_render(draft, preview=preview)
        self._record(job, dest, force, draft, 1)
        return await self.finish(job, dest, draft, force=force, attempt=1,
                                 announce=announce)

    async def finish(self, job: RenderJob, dest: Path, draft: Draft, *,
                     force: bool, attempt: int, announce: bool = True) -> Path:
        """Wait for ``job`` (retrying a failed render once), download it to ``dest`` and,
        with ``announce``, say where it is (``export_done``)."""
        missing = self._missing_glyphs(draft)
        if missing:   # said before the render, and the result is then not "ready to post"
            self.rt.say_key("render_missing_glyphs", chars=missing)
        status = await self._wait(job)
        if status.status == "cancelled":
            self._forget(job.id)
            raise RenderError("render cancelled", key="export_was_cancelled", job=job.id)
        if status.status != "completed" and attempt < 2 and draft.ready and \
                not is_disk_full(status.detail):  # rendering again would fill it again
            log.info("render.retry", job=job.id, detail=status.detail)
            self.rt.say_key("export_retrying")
            self._forget(job.id)
            job = await self.backend.submit_render(draft, preview=job.preview)
            self._record(job, dest, force, draft, 2)
            status = await self._wait(job)
        if status.status != "completed":
            self._forget(job.id)
            home = getattr(self.backend, "home", None)  # the local engine renders there
            if home is not None and is_disk_full(status.detail):  # say so, not "failed"
                raise StoreError(f"disk full while rendering: {status.detail}",
                                 key="error_disk_full", home=str(home),
                                 reason=os.strerror(errno.ENOSPC))
            raise RenderError(status.detail or "render failed", detail=status.detail)
        if dest.exists() and not force:
            # The render is done and stays pending: --resume saves it without rendering again.
            raise InputError(f"{dest} already exists", key="export_exists_rendered",
                             file=str(dest))
        saved = await self._download(status.url, dest, force=force)
        self._forget(job.id)
        size = os.path.getsize(saved) if saved.exists() else 0
        if not announce:
            self._write_srt(draft, saved)
            return saved
        self.rt.emit(Reply(kind="file", file=str(saved), key="export_done",
                            text=render(self.rt.door_key("export_done"), self.rt.lang,
                                        path=str(saved), target=_target(draft),
                                        size=human_size(size), preview=job.preview,
                                        missing=missing),
                            data={"bytes": size}))
        self._write_srt(draft, saved)
        return saved

    def _write_srt(self, draft: Draft, saved: Path) -> None:
        """"Also give me the srt": the captions as ``<export>.srt`` beside the video."""
        from .engine.speech.formats import draft_srt

        text = draft_srt(draft)
        if text is None:
            return
        srt = saved.with_suffix(".srt")
        srt.write_text(text, encoding="utf-8")
        self.rt.emit(Reply(kind="file", file=str(srt), key="speech_srt_written",
                            text=render("speech_srt_written", self.rt.lang, path=str(srt))))

    async def cancel(self) -> None:
        """``igedit export --cancel``: stop every pending export of this backend (its
        render is cancelled where the backend can: the local engine kills ffmpeg) and
        forget it, so ``--resume`` no longer offers it."""
        pending = self.pending()
        if not pending:
            self.rt.say_key("export_nothing_pending", kind="text")
            return
        stopped = 0
        for job_id, rec in pending:
            job = RenderJob(id=job_id, session_id=str(rec.get("session_id", "")),
                            backend=self.backend.name, preview=bool(rec.get("preview")))
            cancel = getattr(self.backend, "cancel_render", None)
            if cancel is not None:
                with contextlib.suppress(InputError):
                    stopped += bool(await cancel(job))
            self._forget(job_id)
        self.rt.say_key("export_cancelled", kind="text", jobs=len(pending), stopped=stopped,
                        dest=str(pending[-1][1].get("dest") or ""))

    def _missing_glyphs(self, draft: Draft) -> str:
        """Characters of the draft's text no font will draw (local engine renders only;
        the cloud draws text with its own fonts)."""
        if self.backend.name != "local":
            return ""
        from .engine.render.glyphs import describe, missing_in_draft

        lost = missing_in_draft(draft)
        return describe(lost) if lost else ""

    async def _download(self, url: str, dest: Path, *, force: bool) -> Path:
        """Download into a private staging folder beside ``dest``, then place the files.

        Placing is create-if-absent unless ``force``, so two exports racing for one new
        name never both succeed: the later one is told the file exists.
        """
        sweep_exports([dest.parent])
        try:
            staging = Path(tempfile.mkdtemp(prefix=f".igedit-export-{process_tag()}-",
                                            dir=dest.parent))
        except OSError as exc:  # the folder stopped accepting files while rendering
            raise export_error(exc, dest, rendered=True) from exc
        try:
            got = await self.backend.download(url, staging / dest.name,
                                              progress=self.rt.progress_cb)
            try:
                place_file(got, dest, overwrite=force)
            except InputError as exc:  # another export won the race for this name
                raise InputError(str(exc), key="export_exists_rendered", file=str(dest)) from exc
            for extra in sorted(staging.iterdir()):  # e.g. the cover JPEG beside the video
                target = dest.with_name(dest.stem + extra.suffix)
                with contextlib.suppress(InputError, OSError):
                    place_file(extra, target, overwrite=force)
                    if extra.suffix.lower() == ".jpg":   # the path where it now is
                        self.rt.say_key("local_cover_saved", path=str(target))
        except OSError as exc:  # disk full, folder removed or made read-only meanwhile
            raise export_error(exc, dest, rendered=True) from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return dest

    async def _wait(self, job: RenderJob) -> RenderStatus:
        return await self.backend.wait_render(job, progress=self.rt.progress_cb,
                                              notice=self.rt.notice)


__all__ = ["ExportHost", "Exporter", "choose_dest", "default_name", "place_file"]
