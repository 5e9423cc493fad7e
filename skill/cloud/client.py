"""``CloudBackend``: the NemoVideo API behind the :class:`skill.backend.Backend` protocol.

Every request to the API host carries ``Authorization: Bearer <token>`` and the three
attribution headers; nothing else ever sees the token (a CDN download gets no
``Authorization``). Failures go through one error table (``skill/data/errors.yaml``):
1001 → new token and one retry, 1002 → new session and one retry (for a message,
only when the server refused it before any stream began), 429 → wait 30 s and one
retry, everything else → the table's exception and reply template.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import structlog

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
from ..draft import Draft, decode_draft, encode_draft
from ..errors import ApiError, NetworkError, NoCredits, RenderError, SkillError
from ..events import Event
from ..manifest import Manifest
from ..media import is_url, validate_file
from ..store import Store
from .auth import TokenKeeper
from .errortable import Failure, Rule, lookup, to_exception
from .render import PollPlanner, download_to, parse_status
from .retry import RetryState, Step, decide
from .sse import Refused, stream_events
from .transport import (
    DEFAULT_API,
    DEFAULT_WEB,
    call_json,
    is_loopback_host,
    network_error,
    origin,
    same_origin,
)
from .upload import FilePart, MultipartBody

log = structlog.get_logger(__name__)

#: The seed's render output; a preview asks for a quick low-quality render (``igedit
#: serve`` honours it; a server that does not know "low" renders normally).
FULL_OUTPUT = {"format": "mp4", "quality": "high"}
PREVIEW_OUTPUT = {"format": "mp4", "quality": "low", "resolution": "540p"}

APP = "nemo_agent"
SESSION_PATH = "/api/tasks/me/with-session/nemo_agent"
UPLOAD_TIMEOUT = httpx.Timeout(connect=15.0, read=600.0, write=120.0, pool=15.0)
DOWNLOAD_TIMEOUT = httpx.Timeout(connect=15.0, read=120.0, write=30.0, pool=15.0)
MAX_RENDER_WAIT_S = 20 * 60.0
POLL_NETWORK_TOLERANCE = 3


def _int(value: Any) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


def _opt_float(value: Any) -> float | None:
    try:
        return None if value is None or isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return None


def _opt_int(value: Any) -> int | None:
    number = _opt_float(value)
    return int(number) if number is not None else None


def media_from(obj: Any, default_kind: str = "video") -> MediaInfo | None:
    """One uploaded/generated media entry (field names vary: accept the usual ones)."""
    if isinstance(obj, str):
        return MediaInfo(name=obj.rstrip("/").rsplit("/", 1)[-1], kind=default_kind, url=obj)
    if not isinstance(obj, dict):
        return None
    url = str(obj.get("cdn_url") or obj.get("url") or obj.get("src") or "")
    name = str(obj.get("filename") or obj.get("name") or obj.get("title") or "")
    if not name and url:
        name = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    kind = str(obj.get("file_type") or obj.get("type") or obj.get("kind") or default_kind)
    return MediaInfo(
        name=name or "untitled", kind=kind, url=url,
        duration=_opt_float(obj.get("duration")), width=_opt_int(obj.get("width")),
        height=_opt_int(obj.get("height")),
        id=str(obj.get("id") or obj.get("file_id") or obj.get("media_id") or ""),
    )


def _media_list(value: Any, default_kind: str = "video") -> list[MediaInfo]:
    if isinstance(value, dict):
        value = value.get("files") or value.get("items") or list(value.values())
    items = [media_from(v, default_kind) for v in value] if isinstance(value, list) else []
    return [m for m in items if m is not None]


class CloudBackend:
    """The NemoVideo cloud. Construct with an ``httpx.AsyncClient`` it may close."""

    name = "cloud"

    def __init__(
        self, client: httpx.AsyncClient, store: Store, manifest: Manifest, *,
        base_url: str | None = None, sleep: Sleeper = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic, notice: NoticeCb | None = None,
        lang: str = "en", owns_client: bool = True,
    ) -> None:
        self.client = client
        self.store = store
        self.manifest = manifest
        self.base_url = (base_url or os.environ.get("NEMO_API_URL") or DEFAULT_API).rstrip("/")
        self.web_url = (os.environ.get("NEMO_WEB_URL") or DEFAULT_WEB).rstrip("/")
        self.sleep = sleep
        self.clock = clock
        self.notice = notice
        self.lang = lang
        self.owns_client = owns_client
        self.auth = TokenKeeper(client, store, base_url=self.base_url,
                                headers=manifest.headers(), sleep=sleep,
                                on_setup=self._setup_begins)
        self.session: dict[str, str] | None = None
        self.replaced_session = False
        self._setting_up = False
        self._job_for_url: dict[str, str] = {}
        self._last_render_ms = 0
        self._persist_session = True

    # ------------------------------------------------------------ plumbing
    def _emit(self, key: str, ctx: dict[str, Any] | None = None) -> None:
        if self.notice is not None:
            self.notice(key, ctx or {})

    def _setup_begins(self) -> None:
        if not self._setting_up:
            self._setting_up = True
            self._emit("setup_start")

    def _headers(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", **self.manifest.headers()}

    @property
    def session_id(self) -> str:
        return (self.session or {}).get("session_id", "")

    @property
    def bind_id(self) -> str:
        return (self.session or {}).get("user_id") or self.auth.user_id

    def _registered(self) -> bool:
        if self.auth.registered is not None and not self.auth.from_env:
            return self.auth.registered
        uid = self.bind_id
        return bool(uid) and not uid.startswith("anon")

    def _error(self, rule: Rule, failure: Failure, *, auth_request: bool = False) -> SkillError:
        ctx: dict[str, Any] = {}
        key = None
        cls = rule.exception_class()
        if issubclass(cls, NoCredits):
            if self._registered():
                ctx.update(registered=True, web=self.web_url)
            else:
                ctx.update(registered=False, bind_id=self.bind_id,
                           register_url=f"{self.web_url}/register?bind={quote(self.bind_id)}")
        elif rule.key == "error_402":
            ctx["web"] = self.web_url
        if rule.action == "new_client_id" and not auth_request and rule.otherwise_key:
            key = rule.otherwise_key
        return to_exception(rule, failure, key=key, **ctx)

    async def _apply(self, step: Step, rule: Rule) -> bool:
        """Carry out a retry step; False means give up and raise."""
        if step == "reauth":
            await self.auth.refresh()
            return True
        if step == "new_session":
            await self._replace_session()
            return True
        if step == "wait":
            log.info("cloud.rate_limited", wait_s=rule.delay)
            self._emit("rate_limited_waiting", {"seconds": int(rule.delay)})
            await self.sleep(rule.delay)
            return True
        return False

    async def _call(
        self, method: str, path: str | Callable[[str], str], *, payload: Any = None,
        body: Callable[[], MultipartBody] | None = None, session_bound: bool = False,
        timeout: httpx.Timeout | None = None,
    ) -> Any:
        """One API call with the error table's retries; returns the envelope's ``data``."""
        state = RetryState()
        while True:
            token = await self.auth.token()
            sid = self.session_id
            url = self.base_url + (path(sid) if callable(path) else path)
            headers = self._headers(token)
            content = None
            if body is not None:
                content = body()
                headers.update(content.headers())
            reply = await call_json(self.client, method, url, headers=headers,
                                    json=payload(sid) if callable(payload) else payload,
                                    content=content, timeout=timeout)
            if reply.ok:
                return reply.data
            failure = reply.failure or Failure(None, 0)
            rule = lookup(failure)
            step = decide(rule, state, can_reauth=not self.auth.from_env,
                          session_bound=session_bound)
            if not await self._apply(step, rule):
                raise self._error(rule, failure)

    # ------------------------------------------------------------ session
    def _session_doc_key(self) -> str:
        return self.base_url

    def _load_session(self) -> dict[str, str] | None:
        saved = (self.store.read("session").get("cloud") or {}).get(self._session_doc_key())
        if isinstance(saved, dict) and saved.get("session_id"):
            return {k: str(v) for k, v in saved.items() if isinstance(v, str | int)}
        return None

    async def _create_session(self, lang: str) -> None:
        """A new session; remembered in the store unless it is a one-shot (``fresh``) one."""
        data = await self._call("POST", SESSION_PATH,
                                payload={"task_name": "project", "language": lang})
        if not isinstance(data, dict) or not data.get("session_id"):
            raise to_exception(lookup(Failure(None, 200)), Failure(None, 200, "no session id"))
        self.session = {
            "task_id": str(data.get("task_id") or ""),
            "session_id": str(data["session_id"]),
            "user_id": str(data.get("user_id") or self.auth.user_id or ""),
        }
        if not self._persist_session:
            log.info("cloud.session_created", session_id=self.session["session_id"], fresh=True)
            return
        with self.store.update("session") as doc:
            cloud = doc.setdefault("cloud", {})
            if not isinstance(cloud, dict):
                cloud = doc["cloud"] = {}
            cloud[self._session_doc_key()] = dict(self.session)
        log.info("cloud.session_created", session_id=self.session["session_id"])

    async def _replace_session(self) -> None:
        log.info("cloud.session_lost", session_id=self.session_id)
        self._emit("error_1002")
        self.replaced_session = True
        await self._create_session(self.lang)

    async def _ensure(self) -> None:
        if self.session is None:
            await self.ready(self.lang)

    # ------------------------------------------------------------ protocol
    async def ready(self, lang: str | None = None, *, fresh: bool = False) -> ReadyInfo:
        """Token + session; says "Setting things up…" / "Connected" when work was needed.

        ``fresh=True`` starts a new session for a one-shot job; it is not stored, so the
        user's current session (and timeline) stays the one later commands use.
        """
        if lang:
            self.lang = lang
        self._setting_up = False
        await self.auth.token()
        if fresh:
            self.session = None
            self._persist_session = False
        elif self.session is None:
            self.session = self._load_session()
        if self.session is None:
            self._setup_begins()
            await self._create_session(self.lang)
        if self._setting_up:
            self._setting_up = False
            self._emit("setup_done", {"backend": "NemoVideo"})
        return ReadyInfo("cloud", self.session_id, new_session=self.replaced_session,
                         bind_id=self.bind_id)

    async def upload(self, sources: Sequence[str | Path], *,
                     progress: ProgressCb | None = None) -> list[MediaInfo]:
        """Validate every local file first (no network), then upload files and URLs."""
        files: list[Path] = []
        urls: list[str] = []
        for source in sources:
            if isinstance(source, str) and is_url(source):
                urls.append(source.strip())
            else:
                files.append(validate_file(source)[0])
        await self._ensure()
        out: list[MediaInfo] = []

        def upload_path(sid: str) -> str:
            return f"/api/upload-video/{APP}/me/{sid}"

        if files:
            parts = [FilePart.of(p) for p in files]
            log.info("cloud.upload", files=len(parts), bytes=sum(p.size for p in parts))
            data = await self._call("POST", upload_path, session_bound=True,
                                    body=lambda: MultipartBody(parts, progress=progress),
                                    timeout=UPLOAD_TIMEOUT)
            got = _media_list(data)
            out += got or [MediaInfo(name=p.name) for p in files]
        if urls:
            log.info("cloud.upload_urls", urls=len(urls))
            data = await self._call("POST", upload_path, session_bound=True,
                                    payload={"urls": urls, "source_type": "url"})
            out += _media_list(data) or [MediaInfo(name=u.rsplit("/", 1)[-1], url=u)
                                         for u in urls]
        return out

    async def send(self, text: str) -> AsyncIterator[Event]:
        """POST ``/run_sse`` and yield its events; re-sent only if refused before streaming."""
        await self._ensure()
        state = RetryState()
        url = self.base_url + "/run_sse"
        while True:
            token = await self.auth.token()
            body = {"app_name": APP, "user_id": "me", "session_id": self.session_id,
                    "new_message": {"parts": [{"text": text}]}}
            headers = {**self._headers(token), "Accept": "text/event-stream"}
            log.info("cloud.send", session_id=self.session_id, chars=len(text))
            try:
                async for event in stream_events(self.client, url, headers=headers, body=body,
                                                 clock=self.clock):
                    if event.kind in ("tool_call", "tool_result"):
                        log.info(f"cloud.{event.kind}", name=event.name)
                    yield event
                return
            except Refused as refused:
                failure = refused.failure
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                raise network_error(exc, url) from exc
            rule = lookup(failure)
            step = decide(rule, state, can_reauth=not self.auth.from_env, session_bound=True)
            if not await self._apply(step, rule):
                raise self._error(rule, failure)

    async def state(self) -> SessionState:
        await self._ensure()
        data = await self._call("GET", lambda sid: f"/api/state/{APP}/me/{sid}/latest",
                                session_bound=True)
        data = data if isinstance(data, dict) else {}
        st = data.get("state")
        st = st if isinstance(st, dict) else {}
        media = _media_list(st.get("video_infos")) + _media_list(st.get("generated_media"))
        if data.get("user_id") and self.session is not None:
            self.session["user_id"] = str(data["user_id"])
        # the wire form (an object, or that object as a JSON string), read once here
        return SessionState(draft=decode_draft(st.get("draft")),
                            media=tuple(media), bind_id=self.bind_id,
                            session_id=str(data.get("session_id") or self.session_id))

    async def credits(self) -> Credits:
        await self._ensure()
        data = await self._call("GET", "/api/credits/balance/simple")
        data = data if isinstance(data, dict) else {}
        # `igedit serve` marks its balance as local: it needs no credits at all.
        return Credits(_int(data.get("available")), _int(data.get("frozen")),
                       _int(data.get("total")), local=data.get("local") is True)

    def _render_id(self) -> str:
        ms = max(int(time.time() * 1000), self._last_render_ms + 1)
        self._last_render_ms = ms
        return f"render_{ms}"

    async def submit_render(self, draft: Draft, *,
                            preview: bool = False) -> RenderJob:
        """Queue a render (export is free); 402 → :class:`ExportBlocked`."""
        await self._ensure()
        job_id = self._render_id()

        def body(sid: str) -> dict[str, Any]:
            return {"id": job_id, "sessionId": sid, "draft": encode_draft(draft),
                    "output": PREVIEW_OUTPUT if preview else FULL_OUTPUT}

        await self._call("POST", "/api/render/proxy/lambda", payload=body, session_bound=True)
        log.info("cloud.render_submitted", job_id=job_id)
        return RenderJob(id=job_id, session_id=self.session_id, backend="cloud", preview=preview)

    def _fallback_url(self, job_id: str) -> str:
        return f"{self.base_url}/api/render/proxy/{quote(job_id)}/download"

    async def render_status(self, job: RenderJob) -> RenderStatus:
        data = await self._call("GET", f"/api/render/proxy/lambda/{quote(job.id)}")
        status = parse_status(data)
        if status.status == "completed":
            url = status.url or self._fallback_url(job.id)
            self._job_for_url[url] = job.id
            if not status.url:
                status = RenderStatus("completed", status.progress, url, status.detail)
        return status

    async def cancel_render(self, job: RenderJob) -> bool:
        """Ask the server to cancel the render (``igedit serve`` has the route; an API
        without it answers an error, and the job is only forgotten locally)."""
        try:
            data = await self._call("POST", f"/api/render/proxy/lambda/{quote(job.id)}/cancel")
        except SkillError:
            return False
        return isinstance(data, dict) and data.get("status") == "cancelled"

    async def wait_render(self, job: RenderJob, *, progress: ProgressCb | None = None,
                          notice: NoticeCb | None = None,
                          max_wait: float = MAX_RENDER_WAIT_S) -> RenderStatus:
        """Poll adaptively (3 s first, backing off to 30 s, aiming at the predicted finish)."""
        planner = PollPlanner()
        start = self.clock()
        blips = 0
        while True:
            await self.sleep(planner.next_delay(self.clock()))
            try:
                status = await self.render_status(job)
            except (NetworkError, ApiError) as exc:
                # A blip (connection, 5xx) must not lose a render the server keeps making.
                transient = not isinstance(exc, ApiError) or (exc.status or 0) >= 500
                blips += 1
                if not transient or blips > POLL_NETWORK_TOLERANCE:
                    raise
                log.info("cloud.poll_blip", job_id=job.id, error=type(exc).__name__)
                planner.observe(self.clock(), None)
                continue
            blips = 0
            planner.observe(self.clock(), status.progress)
            if progress is not None and status.progress is not None:
                progress("render", status.progress, 100.0)
            if status.status in ("completed", "failed", "cancelled"):
                log.info("cloud.render_done", job_id=job.id, status=status.status,
                         looks=planner.looks)
                return status
            if self.clock() - start > max_wait:
                raise RenderError("render still running", key="render_timeout", job_id=job.id)

    def _download_allowed(self, url: str) -> bool:
        scheme, host, _ = origin(url)
        api_scheme, api_host, _ = origin(self.base_url)
        if scheme == "https" and host:
            return True
        # plain http only for a loopback API (tests, `igedit serve`) and a loopback file host
        return (scheme == "http" and api_scheme == "http" and is_loopback_host(api_host)
                and is_loopback_host(host))

    async def _fetch(self, url: str, dest: Path, progress: ProgressCb | None) -> Path:
        if not self._download_allowed(url):
            raise RenderError("insecure download link", key="download_insecure",
                              host=origin(url)[1])
        headers: dict[str, str] = {}
        if same_origin(url, self.base_url):  # the token goes to the API host only
            headers = self._headers(await self.auth.token())
        try:
            await download_to(self.client, url, dest, headers=headers, progress=progress,
                              timeout=DOWNLOAD_TIMEOUT)
        except httpx.HTTPStatusError as exc:
            raise RenderError(f"download answered HTTP {exc.response.status_code}",
                              key="download_failed", status=exc.response.status_code) from exc
        except httpx.HTTPError as exc:
            raise network_error(exc, url) from exc
        log.info("cloud.downloaded", path=str(dest))
        return dest

    async def download(self, url: str, dest: Path, *,
                       progress: ProgressCb | None = None) -> Path:
        """Stream the render to ``dest`` (temp file + rename); fall back to the API copy."""
        dest = Path(dest)
        try:
            return await self._fetch(url, dest, progress)
        except (RenderError, NetworkError) as exc:
            job_id = self._job_for_url.get(url)
            fallback = self._fallback_url(job_id) if job_id else ""
            if not fallback or fallback == url:
                raise
            log.info("cloud.download_fallback", job_id=job_id, error=type(exc).__name__)
            return await self._fetch(fallback, dest, progress)

    async def aclose(self) -> None:
        if self.owns_client:
            await self.client.aclose()
