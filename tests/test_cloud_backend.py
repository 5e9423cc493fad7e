"""CloudBackend against the fake NemoVideo server over real HTTP: setup, headers,
token and session lifecycle, the /run_sse stream and its fault switches."""

from __future__ import annotations

import asyncio
import os
import stat
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from skill import errors, templates
from skill.cloud import CloudBackend
from skill.events import Event, TextAssembler
from skill.manifest import load_manifest
from skill.store import Store
from tests.fake_nemo import FakeNemo, SimClock
from tests.servers import free_port

T = TypeVar("T")


def run(coro: Awaitable[T]) -> T:
    async def main() -> T:
        return await coro

    return asyncio.run(main())


class Notes(list[tuple[str, dict[str, Any]]]):
    """Records notices (a real callback, not a mock)."""

    def __call__(self, key: str, ctx: dict[str, Any]) -> None:
        self.append((key, ctx))

    def keys(self) -> list[str]:
        return [k for k, _ in self]



def make(fake: FakeNemo, sim: SimClock, *, base_url: str | None = None, lang: str = "en",
         notes: Notes | None = None) -> CloudBackend:
    return CloudBackend(httpx.AsyncClient(timeout=10), Store(), load_manifest(),
                        base_url=base_url or fake.base_url, sleep=sim.sleep, clock=sim.now,
                        notice=notes if notes is not None else Notes(), lang=lang)


async def using(backend: CloudBackend, fn: Callable[[CloudBackend], Awaitable[T]]) -> T:
    try:
        return await fn(backend)
    finally:
        await backend.aclose()


async def collect(backend: CloudBackend, text: str) -> list[Event]:
    return [event async for event in backend.send(text)]


def expected_headers() -> dict[str, str]:
    return {k.lower(): v for k, v in load_manifest().headers().items()}


# ---------------------------------------------------------------- setup and headers


def test_first_run_sets_up_and_says_so(fake: FakeNemo, sim: SimClock) -> None:
    notes = Notes()
    info = run(using(make(fake, sim, notes=notes), lambda b: b.ready()))
    assert notes.keys() == ["setup_start", "setup_done"]
    assert [templates.render(k, "en", **c) for k, c in notes] == [
        "Setting things up…", "Connected to NemoVideo and ready."]
    assert info.backend == "cloud" and info.session_id and not info.new_session
    assert info.bind_id.startswith("anon_")
    assert fake.paths() == ["POST /api/auth/anonymous-token",
                            "POST /api/tasks/me/with-session/nemo_agent"]
    assert fake.requests[1].body == {"task_name": "project", "language": "en"}


def test_every_api_request_carries_bearer_and_attribution(fake: FakeNemo, sim: SimClock,
                                                          tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(2000))

    async def session(b: CloudBackend) -> None:
        await b.ready()
        await b.upload([clip, "https://example.com/v.mp4"])
        await collect(b, "crop to square")
        state = await b.state()
        await b.credits()
        job = await b.submit_render(state.draft)
        status = await b.wait_render(job)
        await b.download(status.url, tmp_path / "out.mp4")

    run(using(make(fake, sim), session))
    token = next(iter(fake.issued))
    want = expected_headers()
    anon, *authed = fake.requests
    assert anon.path == "/api/auth/anonymous-token"
    assert "authorization" not in anon.headers and anon.headers["x-client-id"]
    assert {k: anon.headers[k] for k in want} == want
    assert {r.path.split("/")[2] if r.path.startswith("/api/") else r.path for r in authed} == {
        "tasks", "upload-video", "/run_sse", "state", "credits", "render"}
    for rec in authed:
        assert rec.headers["authorization"] == f"Bearer {token}", rec.path
        assert {k: rec.headers.get(k) for k in want} == want, rec.path
    sse = [r for r in authed if r.path == "/run_sse"][0]
    assert sse.headers["accept"] == "text/event-stream"
    # the CDN got the download request, without the token or any skill header
    assert [r.path for r in fake.cdn_requests] == [f"/renders/{next(iter(fake.jobs))}.mp4"]
    for rec in fake.cdn_requests:
        assert "authorization" not in rec.headers
        assert token not in " ".join(rec.headers.values())


