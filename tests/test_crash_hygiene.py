"""kill -9: ffmpeg dies with igedit, and what the dead process left is swept on the
next start — never what a live process is using."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from skill.engine.jobs import is_partial_of, partial_name, worker_id
from skill.engine.local import LocalEngine
from skill.engine.render.ffmpeg import ffmpeg_exe
from skill.leftovers import alive, process_tag, start_ticks, sweep_home
from tests.test_cli_core import igedit
from tests.test_local_helpers import make_clip

LINUX = pytest.mark.skipif(not sys.platform.startswith("linux"),
                           reason="the parent-death signal and /proc are Linux's")


@pytest.fixture(scope="module")
def clip_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


def wait_for(cond: object, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                raw = Path(f"/proc/{entry}/stat").read_bytes()
            except OSError:
                continue
            if int(raw[raw.rfind(b")") + 2:].split()[1]) == pid:
                out.append(int(entry))
    return out


def gone(pid: int) -> bool:
    """Exited (a zombie waiting for init to reap it counts as exited)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return True
    return raw[raw.rfind(b")") + 2:].split()[0] == b"Z"


def _exe(pid: int) -> Path | None:
    try:
        return Path(os.readlink(f"/proc/{pid}/exe")).resolve()
    except OSError:
        return None


def dead_tag() -> str:
    """The process tag of a process that has exited."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])  # noqa: S603
    proc.wait()
    return f"{proc.pid}-1"


def killed_writer(code: str, cwd: Path) -> None:
    """Run ``code`` in a new Python process that then kills itself with SIGKILL (so
    nothing it set up can clean up), using igedit's own naming code."""
    script = code + "\nimport os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"
    done = subprocess.run([sys.executable, "-c", script], cwd=cwd, env=os.environ,  # noqa: S603
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr


# -- process identity ----------------------------------------------------------------
@LINUX
def test_a_process_is_recognised_by_pid_and_start_time() -> None:
    me, ticks = os.getpid(), start_ticks(os.getpid())
    assert ticks and process_tag() == f"{me}-{ticks}"
    assert alive(me, ticks)
    assert not alive(me, ticks + 1)          # same pid, another process: a recycled pid
    pid = int(dead_tag().split("-")[0])
    assert not alive(pid, None)
    assert worker_id().startswith(process_tag() + "-")


def test_partial_names_match_exactly() -> None:
    assert is_partial_of(".reel.1-2-ab12cd34.part.mp4", "reel")
    assert is_partial_of(".reel.gone-1.part.mp4.partial", "reel")
    assert not is_partial_of(".reel.v2.1-2-ab12cd34.part.mp4", "reel")
    assert is_partial_of(".reel.v2.1-2-ab12cd34.part.mp4", "reel.v2")
    assert not is_partial_of(".reel.1-2-ab12cd34.part.mp4", "reel.v2")
    assert partial_name("reel", "w") == ".reel.w.part.mp4"


def test_starting_job_reel_keeps_the_partial_of_job_reel_v2(home: Path, tmp_path: Path,
                                                            clip_cache: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", cache_dir=clip_cache)

    async def go() -> None:
        eng = LocalEngine(home)
        try:
            await eng.upload([clip])
            draft = (await eng.state()).draft
            sid = eng.session_id or ""
            db = eng.ws.db
            for job in ("reel", "reel.v2"):
                db.create_job(job, session_id=sid, owner="local", draft=draft, preview=True)
            renders = home / "renders"
            renders.mkdir(exist_ok=True)
            # reel.v2 is being rendered by a live worker (this process); reel's old
            # worker died
            other = renders / partial_name("reel.v2", f"{process_tag()}-0badf00d")
            other.write_bytes(b"\0" * 1000)
            stale = renders / partial_name("reel", "gone-1")
            stale.write_bytes(b"\0" * 1000)
            assert eng.ws.jobs.start("reel")
            row = await eng.ws.jobs.wait("reel")
            assert row.status == "completed", row.error
            assert other.exists() and not stale.exists()
        finally:
            await eng.aclose()

    asyncio.run(go())


# -- kill -9 ---------------------------------------------------------------------------
@LINUX
def test_kill_9_takes_ffmpeg_down_and_the_next_start_sweeps_the_leftovers(
        home: Path, tmp_path: Path, clip_cache: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", seconds=3.0, cache_dir=clip_cache)
    # the real ffmpeg; the render (the run writing a partial into renders/) reads its input
    # at a tenth of real time, so it would take 30 s; every other run (the loudness pass,
    # the subject analysis of the reframe) goes at full speed
    slow = tmp_path / "ffmpeg-slow"
    slow.write_text(f"#!/bin/sh\ncase \" $* \" in *'.part.mp4'*) exec '{ffmpeg_exe()}' -readrate 0.1 "
                    f"\"$@\";; esac\nexec '{ffmpeg_exe()}' \"$@\"\n")
    slow.chmod(0o755)
    local = ("--backend", "local")
    assert igedit(*local, "upload", str(clip), cwd=tmp_path).returncode == 0
    assert igedit(*local, "edit", "crop to square", cwd=tmp_path).returncode == 0
    export = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "skill", *local, "export", "-o", "out.mp4"], cwd=tmp_path,
        env={**os.environ, "IGEDIT_FFMPEG": str(slow)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        real = Path(ffmpeg_exe()).resolve()

        def running() -> list[int]:
            return [c for c in children(export.pid) if not gone(c) and _exe(c) == real]

        renders = home / "renders"
        wait_for(lambda: renders.is_dir() and any(p.name.startswith(".")
                                                  for p in renders.iterdir()), "a partial")
        wait_for(running, "ffmpeg to start")
        ffmpeg = running()[0]
        export.send_signal(signal.SIGKILL)
        export.wait(timeout=30)
        wait_for(lambda: gone(ffmpeg), "ffmpeg to die with its parent", timeout=10)
    finally:
        if export.poll() is None:
            export.kill()
            export.wait()
    partials = [p for p in renders.iterdir() if p.name.startswith(".")]
    work = list((home / "work").iterdir())
    assert partials and work, "the killed export left nothing behind to sweep"
    assert not (tmp_path / "out.mp4").exists()
    # what a live process is using right now, in the same folders
    live_part = renders / partial_name("render_live", f"{process_tag()}-0badf00d")
    live_part.write_bytes(b"\0")
    live_work = home / "work" / f"render_live-{process_tag()}-0badf00d"
    live_work.mkdir()
    # an upload being received by a process that was killed, and one being received now
    killed_writer(textwrap.dedent(f"""
        from pathlib import Path
        from skill.engine.intake import temp_path
        temp_path(Path({str(home / 'media')!r})).write_bytes(b"x" * 100_000)
    """), tmp_path)
    from skill.engine.intake import temp_path

    live_upload = temp_path(home / "media")
    assert len(list((home / "media").glob(".incoming-*"))) == 2

    status = igedit(*local, "status", cwd=tmp_path)        # the next start
    assert status.returncode == 0, status.stderr
    assert sorted(p.name for p in renders.iterdir() if p.name.startswith(".")) == [live_part.name]
    assert [p.name for p in (home / "work").iterdir()] == [live_work.name]
    assert [p.name for p in (home / "media").glob(".incoming-*")] == [live_upload.name]
    # the interrupted export itself is not lost: it resumes (rendering again)
    done = igedit(*local, "export", "--resume", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.mp4").stat().st_size > 10_000


def test_a_killed_exports_staging_folder_is_swept_by_the_next_export(
        home: Path, tmp_path: Path, clip_cache: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    stage = textwrap.dedent(f"""
        import tempfile
        from pathlib import Path
        from skill.leftovers import process_tag
        d = Path(tempfile.mkdtemp(prefix=f".igedit-export-{{process_tag()}}-", dir={str(out)!r}))
        (d / ".reel.mp4.1a2b3c4d.part").write_bytes(b"x" * 100_000)
    """)
    killed_writer(stage, tmp_path)
    import tempfile

    live = Path(tempfile.mkdtemp(prefix=f".igedit-export-{process_tag()}-", dir=out))
    dead = [p for p in out.iterdir() if p != live]
    assert len(dead) == 1 and any(dead[0].iterdir())
    # an unrelated hidden folder of the user's is never touched
    (out / ".igedit-export-notes").mkdir()
    clip = make_clip(tmp_path / "clip.mp4", cache_dir=clip_cache)
    local = ("--backend", "local")
    made = igedit(*local, "make", str(clip), "crop to square", "-o", str(out / "reel.mp4"),
                  cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [".igedit-export-notes", live.name, "reel.mp4"])


def test_sweeping_a_home_without_leftovers_changes_nothing(home: Path) -> None:
    assert sweep_home(home) == []          # not even a folder is created
    assert not home.exists()
    (home / "media").mkdir(parents=True)
    (home / "media" / "abc.mp4").write_bytes(b"x")
    dead_name = f".incoming-{dead_tag()}-0123456789ab.mp4"
    (home / "media" / dead_name).write_bytes(b"x")
    (home / "media" / ".incoming-1-oldformat").write_bytes(b"x")   # not ours to judge
    # a half-made proxy of a killed builder, and one a live builder is making
    (home / "proxies").mkdir()
    dead_proxy = f".0123456789abcdef0123.{dead_tag()}-1a2b3c4d.partial.mp4"
    live_proxy = f".0123456789abcdef0123.{process_tag()}-1a2b3c4d.partial.mp4"
    for name in (dead_proxy, live_proxy):
        (home / "proxies" / name).write_bytes(b"x")
    assert sorted(p.name for p in sweep_home(home)) == sorted([dead_name, dead_proxy])
    assert sorted(p.name for p in (home / "media").iterdir()) == [".incoming-1-oldformat",
                                                                   "abc.mp4"]
    assert [p.name for p in (home / "proxies").iterdir()] == [live_proxy]
