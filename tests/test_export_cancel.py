"""``igedit export --cancel``: a render running in another terminal is stopped (its
ffmpeg killed), the waiting export says so and saves nothing, ``--resume`` forgets it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from skill.draft import Draft
from skill.engine.db import LOCAL_OWNER, EngineDB
from skill.engine.jobs import JobRunner
from skill.front.cli import main
from tests.media import still_image
from tests.test_serve_limits import ffmpeg_children, wait_for

ROOT = Path(__file__).resolve().parent.parent


def _lengthen(home: Path, seconds: int) -> None:
    db = EngineDB(home / "engine.sqlite")
    row = db.latest_session(LOCAL_OWNER)
    assert row is not None
    draft = row.draft
    draft.tracks[0].segments[0].dur_ms = seconds * 1000
    assert db.save_draft(row.id, draft, expect_rev=row.rev) >= 0


def _running_job(home: Path) -> str | None:
    db = EngineDB(home / "engine.sqlite")
    jobs = db.active_jobs()
    if jobs and jobs[0].status == "processing" and ffmpeg_children(jobs[0].id):
        return jobs[0].id
    return None


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to find ffmpeg")
def test_export_cancel_stops_a_render_running_elsewhere(home: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    still = still_image(tmp_path / "still.png", size="1080x1920")
    assert main(["--backend", "local", "upload", str(still)]) == 0
    _lengthen(home, 900)
    out = tmp_path / "out.mp4"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    exporting = subprocess.Popen(
        [sys.executable, "-m", "skill", "--backend", "local", "export", "-o", str(out)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        job = wait_for(lambda: _running_job(home))
        capsys.readouterr()
        assert main(["--backend", "local", "export", "--cancel"]) == 0
        said = capsys.readouterr()
        stdout, stderr = exporting.communicate(timeout=60)
    finally:
        if exporting.poll() is None:
            exporting.kill()
    assert ("Cancelled 1 pending export and stopped 1 running render. Nothing was saved to "
            f"{out}") in said.out + said.err
    assert exporting.returncode == 1
    assert "The render was cancelled, so nothing was saved. Start again with `igedit export`." \
        in stdout + stderr
    assert "Traceback" not in stdout + stderr
    assert not out.exists()
    wait_for(lambda: not ffmpeg_children(job), timeout=60)
    row = EngineDB(home / "engine.sqlite").get_job(job)
    assert row is not None and row.status == "cancelled"
    capsys.readouterr()
    assert main(["--backend", "local", "export", "--resume"]) == 0  # forgotten: nothing to resume
    got = capsys.readouterr()
    assert "There is no interrupted export to resume." in got.out + got.err


def test_cancel_of_a_finished_or_unknown_job_changes_nothing(home: Path) -> None:
    db = EngineDB(home / "engine.sqlite")
    runner = JobRunner(db, home, resolve=lambda row: row.draft)
    db.create_job("done_1", session_id="s", owner="o", draft=Draft(), preview=False)
    db.mark_job("done_1", status="completed")

    async def go() -> None:
        assert (await runner.cancel("done_1")).status == "completed"  # type: ignore[union-attr]
        assert await runner.cancel("nope") is None

    asyncio.run(go())
