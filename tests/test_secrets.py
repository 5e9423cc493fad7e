"""Secrets and paths, end to end through the real CLI (subprocesses, ``--verbose`` on).

* A marker token — ``NEMO_TOKEN`` set by the user, or an anonymous token the fake
  server issues — never appears in stdout, stderr (the verbose logs included) or any
  file under ``IGEDIT_HOME`` except ``auth.json`` (mode 0600); the API host gets it
  only in the ``Authorization`` header and the download host never sees it.
* ``igedit serve`` listens on loopback by default, answers 401/1001 without a token it
  issued, and refuses ``--host 0.0.0.0`` without ``--allow-remote``; a token it issued
  stays out of both sides' output.
* Downloads go exactly where the user said: a missing folder is a clear error (and
  nothing is rendered), a file is never overwritten without ``--force``, and a
  server-suggested file name (even ``../../evil.mp4``) is ignored. Uploaded file names
  cannot steer where ``igedit serve`` stores a file.
* No code under ``skill/`` runs a subprocess through a shell.
"""

from __future__ import annotations

import ast
import json
import os
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.conftest import ROOT
from tests.fake_nemo import FakeNemo, video_bytes
from tests.servers import free_port
from tests.test_concurrency import Serve, cli_env, igedit, running_serve

ENV_MARKER = "nmv_usr_MARKERENV" + "7f3a9c" * 4
ANON_PREFIX = "nmv_usr_MARKERANON"


class MarkerNemo(FakeNemo):
    """The fake NemoVideo server, issuing anonymous tokens that are easy to look for,
    and suggesting a hostile file name for every download."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.minted: list[str] = []     # every token issued (``issued`` forgets expired ones)

    async def _anon(self, request: Request) -> Response:
        rec = self._record(request)
        self.counts["anonymous_token"] += 1
        token = ANON_PREFIX + uuid.uuid4().hex
        self.issued[token] = "anon_marker"
        self.minted.append(token)
        return self._reply(rec, JSONResponse({"code": 0, "message": "ok", "data": {
            "token": token, "user_id": "anon_marker", "credits": 100,
            "expires_at": "2031-01-01T00:00:00Z"}}))

    async def _cdn_file(self, request: Request) -> Any:
        response = await super()._cdn_file(request)
        if isinstance(response, Response):
            response.headers["content-disposition"] = 'attachment; filename="../../evil.mp4"'
        return response


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    with running_serve(tmp_path, "--verbose") as server:
        yield server


@pytest.fixture(scope="module")
def fake() -> Iterator[MarkerNemo]:
    server = MarkerNemo(tokens={ENV_MARKER: "user_marker"})
    with server.serve():
        yield server


def files_under(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def assert_kept_secret(marker: str, outputs: list[str], home: Path) -> None:
    for text in outputs:
        assert marker not in text
    for path, data in files_under(home).items():
        if marker.encode() in data:
            assert path.name == "auth.json", path
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def flow(fake: FakeNemo, tmp: Path, *, export: bool, **env_extra: str) -> tuple[list[str], Path]:
    """A representative session, every command with --verbose: what was printed, and the
    state folder. The server expires the token once near the end: an anonymous token is
    renewed (and logged); a user's ``NEMO_TOKEN`` cannot be, which is said clearly."""
    home, work = tmp / "home", tmp / "work"
    work.mkdir()
    env = cli_env(home, fake.base_url, **env_extra)
    clip = work / "clip.mp4"
    clip.write_bytes(video_bytes(8192))
    outputs: list[str] = []
    user_token = "NEMO_TOKEN" in env_extra
    steps = [
        ["--verbose", "upload", str(clip)],
        ["--verbose", "say", "crop it to square then show my timeline"],
        *([["--verbose", "export", "-o", str(work / "out.mp4")]] if export else []),
        ["--verbose", "doctor"],
        ["--verbose", "--json", "credits"],
        ["--verbose", "status"],
    ]
    for args in steps:
        if args[-1] == "credits":
            fake.set_fault("expired_token")
        done = igedit(env, work, *args)
        outputs += [done.stdout, done.stderr]
        assert "Traceback" not in done.stderr, done.stderr
        if args[-1] == "doctor":
            continue
        if user_token and args[-1] in ("credits", "status"):   # refused from here on
            assert done.returncode == 1
            assert "token is invalid or expired" in done.stdout + done.stderr
        else:
            assert done.returncode == 0, (args, done.stdout, done.stderr)
    if export:
        assert (work / "out.mp4").read_bytes() == video_bytes(fake.download_size)
        assert sorted(p.name for p in work.iterdir()) == ["clip.mp4", "out.mp4"]  # no evil.mp4
        assert not (tmp.parent / "evil.mp4").exists()
        assert fake.cdn_requests, "the download went to the file host"
    return outputs, home


