"""The outer wall of ``igedit serve``: who may talk to it, and how slowly.

**DNS rebinding.** A web page at ``evil.example`` can re-point its own name at
127.0.0.1 and then talk to this server "same-origin" from the victim's browser: fetch a
token, upload, render, spend ``ANTHROPIC_API_KEY`` through ``/run_sse``. The browser
still sends ``Host: evil.example:8765`` and ``Origin: http://evil.example:8765``, so:

* the ``Host`` header must name this server: a loopback name or address
  (``127.0.0.1``, ``localhost``, ``[::1]``, any port) or one of the names given with
  ``--allow-host``; anything else is answered ``421 Misdirected Request``;
* a request carrying an ``Origin`` (browsers send it on every cross-origin and every
  POST request) must come from this server's own origin, ``http://<Host>``; any other,
  including ``null``, is ``403``; a ``Sec-Fetch-Site: cross-site`` request too;
* no CORS headers are ever sent, so a browser never lets a foreign page read a reply.

**Slow clients.** uvicorn has no deadline for a request that trickles in: a client
that opens a connection and sends one byte a minute holds it forever. The headers get
a deadline in :mod:`skill.serve.uvi`; here each read of the body must bring data
within ``body_idle_s`` (a stalled upload is answered ``408`` and the connection
closed). Big uploads on slow links still work: only silence counts.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from typing import Any

from ..templates import render

#: names every loopback-bound server answers to
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
BODY_IDLE_S = 30.0

Scope = dict[str, Any]


def split_host(value: str) -> tuple[str, str]:
    """``Host`` header → (lower-case name without brackets, port or "")."""
    value = value.strip().lower()
    if value.startswith("["):
        name, _, rest = value[1:].partition("]")
        return name, rest[1:] if rest.startswith(":") else ""
    name, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        return value.rstrip("."), ""
    return name.rstrip("."), port


def host_allowed(host_header: str, allowed: frozenset[str]) -> bool:
    name, port = split_host(host_header)
    if not name or (port and not (port.isdigit() and 0 < int(port) < 65536)):
        return False
    return name in allowed


def origin_allowed(origin: str, host_header: str) -> bool:
    """True when ``origin`` is this server's own origin (``http(s)://<Host>``)."""
    origin = origin.strip().lower().rstrip("/")
    host = host_header.strip().lower()
    return origin in (f"http://{host}", f"https://{host}")


def _json(status: int, code: int, message: str) -> tuple[int, bytes]:
    body = {"code": code, "message": message, "data": None}
    return status, json.dumps(body).encode()


class BodyTimeout(Exception):
    """The client stopped sending the request body."""


class Guard:
    """ASGI middleware: Host/Origin checks, then an idle deadline on the body."""

    def __init__(self, app: Any, *, allowed_hosts: Iterable[str] = (),
                 body_idle_s: float = BODY_IDLE_S) -> None:
        self.app = app
        self.allowed = frozenset({*LOOPBACK_NAMES,
                                  *(split_host(h)[0] for h in allowed_hosts if h.strip())})
        self.body_idle_s = body_idle_s

    def refusal(self, scope: Scope) -> tuple[int, bytes] | None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers") or []}
        host = headers.get("host", "")
        if not host_allowed(host, self.allowed):
            return _json(421, 421, render("serve_host_refused", "en"))
        origin = headers.get("origin")
        cross_site = headers.get("sec-fetch-site", "").lower() == "cross-site"
        if cross_site or (origin is not None and not origin_allowed(origin, host)):
            return _json(403, 403, render("serve_origin_refused", "en"))
        return None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = self.refusal(scope)
        if refused is not None:
            await _send(send, *refused)
            return
        started = False
        body_done = False

        async def guarded_receive() -> Any:
            nonlocal body_done
            if body_done:  # later reads wait for a disconnect (SSE, downloads): no deadline
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.body_idle_s)
            except TimeoutError as exc:
                raise BodyTimeout from exc
            if message.get("type") != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        async def watched_send(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, guarded_receive, watched_send)
        except BodyTimeout:
            if not started:
                await _send(send, *_json(408, 408, render("serve_body_timeout", "en",
                                                          seconds=int(self.body_idle_s))),
                            close=True)


async def _send(send: Any, status: int, body: bytes, *, close: bool = False) -> None:
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


__all__ = ["BODY_IDLE_S", "LOOPBACK_NAMES", "BodyTimeout", "Guard", "host_allowed",
           "origin_allowed", "split_host"]
