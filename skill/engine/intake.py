"""Getting media into the local engine: validate, hash, download, probe.

Local files are **referenced, not copied**. Footage is up to 500 MB per file and the
point of the local engine is that it stays where it is on the user's disk: a copy
would double the disk use and make every upload as slow as a file copy. The media id
is the content's sha256 (streamed, 1 MiB at a time), so the same clip uploaded twice
is one media row, and before a render the file is checked again (still there, same
size) so a moved or replaced clip gives a clear "upload it again", not a wrong video.

Bytes that have no other home on this machine — http(s) downloads and files sent to
``igedit serve`` — are written to ``<home>/media/<sha256>.<ext>`` (temporary name
first, renamed when complete, so a half-downloaded file is never taken for media).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from ..backend import MAX_UPLOAD_BYTES, ProgressCb
from ..errors import InputError
from ..media import KIND_BY_EXT, human_size, validate_file
from .db import EngineDB, MediaRow

if TYPE_CHECKING:
    import httpx

    from .safeurl import UrlPolicy

CHUNK = 1024 * 1024

_MIME_EXT = {
    "video/mp4": "mp4", "video/quicktime": "mov", "video/webm": "webm", "video/x-matroska": "mkv",
    "video/x-msvideo": "avi", "image/jpeg": "jpg", "image/png": "png", "image/gif": "gif",
    "image/webp": "webp", "audio/mpeg": "mp3", "audio/wav": "wav", "audio/x-wav": "wav",
    "audio/mp4": "m4a", "audio/aac": "aac", "application/x-subrip": "srt", "text/vtt": "vtt",
}


def _hash_file(path: Path, progress: Callable[[int], None] | None = None) -> str:
    digest = hashlib.sha256()
    done = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            done += len(chunk)
            if progress:
                progress(done)
    return digest.hexdigest()


async def content_hash(db: EngineDB, path: Path, progress: Callable[[int], None] | None = None) -> str:
    """sha256 of the file, from the cache when the path, size and mtime are unchanged."""
    st = path.stat()
    key = str(path)
    cached = db.cached_hash(key, st.st_size, st.st_mtime_ns)
    if cached:
        if progress:
            progress(st.st_size)
        return cached
    sha = await asyncio.to_thread(_hash_file, path, progress)
    db.remember_hash(key, st.st_size, st.st_mtime_ns, sha)
    return sha


async def describe(path: Path, kind: str, sha: str, name: str) -> MediaRow:
    """Probe the file into a media row; a file the engine cannot decode is refused (4001)."""
    size = path.stat().st_size
    if kind == "caption":
        return MediaRow(sha, str(path), name, kind, size)
    from .render.probe import probe  # PyAV underneath: imported only when needed

    if kind == "image":
        _check_pixels(path, name)
    try:
        facts: Any = await asyncio.to_thread(probe, path)
    except Exception as exc:  # PyAV/ffmpeg errors of any kind mean "cannot decode"
        raise InputError(f"{name}: cannot be decoded", key="error_4001", file=name,
                         found="the file cannot be decoded", code=4001) from exc
    if getattr(facts, "is_image", False):
        kind = "image"
    duration = getattr(facts, "duration", None)
    video_s = float(getattr(facts, "video_duration", 0.0) or 0.0)
    if kind != "image" and getattr(facts, "has_video", False) and video_s > 0:
        # A clip lasts as long as its picture: audio that runs on past the last frame
        # (phone clips, edit lists) is trimmed at render time, never frozen frames added.
        duration = min(float(duration), video_s) if duration else video_s
    width = getattr(facts, "width", None)
    height = getattr(facts, "height", None)
    return MediaRow(
        sha, str(path), name, kind, size,
        duration_ms=int(round(float(duration) * 1000)) if duration else None,
        width=int(width) if width else None, height=int(height) if height else None,
        has_audio=bool(getattr(facts, "has_audio", False)),
        fps=round(float(getattr(facts, "fps", 0.0) or 0.0), 3) if kind == "video" else None,
    )


def _check_pixels(path: Path, name: str) -> None:
    """Refuse an image above the pixel cap from its header, before anything decodes it."""
    from .imagesize import MAX_IMAGE_PIXELS, file_image_size

    size = file_image_size(path)
    if size is not None and size[0] * size[1] > MAX_IMAGE_PIXELS:
        w, h = size
        raise InputError(f"{name}: {w}x{h} is above the pixel cap", key="image_too_many_pixels",
                         file=name, width=w, height=h, mp=round(w * h / 1e6, 1),
                         cap=MAX_IMAGE_PIXELS // 1_000_000, code=4001)


async def ingest_local(db: EngineDB, source: str | os.PathLike[str],
                       progress: ProgressCb | None = None) -> MediaRow:
    """Validate, hash and probe a file on this machine (referenced where it is)."""
    path, kind = validate_file(source)
    size = path.stat().st_size

    def tick(done: int) -> None:
        if progress:
            progress("upload", float(done), float(size))

    sha = await content_hash(db, path, tick)
    row = await describe(path, kind, sha, path.name)
    db.put_media(row)
    return row


async def ingest_stored(db: EngineDB, tmp: Path, *, name: str, sha: str, media_dir: Path) -> MediaRow:
    """A complete temporary file written by us (download, serve upload) → ``media/<sha>.<ext>``.

    Validates with the user's file name (extension) and the sniffed content; the
    temporary file is removed whatever happens.
    """
    ext = Path(name).suffix.lower().lstrip(".")
    try:
        named = tmp.with_name(f"{tmp.name}.{ext or 'bin'}")
        os.replace(tmp, named)
        tmp = named
        try:
            _, kind = validate_file(tmp)
        except InputError as exc:
            exc.ctx["file"] = name  # the user's name, not our temp name
            raise
        row = await describe(tmp, kind, sha, name)
        existing = db.get_media(sha)
        if existing and Path(existing.path).is_file() and \
                Path(existing.path).stat().st_size == row.size:
            path = existing.path  # the same bytes are already on this machine: keep one copy
        else:
            final = media_dir / f"{sha}.{ext}"
            os.replace(tmp, final)
            path = str(final)
        row = dataclasses.replace(row, path=path)
        db.put_media(row)
        return row
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def temp_path(media_dir: Path) -> Path:
    """A new, empty, private (0600) file in ``media_dir`` for bytes being received.

    Its name carries this process's tag, so if the process is killed mid-upload the
    next igedit to start deletes it (:func:`skill.leftovers.sweep_home`).
    """
    from ..leftovers import process_tag
    from ..private import private_dir, private_file

    private_dir(media_dir)
    return private_file(media_dir / f".incoming-{process_tag()}-{secrets.token_hex(6)}")


def _url_name(url: str, content_type: str) -> str:
    path = unquote(urlsplit(url).path)
    name = path.rstrip("/").rsplit("/", 1)[-1] or "download"
    ext = Path(name).suffix.lower().lstrip(".")
    if ext not in KIND_BY_EXT:
        guessed = _MIME_EXT.get(content_type.split(";")[0].strip().lower())
        if guessed:
            name = f"{Path(name).stem or 'download'}.{guessed}"
    return name


async def download_url(db: EngineDB, client: httpx.AsyncClient | None, url: str,
                       media_dir: Path, *, progress: ProgressCb | None = None,
                       max_bytes: int = MAX_UPLOAD_BYTES,
                       policy: UrlPolicy | None = None) -> MediaRow:
    """Stream an http(s) URL into ``media_dir`` (size-limited, hashed on the fly).

    The fetch goes through :mod:`skill.engine.safeurl` (public addresses only unless
    ``policy`` allows private ones; every redirect checked; the connection pinned to
    the checked address). ``client`` is no longer used for the fetch itself: each hop
    gets a client pinned to its address.
    """
    from .safeurl import UrlPolicy, open_url

    del client
    policy = policy or UrlPolicy.from_env()
    tmp = temp_path(media_dir)
    digest = hashlib.sha256()
    try:
        async with open_url(url, policy) as resp:
            total = int(resp.headers.get("content-length") or 0) or None
            if total and total > max_bytes:
                raise InputError(f"{url}: too large", key="error_4002", file=url,
                                 size=human_size(total), code=4002)
            name = _url_name(str(resp.url), resp.headers.get("content-type", ""))
            done = 0
            with tmp.open("wb") as fh:
                async for chunk in resp.aiter_bytes(CHUNK):
                    done += len(chunk)
                    if done > max_bytes:
                        raise InputError(f"{url}: too large", key="error_4002", file=url,
                                         size=f"> {human_size(max_bytes)}", code=4002)
                    digest.update(chunk)
                    fh.write(chunk)
                    if progress:
                        progress("upload", float(done), float(total) if total else None)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return await ingest_stored(db, tmp, name=name, sha=digest.hexdigest(), media_dir=media_dir)
