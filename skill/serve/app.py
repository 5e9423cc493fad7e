"""``igedit serve``: the local engine behind the NemoVideo HTTP API.

Same endpoints, envelopes (``{"code": 0, "message": "ok", "data": …}``) and codes as
the cloud (``shared/reference/nemovideo-protocol.md``), and ``/run_sse`` writes ADK
events exactly as Google ADK's API server does (one ``data: <compact camelCase
JSON>`` line and a blank line per event). So the cloud client — or any client of the
NemoVideo API — works against it unchanged::

    igedit serve --port 8765 &
    NEMO_API_URL=http://127.0.0.1:8765 igedit --backend cloud edit "make it square"

Every route but the anonymous-token one needs ``Authorization: Bearer <token>`` with
a token this server issued (else HTTP 401, code 1001); sessions and render jobs
belong to the token's user. The server listens on loopback unless told otherwise:
its tokens are free for the asking, so anyone who can reach the port can read what
is uploaded to it and render with this machine's CPU.

Safe on a desktop (see ``docs/reliability.md``, "igedit serve under attack"):

* :class:`~skill.serve.guard.Guard` refuses a ``Host`` that is not this server's
  (DNS rebinding: 421), a foreign browser ``Origin`` (403), and a stalled body (408);
  no CORS headers are sent;
* drafts name media only by the id an upload to the same session returned; any path
  is refused with one message (``serve_media_refused``);
* upload-by-URL reaches public addresses only (:mod:`skill.engine.safeurl`);
* limits: JSON bodies (:data:`MAX_JSON_BYTES`), files per request
  (:data:`MAX_REQUEST_BYTES`), URLs per request, image pixels, render length, one
  render running at a time (:data:`MAX_PARALLEL_RENDERS`), at most
  :data:`MAX_SESSION_RENDERS` waiting per session and :data:`MAX_QUEUED_RENDERS` on
  the whole server; ``POST /api/render/proxy/lambda/{id}/cancel``
  stops one.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ..backend import MAX_UPLOAD_BYTES
from ..draft import decode_draft, encode_draft
from ..engine.db import LOCAL_OWNER, TokenRow
from ..engine.intake import download_url, ingest_stored
from ..engine.jobs import TERMINAL
from ..engine.safeurl import UrlPolicy
from ..engine.turn import new_invocation_id
from ..engine.workspace import Workspace, media_info, resolve_media
from ..errors import InputError, NetworkError, SkillError
from ..lang import normalize_lang
from ..media import human_size, is_url
from ..templates import at_door, render
from .guard import Guard
from .multipart import MultipartError, TooMuch, discard, receive_files
from .sse import adk_messages, sse_line

log = structlog.get_logger(__name__)

APP = "nemo_agent"
DEFAULT_TTL_S = 7 * 24 * 3600
_JOB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}$")
_SESSION_LOST = "Session not found. Please create a new session."
#: the largest JSON body read (a draft is a few KB; 1 MiB leaves room for long ones)
MAX_JSON_BYTES = 1024 * 1024
#: the most file bytes one upload request may carry (each file: MAX_UPLOAD_BYTES)
MAX_REQUEST_BYTES = 1024 * 1024 * 1024
#: links per upload-by-URL request
MAX_URLS = 10
#: renders waiting or running for one session (a 4th is refused with 429): several
#: terminals may export the same project, but a script cannot pile up renders
MAX_SESSION_RENDERS = 3
#: renders waiting or running on the whole server; more get 503
MAX_QUEUED_RENDERS = 6
#: renders running at once; the others wait their turn (so one at a time per session)
MAX_PARALLEL_RENDERS = 1


class BodyTooLarge(Exception):
    """A JSON body over the limit (answered 413 before it is read whole)."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


# ---------------------------------------------------------------- envelopes

def ok(data: Any) -> JSONResponse:
    return JSONResponse({"code": 0, "message": "ok", "data": data})


def fail(code: int, message: str, status: int = 200) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "data": None}, status_code=status)


def _pick(body: dict[str, Any], snake: str, camel: str) -> Any:
    return body[snake] if snake in body else body.get(camel)


