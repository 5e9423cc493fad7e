"""Local render jobs: export, restart of an interrupted job, self-check failures."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from skill.backend import RenderJob
from skill.draft import Draft
from skill.engine.local import LocalEngine
from skill.engine.render import pipeline as render_mod
from skill.errors import InputError
from skill.templates import render
from tests.test_local_helpers import make_clip, probe_mp4


@pytest.fixture(scope="module")
def clip_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])  # noqa: S603
    proc.wait()
    return proc.pid


def test_export_renders_downloads_and_never_overwrites_silently(
        home: Path, tmp_path: Path, clip_cache: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", cache_dir=clip_cache)
    dest = tmp_path / "out" / "video.mp4"
    dest.parent.mkdir()
    progress: list[tuple[str, float, float | None]] = []

    async def go() -> tuple[Any, Any, Any]:
        eng = LocalEngine(home)
        await eng.upload([clip])
        st = await eng.state()
        job = await eng.submit_render(st.draft)
        first = await eng.render_status(job)
        done = await eng.wait_render(job, progress=lambda *a: progress.append(a))
        saved = await eng.download(done.url, dest, progress=lambda *a: progress.append(a))
        await eng.aclose()
        return first, done, saved

    first, done, saved = asyncio.run(go())
    assert first.status in ("pending", "processing")
    assert done.status == "completed" and done.progress == 100
    assert done.url.startswith("file://") and "/renders/" in done.url
    assert saved == dest
    facts = probe_mp4(dest)
    # a 4:3 clip → the landscape canvas the planner's initial draft chooses
    assert facts["vcodec"] == "h264" and facts["audio"] is True
    assert facts["duration"] == pytest.approx(1.0, abs=0.1)
    assert [p.name for p in dest.parent.iterdir()] == ["video.mp4"]  # no .part left
    assert {p[0] for p in progress} == {"render", "download"}
    assert progress[-1][1] == progress[-1][2]
    renders = sorted(p.name for p in (home / "renders").iterdir())
    assert len(renders) == 1 and renders[0].endswith(".mp4") and not renders[0].startswith(".")


def test_empty_timeline_cannot_be_exported(home: Path) -> None:
    async def go() -> InputError:
        eng = LocalEngine(home)
        with pytest.raises(InputError) as err:
            await eng.submit_render(Draft())
        return err.value

    assert asyncio.run(go()).key == "export_empty"


def test_interrupted_job_is_restarted_by_wait_render(
        home: Path, tmp_path: Path, clip_cache: Path) -> None:
    """A job left 'processing' by a process that died (Ctrl-C, closed terminal)."""
    clip = make_clip(tmp_path / "clip.mp4", cache_dir=clip_cache)
    notices: list[str] = []

    async def setup() -> tuple[str, str, dict[str, Any]]:
        eng = LocalEngine(home)
        await eng.upload([clip])
        st = await eng.state()
        return st.session_id, (await eng.ready()).session_id, st.draft

    sid, _, draft = asyncio.run(setup())
    eng0 = LocalEngine(home)
    db = eng0.ws.db
    db.create_job("render_interrupted", session_id=sid, owner="local", draft=draft, preview=True)
    db.mark_job("render_interrupted", status="processing", worker_pid=dead_pid(),
                worker_id="gone-1", heartbeat=time.time(), progress=40.0)
    # what the dead process left behind must never be taken for a result
    (home / "renders").mkdir(parents=True, exist_ok=True)
    half = home / "renders" / ".render_interrupted.gone-1.part.mp4"
    half.write_bytes(b"\0" * 1000)

    async def resume() -> Any:
        eng = LocalEngine(home, notice=lambda key, ctx: notices.append(key))
        job = RenderJob(id="render_interrupted", session_id=sid, backend="local", preview=True)
        before = await eng.render_status(job)
        assert (before.status, before.progress) == ("processing", 40.0)
        done = await eng.wait_render(job)
        await eng.aclose()
        return done

    done = asyncio.run(resume())
    assert done.status == "completed"
    assert notices == ["local_render_restarted"]
    row = db.get_job("render_interrupted")
    assert row is not None and row.attempts == 1 and row.worker_id != "gone-1"
    out = home / "renders" / "render_interrupted.mp4"
    assert not half.exists()
    assert done.url == out.as_uri()
    facts = probe_mp4(out)
    assert facts["duration"] == pytest.approx(1.0, abs=0.1)


def test_cancelled_render_goes_back_to_pending_and_another_process_finishes_it(
        home: Path, tmp_path: Path, clip_cache: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", cache_dir=clip_cache)

    async def start_and_quit() -> RenderJob:
        eng = LocalEngine(home)
        await eng.upload([clip])
        job = await eng.submit_render((await eng.state()).draft, preview=True)
        await asyncio.sleep(0.05)
        await eng.aclose()  # like Ctrl-C: the render task is cancelled
        return job

    job = asyncio.run(start_and_quit())
    eng = LocalEngine(home)
    row = eng.ws.db.get_job(job.id)
    assert row is not None and row.status == "pending" and row.worker_id is None

    async def finish() -> Any:
        done = await eng.wait_render(job)
        await eng.aclose()
        return done

    assert asyncio.run(finish()).status == "completed"


class FailingSelfCheck:
    """Stands in for the renderer: writes a file whose self-check reports a violation."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, draft: dict[str, Any], out: Path, **_: Any) -> Any:
        self.calls += 1
        out.write_bytes(b"not really a video")
        return render_mod.RenderReport(out, None, ["frame rate 25 fps, expected 30"],  # type: ignore[arg-type]
                                       0.1)


