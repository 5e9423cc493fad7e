"""The local engine's core, shared by :class:`~skill.engine.local.LocalEngine` (one
current session, the ``Backend`` protocol) and ``igedit serve`` (many sessions, one
per request, scoped to the token's user).

Everything lives in the database (``engine.sqlite``) and ``<home>/media``,
``<home>/renders``: a :class:`Workspace` holds no state of its own besides the
render tasks it started, so any number of processes can open the same home.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..backend import MediaInfo, ProgressCb, Sleeper
from ..draft import Draft, Segment
from ..errors import InputError, StoreError
from ..media import is_url
from .db import LOCAL_OWNER, EngineDB, JobRow, MediaRow, SessionRow
from .intake import download_url, ingest_local
from .jobs import JobRunner

if TYPE_CHECKING:
    import httpx

    from .ops import MediaItem, PlanContext
    from .plan.types import Planner
    from .safeurl import UrlPolicy

#: how often an edit is re-applied when another process changed the draft meanwhile
_SAVE_ATTEMPTS = 5


def new_session_id() -> str:
    # NemoVideo session ids are long decimal strings; ours look the same
    return str(secrets.randbelow(9 * 10**18) + 10**18)


def media_item(row: MediaRow) -> MediaItem:
    from .ops import MediaItem

    return MediaItem(id=row.id, src=row.path, name=row.name, kind=row.kind,
                     duration_ms=row.duration_ms or 0, width=row.width or 0,
                     height=row.height or 0, has_audio=row.has_audio, fps=row.fps or 0.0)


def media_info(row: MediaRow) -> MediaInfo:
    return MediaInfo(name=row.name, kind=row.kind, url=Path(row.path).as_uri(),
                     duration=(row.duration_ms / 1000) if row.duration_ms else None,
                     width=row.width, height=row.height, id=row.id, fps=row.fps)


class Workspace:
    """Sessions, media, edits and render jobs of one engine home."""

    def __init__(self, home: Path, *, planner: Planner | None = None,
                 http: httpx.AsyncClient | None = None, sleep: Sleeper | None = None) -> None:
        from ..leftovers import sweep_home
        from ..private import secure_home

        self.home = Path(home)
        self.db = EngineDB(self.home / "engine.sqlite")
        secure_home(self.home)  # a home from an older igedit: made private once
        sweep_home(self.home)   # what killed igedit processes left (never a live one's)
        self.media_dir = self.home / "media"
        self.jobs = JobRunner(self.db, self.home, resolve=self.resolve_job, sleep=sleep)
        self._planner = planner
        self._http = http
        #: who upload-by-URL may reach (None: public addresses only, unless
        #: IGEDIT_ALLOW_PRIVATE_URLS=1); see :mod:`skill.engine.safeurl`
        self.url_policy: UrlPolicy | None = None
        #: a cloud backend is configured and was found reachable: replies may name it for
        #: what only the cloud can do (set by the front door; ``serve`` never does)
        self.cloud_option = False

    # -- collaborators ------------------------------------------------------------
    @property
    def planner(self) -> Planner:
        if self._planner is None:
            from .plan.planner import default_planner

            self._planner = default_planner()
        return self._planner

    @contextlib.asynccontextmanager
    async def http(self) -> AsyncIterator[httpx.AsyncClient]:
        """The injected client, or a fresh one for this download (downloads are rare,
        and a client made here never outlives the event loop that uses it)."""
        if self._http is not None:
            yield self._http
            return
        import httpx

        async with httpx.AsyncClient(timeout=httpx.Timeout(30.0, read=120.0)) as client:
            yield client

    async def aclose(self) -> None:
        await self.jobs.aclose()

    # -- sessions -----------------------------------------------------------------
    def create_session(self, owner: str = LOCAL_OWNER, lang: str = "en") -> SessionRow:
        from .ops import PlanContext, initial_draft

        sid = new_session_id()
        return self.db.create_session(sid, owner=owner, task_id=secrets.token_hex(16),
                                      lang=lang, draft=initial_draft(PlanContext(media=(), lang=lang)))

    def session(self, sid: str, owner: str | None = None) -> SessionRow | None:
        return self.db.get_session(sid, owner)

    def require(self, sid: str, owner: str | None = None) -> SessionRow:
        row = self.db.get_session(sid, owner)
        if row is None:
            raise StoreError(f"session {sid} not found", key="local_session_missing", session=sid)
        return row

    def context(self, sid: str, lang: str) -> PlanContext:
        from .ops import PlanContext

        rows = [self._with_fps(m) for m in self.db.session_media(sid)]
        return PlanContext(media=tuple(media_item(m) for m in rows), lang=lang)

    def _with_fps(self, row: MediaRow) -> MediaRow:
        """``row`` with its frame rate: a video uploaded by an igedit that did not keep
        it is probed once and the rate stored."""
        if row.kind != "video" or row.fps is not None or not Path(row.path).is_file():
            return row
        import dataclasses

        from .render.probe import probe

        try:
            fps = round(probe(Path(row.path)).fps, 3)
        except InputError:
            return row
        row = dataclasses.replace(row, fps=fps)
        self.db.put_media(row)
        return row

    def media(self, sid: str) -> list[MediaRow]:
        return self.db.session_media(sid)

    # -- media --------------------------------------------------------------------
    async def upload(self, sid: str, sources: Sequence[str | os.PathLike[str]], *,
                     progress: ProgressCb | None = None) -> list[MediaRow]:
        """Local files (referenced) and http(s) URLs (downloaded) into the session.

        Every local file is validated before anything is hashed or downloaded, so a bad
        file in a batch changes nothing.
        """
        from ..media import validate_file

        for src in sources:
            if not is_url(str(src)):
                validate_file(src)
        rows: list[MediaRow] = []
        for src in sources:
            if is_url(str(src)):
                row = await download_url(self.db, None, str(src).strip(), self.media_dir,
                                         progress=progress, policy=self.url_policy)
            else:
                row = await ingest_local(self.db, src, progress=progress)
            rows.append(row)
        await self.attach(sid, rows)
        return rows

    async def attach(self, sid: str, rows: Sequence[MediaRow]) -> None:
        """Add media to the session; each newly added item joins the draft
        (``add_media_batch``: the joined timeline, and each clip's own draft when the
        clips are edited separately) and each video clip gets its preview proxy made
        in the background."""
        await self._add_to_draft(sid, rows)
        self.prepare_previews(rows)

    def prepare_previews(self, rows: Sequence[MediaRow]) -> None:
        """Start making the preview proxy of every video clip (see ``skill.engine.render.proxy``)
        unless this workspace was told not to (``jobs.make_proxies``: one-shot jobs)."""
        if not self.jobs.make_proxies:
            return
        from .render.proxy import start_background

        clips = [Path(r.path) for r in rows if r.kind == "video" and Path(r.path).is_file()]
        if clips:
            start_background(clips, self.home / "proxies")
            from ..store import default_home
            from .speech.store import start_background as analyse_speech

            analyse_speech(clips, default_home())   # transcripts, like proxies (speech/store.py)

    async def _add_to_draft(self, sid: str, rows: Sequence[MediaRow]) -> None:
        from .ops.clipedit import add_media_batch

        for _ in range(_SAVE_ATTEMPTS):
            session = self.require(sid)
            attached = {m.id for m in self.db.session_media(sid)}
            # a clip or song counts as present only while it is on the timeline: uploaded
            # again after an undo (or a removal), it comes back
            on_timeline = {seg.media for t in session.draft.tracks for seg in t.segments}
            added: list[MediaRow] = []
            for row in rows:
                present = row.id in (on_timeline if row.kind in ("video", "image", "audio")
                                     else attached)
                if not present and all(a.id != row.id for a in added):
                    added.append(row)
            if not added:
                return
            draft = session.draft
            for row in added:  # may refuse (a caption file without cues): nothing changed yet
                draft = add_media_batch(draft, media_item(row))
            if self.db.save_draft(sid, draft, expect_rev=session.rev) >= 0:
                for row in added:
                    self.db.attach_media(sid, row.id, row.name)
                return
        raise StoreError("the session kept changing while adding media", key="error_store_locked",
                         home=str(self.home))

    # -- editing ------------------------------------------------------------------
    def edit(self, sid: str, text: str, *, lang: str, invocation_id: str | None = None,
             follow_words: bool = True) -> AsyncIterator[dict[str, Any]]:
        """One instruction → ADK event objects (tool calls, responses + draft, reply).
        The reply is in ``lang``, or in the instruction's language when ``follow_words``."""
        from .turn import edit_turn

        return edit_turn(self, sid, text, lang=lang, invocation_id=invocation_id,
                         follow_words=follow_words)

    # -- rendering ----------------------------------------------------------------
    def resolve_job(self, job: JobRow) -> Draft:
        """The job's draft with every media reference pointing at the file as it is now.

        Jobs submitted through ``serve`` may only use media uploaded to their own session
        (a draft from the network must not name arbitrary files on this machine).
        """
        allowed = None
        if job.owner != LOCAL_OWNER:
            allowed = {m.id for m in self.db.session_media(job.session_id)}
        return resolve_media(job.draft, self.db, allowed=allowed)


