"""Eight ``igedit`` processes at once on one ``IGEDIT_HOME``, against a real ``igedit serve``.

Agent hosts start a process per step and may run several at once. Here the real CLI
(subprocesses, ``--backend cloud``) shares one client state folder while ``igedit
serve`` (its own subprocess and state folder) does the editing: after one upload and
one edit of a generated 1 s clip, three ``say`` edits, two ``status`` and three
``export --preview`` run together. Afterwards:

* every process exited 0, except the one export that deliberately asked for a file
  another export is writing (a clear ``already exists`` message and exit 1, or 0 if
  it got there first — never a silent overwrite of a finished file);
* every store document parses and nothing was moved aside (no ``.corrupt-`` file);
  both concurrent edits are in the session's draft (no lost update);
* every export wrote its file; the colliding export's finished render stays pending in
  ``renders.json`` and ``export --resume -o <another name>`` downloads it without a new
  render;
* the server received exactly one render per export process (counted in its
  database), all in the one session the shared state folder holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT
from tests.servers import free_port
from tests.test_local_helpers import make_clip


@dataclass
class Serve:
    url: str
    home: Path
    proc: subprocess.Popen[str]


def cli_env(home: Path, url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NEMO_", "IGEDIT_", "ANTHROPIC_"))}
    env.update(IGEDIT_HOME=str(home), NEMO_API_URL=url, IGEDIT_SKILL_DIR=str(ROOT),
               PYTHONPATH=str(ROOT), **extra)
    return env


@contextlib.contextmanager
def running_serve(tmp_path: Path, *extra: str) -> Iterator[Serve]:
    """``igedit serve`` on a free loopback port, with its own state folder."""
    home = tmp_path / "server-home"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(  # noqa: S603 - argv list, no shell
        [sys.executable, "-m", "skill", *extra, "serve", "--port", str(port)],
        env=cli_env(home, "http://127.0.0.1:9"), cwd=tmp_path, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_until_up(url, proc)
        yield Serve(url, home, proc)
    finally:
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    with running_serve(tmp_path) as server:
        yield server


def wait_until_up(url: str, proc: subprocess.Popen[str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"igedit serve exited: {proc.communicate()}")
        try:
            httpx.get(f"{url}/api/credits/balance/simple", timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("igedit serve did not start")


def igedit(env: dict[str, str], cwd: Path, *args: str,
           timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - argv list, no shell
        [sys.executable, "-m", "skill", "--backend", "cloud", *args], env=env, cwd=cwd,
        capture_output=True, text=True, timeout=timeout, check=False)


def start(env: dict[str, str], cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - argv list, no shell
        [sys.executable, "-m", "skill", "--backend", "cloud", *args], env=env, cwd=cwd,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def server_renders(home: Path) -> list[tuple[str, str, str]]:
    """(job id, session id, status) of every render the server was asked for."""
    db = sqlite3.connect(f"file:{home / 'engine.sqlite'}?mode=ro", uri=True)
    try:
        return [(str(a), str(b), str(c)) for a, b, c in
                db.execute("SELECT id, session_id, status FROM jobs ORDER BY id")]
    finally:
        db.close()


def server_draft(home: Path, session_id: str) -> dict[str, Any]:
    db = sqlite3.connect(f"file:{home / 'engine.sqlite'}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT draft FROM sessions WHERE id = ?", (session_id,)).fetchone()
    finally:
        db.close()
    value = json.loads(row[0])
    assert isinstance(value, dict)
    return value


def test_eight_processes_share_one_state_folder(serve: Serve, tmp_path: Path) -> None:
    started = time.monotonic()
    home = tmp_path / "client-home"
    work = tmp_path / "work"
    work.mkdir()
    env = cli_env(home, serve.url)
    clip = make_clip(work / "clip.mp4", seconds=1.0, size="160x120")
    for step in (("upload", str(clip)), ("edit", "make it square")):
        done = igedit(env, work, *step)
        assert done.returncode == 0, (step, done.stdout, done.stderr)

    exports = [work / "a.mp4", work / "b.mp4", work / "a.mp4"]   # the 3rd one collides
    jobs: list[tuple[str, list[str]]] = [
        ("say", ["say", "add the title 'Hello'"]),
        ("say", ["say", "make it warm"]),
        ("say", ["say", "show my timeline"]),
        ("status", ["status"]),
        ("status", ["status"]),
        *[("export", ["export", "--preview", "-o", str(p)]) for p in exports],
    ]
    procs = [(kind, args, start(env, work, *args)) for kind, args in jobs]
    results = []
    for kind, args, proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append((kind, args, proc.returncode, out, err))

    collided = 0
    for kind, args, code, out, err in results:
        assert "Traceback" not in out + err, (args, out, err)
        if code != 0:
            # the only acceptable failure: the colliding export, told clearly
            assert kind == "export" and args[-1] == str(work / "a.mp4"), (args, code, out, err)
            assert code == 1 and "already exists" in err, (out, err)
            collided += 1
        elif kind == "status":
            assert out.startswith("Timeline ("), out
    assert collided <= 1

    # state: every document parses, nothing was quarantined
    names = sorted(p.name for p in home.iterdir())
    assert not [n for n in names if ".corrupt-" in n], names
    for doc in home.glob("*.json"):
        assert isinstance(json.loads(doc.read_text(encoding="utf-8")), dict), doc
    session = json.loads((home / "session.json").read_text())["cloud"][serve.url]["session_id"]

    # both concurrent edits landed (the engine re-applies an edit that lost the race)
    draft = server_draft(serve.home, session)
    assert draft["m"].get("look") == "warm" and draft["m"].get("ratio") == "1:1", draft["m"]
    assert "Hello" in json.dumps(draft), draft

    # renders: one per export process; the collided one is kept pending, never lost:
    # `export --resume -o <another name>` downloads it without rendering again
    pending = json.loads((home / "renders.json").read_text()).get("jobs")
    assert len(pending) == collided, pending
    renders = server_renders(serve.home)
    assert len(renders) == len(exports), renders
    if collided:
        assert [j["dest"] for j in pending.values()] == [str(work / "a.mp4")]
        done = igedit(env, work, "export", "--resume", "-o", str(work / "c.mp4"))
        assert done.returncode == 0, (done.stdout, done.stderr)
        assert json.loads((home / "renders.json").read_text()).get("jobs") == {}
        assert len(server_renders(serve.home)) == len(exports)
    for name in ("a.mp4", "b.mp4", *(["c.mp4"] if collided else [])):
        assert (work / name).stat().st_size > 0
    assert not [p.name for p in work.iterdir() if p.name.endswith(".part")]
    assert {s for _, s, _ in renders} == {session}
    assert {status for _, _, status in renders} == {"completed"}
    assert time.monotonic() - started < 60


# ------------------------------------------------------------------ the same name, twice at once

def test_two_overlapping_exports_to_one_new_file_never_both_succeed(tmp_path: Path) -> None:
    from skill.cloud import CloudBackend
    from skill.manifest import load_manifest
    from skill.replies import Reply
    from skill.runtime import Runtime
    from skill.store import Store
    from tests.fake_nemo import FakeNemo, SimClock, video_bytes

    fake = FakeNemo(download_size=256 * 1024, chunk_delay=0.05)
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(video_bytes(4096))
    dest = tmp_path / "reel.mp4"

    def runtime(home: Path) -> Runtime:
        store, sim = Store(home), SimClock()
        return Runtime(lambda notice: CloudBackend(
            httpx.AsyncClient(timeout=10), store, load_manifest(), base_url=fake.base_url,
            sleep=sim.sleep, clock=sim.now, notice=notice), store, lang="en", lang_fixed=True,
            sleep=sim.sleep, clock=sim.now, cwd=tmp_path)

    async def one(home: Path) -> list[Reply]:
        rt = runtime(home)
        try:
            got = [r async for r in rt.stream(lambda: rt.upload([str(clip)]))]
            got += [r async for r in rt.stream(lambda: rt.export(dest))]
            return got
        finally:
            await rt.aclose()

    async def both() -> list[list[Reply]]:
        return list(await asyncio.gather(one(tmp_path / "h1"), one(tmp_path / "h2")))

    with fake.serve():
        fake.set_fault("slow_download")
        results = asyncio.run(both())
    outcomes = sorted(next((r.key for r in rs if r.kind in ("file", "error")), "")
                      for rs in results)
    assert outcomes == ["export_done", "export_exists_rendered"], outcomes
