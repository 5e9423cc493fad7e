"""One exception tree for everything igedit raises.

::

    SkillError                      base; carries a template key and its context
    ├── ConfigError                 bad settings, SKILL.md problems, no backend configured
    ├── InputError                  the user's input: missing file, bad format, too large, …
    ├── StoreError                  the state directory cannot be read or written
    ├── ApiError(code, status)      a NemoVideo (or compatible) API answered with an error
    │   ├── AuthError               1001 / 401: bad or expired token
    │   ├── SessionLost             1002 / ADK 404: the session is gone
    │   ├── NoCredits               2001
    │   ├── ExportBlocked           HTTP 402: free plan cannot export
    │   └── RateLimited             HTTP 429
    ├── NetworkError                the API cannot be reached / connection dropped
    ├── StreamError                 an SSE stream failed or carried an error
    │   └── StreamDropped           the connection dropped mid-stream (never re-sent)
    ├── RenderError                 a render job failed (cloud or local)
    ├── EngineError(cmd, rc, tail)  ffmpeg (or another tool) failed
    └── Cancelled                   the user interrupted the step

Every error carries ``key`` (the reply template in ``prompts/``) and ``ctx`` (its
variables), so front doors print ``render(err.key, lang, **err.ctx)`` and never
``str(exc)`` of a foreign exception.
"""

from __future__ import annotations

from typing import Any


class SkillError(Exception):
    """Base of all igedit errors."""

    key = "error_generic"

    def __init__(self, message: str = "", *, key: str | None = None, **ctx: Any) -> None:
        super().__init__(message or self.__class__.__name__)
        if key is not None:
            self.key = key
        self.ctx: dict[str, Any] = ctx
        self.ctx.setdefault("detail", message)


class ConfigError(SkillError):
    key = "error_config"


class InputError(SkillError):
    key = "error_input"


class StoreError(SkillError):
    key = "error_store"


class ApiError(SkillError):
    """An API answered with a non-zero ``code`` or an HTTP error status."""

    key = "error_api"

    def __init__(
        self, message: str = "", *, code: int | str | None = None, status: int | None = None,
        key: str | None = None, **ctx: Any,
    ) -> None:
        super().__init__(message, key=key, code=code, status=status, **ctx)
        self.code = code
        self.status = status


class AuthError(ApiError):
    key = "error_1001"


class SessionLost(ApiError):
    key = "error_1002"


class NoCredits(ApiError):
    key = "error_2001"


class ExportBlocked(ApiError):
    key = "error_402"


class RateLimited(ApiError):
    key = "error_429"


class NetworkError(SkillError):
    key = "error_network"


class StreamError(SkillError):
    key = "error_stream"


class StreamDropped(StreamError):
    key = "error_stream_dropped"


class RenderError(SkillError):
    key = "error_render"


class EngineError(SkillError):
    """An external tool (ffmpeg) failed; keeps argv and the tail of stderr for --verbose."""

    key = "error_engine"

    def __init__(
        self, message: str = "", *, cmd: list[str] | None = None, returncode: int | None = None,
        stderr_tail: str = "", key: str | None = None, **ctx: Any,
    ) -> None:
        super().__init__(message, key=key, **ctx)
        self.cmd = list(cmd or [])
        self.returncode = returncode
        self.stderr_tail = stderr_tail


class Cancelled(SkillError):
    key = "cancelled"