def resolve_media(draft: Draft, db: EngineDB, *, allowed: set[str] | None = None) -> Draft:
    """Copy of ``draft`` with the ``src`` of each media segment set from the media table.

    Raises :class:`InputError` (``local_media_missing``) when a clip was moved, deleted
    or replaced since it was uploaded. With ``allowed`` (drafts from the network) every
    media segment must name one of those ids and its ``src`` is taken from the media
    table only; anything else is ``serve_media_refused`` (see :func:`_resolve_uploaded`).
    """
    out = draft.copy()
    for track in out.tracks:
        for seg in track.segments:
            if allowed is not None:
                _resolve_uploaded(seg, db, allowed)
            elif seg.media:
                row = db.get_media(seg.media)
                if row is None:
                    continue  # keep the draft's own src
                path = Path(row.path)
                if not path.is_file() or path.stat().st_size != row.size:
                    raise InputError(f"{row.name} is missing or changed", key="local_media_missing",
                                     name=row.name, path=row.path)
                seg.src = row.path
    return out


def _resolve_uploaded(seg: Segment, db: EngineDB, allowed: set[str]) -> None:
    """A segment of a draft from the network: its media must be one of ``allowed`` (this
    session's uploads, by id) and its ``src`` is set from our own records — never taken
    from the wire. Every refusal is the same message (``serve_media_refused``), whether
    the named file exists or not, so the answer says nothing about this machine's disk.
    A ``media`` or ``src`` of the wrong type (kept aside in ``extra``) is refused too.
    """
    if "media" in seg.extra or "src" in seg.extra:
        raise InputError("draft names media in a form we do not read", key="serve_media_refused")
    if not seg.media:
        if not seg.src:
            return  # text, generated music: nothing to read from disk
        raise InputError("draft names a file by path", key="serve_media_refused")
    row = db.get_media(seg.media) if seg.media in allowed else None
    if row is None:
        raise InputError("draft names media outside this session", key="serve_media_refused")
    path = Path(row.path)
    if not path.is_file() or path.stat().st_size != row.size:
        raise InputError(f"{row.name} is missing or changed", key="serve_media_gone",
                         name=row.name)
    seg.src = row.path
