"""Upload-by-URL that only reaches public addresses (no SSRF), unless told otherwise.

A URL given to ``igedit upload`` or to ``igedit serve``'s upload route is fetched by
this machine, from inside its network. Without care a link to ``http://127.0.0.1:5432``,
``http://0x7f000001/``, ``http://[::ffff:10.0.0.1]/`` or a public page that redirects
to one makes igedit probe the user's own machine and network. So every hop:

1. the host is resolved **once** (numeric tricks — ``0x7f000001``, ``2130706433``,
   ``127.1``, ``0177.0.0.1`` — are read the way the C library reads them, which is how
   a connection would read them too);
2. every address it resolved to must be public (:func:`is_public`: not loopback,
   private, link-local, multicast, unspecified, reserved, shared or documentation
   space; IPv4-mapped, 6to4, Teredo and NAT64 IPv6 forms are unwrapped first);
3. the connection goes to the address that was checked (:class:`PinnedTransport`),
   while the URL keeps its name for ``Host`` and TLS SNI/certificate checks — so a
   name that answers "public" to the check and "127.0.0.1" a moment later gains
   nothing;
4. redirects are followed here, at most :data:`MAX_REDIRECTS`, each one checked again.

``IGEDIT_ALLOW_PRIVATE_URLS=1`` (or ``igedit serve --allow-private-urls``) lets links to
private networks through, e.g. a NAS on the LAN.

Errors never say what answered: a refused, closed, filtered or silent port and a
name that does not resolve all read the same ("could not be downloaded").
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from ..errors import InputError, NetworkError

MAX_REDIRECTS = 5
ENV_ALLOW_PRIVATE = "IGEDIT_ALLOW_PRIVATE_URLS"

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
#: ``host`` → the addresses it resolves to (async; the default asks the C library)
Resolver = Callable[[str], Awaitable[list[str]]]
#: ``(checked address, port)`` → where the socket really connects. Identity in
#: production; tests map a public-looking checked address onto their loopback server.
Dialer = Callable[[str, int], tuple[str, int]]

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NOT_PUBLIC_V4 = [ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
)]


def allow_private_from_env() -> bool:
    return os.environ.get(ENV_ALLOW_PRIVATE, "").strip().lower() in ("1", "true", "yes", "on")


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, Teredo, NAT64)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    packed = ip.packed
    if packed[:12] == b"\0" * 12 and int(ip) > 1:  # IPv4-compatible (deprecated) ::a.b.c.d
        return ipaddress.IPv4Address(packed[12:])
    return None


def is_public(ip: IP) -> bool:
    """True for an address on the public internet (unicast, globally routable)."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_v4(ip)
        if inner is not None:
            return is_public(inner)
        return bool(ip.is_global) and not (ip.is_multicast or ip.is_reserved or ip.is_site_local)
    if any(ip in net for net in _NOT_PUBLIC_V4):
        return False
    return bool(ip.is_global) and not (ip.is_multicast or ip.is_reserved)


def parse_numeric(host: str) -> IP | None:
    """``host`` as an address when it is one, in any form the C library accepts:
    dotted, ``127.1``, hex ``0x7f000001``, decimal ``2130706433``, octal ``0177.0.0.1``,
    IPv6 with or without brackets or zone."""
    h = host.strip().strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(h)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(h))
    except (OSError, ValueError):
        return None


async def system_resolve(host: str) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class UrlRefused(InputError):
    """The link points at a private/local address (or a redirect led to one)."""

    key = "url_private_refused"


