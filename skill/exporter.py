"""Export: draft → render job → wait → download, resumable across processes.

The job is written to the store (doc ``renders``) *before* waiting, so closing the
terminal never orphans it: ``igedit export --resume`` picks it up again. A failed
render is retried once with a new job; the download never overwrites a file unless
``--force`` is given.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from .backend import RenderJob, RenderStatus
from .draft import Draft
from .errors import InputError, RenderError
from .media import human_size
from .replies import Reply
from .templates import render

if TYPE_CHECKING:
    from .runtime import Runtime

log = structlog.get_logger(__name__)
DOC = "renders"


def default_name(draft: Draft, now: float | None = None) -> str:
    ratio = str(draft.meta.get("ratio") or "").replace(":", "x")
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


class Exporter:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.backend = runtime.backend
        self.store = runtime.store

    # --------------------------------------------------------- pending jobs
    def _record(self, job: RenderJob, dest: Path, force: bool, draft_raw: dict[str, Any],
                attempt: int) -> None:
        with self.store.update(DOC) as doc:
            jobs = doc.setdefault("jobs", {})
            jobs[job.id] = {
                "backend": job.backend, "session_id": job.session_id, "dest": str(dest),
                "force": force, "preview": job.preview, "created": time.time(),
                "attempt": attempt, "draft": draft_raw,
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
                  preview: bool) -> None:
        if resume:
            pending = self.pending()
            if not pending:
                self.rt.say_key("export_nothing_pending", kind="text")
                return
            job_id, rec = pending[-1]
            job = RenderJob(id=job_id, session_id=str(rec.get("session_id", "")),
                            backend=self.backend.name, preview=bool(rec.get("preview")))
            dest = Path(str(rec["dest"])) if out is None else choose_dest(
                out, Draft(), self.rt.cwd, force=force)
            force = force or bool(rec.get("force"))
            if dest.exists() and not force:
                raise InputError(f"{dest} already exists", key="export_exists", file=str(dest))
            self.rt.say_key("export_resuming", job=job_id)
            draft_raw = rec.get("draft") if isinstance(rec.get("draft"), dict) else {}
            attempt = int(rec.get("attempt", 1))
        else:
            state = await self.backend.state()
            draft = state.draft
            if not draft.ready:
                raise InputError("nothing to export", key="export_empty")
            dest = choose_dest(out, draft, self.rt.cwd, force=force)
            draft_raw = state.draft_raw
            self.rt.say_key("export_started", preview=preview)
            job = await self.backend.submit_render(draft_raw, preview=preview)
            attempt = 1
            self._record(job, dest, force, draft_raw, attempt)

        status = await self._wait(job)
        if status.status != "completed" and attempt < 2 and draft_raw:
            log.info("render.retry", job=job.id, detail=status.detail)
            self.rt.say_key("export_retrying")
            self._forget(job.id)
            job = await self.backend.submit_render(draft_raw, preview=job.preview)
            self._record(job, dest, force, draft_raw, 2)
            status = await self._wait(job)
        if status.status != "completed":
            self._forget(job.id)
            raise RenderError(status.detail or "render failed", detail=status.detail)
        if dest.exists() and not force:
            # The render is done and stays pending: --resume saves it without rendering again.
            raise InputError(f"{dest} already exists", key="export_exists_rendered",
                             file=str(dest))
        saved = await self._download(status.url, dest, force=force)
        self._forget(job.id)
        size = os.path.getsize(saved) if saved.exists() else 0
        self.rt.emit(Reply(kind="file", file=str(saved), key="export_done",
                            text=render("export_done", self.rt.lang, path=str(saved),
                                        size=human_size(size), preview=job.preview),
                            data={"bytes": size}))
        self._write_srt(draft_raw, saved)

    def _write_srt(self, draft_raw: dict[str, Any] | None, saved: Path) -> None:
        """"Also give me the srt": the captions as ``<export>.srt`` beside the video."""
        from .engine.speech.formats import draft_srt

        text = draft_srt(draft_raw or {})
        if text is None:
            return
        srt = saved.with_suffix(".srt")
        srt.write_text(text, encoding="utf-8")
        self.rt.emit(Reply(kind="file", file=str(srt), key="speech_srt_written",
                            text=render("speech_srt_written", self.rt.lang, path=str(srt))))

    async def _download(self, url: str, dest: Path, *, force: bool) -> Path:
        """Download into a private staging folder beside ``dest``, then place the files.

        Placing is create-if-absent unless ``force``, so two exports racing for one new
        name never both succeed: the later one is told the file exists.
        """
        staging = Path(tempfile.mkdtemp(prefix=".igedit-export-", dir=dest.parent))
        try:
            got = await self.backend.download(url, staging / dest.name,
                                              progress=self.rt.progress_cb)
            try:
                place_file(got, dest, overwrite=force)
            except InputError as exc:  # another export won the race for this name
                raise InputError(str(exc), key="export_exists_rendered", file=str(dest)) from exc
            for extra in sorted(staging.iterdir()):  # e.g. the cover JPEG beside the video
                target = dest.with_name(dest.stem + extra.suffix)
                with contextlib.suppress(InputError):
                    place_file(extra, target, overwrite=force)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return dest

    async def _wait(self, job: RenderJob) -> RenderStatus:
        return await self.backend.wait_render(job, progress=self.rt.progress_cb,
                                              notice=self.rt.notice)


__all__ = ["Exporter", "choose_dest", "default_name", "place_file"]
