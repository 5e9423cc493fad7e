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
"""

from __future__ import annotations

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
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ..backend import MAX_UPLOAD_BYTES
from ..draft import decode_draft
from ..engine.db import TokenRow
from ..engine.intake import download_url, ingest_stored
from ..engine.turn import new_invocation_id
from ..engine.workspace import Workspace, media_info, resolve_media
from ..errors import InputError, NetworkError, SkillError
from ..lang import normalize_lang
from ..media import human_size, is_url
from ..templates import render
from .multipart import MultipartError, discard, receive_files
from .sse import adk_messages, sse_line

log = structlog.get_logger(__name__)

APP = "nemo_agent"
DEFAULT_TTL_S = 7 * 24 * 3600
_JOB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}$")
_SESSION_LOST = "Session not found. Please create a new session."


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
                 max_upload_bytes: int = MAX_UPLOAD_BYTES) -> None:
        self.ws = workspace or Workspace(home)
        self.token_ttl_s = token_ttl_s
        self.max_upload_bytes = max_upload_bytes

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
        body = await _json_body(request)
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
                       "draft": row.draft, "video_infos": infos, "generated_media": [],
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
            body = json.loads(await request.body())
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
        try:
            if ctype.startswith("multipart/"):
                rows = await self._upload_files(request, ctype)
            else:
                rows = await self._upload_urls(await _json_body(request))
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
                                       max_bytes=self.max_upload_bytes)
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
        async with self.ws.http() as client:
            return [await download_url(self.ws.db, client, u.strip(), self.ws.media_dir,
                                       max_bytes=self.max_upload_bytes) for u in urls]

    # -- rendering --------------------------------------------------------------
    async def submit_render(self, request: Request) -> Response:
        user = self.user_of(request)
        if user is None:
            return self.unauthorized()
        body = await _json_body(request)
        job_id = str(body.get("id") or f"render_{int(time.time() * 1000)}")
        sid = str(_pick(body, "session_id", "sessionId") or "")
        draft = body.get("draft")
        if isinstance(draft, str):
            try:
                draft = json.loads(draft)
            except ValueError:
                draft = None
        if not _JOB_ID.match(job_id):
            return fail(400, "id must be letters, digits, '_', '-' or '.'", status=400)
        if self.ws.session(sid, user) is None:
            return fail(1002, _SESSION_LOST)
        existing = self.ws.jobs.status(job_id)
        if existing is not None:
            if existing.owner != user:
                return fail(409, "a render with this id already exists", status=409)
            return ok({"id": job_id, "taskId": job_id, "status": existing.status})
        if not isinstance(draft, dict) or not decode_draft(draft).ready:
            return fail(400, "the draft has no track with segments", status=400)
        allowed = {m.id for m in self.ws.media(sid)}
        try:
            resolve_media(draft, self.ws.db, allowed=allowed)
        except InputError as exc:
            return fail(4001, render(exc.key, "en", **exc.ctx))
        output = body.get("output")
        quality = output.get("quality") if isinstance(output, dict) else ""
        preview = str(quality or "").lower() in ("preview", "low", "draft")
        row = self.ws.jobs.submit(session_id=sid, owner=user, draft=draft, preview=preview,
                                  job_id=job_id)
        return ok({"id": row.id, "taskId": row.id, "status": row.status})

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
        if row.status not in ("completed", "failed") and not self.ws.jobs.worker_alive(row):
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
                              "duration": decode_draft(row.draft).duration_ms / 1000}
            inner["outputUrl"] = url
        elif row.status == "failed":
            body["error"] = inner["error"] = row.error or "render failed"
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


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def create_app(home: Path, *, token_ttl_s: int = DEFAULT_TTL_S,
               workspace: Workspace | None = None,
               max_upload_bytes: int = MAX_UPLOAD_BYTES) -> Starlette:
    """The Starlette app serving the engine at ``home`` over the NemoVideo API.

    ``workspace`` injects a preconfigured engine core (e.g. a planner for tests);
    ``max_upload_bytes`` is the 4002 limit (500 MB, as the cloud's).
    """
    s = Server(Path(home), token_ttl_s=token_ttl_s, workspace=workspace,
               max_upload_bytes=max_upload_bytes)
    routes = [
        Route("/api/auth/anonymous-token", s.anonymous_token, methods=["POST"]),
        Route(f"/api/tasks/me/with-session/{APP}", s.create_session, methods=["POST"]),
        Route("/run_sse", s.run_sse, methods=["POST"]),
        Route(f"/api/upload-video/{APP}/me/{{sid}}", s.upload, methods=["POST"]),
        Route("/api/credits/balance/simple", s.credits, methods=["GET"]),
        Route(f"/api/state/{APP}/me/{{sid}}/latest", s.state, methods=["GET"]),
        Route("/api/render/proxy/lambda", s.submit_render, methods=["POST"]),
        Route("/api/render/proxy/lambda/{job}", s.render_status, methods=["GET"]),
        Route("/api/render/proxy/{job}/download", s.download, methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    app.state.server = s
    return app


_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def run_server(home: Path, host: str = "127.0.0.1", port: int = 8765, *,
               allow_remote: bool = False, token_ttl_s: int = DEFAULT_TTL_S) -> None:
    """Serve until interrupted (uvicorn). A non-loopback ``host`` is refused unless
    ``allow_remote=True`` (``igedit serve --allow-remote``): tokens are free for the
    asking, so whoever reaches the port can upload, render and download here."""
    import ipaddress

    import uvicorn

    from ..errors import ConfigError

    loopback = host in _LOOPBACK
    if not loopback:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
    if not loopback and not allow_remote:
        raise ConfigError(f"refusing to listen on {host}", key="serve_remote_refused", host=host)
    app = create_app(home, token_ttl_s=token_ttl_s)
    uvicorn.run(app, host=host, port=port, log_level="warning", lifespan="off")
