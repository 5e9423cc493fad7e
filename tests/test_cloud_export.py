"""CloudBackend uploads, state, credits, renders and downloads against the fake server."""

from __future__ import annotations

import asyncio
import gc
import json
import tracemalloc
from pathlib import Path
from typing import Any

import httpx
import pytest

from skill import errors, templates
from skill.backend import MAX_UPLOAD_BYTES, RenderJob, RenderStatus
from skill.cloud import CloudBackend
from skill.draft import decode_draft, summarize
from skill.manifest import load_manifest
from skill.store import Store
from tests.fake_nemo import FakeNemo, SimClock, video_bytes
from tests.test_cloud_backend import collect, make, run, using

MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"



def mp4(path: Path, size: int = 4096) -> Path:
    with path.open("wb") as fh:
        fh.write(MP4_HEAD)
        fh.truncate(size)  # sparse: no disk or memory cost
    return path


class Progress(list[tuple[str, float, float | None]]):
    def __call__(self, label: str, done: float, total: float | None) -> None:
        self.append((label, done, total))


# ---------------------------------------------------------------- upload


@pytest.mark.parametrize(("name", "content", "key"), [
    ("virus.mp4", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(100),
     "error_4001"),
    ("notes.txt", b"hello", "error_4001"),
    ("missing.mp4", None, "file_missing"),
])
def test_upload_refuses_bad_files_before_any_network(fake: FakeNemo, sim: SimClock,
                                                     tmp_path: Path, name: str,
                                                     content: bytes | None, key: str) -> None:
    good = mp4(tmp_path / "good.mp4")
    bad = tmp_path / name
    if content is not None:
        bad.write_bytes(content)
    with pytest.raises(errors.InputError) as info:
        run(using(make(fake, sim), lambda b: b.upload([good, bad])))
    assert info.value.key == key
    assert fake.requests == []  # not even the token request
    message = templates.render(info.value.key, "en", **info.value.ctx)
    assert name in message
    if key == "error_4001":
        assert "Supported formats: mp4, mov" in message


def test_upload_refuses_files_over_500_mb(fake: FakeNemo, sim: SimClock, tmp_path: Path) -> None:
    big = mp4(tmp_path / "big.mp4", MAX_UPLOAD_BYTES + 1)
    with pytest.raises(errors.InputError) as info:
        run(using(make(fake, sim), lambda b: b.upload([big])))
    assert info.value.key == "error_4002" and fake.requests == []
    message = templates.render("error_4002", "en", **info.value.ctx)
    assert "500 MB" in message and "Compress it or trim it" in message
    assert "500 MB" in templates.render("error_4002", "zh", **info.value.ctx)


def test_upload_streams_files_as_multipart_with_progress(fake: FakeNemo, sim: SimClock,
                                                         tmp_path: Path) -> None:
    a = mp4(tmp_path / "city.mp4", 700_000)
    b = tmp_path / "cover.png"
    b.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(5000))
    progress = Progress()
    media = run(using(make(fake, sim), lambda be: be.upload([a, b], progress=progress)))
    up = [r for r in fake.requests if r.path.startswith("/api/upload-video/")]
    assert len(up) == 1
    assert up[0].body == {"multipart": [
        {"name": "files", "filename": "city.mp4", "content_type": "video/mp4", "size": 700_000},
        {"name": "files", "filename": "cover.png", "content_type": "image/png", "size": 5008},
    ]}
    total = int(up[0].headers["content-length"])
    assert progress[-1] == ("upload", float(total), float(total))
    assert len(progress) > 3 and all(p[0] == "upload" for p in progress)
    assert [(m.name, m.kind) for m in media] == [("city.mp4", "video"), ("cover.png", "image")]
    assert media[0].width == 1920 and media[0].duration == 10.0


def test_upload_urls_as_json(fake: FakeNemo, sim: SimClock) -> None:
    url = "https://example.com/clips/clip.mp4"
    media = run(using(make(fake, sim), lambda b: b.upload([url])))
    up = [r for r in fake.requests if r.path.startswith("/api/upload-video/")]
    assert [r.body for r in up] == [{"urls": [url], "source_type": "url"}]
    assert up[0].headers["content-type"] == "application/json"
    assert [m.name for m in media] == ["clip.mp4"]