class Server:
    """Route handlers over one :class:`Workspace`."""

    def __init__(self, home: Path, *, token_ttl_s: int, workspace: Workspace | None = None,
                 max_upload_bytes: int = MAX_UPLOAD_BYTES,
                 max_request_bytes: int = MAX_REQUEST_BYTES,
                 max_json_bytes: int = MAX_JSON_BYTES,
                 max_queued_renders: int = MAX_QUEUED_RENDERS,
                 max_session_renders: int = MAX_SESSION_RENDERS,
                 max_parallel_renders: int = MAX_PARALLEL_RENDERS,
                 url_policy: UrlPolicy | None = None) -> None:
        self.ws = workspace or Workspace(home)
        self.token_ttl_s = token_ttl_s
        self.max_upload_bytes = max_upload_bytes
        self.max_request_bytes = max_request_bytes
        self.max_json_bytes = max_json_bytes
        self.max_queued_renders = max_queued_renders
        self.max_session_renders = max_session_renders
        self.ws.jobs.max_parallel = max_parallel_renders
        self.url_policy = url_policy or UrlPolicy.from_env()

    async def json_body(self, request: Request) -> dict[str, Any]:
        """The body as a JSON object ({} when empty or not an object), read in chunks
        and refused (:class:`BodyTooLarge`, 413) past ``max_json_bytes``."""
        raw = await read_limited(request, self.max_json_bytes)
        if not raw.strip():
            return {}
        try:
            value = json.loads(raw)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    # -- auth -------------------------------------------------------------------
    def user_of(self, request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        row = self.ws.db.get_token(token.strip())
        if row is None or row.expires <= time.time():
            return None
        return row.user_id

    @staticmethod
    def unauthorized() -> JSONResponse:
        return fail(1001, "Invalid or expired token", status=401)

    async def anonymous_token(self, request: Request) -> Response:
        client_id = request.headers.get("x-client-id", "").strip()
        if not client_id:
            return fail(400, "X-Client-Id header is required", status=400)
        now = time.time()
        row = self.ws.db.token_for_client(client_id, now)
        if row is None:
            user = self.ws.db.user_for_client(client_id) or f"anon_{secrets.token_hex(6)}"
            row = TokenRow(f"nmv_usr_{secrets.token_urlsafe(24)}", user, client_id, now,
                           now + self.token_ttl_s)
            self.ws.db.add_token(row)
        expires = datetime.fromtimestamp(row.expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return ok({"token": row.token, "user_id": row.user_id, "credits": 0,
                   "expires_at": expires, "local": True})

    # -- sessions ---------------------------------------------------------------
    async def create_session(self, request: Request) -> Response:
        user = self.user_of(request)
        if user is None:
            return self.unauthorized()
        body = await self.json_body(request)
        lang = normalize_lang(str(body.get("language") or "en"))
        row = self.ws.create_session(user, lang)
        return ok({"task_id": row.task_id, "session_id": row.id, "user_id": user,
                   "task_name": str(body.get("task_name") or "project")})

    async def state(self, request: Request) -> Response:
        user = self.user_of(request)
        if user is None:
            return self.unauthorized()
        sid = request.path_params["sid"]
        row = self.ws.session(sid, user)
        if row is None:
            return fail(1002, _SESSION_LOST)
        from ..engine.turn import canvas_config

        infos = [_video_info(m) for m in self.ws.media(sid)]
        return ok({"session_id": row.id, "task_id": row.task_id, "task_name": "project",
                   "user_id": user, "state": {
                       "draft": encode_draft(row.draft), "video_infos": infos, "generated_media": [],
                       "video_analyses": {}, "canvas_config": canvas_config(row.draft),
                       "language": row.lang}})

    async def credits(self, request: Request) -> Response:
        if self.user_of(request) is None:
            return self.unauthorized()
        # the local engine needs no credits; "local" lets a client say so
        return ok({"available": 0, "frozen": 0, "total": 0, "local": True})

    # -- editing ----------------------------------------------------------------
    async def run_sse(self, request: Request) -> Response:
        user = self.user_of(request)
        if user is None:
            return self.unauthorized()
        try:
            body = json.loads(await read_limited(request, self.max_json_bytes))
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return JSONResponse({"detail": [{"msg": "body must be a JSON object"}]}, status_code=422)
        sid = str(_pick(body, "session_id", "sessionId") or "")
        message = _pick(body, "new_message", "newMessage")
        parts = message.get("parts") if isinstance(message, dict) else None
        if not sid or not isinstance(parts, list):
            return JSONResponse({"detail": [{"msg": "session_id and new_message.parts are required"}]},
                                status_code=422)
        text = "".join(str(p.get("text") or "") for p in parts if isinstance(p, dict)).strip()
        session = self.ws.session(sid, user)
        if session is None:
            return fail(1002, _SESSION_LOST)
        streaming = bool(body.get("streaming") or False)
        return StreamingResponse(self._stream(sid, text, session.lang, streaming),
                                 media_type="text/event-stream")

    async def _stream(self, sid: str, text: str, lang: str, streaming: bool) -> AsyncIterator[bytes]:
        try:
            async for obj in self.ws.edit(sid, text, lang=lang, invocation_id=new_invocation_id()):
                for out in adk_messages(obj, streaming):
                    yield sse_line(out)
        except Exception as exc:  # ADK's in-stream error form, then the stream ends
            log.exception("serve.stream_error")
            message = render(exc.key, lang, **exc.ctx) if isinstance(exc, SkillError) else str(exc)
            yield sse_line({"error": f"{type(exc).__name__}: {message}"})

    # -- uploads ----------------------------------------------------------------
    async def upload(self, request: Request) -> Response:
        user = self.user_of(request)
        if user is None:
            return self.unauthorized()
        sid = request.path_params["sid"]
        if self.ws.session(sid, user) is None:
            return fail(1002, _SESSION_LOST)
        ctype = request.headers.get("content-type", "")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_request_bytes:
            return _too_much(self.max_request_bytes)
        try:
            if ctype.startswith("multipart/"):
                rows = await self._upload_files(request, ctype)
            else:
                rows = await self._upload_urls(await self.json_body(request))
        except TooMuch:
            return _too_much(self.max_request_bytes)
        except InputError as exc:
            code = exc.ctx.get("code")
            code = int(code) if isinstance(code, int) else 4001
            return fail(code, render(exc.key, "en", **exc.ctx))
        except NetworkError as exc:
            return fail(4003, render(exc.key, "en", **exc.ctx))
        except MultipartError as exc:
            return fail(400, str(exc), status=400)
        await self.ws.attach(sid, rows)
        return ok({"files": [_video_info(r) for r in rows], "session_state_applied": True})

    async def _upload_files(self, request: Request, ctype: str) -> list[Any]:
        received = await receive_files(request.stream(), ctype, self.ws.media_dir,
                                       max_bytes=self.max_upload_bytes,
                                       max_total=self.max_request_bytes)
        try:
            if not received:
                raise InputError("no files", key="error_4001", found="no file in field 'files'",
                                 code=4001)
            big = next((r for r in received if r.too_large), None)
            if big is not None:
                raise InputError(f"{big.filename} too large", key="error_4002", file=big.filename,
                                 size=f"> {human_size(self.max_upload_bytes)}", code=4002)
            rows = []
            for item in received:
                rows.append(await ingest_stored(self.ws.db, item.path, name=item.filename,
                                                sha=item.sha256, media_dir=self.ws.media_dir))
            return rows
        finally:
            discard(received)  # moved into media/ on success; removed otherwise

    async def _upload_urls(self, body: dict[str, Any]) -> list[Any]:
        urls = body.get("urls")
        if not isinstance(urls, list) or not urls or not all(
                isinstance(u, str) and is_url(u) for u in urls):
            raise InputError("urls must be a list of http(s) URLs", key="error_4001",
                             found="not an http(s) URL", code=4001)
        if len(urls) > MAX_URLS:
            raise InputError("too many urls", key="serve_too_many_urls", limit=MAX_URLS,
                             code=4001)
        return [await download_url(self.ws.db, None, u.strip(), self.ws.media_dir,
                                   max_bytes=self.max_upload_bytes, policy=self.url_policy)
                for u in urls]

    # -- rendering --------------------------------------------------------------
    async def submit_render(self, request: Request) -> Response:
        user = self.user_of(request)
        if user is None:
            return self.unauthorized()
        body = await self.json_body(request)
        job_id = str(body.get("id") or f"render_{int(time.time() * 1000)}")
        sid = str(_pick(body, "session_id", "sessionId") or "")
        if not _JOB_ID.match(job_id):
            return fail(400, "id must be letters, digits, '_', '-' or '.'", status=400)
        if self.ws.session(sid, user) is None:
            return fail(1002, _SESSION_LOST)
        existing = self.ws.jobs.status(job_id)
        if existing is not None:
            if existing.owner != user:
                return fail(409, "a render with this id already exists", status=409)
            return ok({"id": job_id, "taskId": job_id, "status": existing.status})
        typed = decode_draft(body.get("draft"))   # the HTTP edge: an object or a JSON string
        if not typed.ready:
            return fail(400, "the draft has no track with segments", status=400)
        allowed = {m.id for m in self.ws.media(sid)}
        try:
            resolve_media(typed, self.ws.db, allowed=allowed)
        except InputError as exc:
            return fail(4001, render(exc.key, "en", **exc.ctx))
        busy = self.ws.db.active_jobs(session_id=sid)
        if len(busy) >= self.max_session_renders:
            return fail(429, render("serve_render_busy", "en", job=busy[0].id,
                                    limit=self.max_session_renders), status=429)
        if len(self.ws.db.active_jobs(exclude_owner=LOCAL_OWNER)) >= self.max_queued_renders:
            return fail(503, render("serve_render_queue_full", "en",
                                    limit=self.max_queued_renders), status=503)
        output = body.get("output")
        quality = output.get("quality") if isinstance(output, dict) else ""
        preview = str(quality or "").lower() in ("preview", "low", "draft")
        try:
            row = self.ws.jobs.submit(session_id=sid, owner=user, draft=typed, preview=preview,
                                      job_id=job_id)
        except InputError as exc:
            return fail(400, render(exc.key, "en", **exc.ctx), status=400)
        return ok({"id": row.id, "taskId": row.id, "status": row.status})

    async def cancel_render(self, request: Request) -> Response:
        """Stop a render of this user's (ffmpeg killed, status ``cancelled``)."""
        user, row = self._owned_job(request)
        if user is None:
            return row  # type: ignore[no-any-return]
        now = await self.ws.jobs.cancel(row.id) or row
        return ok({"id": now.id, "taskId": now.id, "status": now.status})

    def _owned_job(self, request: Request) -> tuple[str | None, Any]:
        user = self.user_of(request)
        if user is None:
            return None, self.unauthorized()
        row = self.ws.jobs.status(request.path_params["job"])
        if row is None or row.owner != user:
            return None, fail(404, "render job not found", status=404)
        return user, row

    async def render_status(self, request: Request) -> Response:
        user, row = self._owned_job(request)
        if user is None:
            return row  # type: ignore[no-any-return]
        if row.status not in TERMINAL and not self.ws.jobs.worker_alive(row):
            # its worker is gone (e.g. the server was restarted): render it again here
            self.ws.jobs.start(row.id)
            row = self.ws.jobs.status(row.id) or row
        body: dict[str, Any] = {"code": 0, "message": "ok", "taskId": row.id, "id": row.id,
                                "status": row.status, "progress": round(row.progress, 1)}
        inner: dict[str, Any] = {"status": row.status, "progress": body["progress"]}
        if row.status == "completed":
            url = f"{str(request.base_url).rstrip('/')}/api/render/proxy/{row.id}/download"
            size = Path(row.output).stat().st_size if Path(row.output).is_file() else 0
            body["output"] = {"url": url, "size": size,
                              "duration": row.draft.duration_ms / 1000}
            inner["outputUrl"] = url
        elif row.status == "failed":
            body["error"] = inner["error"] = row.error or "render failed"
        elif row.status == "cancelled":
            body["error"] = inner["error"] = "the render was cancelled"
        body["data"] = inner
        return JSONResponse(body)

    async def download(self, request: Request) -> Response:
        user, row = self._owned_job(request)
        if user is None:
            return row  # type: ignore[no-any-return]
        path = Path(row.output)
        if row.status != "completed" or not path.is_file():
            return fail(409, f"render is {row.status}, not completed", status=409)
        return FileResponse(path, media_type="video/mp4", filename=f"{row.id}.mp4")


def _video_info(m: Any) -> dict[str, Any]:
    info = media_info(m)
    return {"filename": info.name, "file_type": info.kind, "cdn_url": info.url,
            "duration": info.duration, "width": info.width, "height": info.height,
            "media_id": info.id}


async def read_limited(request: Request, limit: int) -> bytes:
    """The request body, refused (:class:`BodyTooLarge`) as soon as it passes ``limit``
    bytes — announced in ``Content-Length`` or counted as it streams in — so a 1 GiB
    body never sits in memory."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    buf = bytearray()
    async for chunk in request.stream():
        buf += chunk
        if len(buf) > limit:
            raise BodyTooLarge(limit)
    return bytes(buf)


def _too_much(limit: int) -> JSONResponse:
    response = fail(413, render("serve_body_too_large", "en", size=human_size(limit)),
                    status=413)
    response.headers["connection"] = "close"  # the rest of the body is not read
    return response


async def _body_too_large(_request: Request, exc: Exception) -> Response:
    return _too_much(exc.limit if isinstance(exc, BodyTooLarge) else MAX_JSON_BYTES)


def create_app(home: Path, *, token_ttl_s: int = DEFAULT_TTL_S,
               workspace: Workspace | None = None,
               max_upload_bytes: int = MAX_UPLOAD_BYTES,
               allowed_hosts: tuple[str, ...] = (), allow_private_urls: bool = False,
               url_policy: UrlPolicy | None = None, body_idle_s: float | None = None,
               **limits: Any) -> Starlette:
    """The Starlette app serving the engine at ``home`` over the NemoVideo API.

    ``workspace`` injects a preconfigured engine core (e.g. a planner for tests);
    ``max_upload_bytes`` is the 4002 limit (500 MB, as the cloud's). ``allowed_hosts``
    are names accepted in ``Host`` besides the loopback ones (``--allow-host``);
    ``allow_private_urls`` lets upload-by-URL reach private networks (or
    ``IGEDIT_ALLOW_PRIVATE_URLS=1``); ``url_policy`` injects the whole URL policy
    (tests: resolver and dialer). ``limits``: ``max_request_bytes``,
    ``max_json_bytes``, ``max_queued_renders``, ``max_session_renders``,
    ``max_parallel_renders``.
    """
    policy = url_policy or UrlPolicy.from_env(allow_private=allow_private_urls)
    s = Server(Path(home), token_ttl_s=token_ttl_s, workspace=workspace,
               max_upload_bytes=max_upload_bytes, url_policy=policy, **limits)
    routes = [
        Route("/api/auth/anonymous-token", s.anonymous_token, methods=["POST"]),
        Route(f"/api/tasks/me/with-session/{APP}", s.create_session, methods=["POST"]),
        Route("/run_sse", s.run_sse, methods=["POST"]),
        Route(f"/api/upload-video/{APP}/me/{{sid}}", s.upload, methods=["POST"]),
        Route("/api/credits/balance/simple", s.credits, methods=["GET"]),
        Route(f"/api/state/{APP}/me/{{sid}}/latest", s.state, methods=["GET"]),
        Route("/api/render/proxy/lambda", s.submit_render, methods=["POST"]),
        Route("/api/render/proxy/lambda/{job}", s.render_status, methods=["GET"]),
        Route("/api/render/proxy/lambda/{job}/cancel", s.cancel_render, methods=["POST"]),
        Route("/api/render/proxy/{job}/download", s.download, methods=["GET"]),
    ]
    guard: dict[str, Any] = {"allowed_hosts": allowed_hosts}
    if body_idle_s is not None:
        guard["body_idle_s"] = body_idle_s
    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        # renders are tasks of this server's event loop: stop them (their ffmpeg too) and
        # hand their jobs back before the loop goes, rather than leave them to the collector
        await s.ws.jobs.aclose()

    app = Starlette(routes=routes, middleware=[Middleware(HttpDoor), Middleware(Guard, **guard)],
                    exception_handlers={BodyTooLarge: _body_too_large}, lifespan=lifespan)
    app.state.server = s
    return app


class HttpDoor:
    """ASGI middleware: every message written while answering a request (the engine's
    too) is for a program speaking HTTP: it names endpoints, not CLI commands or MCP
    tools (:func:`skill.templates.at_door`)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        with at_door("http"):
            await self.app(scope, receive, send)


_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def is_loopback(host: str) -> bool:
    import ipaddress

    if host in _LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def run_server(home: Path, host: str = "127.0.0.1", port: int = 8765, *,
               allow_remote: bool = False, token_ttl_s: int = DEFAULT_TTL_S,
               allow_hosts: tuple[str, ...] = (), allow_private_urls: bool = False) -> None:
    """Serve until interrupted (uvicorn). A non-loopback ``host`` is refused unless
    ``allow_remote=True`` (``igedit serve --allow-remote``): tokens are free for the
    asking, so whoever reaches the port can upload, render and download here.

    ``Host`` headers are accepted for the loopback names, ``allow_hosts`` and the
    bound address itself (when it is a specific one, not ``0.0.0.0``/``::``)."""
    import uvicorn

    from ..errors import ConfigError
    from .uvi import server_config

    if not is_loopback(host) and not allow_remote:
        raise ConfigError(f"refusing to listen on {host}", key="serve_remote_refused", host=host)
    names = tuple(allow_hosts)
    if host not in ("0.0.0.0", "::", ""):  # noqa: S104 - compared, not bound
        names += (host,)
    app = create_app(home, token_ttl_s=token_ttl_s, allowed_hosts=names,
                     allow_private_urls=allow_private_urls)
    uvicorn.Server(server_config(app, host, port)).run()
