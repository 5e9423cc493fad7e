"""What a media file contains, read with PyAV (imported lazily) plus the MP4 atom order.

:func:`probe` never decodes more than one frame (to read the display rotation that
phones store as side data); frame-rate regularity comes from packet timestamps.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from ...errors import InputError

#: PyAV demuxer names of single-picture formats (a still, not a clip)
_IMAGE_FORMATS = {"image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "tiff_pipe",
                  "jpegxl_pipe", "qoi_pipe", "pam_pipe", "ppm_pipe", "pgm_pipe"}
_IMAGE_CODECS = {"mjpeg", "png", "webp", "bmp", "tiff", "jpegxl", "qoi", "ppm", "pgm", "pam"}
#: relative spread of packet intervals above which a stream counts as variable-rate
_VFR_TOLERANCE = 0.02


@dataclass(frozen=True)
class Probe:
    """Facts about one media file. ``width``/``height`` are the *display* size
    (after applying ``rotation``); durations are seconds."""

    path: Path
    format_name: str = ""
    duration: float = 0.0
    has_video: bool = False
    has_audio: bool = False
    is_image: bool = False
    width: int = 0
    height: int = 0
    rotation: int = 0              # degrees, as ffmpeg reports it (0, 90, 180, 270)
    sar: float = 1.0               # sample (pixel) aspect ratio
    fps: float = 0.0
    vfr: bool = False
    frame_count: int = 0           # video packets counted (all of them when exhaustive)
    video_duration: float = 0.0
    vcodec: str = ""
    profile: str = ""
    pix_fmt: str = ""
    colorspace: int = 2            # AVColorSpace: 1 BT.709, 2 unspecified, 5/6 BT.601, 9 BT.2020
    color_range: int = 0           # AVColorRange: 0 unspecified, 1 limited (tv), 2 full (pc)
    acodec: str = ""
    audio_profile: str = ""
    sample_rate: int = 0
    channels: int = 0
    audio_duration: float = 0.0
    video_start: float = 0.0       # presentation time of the first frame (edit lists applied)
    audio_start: float = 0.0       # … and of the first audio sample
    moov_before_mdat: bool | None = None   # None: not an MP4/MOV file

    @property
    def portrait(self) -> bool:
        return self.height > self.width

    @property
    def full_range(self) -> bool:
        """Full-range (0–255, "JPEG") YUV, which delivery needs converted to limited."""
        return self.color_range == 2 or self.pix_fmt.startswith("yuvj")

    @property
    def needs_709(self) -> bool:
        """Tagged with a YUV matrix other than BT.709 (e.g. BT.601 SD, BT.2020)."""
        return self.colorspace not in (0, 1, 2)


def top_level_atoms(path: Path, limit: int = 64) -> list[str]:
    """Types of the top-level boxes of an ISO-BMFF (MP4/MOV) file, in file order.

    Reads only box headers (8 or 16 bytes each) and seeks over payloads.
    """
    atoms: list[str] = []
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        end = fh.tell()
        pos = 0
        while pos + 8 <= end and len(atoms) < limit:
            fh.seek(pos)
            header = fh.read(8)
            size, kind = struct.unpack(">I4s", header)
            if size == 1:
                large = fh.read(8)
                if len(large) < 8:
                    break
                size = struct.unpack(">Q", large)[0]
            elif size == 0:
                size = end - pos
            if size < 8 or not kind.isascii():
                break
            atoms.append(kind.decode("ascii", "replace"))
            pos += size
    return atoms


def moov_before_mdat(path: Path) -> bool | None:
    """True when ``moov`` precedes ``mdat`` (``+faststart``); None if not an MP4/MOV."""
    try:
        atoms = top_level_atoms(path)
    except OSError:
        return None
    if "moov" not in atoms or "mdat" not in atoms:
        return None
    return atoms.index("moov") < atoms.index("mdat")


def _seconds(value: Any, time_base: Any) -> float:
    if value is None or time_base is None:
        return 0.0
    return float(value * time_base)


def _rotation(container: Any, stream: Any) -> int:
    """Display rotation from the first decoded frame's display matrix (0 if none)."""
    try:
        for frame in container.decode(stream):
            return int(round(float(getattr(frame, "rotation", 0) or 0))) % 360
    except Exception:  # noqa: BLE001 - a broken first frame: treat as unrotated
        return 0
    return 0


