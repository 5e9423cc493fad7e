"""Vision through the command line: upload analyses in the background (scene counts in
``igedit status``), and ``igedit make`` cuts a highlight with transitions and music on
the beat, in English and Chinese; "make it a Reel" follows the subject."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from skill.engine.render.probe import probe
from skill.engine.vision import analysis
from tests.vision_media import face_walk, scenes_clip


def igedit(cwd: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "skill", "--backend", "local", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("vision-cli")
    scenes_clip(root / "scenes.mp4")
    face_walk(root / "wide.mp4", seconds=4.0)
    return root


def test_the_upload_builder_analyses_and_status_counts_scenes(
        clips: Path, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from skill.engine.render import proxy as proxy_mod

    src = clips / "scenes.mp4"
    done = igedit(tmp_path, "upload", str(src))
    assert done.returncode == 0, done.stdout + done.stderr
    # what the detached builder an upload starts runs (``python -m skill.engine.render.proxy``),
    # here in-process and at normal priority: idle scheduling may starve it on a busy host
    monkeypatch.setattr(proxy_mod, "_lower_priority", lambda: None)
    assert proxy_mod.main([str(home / "proxies"), str(src)]) == 0
    cached = analysis.cache_path(src, home / "vision")
    assert cached.is_file() and cached.stat().st_mode & 0o777 == 0o600
    found = analysis.load(src)
    assert found is not None and len(found.scenes) == 6
    status = igedit(tmp_path, "status")
    assert status.returncode == 0, status.stderr
    assert "6 scenes" in status.stdout


@pytest.mark.parametrize(("words", "seconds"), [
    ("make a 12 second highlight with transitions and upbeat music, cut to the beat", 12),
    ("做一个8秒的精彩片段，加转场和欢快的音乐，卡点", 8),
])
def test_make_a_highlight_with_transitions_on_the_beat(clips: Path, tmp_path: Path,
                                                       words: str, seconds: int) -> None:
    out = tmp_path / "h.mp4"
    done = igedit(tmp_path, "make", str(clips / "scenes.mp4"), words, "-o", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    p = probe(out)
    assert abs(p.duration - seconds) <= 0.5 and p.has_audio
    assert "can't do" not in done.stdout and "做不到" not in done.stdout   # all understood


def test_make_it_a_reel_follows_the_subject(clips: Path, tmp_path: Path) -> None:
    out = tmp_path / "reel.mp4"
    done = igedit(tmp_path, "make", str(clips / "wide.mp4"), "make it a Reel", "-o", str(out),
                  "--verbose")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "follows the subject" in done.stdout
    p = probe(out)
    assert (p.width, p.height) == (1080, 1920)


def test_a_highlight_on_the_beat_through_igedit_serve(clips: Path, home: Path) -> None:
    import httpx

    from skill.serve import create_app
    from tests.servers import serve_in_thread
    from tests.test_serve_api import APP, authed, new_session, sse_events

    words = "make a 12 second highlight with transitions and upbeat music, cut to the beat"
    with serve_in_thread(create_app(home, max_upload_bytes=50_000_000)) as url, \
            authed(url) as c:
        sid = new_session(c)
        with (clips / "scenes.mp4").open("rb") as f:
            up = c.post(f"/api/upload-video/{APP}/me/{sid}",
                        files=[("files", ("scenes.mp4", f, "video/mp4"))], timeout=120)
        assert up.json()["code"] == 0, up.text
        body = {"app_name": APP, "user_id": "me", "session_id": sid,
                "new_message": {"parts": [{"text": words}]}}
        events = sse_events(c.post("/run_sse", json=body, timeout=httpx.Timeout(300)).text)
    calls = [p["functionCall"]["name"] for ev in events for p in ev["content"]["parts"]
             if "functionCall" in p]
    assert calls == ["add_music", "make_highlight", "cut_to_beat", "add_transitions"]
    draft = next(ev["actions"]["stateDelta"]["draft"] for ev in events
                 if ev.get("actions", {}).get("stateDelta", {}).get("draft"))
    video = next(t for t in draft["t"] if t["tt"] == 0)
    total = sum(s["d"] for s in video["sg"])
    assert abs(total - 12_000) <= 500 and len(video["sg"]) >= 3
    assert draft["m"]["transition"] == {"style": "crossfade", "ms": 400}


def test_doctor_reports_the_vision_detector(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    from skill.engine.vision import detect

    out = igedit(tmp_path, "doctor")
    line = next((x for x in out.stdout.splitlines() if x.startswith("vision: ")), "")
    version = metadata.version("opencv-python-headless")
    assert line.startswith("vision: faces: Haar cascade haarcascade_frontalface_default.xml ("), \
        out.stdout
    assert f"opencv-python-headless {version}" in line and detect.cascade_path() in line
    # without OpenCV the line says what is missing and what to install
    monkeypatch.setitem(sys.modules, "cv2", None)
    assert detect.describe().startswith("none (") and \
        "pip install opencv-python-headless" in detect.describe()
