"""A fake NemoVideo API: a real Starlette app with fault switches and a request recorder.

Usage::

    fake = FakeNemo(faults={"expired_token"}, clock=sim.now)
    with fake.serve():                     # API + "CDN" on two loopback ports
        backend = CloudBackend(httpx.AsyncClient(), store, manifest, base_url=fake.base_url)
        ...
    fake.requests      # every API request: method, path, headers (lowercase), body summary
    fake.cdn_requests  # every request to the download host
    fake.counts        # Counter by endpoint name ("run_sse", "render_submit", …)
    fake.messages      # texts received by /run_sse (assert nothing was sent twice)

Streams replay the recorded ADK files in ``fixtures/adk/`` and apply their
``stateDelta`` to the session, so ``/state`` shows what the edit changed.

Fault switches (``FakeNemo.FAULTS``); one-shot ones clear themselves when they fire:

=====================  =====================================================================
expired_token          (one-shot) the first authenticated request answers 1001 (HTTP 401)
lost_session           (one-shot) all sessions vanish; the next session request answers 1002
lost_session_404       (one-shot) like lost_session, answered on /run_sse as ADK's HTTP 404
rate_limit             (one-shot) the first request answers HTTP 429
rate_limit_always      every request answers HTTP 429
missing_client_id      (one-shot) the anonymous-token request answers HTTP 400
export_402             render submit answers HTTP 402
no_credits             /run_sse answers 2001 before streaming; credits are 0
tools_only             the stream carries tool calls and a state delta, no text
cut_stream             the connection is closed after the first two events (state applied)
heartbeats_only        comments and empty ``data:`` lines, then the end
partials               the recorded ``streaming: true`` file (partial chunks + aggregate)
malformed              broken ``data:`` lines mixed with the recorded events
stream_error           an ``errorCode`` event, then a ``{"error": …}`` line
render_fail_once       (one-shot) the next submitted render fails
status_flaky           (one-shot) the next render-status poll answers HTTP 503
status_shape_data      render status in the ``{"success": true, "data": {…}}`` shape
draft_string           state returns the draft as a JSON string
slow_download          the CDN sends the file in small, delayed chunks
cdn_down               the CDN answers 503 (the API's /download fallback still works)
=====================  =====================================================================
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.servers import serve_in_thread

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ADK = FIXTURES / "adk"
ENVELOPES = FIXTURES / "envelopes"

ONE_SHOT = frozenset({"expired_token", "lost_session", "lost_session_404", "rate_limit",
                      "missing_client_id", "render_fail_once", "status_flaky"})
FAULTS = ONE_SHOT | frozenset({
    "rate_limit_always", "export_402", "no_credits", "tools_only", "cut_stream",
    "heartbeats_only", "partials", "malformed", "stream_error", "status_shape_data",
    "draft_string", "slow_download", "cdn_down",
})
R = TypeVar("R")
_CJK = re.compile(r"[\u4e00-\u9fff]")


class _DropIncompleteResponseNoise(logging.Filter):
    """``cut_stream`` closes a response on purpose; uvicorn would log it as an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_DropIncompleteResponseNoise())


def envelope(name: str) -> tuple[int, Any]:
    """``(http_status, body)`` of a fixture in ``fixtures/envelopes/``."""
    obj = json.loads((ENVELOPES / f"{name}.json").read_text(encoding="utf-8"))
    return int(obj["http_status"]), obj["body"]


def sse_events(name: str) -> list[str]:
    """The raw SSE messages (without the blank-line separator) of a fixture stream."""
    text = (ADK / name).read_text(encoding="utf-8")
    return [chunk for chunk in text.split("\n\n") if chunk.strip()]


