"""Real renders of tiny generated clips, checked on the probed file, pixels and samples."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from skill.draft import decode_draft
from skill.engine.render.ffmpeg import ffmpeg_exe, run_ffmpeg
from skill.engine.render.pipeline import RenderOptions, RenderReport, extract_cover, render
from skill.engine.render.probe import probe
from skill.engine.render.selfcheck import check_output
from skill.engine.sample import make_sample
from skill.errors import EngineError
from tests import media
from tests.wire import apply_wire

FAST = RenderOptions(preset="superfast")   # still H.264 High: the self-check applies
HOSTILE = ("'a\"b:c;d,e[f]g\\h%i{j}k\nline two 🎉 城市之梦 '; drawtext=text=pwned "
           "\\N {\\b1} [out]; movie=/etc/passwd")


def vseg(src: Path, s: int, d: int, **m: Any) -> dict[str, Any]:
    return {"s": s, "d": d, "m": {"src": str(src), "name": src.name, **m}}


def text_track(role: str, *segs: tuple[int, int, str, dict[str, Any]]) -> dict[str, Any]:
    return {"tt": 7, "m": {"role": role},
            "sg": [{"s": s, "d": d, "m": {"text": t, **m}} for s, d, t, m in segs]}


def lofi(s: int, d: int, **m: Any) -> dict[str, Any]:
    return {"tt": 1, "m": {"role": "bgm", "name": "Lo-fi"},
            "sg": [{"s": s, "d": d, "m": {"mood": "lofi", "volume": 0.35, **m}}]}


class Renderer:
    """Runs renders into one module folder, sharing the music cache."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.progress: dict[str, list[tuple[str, float, float | None]]] = {}

    def __call__(self, name: str, draft: dict[str, Any], options: RenderOptions = FAST,
                 work_dir: Path | None = None) -> RenderReport:
        calls = self.progress.setdefault(name, [])
        return asyncio.run(render(
            decode_draft(draft), self.root / f"{name}.mp4", work_dir=work_dir or self.root / f"work-{name}",
            music_dir=self.root / "music", options=options,
            progress=lambda *a: calls.append(a)))


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("render")


@pytest.fixture(scope="module")
def run(root: Path) -> Renderer:
    return Renderer(root)


@pytest.fixture(scope="module")
def clips(root: Path) -> dict[str, Path]:
    src = root / "src"
    src.mkdir()
    return {
        "silent": media.plain_clip(src / "silent.mp4", seconds=2.0, audio=False),
        "sync": media.sync_clip(src / "sync.mp4", seconds=3.0),
        "dark": media.solid_clip(src / "dark.mp4", seconds=1.0, size="180x320"),
        "rotated": media.rotated_clip(src / "rotated.mp4", seconds=1.0),
        "vfr": media.vfr_clip(src / "vfr.mp4"),
        "hevc": media.hevc60_clip(src / "hevc.mp4"),
        "odd": media.odd_clip(src / "odd.mp4"),
        "still": media.still_image(src / "still.png"),
    }


def square_draft(clips: dict[str, Path], *, title: bool) -> dict[str, Any]:
    tracks: list[dict[str, Any]] = [{"tt": 0, "m": {}, "sg": [vseg(clips["silent"], 0, 2000)]}]
    if title:
        tracks += [lofi(0, 2000, fade_out=500),
                   text_track("title", (0, 1000, "Urban Dreams", {"position": "center"}))]
    return {"t": tracks, "m": {"ratio": "1:1", "w": 1080, "h": 1080}}


@pytest.fixture(scope="module")
def square(run: Renderer, clips: dict[str, Path]) -> RenderReport:
    return run("square", square_draft(clips, title=True), RenderOptions())


@pytest.fixture(scope="module")
def square_plain(run: Renderer, clips: dict[str, Path]) -> RenderReport:
    return run("square-plain", square_draft(clips, title=False))


# ------------------------------------------------------------------ helpers

def luma(frame_yuv: np.ndarray, height: int) -> np.ndarray:
    return frame_yuv[:height].astype(np.float64)


def audio_onsets(path: Path) -> list[float]:
    """Start times (s) of tone bursts in the file's audio."""
    samples, rate, t0 = media.audio_samples_timed(path)
    mono = np.abs(samples).max(axis=0)
    loud = mono > 0.25 * mono.max()
    idx = np.flatnonzero(loud)
    starts = [idx[0]] + [b for a, b in zip(idx, idx[1:], strict=False) if b - a > rate * 0.05]
    return [t0 + s / rate for s in starts]


def video_onsets(path: Path) -> list[float]:
    """Times (s) of frames where a flash begins (a dark frame, then a bright one)."""
    frames = media.frames_yuv(path)
    height = probe(path).height
    bright = [luma(f, height).mean() > 128 for f in frames]
    return [i / 30 for i, b in enumerate(bright) if b and (i == 0 or not bright[i - 1])]


