"""Preview proxies: made in the background when a clip is uploaded, read by previews
only (never by full renders), waited for only when that is quicker, same picture."""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from filelock import FileLock

from skill.draft import Draft, decode_draft
from skill.engine.render import proxy as proxy_mod
from skill.engine.render.ffmpeg import ffmpeg_exe
from skill.engine.render.pipeline import RenderOptions, render
from skill.engine.render.probe import probe
from skill.engine.render.proxy import build, building, proxy_argv, proxy_path
from tests import media

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _proxies_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IGEDIT_PROXIES", "1")  # conftest turns them off for other tests


def _draft(src: Path) -> Draft:
    return decode_draft({"t": [{"tt": 0, "m": {"name": "c"},
                   "sg": [{"s": 0, "d": 1000, "m": {"src": str(src), "kind": "video"}}]}],
            "m": {"ratio": "9:16", "w": 1080, "h": 1920}})


def _preview(src: Path, out: Path, proxies: Path, tmp: Path, **kw: object):  # type: ignore[no-untyped-def]
    return asyncio.run(render(_draft(src), out, work_dir=tmp / "w", music_dir=tmp / "m",
                              options=RenderOptions(preview=True), proxy_dir=proxies,
                              **kw))  # type: ignore[arg-type]


def _preview_during(side: Callable[[], Awaitable[None]], src: Path, out: Path, proxies: Path,
                    tmp: Path, **kw: object):  # type: ignore[no-untyped-def]
    """A preview of ``src`` rendered while ``side()`` runs alongside it."""
    async def main():  # type: ignore[no-untyped-def]
        other = asyncio.create_task(side())
        rep = await render(_draft(src), out, work_dir=tmp / "w", music_dir=tmp / "m",
                           options=RenderOptions(preview=True), proxy_dir=proxies,
                           **kw)  # type: ignore[arg-type]
        await other
        return rep

    return asyncio.run(main())


