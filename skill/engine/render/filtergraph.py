"""Pieces of the one ``-filter_complex`` graph a render runs (pure string building).

The timeline is quantised to the output frame grid (30 fps, or 60 when the draft asks
for it: :func:`output_fps`): a segment covers a whole number of frames and its audio
exactly ``frames × 1600`` samples (48 kHz / 30; 800 at 60 fps), so audio and video are
cut at the same instants and cannot drift apart however many cuts there are.
"""

from __future__ import annotations

import re
from typing import Any

from ...draft import CANVAS, MAX_SPEED, MIN_SPEED, VIDEO, Draft, Segment
from .loudness import METER, master_filters

FPS = 30
#: output frame rates a draft may ask for (``Draft.fps``); Instagram takes 23–60 fps and
#: 30 is its safe default. Both divide 48 kHz, so a frame is a whole number of samples.
RATES = (30, 60)
SAMPLE_RATE = 48000
SAMPLES_PER_FRAME = SAMPLE_RATE // FPS
SPEED_RANGE = (MIN_SPEED, MAX_SPEED)

#: canvas per aspect ratio (Instagram delivery sizes; defined in skill.draft)
CANVASES = CANVAS
DEFAULT_CANVAS = CANVASES["9:16"]

#: colour looks, applied once after the segments are joined. All work on the YUV planes
#: directly (lookup tables / eq): RGB filters such as colorbalance cost ~5× the encode.
LOOKS: dict[str, tuple[str, ...]] = {
    "warm": ("lutyuv=u='clip(val-7,16,240)':v='clip(val+9,16,240)'", "eq=saturation=1.08"),
    "cool": ("lutyuv=u='clip(val+9,16,240)':v='clip(val-6,16,240)'", "eq=saturation=0.95"),
    "bw": ("lutyuv=u=128:v=128", "eq=contrast=1.08"),
    "vivid": ("eq=saturation=1.4:contrast=1.06",),
    # lifts the shadows and mid-tones of dark phone footage, highlights barely move
    "bright": ("eq=brightness=0.04:gamma=1.25:saturation=1.05",),
}

#: tags the joined picture as BT.709 limited range. Without it the encoder's colour
#: options make ffmpeg insert a matrix conversion of every frame (~12 % of a render).
TAG_709 = "setparams=colorspace=bt709:color_primaries=bt709:color_trc=bt709:range=tv"

_LEVEL1 = re.compile(r"([\\':])")
_LEVEL2 = re.compile(r"([\\'\[\],;])")


def escape_filter_value(value: str) -> str:
    """Escape ``value`` for use as one filter option inside a filtergraph description.

    Two levels, per ffmpeg's "Notes on filtergraph escaping": first the option value
    (``\\ ' :``), then the graph description (``\\ ' [ ] , ;``).
    """
    return _LEVEL2.sub(r"\\\1", _LEVEL1.sub(r"\\\1", value))


def output_fps(draft: Draft) -> int:
    """The draft's output frame rate: ``fps`` when it is one of :data:`RATES`, else 30."""
    fps = draft.fps
    return fps if isinstance(fps, int) and fps in RATES else FPS


def samples_per_frame(fps: int = FPS) -> int:
    """Audio samples in one output frame (48 kHz: 1600 at 30 fps, 800 at 60)."""
    return SAMPLE_RATE // fps


def frame_at(ms: int, fps: int = FPS) -> int:
    """Index of the output frame at timeline time ``ms`` (nearest; exact integer math)."""
    return (max(0, int(ms)) * fps + 500) // 1000