def test_self_check_violation_fails_the_job_with_the_violation(
        home: Path, tmp_path: Path, clip_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clip = make_clip(tmp_path / "clip.mp4", cache_dir=clip_cache)
    fake = FailingSelfCheck()
    monkeypatch.setattr(render_mod, "render", fake)

    async def go() -> Any:
        eng = LocalEngine(home)
        await eng.upload([clip])
        job = await eng.submit_render((await eng.state()).draft)
        done = await eng.wait_render(job)
        await eng.aclose()
        return done

    done = asyncio.run(go())
    assert fake.calls == 1
    assert done.status == "failed" and done.url == ""
    assert "frame rate 25 fps, expected 30" in done.detail
    assert not [p for p in (home / "renders").iterdir() if p.suffix == ".mp4"]
    message = render("error_render", "en", detail=done.detail)
    assert "frame rate 25 fps" in message


def test_media_moved_after_upload_fails_the_render_clearly(
        home: Path, tmp_path: Path, clip_cache: Path) -> None:
    clip = make_clip(tmp_path / "moving.mp4", cache_dir=clip_cache)

    async def go() -> Any:
        eng = LocalEngine(home)
        await eng.upload([clip])
        clip.rename(tmp_path / "elsewhere.mp4")
        job = await eng.submit_render((await eng.state()).draft)
        done = await eng.wait_render(job)
        await eng.aclose()
        return done

    done = asyncio.run(go())
    assert done.status == "failed"
    assert "moving.mp4 is missing or changed" in done.detail


def test_cover_jpeg_is_made_and_saved_next_to_the_download(
        home: Path, tmp_path: Path, clip_cache: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", cache_dir=clip_cache)
    notices: list[tuple[str, dict[str, Any]]] = []

    async def go() -> Path:
        eng = LocalEngine(home, notice=lambda key, ctx: notices.append((key, ctx)))
        await eng.upload([clip])
        draft = (await eng.state()).draft
        draft.cover_ms = 500
        job = await eng.submit_render(draft, preview=True)
        done = await eng.wait_render(job)
        saved = await eng.download(done.url, tmp_path / "post.mp4")
        await eng.aclose()
        return saved

    saved = asyncio.run(go())
    cover = saved.with_suffix(".jpg")
    assert cover.read_bytes()[:3] == b"\xff\xd8\xff"
    # the exporter says where the cover finally lands (tests/test_media_fixes.py)
    assert notices == []
    assert len(list((home / "renders").glob("*.jpg"))) == 1


def test_download_over_http(home: Path, tmp_path: Path, clip_cache: Path) -> None:
    from tests.servers import serve_in_thread
    from tests.test_local_helpers import file_server

    served = tmp_path / "served"
    served.mkdir()
    make_clip(served / "render.mp4", cache_dir=clip_cache)
    seen: list[tuple[str, float, float | None]] = []

    async def go(base: str) -> Path:
        eng = LocalEngine(home)
        saved = await eng.download(f"{base}/files/render.mp4", tmp_path / "got.mp4",
                                   progress=lambda *a: seen.append(a))
        with pytest.raises(InputError) as err:
            await eng.download(f"{base}/files/none.mp4", tmp_path / "none.mp4")
        assert err.value.key == "local_url_failed"
        await eng.aclose()
        return saved

    with serve_in_thread(file_server(served)) as base:
        saved = asyncio.run(go(base))
    assert saved.read_bytes() == (served / "render.mp4").read_bytes()
    assert seen[-1][0] == "download" and seen[-1][1] == seen[-1][2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["got.mp4", "igedit-home", "served"]


def test_render_cancelled_before_its_task_ran_is_handed_back_at_once(
        home: Path, tmp_path: Path, clip_cache: Path) -> None:
    """``aclose`` right after ``submit_render`` (the task never got to run): the job must
    not stay ``processing`` under this process, or the next runner waits for the
    heartbeat to go stale (20 s) before it may restart it."""
    clip = make_clip(tmp_path / "clip.mp4", cache_dir=clip_cache)

    async def submit_and_quit_at_once() -> RenderJob:
        eng = LocalEngine(home)
        await eng.upload([clip])
        job = await eng.submit_render((await eng.state()).draft, preview=True)
        await eng.aclose()  # no await in between: the render task never started
        return job

    job = asyncio.run(submit_and_quit_at_once())
    eng = LocalEngine(home)
    row = eng.ws.db.get_job(job.id)
    assert row is not None and (row.status, row.worker_id, row.heartbeat) == ("pending", None, None)

    async def claim() -> bool:
        try:
            return eng.ws.jobs.start(job.id)   # claimable now, not after stale_s
        finally:
            await eng.aclose()

    assert asyncio.run(claim()) is True
