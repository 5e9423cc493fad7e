"""Tiny media made with the bundled ffmpeg (lavfi), shared by the local-engine and
serve tests. No test functions here."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import imageio_ffmpeg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

_CACHE: dict[tuple[object, ...], Path] = {}


def make_clip(dest: Path, *, seconds: float = 1.0, size: str = "320x240", audio: bool = True,
              rate: int = 30, cache_dir: Path | None = None) -> Path:
    """An H.264/AAC MP4 test pattern (with a 440 Hz tone unless ``audio=False``)."""
    key = (seconds, size, audio, rate)
    cached = _CACHE.get(key)
    if cached is not None and cached.is_file():
        shutil.copyfile(cached, dest)
        return dest
    argv = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]
    if audio:
        argv += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]
    argv += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        argv += ["-c:a", "aac", "-shortest"]
    argv += [str(dest)]
    subprocess.run(argv, check=True, capture_output=True, timeout=60)  # noqa: S603
    if cache_dir is not None:
        keep = cache_dir / f"clip-{seconds}-{size}-{audio}-{rate}.mp4"
        shutil.copyfile(dest, keep)
        _CACHE[key] = keep
    return dest


def probe_mp4(path: Path) -> dict[str, object]:
    """Width, height, audio presence and duration of a file (PyAV)."""
    import av

    with av.open(str(path)) as c:
        v = c.streams.video[0]
        return {
            "width": v.codec_context.width, "height": v.codec_context.height,
            "audio": len(c.streams.audio) > 0,
            "duration": float(c.duration or 0) / 1_000_000,
            "vcodec": v.codec_context.name,
        }


def file_server(root: Path) -> Starlette:
    """A tiny static file server (``/files/<name>``) for URL uploads."""

    async def get(request: Request) -> Response:
        path = root / request.path_params["name"]
        if not path.is_file():
            return Response("nope", status_code=404)
        return FileResponse(path, media_type="video/mp4")

    return Starlette(routes=[Route("/files/{name}", get)])