def number(value: float) -> str:
    """A float for a filter argument: short, no exponent, no trailing zeros."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def clamp_speed(value: Any) -> float:
    try:
        speed = float(value)
    except (TypeError, ValueError):
        return 1.0
    if speed != speed or speed <= 0:   # NaN or nonsense
        return 1.0
    return min(SPEED_RANGE[1], max(SPEED_RANGE[0], speed))


def gain(value: Any, default: float = 1.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    linear = float(value)
    if linear != linear:
        return default
    if linear > 4.0:          # "35" meaning 35 %
        linear = linear / 100.0
    return min(4.0, max(0.0, linear))


def canvas(draft: Draft, preview: bool = False) -> tuple[int, int]:
    """Output size from the draft's ``width``×``height`` (or ``ratio``); halved for previews."""
    w, h = draft.width, draft.height
    if w is not None and h is not None and 240 <= w <= 3840 and 240 <= h <= 3840:
        width, height = int(w), int(h)
    else:
        width, height = CANVASES.get(draft.ratio or "", DEFAULT_CANVAS)
    if preview:
        width, height = width // 2, height // 2
    return width - width % 2, height - height % 2


def atempo_chain(speed: float) -> list[str]:
    """``atempo`` filters multiplying to ``speed`` (each factor within 0.5–2)."""
    if abs(speed - 1.0) < 1e-9:
        return []
    parts: list[str] = []
    rest = speed
    while rest > 2.0 + 1e-9:
        parts.append("atempo=2")
        rest /= 2.0
    while rest < 0.5 - 1e-9:
        parts.append("atempo=0.5")
        rest /= 0.5
    if abs(rest - 1.0) > 1e-9:
        parts.append(f"atempo={number(rest)}")
    return parts


def look_filters(look: Any) -> list[str]:
    """The filters of a look; a composed look (``vivid+bright+warm``) chains its parts."""
    return [f for part in str(look or "").lower().split("+") for f in LOOKS.get(part, ())]


