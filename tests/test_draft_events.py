from __future__ import annotations

import json
from pathlib import Path

import pytest

from skill.draft import Draft, decode_draft, diff, summarize
from skill.events import Event, TextAssembler, decode_data, decode_event, encode_adk_event

STREAMS = Path(__file__).resolve().parent.parent.parent / "shared" / "reference" / "adk-streams"
SEED = {"t": [
    {"tt": 0, "m": {"name": "city timelapse"}, "sg": [{"s": 0, "d": 10000, "m": {}}]},
    {"tt": 1, "m": {"name": "Lo-fi", "role": "bgm"},
     "sg": [{"s": 0, "d": 10000, "m": {"name": "Lo-fi", "volume": 0.35}}]},
    {"tt": 7, "m": {"name": "Title"}, "sg": [{"s": 0, "d": 3000, "m": {"text": "Urban Dreams"}}]},
]}


def test_seed_summary_exact() -> None:
    assert summarize(decode_draft(SEED)) == (
        'Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) '
        '3. Title: "Urban Dreams" (0-3s)')


def test_decoder_is_defensive() -> None:
    assert decode_draft(None) == Draft()
    assert decode_draft("not json") == Draft()
    d = decode_draft(json.dumps({"t": [{"tt": "1", "sg": [{"s": "x", "d": 2500.7}, 5]}, "junk"]}))
    assert len(d.tracks) == 1 and d.tracks[0].type == 1
    assert d.tracks[0].segments[0].start_ms == 0 and d.tracks[0].segments[0].dur_ms == 2500
    assert not Draft().ready and decode_draft(SEED).ready
    assert summarize(Draft()) == "Timeline (0 tracks): empty"


def test_summary_fractional_and_captions() -> None:
    d = decode_draft({"t": [
        {"tt": 0, "sg": [{"s": 0, "d": 4500, "m": {"src": "/a/b/clip.mov"}},
                         {"s": 4500, "d": 1000, "m": {"src": "/a/c.mp4"}}]},
        {"tt": 7, "m": {"role": "caption"}, "sg": [{"s": 0, "d": 1000, "m": {"text": "a"}},
                                                    {"s": 1000, "d": 1000, "m": {"text": "b"}}]}]})
    assert summarize(d) == ("Timeline (2 tracks): 1. Video: clip.mov (0-5.5s, 2 clips) "
                            "2. Captions: 2 lines (0-2s)")


def test_diff() -> None:
    before = decode_draft(SEED)
    after = decode_draft({"t": SEED["t"][:2], "m": {"ratio": "1:1", "look": "warm"}})
    assert diff(before, after) == ["canvas is now 1:1", 'removed Title: "Urban Dreams" (0-3s)',
                                   "look set to 'warm'"]
    assert diff(before, before) == []


def _stream(name: str) -> list[Event]:
    events: list[Event] = []
    for line in (STREAMS / name).read_text(encoding="utf-8").splitlines():
        if line.startswith("data:"):
            events.extend(decode_data(line[5:]))
    return events


@pytest.mark.parametrize(("name", "text", "tools"), [
    ("edit-whole-events.sse",
     'Done! I cropped the video to square (1:1), added Lo-fi background music at 35% volume, '
     'and added the title "Urban Dreams" (0-3s). Click the Export button to download your video.',
     ["set_aspect", "add_bgm", "add_title"]),
    ("edit-streaming-partials.sse",
     "Done! I cropped the video to vertical 9:16. Click the Export button to download your video.",
     ["set_aspect"]),
    ("edit-zh.sse", "完成！已添加标题“城市之梦”（0-3s）。点击导出按钮下载视频。", ["add_title"]),
])
def test_recorded_streams(name: str, text: str, tools: list[str]) -> None:
    events = _stream(name)
    asm = TextAssembler()
    shown = "".join(asm.feed(e) for e in events)
    assert shown == text
    assert [e.name for e in events if e.kind == "tool_call"] == tools
    states = [e for e in events if e.kind == "state"]
    assert len(states) == 1 and "draft" in states[0].state_delta


def test_errors_heartbeats_and_snake_case() -> None:
    assert decode_data("") == [Event("heartbeat")]
    assert decode_data("not json at all") == [Event("heartbeat")]
    assert decode_data('{"error": "Cls: boom", "error_details": {}}') == [Event("error", text="Cls: boom")]
    assert decode_data('{"error": "unescaped "quote" inside"}')[0].kind == "error"
    ev = decode_event({"errorCode": "SAFETY", "errorMessage": "blocked", "id": "x"})
    assert ev[0] == Event("error", text="blocked", code="SAFETY", event_id="x")
    snake = decode_event({"content": {"parts": [{"function_call": {"name": "f", "args": {"a": 1}}},
                                                {"text": "hi", "thought": True}]},
                          "actions": {"state_delta": {"draft": {"t": []}}}})
    assert [e.kind for e in snake] == ["tool_call", "state"]


def test_encode_roundtrip() -> None:
    obj = encode_adk_event(invocation_id="e-1", event_id="i", text="hello", partial=False,
                           state_delta={"draft": {"t": []}})
    assert [e.kind for e in decode_event(obj)] == ["text", "state"]
    assert json.loads(json.dumps(obj))["actions"]["stateDelta"] == {"draft": {"t": []}}


def test_assembler_partial_prefix_and_whole() -> None:
    asm = TextAssembler()
    assert asm.feed(Event("text", text="Hel", partial=True)) == "Hel"
    assert asm.feed(Event("text", text="Hello there")) == "lo there"
    assert asm.feed(Event("text", text="Second")) == "Second"
    assert asm.text == "Hello thereSecond"


def test_typed_draft_writes_the_wire_form_it_read() -> None:
    """The two edges: a draft the local engine made, decoded and encoded again, is the
    same wire dict; the canvas is read from the typed draft."""
    from skill.draft import decode_draft, encode_draft
    from skill.engine.ops import (
        AddMusic,
        AddTitle,
        MediaItem,
        PlanContext,
        SetAspect,
        initial_draft,
    )

    clip = MediaItem("m1", "/v/a.mp4", "a.mp4", "video", 10_000, 1080, 1920, True)
    ctx = PlanContext((clip,))
    draft = initial_draft(ctx)
    for op in (SetAspect("1:1"), AddMusic(mood="lofi", volume_pct=35), AddTitle("Hi")):
        draft = op.apply(draft, ctx)
    raw = encode_draft(draft)
    assert decode_draft(raw) == draft and encode_draft(decode_draft(raw)) == raw
    assert raw["m"]["ratio"] == "1:1" and raw["t"][1]["sg"][0]["m"]["mood"] == "lofi"
    assert draft.canvas.config() == {"ratio": "1:1", "width": 1080, "height": 1080}
    assert decode_draft({}).canvas.config() == {}
