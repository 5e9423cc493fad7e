"""``LocalEngine``: the embedded, offline editing backend (``skill.backend.Backend``).

Plans edits from plain instructions, keeps sessions, media and render jobs in SQLite
(``<home>/engine.sqlite``, shared by every ``igedit`` process), and renders with
ffmpeg in this process. Its events are built as ADK JSON and decoded by the same
function the cloud uses, so the host cannot tell the two backends apart.

Files: ``<home>/media`` (downloads; local files are referenced where they are, see
:mod:`skill.engine.intake`), ``<home>/renders/<job>.mp4`` (+ ``.jpg`` cover).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from ..backend import (
    Credits,
    MediaInfo,
    NoticeCb,
    ProgressCb,
    ReadyInfo,
    RenderJob,
    RenderStatus,
    SessionState,
    Sleeper,
)
from ..draft import Draft
from ..errors import InputError, NetworkError
from ..events import Event, decode_event
from ..lang import normalize_lang
from .db import LOCAL_OWNER, SCRATCH_OWNER, JobRow
from .workspace import Workspace, media_info

if TYPE_CHECKING:
    import httpx

    from .plan.types import Planner

CHUNK = 4 * 1024 * 1024


def job_status(row: JobRow) -> RenderStatus:
    """A job row as the protocol's :class:`RenderStatus` (``file://`` URL when done)."""
    if row.status == "completed":
        return RenderStatus("completed", 100.0, url=Path(row.output).as_uri())
    if row.status == "failed":
        return RenderStatus("failed", row.progress, detail=row.error)
    if row.status == "cancelled":
        return RenderStatus("cancelled", row.progress, detail=row.error)
    if row.status == "processing":
        return RenderStatus("processing", row.progress)
    return RenderStatus("pending", row.progress)