def test_upload_memory_stays_flat(fake: FakeNemo, sim: SimClock, tmp_path: Path) -> None:
    big = mp4(tmp_path / "big.mp4", 50 * 1024 * 1024)
    gc.collect()
    tracemalloc.start()
    try:
        run(using(make(fake, sim), lambda b: b.upload([big])))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    up = [r for r in fake.requests if r.path.startswith("/api/upload-video/")]
    assert up[0].body["multipart"][0]["size"] == 50 * 1024 * 1024
    assert peak < 8 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB for a 50 MB upload"


def test_upload_retried_after_token_expiry_sends_whole_file_again(
        fake: FakeNemo, sim: SimClock, tmp_path: Path) -> None:
    clip = mp4(tmp_path / "clip.mp4", 100_000)

    async def go(b: CloudBackend) -> Any:
        await b.ready()
        fake.set_fault("expired_token")
        return await b.upload([clip])

    media = run(using(make(fake, sim), go))
    up = [r for r in fake.requests if r.path.startswith("/api/upload-video/")]
    assert [r.status for r in up] == [401, 200]
    assert up[1].body["multipart"][0]["size"] == 100_000 and media[0].name == "clip.mp4"


# ---------------------------------------------------------------- state and credits


@pytest.mark.parametrize("faults", [(), ("draft_string",)])
def test_state_summary_and_media(fake: FakeNemo, sim: SimClock, tmp_path: Path,
                                 faults: tuple[str, ...]) -> None:
    for f in faults:
        fake.set_fault(f)
    clip = mp4(tmp_path / "city timelapse.mp4")

    async def go(b: CloudBackend) -> Any:
        await b.upload([clip])
        return await b.state()

    state = run(using(make(fake, sim), go))
    assert summarize(state.draft) == "Timeline (1 track): 1. Video: city timelapse.mp4 (0-10s)"
    assert [m.name for m in state.media] == ["city timelapse.mp4"]
    assert state.bind_id.startswith("anon_") and state.session_id


def test_state_after_recorded_edit(fake: FakeNemo, sim: SimClock) -> None:
    async def go(b: CloudBackend) -> Any:
        await collect(b, "crop to square, add lo-fi music at 35%, title \"Urban Dreams\"")
        return await b.state()

    state = run(using(make(fake, sim), go))
    assert summarize(state.draft) == (
        'Timeline (2 tracks): 1. BGM: Lo-fi (0-10s, 35%) 2. Title: "Urban Dreams" (0-3s)')


def test_credits(fake: FakeNemo, sim: SimClock) -> None:
    credits = run(using(make(fake, sim), lambda b: b.credits()))
    assert (credits.available, credits.frozen, credits.total, credits.local) == (85, 0, 85, False)


# ---------------------------------------------------------------- render


DRAFT = {"t": [{"tt": 0, "m": {"name": "a.mp4"}, "sg": [{"s": 0, "d": 10000, "m": {}}]}],
         "m": {"ratio": "9:16"}}


def test_submit_render_body(fake: FakeNemo, sim: SimClock) -> None:
    job = run(using(make(fake, sim), lambda b: b.submit_render(decode_draft(DRAFT))))
    body = [r.body for r in fake.requests if r.path == "/api/render/proxy/lambda"][0]
    assert body == {"id": job.id, "sessionId": job.session_id, "draft": DRAFT,
                    "output": {"format": "mp4", "quality": "high"}}
    assert job.id.startswith("render_") and job.id[7:].isdigit() and len(job.id[7:]) == 13
    assert job.backend == "cloud"


def test_adaptive_poll_schedule_and_progress(fake: FakeNemo, sim: SimClock) -> None:
    fake.render_seconds = 61.0
    progress = Progress()

    async def go(b: CloudBackend) -> tuple[RenderStatus, float]:
        job = await b.submit_render(decode_draft(DRAFT))
        start = sim.now()
        return await b.wait_render(job, progress=progress), start

    status, start = run(using(make(fake, sim), go))
    assert status.status == "completed" and status.url.endswith(".mp4")
    assert sim.sleeps[0] == 3.0 and min(sim.sleeps) >= 2.0 and max(sim.sleeps) <= 30.0
    assert 0 <= sim.now() - (start + 61.0) <= 3.0  # looked soon after the finish
    assert len(sim.sleeps) < 14  # and not every 2 s either
    pct = [p[1] for p in progress]
    assert pct == sorted(pct) and pct[-1] == 100.0