def assert_in_sync(path: Path, expected_flashes: int) -> None:
    video, audio = video_onsets(path), audio_onsets(path)
    assert len(video) == expected_flashes, (video, audio)
    assert len(audio) == len(video), (video, audio)
    worst = max(abs(v - a) for v, a in zip(video, audio, strict=True))
    assert worst <= 1 / 30 + 0.005, (worst, video, audio)


# ------------------------------------------------------------------ tests

def test_square_post_with_title_and_music_passes_the_self_check(
        square: RenderReport, run: Renderer) -> None:
    p = square.probe
    assert p.width == p.height == 1080
    assert square.violations == []
    assert (p.vcodec, p.profile, p.pix_fmt, p.fps, p.vfr) == ("h264", "High", "yuv420p", 30.0, False)
    assert (p.acodec, p.sample_rate, p.channels, p.moov_before_mdat) == ("aac", 48000, 2, True)
    assert p.frame_count == 60 and abs(p.video_duration - 2.0) < 1e-6
    calls = run.progress["square"]
    assert calls and all(label == "render" and total == 2.0 for label, _, total in calls)
    done = [d for _, d, _ in calls]
    assert done == sorted(done) and done[-1] == 2.0


def test_music_is_audible_where_the_source_is_silent(
        square: RenderReport, square_plain: RenderReport) -> None:
    with_music, _ = media.audio_samples(square.path)
    without, _ = media.audio_samples(square_plain.path)
    assert media.rms_db(with_music[:, 4800:72000]) > -30      # -14 LUFS-ish music bed
    assert media.rms_db(without) < -80                        # generated silence
    assert square_plain.probe.has_audio and square_plain.violations == []


def test_title_region_differs_from_the_same_frame_without_it(
        square: RenderReport, square_plain: RenderReport) -> None:
    a, b = (media.frames_rgb(r.path, [0.5, 1.5]) for r in (square, square_plain))
    band = (slice(470, 610), slice(150, 930))                 # centre title band
    title_diff = np.abs(a[0][band].astype(int) - b[0][band].astype(int)).mean()
    after_diff = np.abs(a[1][band].astype(int) - b[1][band].astype(int)).mean()
    assert title_diff > 15 and after_diff < 3                 # gone after its 1 s


def test_cover_jpeg_is_the_frame_at_cover_time(square: RenderReport, root: Path) -> None:
    import av

    draft = {"t": [{"tt": 0, "sg": [{"s": 0, "d": 2000, "m": {}}]}], "m": {"cover_ms": 1500}}
    jpg = asyncio.run(extract_cover(decode_draft(draft), square.path, root / "cover.jpg"))
    assert jpg.read_bytes()[:3] == b"\xff\xd8\xff"
    with av.open(str(jpg)) as c:
        frame = next(c.decode(video=0)).to_ndarray(format="rgb24")
    want = media.frames_rgb(square.path, [1.5])[0]
    assert frame.shape == (1080, 1080, 3)
    assert np.abs(frame.astype(int) - want.astype(int)).mean() < 6


def test_preview_is_half_size_and_passes_the_preview_check(
        run: Renderer, clips: dict[str, Path]) -> None:
    rep = run("preview", square_draft(clips, title=True), RenderOptions(preview=True))
    assert (rep.probe.width, rep.probe.height) == (540, 540)
    assert rep.violations == []
    assert rep.argv[rep.argv.index("-preset") + 1] == "ultrafast"
    assert check_output(rep.path, decode_draft(square_draft(clips, title=True)),
                        preview=True) == []


def test_double_speed_halves_the_duration_and_keeps_sync(
        run: Renderer, clips: dict[str, Path]) -> None:
    # 3 s of source at 2× = 1.5 s; flashes (and beeps) every 0.25 s instead of 0.5 s
    draft = {"t": [{"tt": 0, "m": {}, "sg": [vseg(clips["sync"], 0, 1500, speed=2.0)]},
                   lofi(0, 1500, duck=True, volume=0.05)],
             "m": {"ratio": "9:16"}}
    rep = run("speed", draft)
    assert rep.violations == []
    assert rep.probe.frame_count == 45 and abs(rep.probe.video_duration - 1.5) < 1e-6
    onsets = video_onsets(rep.path)
    assert onsets == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0, 1.25], abs=0.034)
    assert_in_sync(rep.path, 6)


def test_audio_stays_in_sync_over_many_cuts(run: Renderer, clips: dict[str, Path]) -> None:
    ins = [0, 730, 1460, 190, 2210, 920, 1650, 370, 2480]
    segs = [vseg(clips["sync"], i * 410, 410, **{"in": x}) for i, x in enumerate(ins)]
    rep = run("cuts", {"t": [{"tt": 0, "m": {}, "sg": segs}], "m": {"ratio": "1:1"}})
    assert rep.violations == []
    assert rep.probe.frame_count == round(len(ins) * 410 * 30 / 1000)
    flashes = video_onsets(rep.path)
    assert len(flashes) >= 7
    assert_in_sync(rep.path, len(flashes))


