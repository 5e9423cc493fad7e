"""Tiny test media generated with ffmpeg's lavfi sources (1–2 s, small frames).

Each helper writes one file (if not already there) and returns its path, so module-
scoped fixtures can share them. Nothing is downloaded.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np


def ffmpeg() -> str:
    from skill.engine.render.ffmpeg import ffmpeg_exe

    return ffmpeg_exe()


def run(*args: str) -> None:
    """Run ffmpeg with ``args`` (no shell); raise with stderr on failure."""
    proc = subprocess.run([ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", *args],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {proc.stderr[-2000:]}")


def _x264(*extra: str) -> list[str]:
    return ["-c:v", "libx264", "-preset", "ultrafast", *extra]


def plain_clip(path: Path, *, seconds: float = 1.0, size: str = "320x180", rate: int = 30,
               audio: bool = True, tone_hz: int = 440) -> Path:
    """testsrc2 picture with (optionally) a sine tone."""
    if not path.exists():
        args = ["-f", "lavfi", "-i", f"testsrc2=s={size}:r={rate}:d={seconds}"]
        if audio:
            args += ["-f", "lavfi", "-i", f"sine=f={tone_hz}:r=48000:d={seconds}"]
        args += [*_x264("-pix_fmt", "yuv420p"), *(["-c:a", "aac"] if audio else []),
                 "-shortest", str(path)]
        run(*args)
    return path


def solid_clip(path: Path, *, color: str = "0x202020", seconds: float = 1.0,
               size: str = "180x320", audio: bool = False) -> Path:
    """A flat colour (easy to find text on), optionally with a silent audio track."""
    if not path.exists():
        args = ["-f", "lavfi", "-i", f"color=c={color}:s={size}:r=30:d={seconds}"]
        if audio:
            args += ["-f", "lavfi", "-i", f"anullsrc=r=48000:cl=stereo:d={seconds}"]
        run(*args, *_x264("-pix_fmt", "yuv420p"), *(["-c:a", "aac"] if audio else []),
            "-shortest", str(path))
    return path


def rotated_clip(path: Path, *, seconds: float = 1.0, audio: bool = True) -> Path:
    """A phone-style clip: stored landscape 320×180 (left half red, right half blue)
    with display-matrix rotation 90°, so it *displays* as portrait 180×320."""
    if not path.exists():
        raw = path.with_name(path.stem + "-raw.mp4")
        args = ["-f", "lavfi", "-i", f"color=c=red:s=160x180:r=30:d={seconds}",
                "-f", "lavfi", "-i", f"color=c=blue:s=160x180:r=30:d={seconds}"]
        if audio:
            args += ["-f", "lavfi", "-i", f"sine=f=330:r=44100:d={seconds}"]
        run(*args, "-filter_complex", "[0:v][1:v]hstack=2[v]", "-map", "[v]",
            *(["-map", "2:a", "-c:a", "aac"] if audio else []),
            *_x264("-pix_fmt", "yuv420p"), str(raw))
        run("-display_rotation", "90", "-i", str(raw), "-c", "copy", str(path))
        raw.unlink()
    return path


def vfr_clip(path: Path, *, seconds: float = 1.0) -> Path:
    """Variable frame rate: timestamps jitter around 30 fps."""
    if not path.exists():
        run("-f", "lavfi", "-i", f"testsrc2=s=320x240:r=30:d={seconds}",
            "-f", "lavfi", "-i", f"sine=f=550:r=48000:d={seconds}",
            "-vf", "settb=1/1000,setpts='(N/30+if(mod(N,3),0.011,0))/TB'", "-fps_mode", "vfr", "-enc_time_base:v", "1:1000",
            *_x264("-pix_fmt", "yuv420p"), "-c:a", "aac", "-shortest", str(path))
    return path


def hevc60_clip(path: Path, *, seconds: float = 1.0) -> Path:
    """HEVC, 10-bit, 60 fps, stereo 44.1 kHz audio."""
    if not path.exists():
        run("-f", "lavfi", "-i", f"testsrc2=s=320x240:r=60:d={seconds}",
            "-f", "lavfi", "-i", f"sine=f=660:r=44100:d={seconds}",
            "-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le",
            "-x265-params", "log-level=error", "-tag:v", "hvc1", "-c:a", "aac", "-ac", "2",
            str(path))
    return path


def odd_clip(path: Path, *, seconds: float = 1.0) -> Path:
    """Odd dimensions (321×181, 4:4:4 H.264 so the odd size is real), no audio, 25 fps."""
    if not path.exists():
        run("-f", "lavfi", "-i", f"testsrc2=s=320x180:r=25:d={seconds}",
            "-vf", "scale=321:181", *_x264("-pix_fmt", "yuv444p"), str(path))
    return path


def still_image(path: Path, *, size: str = "300x400") -> Path:
    """A PNG still (RGB)."""
    if not path.exists():
        run("-f", "lavfi", "-i", f"testsrc2=s={size}:r=1:d=1", "-frames:v", "1", str(path))
    return path


def sync_clip(path: Path, *, seconds: float = 3.0, rate: int = 30) -> Path:
    """Flash + beep every 0.5 s (first 0.1 s of each half second): white frames and a
    1 kHz tone at exactly the same instants, to measure A/V sync after cuts."""
    if not path.exists():
        run("-f", "lavfi", "-i", f"color=c=black:s=64x64:r={rate}:d={seconds}",
            "-f", "lavfi", "-i",
            f"aevalsrc='if(lt(mod(t\\,0.5)\\,0.1)\\,0.5*sin(2*PI*1000*t)\\,0)':s=48000:d={seconds}",
            "-vf", "geq=lum='if(lt(mod(T\\,0.5)\\,0.1)\\,235\\,16)':cb=128:cr=128",
            *_x264("-pix_fmt", "yuv420p"), "-c:a", "aac", "-b:a", "128k", "-shortest",
            str(path))
    return path


def bad_output(path: Path) -> Path:
    """An MP4 that breaks the delivery spec: yuv444p, 25 fps, no audio, moov at the end."""
    if not path.exists():
        run("-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=1", *_x264("-pix_fmt", "yuv444p"),
            str(path))
    return path


# ------------------------------------------------------------------ decoding helpers

def frames_rgb(path: Path, times: list[float]) -> list[np.ndarray]:
    """RGB frames (H, W, 3 uint8) nearest to each time in ``times`` (seconds)."""
    import av

    out: list[np.ndarray] = []
    with av.open(str(path)) as container:
        frames = [(float(f.time or 0.0), f.to_ndarray(format="rgb24"))
                  for f in container.decode(video=0)]
    for t in times:
        out.append(min(frames, key=lambda tf: abs(tf[0] - t))[1])
    return out


def frames_yuv(path: Path) -> list[np.ndarray]:
    """Every frame as a yuv420p plane stack (the raw bytes, Y then U then V)."""
    import av

    with av.open(str(path)) as container:
        return [f.to_ndarray(format="yuv420p") for f in container.decode(video=0)]


def audio_samples(path: Path) -> tuple[np.ndarray, int]:
    """All audio as float (channels, samples) and the sample rate."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        chunks = [f.to_ndarray().astype(np.float64) for f in container.decode(stream)]
    data = np.concatenate(chunks, axis=1) if chunks else np.zeros((2, 0))
    return data, rate