class LocalEngine:
    """The local engine as a :class:`~skill.backend.Backend`."""

    name = "local"

    def __init__(self, home: Path, *, notice: NoticeCb | None = None,
                 planner: Planner | None = None, lang: str = "en",
                 session_id: str | None = None, http: httpx.AsyncClient | None = None,
                 sleep: Sleeper | None = None) -> None:
        self.home = Path(home)
        self.ws = Workspace(self.home, planner=planner, http=http, sleep=sleep)
        self.notice = notice
        self.lang = normalize_lang(lang)
        #: the host fixed the reply language (``--lang``, ``/lang``): the words of a turn
        #: do not change it
        self.lang_fixed = False
        self.session_id = session_id
        self._ready = False

    @property
    def make_proxies(self) -> bool:
        """Whether uploaded clips get preview proxies made in the background."""
        return self.ws.jobs.make_proxies

    @make_proxies.setter
    def make_proxies(self, on: bool) -> None:
        self.ws.jobs.make_proxies = on

    def _notice(self, key: str, **ctx: Any) -> None:
        if self.notice is not None:
            self.notice(key, ctx)

    # -- session ----------------------------------------------------------------
    async def ready(self, lang: str = "en", *, fresh: bool = False) -> ReadyInfo:
        """The requested / most recent local session, or a new one. ``fresh``: always a new
        scratch session (``igedit make``), which never becomes the current session."""
        self.lang = normalize_lang(lang, self.lang)
        aside, self.ws.db.quarantined = self.ws.db.quarantined, None
        if aside is not None:  # the engine database was unreadable and started afresh
            self._notice("store_warning", file=str(self.ws.db.path), moved_to=str(aside))
        lost = False
        row = None
        if not fresh:
            if self.session_id:
                row = self.ws.session(self.session_id, LOCAL_OWNER)
                lost = row is None
            else:
                row = self.ws.db.latest_session(LOCAL_OWNER)
        if row is None:   # a one-shot (fresh) session is a scratch one: the current stays
            row = self.ws.create_session(SCRATCH_OWNER if fresh else LOCAL_OWNER, self.lang)
        self.session_id = row.id
        self._ready = True
        return ReadyInfo(backend=self.name, session_id=row.id, new_session=lost)

    async def _sid(self) -> str:
        if not self._ready or not self.session_id:
            await self.ready(self.lang)
        assert self.session_id is not None
        return self.session_id

    # -- media ------------------------------------------------------------------
    async def upload(self, sources: Sequence[str | Path], *,
                     progress: ProgressCb | None = None) -> list[MediaInfo]:
        sid = await self._sid()
        rows = await self.ws.upload(sid, sources, progress=progress)
        return [media_info(r) for r in rows]

    # -- editing ----------------------------------------------------------------
    def use_lang(self, lang: str, *, fixed: bool) -> None:
        """The host's language policy decided the reply language (see ``WritesReplies``)."""
        self.lang = normalize_lang(lang, self.lang)
        self.lang_fixed = fixed

    async def send(self, text: str) -> AsyncIterator[Event]:
        sid = await self._sid()
        async for obj in self.ws.edit(sid, text, lang=self.lang,
                                      follow_words=not self.lang_fixed):
            for event in decode_event(obj):
                yield event

    async def send_ops(self, edits: Any) -> AsyncIterator[Event]:
        """Typed ops (``[{"op", "args"}]``) applied all or nothing; events as :meth:`send`."""
        from .typed_ops import ops_turn

        sid = await self._sid()
        async for obj in ops_turn(self.ws, sid, edits, lang=self.lang):
            for event in decode_event(obj):
                yield event

    async def state(self) -> SessionState:
        sid = await self._sid()
        row = self.ws.require(sid)
        media = tuple(media_info(m) for m in self.ws.media(sid))
        return SessionState(draft=row.draft, media=media, session_id=sid)

    async def preview_sheet(self, out: Path, *, frames: int,
                            progress: ProgressCb | None = None) -> Any:
        """The contact sheet of the current edit (:mod:`skill.engine.render.sheet`) at ``out``;
        with the clips edited separately, of the (first) clip the latest edit named."""
        import shutil

        from ..clipset import EACH, focus, joined, mode, stored
        from .render.sheet import make_sheet
        from .workspace import resolve_media

        sid = await self._sid()
        draft = self.ws.require(sid).draft
        if mode(draft) == EACH and stored(draft):   # clips edited separately: the one worked on
            draft = stored(draft)[(focus(draft) or [0])[0]].draft
        draft = resolve_media(joined(draft), self.ws.db)
        work = self.home / "work" / f"sheet-{secrets.token_hex(6)}"
        try:
            return await make_sheet(draft, Path(out), frames=frames, work_dir=work,
                                    music_dir=self.home / "music",
                                    proxy_dir=self.home / "proxies", progress=progress)
        finally:
            await asyncio.to_thread(shutil.rmtree, work, True)

    def sheet_path(self) -> Path:
        """Where a contact sheet goes when no path is given: the state folder, per session."""
        return self.home / "sheets" / f"{self.session_id or 'sheet'}.png"

    def format_draft(self, draft: Draft, name: str) -> Draft:
        """The same edit laid out for the format ``name`` (``reel``, ``square``…), to
        export one file of several; the session's edit is left as it is."""
        from .ops.formats import draft_for_format

        return draft_for_format(draft, name)

    async def credits(self) -> Credits:
        return Credits(0, 0, 0, local=True)

    # -- rendering --------------------------------------------------------------
    async def submit_render(self, draft: Draft, *, preview: bool = False) -> RenderJob:
        sid = await self._sid()
        if not draft.ready:
            raise InputError("nothing to export", key="export_empty")
        row = self.ws.jobs.submit(session_id=sid, owner=LOCAL_OWNER, draft=draft,
                                  preview=preview)
        return RenderJob(id=row.id, session_id=sid, backend=self.name, preview=preview)

    async def render_status(self, job: RenderJob) -> RenderStatus:
        row = self.ws.jobs.status(job.id)
        if row is None:
            raise InputError(f"unknown render job {job.id}", key="local_job_unknown", job=job.id)
        return job_status(row)

    async def cancel_render(self, job: RenderJob) -> bool:
        """Cancel the job (ffmpeg stopped, job ``cancelled``); False if it had finished."""
        row = await self.ws.jobs.cancel(job.id)
        return row is not None and row.status == "cancelled"

    async def wait_render(self, job: RenderJob, *, progress: ProgressCb | None = None,
                          notice: NoticeCb | None = None) -> RenderStatus:
        """Await the render (ours) or poll it (another process's); an interrupted job
        whose process is gone is restarted here from scratch."""
        say = notice or self.notice

        def restarted(row: JobRow) -> None:
            if say is not None:
                say("local_render_restarted", {"job": row.id})

        row = await self.ws.jobs.wait(job.id, progress=progress, on_restart=restarted)
        return job_status(row)

    async def download(self, url: str, dest: Path, *, progress: ProgressCb | None = None) -> Path:
        """``file://`` → copy; ``http(s)://`` → stream (a job rendered by ``igedit serve``).

        Written to a temporary file in ``dest``'s folder and renamed when complete.
        The cover JPEG, when the render made one, is copied next to ``dest``.
        """
        dest = Path(dest)
        parts = urlsplit(url)
        tmp = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.part")
        try:
            if parts.scheme == "file":
                src = Path(url2pathname(unquote(parts.path)))
                await _copy(src, tmp, progress)
                os.replace(tmp, dest)
                cover = src.with_suffix(".jpg")
                target = dest.with_suffix(".jpg")
                if cover.is_file() and not target.exists():
                    await _copy(cover, tmp, None)
                    os.replace(tmp, target)   # the caller says where it finally lands
            elif parts.scheme in ("http", "https"):
                await self._fetch(url, tmp, progress)
                os.replace(tmp, dest)
            else:
                raise InputError(f"cannot download {parts.scheme}: URLs", key="local_url_scheme",
                                 url=url)
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
        return dest

    async def _fetch(self, url: str, tmp: Path, progress: ProgressCb | None) -> None:
        import httpx

        try:
            async with self.ws.http() as client, \
                    client.stream("GET", url, follow_redirects=True) as resp:
                if resp.status_code >= 400:
                    raise InputError(f"{url}: HTTP {resp.status_code}", key="local_url_failed",
                                     url=url, status=resp.status_code)
                total = int(resp.headers.get("content-length") or 0) or None
                done = 0
                with tmp.open("wb") as fh:
                    async for chunk in resp.aiter_bytes(1024 * 1024):
                        fh.write(chunk)
                        done += len(chunk)
                        if progress:
                            progress("download", float(done), float(total) if total else None)
        except httpx.HTTPError as exc:
            raise NetworkError(f"cannot download {url}: {type(exc).__name__}",
                               key="local_url_offline", url=url,
                               host=urlsplit(url).hostname or url) from exc

    async def aclose(self) -> None:
        await self.ws.aclose()


async def _copy(src: Path, dst: Path, progress: ProgressCb | None) -> None:
    if not src.is_file():
        raise InputError(f"{src} is missing", key="local_render_missing", path=str(src))
    total = src.stat().st_size
    done = 0
    with src.open("rb") as fin, dst.open("wb") as fout:
        while chunk := fin.read(CHUNK):
            fout.write(chunk)
            done += len(chunk)
            if progress:
                progress("download", float(done), float(total))
            await asyncio.sleep(0)  # keep the loop responsive on big files
