"""uvicorn settings for ``igedit serve``: deadlines for slow and half-open clients.

uvicorn closes an idle keep-alive connection after ``timeout_keep_alive`` but has no
deadline for a request's *headers*: a client that connects and sends nothing, or one
header byte at a time (slowloris), keeps its connection — and a file descriptor —
forever. :class:`DeadlineH11Protocol` gives every request ``header_timeout_s`` from
its first byte (or from the connection, for the first request) to finish its headers;
the body has its own idle deadline in :class:`skill.serve.guard.Guard`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_S = 10.0
KEEP_ALIVE_S = 5
#: connections served at once; more are answered 503 at once
MAX_CONNECTIONS = 64


class DeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol plus a deadline for the request line and headers."""

    header_timeout_s = HEADER_TIMEOUT_S

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._header_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm()

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout_s, self._too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        before = self.cycle
        super().data_received(data)
        if self.cycle is not before or (self.cycle is not None
                                        and not self.cycle.response_complete):
            self._disarm()  # a request's headers are complete: it is being served
        else:
            self._arm()  # bytes of a next request, headers not complete yet

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def server_config(app: Any, host: str, port: int, *, header_timeout_s: float = HEADER_TIMEOUT_S,
                  **extra: Any) -> uvicorn.Config:
    """The uvicorn configuration ``igedit serve`` runs with (tests run the same)."""
    protocol = type("IgeditH11Protocol", (DeadlineH11Protocol,),
                    {"header_timeout_s": header_timeout_s})
    options: dict[str, Any] = {
        "host": host, "port": port, "log_level": "warning", "lifespan": "off",
        "http": protocol, "timeout_keep_alive": KEEP_ALIVE_S,
        "limit_concurrency": MAX_CONNECTIONS, "server_header": False,
        "h11_max_incomplete_event_size": 64 * 1024,
    }
    options.update(extra)
    return uvicorn.Config(app, **options)


__all__ = ["HEADER_TIMEOUT_S", "DeadlineH11Protocol", "server_config"]
