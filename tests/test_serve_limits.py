"""``igedit serve`` attacked with paths in drafts, huge images, long drafts, concurrent
renders — and renders cancelled (ffmpeg killed) through the API."""

from __future__ import annotations

import os
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from skill.engine.imagesize import image_size
from skill.serve import create_app
from tests.media import run, still_image
from tests.servers import serve_in_thread
from tests.test_local_helpers import make_clip
from tests.test_serve_api import APP, authed, new_session

REFUSED = ("The draft refers to media that is not one of this session's uploads. Refer to "
           "uploaded media by the media id the upload returned; file paths are never accepted.")


@pytest.fixture(scope="module")
def clip_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture
def base(home: Path) -> Iterator[str]:
    app = create_app(home, max_queued_renders=2, max_session_renders=1, max_parallel_renders=1)
    with serve_in_thread(app) as url:
        yield url


def upload(c: httpx.Client, sid: str, path: Path, name: str | None = None) -> dict[str, Any]:
    with path.open("rb") as fh:
        body = c.post(f"/api/upload-video/{APP}/me/{sid}",
                      files={"files": (name or path.name, fh)}).json()
    assert body["code"] == 0, body
    return dict(body["data"]["files"][0])


def draft_of(c: httpx.Client, sid: str) -> dict[str, Any]:
    return dict(c.get(f"/api/state/{APP}/me/{sid}/latest").json()["data"]["state"]["draft"])


def submit(c: httpx.Client, sid: str, draft: dict[str, Any], job: str) -> httpx.Response:
    return c.post("/api/render/proxy/lambda", json={"id": job, "sessionId": sid, "draft": draft,
                                                    "output": {"quality": "high"}})


def with_segment(draft: dict[str, Any], **meta: Any) -> dict[str, Any]:
    seg = draft["t"][0]["sg"][0]
    seg["m"] = {**seg["m"], **meta}
    return draft


# ------------------------------------------------------------------ paths in drafts

