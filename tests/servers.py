"""Run an ASGI app on a real uvicorn server on 127.0.0.1, in a thread.

Streams (SSE, uploads, downloads) need a real socket: ``httpx.ASGITransport``
buffers whole responses.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # we run in a thread
        pass


@contextlib.contextmanager
def serve_in_thread(app: Any, port: int | None = None, *,
                    config: Callable[..., uvicorn.Config] | None = None) -> Iterator[str]:
    """Yield the base URL (``http://127.0.0.1:<port>``) while ``app`` is being served.

    ``config(app, host, port, **kw)`` builds the uvicorn configuration (e.g.
    ``skill.serve.uvi.server_config``, the one ``igedit serve`` runs with)."""
    port = port or free_port()
    if config is not None:
        conf = config(app, "127.0.0.1", port, timeout_graceful_shutdown=1)
    else:
        conf = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                              lifespan="auto", timeout_graceful_shutdown=1)
    server = _Server(conf)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