def rms_db(samples: np.ndarray) -> float:
    rms = float(np.sqrt(np.mean(np.square(samples)))) if samples.size else 0.0
    return 20 * np.log10(max(rms, 1e-9))


def audio_samples_timed(path: Path) -> tuple[np.ndarray, int, float]:
    """Like :func:`audio_samples`, plus the presentation time of the first sample."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        t0: float | None = None
        chunks = []
        for frame in container.decode(stream):
            if t0 is None:
                t0 = float(frame.time or 0.0)
            chunks.append(frame.to_ndarray().astype(np.float64))
    data = np.concatenate(chunks, axis=1) if chunks else np.zeros((2, 0))
    return data, rate, t0 or 0.0


#: audio for loudness tests (aevalsrc expressions of t, stereo): each a kind of content
SOUNDS: dict[str, str] = {
    # a syllable rhythm of voiced harmonics with pauses, and sharp "consonant" clicks
    # whose peaks sit ~20 dB above the voice: quiet speech that needs a large gain
    "quiet_speech": ("0.012*(sin(2*PI*140*t)+0.6*sin(2*PI*280*t)+0.4*sin(2*PI*700*t)"
                     "+0.3*sin(2*PI*1250*t))*pow(sin(2*PI*2.5*t)\\,2)*gt(sin(2*PI*0.4*t)\\,-0.5)"
                     "+0.25*lt(mod(t\\,0.8)\\,0.002)*sin(2*PI*3100*t)"),
    # bass drum, a square-wave lead and a fifth, near full scale: loud, dense music
    "loud_music": ("max(-0.99\\,min(0.99\\,0.7*sin(2*PI*55*t)*exp(-8*mod(t\\,0.5))"
                   "+0.3*(2*gt(sin(2*PI*220*t)\\,0)-1)+0.25*sin(2*PI*330*t)"
                   "+0.12*sin(2*PI*1760*t)*exp(-20*mod(t\\,0.25))))"),
    "tone": "0.1*sin(2*PI*440*t)+0.05*sin(2*PI*660*t)",
    "silence": "0",
    # room tone only: a faint hiss around −60 LUFS, nothing anyone says
    "noise_floor": "0.0015*(random(0)-0.5)",
}


def sound_clip(path: Path, sound: str, *, seconds: float = 3.0) -> Path:
    """A tiny 64×64 clip whose audio is :data:`SOUNDS` ``[sound]`` (48 kHz stereo AAC)."""
    if not path.exists():
        expr = SOUNDS[sound]
        run("-f", "lavfi", "-i", f"color=c=0x336699:s=64x64:r=30:d={seconds}",
            "-f", "lavfi", "-i", f"aevalsrc={expr}|{expr}:s=48000:d={seconds}",
            *_x264("-pix_fmt", "yuv420p"), "-c:a", "aac", "-b:a", "192k", "-shortest",
            str(path))
    return path


def loudness(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) of ``path``'s audio, by ffmpeg's EBU R128 meter
    (``ebur128=peak=true``). Silence gives (−70.0, −inf)."""
    import re

    proc = subprocess.run([ffmpeg(), "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a",
                           "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-"],
                          capture_output=True, text=True, check=True)
    summary = proc.stderr[proc.stderr.rindex("Summary:"):]
    integrated = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    peak = re.search(r"Peak:\s+(-?(?:inf|[\d.]+)) dBFS", summary)
    assert integrated and peak, summary
    return float(integrated.group(1)), float(peak.group(1))


