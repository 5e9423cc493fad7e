"""Small HTTP helpers shared by the cloud modules: origins, error mapping, JSON calls.

This is the one place ``httpx`` exceptions are translated (``raise NetworkError from exc``).
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog

from ..errors import NetworkError
from .errortable import Reply, parse_envelope

log = structlog.get_logger(__name__)

DEFAULT_API = "https://mega-api-prod.nemovideo.ai"
DEFAULT_WEB = "https://nemovideo.com"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` with the default port filled in."""
    parts = urlsplit(url)
    scheme = (parts.scheme or "").lower()
    host = (parts.hostname or "").lower()
    port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
    return scheme, host, port


def same_origin(a: str, b: str) -> bool:
    return origin(a) == origin(b)


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_of(url: str) -> str:
    return urlsplit(url).netloc or url


def network_error(exc: BaseException, url: str) -> NetworkError:
    """The user-facing error for an unreachable/broken connection (never the raw text)."""
    host = host_of(url)
    return NetworkError(f"{type(exc).__name__} talking to {host}", host=host)


async def call_json(
    client: httpx.AsyncClient, method: str, url: str, *, headers: dict[str, str],
    json: Any = None, content: Any = None, timeout: httpx.Timeout | float | None = None,
) -> Reply:
    """One request; the answer classified by :func:`parse_envelope`.

    Connection-level failures raise :class:`NetworkError` (chained).
    """
    kwargs: dict[str, Any] = {"headers": headers}
    if json is not None:
        kwargs["json"] = json
    if content is not None:
        kwargs["content"] = content
    if timeout is not None:
        kwargs["timeout"] = timeout
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        log.info("cloud.request_failed", method=method, path=urlsplit(url).path,
                 error=type(exc).__name__)
        raise network_error(exc, url) from exc
    log.info("cloud.request", method=method, path=urlsplit(url).path,
             status=response.status_code)
    return parse_envelope(response.status_code, response.content)
