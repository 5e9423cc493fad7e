"""Server-sent events from ``/run_sse``: a sans-IO line decoder and the streaming loop.

ADK writes one ``data: <json>`` line and a blank line per event. NemoVideo's gateway
adds keep-alives of an undocumented shape, so the decoder is tolerant: ``:`` comment
lines, ``data:`` lines with empty or non-JSON payloads, ``event:``/``id:``/``retry:``
lines — none of these raise; keep-alives become ``heartbeat`` events so the host can
say "Still working…".
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any

import httpx
import structlog
from httpx_sse import aconnect_sse

from ..errors import StreamDropped, StreamError
from ..events import Event, decode_data
from .errortable import Failure, parse_envelope

log = structlog.get_logger(__name__)

HEARTBEAT = Event("heartbeat")
STREAM_TOTAL_S = 15 * 60.0
#: connect quickly; a stream may legitimately be silent for a while (generation).
STREAM_TIMEOUT = httpx.Timeout(connect=15.0, read=300.0, write=60.0, pool=15.0)


class LineDecoder:
    """Feeds SSE lines; returns dispatched ``data`` payloads (``None`` = a comment)."""

    def __init__(self) -> None:
        self._data: list[str] = []

    def feed(self, line: str) -> list[str | None]:
        line = line.rstrip("\r\n")
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return [None]
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        # event:, id:, retry: and unknown fields carry nothing we use.
        return []

    def finish(self) -> list[str | None]:
        """Flush a last event the server did not terminate with a blank line."""
        return self._dispatch()

    def _dispatch(self) -> list[str | None]:
        if not self._data:
            return []
        payload, self._data = "\n".join(self._data), []
        return [payload]


def decode_lines(lines: Iterable[str]) -> Iterator[Event]:
    """Pure: SSE text lines → events (used by tests and benchmarks on recorded files)."""
    decoder = LineDecoder()
    for line in lines:
        for payload in decoder.feed(line):
            yield from _events(payload)
    for payload in decoder.finish():
        yield from _events(payload)


def _events(payload: str | None) -> list[Event]:
    return [HEARTBEAT] if payload is None else decode_data(payload)


class Refused(Exception):
    """The server answered without starting a stream (safe to retry or map)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message or f"HTTP {failure.status}")
        self.failure = failure


async def stream_events(
    client: httpx.AsyncClient, url: str, *, headers: dict[str, str], body: dict[str, Any],
    clock: Callable[[], float], total_s: float = STREAM_TOTAL_S,
    timeout: httpx.Timeout = STREAM_TIMEOUT,
) -> AsyncIterator[Event]:
    """POST ``body`` and yield events as they arrive.

    Raises :class:`Refused` when the server answers without a stream, the
    ``NetworkError`` caller maps connection failures before any byte was sent, and
    :class:`StreamDropped` when the connection breaks after the stream began.
    """
    started = False
    deadline = clock() + total_s
    try:
        async with aconnect_sse(client, "POST", url, json=body, headers=headers,
                                timeout=timeout) as source:
            response = source.response
            ctype = response.headers.get("content-type", "")
            log.info("cloud.request", method="POST", path=response.url.path,
                     status=response.status_code)
            if response.status_code != 200 or "text/event-stream" not in ctype:
                raw = await response.aread()
                reply = parse_envelope(response.status_code, raw)
                raise Refused(reply.failure or Failure(None, response.status_code,
                                                       "the answer was not a stream"))
            started = True
            decoder = LineDecoder()
            async for line in response.aiter_lines():
                for payload in decoder.feed(line):
                    for event in _events(payload):
                        yield event
                if clock() > deadline:
                    raise StreamError("no answer within 15 minutes", key="stream_timeout")
            for payload in decoder.finish():
                for event in _events(payload):
                    yield event
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        if started:
            raise StreamDropped(type(exc).__name__) from exc
        raise  # nothing reached the server: the caller maps it to NetworkError
    except httpx.HTTPError as exc:
        # The request may have reached the agent: never re-send, report a drop.
        log.info("cloud.stream_dropped", started=started, error=type(exc).__name__)
        raise StreamDropped(type(exc).__name__) from exc
