"""Self-check: does a rendered MP4 meet the Instagram delivery spec and its draft?

Checked after every render (and usable on any file): canvas, H.264 High, yuv420p,
the draft's frame rate constant (30, or 60 when asked), AAC-LC 48 kHz stereo audio present, duration within one frame of the
draft, audio as long as the video, ``moov`` before ``mdat``, and for exports the
loudness (−14 ± 1 LUFS integrated, true peak ≤ −1 dBTP, silence still silent; see
:mod:`.loudness`). Each violation is one sentence for the user.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...draft import Draft
from ...templates import render as say
from . import filtergraph as fg
from .loudness import Loudness
from .loudness import check as loudness_check
from .probe import Probe, probe

#: slack on top of "one frame" for container timestamp rounding
_EPS = 0.002
#: audio may run up to one video frame and one AAC frame (1024 samples) past the video
_AAC_FRAME_S = 1024 / fg.SAMPLE_RATE


@dataclass(frozen=True)
class Expected:
    """What a render of a draft must look like."""

    width: int
    height: int
    frames: int
    preview: bool = False
    loudness: bool = False     # −14 LUFS / −1 dBTP applies (measured with the file)
    silent: bool = False       # … except that the mix was silence, which must stay silent
    fps: int = fg.FPS          # constant output frame rate (the draft's fps)

    @property
    def duration(self) -> float:
        return self.frames / self.fps


def expected_output(draft: Draft, *, preview: bool = False) -> Expected:
    width, height = fg.canvas(draft, preview)
    return Expected(width, height, fg.timeline_frames(draft), preview, fps=fg.output_fps(draft))


def check_probe(p: Probe, exp: Expected, *, lang: str = "en",
                level: Loudness | None = None) -> list[str]:
    """Violations of ``p`` against ``exp`` (``[]`` = the file passes); ``level`` is the
    file's measured loudness, checked when ``exp.loudness``."""
    found: list[tuple[str, dict[str, Any]]] = []
    if not p.has_video:
        found.append(("check_no_video", {}))
    else:
        if (p.width, p.height) != (exp.width, exp.height):
            found.append(("check_canvas", {"found": f"{p.width}×{p.height}",
                                           "expected": f"{exp.width}×{exp.height}"}))
        if p.vcodec != "h264":
            found.append(("check_vcodec", {"found": p.vcodec}))
        elif not exp.preview and p.profile != "High":
            found.append(("check_profile", {"found": p.profile or "unknown"}))
        if p.pix_fmt != "yuv420p":
            found.append(("check_pix_fmt", {"found": p.pix_fmt}))
        if abs(p.fps - exp.fps) > 0.01 or p.vfr:
            found.append(("check_fps", {"found": f"{p.fps:.3g}", "vfr": p.vfr,
                                        "expected": exp.fps}))
        if exp.frames and abs(p.video_duration - exp.duration) > 1 / exp.fps + _EPS:
            found.append(("check_duration", {"found": f"{p.video_duration:.3f}",
                                             "expected": f"{exp.duration:.3f}"}))
    if not p.has_audio:
        found.append(("check_no_audio", {}))
    else:
        if p.acodec != "aac" or p.audio_profile not in ("LC", ""):
            found.append(("check_acodec", {"found": f"{p.acodec} {p.audio_profile}".strip()}))
        if p.sample_rate != fg.SAMPLE_RATE or p.channels != 2:
            found.append(("check_audio_format", {"rate": p.sample_rate, "channels": p.channels}))
        if p.has_video and p.audio_duration and \
                abs(p.audio_duration - p.video_duration) > 1 / exp.fps + _AAC_FRAME_S + _EPS:
            found.append(("check_audio_length", {"audio": f"{p.audio_duration:.3f}",
                                                 "video": f"{p.video_duration:.3f}"}))
        if exp.loudness:
            found += loudness_check(level, silent=exp.silent)
    if p.moov_before_mdat is not True:
        found.append(("check_faststart", {}))
    return [say(key, lang, **ctx) for key, ctx in found]


def check_output(path: Path, draft: Draft, *, preview: bool = False,
                 lang: str = "en") -> list[str]:
    """Probe ``path`` and list its violations of the delivery spec and ``draft``."""
    return check_probe(probe(Path(path), exhaustive=True),
                       expected_output(draft, preview=preview), lang=lang)