def test_a_draft_names_only_what_the_session_uploaded(base: str, tmp_path: Path,
                                                      clip_cache: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "victim_secret.png"
    still_image(secret)
    monkeypatch.chdir(tmp_path)  # serve's working folder holds the victim's file
    clip = make_clip(tmp_path / "mine.mp4", cache_dir=clip_cache)
    theirs = make_clip(tmp_path / "theirs.mp4", seconds=2.0, cache_dir=clip_cache)
    with authed(base, "alice") as alice, authed(base, "bob") as bob:
        sid = new_session(alice)
        upload(alice, sid, clip)
        bob_sid = new_session(bob)
        bob_media = upload(bob, bob_sid, theirs)["media_id"]
        draft = draft_of(alice, sid)
        attacks = {
            "relative": {"media": None, "src": "victim_secret.png"},
            "relative-dotted": {"media": None, "src": "./victim_secret.png"},
            "absolute-existing": {"media": None, "src": str(secret)},
            "absolute-missing": {"media": None, "src": str(tmp_path / "no_such_file.png")},
            "file-url": {"media": None, "src": secret.as_uri()},
            "other-sessions-media": {"media": bob_media, "src": str(theirs)},
            "unknown-id": {"media": "0" * 64, "src": "victim_secret.png"},
            "not-a-string": {"media": None, "src": ["victim_secret.png"]},
        }
        answers = {}
        for i, (label, meta) in enumerate(attacks.items()):
            r = submit(alice, sid, with_segment(draft_of(alice, sid), **meta), f"render_x{i}")
            answers[label] = (r.status_code, r.json())
            assert alice.get(f"/api/render/proxy/lambda/render_x{i}").status_code == 404
        # a real upload's id with a path beside it: the path is replaced by ours
        ok = submit(alice, sid, with_segment(draft, src=str(secret)), "render_ok")
        alice.post("/api/render/proxy/lambda/render_ok/cancel")  # not needed: stop it
    for label, (status, body) in answers.items():
        assert (status, body) == (200, {"code": 4001, "message": REFUSED, "data": None}), label
    assert ok.json()["code"] == 0


# ------------------------------------------------------------------ huge images

def _png(path: Path, width: int, height: int) -> Path:
    """A real grey PNG of any size: rows compressed as they are made (never held whole)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))

    comp = zlib.compressobj(1)
    row = b"\0" + b"\x80" * width
    idat = bytearray()
    for _ in range(height):
        idat += comp.compress(row)
    idat += comp.flush()
    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", bytes(idat))
                     + chunk(b"IEND", b""))
    return path


def test_a_huge_image_is_refused_from_its_header(base: str, tmp_path: Path, home: Path) -> None:
    huge = _png(tmp_path / "huge.png", 12000, 12000)
    with authed(base) as c:
        sid = new_session(c)
        with huge.open("rb") as fh:
            body = c.post(f"/api/upload-video/{APP}/me/{sid}",
                          files={"files": ("huge.png", fh)}).json()
        state = c.get(f"/api/state/{APP}/me/{sid}/latest").json()["data"]["state"]
    assert body["code"] == 4001
    assert body["message"] == ("huge.png is 12000×12000 (144.0 megapixels); images up to 50 "
                               "megapixels are accepted. Resize it (e.g. to 4000 pixels on the "
                               "long side) and upload it again.")
    assert state["video_infos"] == []
    assert [p for p in (home / "media").iterdir()] == []


@pytest.mark.parametrize("ext", ["png", "jpg", "gif", "webp", "bmp"])
def test_image_size_reads_the_header_of_every_accepted_format(tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"still.{ext}"
    run("-f", "lavfi", "-i", "testsrc2=s=320x180:r=1:d=1", "-vf", "scale=321:123",
        "-frames:v", "1", str(path))
    assert image_size(path.read_bytes()[:256 * 1024]) == (321, 123)


def test_image_size_of_odd_headers() -> None:
    assert image_size(b"not an image") is None
    assert image_size(b"\x89PNG\r\n\x1a\n") is None
    assert image_size(b"\xff\xd8\xff\xe0\x00\x10JFIF") is None  # truncated before SOF


# ------------------------------------------------------------------ long drafts

def test_a_10_hour_draft_is_refused_every_time(base: str, tmp_path: Path) -> None:
    still = still_image(tmp_path / "still.png")
    with authed(base) as c:
        sid = new_session(c)
        upload(c, sid, still)
        draft = draft_of(c, sid)
        draft["t"][0]["sg"][0]["d"] = 10 * 3600 * 1000
        answers = [submit(c, sid, draft, f"render_long{i}") for i in range(3)]
        statuses = [c.get(f"/api/render/proxy/lambda/render_long{i}").status_code
                    for i in range(3)]
    for r in answers:
        assert r.status_code == 400
        assert r.json()["message"] == ("The timeline is 600.0 minutes long; renders are limited "
                                       "to 60 minutes (Instagram's longest video is 15). Trim "
                                       "it, then export again.")
    assert statuses == [404, 404, 404]


# ------------------------------------------------------------------ concurrency and cancel

def ffmpeg_children(job: str) -> list[int]:
    """Processes whose command line writes job ``job``'s partial file."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if b"ffmpeg" in cmd and job.encode() in cmd:
            found.append(int(entry))
    return found


def wait_for(check: Any, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.05)


def long_session(c: httpx.Client, still: Path, seconds: int = 900) -> tuple[str, dict[str, Any]]:
    sid = new_session(c)
    upload(c, sid, still)
    draft = draft_of(c, sid)
    draft["t"][0]["sg"][0]["d"] = seconds * 1000  # 15 min of a still: a render that runs a while
    return sid, draft


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to find ffmpeg")
def test_one_render_per_session_a_small_queue_and_cancel(base: str, tmp_path: Path,
                                                         home: Path) -> None:
    still = still_image(tmp_path / "still.png", size="1080x1920")
    with authed(base, "a") as a, authed(base, "b") as b, authed(base, "c") as cc:
        sid_a, draft_a = long_session(a, still)
        sid_b, draft_b = long_session(b, still)
        sid_c, draft_c = long_session(cc, still)
        assert submit(a, sid_a, draft_a, "render_a1").json()["code"] == 0
        again = submit(a, sid_a, draft_a, "render_a2")
        assert again.status_code == 429
        assert again.json()["message"].startswith(
            "This session already has a render running (render_a1). Wait for it to finish, or "
            "cancel it (POST /api/render/proxy/lambda/render_a1/cancel")
        assert submit(b, sid_b, draft_b, "render_b1").json()["code"] == 0  # queued
        full = submit(cc, sid_c, draft_c, "render_c1")
        assert full.status_code == 503
        assert full.json()["message"] == ("The server already has 2 renders waiting or running. "
                                          "Try again in a few minutes.")

        wait_for(lambda: ffmpeg_children("render_a1"))
        assert ffmpeg_children("render_b1") == []  # one render at a time: b waits its turn
        assert b.post("/api/render/proxy/lambda/render_a1/cancel").status_code == 404  # not b's
        r = a.post("/api/render/proxy/lambda/render_a1/cancel")
        assert r.json() == {"code": 0, "message": "ok",
                            "data": {"id": "render_a1", "taskId": "render_a1",
                                     "status": "cancelled"}}
        wait_for(lambda: not ffmpeg_children("render_a1"), timeout=60)
        status = a.get("/api/render/proxy/lambda/render_a1").json()
        assert (status["status"], status["error"]) == ("cancelled", "the render was cancelled")
        assert a.get("/api/render/proxy/render_a1/download").status_code == 409

        wait_for(lambda: ffmpeg_children("render_b1"))  # b got the slot
        assert submit(cc, sid_c, draft_c, "render_c1").json()["code"] == 0  # room again
        assert b.post("/api/render/proxy/lambda/render_b1/cancel").json()["data"]["status"] \
            == "cancelled"
        assert cc.post("/api/render/proxy/lambda/render_c1/cancel").json()["data"]["status"] \
            == "cancelled"
        wait_for(lambda: not ffmpeg_children("render_b1") and not ffmpeg_children("render_c1"),
                 timeout=60)
        assert submit(a, sid_a, draft_a, "render_a3").json()["code"] == 0  # a may render again
        assert a.post("/api/render/proxy/lambda/render_a3/cancel").json()["data"]["status"] \
            == "cancelled"
        # a finished job is left as it is
        again = a.post("/api/render/proxy/lambda/render_a1/cancel").json()
        assert again["data"]["status"] == "cancelled"
    wait_for(lambda: not ffmpeg_children("render_a3"), timeout=60)
    renders = home / "renders"
    assert not any(p.name.startswith("render_") for p in renders.glob("*.mp4"))


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to find ffmpeg")
def test_with_default_limits_a_sessions_renders_wait_their_turn(home: Path,
                                                               tmp_path: Path) -> None:
    still = still_image(tmp_path / "still.png", size="1080x1920")
    with serve_in_thread(create_app(home)) as url, authed(url) as c:
        sid, draft = long_session(c, still)
        for i in range(3):
            assert submit(c, sid, draft, f"render_s{i}").json()["code"] == 0
        fourth = submit(c, sid, draft, "render_s3")
        assert fourth.status_code == 429
        assert fourth.json()["message"].startswith(
            "This session already has 3 renders waiting or running (render_s0).")
        wait_for(lambda: ffmpeg_children("render_s0"))
        assert ffmpeg_children("render_s1") == [] and ffmpeg_children("render_s2") == []
        for i in range(3):
            assert c.post(f"/api/render/proxy/lambda/render_s{i}/cancel").json()["data"][
                "status"] == "cancelled"
    wait_for(lambda: not any(ffmpeg_children(f"render_s{i}") for i in range(3)), timeout=60)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to find ffmpeg")
def test_the_cloud_client_cancels_a_render_on_serve(tmp_path: Path, home: Path) -> None:
    import asyncio

    from skill.backend import RenderJob
    from skill.cloud import CloudBackend
    from skill.manifest import load_manifest
    from skill.store import Store

    still = still_image(tmp_path / "still.png", size="1080x1920")

    async def go(base: str) -> tuple[bool, bool, str]:
        cloud = CloudBackend(httpx.AsyncClient(timeout=30), Store(), load_manifest(),
                             base_url=base)
        try:
            await cloud.ready("en")
            await cloud.upload([still])
            st = await cloud.state()
            draft = st.draft
            draft.tracks[0].segments[0].dur_ms = 900_000
            job = await cloud.submit_render(draft)
            await asyncio.to_thread(wait_for, lambda: ffmpeg_children(job.id))
            stopped = await cloud.cancel_render(job)
            unknown = await cloud.cancel_render(RenderJob("render_404", "", "cloud"))
            status = await cloud.render_status(job)
            await asyncio.to_thread(wait_for, lambda: not ffmpeg_children(job.id), 60)
            return stopped, unknown, status.status
        finally:
            await cloud.aclose()

    with serve_in_thread(create_app(tmp_path / "server-home")) as base:
        stopped, unknown, status = asyncio.run(go(base))
    assert stopped is True, "the running render was not reported cancelled"
    assert unknown is False, "an unknown job was reported cancelled"
    assert status == "cancelled"
