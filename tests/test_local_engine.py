"""LocalEngine end to end: upload → edit (ADK-shaped events) → state → export → MP4."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from skill.draft import TEXT, decode_draft, summarize
from skill.engine.local import LocalEngine
from skill.events import Event, TextAssembler
from tests.test_local_helpers import make_clip, probe_mp4


@pytest.fixture(scope="module")
def clip_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


async def collect(eng: LocalEngine, text: str) -> list[Event]:
    return [e async for e in eng.send(text)]


def reply(events: list[Event]) -> str:
    asm = TextAssembler()
    return "".join(asm.feed(e) for e in events)


def test_edit_then_export_a_square_video_with_a_title(
        home: Path, tmp_path: Path, clip_cache: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", cache_dir=clip_cache)
    dest = tmp_path / "square.mp4"

    async def go() -> tuple[list[Event], str, Path]:
        eng = LocalEngine(home)
        await eng.upload([clip])
        events = await collect(eng, "make it square and add the title 'Hi'")
        st = await eng.state()
        job = await eng.submit_render(st.draft)
        done = await eng.wait_render(job)
        assert done.status == "completed", done.detail
        saved = await eng.download(done.url, dest)
        await eng.aclose()
        return events, summarize(st.draft), saved

    events, summary, saved = asyncio.run(go())
    kinds = [e.kind for e in events]
    assert kinds == ["tool_call", "tool_call", "tool_result", "tool_result", "state", "text"]
    assert [e.name for e in events if e.kind == "tool_call"] == ["set_aspect", "add_title"]
    assert events[0].args["ratio"] == "1:1"
    assert [e.event_id for e in events[:2]] == [e.event_id for e in events[2:4]]
    assert all(e.author == "nemo_agent" for e in events)
    state = events[4].state_delta
    assert state["draft"]["m"]["ratio"] == "1:1"
    assert state["canvas_config"] == {"ratio": "1:1", "width": 1080, "height": 1080}
    text = reply(events)
    assert "1:1" in text and "Hi" in text
    assert summary == 'Timeline (2 tracks): 1. Video: clip.mp4 (0-1s) 2. Title: "Hi" (0-1s)'
    facts = probe_mp4(saved)
    assert (facts["width"], facts["height"]) == (1080, 1080)
    assert facts["audio"] is True


def test_empty_timeline_asks_for_an_upload(home: Path) -> None:
    async def go() -> list[Event]:
        return await collect(LocalEngine(home), "make it square")

    events = asyncio.run(go())
    assert [e.kind for e in events] == ["text", "state"]
    assert events[0].text.startswith("The timeline is empty. Upload a clip first")
    # hosts read that nothing of it was done, and why
    [missing] = events[1].state_delta["igedit_outcome"]["not_done"]
    assert (missing["text"], missing["reason"]) == ("make it square", "no_media")


def test_what_is_not_understood_is_said_plainly_and_nothing_changes(
        home: Path, tmp_path: Path, clip_cache: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", cache_dir=clip_cache)

    async def go() -> tuple[list[Event], dict[str, object], dict[str, object]]:
        eng = LocalEngine(home)
        await eng.upload([clip])
        before = (await eng.state()).draft_raw
        events = await collect(eng, "replace the sky with a galaxy")
        after = (await eng.state()).draft_raw
        return events, before, after

    events, before, after = asyncio.run(go())
    assert [e.kind for e in events] == ["state", "text"]
    outcome = events[0].state_delta["igedit_outcome"]
    assert outcome["done"] == [] and [n["text"] for n in outcome["not_done"]] == [
        "replace the sky with a galaxy"]
    assert "draft" not in events[0].state_delta                   # nothing changed
    assert "Not done: “replace the sky with a galaxy”" in events[1].text
    assert "cloud" not in events[1].text          # no cloud was found reachable: never named
    assert before == after


def test_chinese_instruction_gets_a_chinese_reply(
        home: Path, tmp_path: Path, clip_cache: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", cache_dir=clip_cache)

    async def go() -> tuple[list[Event], str]:
        eng = LocalEngine(home)
        await eng.upload([clip])
        events = await collect(eng, "裁剪成方形")
        return events, str((await eng.state()).draft_raw["m"]["ratio"])

    events, ratio = asyncio.run(go())
    assert ratio == "1:1"
    text = reply(events)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_two_engines_editing_one_session_keep_both_edits(
        home: Path, tmp_path: Path, clip_cache: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", cache_dir=clip_cache)

    async def go() -> str:
        a, b = LocalEngine(home), LocalEngine(home)
        await a.upload([clip])
        await b.ready()
        await asyncio.gather(collect(a, "add the title 'One'"), collect(b, "make it square"))
        st = await LocalEngine(home).state()
        return summarize(st.draft) + " " + str(st.draft_raw["m"]["ratio"])

    result = asyncio.run(go())
    assert '"One"' in result and result.endswith("1:1")


def test_state_is_shared_with_a_second_engine(home: Path, tmp_path: Path,
                                              clip_cache: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", cache_dir=clip_cache)

    async def go() -> tuple[dict[str, object], dict[str, object]]:
        a = LocalEngine(home)
        await a.upload([clip])
        await collect(a, "add the title 'Shared'")
        b = LocalEngine(home)
        return (await a.state()).draft_raw, (await b.state()).draft_raw

    mine, theirs = asyncio.run(go())
    assert mine == theirs
    texts = [s.text for t in decode_draft(theirs).tracks if t.type == TEXT
             for s in t.segments]
    assert texts == ["Shared"]


def test_undo_steps_back_one_change_at_a_time(home: Path, tmp_path: Path,
                                              clip_cache: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", cache_dir=clip_cache)

    async def go() -> list[tuple[list[Event], dict[str, object]]]:
        eng = LocalEngine(home)
        await eng.upload([clip])
        out = []
        for text in ("make it square", "add lo-fi music", "undo", "撤销", "undo", "undo"):
            events = await collect(eng, text)
            out.append((events, (await eng.state()).draft_raw))
        await eng.upload([clip])               # the clip the last undo took away comes back
        out.append(([], (await eng.state()).draft_raw))
        await eng.aclose()
        return out

    steps = asyncio.run(go())
    music_undone, square_undone, upload_undone, nothing, reuploaded = steps[2:]
    events, draft = music_undone
    assert [e.kind for e in events] == ["tool_call", "tool_result", "state", "text"]
    assert events[0].name == "undo" and events[2].state_delta["draft"] == draft
    assert draft["m"]["ratio"] == "1:1" and summarize(decode_draft(draft)).startswith(
        "Timeline (1 track): 1. Video: clip.mp4")
    assert reply(events).startswith("Undid the last change. Canvas 1:1.")
    events, draft = square_undone
    assert draft["m"]["ratio"] == "16:9" and reply(events).startswith("已撤销上一步修改。画幅 16:9。")
    assert not decode_draft(upload_undone[1]).ready               # before the upload
    assert [e.kind for e in nothing[0]] == ["text"]
    assert reply(nothing[0]) == "There is nothing to undo in this session yet."
    assert decode_draft(reuploaded[1]).ready
