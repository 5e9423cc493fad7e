"""Checks on a user's file before any network or engine work: exists, supported, small enough.

The container is sniffed from the first bytes, so a renamed ``.exe`` is refused
even with an ``.mp4`` name.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .backend import CAPTION_EXTENSIONS, MAX_UPLOAD_BYTES, SUPPORTED_EXTENSIONS
from .errors import InputError

_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)

KIND_BY_EXT = {
    **dict.fromkeys(("mp4", "mov", "avi", "webm", "mkv"), "video"),
    **dict.fromkeys(("jpg", "jpeg", "png", "gif", "webp"), "image"),
    **dict.fromkeys(("mp3", "wav", "m4a", "aac"), "audio"),
    **dict.fromkeys(CAPTION_EXTENSIONS, "caption"),
}


def is_url(text: str) -> bool:
    return bool(_URL.match(text.strip()))


def human_size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def sniff(head: bytes) -> str | None:
    """The container family of a file from its first bytes, or None if unknown."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"M4A ", b"M4B "):
            return "m4a"
        if brand == b"qt  ":
            return "mov"
        return "mp4"
    if len(head) >= 8 and head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "mov"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "mkv"  # also webm
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "avi"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"GIF87a") or head.startswith(b"GIF89a"):
        return "gif"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        # MPEG audio frame sync; ADTS AAC is 0xFFF1/0xFFF9.
        if len(head) > 1 and head[1] in (0xF1, 0xF9):
            return "aac"
        return "mp3"
    return None


# extension → the sniffed families it may legitimately contain
_COMPATIBLE = {
    "mp4": {"mp4", "mov", "m4a"}, "mov": {"mov", "mp4"}, "m4a": {"m4a", "mp4"},
    "avi": {"avi"}, "webm": {"mkv"}, "mkv": {"mkv"}, "jpg": {"jpg"}, "jpeg": {"jpg"},
    "png": {"png"}, "gif": {"gif"}, "webp": {"webp"}, "mp3": {"mp3"}, "wav": {"wav"},
    "aac": {"aac", "mp3"},
}


def _looks_like_text_captions(head: bytes) -> bool:
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return "-->" in text or text.lstrip().startswith("WEBVTT")


def validate_file(path: str | os.PathLike[str], *, allow_captions: bool = True,
                  max_bytes: int = MAX_UPLOAD_BYTES) -> tuple[Path, str]:
    """Return ``(absolute path, kind)`` or raise :class:`InputError` with the 4001/4002 message."""
    p = Path(path).expanduser()
    shown = str(path)
    if not p.is_file():
        raise InputError(f"{shown}: no such file", key="file_missing", file=shown)
    ext = p.suffix.lower().lstrip(".")
    allowed = set(SUPPORTED_EXTENSIONS) | (set(CAPTION_EXTENSIONS) if allow_captions else set())
    if ext not in allowed:
        raise InputError(f"{shown}: unsupported format .{ext or '?'}", key="error_4001",
                         file=shown, found=f".{ext}" if ext else "no extension", code=4001)
    size = p.stat().st_size
    if size > max_bytes:
        raise InputError(f"{shown}: {human_size(size)} is over the 500 MB limit", key="error_4002",
                         file=shown, size=human_size(size), code=4002)
    kind = KIND_BY_EXT[ext]
    with p.open("rb") as fh:
        head = fh.read(4096 if kind == "caption" else 64)
    if kind == "caption":
        if not _looks_like_text_captions(head):
            raise InputError(f"{shown}: not a valid subtitle file", key="error_4001", file=shown,
                             found="not SRT/VTT text", code=4001)
        return p.absolute(), kind
    family = sniff(head)
    if family is None or family not in _COMPATIBLE.get(ext, {ext}):
        raise InputError(f"{shown}: content does not match .{ext}", key="error_4001", file=shown,
                         found=f"content is not {ext.upper()}", code=4001)
    return p.absolute(), kind
