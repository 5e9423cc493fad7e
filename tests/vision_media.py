"""Clips made for the vision tests: a real face (fixtures/vision/face.jpg, public domain)
moving over a still landscape, and clips of several solid-colour scenes.

Frames are drawn with numpy and piped to ffmpeg; nothing is downloaded.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tests.media import ffmpeg

FACE = Path(__file__).resolve().parents[1] / "fixtures" / "vision" / "face.jpg"


def face_rgb() -> np.ndarray:
    """The face fixture as an RGB array (decoded with ffmpeg)."""
    proc = subprocess.run([ffmpeg(), "-v", "error", "-i", str(FACE), "-f", "rawvideo",
                           "-pix_fmt", "rgb24", "pipe:1"], capture_output=True, check=True)
    return np.frombuffer(proc.stdout, np.uint8).reshape(220, 180, 3)


def landscape(w: int, h: int) -> np.ndarray:
    """A still landscape: sky gradient, green hills, a little texture."""
    rng = np.random.default_rng(7)
    img = np.zeros((h, w, 3), np.uint8)
    sky = np.linspace(210, 140, h // 2)[:, None]
    img[: h // 2, :, 0] = (sky * 0.55).astype(np.uint8)
    img[: h // 2, :, 1] = (sky * 0.75).astype(np.uint8)
    img[: h // 2, :, 2] = sky.astype(np.uint8)
    img[h // 2:, :, 0] = 60
    img[h // 2:, :, 1] = 120
    img[h // 2:, :, 2] = 50
    noise = rng.integers(-12, 12, (h, w, 1))
    return np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def _encode(path: Path, w: int, h: int, fps: int, frames: int,
            draw: Callable[[int], np.ndarray], tone: Callable[[float], float] | None,
            grain: bool = False) -> Path:
    seconds = frames / fps
    args = [ffmpeg(), "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", str(fps),
            "-i", "pipe:0"]
    if tone is not None:
        args += ["-f", "lavfi", "-i", f"sine=f=330:r=48000:d={seconds}"]
    if grain:   # sensor noise that changes every frame, as in real footage
        args += ["-vf", "noise=alls=6:allf=t+u"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if tone is not None:
        args += ["-af", f"volume='{tone_expr(tone, seconds)}':eval=frame", "-c:a", "aac",
                 "-shortest"]
    args.append(str(path))
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None
    for i in range(frames):
        proc.stdin.write(draw(i).tobytes())
    proc.stdin.close()
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    proc.stderr.close()
    if proc.wait() != 0:
        raise RuntimeError(f"ffmpeg failed: {err[-2000:]}")
    return path


def tone_expr(level: Callable[[float], float], seconds: float) -> str:
    """A piecewise-constant volume expression, one value per second."""
    parts = "+".join(f"between(t,{s},{s + 0.999})*{level(s):.3f}" for s in range(int(seconds) + 1))
    return parts


def face_walk(path: Path, *, seconds: float = 6.0, size: tuple[int, int] = (1280, 720),
              fps: int = 30, still: bool = False, start: float = 0.15,
              end: float = 0.85, grain: bool = False) -> Path:
    """The face moving from ``start`` to ``end`` (share of the width, its centre) at a
    steady pace, or standing at ``start`` (``still``)."""
    if path.exists():
        return path
    w, h = size
    bg = landscape(w, h)
    face = face_rgb()
    fh, fw = face.shape[:2]
    frames = int(seconds * fps)

    def draw(i: int) -> np.ndarray:
        share = start if still else start + (end - start) * i / max(1, frames - 1)
        x = int(share * w - fw / 2)
        y = h // 2 - fh // 2
        img = bg.copy()
        img[y: y + fh, x: x + fw] = face
        return img

    return _encode(path, w, h, fps, frames, draw, None, grain)


def face_centre_x(i: int, frames: int, w: int, *, start: float = 0.15, end: float = 0.85,
                  still: bool = False) -> float:
    """Where :func:`face_walk` put the face's centre in frame ``i`` (pixels)."""
    share = start if still else start + (end - start) * i / max(1, frames - 1)
    return int(share * w - 90) + 90


SCENE_COLOURS = [(200, 40, 40), (40, 160, 60), (40, 60, 200), (220, 200, 40),
                 (160, 40, 160), (30, 180, 180)]


def scenes_clip(path: Path, *, scene_s: tuple[float, ...] = (4, 4, 4, 4, 4, 4),
                size: tuple[int, int] = (640, 360), fps: int = 30,
                busy: tuple[int, ...] = (1, 3)) -> Path:
    """Solid-colour scenes of the given lengths; a white square moves in the ``busy``
    scenes (visual activity) and the tone is louder there (audio energy)."""
    if path.exists():
        return path
    w, h = size
    bounds = np.cumsum([0, *scene_s])
    frames = int(bounds[-1] * fps)

    def scene_at(t: float) -> int:
        return int(np.searchsorted(bounds, t, side="right") - 1)

    def draw(i: int) -> np.ndarray:
        t = i / fps
        k = min(scene_at(t), len(scene_s) - 1)
        img = np.empty((h, w, 3), np.uint8)
        img[:] = SCENE_COLOURS[k % len(SCENE_COLOURS)]
        if k in busy:
            x = int((i * 17) % (w - 60))
            img[h // 3: h // 3 + 60, x: x + 60] = 255
        return img

    def level(s: float) -> float:
        return 1.0 if scene_at(s + 0.5) in busy else 0.1

    return _encode(path, w, h, fps, frames, draw, level)


#: where the committed speech fixture talk_en.mp4 pauses between its five phrases
#: (fixtures/speech/talk_en.json): a scene cut in the middle of each pause, on the frame
TALK_CUTS_S = (5.9, 11.567, 16.1, 20.7)
TALK_TOPICS = ("kitchen", "pasta", "flour", "eggs", "watching")


def talking_scenes(path: Path, *, size: tuple[int, int] = (320, 180)) -> Path:
    """Five solid-colour scenes under the speech of fixtures/speech/talk_en.mp4, one
    phrase per scene (:data:`TALK_TOPICS`), cut at :data:`TALK_CUTS_S`."""
    if path.exists():
        return path
    talk = Path(__file__).resolve().parents[1] / "fixtures" / "speech" / "talk_en.mp4"
    w, h = size
    edges = [0.0, *TALK_CUTS_S, 24.8]
    args = [ffmpeg(), "-hide_banner", "-loglevel", "error", "-y"]
    for (a, b), rgb in zip(zip(edges, edges[1:], strict=False), SCENE_COLOURS, strict=False):
        colour = "0x{:02x}{:02x}{:02x}".format(*rgb)
        args += ["-f", "lavfi", "-i", f"color=c={colour}:s={w}x{h}:r=30:d={b - a:.3f}"]
    n = len(edges) - 1
    args += ["-i", str(talk), "-filter_complex",
             "".join(f"[{i}:v]" for i in range(n)) + f"concat=n={n}:v=1:a=0[v]",
             "-map", "[v]", "-map", f"{n}:a", "-c:v", "libx264", "-preset", "ultrafast",
             "-pix_fmt", "yuv420p", "-c:a", "copy", "-shortest", str(path)]
    subprocess.run(args, check=True, capture_output=True)
    return path