def av_mismatch_clip(path: Path, case: str) -> Path:
    """Clips whose audio and video tracks differ in length, as phones and editors make them.

    ``vfr_audio_longer``: variable frame rate (timestamps jitter), 97 frames (3.233 s) with
    3.300 s of audio; ``audio_shorter``: 3.3 s of picture, 2 s of sound; ``edit_list``: an
    MP4 cut with ``-c copy`` (an edit list hides the frames before the cut, the audio starts
    elsewhere); ``video_late``: the picture starts 67 ms after the sound.
    """
    if path.exists():
        return path
    vfr = ["-vf", "settb=1/1000,setpts='(N/30+if(mod(N,3),0.011,0))/TB'", "-fps_mode", "vfr",
           "-enc_time_base:v", "1:1000"]
    if case == "vfr_audio_longer":
        run("-f", "lavfi", "-i", "testsrc2=s=160x120:r=30:d=3.2333",
            "-f", "lavfi", "-i", "sine=f=550:r=48000:d=3.3", *vfr,
            *_x264("-pix_fmt", "yuv420p"), "-c:a", "aac", str(path))
    elif case == "audio_shorter":
        run("-f", "lavfi", "-i", "testsrc2=s=160x120:r=30:d=3.3",
            "-f", "lavfi", "-i", "sine=f=550:r=48000:d=2.0",
            *_x264("-pix_fmt", "yuv420p"), "-c:a", "aac", str(path))
    elif case == "video_late":
        run("-f", "lavfi", "-i", "testsrc2=s=160x120:r=30:d=3.2333",
            "-f", "lavfi", "-i", "sine=f=550:r=48000:d=3.3",
            "-vf", "settb=1/1000,setpts='(0.0667+N/30)/TB'", "-fps_mode", "vfr",
            "-enc_time_base:v", "1:1000", *_x264("-pix_fmt", "yuv420p"), "-c:a", "aac",
            str(path))
    elif case == "edit_list":
        whole = path.with_name(path.stem + "-whole.mp4")
        run("-f", "lavfi", "-i", "testsrc2=s=160x120:r=30:d=5",
            "-f", "lavfi", "-i", "sine=f=550:r=48000:d=5.2",
            *_x264("-pix_fmt", "yuv420p", "-bf", "2", "-g", "15"), "-c:a", "aac", str(whole))
        run("-ss", "1.53", "-i", str(whole), "-c", "copy", str(path))
        whole.unlink()
    else:
        raise ValueError(case)
    return path


def late_video_sync_clip(path: Path, *, late_frames: int = 3, seconds: float = 3.0) -> Path:
    """:func:`sync_clip` whose picture starts ``late_frames`` frames after its sound (the
    first frames cut, their timestamps kept: an edit list), in sync where both play."""
    if not path.exists():
        run("-f", "lavfi", "-i", f"color=c=black:s=64x64:r=30:d={seconds}",
            "-f", "lavfi", "-i",
            f"aevalsrc='if(lt(mod(t\\,0.5)\\,0.1)\\,0.5*sin(2*PI*1000*t)\\,0)':s=48000:d={seconds}",
            "-vf", "geq=lum='if(lt(mod(T\\,0.5)\\,0.1)\\,235\\,16)':cb=128:cr=128,"
            f"trim=start_frame={late_frames}", "-fps_mode", "passthrough",
            *_x264("-pix_fmt", "yuv420p"), "-c:a", "aac", "-b:a", "128k", str(path))
    return path
