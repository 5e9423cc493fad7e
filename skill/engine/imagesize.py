"""An image's pixel size read from its header, before anything decodes it.

A 12000×12000 PNG is 60 KB on disk and 576 MB once decoded; decoding it for a 1 s
preview took 73 s and 3 GB. So intake reads the size from the first bytes of the file
(PNG IHDR, JPEG SOFn, GIF, WebP VP8/VP8L/VP8X, BMP) and refuses an image above
:data:`MAX_IMAGE_PIXELS` before PyAV or ffmpeg ever sees it. Pure: bytes in, size out.
"""

from __future__ import annotations

import struct
from pathlib import Path

#: the largest still accepted: 50 megapixels (a 48 MP phone photo, 8064×6048, fits)
MAX_IMAGE_PIXELS = 50_000_000
#: how much of the file is read to find the size (JPEG EXIF blocks can be large)
HEAD_BYTES = 256 * 1024


def _jpeg(data: bytes) -> tuple[int, int] | None:
    i = 2
    n = len(data)
    while i + 9 < n:
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            i += 1 if marker == 0xFF else 2
            continue
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return w, h
        i += 2 + length
    return None


def _webp(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        w = 1 + int.from_bytes(data[24:27], "little")
        h = 1 + int.from_bytes(data[27:30], "little")
        return w, h
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and len(data) >= 30:
        w, h = struct.unpack("<HH", data[26:30])
        return w & 0x3FFF, h & 0x3FFF
    return None


def image_size(head: bytes) -> tuple[int, int] | None:
    """(width, height) from the first bytes of an image file; None if not recognised."""
    if head.startswith(b"\x89PNG\r\n\x1a\n") and len(head) >= 24 and head[12:16] == b"IHDR":
        w, h = struct.unpack(">II", head[16:24])
        return w, h
    if head.startswith(b"\xff\xd8"):
        return _jpeg(head)
    if head[:6] in (b"GIF87a", b"GIF89a") and len(head) >= 10:
        w, h = struct.unpack("<HH", head[6:10])
        return w, h
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return _webp(head)
    if head.startswith(b"BM") and len(head) >= 26:
        w, h = struct.unpack("<ii", head[18:26])
        return abs(w), abs(h)
    return None


def file_image_size(path: Path) -> tuple[int, int] | None:
    with Path(path).open("rb") as fh:
        return image_size(fh.read(HEAD_BYTES))


__all__ = ["MAX_IMAGE_PIXELS", "file_image_size", "image_size"]
