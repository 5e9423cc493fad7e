"""``igedit serve`` driven with plain httpx exactly as the NemoVideo protocol says."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from skill.serve import create_app
from tests.servers import serve_in_thread
from tests.test_local_helpers import file_server, make_clip, probe_mp4

APP = "nemo_agent"


@pytest.fixture(scope="module")
def clip_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture
def base(home: Path) -> Iterator[str]:
    with serve_in_thread(create_app(home, max_upload_bytes=2_000_000)) as url:
        yield url


def token(client: httpx.Client, client_id: str = "client-1") -> str:
    r = client.post("/api/auth/anonymous-token", headers={"X-Client-Id": client_id})
    assert r.status_code == 200
    return str(r.json()["data"]["token"])


def authed(base: str, client_id: str = "client-1") -> httpx.Client:
    with httpx.Client(base_url=base) as plain:
        tok = token(plain, client_id)
    return httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {tok}"})


def new_session(c: httpx.Client) -> str:
    r = c.post(f"/api/tasks/me/with-session/{APP}", json={"task_name": "project", "language": "en"})
    body = r.json()
    assert body["code"] == 0 and body["data"]["task_id"]
    return str(body["data"]["session_id"])


def sse_events(raw: str) -> list[dict[str, Any]]:
    """Split an SSE body the way ADK frames it: ``data: <json>`` + blank line per event."""
    assert raw.endswith("\n\n")
    events = []
    for block in raw.split("\n\n")[:-1]:
        assert block.startswith("data: ") and "\n" not in block
        events.append(json.loads(block[len("data: "):]))
    return events


def test_anonymous_token_needs_a_client_id_and_is_stable(base: str) -> None:
    with httpx.Client(base_url=base) as c:
        r = c.post("/api/auth/anonymous-token")
        assert r.status_code == 400
        assert r.json()["code"] == 400
        first = c.post("/api/auth/anonymous-token", headers={"X-Client-Id": "abc"}).json()
        again = c.post("/api/auth/anonymous-token", headers={"X-Client-Id": "abc"}).json()
        other = c.post("/api/auth/anonymous-token", headers={"X-Client-Id": "xyz"}).json()
    assert first["code"] == 0 and first["message"] == "ok"
    data = first["data"]
    assert data["token"].startswith("nmv_usr_") and len(data["token"]) > 20
    assert data["user_id"].startswith("anon_")
    assert data["expires_at"].endswith("Z")
    assert again["data"]["token"] == data["token"]
    assert other["data"]["token"] != data["token"]
    assert other["data"]["user_id"] != data["user_id"]


@pytest.mark.parametrize("method,path", [
    ("POST", f"/api/tasks/me/with-session/{APP}"),
    ("POST", "/run_sse"),
    ("POST", f"/api/upload-video/{APP}/me/1"),
    ("GET", "/api/credits/balance/simple"),
    ("GET", f"/api/state/{APP}/me/1/latest"),
    ("POST", "/api/render/proxy/lambda"),
    ("GET", "/api/render/proxy/lambda/render_1"),
    ("GET", "/api/render/proxy/render_1/download"),
])
def test_every_route_needs_a_token_it_issued(base: str, method: str, path: str) -> None:
    with httpx.Client(base_url=base) as c:
        for headers in ({}, {"Authorization": "Bearer nmv_usr_not-issued-here"}):
            r = c.request(method, path, headers=headers, json={})
            assert r.status_code == 401
            assert r.json()["code"] == 1001


def test_expired_tokens_are_refused(home: Path) -> None:
    with serve_in_thread(create_app(home, token_ttl_s=-1)) as url, authed(url) as c:
        r = c.get("/api/credits/balance/simple")
    assert (r.status_code, r.json()["code"]) == (401, 1001)


def test_unknown_session_is_1002_like_the_gateway(base: str) -> None:
    with authed(base) as c:
        r = c.post("/run_sse", json={"app_name": APP, "user_id": "me", "session_id": "42",
                                     "new_message": {"parts": [{"text": "hi"}]}})
        assert r.status_code == 200
        assert r.json() == {"code": 1002, "message": "Session not found. Please create a new "
                            "session.", "data": None}
        assert c.get(f"/api/state/{APP}/me/42/latest").json()["code"] == 1002
        assert c.post(f"/api/upload-video/{APP}/me/42", json={"urls": []}).json()["code"] == 1002
        r = c.post("/run_sse", json={"session_id": "42"})
        assert r.status_code == 422


def test_sessions_belong_to_the_token_user(base: str) -> None:
    with authed(base, "alice") as alice, authed(base, "bob") as bob:
        sid = new_session(alice)
        assert alice.get(f"/api/state/{APP}/me/{sid}/latest").json()["code"] == 0
        assert bob.get(f"/api/state/{APP}/me/{sid}/latest").json()["code"] == 1002


def test_upload_multipart_then_state_and_credits(base: str, tmp_path: Path,
                                                 clip_cache: Path) -> None:
    a = make_clip(tmp_path / "a.mp4", cache_dir=clip_cache)
    b = make_clip(tmp_path / "b.mp4", seconds=2.0, cache_dir=clip_cache)
    with authed(base) as c:
        sid = new_session(c)
        with a.open("rb") as fa, b.open("rb") as fb:
            r = c.post(f"/api/upload-video/{APP}/me/{sid}",
                       files=[("files", ("first clip.mp4", fa, "video/mp4")),
                              ("files", ("b.mp4", fb, "video/mp4"))])
        body = r.json()
        assert body["code"] == 0 and body["data"]["session_state_applied"] is True
        files = body["data"]["files"]
        assert [f["filename"] for f in files] == ["first clip.mp4", "b.mp4"]
        assert files[0]["file_type"] == "video" and files[0]["width"] == 320
        assert files[1]["duration"] == pytest.approx(2.0, abs=0.1)
        state = c.get(f"/api/state/{APP}/me/{sid}/latest").json()["data"]
        credits = c.get("/api/credits/balance/simple").json()
    assert state["session_id"] == sid
    draft = state["state"]["draft"]
    video = [t for t in draft["t"] if t["tt"] == 0][0]
    assert [s["m"]["name"] for s in video["sg"]] == ["first clip.mp4", "b.mp4"]
    assert [v["filename"] for v in state["state"]["video_infos"]] == ["first clip.mp4", "b.mp4"]
    assert state["state"]["canvas_config"]["ratio"]
    assert state["state"]["generated_media"] == []
    assert credits["data"] == {"available": 0, "frozen": 0, "total": 0, "local": True}


def test_bad_uploads_get_4001_and_4002(base: str, tmp_path: Path, home: Path) -> None:
    with authed(base) as c:
        sid = new_session(c)
        r = c.post(f"/api/upload-video/{APP}/me/{sid}",
                   files=[("files", ("notes.txt", b"hello", "text/plain"))])
        assert r.json()["code"] == 4001
        assert "not supported" in r.json()["message"] and "notes.txt" in r.json()["message"]
        r = c.post(f"/api/upload-video/{APP}/me/{sid}",
                   files=[("files", ("fake.mp4", b"MZ" + b"\0" * 100, "video/mp4"))])
        assert r.json()["code"] == 4001
        r = c.post(f"/api/upload-video/{APP}/me/{sid}",
                   files=[("files", ("huge.mp4", b"\0" * 2_100_000, "video/mp4"))])
        assert r.json()["code"] == 4002
        assert "500 MB" in r.json()["message"]
        r = c.post(f"/api/upload-video/{APP}/me/{sid}", json={"urls": ["ftp://x/y.mp4"],
                                                              "source_type": "url"})
        assert r.json()["code"] == 4001
        state = c.get(f"/api/state/{APP}/me/{sid}/latest").json()["data"]["state"]
    assert state["video_infos"] == []
    assert not any((home / "media").iterdir())  # nothing half-written left behind


def test_run_sse_on_an_empty_timeline_streams_adk_text(base: str) -> None:
    with authed(base) as c:
        sid = new_session(c)
        body = {"app_name": APP, "user_id": "me", "session_id": sid,
                "new_message": {"parts": [{"text": "make it square"}]}}
        with c.stream("POST", "/run_sse", json=body,
                      headers={"Accept": "text/event-stream"}) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            raw = r.read().decode()
        whole = sse_events(raw)
        camel = {"appName": APP, "userId": "me", "sessionId": sid, "streaming": True,
                 "newMessage": {"role": "user", "parts": [{"text": "make it square"}]}}
        parts = sse_events(c.post("/run_sse", json=camel).text)
    assert len(whole) == 2          # the reply, then the outcome: nothing of it was done
    ev, outcome = whole
    assert outcome["actions"]["stateDelta"]["igedit_outcome"]["not_done"][0]["reason"] == \
        "no_media"
    parts = [p for p in parts if p.get("content")]
    assert ev["author"] == "nemo_agent" and ev["invocationId"].startswith("e-")
    assert ev["content"]["role"] == "model"
    said = ev["content"]["parts"][0]["text"]
    # a program on the HTTP API is pointed at the endpoint, not at a CLI command
    assert "Upload a clip first (POST /api/upload-video/" in said and "igedit " not in said
    assert ev["actions"]["stateDelta"] == {}
    assert [p["partial"] for p in parts] == [True] * (len(parts) - 1) + [False]
    assert len(parts) >= 3
    assert len({p["id"] for p in parts}) == 1
    assert "".join(p["content"]["parts"][0]["text"] for p in parts[:-1]) == \
        parts[-1]["content"]["parts"][0]["text"] == ev["content"]["parts"][0]["text"]


def _poll(c: httpx.Client, job_id: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body = c.get(f"/api/render/proxy/lambda/{job_id}").json()
        if body["status"] in ("completed", "failed") or time.monotonic() > deadline:
            return dict(body)
        time.sleep(0.2)


def test_render_submit_poll_download(base: str, tmp_path: Path, clip_cache: Path,
                                     home: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", cache_dir=clip_cache)
    with authed(base) as c, authed(base, "someone-else") as other:
        sid = new_session(c)
        with clip.open("rb") as fh:
            c.post(f"/api/upload-video/{APP}/me/{sid}", files={"files": ("clip.mp4", fh)})
        draft = c.get(f"/api/state/{APP}/me/{sid}/latest").json()["data"]["state"]["draft"]
        body = {"id": "render_1761576864100", "sessionId": sid, "draft": draft,
                "output": {"format": "mp4", "quality": "high"}}
        r = c.post("/api/render/proxy/lambda", json=body)
        assert r.json()["code"] == 0 and r.json()["data"]["id"] == "render_1761576864100"
        again = c.post("/api/render/proxy/lambda", json=body).json()  # a retried POST
        assert again["code"] == 0
        assert other.get("/api/render/proxy/lambda/render_1761576864100").status_code == 404
        status = _poll(c, "render_1761576864100")
        assert status["status"] == "completed", status
        assert status["progress"] == 100
        url = status["output"]["url"]
        assert url == f"{base}/api/render/proxy/render_1761576864100/download"
        assert status["data"]["outputUrl"] == url
        assert status["output"]["size"] > 0
        assert httpx.get(url).status_code == 401  # the token is needed for the file too
        assert other.get(url).status_code == 404
        dest = tmp_path / "got.mp4"
        with c.stream("GET", url) as resp:
            assert resp.headers["content-type"] == "video/mp4"
            with dest.open("wb") as out:
                for chunk in resp.iter_bytes():
                    out.write(chunk)
    facts = probe_mp4(dest)
    assert facts["vcodec"] == "h264" and facts["audio"] is True
    assert facts["duration"] == pytest.approx(1.0, abs=0.1)
    assert dest.read_bytes() == (home / "renders" / "render_1761576864100.mp4").read_bytes()


def test_render_refuses_foreign_files_empty_drafts_and_odd_ids(base: str) -> None:
    with authed(base) as c:
        sid = new_session(c)
        foreign = {"t": [{"tt": 0, "m": {}, "sg": [{"s": 0, "d": 1000, "m": {
            "src": "/etc/passwd", "kind": "video", "name": "passwd"}}]}], "m": {}}
        r = c.post("/api/render/proxy/lambda", json={"id": "render_1", "sessionId": sid,
                                                     "draft": foreign})
        assert r.json()["code"] == 4001
        assert "not one of this session's uploads" in r.json()["message"]
        r = c.post("/api/render/proxy/lambda", json={"id": "render_2", "sessionId": sid,
                                                     "draft": {"t": []}})
        assert r.status_code == 400
        r = c.post("/api/render/proxy/lambda", json={"id": "../../evil", "sessionId": sid,
                                                     "draft": foreign})
        assert r.status_code == 400
        r = c.post("/api/render/proxy/lambda", json={"id": "render_3", "sessionId": "nope",
                                                     "draft": foreign})
        assert r.json()["code"] == 1002
        assert c.get("/api/render/proxy/lambda/render_1").status_code == 404


def test_upload_by_url_is_downloaded_by_the_server(home: Path, tmp_path: Path,
                                                   clip_cache: Path) -> None:
    served = tmp_path / "served"
    served.mkdir()
    make_clip(served / "remote.mp4", cache_dir=clip_cache)
    # the file server is on loopback: the private-network switch lets it through
    app = create_app(home, allow_private_urls=True)
    with serve_in_thread(file_server(served)) as files, serve_in_thread(app) as base, \
            authed(base) as c:
        sid = new_session(c)
        r = c.post(f"/api/upload-video/{APP}/me/{sid}",
                   json={"urls": [f"{files}/files/remote.mp4"], "source_type": "url"})
        body = r.json()
        assert body["code"] == 0, body
        assert body["data"]["files"][0]["filename"] == "remote.mp4"
        assert body["data"]["files"][0]["duration"] == pytest.approx(1.0, abs=0.1)
        r = c.post(f"/api/upload-video/{APP}/me/{sid}",
                   json={"urls": [f"{files}/files/missing.mp4"], "source_type": "url"})
        assert r.json()["code"] == 4001


def test_run_server_refuses_a_non_loopback_host_unless_allowed(home: Path) -> None:
    from skill.errors import ConfigError
    from skill.serve import run_server
    from skill.templates import render

    with pytest.raises(ConfigError) as err:
        run_server(home, host="0.0.0.0", port=1)  # noqa: S104 - the point of the test
    assert render(err.value.key, "en", **err.value.ctx).startswith(
        "Refusing to listen on 0.0.0.0")


def test_a_broken_multipart_body_is_a_400_and_leaves_nothing(base: str, home: Path) -> None:
    with authed(base) as c:
        sid = new_session(c)
        body = (b'--XYZ\r\nContent-Disposition: form-data; name="files"; filename="a.mp4"\r\n'
                b"Content-Type: video/mp4\r\n\r\n" + b"\0" * 5000)  # never closed
        r = c.post(f"/api/upload-video/{APP}/me/{sid}", content=body,
                   headers={"Content-Type": "multipart/form-data; boundary=XYZ"})
        assert r.status_code == 400 and r.json()["code"] == 400
        r = c.post(f"/api/upload-video/{APP}/me/{sid}", content=b"x",
                   headers={"Content-Type": "multipart/form-data"})
        assert r.status_code == 400
    assert not any((home / "media").iterdir())


@pytest.mark.parametrize("text", ["Done! I cropped the video to 9:16.", "  lead and trail  ",
                                  "完成！已添加标题“城市之梦”（0–3 秒）。", "x", ""])
def test_streamed_text_chunks_add_up_to_the_aggregate(text: str) -> None:
    from skill.events import TextAssembler, decode_event
    from skill.serve.sse import adk_messages

    obj = {"content": {"parts": [{"text": text}], "role": "model"}, "id": "e1",
           "finishReason": "STOP", "invocationId": "e-1", "author": APP,
           "actions": {"stateDelta": {}}}
    out = adk_messages(obj, streaming=True)
    assert out[-1] == {**obj, "partial": False}
    assert all(m["partial"] and m["id"] == "e1" for m in out[:-1])
    assert "".join(m["content"]["parts"][0]["text"] for m in out[:-1]) == text
    assert out[-2]["finishReason"] == "STOP"
    shown = TextAssembler()
    assert "".join(shown.feed(e) for m in out for e in decode_event(m)) == text
    assert adk_messages(obj, streaming=False) == [obj]
