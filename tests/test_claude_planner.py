"""ClaudePlanner with the real anthropic SDK over a fake HTTP transport (never the network).

The fake is a ``MockTransport`` that records every request and answers with Messages API
JSON as the real API writes it (tool_use blocks, error envelopes). anthropic 2.x is built on
``httpx2`` (same API as httpx, but it refuses httpx objects), so the transport and client
come from whichever of the two the installed SDK uses.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

import anthropic._base_client
import pytest

import skill.engine.plan.claude as claude_module
from skill.engine.ops import (
    OPS,
    AddMusic,
    AddTitle,
    MediaItem,
    PlanContext,
    SetAspect,
    initial_draft,
)
from skill.engine.plan.claude import DEFAULT_MODEL, ClaudePlanner
from skill.engine.plan.planner import HybridPlanner, RulePlanner, describe_plan
from skill.errors import ApiError, NetworkError, SkillError
from skill.templates import render

# the HTTP library the installed SDK is built on (httpx2 for anthropic 2.x, httpx before)
httpx: Any = importlib.import_module(
    "httpx2" if hasattr(anthropic._base_client, "httpx2") else "httpx")
KEY = "sk-ant-api03-TESTKEY-0123456789abcdef"
BASE_URL = "http://127.0.0.1:9"
CLIP = MediaItem("v1", "/v/city.mp4", "city.mp4", "video", 12_000, 1080, 1920, True)
CTX = PlanContext((CLIP,))
DRAFT = initial_draft(CTX)


def message(*content: dict[str, Any], model: str = DEFAULT_MODEL) -> dict[str, Any]:
    return {"id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant",
            "model": model, "content": list(content), "stop_reason": "tool_use",
            "stop_sequence": None, "usage": {"input_tokens": 1843, "output_tokens": 96}}


def tool_use(name: str, args: dict[str, Any], n: int = 1) -> dict[str, Any]:
    return {"type": "tool_use", "id": f"toolu_01A09q90qw90lq917835lq9{n}", "name": name,
            "input": args}


def error(status: int, kind: str, text: str) -> Any:
    return httpx.Response(status, json={"type": "error", "error": {"type": kind, "message": text},
                                        "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"},
                          headers={"request-id": "req_011CSHoEeqs5C35K2UUqR7Fy"})


class FakeAnthropic:
    """Answers /v1/messages from a script of responses and records every request."""

    def __init__(self, *answers: Any) -> None:
        self.answers: list[Any] = list(answers)
        self.requests: list[Any] = []

    def handle(self, request: Any) -> Any:
        self.requests.append(request)
        answer = self.answers.pop(0)
        return answer(request) if callable(answer) else answer

    def body(self, i: int = 0) -> dict[str, Any]:
        return json.loads(self.requests[i].content)  # type: ignore[no-any-return]

    def planner(self, **kwargs: Any) -> ClaudePlanner:
        client = httpx.Client(transport=httpx.MockTransport(self.handle))
        return ClaudePlanner(api_key=KEY, http_client=client, base_url=BASE_URL,
                             **{"max_retries": 0, **kwargs})


def test_tool_calls_become_ops_and_the_request_is_complete() -> None:
    fake = FakeAnthropic(httpx.Response(200, json=message(
        {"type": "text", "text": "Making it square with lo-fi music and your title."},
        tool_use("set_aspect", {"ratio": "1:1", "fit": "crop"}, 1),
        tool_use("add_music", {"mood": "lofi", "volume_pct": 35}, 2),
        tool_use("add_title", {"text": "Urban Dreams", "start_ms": 0, "end_ms": 3000}, 3),
    )))
    instruction = "give it a square frame, mellow beats at about a third, and 'Urban Dreams' up front"
    plan = fake.planner().plan(instruction, DRAFT, CTX)

    assert plan.ops == (SetAspect("1:1", "crop"), AddMusic(mood="lofi", volume_pct=35),
                        AddTitle("Urban Dreams", 0, 3000))
    assert plan.not_understood == ()
    [request] = fake.requests
    assert request.method == "POST" and request.url.path == "/v1/messages"
    # the key goes in x-api-key (anthropic < 2) or as a bearer token (anthropic 2.x)
    assert (request.headers.get("x-api-key") == KEY
            or request.headers.get("authorization") == f"Bearer {KEY}")
    assert request.headers["anthropic-version"]
    body = fake.body()
    assert body["model"] == DEFAULT_MODEL
    assert body["messages"] == [{"role": "user", "content": instruction}]
    assert {t["name"] for t in body["tools"]} == set(OPS) | {"not_supported"}
    assert all(t["input_schema"]["type"] == "object" for t in body["tools"])
    system = body["system"]
    assert "Timeline now: Timeline (1 track): 1. Video: city.mp4 (0-12s)" in system
    assert "city.mp4 (video, 12 s, 1080x1920)" in system
    assert "quotes" in system and "not_supported" in system


def test_model_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IGEDIT_CLAUDE_MODEL", "claude-test-model")
    fake = FakeAnthropic(httpx.Response(200, json=message(tool_use("set_look", {"look": "bw"}))))
    fake.planner().plan("noir it", DRAFT, CTX)
    assert fake.body()["model"] == "claude-test-model"
    fake2 = FakeAnthropic(httpx.Response(200, json=message(tool_use("set_look", {"look": "bw"}))))
    fake2.planner(model="claude-explicit").plan("noir it", DRAFT, CTX)
    assert fake2.body()["model"] == "claude-explicit"


def test_a_text_only_answer_leaves_the_instruction_not_understood() -> None:
    fake = FakeAnthropic(httpx.Response(200, json={
        **message({"type": "text", "text": "I'm not sure what you mean."}),
        "stop_reason": "end_turn"}))
    plan = fake.planner().plan("make it pop like the 90s", DRAFT, CTX)
    assert plan.ops == () and plan.not_understood == ("make it pop like the 90s",)


def test_not_supported_and_invalid_calls_are_reported_not_dropped() -> None:
    fake = FakeAnthropic(httpx.Response(200, json=message(
        tool_use("set_speed", {"factor": 2}, 1),
        tool_use("not_supported", {"request": "add a star wipe transition"}, 2),
        tool_use("set_aspect", {"ratio": "2:3"}, 3),           # not a ratio we render
        tool_use("make_it_viral", {}, 4),
    )))
    instruction = "double speed, a star wipe, 2:3, and make it viral"
    plan = fake.planner().plan(instruction, DRAFT, CTX)
    assert [op.tool for op in plan.ops] == ["set_speed"]
    assert plan.not_understood == ("add a star wipe transition", instruction)


@pytest.mark.parametrize(("status", "kind", "key"), [
    (401, "authentication_error", "plan_claude_auth"),
    (403, "permission_error", "plan_claude_auth"),
    (529, "overloaded_error", "plan_claude_busy"),
    (429, "rate_limit_error", "plan_claude_busy"),
    (500, "api_error", "plan_claude_busy"),
    (400, "invalid_request_error", "plan_claude_error"),
])
def test_api_errors_become_clear_skill_errors_without_the_key(status: int, kind: str,
                                                               key: str) -> None:
    fake = FakeAnthropic(error(status, kind, f"bad things; your key was {KEY}"))
    with pytest.raises(ApiError) as info:
        fake.planner().plan("make it square", DRAFT, CTX)
    err = info.value
    assert err.key == key and err.status == status and err.code == kind
    assert isinstance(err.__cause__, Exception)                  # chained, not leaked
    for text in (str(err), repr(err.ctx), render(err.key, "en", **err.ctx),
                 render(err.key, "zh", **err.ctx)):
        assert KEY not in text
    assert str(status) in render(err.key, "en", **err.ctx)


def test_the_auth_message_names_the_variable_to_fix() -> None:
    fake = FakeAnthropic(error(401, "authentication_error", "invalid x-api-key"))
    with pytest.raises(SkillError) as info:
        fake.planner().plan("x", DRAFT, CTX)
    assert "ANTHROPIC_API_KEY" in render(info.value.key, "en", **info.value.ctx)


def test_overloaded_is_retried_when_retries_are_allowed() -> None:
    busy = error(529, "overloaded_error", "Overloaded")
    busy.headers["retry-after-ms"] = "1"
    fake = FakeAnthropic(busy, httpx.Response(200, json=message(
        tool_use("fade", {"target": "both", "out_ms": 1000}))))
    plan = fake.planner(max_retries=1).plan("fade out", DRAFT, CTX)
    assert [op.tool for op in plan.ops] == ["fade"] and len(fake.requests) == 2


def test_connection_failure_is_a_network_error() -> None:
    def refuse(request: Any) -> Any:
        raise httpx.ConnectError("connection refused", request=request)

    fake = FakeAnthropic(refuse)
    with pytest.raises(NetworkError) as info:
        fake.planner().plan("make it square", DRAFT, CTX)
    assert info.value.key == "plan_claude_network"
    assert KEY not in str(info.value)


def test_hybrid_rules_first_then_claude_for_the_rest() -> None:
    fake = FakeAnthropic(httpx.Response(200, json=message(
        tool_use("set_look", {"look": "vivid"}, 1),
        tool_use("not_supported", {"request": "VHS scan lines"}, 2))))
    planner = HybridPlanner(RulePlanner(), fake.planner())
    plan = planner.plan("make it square, and give it an 80s VHS vibe with scan lines", DRAFT, CTX)
    assert [op.tool for op in plan.ops] == ["set_aspect", "set_look"]
    assert plan.not_understood == ("VHS scan lines",)
    assert fake.body()["messages"][0]["content"] == "give it an 80s VHS vibe with scan lines"
    assert "1:1" in fake.body()["system"]                        # Claude saw the square canvas
    reply = describe_plan(plan, "en")
    assert "Reframed to 1:1" in reply and "Not done: “VHS scan lines”" in reply


def test_hybrid_with_a_bad_key_keeps_the_rules_and_says_why() -> None:
    fake = FakeAnthropic(error(401, "authentication_error", "invalid x-api-key"))
    plan = HybridPlanner(RulePlanner(), fake.planner()).plan(
        "square, plus an 80s VHS vibe", DRAFT, CTX)
    assert [op.tool for op in plan.ops] == ["set_aspect"]
    reply = describe_plan(plan, "en")
    assert "ANTHROPIC_API_KEY" in reply and KEY not in reply


def test_anthropic_is_imported_lazily() -> None:
    assert "anthropic" not in vars(claude_module)