def assert_only_in_auth_header(fake: FakeNemo, marker: str) -> None:
    assert any(marker in r.headers.get("authorization", "") for r in fake.requests)
    for rec in fake.requests:
        rest = {k: v for k, v in rec.headers.items() if k != "authorization"}
        assert marker not in json.dumps([rec.path, rest, rec.body], default=str), rec.path
    for rec in fake.cdn_requests:
        assert marker not in json.dumps([rec.path, rec.headers], default=str)
        assert "authorization" not in rec.headers


def test_user_token_never_leaks(fake: MarkerNemo, tmp_path: Path) -> None:
    fake.reset(tokens={ENV_MARKER: "user_marker"})
    outputs, home = flow(fake, tmp_path, export=False, NEMO_TOKEN=ENV_MARKER)
    assert_kept_secret(ENV_MARKER, outputs, home)
    assert fake.counts["anonymous_token"] == 0
    assert_only_in_auth_header(fake, ENV_MARKER)


def test_anonymous_token_never_leaks(fake: MarkerNemo, tmp_path: Path) -> None:
    fake.reset()
    fake.minted.clear()
    outputs, home = flow(fake, tmp_path, export=True)
    tokens = list(fake.minted)
    assert len(tokens) == 2 and all(t.startswith(ANON_PREFIX) for t in tokens)  # + refresh
    for token in tokens:
        assert_kept_secret(token, outputs, home)
        assert_only_in_auth_header(fake, token)
    auth = json.loads((home / "auth.json").read_text())
    assert auth["token"] == tokens[-1]
    assert_kept_secret(ANON_PREFIX, outputs, home)


# ------------------------------------------------------------------ igedit serve

def listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on ``port`` (from /proc/net/tcp{,6})."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:
                found.add(address)
    return found


def test_serve_binds_loopback_and_requires_its_token(serve: Serve, tmp_path: Path) -> None:
    port = int(serve.url.rsplit(":", 1)[1])
    assert listening_addresses(port) == {"0100007F"}          # 127.0.0.1 only
    for headers in ({}, {"Authorization": "Bearer " + ENV_MARKER}, {"Authorization": "Basic x"}):
        r = httpx.get(f"{serve.url}/api/credits/balance/simple", headers=headers)
        assert r.status_code == 401 and r.json()["code"] == 1001
        assert ENV_MARKER not in r.text

    # the CLI with a token serve never issued: a clear message, exit 1, marker kept secret
    home = tmp_path / "home"
    env = cli_env(home, serve.url, NEMO_TOKEN=ENV_MARKER)
    done = igedit(env, tmp_path, "--verbose", "credits")
    assert done.returncode == 1
    assert "token is invalid or expired" in done.stderr
    assert_kept_secret(ENV_MARKER, [done.stdout, done.stderr], home)

    # an anonymous token serve issued: the whole flow, then look for it everywhere
    home2 = tmp_path / "home2"
    env2 = cli_env(home2, serve.url)
    clip = tmp_path / "clip.mp4"
    from tests.test_local_helpers import make_clip

    make_clip(clip, seconds=1.0, size="160x120")
    outputs = []
    for args in (["upload", str(clip)], ["say", "make it square"], ["status"],
                 ["export", "--preview", "-o", str(tmp_path / "out.mp4")]):
        done = igedit(env2, tmp_path, "--verbose", *args)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        outputs += [done.stdout, done.stderr]
    token = json.loads((home2 / "auth.json").read_text())["token"]
    assert token.startswith("nmv_usr_")
    serve.proc.terminate()
    out, err = serve.proc.communicate(timeout=10)
    assert_kept_secret(token, [*outputs, out, err], home2)


def test_serve_refuses_a_public_address_without_allow_remote(tmp_path: Path) -> None:
    port = free_port()
    done = subprocess.run(  # noqa: S603 - argv list, no shell
        [sys.executable, "-m", "skill", "serve", "--host", "0.0.0.0", "--port", str(port)],
        env=cli_env(tmp_path / "home", "http://127.0.0.1:9"), capture_output=True, text=True,
        timeout=30, check=False)
    assert done.returncode == 1
    assert "--allow-remote" in done.stdout + done.stderr
    assert listening_addresses(port) == set()