def test_run_sse_body_is_exactly_the_seeds(fake: FakeNemo, sim: SimClock) -> None:
    async def go(b: CloudBackend) -> str:
        await collect(b, "add a title")
        return b.session_id

    sid = run(using(make(fake, sim), go))
    sse = [r for r in fake.requests if r.path == "/run_sse"]
    assert [r.body for r in sse] == [{"app_name": "nemo_agent", "user_id": "me",
                                      "session_id": sid,
                                      "new_message": {"parts": [{"text": "add a title"}]}}]


def test_session_language_follows_lang(fake: FakeNemo, sim: SimClock) -> None:
    run(using(make(fake, sim, lang="zh"), lambda b: b.ready()))
    assert fake.requests[-1].body == {"task_name": "project", "language": "zh"}


# ---------------------------------------------------------------- token lifecycle


def test_token_is_stored_0600_and_reused(fake: FakeNemo, sim: SimClock, home: Path) -> None:
    run(using(make(fake, sim), lambda b: b.ready()))
    auth_file = home / "auth.json"
    assert stat.S_IMODE(os.stat(auth_file).st_mode) == 0o600
    doc = Store().read("auth")
    assert set(doc) >= {"client_id", "token", "expires_at", "user_id", "registered"}
    assert doc["token"] in fake.issued and doc["registered"] is False
    assert doc["expires_at"] > time.time() + 6 * 24 * 3600
    assert doc["client_id"] == fake.client_ids[0]
    notes = Notes()
    run(using(make(fake, sim, notes=notes), lambda b: b.credits()))
    assert fake.counts["anonymous_token"] == 1 and fake.counts["create_session"] == 1
    assert notes.keys() == []  # nothing to set up the second time


def test_logs_never_carry_the_token(fake: FakeNemo, sim: SimClock) -> None:
    from structlog.testing import capture_logs

    with capture_logs() as logs:
        run(using(make(fake, sim), lambda b: collect(b, "crop to square")))
    token = next(iter(fake.issued))
    events = {entry["event"] for entry in logs}
    assert {"cloud.request", "cloud.tool_call", "cloud.send"} <= events
    assert token not in repr(logs)


