"""The MCP `transcript` tool: the words of the session's timeline, as text or SRT."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fake_backend import ScriptedBackend
from tests.speech_support import analysis, clip, seed
from tests.test_mcp import _session, _text, _with_client


def _draft() -> dict[str, Any]:
    ms = analysis("talk_en").duration_ms
    return {"t": [{"tt": 0, "m": {}, "sg": [
        {"s": 0, "d": ms, "m": {"src": str(clip("talk_en")), "kind": "video", "in": 0}}]}],
        "m": {"ratio": "9:16"}}


def test_transcript_tool_returns_the_words(tmp_path: Path, home: Path) -> None:
    seed(home, "talk_en")
    result: dict[str, Any] = {}

    async def body(client: Any) -> None:
        result["text"] = await client.call_tool("transcript", {})
        result["srt"] = await client.call_tool("transcript", {"format": "srt"})

    _with_client(_session(ScriptedBackend, tmp_path, draft=_draft()), body)
    assert not result["text"].is_error
    assert _text(result["text"]).startswith("Hello everyone, welcome back to my kitchen.")
    srt = _text(result["srt"])
    assert srt.startswith("1\n00:00:01,") and " --> " in srt


def test_transcript_tool_says_the_users_corrections(tmp_path: Path, home: Path) -> None:
    seed(home, "talk_en")
    result: dict[str, Any] = {}

    async def body(client: Any) -> None:
        result["text"] = await client.call_tool("transcript", {})

    draft = _draft()
    draft["m"]["speech_fixes"] = [["kitchen", "studio"]]   # "fix the caption: kitchen → studio"
    _with_client(_session(ScriptedBackend, tmp_path, draft=draft), body)
    text = _text(result["text"])
    assert text.startswith("Hello everyone, welcome back to my studio.")
    assert "kitchen" not in text


def test_transcript_tool_without_clips_is_a_clear_error(tmp_path: Path) -> None:
    result: dict[str, Any] = {}

    async def body(client: Any) -> None:
        result["r"] = await client.call_tool("transcript", {})

    empty = {"t": [{"tt": 7, "m": {"role": "title"}, "sg": [{"s": 0, "d": 1000, "m": {"text": "x"}}]}]}
    _with_client(_session(ScriptedBackend, tmp_path, draft=empty), body)
    assert result["r"].is_error
    assert "upload one first" in _text(result["r"])
