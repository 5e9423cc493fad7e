"""Exports into folders that refuse files, and full disks: a clear message, never a
traceback, and a finished render is never lost.

Faults are real (see ``tests/mounts.py``): a read-only or tiny tmpfs, ``/proc`` (no
new files there, even for root), ``/dev/full``, a path below a regular file.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
from pathlib import Path

import pytest

from skill.engine.db import EngineDB
from skill.engine.local import LocalEngine
from skill.fsfaults import export_error, is_disk_full, probe_writable
from skill.templates import render
from tests.mounts import fill, remount, tmpfs, under_a_file
from tests.test_cli_core import igedit
from tests.test_local_helpers import make_clip

LOCAL = ("--backend", "local")


@pytest.fixture(scope="module")
def clip_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


def upload_and_edit(home: Path, clip: Path) -> None:
    """Upload ``clip`` to the local session and crop it to square (in this process:
    the CLI's part is the export under test)."""
    async def go() -> None:
        eng = LocalEngine(home)
        try:
            await eng.upload([clip])
            async for _ in eng.send("crop to square"):
                pass
        finally:
            await eng.aclose()

    asyncio.run(go())


@pytest.fixture
def edited(home: Path, tmp_path: Path, clip_cache: Path) -> Path:
    """A local session holding one clip, cropped to square; returns the work folder."""
    upload_and_edit(home, make_clip(tmp_path / "clip.mp4", cache_dir=clip_cache))
    return tmp_path


def pending(home: Path) -> dict[str, dict[str, object]]:
    path = home / "renders.json"
    return json.loads(path.read_text()).get("jobs", {}) if path.exists() else {}


def rendered(home: Path) -> list[str]:
    db = EngineDB(home / "engine.sqlite")
    with db._tx() as c:
        return [r["id"] for r in c.execute("SELECT id FROM jobs").fetchall()]


def clean(out: str) -> None:
    assert "Traceback" not in out and "Errno" not in out, out


# -- the checks, on real faults that need no mount ----------------------------------
def test_a_full_disk_and_a_folder_that_cannot_exist_are_named() -> None:
    with pytest.raises(OSError) as full, open("/dev/full", "wb") as fh:  # noqa: PTH123
        fh.write(b"x" * 65536)
        fh.flush()
    assert full.value.errno == errno.ENOSPC and is_disk_full(full.value)
    err = export_error(full.value, Path("/media/usb/reel.mp4"), rendered=True)
    text = render(err.key, "en", **err.ctx)
    assert err.key == "export_disk_full"
    assert "The disk holding /media/usb is full (No space left on device)" in text
    assert "igedit export --resume -o" in text
    assert "磁盘已满" in render(err.key, "zh", **err.ctx)
    assert is_disk_full("ffmpeg exited with code 1: Conversion failed! (No space left on device)")
    assert not is_disk_full("Permission denied")


def test_probe_writes_for_real(tmp_path: Path) -> None:
    assert probe_writable(tmp_path) is None
    assert list(tmp_path.iterdir()) == []           # the probe file is gone again
    problem = probe_writable(under_a_file(tmp_path))
    assert problem is not None and problem.errno == errno.ENOTDIR


# -- through the CLI --------------------------------------------------------------------
@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="Linux /proc")
def test_unwritable_output_folder_is_refused_before_rendering(home: Path, edited: Path) -> None:
    out = igedit(*LOCAL, "export", "-o", "/proc/reel.mp4", cwd=edited)
    assert out.returncode == 1
    clean(out.stdout + out.stderr)
    assert "I cannot write to the folder /proc (No such file or directory)." in out.stderr
    assert "Nothing was rendered. Choose an -o path in a folder you can write to." in out.stderr
    assert "Rendering" not in out.stdout
    assert pending(home) == {} and rendered(home) == []


