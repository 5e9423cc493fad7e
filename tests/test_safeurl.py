"""Upload-by-URL reaches public addresses only (SSRF), attacked through ``igedit serve``.

No test sends traffic off loopback: a "public" name is resolved by an injected
resolver to a public-looking address, and the injected dialer — which sees the
address the connection is pinned to — maps that address onto a loopback server.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from skill.engine.safeurl import UrlPolicy, is_public, parse_numeric
from skill.serve import create_app
from tests.servers import free_port, serve_in_thread
from tests.test_local_helpers import make_clip
from tests.test_serve_api import APP, authed, new_session

PUBLIC = "93.184.216.34"  # looks public; never dialled (the dialer maps it to loopback)
REFUSED = "it leads to a private or local network address"


@pytest.fixture(scope="module")
def clip_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


@dataclass
class Origin:
    """A loopback file server that records every request it answers."""

    root: Path
    seen: list[tuple[str, str]] = field(default_factory=list)

    def app(self) -> Starlette:
        async def files(request: Request) -> Response:
            self.seen.append((request.headers.get("host", ""), request.url.path))
            path = self.root / request.path_params["name"]
            if not path.is_file():
                return PlainTextResponse("missing", status_code=404)
            return FileResponse(path)

        async def redirect(request: Request) -> Response:
            self.seen.append((request.headers.get("host", ""), request.url.path))
            return RedirectResponse(request.query_params["to"], status_code=302)

        async def loop(request: Request) -> Response:
            self.seen.append((request.headers.get("host", ""), request.url.path))
            return RedirectResponse("/loop", status_code=302)

        return Starlette(routes=[Route("/files/{name}", files), Route("/redirect", redirect),
                                 Route("/loop", loop)])


@dataclass
class Net:
    """Injected DNS and dialer: names → addresses, and where a pinned address really goes."""

    names: dict[str, list[list[str]]]
    port_map: dict[str, int] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)
    dialled: list[tuple[str, int]] = field(default_factory=list)

    async def resolve(self, host: str) -> list[str]:
        self.asked.append(host)
        answers = self.names.get(host)
        if not answers:
            raise socket.gaierror("no such name")
        return answers.pop(0) if len(answers) > 1 else answers[0]

    def dial(self, address: str, port: int) -> tuple[str, int]:
        self.dialled.append((address, port))
        assert ipaddress.ip_address(address).is_global  # only checked public addresses
        return "127.0.0.1", port


@pytest.fixture
def origin(tmp_path: Path, clip_cache: Path) -> Iterator[tuple[Origin, int]]:
    root = tmp_path / "origin"
    root.mkdir()
    make_clip(root / "remote.mp4", cache_dir=clip_cache)
    rec = Origin(root)
    with serve_in_thread(rec.app()) as url:
        yield rec, int(url.rsplit(":", 1)[1])


def _serve(home: Path, policy: UrlPolicy | None = None) -> Any:
    return serve_in_thread(create_app(home, url_policy=policy))


def _upload(base: str, url: str) -> dict[str, Any]:
    with authed(base) as c:
        sid = new_session(c)
        return dict(c.post(f"/api/upload-video/{APP}/me/{sid}", json={"urls": [url]}).json())


@pytest.mark.parametrize("host", [
    "127.0.0.1", "localhost", "0x7f000001", "2130706433", "127.1", "0177.0.0.1", "017700000001",
    "[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "0.0.0.0", "[::]", "10.0.0.1",
    "169.254.169.254", "192.168.1.1", "172.16.5.4", "100.64.0.1", "224.0.0.1",
    "[fe80::1]", "[fc00::1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::]", "255.255.255.255"])
def test_private_loopback_and_numeric_forms_are_refused_without_a_connection(
        home: Path, origin: tuple[Origin, int], host: str) -> None:
    rec, port = origin
    with _serve(home) as base:  # the default policy: public only, the system resolver
        body = _upload(base, f"http://{host}:{port}/files/remote.mp4")
    assert body["code"] == 4001
    assert REFUSED in body["message"]
    assert "IGEDIT_ALLOW_PRIVATE_URLS=1" in body["message"]
    assert rec.seen == []  # nothing reached the server behind the address


def test_open_and_closed_private_ports_read_the_same(home: Path,
                                                     origin: tuple[Origin, int]) -> None:
    _, open_port = origin
    closed = free_port()
    with _serve(home) as base:
        a = _upload(base, f"http://127.0.0.1:{open_port}/x.mp4")["message"]
        b = _upload(base, f"http://127.0.0.1:{closed}/x.mp4")["message"]
    assert a.replace(str(open_port), "P") == b.replace(str(closed), "P")


def test_a_public_name_is_fetched_from_the_checked_address_with_its_own_host(
        home: Path, origin: tuple[Origin, int]) -> None:
    rec, port = origin
    net = Net({"media.example": [[PUBLIC]]})
    with _serve(home, UrlPolicy(resolver=net.resolve, dialer=net.dial)) as base:
        body = _upload(base, f"http://media.example:{port}/files/remote.mp4")
    assert body["code"] == 0, body
    assert body["data"]["files"][0]["filename"] == "remote.mp4"
    assert net.dialled == [(PUBLIC, port)]
    assert rec.seen == [(f"media.example:{port}", "/files/remote.mp4")]


def test_a_name_that_rebinds_after_the_check_gains_nothing(home: Path,
                                                           origin: tuple[Origin, int]) -> None:
    rec, port = origin
    # first answer public, every later one loopback: a rebinding DNS server
    net = Net({"rebind.example": [[PUBLIC], ["127.0.0.1"]]})
    with _serve(home, UrlPolicy(resolver=net.resolve, dialer=net.dial)) as base:
        body = _upload(base, f"http://rebind.example:{port}/files/remote.mp4")
    assert body["code"] == 0, body
    assert net.asked == ["rebind.example"]  # resolved once
    assert net.dialled == [(PUBLIC, port)]  # and connected to what was checked


def test_a_name_with_one_private_answer_is_refused(home: Path, origin: tuple[Origin, int]) -> None:
    rec, port = origin
    net = Net({"mixed.example": [[PUBLIC, "127.0.0.1"]]})
    with _serve(home, UrlPolicy(resolver=net.resolve, dialer=net.dial)) as base:
        body = _upload(base, f"http://mixed.example:{port}/files/remote.mp4")
    assert REFUSED in body["message"] and net.dialled == [] and rec.seen == []


@pytest.mark.parametrize("target", ["http://127.0.0.1:{inner}/files/remote.mp4",
                                    "http://0x7f000001:{inner}/files/remote.mp4",
                                    "http://[::ffff:127.0.0.1]:{inner}/files/remote.mp4",
                                    "http://internal.example:{inner}/files/remote.mp4"])
def test_a_redirect_to_a_private_address_is_refused(home: Path, origin: tuple[Origin, int],
                                                    tmp_path: Path, target: str) -> None:
    rec, port = origin
    inner = Origin(rec.root)
    net = Net({"media.example": [[PUBLIC]], "internal.example": [["10.1.2.3"]]})
    with serve_in_thread(inner.app()) as inner_url, \
            _serve(home, UrlPolicy(resolver=net.resolve, dialer=net.dial)) as base:
        to = target.format(inner=inner_url.rsplit(":", 1)[1])
        body = _upload(base, f"http://media.example:{port}/redirect?to={to}")
    assert body["code"] == 4001 and REFUSED in body["message"]
    assert f"http://media.example:{port}/redirect" in body["message"]  # the user's link
    assert rec.seen == [(f"media.example:{port}", "/redirect")]
    assert inner.seen == []  # the private server was never reached


def test_a_redirect_within_the_public_host_is_followed_and_loops_are_bounded(
        home: Path, origin: tuple[Origin, int]) -> None:
    rec, port = origin
    net = Net({"media.example": [[PUBLIC]]})
    with _serve(home, UrlPolicy(resolver=net.resolve, dialer=net.dial)) as base:
        ok = _upload(base, f"http://media.example:{port}/redirect?to=/files/remote.mp4")
        looped = _upload(base, f"http://media.example:{port}/loop")
    assert ok["code"] == 0, ok
    assert net.dialled.count((PUBLIC, port)) >= 2  # every hop connected to the checked address
    assert looped["code"] == 4001
    assert "redirects more than 5 times" in looped["message"]
    assert [p for _, p in rec.seen].count("/loop") == 6


def test_what_answered_is_never_told(home: Path) -> None:
    """Closed port, a port that accepts and says nothing, one that hangs up: one message."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # connections complete in the backlog; nothing ever answers
    rude = socket.socket()
    rude.bind(("127.0.0.1", 0))
    rude.listen(8)
    closed = free_port()
    policy = UrlPolicy(allow_private=True, timeout=httpx.Timeout(0.5))
    import threading

    def hang_up() -> None:
        for _ in range(3):
            try:
                conn, _ = rude.accept()
            except OSError:
                return
            conn.close()

    threading.Thread(target=hang_up, daemon=True).start()
    messages = []
    try:
        with _serve(home, policy) as base:
            for port in (closed, silent.getsockname()[1], rude.getsockname()[1]):
                body = _upload(base, f"http://127.0.0.1:{port}/clip.mp4")
                assert body["code"] == 4003
                messages.append(body["message"].replace(str(port), "P"))
    finally:
        silent.close()
        rude.close()
    assert len(set(messages)) == 1, messages
    assert messages[0].startswith("Could not download http://127.0.0.1:P/clip.mp4")


