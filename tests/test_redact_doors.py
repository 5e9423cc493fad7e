"""Redaction at every door: token-shaped strings are masked, ordinary words after
"Bearer" are not, and the MCP timeline tool and resource are masked like the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from skill.redact import mask_secrets, redact
from tests.fake_backend import ScriptedBackend
from tests.test_mcp import _session, _text, _with_client

TOKEN = "nmv_usr_abcdef1234567890"


@pytest.mark.parametrize("text", [
    "Bearer Grylls tour", "bearer of good news", "Bearer Bonds and Bearer Shares",
    "Authorization required: ask the bearer", "Title: Bearer Grylls tour 2026",
    "Bearer 熊 Grylls", "a token of thanks", "token: love",
])
def test_ordinary_words_after_bearer_survive(text: str) -> None:
    assert redact(text) == text
    assert mask_secrets(text) == text


@pytest.mark.parametrize("text,secret", [
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "eyJhbGciOiJIUzI1NiJ9"),
    ("bearer abc.def.ghi-jkl", "abc.def.ghi-jkl"),
    ("Bearer 0123456789abcdef", "0123456789abcdef"),
    ("Bearer QWxhZGRpbjpvcGVuIHNlc2FtZQ", "QWxhZGRpbjpvcGVuIHNlc2FtZQ"),
    ("BEARER tok_live_51H8xYz", "tok_live_51H8xYz"),
    ('{"access_token": "ya29.a0AfH6SMB"} ok', "ya29.a0AfH6SMB"),
])
def test_token_shaped_strings_are_masked(text: str, secret: str) -> None:
    assert secret not in redact(text)
    assert secret not in mask_secrets(text)


def _draft() -> dict[str, Any]:
    return {"t": [
        {"tt": 0, "m": {"name": "clip.mp4"}, "sg": [{"s": 0, "d": 10000, "m": {}}]},
        {"tt": 7, "m": {"name": "Title"},
         "sg": [{"s": 0, "d": 3000, "m": {"text": "Bearer Grylls tour"}}]},
        {"tt": 7, "m": {"name": "Title"},
         "sg": [{"s": 3000, "d": 3000, "m": {"text": f"key {TOKEN}"}}]},
    ], "m": {"ratio": "9:16", "w": 1080, "h": 1920}}


def test_the_mcp_timeline_tool_and_resource_are_redacted(tmp_path: Path) -> None:
    result: dict[str, Any] = {}

    async def body(client: Any) -> None:
        result["tool"] = await client.call_tool("timeline", {})
        result["res"] = await client.read_resource("igedit://timeline")

    _with_client(_session(ScriptedBackend, tmp_path, draft=_draft()), body)
    text = _text(result["tool"])
    structured = result["tool"].structured_content
    resource = result["res"].contents[0].text
    for door in (text, json.dumps(structured, ensure_ascii=False), resource):
        assert TOKEN not in door
        assert "Bearer Grylls tour" in door
    assert structured["summary"] == ('Timeline (3 tracks): 1. Video: clip.mp4 (0-10s) '
                                     '2. Title: "Bearer Grylls tour" (0-3s) '
                                     '3. Title: "key [redacted]" (3-6s)')
    assert json.loads(resource)["summary"] == structured["summary"]
