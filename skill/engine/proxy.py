"""Preview proxies: a half-size, fast-decoding copy of each video source.

Decoding the full-size source is most of a preview's cost (a 1080×1920, 12 Mbps clip
costs more to decode than the whole 540p preview costs to filter and encode). Like the
proxies of desktop editors, the first preview of a clip makes a half-size copy with no
B-frames tuned for fast decoding, cached by the source's path, size and mtime; every
later preview reads it instead of the original. Full renders never use proxies.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

import structlog

from ..errors import SkillError
from .ffmpeg import ffmpeg_exe, run_ffmpeg
from .probe import Probe, probe

log = structlog.get_logger(__name__)
PROXY_VERSION = 1


def proxy_path(src: Path, proxy_dir: Path) -> Path:
    """Where the proxy of ``src`` (as it is now: size and mtime) lives."""
    st = src.stat()
    key = f"{PROXY_VERSION}|{src.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    return proxy_dir / f"{hashlib.sha1(key.encode()).hexdigest()[:20]}.mp4"


def _even(n: float) -> int:
    return max(2, int(n) // 2 * 2)


def proxy_argv(ffmpeg: str, src: Path, dest: Path, p: Probe) -> list[str]:
    """ffmpeg argv for the proxy of ``src`` (pure): half size, upright, all timestamps kept."""
    w, h = _even(p.width / 2), _even(p.height / 2)
    # Making a proxy is mostly decoding the source: skip its deblocking (a proxy is only
    # ever looked at in previews) and use the cheapest scaler.
    return [ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
            "-skip_loop_filter", "all", "-i", str(src),
            "-map", "0:v:0", "-map", "0:a:0?",
            "-vf", f"scale={w}:{h}:flags=fast_bilinear,format=yuv420p",
            "-fps_mode", "passthrough",
            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "fastdecode", "-bf", "0",
            "-crf", "20", "-g", "30",
            "-c:a", "aac", "-b:a", "128k", "-ar", "48000",
            "-movflags", "+faststart", "-f", "mp4", str(dest)]


async def ensure_proxies(sources: Mapping[str, Probe], proxy_dir: Path) -> dict[str, Path]:
    """Proxies for the video sources (made now where missing); a failure keeps the original."""
    out: dict[str, Path] = {}
    for src, p in sources.items():
        if p.is_image or not p.has_video or p.width <= 2 or p.height <= 2:
            continue
        try:
            dest = proxy_path(Path(src), proxy_dir)
            if not dest.is_file():
                proxy_dir.mkdir(parents=True, exist_ok=True)
                # unique per call: two previews of one clip may run at once (serve)
                tmp = dest.with_name(f".{dest.stem}.{secrets.token_hex(4)}.partial.mp4")
                try:
                    await run_ffmpeg(proxy_argv(ffmpeg_exe(), Path(src), tmp, p),
                                     duration_s=p.duration or None, label="proxy")
                    os.replace(tmp, dest)
                finally:
                    tmp.unlink(missing_ok=True)
            out[src] = dest
        except (SkillError, OSError) as exc:
            log.warning("proxy.failed", src=Path(src).name, error=str(exc))
    return out


async def probe_proxies(proxies: Mapping[str, Path]) -> dict[str, Probe]:
    return await asyncio.to_thread(lambda: {str(v): probe(v) for v in proxies.values()})
