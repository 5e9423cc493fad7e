"""60 fps output (issue 12 item 8): "make it 60 fps" renders 60 fps from a 60 fps clip, in
sync and as long as the clip; from a 30 fps clip the reply says why, nothing asked is
half-done and the video stays 30 fps."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from skill.draft import decode_draft, encode_draft
from skill.engine.render import filtergraph as fg
from skill.engine.render.probe import probe
from skill.engine.render.selfcheck import Expected, check_probe
from skill.engine.render.sheet import sheet_layout
from skill.front.cli import main
from tests import media

pytestmark = pytest.mark.usefixtures("logging_as_before")   # main() configures logging


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    folder = tmp_path_factory.mktemp("fps")
    return {rate: media.sync_clip(folder / f"sync{rate}.mp4", seconds=2.0, rate=rate)
            for rate in (30, 60)}


def onsets(path: Path, fps: int) -> tuple[list[float], list[float]]:
    """Times (s) where a flash begins in the picture, and where a beep begins in the sound."""
    height = probe(path).height
    bright = [f[:height].astype(np.float64).mean() > 128 for f in media.frames_yuv(path)]
    video = [i / fps for i, b in enumerate(bright) if b and (i == 0 or not bright[i - 1])]
    samples, rate, t0 = media.audio_samples_timed(path)
    mono = np.abs(samples).max(axis=0)
    idx = np.flatnonzero(mono > 0.25 * mono.max())
    starts = [idx[0]] + [b for a, b in zip(idx, idx[1:], strict=False) if b - a > rate * 0.05]
    return video, [t0 + s / rate for s in starts]


def test_the_frame_grid_follows_the_draft() -> None:
    assert [fg.output_fps(decode_draft({"m": {"fps": v}}))
            for v in (60, 30, 24, "60", True, None)] == \
        [60, 30, 30, 30, 30, 30]
    assert (fg.frame_at(1000, 60), fg.samples_per_frame(60), fg.samples_per_frame()) == \
        (60, 800, 1600)
    layout = sheet_layout(1080, 1920, 2000, 4, 60)
    assert layout.frame_numbers == (15, 45, 75, 105)
    # the self-check holds a render to the draft's rate: 30 fps is a violation at 60
    from skill.engine.render.probe import Probe

    p = Probe(path=Path("x.mp4"), has_video=True, has_audio=False, width=1080, height=1920,
              fps=30.0, vcodec="h264", profile="High", pix_fmt="yuv420p",
              video_duration=2.0, moov_before_mdat=True)
    [fps_problem, no_audio] = check_probe(p, Expected(1080, 1920, 120, fps=60))
    assert "not a constant 60 fps" in fps_problem and "30 fps" in fps_problem
    assert "audio" in no_audio.lower()


def test_a_60fps_clip_exports_at_60fps_in_sync(
        clips: dict[int, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["--backend", "local", "upload", str(clips[60])]) == 0
    capsys.readouterr()
    assert main(["--backend", "local", "edit", "make it 60 fps"]) == 0
    assert "Frame rate: 60 fps" in capsys.readouterr().out
    assert main(["--backend", "local", "--json", "status"]) == 0
    [status] = [line for line in map(json.loads, capsys.readouterr().out.splitlines())
                if line["kind"] == "summary"]
    assert status["data"]["timeline"]["canvas"]["fps"] == 60
    assert main(["--backend", "local", "export", "-o", "out.mp4"]) == 0
    p = probe(tmp_path / "out.mp4", exhaustive=True)
    assert (p.fps, p.vfr, p.frame_count) == (60.0, False, 120)
    assert p.video_duration == pytest.approx(2.0, abs=1 / 60)
    assert p.audio_duration == pytest.approx(p.video_duration, abs=1 / 60 + 1024 / 48000)
    video, audio = onsets(tmp_path / "out.mp4", 60)
    assert video == pytest.approx([0.0, 0.5, 1.0, 1.5], abs=1 / 60)
    assert len(audio) == len(video)
    assert max(abs(v - a) for v, a in zip(video, audio, strict=True)) <= 1 / 60 + 0.005


@pytest.mark.parametrize(("lang", "says"), [
    ("en", "sync30.mp4 was not shot at 60 fps, so the video is 30 fps again"),
    ("zh", "sync30.mp4 不是 60 fps 拍摄的，所以视频改回 30 fps"),
])
def test_a_30fps_clip_added_to_a_60fps_edit_brings_it_back_to_30fps_and_says_so(
        clips: dict[int, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, lang: str, says: str) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["--backend", "local", "upload", str(clips[60])]) == 0
    assert main(["--backend", "local", "edit", "make it 60 fps"]) == 0
    capsys.readouterr()
    assert main(["--backend", "local", "--lang", lang, "upload", str(clips[30])]) == 0
    assert says in capsys.readouterr().out
    assert main(["--backend", "local", "--json", "status"]) == 0
    [status] = [line for line in map(json.loads, capsys.readouterr().out.splitlines())
                if line["kind"] == "summary"]
    assert status["data"]["timeline"]["canvas"]["fps"] == 30
    assert main(["--backend", "local", "export", "--preview", "-o", "out.mp4"]) == 0
    p = probe(tmp_path / "out.mp4", exhaustive=True)
    assert (p.fps, p.frame_count) == (30.0, 120)      # both clips, 4 s at 30 fps
    # and 60 fps is not given back while a 30 fps clip is on the timeline
    assert main(["--backend", "local", "edit", "make it 60 fps"]) == 3
    assert "stays at 30 fps" in capsys.readouterr().out


def test_a_60fps_clip_added_to_a_60fps_edit_keeps_it(
        clips: dict[int, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["--backend", "local", "upload", str(clips[60])]) == 0
    assert main(["--backend", "local", "edit", "make it 60 fps"]) == 0
    capsys.readouterr()
    other = media.sync_clip(tmp_path / "other60.mp4", seconds=1.0, rate=60)
    assert main(["--backend", "local", "upload", str(other)]) == 0
    assert "60 fps" not in capsys.readouterr().out
    assert main(["--backend", "local", "--json", "status"]) == 0
    [status] = [line for line in map(json.loads, capsys.readouterr().out.splitlines())
                if line["kind"] == "summary"]
    assert status["data"]["timeline"]["canvas"]["fps"] == 60
    assert len(status["data"]["timeline"]["clips"]) == 2


@pytest.mark.parametrize(("words", "lang", "says"), [
    ("make it 60 fps", "en", "the source is 30 fps, so the video stays at 30 fps"),
    ("改成60帧", "zh", "素材是 30 fps，所以视频保持 30 fps"),
])
def test_a_30fps_clip_stays_30fps_and_the_reply_says_why(
        clips: dict[int, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        words: str, lang: str, says: str) -> None:
    out = tmp_path / "out.mp4"
    assert main(["--backend", "local", "make", str(clips[30]), words, "-o", str(out)]) == 3
    printed = capsys.readouterr()
    assert says in printed.out + printed.err and not out.exists()
    assert main(["--backend", "local", "--json", "make", str(clips[30]), words,
                 "-o", str(out), "--partial"]) == 3
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    [spans] = [line["data"]["not_done"] for line in lines if line["kind"] == "not_done"]
    assert [n["text"] for n in spans] == ["60 fps"] and says in spans[0]["why"]
    p = probe(out, exhaustive=True)
    assert (p.fps, p.frame_count) == (30.0, 60)


def test_typed_set_fps_60_on_a_30fps_clip_names_the_op_and_why() -> None:
    from skill.engine.ops import MediaItem, PlanContext, initial_draft
    from skill.engine.typed_ops import apply_all, parse_edits
    from skill.errors import InputError

    for rate, ok in ((29.97, False), (59.94, True)):
        ctx = PlanContext((MediaItem("v1", "/v/a.mp4", "a.mp4", "video", 2000, 1920, 1080, True,
                                     rate),))
        ops = parse_edits([{"op": "set_fps", "args": {"fps": 60}}])
        if ok:
            assert encode_draft(apply_all(initial_draft(ctx), ops, ctx))["m"]["fps"] == 60
        else:
            with pytest.raises(InputError) as info:
                apply_all(initial_draft(ctx), ops, ctx)
            assert "the source is 30 fps, so the video stays at 30 fps" in info.value.ctx["problem"]
    with pytest.raises(InputError):
        parse_edits([{"op": "set_fps", "args": {"fps": 24}}])


def test_a_home_from_before_frame_rates_learns_them(clips: dict[int, Path], tmp_path: Path) -> None:
    import sqlite3

    from skill.engine.workspace import Workspace

    home = tmp_path / "home"
    home.mkdir()
    with sqlite3.connect(home / "engine.sqlite") as conn:   # the media table as it was
        conn.execute("CREATE TABLE media (id TEXT PRIMARY KEY, path TEXT NOT NULL, name TEXT"
                     " NOT NULL, kind TEXT NOT NULL, size INTEGER NOT NULL, duration_ms INTEGER,"
                     " width INTEGER, height INTEGER, has_audio INTEGER NOT NULL DEFAULT 0,"
                     " created REAL NOT NULL)")
        conn.execute("INSERT INTO media VALUES ('m1', ?, 'sync60.mp4', 'video', 1, 2000, 64, 64,"
                     " 1, 0)", (str(clips[60]),))
        conn.execute("PRAGMA user_version=1")
    ws = Workspace(home)
    sid = ws.create_session().id
    ws.db.attach_media(sid, "m1", "sync60.mp4")
    assert ws.db.get_media("m1").fps is None                 # the column is there, empty
    [item] = ws.context(sid, "en").media
    assert item.fps == 60.0
    assert ws.db.get_media("m1").fps == 60.0                  # probed once, then kept