def test_poll_without_progress_reaches_30s(fake: FakeNemo, sim: SimClock) -> None:
    fake.render_seconds = 200.0
    fake.report_progress = False

    async def go(b: CloudBackend) -> RenderStatus:
        return await b.wait_render(await b.submit_render(decode_draft(DRAFT)))

    assert run(using(make(fake, sim), go)).status == "completed"
    assert sim.sleeps[:11] == [3.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 13.0, 17.0, 22.0, 30.0]


def test_status_shape_data(fake: FakeNemo, sim: SimClock) -> None:
    fake.set_fault("status_shape_data")
    fake.render_seconds = 5.0

    async def go(b: CloudBackend) -> RenderStatus:
        return await b.wait_render(await b.submit_render(decode_draft(DRAFT)))

    status = run(using(make(fake, sim), go))
    assert status.status == "completed"
    assert status.url == f"{fake.cdn_url}/renders/{next(iter(fake.jobs))}.mp4"


def test_render_failing_once_reports_failed_then_new_id_succeeds(fake: FakeNemo,
                                                                 sim: SimClock) -> None:
    fake.set_fault("render_fail_once")

    async def go(b: CloudBackend) -> tuple[RenderJob, RenderStatus, RenderJob, RenderStatus]:
        j1 = await b.submit_render(decode_draft(DRAFT))
        s1 = await b.wait_render(j1)
        j2 = await b.submit_render(decode_draft(DRAFT))
        return j1, s1, j2, await b.wait_render(j2)

    j1, s1, j2, s2 = run(using(make(fake, sim), go))
    assert s1.status == "failed" and s1.detail == "Lambda render timed out"
    assert j1.id != j2.id and s2.status == "completed"


def test_a_5xx_blip_while_polling_is_tolerated(fake: FakeNemo, sim: SimClock) -> None:
    fake.render_seconds = 10.0

    async def go(b: CloudBackend) -> RenderStatus:
        job = await b.submit_render(decode_draft(DRAFT))
        fake.set_fault("status_flaky")
        return await b.wait_render(job)

    assert run(using(make(fake, sim), go)).status == "completed"
    assert [r.status for r in fake.requests if "/lambda/" in r.path][0] == 503


def test_export_402_is_a_plan_limit(fake: FakeNemo, sim: SimClock) -> None:
    fake.set_fault("export_402")
    with pytest.raises(errors.ExportBlocked) as info:
        run(using(make(fake, sim), lambda b: b.submit_render(decode_draft(DRAFT))))
    assert info.value.status == 402
    en = templates.render(info.value.key, "en", **info.value.ctx)
    assert "Register or upgrade your plan to unlock export" in en
    assert "https://nemovideo.com" in en
    assert "套餐" in templates.render(info.value.key, "zh", **info.value.ctx)


def test_render_timeout(fake: FakeNemo, sim: SimClock) -> None:
    fake.render_seconds = 10_000.0

    async def go(b: CloudBackend) -> RenderStatus:
        return await b.wait_render(await b.submit_render(decode_draft(DRAFT)), max_wait=120.0)

    with pytest.raises(errors.RenderError) as info:
        run(using(make(fake, sim), go))
    assert info.value.key == "render_timeout"
    assert "igedit export --resume" in templates.render("render_timeout", "en")


# ---------------------------------------------------------------- download


def _render_and_download(fake: FakeNemo, sim: SimClock, dest: Path,
                         progress: Progress | None = None) -> Path:
    async def go(b: CloudBackend) -> Path:
        status = await b.wait_render(await b.submit_render(decode_draft(DRAFT)))
        return await b.download(status.url, dest, progress=progress)

    return run(using(make(fake, sim), go))


def test_download_to_temp_then_rename_without_token(fake: FakeNemo, sim: SimClock,
                                                    tmp_path: Path) -> None:
    dest = tmp_path / "out" / "reel.mp4"
    progress = Progress()
    assert _render_and_download(fake, sim, dest, progress) == dest
    assert dest.read_bytes() == video_bytes(fake.download_size)
    assert [p.name for p in dest.parent.iterdir()] == ["reel.mp4"]  # no partial left
    assert progress[-1] == ("download", float(fake.download_size), float(fake.download_size))
    assert len(fake.cdn_requests) == 1 and fake.counts["render_download"] == 0
    assert "authorization" not in fake.cdn_requests[0].headers