def test_hostile_caption_renders_literally_inside_the_safe_zone(
        run: Renderer, clips: dict[str, Path], root: Path) -> None:
    work = root / "w'o:r,k [d];ir%"
    draft = {"t": [{"tt": 0, "m": {}, "sg": [vseg(clips["dark"], 0, 1000)]},
                   text_track("caption", (0, 1000, HOSTILE, {}))],
             "m": {"ratio": "9:16", "w": 1080, "h": 1920}}
    rep = run("hostile", draft, work_dir=work)
    assert rep.violations == []
    graph = rep.argv[rep.argv.index("-filter_complex") + 1]
    assert "pwned" not in graph and "drawtext" not in graph and "passwd" not in graph
    ass = next(work.glob("text-*.ass")).read_text(encoding="utf-8")
    assert "drawtext=text=pwned" in ass and "\\{j\\}" in ass
    frame = media.frames_rgb(rep.path, [0.5])[0]
    ys, xs = np.nonzero(frame.min(axis=2) > 200)              # white glyph fill
    assert len(xs) > 2000
    assert xs.min() >= 65 and xs.max() <= 1015 and ys.max() <= 1250


def test_phone_rotation_odd_hevc_vfr_60fps_still_and_no_audio_inputs(
        run: Renderer, clips: dict[str, Path]) -> None:
    order = [("rotated", 600, {}), ("vfr", 500, {}), ("hevc", 500, {"speed": 1.5}),
             ("odd", 400, {}), ("still", 500, {"kind": "image"}), ("silent", 500, {})]
    segs, t = [], 0
    for name, d, m in order:
        segs.append(vseg(clips[name], t, d, **m))
        t += d
    rep = run("mixed", {"t": [{"tt": 0, "m": {}, "sg": segs}], "m": {"ratio": "9:16"}})
    assert rep.violations == []
    assert rep.probe.has_audio and rep.probe.frame_count == 90
    top, bottom = (media.frames_rgb(rep.path, [0.3])[0][rows] for rows in
                   (slice(100, 500), slice(1420, 1820)))
    # stored landscape left-red/right-blue, displayed (rotated 90°) blue on top of red
    assert top[..., 2].mean() > 150 and top[..., 0].mean() < 60
    assert bottom[..., 0].mean() > 150 and bottom[..., 2].mean() < 60
    samples, _ = media.audio_samples(rep.path)
    assert media.rms_db(samples[:, :28800]) > -40            # the rotated clip's tone


def test_blur_fit_black_and_white_landscape(run: Renderer, clips: dict[str, Path]) -> None:
    draft = {"t": [{"tt": 0, "m": {}, "sg": [vseg(clips["rotated"], 0, 1000)]}],
             "m": {"ratio": "16:9", "fit": "blur", "look": "bw", "vfade_out": 300}}
    rep = run("blur", draft)
    assert rep.violations == [] and (rep.probe.width, rep.probe.height) == (1920, 1080)
    yuv = media.frames_yuv(rep.path)[5]
    y, chroma = yuv[:1080], yuv[1080:].astype(int)
    assert np.abs(chroma - 128).max() <= 3                   # no colour left
    assert y[:, :300].mean() > 30                            # blurred fill, not black bars


def test_sample_clip(root: Path) -> None:
    out = asyncio.run(make_sample(root / "sample.mp4", seconds=1.0))
    p = probe(out, exhaustive=True)
    assert (p.width, p.height, p.fps, p.vcodec, p.profile) == (1080, 1920, 30.0, "h264", "High")
    assert (p.acodec, p.sample_rate, p.channels, p.moov_before_mdat) == ("aac", 48000, 2, True)
    first, last = media.frames_rgb(out, [0.0, 0.95])
    assert np.abs(first.astype(int) - last.astype(int)).mean() > 5   # it moves
    samples, _ = media.audio_samples(out)
    assert media.rms_db(samples) > -30


def test_self_check_reports_a_violating_file(root: Path) -> None:
    bad = media.bad_output(root / "bad.mp4")
    draft = {"t": [{"tt": 0, "sg": [{"s": 0, "d": 3000, "m": {}}]}], "m": {"ratio": "9:16"}}
    problems = check_output(bad, decode_draft(draft))
    text = " ".join(problems)
    for needle in ("320×240", "not the 1080×1920", "High 4:4:4", "yuv444p", "25 fps",
                   "no audio track", "moov", "3.000"):
        assert needle in text, (needle, problems)
    assert check_output(bad, decode_draft(draft), lang="zh")[0].startswith("画面尺寸")