@dataclass
class UrlPolicy:
    """Who may be fetched. ``allow_private`` lifts the public-only rule; ``resolver``
    and ``dialer`` are injected by tests (never send test traffic off loopback)."""

    allow_private: bool = False
    resolver: Resolver = system_resolve
    dialer: Dialer | None = None
    max_redirects: int = MAX_REDIRECTS
    timeout: httpx.Timeout = field(default_factory=lambda: httpx.Timeout(30.0, read=120.0))

    @classmethod
    def from_env(cls, **kw: Any) -> UrlPolicy:
        """The policy with ``IGEDIT_ALLOW_PRIVATE_URLS`` (or ``allow_private=True``) read."""
        flag = bool(kw.pop("allow_private", False))
        return cls(allow_private=flag or allow_private_from_env(), **kw)

    async def address_for(self, url: str, host: str) -> str:
        """The one address to connect to for ``host`` (resolved once, then checked)."""
        numeric = parse_numeric(host)
        if numeric is not None:
            candidates = [numeric]
        else:
            try:
                names = await self.resolver(host)
            except (OSError, UnicodeError) as exc:
                raise _unreachable(url) from exc
            candidates = [ip for ip in (parse_numeric(n) for n in names) if ip is not None]
            if not candidates:
                raise _unreachable(url)
        if self.allow_private:
            return str(candidates[0])
        # one private answer refuses the name: a name that mixes both is a rebinding setup
        if not all(is_public(ip) for ip in candidates):
            raise UrlRefused(f"{url}: not a public address", url=url,
                             env=ENV_ALLOW_PRIVATE)
        return str(candidates[0])


def _unreachable(url: str) -> NetworkError:
    host = urlsplit(url).hostname or url
    return NetworkError(f"cannot download {url}", key="local_url_offline", url=url, host=host)


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """Every TCP connection goes to ``address`` whatever host the URL names; TLS still
    uses the URL's host name (SNI and certificate check are done by httpcore)."""

    def __init__(self, address: str, dialer: Dialer | None) -> None:
        self.address = address
        self.dialer = dialer
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Any = None) -> Any:
        target, real_port = (self.dialer or (lambda a, p: (a, p)))(self.address, port)
        return await self.inner.connect_tcp(target, real_port, timeout=timeout,
                                            local_address=local_address,
                                            socket_options=socket_options)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Any = None) -> Any:
        raise OSError("unix sockets are not used for downloads")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """An httpx transport whose connections all go to one checked address.

    httpx has no public hook for the network backend, so the connection pool is
    rebuilt with one (same settings as httpx's own: TLS context, HTTP/1.1, no proxy).
    """

    def __init__(self, address: str, dialer: Dialer | None = None) -> None:
        super().__init__(trust_env=False)
        ssl_context = httpx.create_ssl_context(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context, max_connections=1, http1=True, http2=False,
            network_backend=_PinnedBackend(address, dialer))


@contextlib.asynccontextmanager
async def open_url(url: str, policy: UrlPolicy) -> AsyncIterator[httpx.Response]:
    """GET ``url`` (streamed), following redirects one checked hop at a time.

    Raises :class:`UrlRefused` for a private/local target (first URL or any
    redirect), :class:`NetworkError` (``local_url_offline``) when nothing usable
    answered, :class:`InputError` (``local_url_failed``) for an HTTP error status.
    """
    current = url
    for _hop in range(policy.max_redirects + 1):
        parts = urlsplit(current)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError(f"cannot fetch {current}", key="local_url_scheme", url=url)
        address = await policy.address_for(url, parts.hostname)
        transport = PinnedTransport(address, policy.dialer)
        async with httpx.AsyncClient(transport=transport, trust_env=False,
                                     timeout=policy.timeout, follow_redirects=False) as client:
            try:
                async with client.stream("GET", current) as resp:
                    location = resp.headers.get("location")
                    if resp.is_redirect and location:
                        current = urljoin(current, location)
                        continue
                    if resp.status_code >= 400:
                        raise InputError(f"{url}: HTTP {resp.status_code}",
                                         key="local_url_failed", url=url,
                                         status=resp.status_code)
                    yield resp
                    return
            except httpx.HTTPError as exc:
                raise _unreachable(url) from exc
    raise InputError(f"{url}: too many redirects", key="url_too_many_redirects", url=url,
                     limit=policy.max_redirects)


__all__ = ["MAX_REDIRECTS", "PinnedTransport", "UrlPolicy", "UrlRefused", "is_public",
           "open_url", "parse_numeric", "system_resolve"]
