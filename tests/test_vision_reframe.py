"""Subject-aware reframe: a real face walking across a landscape clip stays inside the
9:16 crop, a still face keeps the crop still, and the camera path is calm (pure tests)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from skill.draft import Segment, decode_draft, encode_draft
from skill.engine.render.pipeline import RenderOptions, render
from skill.engine.vision import analysis, camera, reframe
from skill.engine.vision.detect import Box
from tests.media import ffmpeg
from tests.vision_media import face_centre_x, face_rgb, face_walk, landscape

W, H = 1280, 720
CROP_W = int(H * 1080 / 1920) // 2 * 2         # 404: the crop's width in source pixels
PREVIEW = RenderOptions(preview=True)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("vision")
    face_walk(root / "walk.mp4")
    face_walk(root / "still.mp4", seconds=3.0, still=True, start=0.3)
    return root


def reel(src: Path, **meta: Any) -> dict[str, Any]:
    return {"t": [{"tt": 0, "sg": [{"s": 0, "d": 6000, "m": {"src": str(src), "name": src.name}}]}],
            "m": {"ratio": "9:16", "fit": "crop", **meta}}


def seg_of(meta: dict[str, Any]) -> Segment:
    """The typed video segment of a wire segment ``m``."""
    return decode_draft({"t": [{"tt": 0, "sg": [{"s": 0, "d": 1000, "m": meta}]}]}
                        ).tracks[0].segments[0]


def rendered_gray(path: Path) -> np.ndarray:
    """Every frame of ``path`` scaled back to the crop's size in source pixels, as luma."""
    proc = subprocess.run([ffmpeg(), "-v", "error", "-i", str(path), "-vf",
                           f"scale={CROP_W}:{H}", "-f", "rawvideo", "-pix_fmt", "gray",
                           "pipe:1"], capture_output=True, check=True)
    return np.frombuffer(proc.stdout, np.uint8).reshape(-1, H, CROP_W)