def video_bytes(size: int) -> bytes:
    head = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
    body = bytes(range(256)) * (size // 256 + 1)
    return (head + body)[:size]


class SimClock:
    """Simulated time shared by the fake server and a backend: no real waiting.

    ``now`` is the clock; ``sleep`` records the delay, advances time and yields once.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.t = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += max(0.0, seconds)
        await asyncio.sleep(0)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any = None
    status: int = 0
    at: float = 0.0


@dataclass
class Job:
    id: str
    session_id: str
    draft: Any
    submitted: float
    duration: float
    fail: bool = False
    download_started: float | None = None

    @property
    def done_at(self) -> float:
        return self.submitted + self.duration


class _RawStream:
    """An SSE body sent chunk by chunk; ``cut`` returns without finishing the response."""

    def __init__(self, chunks: AsyncIterator[bytes], *, cut: bool = False,
                 content_type: bytes = b"text/event-stream; charset=utf-8") -> None:
        self.chunks = chunks
        self.cut = cut
        self.content_type = content_type

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", self.content_type)]})
        async for chunk in self.chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        if self.cut:
            return  # uvicorn closes the socket: the client sees an incomplete body
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _json(status: int, body: Any) -> JSONResponse:
    return JSONResponse(body, status_code=status)


def _env_response(name: str) -> JSONResponse:
    return _json(*envelope(name))


def _ok(data: Any) -> JSONResponse:
    return _json(200, {"code": 0, "message": "ok", "data": data})


@dataclass
class FakeNemo:
    """The fake server's state and its two ASGI apps (``app`` = API, ``cdn_app``)."""

    faults: set[str] = field(default_factory=set)
    clock: Callable[[], float] = time.monotonic
    render_seconds: float | Callable[[], float] = 0.0
    download_size: int = 256 * 1024
    chunk_delay: float = 0.02
    stream_delay: float = 0.0
    report_progress: bool = True
    tokens: dict[str, str] = field(default_factory=dict)   # extra valid token → user id

    def __post_init__(self) -> None:
        self.faults = set(self.faults)
        unknown = self.faults - FAULTS
        if unknown:
            raise ValueError(f"unknown fault switches: {sorted(unknown)}")
        self.requests: list[Recorded] = []
        self.cdn_requests: list[Recorded] = []
        self.counts: Counter[str] = Counter()
        self.messages: list[str] = []
        self.sessions: dict[str, dict[str, Any]] = {}
        self.jobs: dict[str, Job] = {}
        self.issued: dict[str, str] = {}       # token → user id
        self.client_ids: list[str] = []
        self.base_url = ""
        self.cdn_url = ""
        self.app = Starlette(routes=[
            Route("/api/auth/anonymous-token", self._anon, methods=["POST"]),
            Route("/api/tasks/me/with-session/nemo_agent", self._create_session, methods=["POST"]),
            Route("/run_sse", self._run_sse, methods=["POST"]),
            Route("/api/upload-video/nemo_agent/me/{sid}", self._upload, methods=["POST"]),
            Route("/api/credits/balance/simple", self._credits, methods=["GET"]),
            Route("/api/state/nemo_agent/me/{sid}/latest", self._state, methods=["GET"]),
            Route("/api/render/proxy/lambda", self._render_submit, methods=["POST"]),
            Route("/api/render/proxy/lambda/{job}", self._render_status, methods=["GET"]),
            Route("/api/render/proxy/{job}/download", self._render_download, methods=["GET"]),
        ])
        self.cdn_app = Starlette(routes=[
            Route("/renders/{name}", self._cdn_file, methods=["GET"]),
        ])

    # ------------------------------------------------------------ control
    def reset(self, faults: Iterable[str] = (), **settings: Any) -> FakeNemo:
        """Forget every request, token, session and job; set new faults and settings.

        Lets one running server (module-scoped fixture) serve many tests.
        """
        defaults: dict[str, Any] = {
            "clock": time.monotonic, "render_seconds": 0.0, "download_size": 256 * 1024,
            "chunk_delay": 0.02, "stream_delay": 0.0, "report_progress": True, "tokens": {},
        }
        unknown = set(settings) - set(defaults)
        if unknown:
            raise TypeError(f"unknown settings {sorted(unknown)}")
        for name, value in {**defaults, **settings}.items():
            setattr(self, name, dict(value) if name == "tokens" else value)
        self.faults = set()
        for fault in faults:
            self.set_fault(fault)
        self.requests.clear()
        self.cdn_requests.clear()
        self.counts.clear()
        self.messages.clear()
        self.sessions.clear()
        self.jobs.clear()
        self.issued.clear()
        self.client_ids.clear()
        return self

    def set_fault(self, name: str) -> None:
        if name not in FAULTS:
            raise ValueError(f"unknown fault switch {name!r}")
        self.faults.add(name)

    def clear_fault(self, name: str) -> None:
        self.faults.discard(name)

    def _fire(self, name: str) -> bool:
        """True if the fault is on (and switch one-shot faults off as they fire)."""
        if name not in self.faults:
            return False
        if name in ONE_SHOT:
            self.faults.discard(name)
        return True

    @contextlib.contextmanager
    def serve(self) -> Iterator[FakeNemo]:
        """Run the CDN and the API on two loopback ports for the duration of the block."""
        with serve_in_thread(self.cdn_app) as cdn, serve_in_thread(self.app) as api:
            self.cdn_url, self.base_url = cdn, api
            yield self

    def paths(self) -> list[str]:
        return [f"{r.method} {r.path}" for r in self.requests]

    def session_draft(self, sid: str | None = None) -> Any:
        sid = sid or next(reversed(self.sessions))
        return self.sessions[sid]["draft"]

    # ------------------------------------------------------------ helpers
    def _record(self, request: Request, body: Any = None, *, cdn: bool = False) -> Recorded:
        rec = Recorded(request.method, request.url.path,
                       {k.lower(): v for k, v in request.headers.items()}, body, at=self.clock())
        (self.cdn_requests if cdn else self.requests).append(rec)
        return rec

    def _reply(self, rec: Recorded, response: R) -> R:
        rec.status = int(getattr(response, "status_code", 200))
        return response

    def _gate(self, request: Request, rec: Recorded) -> JSONResponse | None:
        """Rate limit and bearer check shared by every API endpoint."""
        if self._fire("rate_limit") or "rate_limit_always" in self.faults:
            return _env_response("error-429")
        auth = request.headers.get("authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else ""
        if not token or (token not in self.issued and token not in self.tokens):
            return _env_response("error-1001")
        if self._fire("expired_token"):
            self.issued.pop(token, None)
            self.tokens.pop(token, None)
            return _env_response("error-1001")
        return None

    def _user(self, request: Request) -> str:
        token = request.headers.get("authorization", "")[7:]
        return self.issued.get(token) or self.tokens.get(token) or "anon_unknown"

    def _session(self, sid: str) -> dict[str, Any] | None:
        if self._fire("lost_session"):
            self.sessions.clear()
        return self.sessions.get(sid)

    # ------------------------------------------------------------ endpoints
    async def _anon(self, request: Request) -> Response:
        rec = self._record(request)
        self.counts["anonymous_token"] += 1
        if self._fire("rate_limit") or "rate_limit_always" in self.faults:
            return self._reply(rec, _env_response("error-429"))
        cid = request.headers.get("x-client-id", "")
        if not cid or self._fire("missing_client_id"):
            return self._reply(rec, _env_response("error-400"))
        self.client_ids.append(cid)
        token = "nmv_usr_" + uuid.uuid4().hex
        user = "anon_" + hashlib.sha256(cid.encode()).hexdigest()[:12]
        self.issued[token] = user
        return self._reply(rec, _ok({"token": token, "user_id": user, "credits": 100,
                                     "expires_at": "2031-01-01T00:00:00Z"}))

    async def _create_session(self, request: Request) -> Response:
        body = await request.json()
        rec = self._record(request, body)
        self.counts["create_session"] += 1
        if (denied := self._gate(request, rec)) is not None:
            return self._reply(rec, denied)
        sid = str(6295479202114361469 + self.counts["create_session"])
        user = self._user(request)
        self.sessions[sid] = {
            "task_id": uuid.uuid4().hex, "user_id": user, "language": body.get("language", ""),
            "draft": {"t": [], "m": {}}, "video_infos": [], "canvas_config": {},
        }
        return self._reply(rec, _ok({"task_id": self.sessions[sid]["task_id"],
                                     "session_id": sid, "user_id": user}))

    async def _credits(self, request: Request) -> Response:
        rec = self._record(request)
        self.counts["credits"] += 1
        if (denied := self._gate(request, rec)) is not None:
            return self._reply(rec, denied)
        if "no_credits" in self.faults:
            return self._reply(rec, _ok({"available": 0, "frozen": 0, "total": 100}))
        return self._reply(rec, _json(200, json.loads((ADK / "credits.json").read_text())))

    async def _state(self, request: Request) -> Response:
        rec = self._record(request)
        self.counts["state"] += 1
        if (denied := self._gate(request, rec)) is not None:
            return self._reply(rec, denied)
        sid = request.path_params["sid"]
        session = self._session(sid)
        if session is None:
            return self._reply(rec, _env_response("error-1002"))
        draft = session["draft"]
        return self._reply(rec, _ok({
            "session_id": sid, "task_id": session["task_id"], "task_name": "project",
            "user_id": session["user_id"],
            "state": {"draft": json.dumps(draft) if "draft_string" in self.faults else draft,
                      "video_infos": session["video_infos"], "generated_media": [],
                      "video_analyses": {}, "canvas_config": session["canvas_config"],
                      "language": session["language"]},
        }))

    async def _upload(self, request: Request) -> Response:
        rec = self._record(request)
        self.counts["upload"] += 1
        ctype = request.headers.get("content-type", "")
        if ctype.startswith("multipart/form-data"):
            parts = await self._parse_multipart(request, ctype)
            rec.body = {"multipart": parts}
        else:
            rec.body = await request.json()
            parts = [{"name": "url", "filename": str(u).rsplit("/", 1)[-1], "size": 0}
                     for u in rec.body.get("urls", [])]
        if (denied := self._gate(request, rec)) is not None:
            return self._reply(rec, denied)
        session = self._session(request.path_params["sid"])
        if session is None:
            return self._reply(rec, _env_response("error-1002"))
        files = []
        for part in parts:
            name = part["filename"]
            ext = name.rsplit(".", 1)[-1].lower()
            kind = ("image" if ext in {"jpg", "jpeg", "png", "gif", "webp"} else
                    "audio" if ext in {"mp3", "wav", "m4a", "aac"} else "video")
            info = {"filename": name, "file_type": kind, "cdn_url": f"{self.cdn_url}/media/{name}",
                    "duration": 10.0, "width": 1920, "height": 1080}
            files.append(info)
            session["video_infos"].append(info)
            if kind == "video":
                session["draft"].setdefault("t", []).insert(0, {
                    "tt": 0, "m": {"name": name},
                    "sg": [{"s": 0, "d": 10000, "m": {"name": name, "src": info["cdn_url"]}}]})
        return self._reply(rec, _ok({"files": files, "session_state_applied": True}))

    async def _parse_multipart(self, request: Request, ctype: str) -> list[dict[str, Any]]:
        """Stream-parse the form: only names and sizes are kept (memory stays flat)."""
        _, params = parse_options_header(ctype)
        parts: list[dict[str, Any]] = []
        current: dict[str, Any] = {}
        header = {"field": b"", "value": b""}

        def on_part_begin() -> None:
            current.clear()
            current.update(headers={}, size=0)

        def on_header_field(data: bytes, start: int, end: int) -> None:
            header["field"] += data[start:end]

        def on_header_value(data: bytes, start: int, end: int) -> None:
            header["value"] += data[start:end]

        def on_header_end() -> None:
            current["headers"][header["field"].decode().lower()] = header["value"].decode()
            header["field"], header["value"] = b"", b""

        def on_part_data(data: bytes, start: int, end: int) -> None:
            current["size"] += end - start

        def on_part_end() -> None:
            _, opts = parse_options_header(current["headers"].get("content-disposition", ""))
            parts.append({"name": opts.get(b"name", b"").decode(),
                          "filename": opts.get(b"filename", b"").decode(),
                          "content_type": current["headers"].get("content-type", ""),
                          "size": current["size"]})

        parser = MultipartParser(params[b"boundary"], {
            "on_part_begin": on_part_begin, "on_header_field": on_header_field,
            "on_header_value": on_header_value, "on_header_end": on_header_end,
            "on_part_data": on_part_data, "on_part_end": on_part_end,
        })
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
        return parts

    # ------------------------------------------------------------ streaming
    def _stream_file(self, text: str) -> str:
        if "tools_only" in self.faults:
            return "synthetic-tools-only.sse"
        if "heartbeats_only" in self.faults:
            return "synthetic-heartbeats-only.sse"
        if "partials" in self.faults:
            return "edit-streaming-partials.sse"
        if "malformed" in self.faults:
            return "synthetic-malformed.sse"
        if "stream_error" in self.faults:
            return "synthetic-stream-error.sse"
        return "edit-zh.sse" if _CJK.search(text) else "edit-whole-events.sse"

    def _apply_delta(self, session: dict[str, Any], message: str) -> None:
        for line in message.splitlines():
            if not line.startswith("data:"):
                continue
            try:
                obj = json.loads(line[5:])
            except ValueError:
                continue
            actions = obj.get("actions") if isinstance(obj, dict) else None
            delta = actions.get("stateDelta") if isinstance(actions, dict) else None
            if isinstance(delta, dict):
                for key, value in delta.items():
                    session[key] = value

    async def _run_sse(self, request: Request) -> Any:
        raw = await request.body()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        rec = self._record(request, body)
        self.counts["run_sse"] += 1
        if (denied := self._gate(request, rec)) is not None:
            return self._reply(rec, denied)
        parts = ((body or {}).get("new_message") or {}).get("parts") or []
        if (not isinstance(body, dict) or body.get("app_name") != "nemo_agent"
                or body.get("user_id") != "me" or not body.get("session_id")
                or not parts or not isinstance(parts[0].get("text"), str)):
            return self._reply(rec, _json(422, {"detail": [{"msg": "invalid request body"}]}))
        sid = str(body["session_id"])
        if self._fire("lost_session_404"):
            self.sessions.clear()
            return self._reply(rec, _env_response("adk-404-session"))
        session = self._session(sid)
        if session is None:
            return self._reply(rec, _env_response("error-1002"))
        if "no_credits" in self.faults:
            return self._reply(rec, _env_response("error-2001"))
        text = parts[0]["text"]
        self.messages.append(text)
        rec.status = 200
        messages = sse_events(self._stream_file(text))
        cut = "cut_stream" in self.faults
        if cut:
            messages = messages[:2]

        async def chunks() -> AsyncIterator[bytes]:
            for message in messages:
                self._apply_delta(session, message)
                if self.stream_delay:
                    await asyncio.sleep(self.stream_delay)
                yield (message + "\n\n").encode("utf-8")

        return _RawStream(chunks(), cut=cut)

    # ------------------------------------------------------------ render
    async def _render_submit(self, request: Request) -> Response:
        body = await request.json()
        rec = self._record(request, body)
        self.counts["render_submit"] += 1
        if (denied := self._gate(request, rec)) is not None:
            return self._reply(rec, denied)
        if "export_402" in self.faults:
            return self._reply(rec, _env_response("error-402"))
        if (not isinstance(body, dict) or not str(body.get("id", "")).startswith("render_")
                or "draft" not in body or not body.get("sessionId")):
            return self._reply(rec, _json(422, {"detail": "invalid render request"}))
        if self._session(str(body["sessionId"])) is None:
            return self._reply(rec, _env_response("error-1002"))
        seconds = self.render_seconds() if callable(self.render_seconds) else self.render_seconds
        job = Job(str(body["id"]), str(body["sessionId"]), body["draft"], self.clock(),
                  float(seconds), fail=self._fire("render_fail_once"))
        self.jobs[job.id] = job
        return self._reply(rec, _ok({"id": job.id, "status": "pending"}))

    def _job_state(self, job: Job) -> tuple[str, int]:
        elapsed = self.clock() - job.submitted
        if elapsed >= job.duration:
            return ("failed", 37) if job.fail else ("completed", 100)
        progress = int(elapsed / job.duration * 100) if job.duration else 0
        return ("processing" if progress > 0 else "pending"), progress

    async def _render_status(self, request: Request) -> Response:
        rec = self._record(request)
        self.counts["render_status"] += 1
        if (denied := self._gate(request, rec)) is not None:
            return self._reply(rec, denied)
        if self._fire("status_flaky"):
            return self._reply(rec, Response(b"Service Unavailable", status_code=503))
        job = self.jobs.get(request.path_params["job"])
        if job is None:
            return self._reply(rec, _json(404, {"success": False, "error": "render not found"}))
        status, progress = self._job_state(job)
        shown: int | None = progress if self.report_progress else None
        url = f"{self.cdn_url}/renders/{job.id}.mp4" if status == "completed" else None
        if "status_shape_data" in self.faults:
            data: dict[str, Any] = {"status": status, "progress": shown}
            if url:
                data["outputUrl"] = url
            if status == "failed":
                data["error"] = "Lambda render timed out"
            return self._reply(rec, _json(200, {"success": True, "data": data}))
        top: dict[str, Any] = {"taskId": job.id, "status": status, "progress": shown}
        if url:
            top["output"] = {"url": url, "duration": 10.0, "size": self.download_size}
        if status == "failed":
            top["error"] = "Lambda render timed out"
        return self._reply(rec, _json(200, top))

    async def _render_download(self, request: Request) -> Response:
        rec = self._record(request)
        self.counts["render_download"] += 1
        if (denied := self._gate(request, rec)) is not None:
            return self._reply(rec, denied)
        job = self.jobs.get(request.path_params["job"])
        if job is None or self._job_state(job)[0] != "completed":
            return self._reply(rec, _json(404, {"detail": "not ready"}))
        if job.download_started is None:
            job.download_started = self.clock()
        return self._reply(rec, Response(video_bytes(self.download_size),
                                         media_type="video/mp4"))

    async def _cdn_file(self, request: Request) -> Any:
        rec = self._record(request, cdn=True)
        self.counts["cdn_download"] += 1
        job = self.jobs.get(request.path_params["name"].removesuffix(".mp4"))
        if job is not None and job.download_started is None:
            job.download_started = self.clock()
        if "cdn_down" in self.faults or job is None:
            rec.status = 503 if job is not None else 404
            return Response(b"unavailable", status_code=rec.status)
        rec.status = 200
        data = video_bytes(self.download_size)
        if "slow_download" not in self.faults:
            return Response(data, media_type="video/mp4")
        step = max(1, len(data) // 8)
        delay = self.chunk_delay

        async def slow() -> AsyncIterator[bytes]:
            for i in range(0, len(data), step):
                await asyncio.sleep(delay)
                yield data[i:i + step]

        return _SizedStream(slow(), len(data))


class _SizedStream:
    """A streamed body with a Content-Length, so the client can show percentages."""

    def __init__(self, chunks: AsyncIterator[bytes], size: int) -> None:
        self.chunks = chunks
        self.size = size

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"video/mp4"),
                                (b"content-length", str(self.size).encode())]})
        async for chunk in self.chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def fault_names() -> Iterable[str]:
    return sorted(FAULTS)