def test_nemo_token_env_skips_anonymous(fake: FakeNemo, sim: SimClock,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    fake.tokens["nmv_usr_envtoken123"] = "usr_42"
    monkeypatch.setenv("NEMO_TOKEN", "nmv_usr_envtoken123")
    run(using(make(fake, sim), lambda b: b.credits()))
    assert fake.counts["anonymous_token"] == 0
    assert {r.headers["authorization"] for r in fake.requests} == {"Bearer nmv_usr_envtoken123"}
    assert "token" not in Store().read("auth")  # an env token is never written to disk


def test_refused_env_token_asks_user_to_fix_it(fake: FakeNemo, sim: SimClock,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEMO_TOKEN", "nmv_usr_notvalid999")
    with pytest.raises(errors.AuthError) as info:
        run(using(make(fake, sim), lambda b: b.ready()))
    assert fake.counts["anonymous_token"] == 0
    message = templates.render(info.value.key, "en", **info.value.ctx)
    assert "NEMO_TOKEN" in message and "nmv_usr_notvalid999" not in message


def test_expired_token_renewed_with_same_client_id(fake: FakeNemo, sim: SimClock) -> None:
    async def go(b: CloudBackend) -> list[Event]:
        await b.ready()
        fake.set_fault("expired_token")
        return await collect(b, "crop to square")

    events = run(using(make(fake, sim), go))
    assert any(e.kind == "text" for e in events)
    assert fake.counts["anonymous_token"] == 2
    assert fake.client_ids[0] == fake.client_ids[1]
    assert fake.counts["run_sse"] == 2 and fake.messages == ["crop to square"]
    first, second = [r for r in fake.requests if r.path == "/run_sse"]
    assert first.status == 401 and second.status == 200
    assert first.headers["authorization"] != second.headers["authorization"]
    assert Store().read("auth")["token"] == second.headers["authorization"][7:]


def test_expired_stored_token_is_replaced(fake: FakeNemo, sim: SimClock) -> None:
    Store().write("auth", {"client_id": "cid-1", "token": "nmv_usr_old000", "expires_at": 10.0,
                           "user_id": "anon_x", "registered": False, "api_base": fake.base_url})
    run(using(make(fake, sim), lambda b: b.ready()))
    assert fake.client_ids == ["cid-1"]
    assert all("nmv_usr_old000" not in r.headers.get("authorization", "") for r in fake.requests)


def test_token_for_another_api_is_never_sent(fake: FakeNemo, sim: SimClock) -> None:
    Store().write("auth", {"client_id": "cid-1", "token": "nmv_usr_prodtoken",
                           "expires_at": time.time() + 86400, "user_id": "anon_x",
                           "registered": False, "api_base": "https://mega-api-prod.nemovideo.ai"})
    run(using(make(fake, sim), lambda b: b.ready()))
    assert fake.counts["anonymous_token"] == 1
    for rec in fake.requests:
        assert "nmv_usr_prodtoken" not in " ".join(rec.headers.values())


def test_missing_client_id_generates_one_and_retries(fake: FakeNemo, sim: SimClock,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEMO_CLIENT_ID", "broken-id")
    fake.set_fault("missing_client_id")
    run(using(make(fake, sim), lambda b: b.ready()))
    anon = [r for r in fake.requests if r.path == "/api/auth/anonymous-token"]
    assert [r.status for r in anon] == [400, 200]
    assert anon[0].headers["x-client-id"] == "broken-id"
    new_id = anon[1].headers["x-client-id"]
    assert len(new_id) == 36 and new_id != "broken-id"
    assert Store().read("auth")["client_id"] == new_id


def test_rate_limit_waits_30s_once_then_succeeds(fake: FakeNemo, sim: SimClock) -> None:
    fake.set_fault("rate_limit")
    run(using(make(fake, sim), lambda b: b.ready()))
    assert sim.sleeps == [30.0]
    assert fake.counts["anonymous_token"] == 2


def test_rate_limit_twice_gives_a_clear_message(fake: FakeNemo, sim: SimClock) -> None:
    fake.set_fault("rate_limit_always")
    with pytest.raises(errors.RateLimited) as info:
        run(using(make(fake, sim), lambda b: b.ready()))
    assert sim.sleeps == [30.0] and fake.counts["anonymous_token"] == 2
    assert "waited 30 seconds" in templates.render(info.value.key, "en", **info.value.ctx)
    assert templates.render(info.value.key, "zh", **info.value.ctx)


def test_rate_limit_on_an_api_call(fake: FakeNemo, sim: SimClock) -> None:
    async def go(b: CloudBackend) -> Any:
        await b.ready()
        fake.set_fault("rate_limit")
        return await b.credits()

    credits = run(using(make(fake, sim), go))
    assert (credits.available, credits.frozen, credits.total) == (85, 0, 85)
    assert sim.sleeps == [30.0] and fake.counts["credits"] == 2


def test_unreachable_api_is_a_network_error() -> None:
    port = free_port()
    backend = CloudBackend(httpx.AsyncClient(timeout=2), Store(), load_manifest(),
                           base_url=f"http://127.0.0.1:{port}", sleep=SimClock().sleep)
    with pytest.raises(errors.NetworkError) as info:
        run(using(backend, lambda b: b.ready()))
    assert f"127.0.0.1:{port}" in templates.render(info.value.key, "en", **info.value.ctx)


def test_default_base_url_comes_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEMO_API_URL", "http://127.0.0.1:1234/")
    b = CloudBackend(httpx.AsyncClient(), Store(), load_manifest())
    assert b.base_url == "http://127.0.0.1:1234"
    monkeypatch.delenv("NEMO_API_URL")
    assert CloudBackend(httpx.AsyncClient(), Store(),
                        load_manifest()).base_url == "https://mega-api-prod.nemovideo.ai"


# ---------------------------------------------------------------- sessions


@pytest.mark.parametrize("fault", ["lost_session", "lost_session_404"])
def test_lost_session_is_replaced_and_message_sent_once(fake: FakeNemo, sim: SimClock,
                                                        fault: str) -> None:
    notes = Notes()

    async def go(b: CloudBackend) -> tuple[str, str, list[Event], bool]:
        old = (await b.ready()).session_id
        fake.set_fault(fault)
        events = await collect(b, "add lo-fi music")
        return old, b.session_id, events, (await b.ready()).new_session

    old, new, events, replaced = run(using(make(fake, sim, notes=notes), go))
    assert new != old and replaced
    assert "error_1002" in notes.keys()
    assert "previous timeline is gone" in templates.render("error_1002", "en")
    assert fake.messages == ["add lo-fi music"]  # refused before the stream: sent once
    assert fake.counts["create_session"] == 2
    assert any(e.kind == "text" for e in events)
    saved = Store().read("session")["cloud"][fake.base_url]
    assert saved["session_id"] == new


def test_lost_session_on_state_read(fake: FakeNemo, sim: SimClock) -> None:
    async def go(b: CloudBackend) -> Any:
        await b.ready()
        fake.set_fault("lost_session")
        return await b.state()

    state = run(using(make(fake, sim), go))
    assert state.draft_raw == {"t": [], "m": {}} and fake.counts["create_session"] == 2


def test_fresh_session_is_not_remembered(fake: FakeNemo, sim: SimClock) -> None:
    async def go(b: CloudBackend) -> tuple[str, str]:
        current = (await b.ready()).session_id
        one_shot = (await b.ready(fresh=True)).session_id
        await collect(b, "make a reel")
        return current, one_shot

    current, one_shot = run(using(make(fake, sim), go))
    assert current != one_shot
    assert [r.body["session_id"] for r in fake.requests if r.path == "/run_sse"] == [one_shot]
    assert Store().read("session")["cloud"][fake.base_url]["session_id"] == current
    run(using(make(fake, sim), lambda b: b.ready()))
    assert fake.counts["create_session"] == 2  # the stored session is reused later


def test_each_api_base_gets_its_own_session(fake: FakeNemo, sim: SimClock) -> None:
    run(using(make(fake, sim), lambda b: b.ready()))
    other = fake.base_url.replace("127.0.0.1", "localhost")
    run(using(make(fake, sim, base_url=other), lambda b: b.ready()))
    sessions = Store().read("session")["cloud"]
    assert set(sessions) == {fake.base_url, other}
    assert fake.counts["create_session"] == 2
    run(using(make(fake, sim), lambda b: b.ready()))  # and each is reused
    assert fake.counts["create_session"] == 2


# ---------------------------------------------------------------- credits (2001)


def test_no_credits_anonymous_shows_register_url(fake: FakeNemo, sim: SimClock,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEMO_WEB_URL", "https://nemovideo.example")
    fake.set_fault("no_credits")
    with pytest.raises(errors.NoCredits) as info:
        run(using(make(fake, sim), lambda b: collect(b, "generate a clip")))
    user = next(iter(fake.issued.values()))
    url = f"https://nemovideo.example/register?bind={user}"
    assert info.value.ctx["register_url"] == url
    assert url in templates.render("error_2001", "en", **info.value.ctx)
    assert url in templates.render("error_2001", "zh", **info.value.ctx)
    assert fake.messages == [] and fake.counts["run_sse"] == 1


def test_no_credits_registered_says_top_up(fake: FakeNemo, sim: SimClock,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    fake.tokens["nmv_usr_registered1"] = "usr_77"
    monkeypatch.setenv("NEMO_TOKEN", "nmv_usr_registered1")
    fake.set_fault("no_credits")
    with pytest.raises(errors.NoCredits) as info:
        run(using(make(fake, sim), lambda b: collect(b, "generate a clip")))
    assert info.value.ctx["registered"] is True
    assert "Top up credits in your account" in templates.render(
        "error_2001", "en", **info.value.ctx)


# ---------------------------------------------------------------- streams


def _send(fake: FakeNemo, sim: SimClock, text: str = "crop to square") -> list[Event]:
    return run(using(make(fake, sim), lambda b: collect(b, text)))


def test_plain_stream_text_and_tool_calls(fake: FakeNemo, sim: SimClock) -> None:
    events = _send(fake, sim)
    assert [e.name for e in events if e.kind == "tool_call"] == ["set_aspect", "add_bgm",
                                                                 "add_title"]
    assert [e.text for e in events if e.kind == "text"][0].startswith("Done! I cropped")
    assert fake.session_draft()["m"]["ratio"] == "1:1"  # the stream's stateDelta applied


def test_chinese_stream(fake: FakeNemo, sim: SimClock) -> None:
    events = _send(fake, sim, "加个标题“城市之梦”")
    assert [e.text for e in events if e.kind == "text"] == [
        "完成！已添加标题“城市之梦”（0-3s）。点击导出按钮下载视频。"]


def test_tools_only_stream_has_no_text_but_changes_state(fake: FakeNemo, sim: SimClock) -> None:
    fake.set_fault("tools_only")

    async def go(b: CloudBackend) -> tuple[list[Event], Any]:
        before = (await b.state()).draft
        events = await collect(b, "crop to square")
        return events, (before, (await b.state()).draft)

    events, (before, after) = run(using(make(fake, sim), go))
    assert not [e for e in events if e.kind == "text"]
    assert {e.kind for e in events} == {"tool_call", "tool_result", "state"}
    assert not before.tracks and len(after.tracks) == 2


def test_heartbeats_only_stream(fake: FakeNemo, sim: SimClock) -> None:
    fake.set_fault("heartbeats_only")
    events = _send(fake, sim)
    assert len(events) >= 5 and {e.kind for e in events} == {"heartbeat"}


def test_partials_are_shown_once(fake: FakeNemo, sim: SimClock) -> None:
    fake.set_fault("partials")
    asm = TextAssembler()
    shown = "".join(asm.feed(e) for e in _send(fake, sim, "make it vertical for Reels"))
    assert shown == ("Done! I cropped the video to vertical 9:16. Click the Export button "
                     "to download your video.")


def test_malformed_lines_are_tolerated(fake: FakeNemo, sim: SimClock) -> None:
    fake.set_fault("malformed")
    events = _send(fake, sim)
    assert [e.kind for e in events if e.kind != "heartbeat"] == (
        ["tool_call"] * 3 + ["tool_result"] * 3 + ["state", "text"])
    assert sum(e.kind == "heartbeat" for e in events) >= 4


def test_in_stream_errors_become_error_events(fake: FakeNemo, sim: SimClock) -> None:
    fake.set_fault("stream_error")
    events = _send(fake, sim)
    errs = [e for e in events if e.kind == "error"]
    assert [e.code for e in errs] == ["MALFORMED_FUNCTION_CALL", ""]
    message = templates.render("error_stream", "en", detail=errs[-1].text)
    assert "add_bgm failed" in message and "{" not in message


def test_cut_stream_raises_dropped_and_never_resends(fake: FakeNemo, sim: SimClock) -> None:
    fake.set_fault("cut_stream")
    seen: list[Event] = []

    async def go(b: CloudBackend) -> None:
        async for event in b.send("crop to square"):
            seen.append(event)

    with pytest.raises(errors.StreamDropped) as info:
        run(using(make(fake, sim), go))
    assert seen and seen[0].kind == "tool_call"
    assert fake.messages == ["crop to square"] and fake.counts["run_sse"] == 1
    message = templates.render(info.value.key, "en", changed=False)
    assert "did not resend" in message


def test_stream_total_deadline(fake: FakeNemo, sim: SimClock) -> None:
    fake.set_fault("heartbeats_only")

    async def go(b: CloudBackend) -> None:
        async for _ in b.send("slow"):
            sim.t += 10 * 60  # each event arrives ten (simulated) minutes later

    with pytest.raises(errors.StreamError) as info:
        run(using(make(fake, sim), go))
    assert info.value.key == "stream_timeout"
    assert fake.messages == ["slow"]
