"""Property-based fuzzing (hypothesis) of the pure parsers: never a crash, always a sane value."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill.draft import decode_draft, diff, summarize
from skill.errors import ConfigError
from skill.events import TextAssembler, decode_data, decode_event
from skill.manifest import parse_manifest
from skill.redact import redact
from skill.store import Store

FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["t", "tt", "sg", "s", "d", "m", "text", "name", "volume",
                                       "role", "content", "parts", "partial", "actions",
                                       "stateDelta", "functionCall", "errorCode", "error", "id"])
                      | st.text(max_size=6), children, max_size=5),
    max_leaves=25,
)


@FAST
@given(st.text(max_size=300))
def test_decode_data_never_raises_on_text(payload: str) -> None:
    for ev in decode_data(payload):
        assert ev.kind in {"text", "tool_call", "tool_result", "state", "heartbeat", "error"}


@FAST
@given(json_values)
def test_decode_event_on_arbitrary_json(value: Any) -> None:
    events = decode_data(json.dumps(value))
    asm = TextAssembler()
    for ev in events:
        assert isinstance(asm.feed(ev), str)
    if isinstance(value, dict):
        decode_event(value)


@FAST
@given(json_values, json_values)
def test_draft_decode_summary_diff(a: Any, b: Any) -> None:
    da, db = decode_draft(a), decode_draft(b)
    text = summarize(da)
    assert text.startswith("Timeline (")
    assert isinstance(diff(da, db), list)
    assert diff(da, da) == []


@FAST
@given(st.text(max_size=400))
def test_frontmatter_parser_only_raises_config_error(text: str) -> None:
    try:
        m = parse_manifest(text, Path("/x/SKILL.md"))
    except ConfigError as exc:
        assert str(exc).startswith("/x/SKILL.md:")
    else:
        assert m.name and m.version


@FAST
@given(st.binary(max_size=300))
def test_store_loader_survives_any_bytes(tmp_path_factory: Any, data: bytes) -> None:
    home = tmp_path_factory.mktemp("store")
    (home / "session.json").write_bytes(data)
    s = Store(home)
    value = s.read("session")
    assert isinstance(value, dict)
    s.write("session", {"ok": 1})
    assert s.read("session") == {"ok": 1}


@FAST
@given(st.text(max_size=200), st.text(alphabet="abcdefghijklmnop0123456789", min_size=8, max_size=20))
def test_redaction_always_masks_tokens(prefix: str, secret: str) -> None:
    out = redact(f"{prefix} nmv_usr_{secret} {prefix}")
    assert f"nmv_usr_{secret}" not in out