def geometry(fit: str, width: int, height: int, label: str, *, sar: float = 1.0,
             image: bool = False, fast: bool = False, to709: bool = False,
             full_range: bool = False, crop_x: str | None = None) -> list[str]:
    """Filters turning any frame into exactly ``width``×``height`` (square pixels).

    ``crop``: centre-crop to the canvas's aspect, then scale. ``blur``: the whole frame fitted inside,
    over a blurred, darkened fill of itself (blurred at quarter size: cheap).
    Returns graph *statements*; the first consumes ``[{label}in]`` and the last
    produces ``[{label}]``.
    """
    pre = []
    if abs(sar - 1.0) > 0.01:   # anamorphic source: make pixels square first
        pre.append("scale=trunc(iw*sar/2)*2:ih,setsar=1")
    # Delivery is BT.709 limited range. Stills (RGB or full-range JPEG) and sources tagged
    # otherwise are converted here, in the scaler; everything else passes through untouched
    # and is only tagged at the end (setparams), never converted twice.
    color = ""
    if image or to709:
        color += ":out_color_matrix=bt709"
    if image or full_range:
        color += ":out_range=tv"
    if fast:   # previews: cheapest scaler; the picture is only looked at, not delivered
        color += ":flags=fast_bilinear"
    if fit == "blur":
        qw, qh = max(2, width // 4 // 2 * 2), max(2, height // 4 // 2 * 2)
        head = ",".join([*pre, "split=2"]) if pre else "split=2"
        return [
            f"[{label}in]{head}[{label}bg][{label}fg]",
            f"[{label}bg]scale={qw}:{qh}:force_original_aspect_ratio=increase{color},"
            f"crop={qw}:{qh},boxblur=10:2,eq=brightness=-0.06,scale={width}:{height}[{label}bgs]",
            f"[{label}fg]scale={width}:{height}:force_original_aspect_ratio=decrease"
            f":force_divisible_by=2{color}[{label}fgs]",
            f"[{label}bgs][{label}fgs]overlay=(W-w)/2:(H-h)/2,setsar=1,format=yuv420p[{label}]",
        ]
    # crop the largest centred region of the canvas's shape first, then scale: the scaler
    # reads fewer pixels, and is skipped entirely when the crop is already canvas-sized
    crop = (f"crop=w='min(iw,trunc(ih*{width}/{height}))'"
            f":h='min(ih,trunc(iw*{height}/{width}))'")
    if crop_x:   # subject-aware reframe: x follows the camera path, per frame
        crop += f":x='{crop_x}'"
    chain = [*pre, crop, f"scale={width}:{height}{color}", "setsar=1", "format=yuv420p"]
    return [f"[{label}in]{','.join(chain)}[{label}]"]


def video_segment(inp: int, label: str, frames: int, speed: float, fit: str,
                  width: int, height: int, *, sar: float = 1.0, image: bool = False,
                  fast: bool = False, to709: bool = False,
                  full_range: bool = False, crop_x: str | None = None,
                  fps: int = FPS) -> list[str]:
    """Statements producing ``[label]``: exactly ``frames`` frames at ``fps`` CFR."""
    pts = "PTS-STARTPTS" if speed == 1.0 else f"(PTS-STARTPTS)/{number(speed)}"
    head = f"[{inp}:v:0]setpts={pts},fps={fps}[{label}gin]"
    # tpad clones the last frame if the source runs out early; trim makes the count exact
    tail = (f"[{label}g]tpad=stop_mode=clone:stop=-1,trim=end_frame={frames},"
            f"setpts=PTS-STARTPTS[{label}]")
    return [head, *geometry(fit, width, height, f"{label}g", sar=sar, image=image, fast=fast,
                            to709=to709, full_range=full_range, crop_x=crop_x), tail]


def audio_segment(inp: int | None, label: str, frames: int, speed: float,
                  volume: float, lead_s: float = 0.0, fps: int = FPS) -> str:
    """Statement producing ``[label]``: exactly ``frames × 1600`` samples (at 30 ``fps``;
    800 a frame at 60), 48 kHz stereo.
    ``inp`` None (no audio track, muted, still image) gives generated silence. ``lead_s``:
    how much later the sound starts than the picture (output seconds; negative: earlier),
    so a clip whose tracks start apart (edit lists, phones) stays in sync."""
    samples = frames * samples_per_frame(fps)
    fmt = f"aformat=sample_fmts=fltp:sample_rates={SAMPLE_RATE}:channel_layouts=stereo"
    if inp is None:
        return f"anullsrc=r={SAMPLE_RATE}:cl=stereo,atrim=end_sample={samples},{fmt}[{label}]"
    chain = ["asetpts=PTS-STARTPTS",
             # async fills gaps in the source's timestamps, so sync survives them
             f"aresample={SAMPLE_RATE}:async=1:first_pts=0",
             *atempo_chain(speed), fmt]
    lead = round(lead_s * SAMPLE_RATE)
    if lead > 0:     # the sound starts after the first frame: silence until it does
        chain.append(f"adelay=delays={lead}S:all=1")
    elif lead < 0:   # the sound starts before the first frame: drop what comes before
        chain += [f"atrim=start_sample={-lead}", "asetpts=PTS-STARTPTS"]
    if abs(volume - 1.0) > 1e-9:
        chain.append(f"volume={number(volume)}")
    chain += [f"apad=whole_len={samples}", f"atrim=end_sample={samples}",
              "asetpts=PTS-STARTPTS"]
    return f"[{inp}:a:0]{','.join(chain)}[{label}]"


def music_segment(inp: int, label: str, start_ms: int, samples: int, volume: float,
                  fade_in_ms: int, fade_out_ms: int) -> str:
    """Statement producing ``[label]``: the music trimmed to ``samples``, faded, delayed
    to ``start_ms`` on the timeline."""
    secs = samples / SAMPLE_RATE
    chain = [f"aresample={SAMPLE_RATE}",
             f"aformat=sample_fmts=fltp:sample_rates={SAMPLE_RATE}:channel_layouts=stereo",
             f"atrim=end_sample={samples}", "asetpts=PTS-STARTPTS",
             f"volume={number(volume)}"]
    fi = min(fade_in_ms / 1000, secs)
    fo = min(fade_out_ms / 1000, secs)
    if fi > 0:
        chain.append(f"afade=t=in:st=0:d={number(fi)}")
    if fo > 0:
        chain.append(f"afade=t=out:st={number(secs - fo)}:d={number(fo)}")
    start = max(0, start_ms) * SAMPLE_RATE // 1000
    if start:
        chain.append(f"adelay=delays={start}S:all=1")
    return f"[{inp}:a:0]{','.join(chain)}[{label}]"


def mix_bus(orig: str, beds: list[tuple[str, bool]]) -> tuple[list[str], str]:
    """Statements mixing music ``beds`` (label, duck?) over ``[orig]``; returns them and
    the label of the mix. Ducked beds go through ``sidechaincompress`` keyed by ``orig``."""
    if not beds:
        return [], orig
    keys = [label for label, duck in beds if duck]
    out = [f"[{orig}]asplit={len(keys) + 1}[orig]" + "".join(f"[k{k}]" for k in keys)
           if keys else f"[{orig}]anull[orig]"]
    parts = ["[orig]"]
    for label, duck in beds:
        if duck:   # the music dips under the original sound (speech), keyed by it
            out.append(f"[{label}][k{label}]sidechaincompress=threshold=0.03:ratio=6"
                       f":attack=30:release=400[{label}d]")
            parts.append(f"[{label}d]")
        else:
            parts.append(f"[{label}]")
    out.append(f"{''.join(parts)}amix=inputs={len(parts)}:duration=first"
               f":dropout_transition=0:normalize=0[mix]")
    return out, "mix"


#: samples faded in and out at the very start and end of every render (one AAC frame,
#: 21 ms, inaudible): the AAC encoder cannot switch to short windows in its first frame,
#: so a drum hit there came out 3 dB over the limiter's ceiling (+0.4 dBTP, measured), and
#: a cut mid-waveform at the end clicks.
EDGE_FADE_SAMPLES = 1024


def master_audio(mix: str, label: str, samples: int, *, loudnorm: bool,
                 fade_in_s: float = 0.0, fade_out_s: float = 0.0, quick: bool = False,
                 gain_db: float | None = None, meter: bool = False) -> str:
    """The final audio chain: fades, loudness, 48 kHz stereo, exactly ``samples`` long.

    Loudness (:mod:`.loudness`): the gain measured beforehand (``gain_db``; None = none)
    and a true-peak limiter. ``meter``: the chain of the measuring pass instead, ending in
    the EBU R128 meter, with the limiter only once a gain is being checked. ``quick``
    (previews): a peak limiter at −1 dBFS only, no measurement.
    Timestamps are rewritten from the sample count at the end: whatever a filter did to
    them, the audio track is gapless and exactly as long as the picture.
    """
    duration = samples / SAMPLE_RATE
    chain = []
    edge = min(EDGE_FADE_SAMPLES, samples // 4) if loudnorm else 0
    if fade_in_s > 0:
        chain.append(f"afade=t=in:st=0:d={number(min(fade_in_s, duration))}")
    elif edge:   # see EDGE_FADE_SAMPLES
        chain.append(f"afade=t=in:ns={edge}")
    if fade_out_s > 0:
        fade_out_s = min(fade_out_s, duration)
        chain.append(f"afade=t=out:st={number(duration - fade_out_s)}:d={number(fade_out_s)}")
    elif edge:
        chain.append(f"afade=t=out:ss={samples - edge}:ns={edge}")
    if loudnorm and quick:
        chain.append("alimiter=limit=0.891:level=false")
    elif loudnorm:
        chain += master_filters(gain_db, limit=gain_db is not None or not meter)
    chain += [f"aformat=sample_fmts=fltp:sample_rates={SAMPLE_RATE}:channel_layouts=stereo",
              f"apad=whole_len={samples}", f"atrim=end_sample={samples}",
              f"asetpts=N/{SAMPLE_RATE}/TB"]
    if meter:
        chain.append(METER)
    return f"[{mix}]{','.join(chain)}[{label}]"


def video_track_segments(draft: Draft) -> list[Segment]:
    """Segments of the draft's video track, in timeline order."""
    for track in draft.tracks:
        if track.type == VIDEO and track.segments:
            return sorted(track.segments, key=lambda s: s.start_ms)
    return []


def timeline_frames(draft: Draft) -> int:
    """Output frame count of a draft: its video segments back to back, on its frame grid
    (:func:`output_fps`)."""
    return frame_at(sum(s.dur_ms for s in video_track_segments(draft)), output_fps(draft))