def test_read_only_output_folder_is_refused_before_rendering(home: Path, edited: Path,
                                                              tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", read_only=True) as ro:
        out = igedit(*LOCAL, "--lang", "zh", "export", "-o", str(ro / "reel.mp4"), cwd=edited)
    assert out.returncode == 1
    clean(out.stdout + out.stderr)
    assert f"无法写入文件夹 {ro}（Read-only file system）" in out.stderr
    assert pending(home) == {} and rendered(home) == []


def test_make_refuses_an_unwritable_folder_before_uploading(home: Path, tmp_path: Path,
                                                            clip_cache: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", cache_dir=clip_cache)
    with tmpfs(tmp_path / "ro", read_only=True) as ro:
        out = igedit(*LOCAL, "make", str(clip), "crop to square", "-o", str(ro / "a.mp4"),
                     cwd=tmp_path)
    assert out.returncode == 1 and "I cannot write to the folder" in out.stderr
    clean(out.stdout + out.stderr)
    assert "Uploaded" not in out.stdout


def test_full_destination_keeps_the_render_and_resume_saves_it_elsewhere(
        home: Path, edited: Path, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "usb", size=64 * 1024) as usb:
        out = igedit(*LOCAL, "export", "-o", str(usb / "reel.mp4"), cwd=edited)
        assert out.returncode == 1
        clean(out.stdout + out.stderr)
        assert f"The disk holding {usb} is full (No space left on device)." in out.stderr
        assert "Your render is finished and kept" in out.stderr
        assert sorted(os.listdir(usb)) == []        # no partial, no staging folder
        jobs = pending(home)
        assert len(jobs) == 1 and rendered(home) == list(jobs)

        # the destination is now read-only: resume says so and keeps the job
        remount(usb, read_only=True)
        again = igedit(*LOCAL, "export", "--resume", cwd=edited)
        assert again.returncode == 1
        clean(again.stdout + again.stderr)
        assert (f"The interrupted export was going to {usb / 'reel.mp4'}, but I cannot write to "
                f"{usb} (Read-only file system)") in again.stderr
        assert "igedit export --resume -o" in again.stderr
        assert pending(home) == jobs
        # and so does --resume -o into the same read-only folder (the render is not lost)
        other = igedit(*LOCAL, "export", "--resume", "-o", str(usb / "b.mp4"), cwd=edited)
        assert other.returncode == 1 and "It is still waiting" in other.stderr
        assert "Nothing was rendered" not in other.stderr
        assert pending(home) == jobs

    saved = igedit(*LOCAL, "export", "--resume", "-o", "elsewhere.mp4", cwd=edited)
    assert saved.returncode == 0, saved.stderr
    assert "Saved" in saved.stdout and (edited / "elsewhere.mp4").stat().st_size > 10_000
    assert pending(home) == {} and rendered(home) == list(jobs)   # not rendered again


def test_full_home_disk_while_rendering_is_a_clear_message(home: Path, tmp_path: Path,
                                                           clip_cache: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", cache_dir=clip_cache)
    with tmpfs(home, size=1024 * 1024):
        upload_and_edit(home, clip)
        fill(home)
        filler = home / "filler"
        os.truncate(filler, filler.stat().st_size - 96 * 1024)  # room to start, not to finish
        out = igedit(*LOCAL, "--json", "export", "-o", "reel.mp4", cwd=tmp_path)
        lines = [json.loads(ln) for ln in out.stdout.splitlines()]
        assert out.returncode == 1
        clean(out.stdout + out.stderr)
        errors = [ln for ln in lines if ln["kind"] == "error"]
        assert [e["key"] for e in errors] == ["error_disk_full"], lines
        assert f"The disk holding igedit's state folder {home} is full" in errors[0]["text"]
        assert not any(ln.get("key") == "export_retrying" for ln in lines)
        assert not (tmp_path / "reel.mp4").exists()
        # nothing half-written is left in the home either
        assert [p.name for p in (home / "renders").iterdir() if p.name.startswith(".")] == []
        # and once there is room again, the same home works
        filler.unlink()
        ok = igedit(*LOCAL, "export", "-o", "reel.mp4", cwd=tmp_path)
        assert ok.returncode == 0, ok.stderr


def test_render_filling_the_disk_fails_once_with_the_reason(home: Path, edited: Path) -> None:
    """ffmpeg itself hits ENOSPC (its renders folder is full): the job fails with the
    reason, the export is not retried (it would fill the disk again), the user reads
    "disk full" rather than "Conversion failed!"."""
    with tmpfs(home / "renders", size=64 * 1024):
        out = igedit(*LOCAL, "--json", "export", "-o", "reel.mp4", cwd=edited)
        lines = [json.loads(ln) for ln in out.stdout.splitlines()]
        assert out.returncode == 1
        clean(out.stdout + out.stderr)
        assert [ln["key"] for ln in lines if ln["kind"] == "error"] == ["error_disk_full"]
        assert not any(ln.get("key") == "export_retrying" for ln in lines)
        assert os.listdir(home / "renders") == []     # the partial was removed
    db = EngineDB(home / "engine.sqlite")
    with db._tx() as c:
        rows = c.execute("SELECT status, error FROM jobs").fetchall()
    assert len(rows) == 1 and rows[0]["status"] == "failed"
    assert "No space left on device" in rows[0]["error"]
