"""What igedit knows about the picture and sound of one clip, and the thin readers that
make it: one downscaled ffmpeg decode (the preview proxy when there is one) fed to
:class:`~.detect.FrameScanner`, one low-rate audio decode for loudness per second.

Results are cached as JSON under ``IGEDIT_HOME/vision`` (0600), keyed by a hash of the
clip's content (its size and its first and last MiB), so a renamed or copied file
keeps its analysis and an edited one is analysed anew.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from ...errors import EngineError, InputError
from ..render.childproc import child_options
from ..render.ffmpeg import ffmpeg_exe
from . import detect
from .detect import Box

log = structlog.get_logger(__name__)
VERSION = 1
ANALYSIS_WIDTH = 480
AUDIO_RATE = 8000
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Analysis:
    """Scenes, subjects, activity and loudness of one clip (times in seconds)."""

    duration: float
    width: int
    height: int
    cuts: list[float] = field(default_factory=list)          # scene boundaries
    activity: list[float] = field(default_factory=list)      # per second, 0–255 scale
    loudness: list[float] = field(default_factory=list)      # per second, dBFS
    subjects: list[tuple[float, list[Box]]] = field(default_factory=list)

    @property
    def scenes(self) -> list[tuple[float, float]]:
        """(start, end) of each scene, back to back over the whole clip."""
        edges = [0.0, *[c for c in self.cuts if 0 < c < self.duration], self.duration]
        return [(a, b) for a, b in zip(edges, edges[1:], strict=False) if b > a]

    @property
    def has_subject(self) -> bool:
        return any(boxes for _, boxes in self.subjects)

    def to_json(self) -> dict[str, Any]:
        return {"v": VERSION, "duration": self.duration, "width": self.width,
                "height": self.height, "cuts": self.cuts, "activity": self.activity,
                "loudness": self.loudness,
                "subjects": [[round(t, 3), [b.as_list() for b in boxes]]
                             for t, boxes in self.subjects]}

    @staticmethod
    def from_json(raw: dict[str, Any]) -> Analysis:
        if raw.get("v") != VERSION:
            raise ValueError("analysis of another version")
        return Analysis(float(raw["duration"]), int(raw["width"]), int(raw["height"]),
                        [float(c) for c in raw["cuts"]],
                        [float(a) for a in raw["activity"]],
                        [float(x) for x in raw["loudness"]],
                        [(float(t), [Box.from_list(b) for b in boxes])
                         for t, boxes in raw["subjects"]])


# ---------------------------------------------------------------- cache

def content_key(src: Path) -> str:
    """A hash of ``src``'s content: its size and its first and last MiB."""
    h = hashlib.sha1(f"{VERSION}|".encode())
    size = src.stat().st_size
    h.update(str(size).encode())
    with open(src, "rb") as f:
        h.update(f.read(_CHUNK))
        if size > 2 * _CHUNK:
            f.seek(size - _CHUNK)
            h.update(f.read(_CHUNK))
    return h.hexdigest()[:24]


def cache_dir() -> Path:
    from ...store import default_home

    return default_home() / "vision"


def cache_path(src: Path, folder: Path | None = None) -> Path:
    return (folder or cache_dir()) / f"{content_key(src)}.json"


