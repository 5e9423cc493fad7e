"""``igedit serve`` attacked from a browser and by slow or greedy clients, on a real
uvicorn server on loopback running the configuration ``igedit serve`` runs with."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from skill.serve import create_app
from skill.serve.guard import host_allowed, origin_allowed, split_host
from skill.serve.uvi import server_config
from tests.servers import serve_in_thread
from tests.test_serve_api import APP, authed, new_session


def quick_config(app: Any, host: str, port: int, **kw: Any) -> Any:
    return server_config(app, host, port, header_timeout_s=0.5, **kw)


@pytest.fixture
def base(home: Path) -> Iterator[str]:
    app = create_app(home, allowed_hosts=("studio.lan",), body_idle_s=0.5,
                     max_json_bytes=64 * 1024, max_upload_bytes=2_000_000,
                     max_request_bytes=3_000_000)
    with serve_in_thread(app, config=quick_config) as url:
        yield url


def port_of(base: str) -> int:
    return int(urlsplit(base).port or 0)


@pytest.mark.parametrize("host", ["evil.example:{port}", "evil.example", "127.0.0.1.nip.io:{port}",
                                  "attacker.test:{port}", "192.168.1.20:{port}", "0.0.0.0:{port}",
                                  "localhost.evil:{port}", "[::2]:{port}", "127.0.0.1:99999"])
def test_a_rebound_host_is_misdirected_even_with_a_valid_token(base: str, host: str) -> None:
    with authed(base) as c:
        r = c.get("/api/credits/balance/simple", headers={"Host": host.format(port=port_of(base))})
        token = c.post("/api/auth/anonymous-token",
                       headers={"Host": host.format(port=port_of(base)), "X-Client-Id": "web"})
    assert r.status_code == 421
    assert r.json()["message"].startswith("This server only answers requests addressed to it")
    assert token.status_code == 421 and "token" not in token.text.lower().replace(
        "--allow-host", "")


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}",
                                  "LOCALHOST:{port}", "localhost", "studio.lan:{port}"])
def test_loopback_names_and_allowed_hosts_are_served(base: str, host: str) -> None:
    with authed(base) as c:
        r = c.get("/api/credits/balance/simple", headers={"Host": host.format(port=port_of(base))})
    assert r.status_code == 200 and r.json()["code"] == 0


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://localhost:3000",
                                    "https://127.0.0.1.evil.example"])
def test_a_foreign_origin_is_refused_and_no_cors_is_offered(base: str, origin: str) -> None:
    with httpx.Client(base_url=base) as c:
        r = c.post("/api/auth/anonymous-token", headers={"X-Client-Id": "page", "Origin": origin})
        pre = c.options("/api/auth/anonymous-token", headers={
            "Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-client-id"})
    assert r.status_code == 403
    assert r.json()["message"].startswith("Requests from web pages of other sites are refused")
    assert "nmv_" not in r.text
    assert pre.status_code == 403
    for resp in (r, pre):
        assert not any(k.lower().startswith("access-control-") for k in resp.headers)


def test_own_origin_passes_but_cross_site_fetch_metadata_does_not(base: str) -> None:
    with httpx.Client(base_url=base) as c:
        own = c.post("/api/auth/anonymous-token", headers={"X-Client-Id": "x", "Origin": base})
        cross = c.post("/api/auth/anonymous-token",
                       headers={"X-Client-Id": "x", "Sec-Fetch-Site": "cross-site"})
        pre = c.options("/api/auth/anonymous-token", headers={"Origin": base})
    assert own.status_code == 200 and own.json()["data"]["token"].startswith("nmv_usr_")
    assert cross.status_code == 403
    assert pre.status_code == 405  # no preflight answered: no CORS at all
    assert not any(k.lower().startswith("access-control-") for k in pre.headers)


def test_host_and_origin_rules_are_pure() -> None:
    assert split_host("[::1]:8765") == ("::1", "8765")
    assert split_host("LocalHost.:80") == ("localhost", "80")
    assert split_host("example.com") == ("example.com", "")
    allowed = frozenset({"127.0.0.1", "localhost", "::1"})
    assert host_allowed("127.0.0.1:8765", allowed) and host_allowed("[::1]", allowed)
    assert not host_allowed("127.0.0.1:0", allowed)
    assert not host_allowed("", allowed)
    assert origin_allowed("http://127.0.0.1:8765/", "127.0.0.1:8765")
    assert not origin_allowed("http://127.0.0.1:8766", "127.0.0.1:8765")


# ------------------------------------------------------------------ slow clients

def _connect(base: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port_of(base)), timeout=15)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    while True:
        try:
            got = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not got:
            return data
        data += got


def test_a_silent_connection_is_closed_after_the_header_deadline(base: str) -> None:
    with _connect(base) as sock:
        assert _read_all(sock) == b""  # closed by the server (the socket timeout is 15 s)


def test_slowloris_headers_are_cut_off(base: str) -> None:
    with _connect(base) as sock:
        sock.sendall(b"GET /api/credits/balance/simple HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: ")
        assert _read_all(sock) == b""


def test_slowloris_on_a_kept_alive_connection_is_cut_off_too(base: str) -> None:
    with _connect(base) as sock:
        sock.sendall(b"GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        first = b""
        while not first.endswith(b"Not Found"):  # the whole first response
            first += sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 404")
        sock.sendall(b"GET /api/credits/balance/simple HTTP/1.1\r\nHo")
        assert _read_all(sock) == b""


def test_a_stalled_body_gets_408(base: str) -> None:
    with httpx.Client(base_url=base) as c:
        tok = c.post("/api/auth/anonymous-token", headers={"X-Client-Id": "slow"}).json()
    with _connect(base) as sock:
        sock.sendall(f"POST /api/tasks/me/with-session/{APP} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     f"Authorization: Bearer {tok['data']['token']}\r\n"
                     "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":".encode())
        reply = _read_all(sock)
    assert reply.startswith(b"HTTP/1.1 408")
    assert b"The request body stopped arriving for 0 s" in reply or b"stopped arriving" in reply


# ------------------------------------------------------------------ big bodies

def test_a_1_gib_json_body_is_refused_before_it_is_sent(base: str) -> None:
    with httpx.Client(base_url=base) as c:
        tok = c.post("/api/auth/anonymous-token", headers={"X-Client-Id": "big"}).json()
    with _connect(base) as sock:
        sock.sendall(b"POST /api/render/proxy/lambda HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Authorization: Bearer " + tok["data"]["token"].encode() + b"\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n{")
        reply = _read_all(sock)
    assert reply.startswith(b"HTTP/1.1 413")
    assert b"The request is too large: the limit is" in reply


@pytest.mark.parametrize("path", ["/run_sse", "/api/render/proxy/lambda",
                                  f"/api/tasks/me/with-session/{APP}"])
def test_a_streamed_json_body_is_cut_off_at_the_limit(base: str, path: str) -> None:
    sent = {"bytes": 0}

    def body() -> Iterator[bytes]:  # chunked: no Content-Length to refuse up front
        for _ in range(4):
            sent["bytes"] += 32 * 1024
            yield b" " * (32 * 1024)

    with authed(base) as c:
        r = c.post(path, content=body(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json()["message"] == ("The request is too large: the limit is 64.0 KB. Send fewer "
                                   "or smaller files per request.")


def test_files_over_the_per_request_total_are_refused_and_nothing_is_kept(
        base: str, home: Path) -> None:
    with authed(base) as c:
        sid = new_session(c)
        r = c.post(f"/api/upload-video/{APP}/me/{sid}",
                   files=[("files", ("a.mp4", b"\0" * 1_800_000, "video/mp4")),
                          ("files", ("b.mp4", b"\0" * 1_800_000, "video/mp4"))])
        state = c.get(f"/api/state/{APP}/me/{sid}/latest").json()["data"]["state"]
    assert r.status_code == 413 and "too large" in r.json()["message"]
    assert state["video_infos"] == []
    assert not (home / "media").exists() or not any((home / "media").iterdir())


def test_a_streamed_multipart_body_past_the_total_stops_reading(tmp_path: Path) -> None:
    import asyncio

    from skill.serve.multipart import TooMuch, receive_files

    head = (b'--B\r\nContent-Disposition: form-data; name="files"; filename="a.mp4"\r\n'
            b"Content-Type: video/mp4\r\n\r\n")
    read = {"chunks": 0}

    async def body() -> Any:
        yield head
        for _ in range(1000):  # ~64 MB if it were all read
            read["chunks"] += 1
            yield b"\0" * 65536

    async def go() -> None:
        await receive_files(body(), "multipart/form-data; boundary=B", tmp_path,
                            max_bytes=10**9, max_total=1_000_000)

    with pytest.raises(TooMuch):
        asyncio.run(go())
    assert read["chunks"] <= 17
    assert list(tmp_path.iterdir()) == []


def test_too_many_urls_in_one_request(base: str) -> None:
    with authed(base) as c:
        sid = new_session(c)
        r = c.post(f"/api/upload-video/{APP}/me/{sid}",
                   json={"urls": [f"https://example.com/{i}.mp4" for i in range(11)]})
    assert r.json()["code"] == 4001
    assert r.json()["message"] == "Too many links in one request: send at most 10 at a time."


# ------------------------------------------------------------------ binding

def test_binding_a_public_address_needs_the_flag_and_warns(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    from skill.front.cli import main
    from skill.serve import app as serve_app

    calls: list[dict[str, Any]] = []

    def record(home: Path, **kw: Any) -> None:  # stands in for uvicorn: nothing is bound
        calls.append(kw)

    monkeypatch.setattr(serve_app, "run_server", record)
    assert main(["serve", "--host", "0.0.0.0"]) == 1  # noqa: S104 - the point of the test
    got = capsys.readouterr()
    assert "Refusing to serve on 0.0.0.0" in got.out + got.err and calls == []
    assert main(["serve", "--host", "0.0.0.0", "--allow-remote",  # noqa: S104
                 "--allow-host", "studio.lan", "--allow-private-urls"]) == 0
    got = capsys.readouterr()
    out = got.out + got.err
    assert "Warning: listening on 0.0.0.0, not only on this machine" in out
    assert "or to studio.lan" in out
    assert "Warning: upload-by-URL may reach private networks" in out
    assert calls == [{"host": "0.0.0.0", "port": 8765, "allow_remote": True,  # noqa: S104
                      "allow_hosts": ("studio.lan",), "allow_private_urls": True}]
    assert main(["serve"]) == 0
    got = capsys.readouterr()
    assert "Warning" not in got.out + got.err