async def _until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    """Wait (without blocking the loop) until ``condition()`` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


def _children(pid: int) -> list[str]:
    """Processes whose parent is ``pid`` (from /proc; none known without it)."""
    out: list[str] = []
    if not Path("/proc").is_dir():
        return out
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(entry.name)
    return out


def _wait_ready(dest: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not (dest.is_file() and building(dest) is None):
        assert time.monotonic() < deadline, f"no proxy at {dest}"
        time.sleep(0.1)


class HeldLock:
    """Another process holding a lock file until released (or killed)."""

    def __init__(self, lock_file: Path) -> None:
        code = ("import sys; from filelock import FileLock; l = FileLock(sys.argv[1]); "
                "l.acquire(); print('held', flush=True); sys.stdin.readline()")
        self.proc = subprocess.Popen([sys.executable, "-c", code, str(lock_file)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "held"

    @classmethod
    def making(cls, dest: Path, fraction: float) -> HeldLock:
        """Another process "making" the proxy at ``dest``, ``fraction`` done."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        proxy_mod._progress_path(dest).write_text(f"{fraction:.3f}")
        return cls(proxy_mod._lock_path(dest))

    def release(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write("\n")
            self.proc.stdin.flush()
            self.proc.wait(10)

    def close(self) -> None:
        self.release()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def held() -> Iterator[list[HeldLock]]:
    locks: list[HeldLock] = []
    yield locks
    for lock in locks:
        lock.close()


def test_proxy_argv_is_half_size_upright_and_fast_to_decode(tmp_path: Path) -> None:
    src = media.rotated_clip(tmp_path / "rot.mp4")
    p = probe(src)
    argv = proxy_argv("ffmpeg", src, tmp_path / "p.mp4", p)
    assert argv[argv.index("-vf") + 1] == f"scale={p.width // 2 // 2 * 2}:{p.height // 2 // 2 * 2}:flags=fast_bilinear,format=yuv420p"
    assert argv[argv.index("-bf") + 1] == "0" and "fastdecode" in argv
    assert "0:a:0?" in argv  # clips without sound still get a proxy


def test_preview_reads_a_ready_proxy_and_full_renders_never_do(tmp_path: Path) -> None:
    src = media.rotated_clip(tmp_path / "rot.mp4")
    proxies = tmp_path / "proxies"
    made = asyncio.run(build(src, probe(src), proxies))
    assert made == proxy_path(src, proxies) and made.is_file()
    assert building(made) is None and not list(proxies.glob(".*.partial.mp4"))
    assert (probe(made).width, probe(made).height) == (probe(src).width // 2, probe(src).height // 2)
    prev = _preview(src, tmp_path / "p.mp4", proxies, tmp_path)
    assert str(made) in prev.argv and str(src) not in prev.argv
    assert prev.violations == [] and (prev.probe.width, prev.probe.height) == (540, 960)
    full = asyncio.run(render(_draft(src), tmp_path / "f.mp4", work_dir=tmp_path / "w",
                              music_dir=tmp_path / "m", proxy_dir=proxies))
    assert str(src) in full.argv and str(made) not in full.argv
    # The proxy shows the same upright picture: left of the display is red, as in the source.
    frame = media.frames_rgb(prev.path, [0.5])[0].astype(int)
    ref = media.frames_rgb(full.path, [0.5])[0].astype(int)
    small = ref[::2, ::2][: frame.shape[0], : frame.shape[1]]
    assert np.abs(frame - small).mean() < 12


def test_a_preview_without_a_proxy_reads_the_original_then_starts_one(tmp_path: Path) -> None:
    src = media.plain_clip(tmp_path / "a.mp4")
    proxies = tmp_path / "proxies"
    prev = _preview(src, tmp_path / "p.mp4", proxies, tmp_path)
    assert prev.violations == [] and str(src) in prev.argv
    _wait_ready(proxy_path(src, proxies))       # started after the preview, for next time
    again = _preview(src, tmp_path / "p2.mp4", proxies, tmp_path)
    assert str(proxy_path(src, proxies)) in again.argv and again.violations == []


def test_one_shot_renders_start_no_proxy(tmp_path: Path) -> None:
    src = media.plain_clip(tmp_path / "a.mp4")
    proxies = tmp_path / "proxies"
    prev = _preview(src, tmp_path / "p.mp4", proxies, tmp_path, make_proxies=False)
    assert prev.violations == [] and not proxies.exists()


def test_a_preview_waits_for_a_proxy_nearly_made(tmp_path: Path, held: list[HeldLock]) -> None:
    src = media.plain_clip(tmp_path / "a.mp4", seconds=1.0)
    ready = asyncio.run(build(src, probe(src), tmp_path / "elsewhere"))
    assert ready is not None
    proxies = tmp_path / "proxies"
    dest = proxy_path(src, proxies)
    held.append(HeldLock.making(dest, 0.8))                     # 80 % done in another process
    seen: list[tuple[str, float]] = []

    def progress(label: str, done: float, total: float | None) -> None:
        seen.append((label, done / (total or 1)))

    async def finish_later() -> None:
        await _until(lambda: any(label == "proxy" for label, _ in seen))  # the preview waits
        shutil.copy(ready, dest)
        held[0].release()

    rep = _preview_during(finish_later, src, tmp_path / "p.mp4", proxies, tmp_path,
                          progress=progress)
    assert str(dest) in rep.argv and rep.violations == []
    labels = [label for label, _ in seen]
    assert labels[0] == "proxy" and "render" in labels
    assert labels.index("render") > max(i for i, lab in enumerate(labels) if lab == "proxy")
    shares = [share for _, share in seen]
    assert shares == sorted(shares) and 0.39 <= shares[0] <= 0.41 and shares[-1] <= 1.0
    assert all(s <= 0.5 for lab, s in seen if lab == "proxy")
    assert all(s >= 0.5 for lab, s in seen if lab == "render")


def test_a_preview_does_not_wait_for_a_proxy_barely_started(
        tmp_path: Path, held: list[HeldLock]) -> None:
    src = media.plain_clip(tmp_path / "a.mp4")
    proxies = tmp_path / "proxies"
    held.append(HeldLock.making(proxy_path(src, proxies), 0.1))
    rep = _preview(src, tmp_path / "p.mp4", proxies, tmp_path)
    assert str(src) in rep.argv and rep.violations == []
    assert building(proxy_path(src, proxies)) == pytest.approx(0.1)   # left to carry on


def test_a_stalled_or_dead_builder_is_not_waited_for_forever(
        tmp_path: Path, held: list[HeldLock], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(proxy_mod, "STALL_S", 0.6)
    src = media.plain_clip(tmp_path / "a.mp4")
    proxies = tmp_path / "proxies"
    held.append(HeldLock.making(proxy_path(src, proxies), 0.7))   # never moves
    rep = _preview(src, tmp_path / "p.mp4", proxies, tmp_path, make_proxies=False)
    assert str(src) in rep.argv and rep.violations == []
    # a builder that dies without a proxy: the preview reads the original
    src2 = media.plain_clip(tmp_path / "b.mp4", tone_hz=330)
    lock = HeldLock.making(proxy_path(src2, proxies), 0.9)
    held.append(lock)

    waiting: list[str] = []

    async def die() -> None:
        await _until(lambda: "proxy" in waiting)   # the preview is waiting for the builder
        lock.proc.kill()
        lock.proc.wait()

    rep2 = _preview_during(die, src2, tmp_path / "q.mp4", proxies, tmp_path, make_proxies=False,
                           progress=lambda label, done, total: waiting.append(label))
    assert str(src2) in rep2.argv and rep2.violations == [] and "proxy" in waiting


def test_a_proxy_folder_that_cannot_be_used_falls_back_to_the_source(tmp_path: Path) -> None:
    src = media.plain_clip(tmp_path / "a.mp4")
    blocker = tmp_path / "proxies"
    blocker.write_text("a file where the proxy folder should be")
    rep = _preview(src, tmp_path / "p.mp4", blocker, tmp_path)
    assert rep.violations == [] and str(src) in rep.argv
    assert blocker.read_text().startswith("a file")


def _gated_ffmpeg(tmp_path: Path) -> tuple[Path, Path]:
    """An IGEDIT_FFMPEG that waits for a gate file before running the real ffmpeg."""
    gate = tmp_path / "gate"
    script = tmp_path / "ffmpeg-gated"
    script.write_text(f"#!/bin/sh\nwhile [ ! -e '{gate}' ]; do sleep 0.05; done\n"
                      f"exec '{ffmpeg_exe()}' \"$@\"\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, gate


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def _ppid(pid: str) -> str:
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return ""
    return raw[raw.rfind(b")") + 2:].split()[1].decode()


@pytest.mark.skipif(not Path("/proc/self/environ").exists(),
                    reason="reads the builder's command line and environment from /proc")
def test_upload_makes_the_proxy_in_the_background(tmp_path: Path, home: Path) -> None:
    src = media.plain_clip(tmp_path / "clip.mp4")
    script, gate = _gated_ffmpeg(tmp_path)
    marker = "nemo-secret-marker-7f3a"
    env = {**os.environ, "IGEDIT_FFMPEG": str(script), "NEMO_TOKEN": marker}
    # A host reads our stdout to the end: that must not wait for the builder.
    done = subprocess.run([sys.executable, "-m", "skill", "--backend", "local", "upload",
                           str(src)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and "Uploaded 1 file" in done.stdout
    dest = proxy_path(src, home / "proxies")
    deadline = time.monotonic() + 30
    while building(dest) is None:   # the builder is up, blocked at the gate
        assert time.monotonic() < deadline and not dest.exists()
        time.sleep(0.05)
    assert not dest.exists()
    found = [pid for pid in os.listdir("/proc") if pid.isdigit()
             and _cmdline(pid).count(str(src)) and "skill.engine.render.proxy" in _cmdline(pid)]
    # not the builder's own ffmpeg child caught between fork and exec (it still shows
    # the builder's command line while it arms its parent-death signal)
    builders = [pid for pid in found if _ppid(pid) not in found]
    assert len(builders) == 1, [_cmdline(p) for p in builders]
    assert marker not in Path(f"/proc/{builders[0]}/environ").read_bytes().decode("utf-8", "replace")
    gate.touch()
    _wait_ready(dest)
    p = probe(dest)
    assert (p.width, p.height) == (160, 90) and p.has_audio
    # a second upload of the same clip starts nothing new
    again = subprocess.run([sys.executable, "-m", "skill", "--backend", "local", "upload",
                            str(src)], cwd=tmp_path, env=env, capture_output=True, timeout=60)
    assert again.returncode == 0 and building(dest) is None
    assert sorted(x.name for x in (home / "proxies").glob("*.mp4")) == [dest.name]


def test_make_and_proxies_off_start_no_builder(tmp_path: Path, home: Path) -> None:
    src = media.plain_clip(tmp_path / "clip.mp4")
    out = tmp_path / "out.mp4"
    made = subprocess.run([sys.executable, "-m", "skill", "--backend", "local", "make",
                           str(src), "make it square", "-o", str(out)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stdout + made.stderr
    assert out.is_file() and not (home / "proxies").exists()
    env = {**os.environ, "IGEDIT_PROXIES": "0"}
    up = subprocess.run([sys.executable, "-m", "skill", "--backend", "local", "upload",
                         str(src)], cwd=tmp_path, env=env, capture_output=True, timeout=60)
    assert up.returncode == 0 and not (home / "proxies").exists()


def test_the_builder_command(tmp_path: Path) -> None:
    def run(*args: str) -> int:
        return subprocess.run([sys.executable, "-m", "skill.engine.render.proxy", *args], cwd=ROOT,
                              capture_output=True, timeout=60).returncode

    folder = str(tmp_path / "p")
    assert run() == 2 and run(folder) == 2
    assert run(folder, str(tmp_path / "missing.mp4")) == 1
    image = media.still_image(tmp_path / "still.png")
    assert run(folder, str(image)) == 0 and not list(tmp_path.glob("p/*.mp4"))
    clip = media.plain_clip(tmp_path / "a.mp4")
    with FileLock(str(proxy_mod._lock_path(proxy_path(clip, tmp_path / "p")))):
        # another builder has it (this process holds the lock): nothing is done twice
        assert run(folder, str(clip)) == 0
    assert not proxy_path(clip, tmp_path / "p").exists()
    # a batch: the missing file fails, the others are still made
    other = media.plain_clip(tmp_path / "b.mp4", tone_hz=330)
    assert run(folder, str(clip), str(tmp_path / "gone.mp4"), str(other)) == 1
    assert proxy_path(clip, tmp_path / "p").is_file() and proxy_path(other, tmp_path / "p").is_file()


def test_one_builder_runs_at_a_time_per_folder(tmp_path: Path, held: list[HeldLock]) -> None:
    a = media.plain_clip(tmp_path / "a.mp4")
    b = media.plain_clip(tmp_path / "b.mp4", tone_hz=330)
    proxies = tmp_path / "proxies"
    proxies.mkdir()
    # another builder holds the folder's slot (is running ffmpeg)
    held.append(HeldLock(proxies / proxy_mod.SLOT_LOCK))
    builder = proxy_mod.start_background([a, b, a], proxies)   # one process, both clips
    assert builder is not None
    deadline = time.monotonic() + 30
    while building(proxy_path(a, proxies)) is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # claimed but queued: 0 % done, no ffmpeg output yet (nor an ffmpeg), so previews do
    # not wait; the progress file is only written once ffmpeg runs, i.e. after the slot
    assert building(proxy_path(a, proxies)) == 0.0
    assert not _children(builder.pid)
    assert not list(proxies.glob("*.mp4")) and not list(proxies.glob(".*.partial.mp4"))
    assert proxy_mod.start_background([a], proxies) is None        # already claimed
    held[0].release()
    assert builder.wait(60) == 0
    assert proxy_path(a, proxies).is_file() and proxy_path(b, proxies).is_file()
    assert proxy_mod.start_background([a, b], proxies) is None         # nothing left to do


def test_cli_previews_read_the_proxy_the_upload_made(tmp_path: Path, home: Path) -> None:
    src = media.plain_clip(tmp_path / "clip.mp4", seconds=2.0)

    def igedit(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "skill", "--backend", "local", *args],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)

    assert igedit("upload", str(src)).returncode == 0
    dest = proxy_path(src, home / "proxies")
    _wait_ready(dest)
    long_ago = time.time() - 30 * 86400
    os.utime(dest, (long_ago, long_ago))
    assert igedit("say", "make it square").returncode == 0
    done = igedit("export", "--preview", "-o", "p.mp4")
    assert done.returncode == 0, done.stdout + done.stderr
    p = probe(tmp_path / "p.mp4")
    assert (p.width, p.height) == (540, 540) and p.has_audio
    assert dest.stat().st_mtime > long_ago + 86400   # the preview read it (marked as used)


def test_a_damaged_proxy_is_dropped_and_the_original_read(tmp_path: Path) -> None:
    src = media.plain_clip(tmp_path / "a.mp4")
    proxies = tmp_path / "proxies"
    dest = proxy_path(src, proxies)
    proxies.mkdir()
    dest.write_bytes(b"\0" * 4096)          # e.g. cut short by a full disk elsewhere
    rep = _preview(src, tmp_path / "p.mp4", proxies, tmp_path)
    assert rep.violations == [] and str(src) in rep.argv and str(dest) not in rep.argv
    _wait_ready(dest)                        # deleted, and made anew for next time
    assert probe(dest).has_video
