"""``igedit serve`` as the cloud: an ADK edit stream over plain httpx, then the real
``CloudBackend`` end to end against it (upload → edit → export → download)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from skill.cloud import CloudBackend
from skill.draft import decode_draft, summarize
from skill.events import Event, TextAssembler, decode_data
from skill.manifest import load_manifest
from skill.serve import create_app
from skill.store import Store
from tests.servers import serve_in_thread
from tests.test_local_helpers import make_clip, probe_mp4
from tests.test_serve_api import APP, authed, new_session, sse_events


@pytest.fixture(scope="module")
def clip_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture
def base(tmp_path: Path) -> Iterator[str]:
    # the server keeps its own home; the client's state stays in IGEDIT_HOME
    with serve_in_thread(create_app(tmp_path / "server-home")) as url:
        yield url


def test_run_sse_edit_stream_is_shaped_like_adk(base: str, tmp_path: Path,
                                                clip_cache: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", cache_dir=clip_cache)
    with authed(base) as c:
        sid = new_session(c)
        with clip.open("rb") as fh:
            c.post(f"/api/upload-video/{APP}/me/{sid}", files={"files": ("clip.mp4", fh)})
        body: dict[str, Any] = {
            "app_name": APP, "user_id": "me", "session_id": sid,
            "new_message": {"parts": [{"text": "make it square and add the title 'Hi'"}]}}
        whole = sse_events(c.post("/run_sse", json=body).text)
        body["new_message"] = {"parts": [{"text": "add lo-fi music at 35%"}]}
        body["streaming"] = True
        streamed = sse_events(c.post("/run_sse", json=body).text)
        state = c.get(f"/api/state/{APP}/me/{sid}/latest").json()["data"]["state"]

    calls, results, text = whole
    assert len({e["invocationId"] for e in whole}) == 1
    assert [p["functionCall"]["name"] for p in calls["content"]["parts"]] == \
        ["set_aspect", "add_title"]
    assert calls["content"]["role"] == "model" and calls["actions"]["stateDelta"] == {}
    assert [p["functionResponse"]["id"] for p in results["content"]["parts"]] == \
        [p["functionCall"]["id"] for p in calls["content"]["parts"]]
    assert results["content"]["role"] == "user"
    assert results["actions"]["stateDelta"]["draft"]["m"]["ratio"] == "1:1"
    assert text["content"]["parts"][0]["text"].startswith("Done")
    assert "partial" not in text

    # streaming: the tool-call turn twice (partial, whole), then text chunks + aggregate
    assert [e.get("partial") for e in streamed[:2]] == [True, False]
    assert streamed[0]["id"] == streamed[1]["id"]
    chunks = [e for e in streamed[3:] if e.get("partial")]
    final = streamed[-1]
    assert final["partial"] is False and len(chunks) >= 2
    assert {e["id"] for e in chunks} == {final["id"]}
    assert "".join(e["content"]["parts"][0]["text"] for e in chunks) == \
        final["content"]["parts"][0]["text"]
    assert chunks[-1]["finishReason"] == "STOP"
    shown = TextAssembler()
    decoded = [ev for e in streamed for ev in decode_data(json.dumps(e))]
    assert "".join(shown.feed(ev) for ev in decoded) == final["content"]["parts"][0]["text"]
    assert sum(ev.kind == "tool_call" for ev in decoded) == 1  # the partial one is skipped

    assert summarize(decode_draft(state["draft"])).startswith(
        "Timeline (3 tracks): 1. Video: clip.mp4")


class Notes(list[tuple[str, dict[str, Any]]]):
    def __call__(self, key: str, ctx: dict[str, Any]) -> None:
        self.append((key, ctx))


async def _quick_sleep(seconds: float) -> None:
    await asyncio.sleep(min(seconds, 0.2))  # the real poll cadence, compressed


def test_cloud_backend_end_to_end_against_serve(base: str, tmp_path: Path,
                                                clip_cache: Path) -> None:
    clip = make_clip(tmp_path / "phone clip.mp4", cache_dir=clip_cache)
    dest = tmp_path / "out.mp4"
    notes = Notes()

    async def go() -> tuple[list[Event], Any, Any, Any]:
        cloud = CloudBackend(httpx.AsyncClient(timeout=30), Store(), load_manifest(),
                             base_url=base, sleep=_quick_sleep, notice=notes)
        try:
            ready = await cloud.ready("en")
            items = await cloud.upload([clip])
            assert [m.name for m in items] == ["phone clip.mp4"]
            events = [e async for e in cloud.send("make it square and add the title 'Hi'")]
            st = await cloud.state()
            credits = await cloud.credits()
            job = await cloud.submit_render(st.draft)
            done = await cloud.wait_render(job)
            assert done.status == "completed", done.detail
            await cloud.download(done.url, dest)
            return events, st, credits, ready
        finally:
            await cloud.aclose()

    events, st, credits, ready = asyncio.run(go())
    assert ready.backend == "cloud" and ready.session_id
    shown = TextAssembler()
    text = "".join(shown.feed(e) for e in events)
    assert "1:1" in text and "Hi" in text
    assert summarize(st.draft) == \
        'Timeline (2 tracks): 1. Video: phone clip.mp4 (0-1s) 2. Title: "Hi" (0-1s)'
    assert [m.name for m in st.media] == ["phone clip.mp4"]
    assert (credits.available, credits.total, credits.local) == (0, 0, True)
    facts = probe_mp4(dest)
    assert (facts["width"], facts["height"]) == (1080, 1080)
    assert facts["audio"] is True and facts["vcodec"] == "h264"
    assert facts["duration"] == pytest.approx(1.0, abs=0.1)