def test_the_private_switch_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IGEDIT_ALLOW_PRIVATE_URLS", raising=False)
    assert UrlPolicy.from_env().allow_private is False
    assert UrlPolicy.from_env(allow_private=True).allow_private is True
    monkeypatch.setenv("IGEDIT_ALLOW_PRIVATE_URLS", "1")
    assert UrlPolicy.from_env().allow_private is True
    assert UrlPolicy.from_env(allow_private=False).allow_private is True


def test_local_upload_by_url_is_public_only_too(home: Path, origin: tuple[Origin, int]) -> None:
    import asyncio

    from skill.engine.local import LocalEngine
    from skill.engine.safeurl import UrlRefused
    from skill.templates import render

    rec, port = origin

    async def go() -> UrlRefused:
        eng = LocalEngine(home)
        try:
            with pytest.raises(UrlRefused) as err:
                await eng.upload([f"http://localhost:{port}/files/remote.mp4"])
            return err.value
        finally:
            await eng.aclose()

    err = asyncio.run(go())
    assert REFUSED in render(err.key, "en", **err.ctx)
    assert rec.seen == []


@pytest.mark.parametrize("text,public", [
    ("93.184.216.34", True), ("8.8.8.8", True), ("2606:4700:4700::1111", True),
    ("127.0.0.1", False), ("10.0.0.1", False), ("172.31.255.255", False),
    ("192.168.0.1", False), ("169.254.169.254", False), ("100.64.0.1", False),
    ("0.0.0.0", False), ("224.0.0.251", False), ("239.255.255.250", False),
    ("240.0.0.1", False), ("255.255.255.255", False), ("192.0.2.1", False),
    ("198.18.0.1", False), ("::1", False), ("::", False), ("fe80::1", False),
    ("fc00::1", False), ("fd12:3456::1", False), ("ff02::1", False), ("ff0e::1", False),
    ("::ffff:127.0.0.1", False), ("::ffff:8.8.8.8", True), ("64:ff9b::a00:1", False),
    ("2002:c0a8:101::1", False), ("2001:db8::1", False), ("::127.0.0.1", False),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo: client 192.0.2.45
])
def test_is_public(text: str, public: bool) -> None:
    ip = parse_numeric(text)
    assert ip is not None and is_public(ip) is public


@pytest.mark.parametrize("text,value", [
    ("0x7f000001", "127.0.0.1"), ("2130706433", "127.0.0.1"), ("127.1", "127.0.0.1"),
    ("0177.0.0.1", "127.0.0.1"), ("[::1]", "::1"), ("fe80::1%eth0", "fe80::1"),
    ("10.1", "10.0.0.1"), ("example.com", None), ("1.2.3.4.5", None),
])
def test_parse_numeric(text: str, value: str | None) -> None:
    got = parse_numeric(text)
    assert (str(got) if got is not None else None) == value