def test_engine_error_keeps_command_and_stderr_tail(root: Path) -> None:
    argv = [ffmpeg_exe(), "-i", str(root / "missing.mp4"), str(root / "x.mp4")]
    with pytest.raises(EngineError) as err:
        asyncio.run(run_ffmpeg(argv))
    assert err.value.returncode not in (0, None)
    assert "missing.mp4" in err.value.stderr_tail
    assert err.value.cmd[0] == argv[0] and "-progress" in err.value.cmd


def _ffmpeg_running_for(marker: str) -> bool:
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if marker in (proc / "cmdline").read_bytes().decode("utf-8", "replace"):
                    return True
            except OSError:
                continue
    return False


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
def test_cancel_stops_ffmpeg_and_leaves_no_partial_file(
        root: Path, clips: dict[str, Path]) -> None:
    out = root / "cancel-me.mp4"
    draft = {"t": [{"tt": 0, "m": {}, "sg": [vseg(clips["still"], 0, 30000, kind="image")]}],
             "m": {"ratio": "9:16"}}

    async def main() -> None:
        started = asyncio.Event()
        progress: Callable[[str, float, float | None], None] = \
            lambda *_: started.set()  # noqa: E731
        task = asyncio.create_task(render(decode_draft(draft), out, work_dir=root / "work-cancel",
                                          music_dir=root / "music", progress=progress))
        await asyncio.wait_for(started.wait(), 30)
        assert _ffmpeg_running_for(str(out))
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert not _ffmpeg_running_for(str(out))
    assert not out.exists() and not out.with_name(out.name + ".partial").exists()
    assert not os.path.exists(str(out) + ".partial")


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
def test_a_second_cancel_during_the_stop_still_reaps_the_encoder(tmp_path: Path) -> None:
    # A user's cancel, then the server's shutdown cancelling the same render while the
    # encoder is being stopped: the process must still be stopped and reaped before the
    # task ends (else the loop can close first and the transport leaks, running).
    pid_file = tmp_path / "pid"
    stubborn = tmp_path / "stubborn-encoder"
    stubborn.write_text(f"#!/bin/sh\ntrap '' TERM\necho $$ > {pid_file}\n"
                        "while :; do sleep 0.1; done\n")
    stubborn.chmod(0o755)

    async def main() -> int:
        task = asyncio.create_task(run_ffmpeg([str(stubborn)], private=False))
        for _ in range(500):
            if pid_file.exists() and pid_file.read_text().strip():
                break
            await asyncio.sleep(0.01)
        pid = int(pid_file.read_text())
        task.cancel()
        await asyncio.sleep(0.3)        # inside the stop's grace: SIGTERM is ignored
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return pid

    pid = asyncio.run(main())
    assert not Path(f"/proc/{pid}").exists(), "the encoder outlived its cancelled task"


def test_bright_look_lifts_dark_footage_and_keeps_its_colour(run: Renderer,
                                                             clips: dict[str, Path]) -> None:
    plain = {"t": [{"tt": 0, "m": {}, "sg": [vseg(clips["dark"], 0, 1000)]}], "m": {"ratio": "9:16"}}
    bright = {**plain, "m": {"ratio": "9:16", "look": "bright"}}
    before, after = (run(name, d) for name, d in (("dark-plain", plain), ("dark-bright", bright)))
    assert before.violations == [] and after.violations == []
    y0, y1 = (media.frames_yuv(r.path)[10][:1920].astype(int) for r in (before, after))
    assert y1.mean() > y0.mean() + 12         # the 0x202020 grey comes up clearly
    c0, c1 = (media.frames_yuv(r.path)[10][1920:].astype(int) for r in (before, after))
    assert np.abs(c1 - 128).max() <= 4 and np.abs(c0 - 128).max() <= 4   # still neutral


def test_music_that_comes_in_later_is_silent_until_then(run: Renderer, clips: dict[str, Path]) -> None:
    from skill.engine.ops import PlanContext, SetMusic

    draft = {"t": [{"tt": 0, "m": {}, "sg": [vseg(clips["silent"], 0, 2000)]},
                   lofi(0, 2000)], "m": {"ratio": "9:16"}}
    draft = apply_wire(SetMusic(start_ms=1000), draft, PlanContext(()))
    assert draft["t"][1]["sg"][0]["s"] == 1000 and draft["t"][1]["sg"][0]["d"] == 1000
    rep = run("music-late", draft)
    assert rep.violations == [] and abs(rep.probe.duration - 2.0) < 0.05
    samples, rate = media.audio_samples(rep.path)
    assert media.rms_db(samples[:, : int(0.9 * rate)]) < -70          # nothing before 1 s
    assert media.rms_db(samples[:, int(1.1 * rate): int(1.9 * rate)]) > -35
