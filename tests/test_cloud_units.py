"""Pure parts of the cloud backend: error table, envelopes, retry policy, SSE line
decoding over the recorded streams, status shapes, poll schedule, multipart framing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import yaml
from python_multipart.multipart import MultipartParser

from skill import errors, templates
from skill.cloud.auth import parse_expiry
from skill.cloud.errortable import (
    TABLE_FILE,
    Failure,
    lookup,
    parse_envelope,
    table,
    to_exception,
)
from skill.cloud.render import BACKOFF, PollPlanner, parse_status
from skill.cloud.retry import RetryState, decide
from skill.cloud.sse import LineDecoder, decode_lines
from skill.cloud.upload import FilePart, MultipartBody
from skill.events import Event, TextAssembler
from tests.fake_nemo import ADK, envelope

# ---------------------------------------------------------------- error table


def _exception_for(name: str) -> errors.SkillError:
    status, body = envelope(name)
    reply = parse_envelope(status, json.dumps(body).encode())
    assert not reply.ok and reply.failure is not None
    return to_exception(lookup(reply.failure), reply.failure)


@pytest.mark.parametrize(("fixture", "cls", "key", "action"), [
    ("error-1001", errors.AuthError, "error_1001", "reauth"),
    ("error-1002", errors.SessionLost, "error_1002", "new_session"),
    ("adk-404-session", errors.SessionLost, "error_1002", "new_session"),
    ("error-2001", errors.NoCredits, "error_2001", "raise"),
    ("error-4001", errors.ApiError, "error_4001", "raise"),
    ("error-4002", errors.ApiError, "error_4002", "raise"),
    ("error-400", errors.ApiError, "error_400", "new_client_id"),
    ("error-402", errors.ExportBlocked, "error_402", "raise"),
    ("error-429", errors.RateLimited, "error_429", "retry_after"),
    ("error-unknown", errors.ApiError, "error_unknown_code", "raise"),
    ("success-false", errors.ApiError, "error_api", "raise"),
])
def test_every_seed_row_maps_to_action_exception_and_template(
        fixture: str, cls: type[errors.SkillError], key: str, action: str) -> None:
    status, body = envelope(fixture)
    reply = parse_envelope(status, json.dumps(body).encode())
    assert reply.failure is not None
    assert lookup(reply.failure).action == action
    exc = _exception_for(fixture)
    assert type(exc) is cls
    assert exc.key == key
    for lang in ("en", "zh"):
        text = templates.render(exc.key, lang, **exc.ctx)
        assert text and "{" not in text and "None" not in text


def test_unknown_code_message_names_the_code() -> None:
    exc = _exception_for("error-unknown")
    assert isinstance(exc, errors.ApiError) and exc.code == 3007
    assert "3007" in templates.render(exc.key, "en", **exc.ctx)
    assert "3007" in templates.render(exc.key, "zh", **exc.ctx)


def test_rate_limit_rule_waits_30_seconds_and_402_is_not_about_credits() -> None:
    assert table().http[429].delay == 30.0
    text = templates.render("error_402", "en")
    assert "Register or upgrade your plan to unlock export" in text
    assert "not a credits problem" in text


def test_table_keys_exist_in_both_languages_and_name_real_exceptions() -> None:
    raw = yaml.safe_load(TABLE_FILE.read_text(encoding="utf-8"))
    assert set(raw["codes"]) == {0, 1001, 1002, 2001, 4001, 4002}
    assert {400, 402, 429} <= set(raw["http"])
    t = table()
    rules = [*t.codes.values(), *t.http.values(), t.unknown_code, t.unknown_http, t.network]
    for rule in rules:
        for lang in ("en", "zh"):
            assert rule.key in templates.keys(lang), (rule.key, lang)
        if rule.exception:
            assert issubclass(rule.exception_class(), errors.SkillError)


def test_envelopes_success_forms() -> None:
    assert parse_envelope(200, b'{"code":0,"message":"ok","data":{"a":1}}').data == {"a": 1}
    assert parse_envelope(200, b'{"code":"0","data":[1]}').data == [1]
    assert parse_envelope(200, b'{"success":true,"data":{"status":"completed"}}').data == {
        "status": "completed"}
    bare = {"taskId": "render_1", "status": "processing", "progress": 5}
    assert parse_envelope(200, json.dumps(bare)).data == bare


def test_envelopes_failure_forms() -> None:
    assert parse_envelope(200, b"<html>oops</html>").failure == Failure(
        None, 200, "the answer was not JSON")
    assert parse_envelope(502, b"Bad gateway").failure == Failure(None, 502, "")
    assert parse_envelope(401, b"").failure == Failure(None, 401, "")
    assert lookup(Failure(None, 401)).key == "error_1001"
    assert lookup(Failure(None, 404, "Not Found")).key == "error_api"  # not a session 404
    assert lookup(Failure(None, 503)).key == "error_api"
    fail = parse_envelope(200, b'{"success":false,"error":{"code":2001,"message":"no"}}')
    assert fail.failure == Failure(2001, 200, "no")


def test_network_rule() -> None:
    rule = table().network
    exc = to_exception(rule, Failure(None, 0, "ConnectError"), host="api.example")
    assert isinstance(exc, errors.NetworkError)
    assert "api.example" in templates.render(exc.key, "en", **exc.ctx)


# ---------------------------------------------------------------- retry policy


def test_retry_policy_each_action_at_most_once() -> None:
    t = table()
    state = RetryState()
    assert decide(t.codes[1001], state) == "reauth"
    assert decide(t.codes[1001], state) == "raise"
    assert decide(t.codes[1001], RetryState(), can_reauth=False) == "raise"
    state = RetryState()
    assert decide(t.codes[1002], state) == "raise"  # not session-bound
    assert decide(t.codes[1002], state, session_bound=True) == "new_session"
    assert decide(t.codes[1002], state, session_bound=True) == "raise"
    state = RetryState()
    assert decide(t.http[429], state) == "wait"
    assert decide(t.http[429], state) == "raise"
    assert decide(t.http[400], RetryState()) == "raise"  # only the token request
    assert decide(t.http[400], RetryState(), auth_request=True) == "new_client_id"
    assert decide(t.codes[1001], RetryState(), resend_safe=False) == "raise"
    assert decide(t.codes[2001], RetryState(), session_bound=True) == "raise"


# ---------------------------------------------------------------- SSE decoding


def test_line_decoder_tolerates_comments_fields_and_multiline_data() -> None:
    dec = LineDecoder()
    out: list[str | None] = []
    for line in [": ping", "", "event: message", "id: 3", "retry: 10", "data: {\"a\":",
                 "data: 1}", "", "data:", "", "nonsense", "", "data: tail"]:
        out += dec.feed(line)
    out += dec.finish()
    assert out == [None, '{"a":\n1}', "", "tail"]


def _lines(name: str) -> list[str]:
    return (ADK / name).read_text(encoding="utf-8").split("\n")


def test_recorded_whole_events_stream_decodes() -> None:
    events = list(decode_lines(_lines("edit-whole-events.sse")))
    assert [e.kind for e in events] == ["tool_call"] * 3 + ["tool_result"] * 3 + ["state", "text"]
    assert [e.name for e in events[:3]] == ["set_aspect", "add_bgm", "add_title"]
    assert events[6].state_delta["draft"]["m"]["ratio"] == "1:1"
    assert events[-1].text.startswith("Done! I cropped the video to square")


def test_recorded_partials_show_text_once() -> None:
    events = list(decode_lines(_lines("edit-streaming-partials.sse")))
    calls = [e for e in events if e.kind == "tool_call"]
    assert [c.name for c in calls] == ["set_aspect"]  # the partial tool-call turn is skipped
    asm = TextAssembler()
    shown = "".join(asm.feed(e) for e in events)
    final = ("Done! I cropped the video to vertical 9:16. Click the Export button to "
             "download your video.")
    assert shown == final


def test_synthetic_streams_decode_without_raising() -> None:
    beats = list(decode_lines(_lines("synthetic-heartbeats-only.sse")))
    assert beats and {e.kind for e in beats} == {"heartbeat"}
    mixed = list(decode_lines(_lines("synthetic-malformed.sse")))
    kinds = [e.kind for e in mixed if e.kind != "heartbeat"]
    assert kinds == ["tool_call"] * 3 + ["tool_result"] * 3 + ["state", "text"]
    errs = [e for e in decode_lines(_lines("synthetic-stream-error.sse")) if e.kind == "error"]
    assert [(e.code, e.text) for e in errs] == [
        ("MALFORMED_FUNCTION_CALL", "The model produced an invalid tool call."),
        ("", "ValueError: add_bgm failed: track limit reached"),
    ]


def test_zh_stream() -> None:
    texts = [e.text for e in decode_lines(_lines("edit-zh.sse")) if e.kind == "text"]
    assert texts == ["完成！已添加标题“城市之梦”（0-3s）。点击导出按钮下载视频。"]


def test_heartbeat_event_is_plain() -> None:
    assert list(decode_lines([": keep-alive", ""])) == [Event("heartbeat")]


# ---------------------------------------------------------------- render status


@pytest.mark.parametrize(("fixture", "status", "url"), [
    ("render-status-toplevel", "completed",
     "https://cdn.nemovideo.ai/renders/render_1761576864100.mp4"),
    ("render-status-data", "completed",
     "https://cdn.nemovideo.ai/renders/render_1761576864100.mp4"),
    ("render-status-toplevel-processing", "processing", ""),
    ("render-status-failed", "failed", ""),
])
def test_both_status_shapes(fixture: str, status: str, url: str) -> None:
    code, body = envelope(fixture)
    reply = parse_envelope(code, json.dumps(body))
    got = parse_status(reply.data)
    assert (got.status, got.url) == (status, url)
    assert parse_status(body).status == status  # also with the envelope still on
    if status == "failed":
        assert got.detail == "Lambda render timed out"
    if status == "processing":
        assert got.progress == 42


def test_status_words_and_junk() -> None:
    assert parse_status({"status": "SUCCEEDED", "output": {"url": "https://x/y"}}).status == "completed"
    assert parse_status({"status": "queued"}).status == "pending"
    assert parse_status(None).status == "processing"
    assert parse_status({"status": "weird"}).status == "processing"


# ---------------------------------------------------------------- poll schedule


def test_poll_without_progress_backs_off_to_30s() -> None:
    planner = PollPlanner()
    now, delays = 0.0, []
    for _ in range(14):
        d = planner.next_delay(now)
        delays.append(d)
        now += d
        planner.observe(now, None)
    assert delays[: len(BACKOFF)] == list(BACKOFF)
    assert delays[len(BACKOFF):] == [30.0] * (14 - len(BACKOFF))
    assert delays[0] == 3.0 and min(delays) >= 2.0


def test_poll_aims_at_the_predicted_finish() -> None:
    planner = PollPlanner()
    finish = 47.0
    now = 0.0
    while True:
        now += planner.next_delay(now)
        progress = min(100.0, int(now / finish * 100))
        if now >= finish:
            break
        planner.observe(now, progress)
    assert now - finish <= 2.0


def test_poll_never_closer_than_two_seconds() -> None:
    planner = PollPlanner()
    planner.observe(3.0, 50.0)
    planner.observe(6.0, 99.0)  # predicted finish in 0.06 s
    assert planner.next_delay(6.0) == 2.0


# ---------------------------------------------------------------- multipart / expiry


def test_multipart_body_frames_parts_exactly(tmp_path: Path) -> None:
    a = tmp_path / 'a "quoted".mp4'
    a.write_bytes(b"A" * 1000)
    b = tmp_path / "b.png"
    b.write_bytes(b"B" * 300_001)
    seen: list[tuple[str, float, float | None]] = []
    body = MultipartBody([FilePart.of(a), FilePart.of(b)], chunk=4096,
                         progress=lambda label, done, total: seen.append((label, done, total)))

    async def collect() -> bytes:
        return b"".join([chunk async for chunk in body])

    raw = asyncio.run(collect())
    assert len(raw) == body.content_length
    assert seen[-1] == ("upload", float(len(raw)), float(len(raw)))
    assert all(x[1] <= y[1] for x, y in zip(seen, seen[1:], strict=False))
    sizes: list[int] = []
    names: list[bytes] = []
    headers: list[bytes] = []
    parser = MultipartParser(body.boundary, {
        "on_part_begin": lambda: sizes.append(0),
        "on_part_data": lambda d, s, e: sizes.__setitem__(-1, sizes[-1] + e - s),
        "on_header_value": lambda d, s, e: headers.append(d[s:e]),
    })
    parser.write(raw)
    parser.finalize()
    names = [h for h in headers if h.startswith(b"form-data")]
    assert sizes == [1000, 300_001]
    assert names[0] == b'form-data; name="files"; filename="a %22quoted%22.mp4"'
    assert b"image/png" in headers


def test_parse_expiry_forms() -> None:
    now = 1_000_000.0
    assert parse_expiry(2_000_000, now) == 2_000_000.0
    assert parse_expiry(2_000_000_000_000, now) == 2_000_000_000.0
    assert parse_expiry("2031-01-01T00:00:00Z", now) == 1924992000.0
    assert parse_expiry("2031-01-01T00:00:00", now) == 1924992000.0
    assert parse_expiry(None, now) == now + 7 * 24 * 3600
    assert parse_expiry("garbage", now) == now + 7 * 24 * 3600


def test_cloud_templates_exist_in_both_languages() -> None:
    import re

    from skill.templates import PROMPTS_DIR

    def keys(lang: str) -> set[str]:
        text = (PROMPTS_DIR / lang / "cloud.j2").read_text(encoding="utf-8")
        return set(re.findall(r"macro (\w+)\(", text))

    assert keys("en") == keys("zh") == {"render_timeout", "download_failed",
                                        "download_insecure", "stream_timeout",
                                        "rate_limited_waiting"}
    for key in keys("en"):
        for lang in ("en", "zh"):
            assert templates.render(key, lang, status=503, host="cdn.example")