def crop_left(source: np.ndarray, shown: np.ndarray) -> int:
    """Where (source x) the rendered frame was cut from: the best match of its middle band."""
    import cv2

    band = shown[H // 4: 3 * H // 4, 8:-8]
    found = cv2.matchTemplate(source[H // 4: 3 * H // 4], band, cv2.TM_SQDIFF)
    return int(np.argmin(found[0])) - 8


def source_luma(face_x: int) -> np.ndarray:
    img = landscape(W, H)
    face = face_rgb()
    y = H // 2 - 110
    img[y: y + 220, face_x - 90: face_x + 90] = face
    rgb = img.astype(np.float32)
    return (0.2126 * rgb[..., 0] + 0.7152 * rgb[..., 1] + 0.0722 * rgb[..., 2]).astype(np.uint8)


def test_a_walking_face_stays_inside_the_crop(clips: Path) -> None:
    src = clips / "walk.mp4"
    out = clips / "walk-reel.mp4"
    report = asyncio.run(render(decode_draft(reel(src)), out, work_dir=clips / "w", music_dir=clips / "m",
                                options=PREVIEW))
    assert report.ok, report.violations
    assert any("crop=" in a and ":x='" in a for a in report.argv)
    frames = rendered_gray(out)
    n = len(frames)
    inside = 0
    checked = 0
    for i in range(0, n, 5):
        fx = face_centre_x(i, 180, W)
        left = crop_left(source_luma(fx), frames[i])
        checked += 1
        # the face box as the detector sees it is ~100 px wide: the photo's middle
        inside += left <= fx - 50 and fx + 50 <= left + CROP_W
    assert checked >= 30
    assert inside / checked >= 0.95, f"face inside the crop in {inside}/{checked} frames"


def test_a_still_face_keeps_the_crop_still(clips: Path) -> None:
    src = clips / "still.mp4"
    out = clips / "still-reel.mp4"
    draft = reel(src)
    draft["t"][0]["sg"][0]["d"] = 3000
    asyncio.run(render(decode_draft(draft), out, work_dir=clips / "w", music_dir=clips / "m",
                       options=PREVIEW))
    frames = rendered_gray(out)
    fx = face_centre_x(0, 90, W, start=0.3, still=True)
    lefts = [crop_left(source_luma(fx), f) for f in frames[::3]]
    steps = np.abs(np.diff(lefts)) / 3
    assert float(steps.max()) < 2.0
    assert lefts[0] <= fx - 50 and fx + 50 <= lefts[0] + CROP_W   # and it shows the face


def test_keep_it_centred_turns_tracking_off(clips: Path) -> None:
    found = analysis.analyse_cached(clips / "still.mp4")
    from skill.engine.render.probe import probe

    probes = {str(clips / "still.mp4"): probe(clips / "still.mp4")}
    followed, n = reframe.attach_paths(decode_draft(reel(clips / "still.mp4")), probes,
                                       lambda p: found)
    assert n == 1 and encode_draft(followed)["t"][0]["sg"][0]["m"]["cam"]
    centred, n = reframe.attach_paths(decode_draft(reel(clips / "still.mp4", reframe="center")),
                                      probes, lambda p: found)
    assert n == 0 and "cam" not in encode_draft(centred)["t"][0]["sg"][0]["m"]
    blurred, n = reframe.attach_paths(decode_draft(reel(clips / "still.mp4", fit="blur")),
                                      probes, lambda p: found)
    assert n == 0


def face(cx: float, w: float = 0.08) -> Box:
    return Box(cx - w / 2, 0.4, cx + w / 2, 0.6, w * w)


def test_camera_holds_in_the_dead_zone_and_jumps_only_at_cuts() -> None:
    crop_w = 0.316
    # jitter of ±1 % around 0.4: the camera never moves
    samples = [(i / 5, [face(0.4 + 0.01 * (-1) ** i)]) for i in range(50)]
    keys = camera.plan_path(samples, [], 10.0, crop_w)
    assert len({x for _, x in keys}) == 1 and abs(keys[0][1] - 0.4) <= 0.011
    xs = [camera.position_at(keys, i / 30) for i in range(300)]
    assert max(abs(a - b) for a, b in zip(xs, xs[1:], strict=False)) * 1280 < 2
    # a cut at 5 s to a face on the right: one jump there, none elsewhere
    samples = [(i / 5, [face(0.25 if i < 25 else 0.8)]) for i in range(50)]
    keys = camera.plan_path(samples, [5.0], 10.0, crop_w)
    xs = [camera.position_at(keys, i / 30) for i in range(300)]
    jumps = [i for i in range(1, 300) if abs(xs[i] - xs[i - 1]) > 0.01]
    assert jumps == [150]


def test_two_faces_that_fit_are_framed_together() -> None:
    assert camera.target_of([face(0.40), face(0.55)], 0.316) == pytest.approx(0.475)
    # too far apart: the bigger face wins
    assert camera.target_of([face(0.2, 0.1), face(0.8, 0.05)], 0.316) == pytest.approx(0.2)
    assert camera.target_of([], 0.316) is None


def test_crop_expression_is_a_flat_sum_matching_the_python_path() -> None:
    keys = [(0.0, 0.3), (1.0, 0.3), (2.0, 0.6), (4.0, 0.6)]
    expr = camera.crop_x_expr(keys, offset_s=0.5)
    assert expr.startswith("(0.3+0.3*clip((t-0.5)/1,0,1)")
    assert expr.endswith(")*iw-ow/2")
    assert camera.camera_x(seg_of({"cam": [[0, 0.3], [1, 0.3], [2, 0.6]], "in": 500})) == \
        camera.crop_x_expr([(0, 0.3), (1, 0.3), (2, 0.6)], offset_s=0.5)
    assert camera.camera_x(seg_of({"cam": "nonsense"})) is None
    assert camera.camera_x(seg_of({"cam": [[0, 7.0]]})) is None
    assert camera.position_at(keys, 1.5) == pytest.approx(0.45)


def test_analysis_is_cached_by_content_owner_only(clips: Path, tmp_path: Path) -> None:
    src = clips / "still.mp4"
    copy = tmp_path / "renamed.mp4"
    copy.write_bytes(src.read_bytes())
    first = analysis.analyse_cached(src, folder=tmp_path / "cache")
    path = analysis.cache_path(copy, tmp_path / "cache")
    assert path.is_file() and path.stat().st_mode & 0o777 == 0o600
    assert analysis.load(copy, tmp_path / "cache") == first
    assert first.has_subject and first.cuts == []


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="the parent-death signal and /proc are Linux's")
def test_the_analysis_decoder_dies_with_a_killed_parent(clips: Path, tmp_path: Path) -> None:
    from skill.engine.render.ffmpeg import ffmpeg_exe
    from tests.test_crash_hygiene import _exe, children, gone, wait_for

    # the real ffmpeg, told to read a FIFO nobody writes to: it waits forever and never
    # writes a frame, so only the parent-death signal (not a broken pipe) can stop it
    fifo = tmp_path / "never"
    os.mkfifo(fifo)
    slow = tmp_path / "ffmpeg-waits"
    slow.write_text("#!/bin/sh\nprev=\nfor a; do shift\n"
                    f"  if [ \"$prev\" = -i ]; then set -- \"$@\" '{fifo}'; "
                    "else set -- \"$@\" \"$a\"; fi\n  prev=$a\ndone\n"
                    f"exec '{ffmpeg_exe()}' \"$@\"\n")
    slow.chmod(0o755)
    decoder = 0
    parent = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", "import sys; from pathlib import Path; "
         "from skill.engine.vision.analysis import analyse; analyse(Path(sys.argv[1]))",
         str(clips / "walk.mp4")],
        env={**os.environ, "IGEDIT_FFMPEG": str(slow)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        real = Path(ffmpeg_exe()).resolve()

        def decoding() -> list[int]:
            return [c for c in children(parent.pid) if not gone(c) and _exe(c) == real]

        wait_for(decoding, "the analysis to start its decoder")
        decoder = decoding()[0]
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)
        wait_for(lambda: gone(decoder), "the decoder to die with its parent", timeout=10)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        if decoder and not gone(decoder):   # the test failed: do not leave it waiting
            os.kill(decoder, signal.SIGKILL)
