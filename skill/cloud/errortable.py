"""The NemoVideo error table and response envelopes, without I/O.

``parse_envelope(status, body)`` turns any answer into a :class:`Reply` (data, or a
:class:`Failure` with its code/status/message). :func:`lookup` finds the table row
(``skill/data/errors.yaml``, loaded lazily) saying what to do about a failure, and
:func:`to_exception` builds the :mod:`skill.errors` exception the user will see.

Accepted envelopes (both documented forms):

* ``{"code": 0, "message": "...", "data": {...}}`` — ``code != 0`` is an error;
* ``{"success": true|false, "data": ..., "error": "..."}``;
* FastAPI/ADK ``{"detail": "..."}`` with an HTTP error status;
* a bare JSON object on HTTP 2xx (the top-level render-status shape) is data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import errors as errors_mod
from ..errors import ApiError, SkillError

TABLE_FILE = Path(__file__).resolve().parent.parent / "data" / "errors.yaml"

ACTIONS = frozenset({"continue", "reauth", "new_session", "new_client_id", "retry_after", "raise"})


@dataclass(frozen=True)
class Rule:
    """One row of the error table."""

    action: str
    exception: str | None
    key: str
    delay: float = 0.0
    meaning: str = ""
    otherwise_key: str = ""
    match_detail: str = ""

    def exception_class(self) -> type[SkillError]:
        cls = getattr(errors_mod, self.exception or "ApiError", None)
        if not (isinstance(cls, type) and issubclass(cls, SkillError)):
            raise LookupError(f"errors.yaml names an unknown exception {self.exception!r}")
        return cls


@dataclass(frozen=True)
class Table:
    codes: dict[int, Rule]
    http: dict[int, Rule]
    unknown_code: Rule
    unknown_http: Rule
    network: Rule


@dataclass(frozen=True)
class Failure:
    """An API answer that is not a success."""

    code: int | str | None
    status: int
    message: str = ""


@dataclass(frozen=True)
class Reply:
    ok: bool
    data: Any = None
    failure: Failure | None = None


def _rule(raw: Any) -> Rule:
    if not isinstance(raw, dict):
        raise ValueError(f"errors.yaml row must be a mapping, got {raw!r}")
    action = str(raw.get("action") or "raise")
    if action not in ACTIONS:
        raise ValueError(f"errors.yaml: unknown action {action!r}")
    exc = raw.get("exception")
    return Rule(
        action=action,
        exception=str(exc) if exc else None,
        key=str(raw["key"]),
        delay=float(raw.get("delay") or 0.0),
        meaning=str(raw.get("meaning") or ""),
        otherwise_key=str(raw.get("otherwise_key") or ""),
        match_detail=str(raw.get("match_detail") or "").lower(),
    )


@lru_cache(maxsize=1)
def table() -> Table:
    """The error table, parsed once on first use."""
    import yaml

    raw = yaml.safe_load(TABLE_FILE.read_text(encoding="utf-8"))
    return Table(
        codes={int(k): _rule(v) for k, v in (raw.get("codes") or {}).items()},
        http={int(k): _rule(v) for k, v in (raw.get("http") or {}).items()},
        unknown_code=_rule(raw["unknown_code"]),
        unknown_http=_rule(raw["unknown_http"]),
        network=_rule(raw["network"]),
    )


# ---------------------------------------------------------------- envelopes

def _as_code(value: Any) -> int | str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    return text or None


def _message(obj: dict[str, Any]) -> str:
    for key in ("message", "msg", "error", "detail"):
        value = obj.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, dict):
            inner = value.get("message") or value.get("detail")
            if isinstance(inner, str):
                return inner
    return ""


def parse_envelope(status: int, body: bytes | str | Any) -> Reply:
    """Classify an HTTP answer: success data, or a :class:`Failure`."""
    obj: Any = body
    if isinstance(body, bytes | str):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        try:
            obj = json.loads(text) if text.strip() else None
        except ValueError:
            obj = None
            if status < 400:
                return Reply(False, failure=Failure(None, status, "the answer was not JSON"))
    http_ok = 200 <= status < 300
    if isinstance(obj, dict):
        if "code" in obj and _as_code(obj.get("code")) is not None:
            code = _as_code(obj.get("code"))
            if code == 0 and http_ok:
                return Reply(True, obj.get("data"))
            return Reply(False, failure=Failure(code if code != 0 else None, status, _message(obj)))
        if isinstance(obj.get("success"), bool):
            if obj["success"] and http_ok:
                return Reply(True, obj.get("data"))
            err = obj.get("error")
            code = _as_code(err.get("code")) if isinstance(err, dict) else None
            return Reply(False, failure=Failure(code, status, _message(obj)))
        if http_ok:
            return Reply(True, obj)
        return Reply(False, failure=Failure(None, status, _message(obj)))
    if http_ok and obj is not None:
        return Reply(True, obj)
    return Reply(False, failure=Failure(None, status, ""))


# ---------------------------------------------------------------- lookup

def _http_rule(rules: dict[int, Rule], number: int, failure: Failure) -> Rule | None:
    rule = rules.get(number)
    if rule is None:
        return None
    if rule.match_detail and rule.match_detail not in failure.message.lower():
        return None
    return rule


def lookup(failure: Failure) -> Rule:
    """The table row for a failure: by envelope code first, then by HTTP status."""
    t = table()
    code = failure.code
    if isinstance(code, int) and code in t.codes:
        return t.codes[code]
    if failure.status >= 400:
        rule = _http_rule(t.http, failure.status, failure)
        if rule is not None:
            return rule
    if isinstance(code, int):
        rule = _http_rule(t.http, code, failure)
        if rule is not None:
            return rule
    if code is not None:
        return t.unknown_code
    return t.unknown_http


def to_exception(rule: Rule, failure: Failure, *, key: str | None = None,
                 **ctx: Any) -> SkillError:
    """Build the exception for ``rule`` (the caller adds context such as ``register_url``)."""
    cls = rule.exception_class()
    message = failure.message or (rule.meaning or f"HTTP {failure.status}")
    chosen = key or rule.key
    if issubclass(cls, ApiError):
        return cls(message, code=failure.code, status=failure.status, key=chosen, **ctx)
    return cls(message, key=chosen, **ctx)
