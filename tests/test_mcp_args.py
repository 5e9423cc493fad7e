"""MCP arguments checked before the SDK (issue 12 item 10): a sentence naming the parameter."""

from __future__ import annotations

import pytest

from skill.front.mcp_args import check_arguments
from skill.front.mcp_server import McpSession
from skill.templates import render

EXPORT = {"type": "object", "required": ["path"], "properties": {
    "path": {"type": "string"}, "force": {"type": "boolean", "default": False},
    "lang": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}}}
UPLOAD = {"type": "object", "required": ["sources"], "properties": {
    "sources": {"type": "array", "items": {"type": "string"}}}}


@pytest.mark.parametrize(("schema", "args", "key", "ctx"), [
    (EXPORT, {"path": "a.mp4"}, None, None),
    (EXPORT, {"path": "a.mp4", "lang": None}, None, None),
    (EXPORT, {"file": "a.mp4"}, "mcp_arg_unknown", {"name": "file",
                                                    "params": ["path", "force", "lang"]}),
    (EXPORT, {}, "mcp_arg_missing", {"name": "path", "params": ["path", "force", "lang"]}),
    (EXPORT, {"path": "a.mp4", "force": "yes"}, "mcp_arg_type",
     {"name": "force", "expected": "boolean", "got": "str"}),
    (UPLOAD, {"sources": "a.mp4"}, "mcp_arg_type",
     {"name": "sources", "expected": "array", "got": "str"}),
    (UPLOAD, {"sources": ["a.mp4", 3]}, "mcp_arg_type",
     {"name": "sources", "expected": "array of strings", "got": "array with other items"}),
])
def test_check_arguments(schema: dict[str, object], args: dict[str, object], key: str | None,
                         ctx: dict[str, object] | None) -> None:
    problem = check_arguments(schema, args)
    assert problem == (None if key is None else (key, ctx))


def test_the_messages_read_as_sentences_in_both_languages() -> None:
    ctx = {"name": "file", "params": ["path", "force", "lang"]}
    assert render("mcp_arg_unknown", "en", **ctx) == (
        "Unknown parameter `file`. This tool takes: path, force, lang.")
    assert render("mcp_arg_unknown", "zh", **ctx) == "未知参数 `file`。这个工具的参数有：path、force、lang。"


@pytest.mark.parametrize(("fixed", "text", "lang", "want"), [
    (False, "", None, "en"),
    (False, "裁剪成方形", None, "zh"),
    (False, "make it square", None, "en"),
    (False, "裁剪成方形", "en", "en"),
    (True, "裁剪成方形", "en", "zh"),
])
def test_the_reply_language_is_decided_per_call(fixed: bool, text: str, lang: str | None,
                                                want: str) -> None:
    session = McpSession(lambda: None, lang="zh" if fixed else "en",  # type: ignore[arg-type,return-value]
                         lang_fixed=fixed)
    assert session.call_lang(text, lang) == want
