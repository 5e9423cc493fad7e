"""``igedit sample``: a clip the project makes itself, so the quick start needs no files.

10 s of 1080×1920 at 30 fps: drifting colour gradients with a test pattern gliding over
them, and a soft major chord that swells and fades. One ffmpeg run, H.264/AAC, +faststart.
"""

from __future__ import annotations

from pathlib import Path

from ..backend import ProgressCb
from .render.ffmpeg import ffmpeg_exe, run_ffmpeg
from .render.filtergraph import number

#: A major triad (A3, C#4, E4) with a slow swell: pleasant, not a test beep.
_CHORD = ("0.22*sin(2*PI*220*t)+0.16*sin(2*PI*277.18*t)+0.13*sin(2*PI*329.63*t)"
          "+0.05*sin(2*PI*440*t)")


def sample_argv(ffmpeg: str, out: Path, seconds: float = 10.0) -> list[str]:
    """The ffmpeg argv writing the sample clip (pure)."""
    d = number(seconds)
    swell = f"(0.6+0.4*sin(2*PI*t/{d}))*min(1\\,t/0.5)*min(1\\,({d}-t)/0.8)"
    # gradients are smooth: render them at quarter size and scale up (16× cheaper)
    video = (f"gradients=s=270x480:r=30:d={d}:c0=0x1d2b64:c1=0xf8cdda:c2=0x355c7d"
             f":c3=0xf67280:n=4:speed=0.02,scale=1080:1920:flags=bilinear,format=yuv420p[bg];"
             f"testsrc2=s=480x480:r=30:d={d},format=yuv420p[fg];"
             f"[bg][fg]overlay=x='(W-w)/2+220*sin(2*PI*t/{d})':y='(H-h)/2+420*cos(2*PI*t/{d})'"
             f":shortest=1,format=yuv420p[v]")
    audio = f"aevalsrc='({_CHORD})*{swell}':s=48000:c=stereo:d={d}[a]"
    return [ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
            "-filter_complex", f"{video};{audio}", "-map", "[v]", "-map", "[a]",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-profile:v", "high",
            "-pix_fmt", "yuv420p", "-r", "30", "-g", "60", "-keyint_min", "60",
            "-sc_threshold", "0", "-color_primaries", "bt709", "-color_trc", "bt709",
            "-colorspace", "bt709", "-c:a", "aac", "-b:a", "128k", "-ar", "48000",
            "-ac", "2", "-t", d, "-movflags", "+faststart", "-f", "mp4", str(out)]


async def make_sample(out: Path, seconds: float = 10.0, *,
                      progress: ProgressCb | None = None) -> Path:
    """Write the sample clip to ``out`` and return its path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".partial")
    try:
        await run_ffmpeg(sample_argv(ffmpeg_exe(), part, seconds), duration_s=seconds,
                         progress=progress, label="sample", private=False)  # the user's file
        part.replace(out)
    finally:
        part.unlink(missing_ok=True)
    return out