def load(src: Path, folder: Path | None = None) -> Analysis | None:
    """The cached analysis of ``src``, or None (none yet, unreadable, or outdated)."""
    try:
        raw = json.loads(cache_path(Path(src), folder).read_text(encoding="utf-8"))
        return Analysis.from_json(raw)
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def save(src: Path, result: Analysis, folder: Path | None = None) -> Path:
    """Write the analysis of ``src`` atomically, readable by the owner only."""
    dest = cache_path(Path(src), folder)
    dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = dest.with_name(f".{dest.stem}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(result.to_json(), f, separators=(",", ":"))
    os.replace(tmp, dest)
    return dest


def analyse_cached(src: Path, *, read_from: Path | None = None,
                   folder: Path | None = None) -> Analysis:
    """The analysis of ``src``: from the cache, else made now (from ``read_from``, e.g.
    its proxy, when given) and cached."""
    found = load(src, folder)
    if found is not None:
        return found
    result = analyse(Path(read_from or src))
    save(src, result, folder)
    return result


# ---------------------------------------------------------------- readers

def _size(width: int, height: int) -> tuple[int, int]:
    w = min(ANALYSIS_WIDTH, width) // 4 * 4 or 4
    h = max(4, int(round(height * w / max(1, width) / 4)) * 4)
    return w, h


def video_argv(ffmpeg: str, src: Path, w: int, h: int) -> list[str]:
    """Decode ``src`` to raw YUV 4:2:0 frames of ``w``×``h`` at 30 fps on stdout (pure)."""
    return [ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin",
            "-skip_loop_filter", "all", "-i", str(src), "-map", "0:v:0", "-an",
            "-vf", f"fps={detect.FPS},scale={w}:{h}:flags=fast_bilinear,format=yuv420p",
            "-f", "rawvideo", "-pix_fmt", "yuv420p", "pipe:1"]


def audio_argv(ffmpeg: str, src: Path, rate: int = AUDIO_RATE) -> list[str]:
    """Decode ``src``'s first audio track to mono 16-bit PCM at ``rate`` on stdout (pure)."""
    return [ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-i", str(src),
            "-map", "0:a:0", "-vn", "-ac", "1", "-ar", str(rate), "-f", "s16le", "pipe:1"]


def read_pcm(src: Path, rate: int = AUDIO_RATE) -> np.ndarray:
    """``src``'s sound as float32 mono samples in −1…1 (empty when it has none)."""
    proc = subprocess.run(audio_argv(ffmpeg_exe(), src, rate), capture_output=True,
                          check=False, **child_options(private=False))
    if proc.returncode != 0:
        return np.zeros(0, np.float32)
    return np.frombuffer(proc.stdout, "<i2").astype(np.float32) / 32768.0


def loudness_per_second(pcm: np.ndarray, rate: int = AUDIO_RATE) -> list[float]:
    """RMS level of each second, in dBFS (−90 for silence). Pure."""
    out = []
    for i in range(0, len(pcm), rate):
        chunk = pcm[i: i + rate]
        rms = float(np.sqrt(np.mean(chunk.astype(np.float64) ** 2))) if chunk.size else 0.0
        out.append(round(max(-90.0, 20 * float(np.log10(rms))) if rms > 0 else -90.0, 2))
    return out


def analyse(src: Path, *, faces: bool = True) -> Analysis:
    """Analyse ``src`` now: scenes, subjects, activity (video) and loudness (audio)."""
    from ..render.probe import probe

    src = Path(src)
    info = probe(src)
    if not info.has_video or info.is_image:
        raise InputError(f"{src.name}: has no moving picture to analyse", key="error_no_video",
                         file=src.name)
    dw = int(round(info.width * (info.sar or 1.0)))
    w, h = _size(dw, info.height)
    scanner = detect.FrameScanner(w, h, faces=faces)
    frame_bytes = w * h * 3 // 2
    argv = video_argv(ffmpeg_exe(), src, w, h)
    # the decoder dies with us (kill -9 included: see render/childproc.py), never decoding on
    # for a process nobody waits for
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, **child_options(private=False))
    assert proc.stdout is not None and proc.stderr is not None
    try:
        while True:
            frame = proc.stdout.read(frame_bytes)
            if len(frame) < frame_bytes:
                break
            scanner.feed(frame)
    finally:
        proc.stdout.close()
        err = proc.stderr.read().decode("utf-8", "replace")
        code = proc.wait()
        proc.stderr.close()
    if code != 0 and not scanner.diffs:
        raise EngineError(f"ffmpeg could not decode {src.name} for analysis", cmd=argv,
                          returncode=code, stderr_tail=err[-2000:])
    cuts = detect.find_cuts(scanner.diffs)
    activity = list(scanner.activity)
    for c in cuts:   # a cut is not activity
        i = int(round(c * detect.FPS))
        if 0 <= i < len(activity):
            activity[i] = 0.0
    duration = len(scanner.diffs) / detect.FPS or info.duration
    loud = loudness_per_second(read_pcm(src)) if info.has_audio else []
    log.info("vision.analysed", file=src.name, frames=len(scanner.diffs), cuts=len(cuts))
    return Analysis(round(duration, 3), dw, info.height, cuts, detect.per_second(activity),
                    loud, scanner.subjects)


def analyse_for_upload(src: Path, proxy: Path | None = None) -> Analysis | None:
    """The upload-time analysis (run by the detached, idle proxy builder right after the
    clip's proxy): read from the proxy when there is one; None when it failed."""
    try:
        read_from = proxy if proxy is not None and proxy.is_file() else None
        return analyse_cached(Path(src), read_from=read_from)
    except Exception as exc:   # a detached process: log it, never a traceback on a terminal
        log.warning("vision.failed", src=Path(src).name, error=str(exc))
        return None
