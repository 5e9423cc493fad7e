"""``igedit serve``: the local engine behind the NemoVideo HTTP API (Starlette/uvicorn)."""

from __future__ import annotations

from .app import create_app, run_server

__all__ = ["create_app", "run_server"]