def test_upload_names_cannot_steer_where_serve_stores_files(serve: Serve,
                                                            tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    before = set(files_under(tmp_path))
    with httpx.Client(base_url=serve.url) as c:
        got = c.post("/api/auth/anonymous-token", headers={"X-Client-Id": "paths"}).json()
        c.headers["Authorization"] = "Bearer " + got["data"]["token"]
        sid = c.post("/api/tasks/me/with-session/nemo_agent",
                     json={"task_name": "project", "language": "en"}).json()["data"]["session_id"]
        from tests.test_local_helpers import make_clip

        clip = make_clip(tmp_path / "clip.mp4", seconds=1.0, size="160x120")
        before.add(clip)
        for name in ("../../outside/evil.mp4", "../../../../../../tmp/evil.mp4",
                     "/etc/evil.mp4", "..\\..\\evil.mp4"):
            with clip.open("rb") as fh:
                r = c.post(f"/api/upload-video/nemo_agent/me/{sid}",
                           files={"files": (name, fh, "video/mp4")})
            assert r.status_code == 200, r.text
    new = set(files_under(tmp_path)) - before
    assert new and all(serve.home in p.parents for p in new), sorted(map(str, new))
    assert list(outside.iterdir()) == []
    assert not Path("/tmp/evil.mp4").exists() and not Path("/etc/evil.mp4").exists()


# ------------------------------------------------------------------ downloads

def test_downloads_go_only_where_asked(fake: MarkerNemo, tmp_path: Path) -> None:
    fake.reset()
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    env = cli_env(home, fake.base_url)
    clip = work / "clip.mp4"
    clip.write_bytes(video_bytes(4096))
    assert igedit(env, work, "upload", str(clip)).returncode == 0

    # a folder that does not exist: said clearly, nothing created, nothing rendered
    target = work / "no" / "such" / "folder" / "out.mp4"
    done = igedit(env, work, "export", "-o", str(target))
    assert done.returncode == 1
    assert done.stderr.strip() == (f"The folder {target.parent} does not exist. "
                                   "Create it or choose another -o path.")
    assert not (work / "no").exists()

    # an existing file: kept as it is unless --force
    mine = work / "mine.mp4"
    mine.write_bytes(b"my own precious video")
    done = igedit(env, work, "export", "-o", str(mine))
    assert done.returncode == 1 and "already exists" in done.stderr and "--force" in done.stderr
    assert mine.read_bytes() == b"my own precious video"
    assert fake.counts["render_submit"] == 0              # both refused before any render
    done = igedit(env, work, "export", "-o", str(mine), "--force")
    assert done.returncode == 0, done.stderr
    assert mine.read_bytes() == video_bytes(fake.download_size)
    assert sorted(p.name for p in work.iterdir()) == ["clip.mp4", "mine.mp4"]  # no evil.mp4


# ------------------------------------------------------------------ no shell

_SHELL_CALLS = {("os", "system"), ("os", "popen"), ("subprocess", "getoutput"),
                ("subprocess", "getstatusoutput"), ("asyncio", "create_subprocess_shell")}


def shell_uses(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            if (func.value.id, func.attr) in _SHELL_CALLS:
                found.append(f"{func.value.id}.{func.attr}")
        if isinstance(func, ast.Name) and func.id in {"system", "popen", "getoutput",
                                                      "create_subprocess_shell"}:
            found.append(func.id)
        for kw in node.keywords:
            if kw.arg == "shell" and not (isinstance(kw.value, ast.Constant)
                                          and kw.value.value is False):
                found.append("shell=")
    return found


def test_no_subprocess_through_a_shell() -> None:
    assert shell_uses("import os\nos.system('x')\nsubprocess.run('x', shell=True)") == [
        "os.system", "shell="]
    offenders = {str(p.relative_to(ROOT)): uses for p in sorted((ROOT / "skill").rglob("*.py"))
                 if (uses := shell_uses(p.read_text(encoding="utf-8")))}
    assert offenders == {}
    config = (ROOT / "pyproject.toml").read_text()
    assert all(rule in config for rule in ('"S602"', '"S605"'))   # ruff enforces it in CI