def _packet_timing(container: Any, stream: Any, max_packets: int | None) -> tuple[int, list[int], int]:
    """(packet count, sorted pts, last packet duration) of one stream, demux only."""
    pts: list[int] = []
    count = 0
    last_dur = 0
    for packet in container.demux(stream):
        if packet.size == 0:   # the flush packet at EOF
            continue
        count += 1
        if packet.pts is not None:
            pts.append(int(packet.pts))
        last_dur = int(packet.duration or 0)
        if max_packets is not None and count >= max_packets:
            break
    pts.sort()
    return count, pts, last_dur


def _is_vfr(pts: list[int]) -> bool:
    deltas = [b - a for a, b in zip(pts, pts[1:], strict=False) if b > a]
    if len(deltas) < 2:
        return False
    lo, hi = min(deltas), max(deltas)
    return (hi - lo) > _VFR_TOLERANCE * hi


def probe(path: Path, *, exhaustive: bool = False) -> Probe:
    """Probe ``path``. ``exhaustive`` reads every video packet (used by the
    self-check for exact frame counts); otherwise at most 600 are read.

    Raises :class:`InputError` (``error_unreadable``) if PyAV cannot open the file.
    """
    import av

    path = Path(path)
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise InputError(f"{path.name}: not a readable video, image or audio file",
                         key="error_unreadable", file=path.name) from exc
    try:
        info: dict[str, Any] = {"path": path, "format_name": container.format.name or ""}
        if container.duration is not None:
            info["duration"] = container.duration / 1_000_000
        audio = container.streams.audio[0] if container.streams.audio else None
        video = next((s for s in container.streams.video
                      if not (s.disposition & av.stream.Disposition.attached_pic)), None)
        if audio is not None:
            actx = audio.codec_context
            info.update(has_audio=True, acodec=actx.name or "", audio_profile=actx.profile or "",
                        sample_rate=int(actx.sample_rate or 0),
                        channels=int(getattr(actx.layout, "nb_channels", 0) or 0),
                        audio_duration=_seconds(audio.duration, audio.time_base),
                        audio_start=_seconds(audio.start_time, audio.time_base))
        if video is not None:
            vctx = video.codec_context
            fmt = info["format_name"]
            is_image = (fmt in _IMAGE_FORMATS or (fmt.endswith("_pipe") and vctx.name in _IMAGE_CODECS))
            rate = video.average_rate or video.guessed_rate or video.base_rate
            sar = video.sample_aspect_ratio
            info.update(has_video=True, is_image=is_image, vcodec=vctx.name or "",
                        profile=vctx.profile or "", pix_fmt=vctx.pix_fmt or "",
                        colorspace=int(vctx.colorspace or 2),
                        color_range=int(vctx.color_range or 0),
                        sar=float(sar) if sar and float(sar) > 0 else 1.0,
                        fps=float(rate) if rate else 0.0,
                        video_duration=_seconds(video.duration, video.time_base),
                        video_start=_seconds(video.start_time, video.time_base))
            count, pts, last_dur = _packet_timing(container, video,
                                                  None if exhaustive else 600)
            info["frame_count"] = count
            if len(pts) > 1 and not is_image:
                info["vfr"] = _is_vfr(pts)
                tb = Fraction(video.time_base or 1)
                span = float((pts[-1] - pts[0] + (last_dur or (pts[-1] - pts[-2]))) * tb)
                if exhaustive or not info["video_duration"]:
                    info["video_duration"] = span
            container.seek(0)
            rotation = _rotation(container, video)
            width, height = int(vctx.width or 0), int(vctx.height or 0)
            if rotation in (90, 270):
                width, height = height, width
            info.update(rotation=rotation, width=width, height=height)
        if not info.get("duration"):
            info["duration"] = max(info.get("video_duration", 0.0), info.get("audio_duration", 0.0))
    except av.FFmpegError as exc:
        raise InputError(f"{path.name}: the file is damaged or incomplete",
                         key="error_unreadable", file=path.name) from exc
    finally:
        container.close()
    if suffix_is_mp4(path):
        info["moov_before_mdat"] = moov_before_mdat(path)
    return Probe(**info)


def suffix_is_mp4(path: Path) -> bool:
    return path.suffix.lower() in (".mp4", ".mov", ".m4v", ".m4a", ".3gp")