def test_slow_download_reports_progress(fake: FakeNemo, sim: SimClock, tmp_path: Path) -> None:
    fake.set_fault("slow_download")
    fake.chunk_delay = 0.01
    progress = Progress()
    dest = _render_and_download(fake, sim, tmp_path / "reel.mp4", progress)
    assert dest.stat().st_size == fake.download_size
    assert len(progress) >= 4 and progress[0][2] == float(fake.download_size)


def test_cancelled_download_leaves_no_partial_file(fake: FakeNemo, sim: SimClock,
                                                   tmp_path: Path) -> None:
    fake.set_fault("slow_download")
    fake.chunk_delay = 0.2
    dest = tmp_path / "out" / "reel.mp4"

    async def go(b: CloudBackend) -> None:
        status = await b.wait_render(await b.submit_render(decode_draft(DRAFT)))
        got = asyncio.Event()
        task = asyncio.ensure_future(b.download(status.url, dest,
                                                progress=lambda *_: got.set()))
        await got.wait()   # bytes are arriving (a partial file exists): now cancel
        assert any(dest.parent.iterdir())
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(using(make(fake, sim), go))
    assert list(dest.parent.iterdir()) == []


def test_cdn_failure_falls_back_to_api_download(fake: FakeNemo, sim: SimClock,
                                                tmp_path: Path) -> None:
    fake.set_fault("cdn_down")
    dest = _render_and_download(fake, sim, tmp_path / "out" / "reel.mp4")
    assert dest.read_bytes() == video_bytes(fake.download_size)
    assert [r.status for r in fake.cdn_requests] == [503]
    assert "authorization" not in fake.cdn_requests[0].headers
    api_dl = [r for r in fake.requests if r.path.endswith("/download")]
    assert len(api_dl) == 1 and api_dl[0].headers["authorization"].startswith("Bearer nmv_usr_")
    assert [p.name for p in dest.parent.iterdir()] == ["reel.mp4"]


def test_failed_download_without_fallback_removes_partial(fake: FakeNemo, sim: SimClock,
                                                          tmp_path: Path) -> None:
    dest = tmp_path / "out" / "reel.mp4"
    with pytest.raises(errors.RenderError) as info:
        run(using(make(fake, sim),
                  lambda b: b.download(f"{fake.cdn_url}/renders/render_404.mp4", dest)))
    assert info.value.key == "download_failed" and info.value.ctx["status"] == 404
    assert list(dest.parent.iterdir()) == []
    assert "igedit export --resume" in templates.render(info.value.key, "en", **info.value.ctx)


@pytest.mark.parametrize(("base", "url"), [
    ("http://127.0.0.1:9", "http://10.1.2.3/renders/x.mp4"),       # http to a real host
    ("https://127.0.0.1:9", "http://127.0.0.1:9/renders/x.mp4"),   # https API: no http at all
    ("http://127.0.0.1:9", "ftp://127.0.0.1/x.mp4"),
])
def test_insecure_download_links_are_refused(sim: SimClock, tmp_path: Path, base: str,
                                             url: str) -> None:
    backend = CloudBackend(httpx.AsyncClient(), Store(), load_manifest(), base_url=base,
                           sleep=sim.sleep, clock=sim.now)
    with pytest.raises(errors.RenderError) as info:
        run(using(backend, lambda b: b.download(url, tmp_path / "out" / "x.mp4")))
    assert info.value.key == "download_insecure"
    assert not (tmp_path / "out").exists()


def test_job_status_for_resume_uses_only_the_job_id(fake: FakeNemo, sim: SimClock,
                                                    tmp_path: Path) -> None:
    """A later process (``igedit export --resume``) can finish a job from its id alone."""
    job = run(using(make(fake, sim), lambda b: b.submit_render(decode_draft(DRAFT))))
    saved = json.loads(json.dumps(job.__dict__))

    async def resume(b: CloudBackend) -> Path:
        status = await b.wait_render(RenderJob(**saved))
        return await b.download(status.url, tmp_path / "reel.mp4")

    assert run(using(make(fake, sim), resume)).stat().st_size == fake.download_size
    assert fake.counts["render_submit"] == 1
