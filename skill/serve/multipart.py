"""Receive ``multipart/form-data`` file parts straight to disk, hashed as they arrive.

Starlette's ``request.form()`` would spool each file to a temporary file first and we
would then copy it again into ``media/``; here every chunk of the request body goes
once to its final folder (temporary name), through sha256, and a part over the size
limit stops being written the moment it crosses the limit. Memory stays at one chunk.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import AsyncIterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from python_multipart.multipart import MultipartParser, parse_options_header

from ..engine.intake import temp_path

#: form fields that carry files (the protocol's is ``files``; ``file`` is forgiven)
FILE_FIELDS = ("files", "file")


class MultipartError(ValueError):
    """The body is not valid multipart/form-data."""


@dataclass
class Received:
    filename: str
    path: Path
    size: int = 0
    sha256: str = ""
    too_large: bool = False


@dataclass
class _Part:
    headers: dict[str, str] = field(default_factory=dict)
    name: str = ""
    filename: str | None = None
    fh: IO[bytes] | None = None
    digest: Any = None
    received: Received | None = None


def boundary_of(content_type: str) -> bytes:
    ctype, params = parse_options_header(content_type)
    if ctype != b"multipart/form-data" or not params.get(b"boundary"):
        raise MultipartError("expected multipart/form-data with a boundary")
    return params[b"boundary"]


async def receive_files(body: AsyncIterable[bytes], content_type: str, media_dir: Path, *,
                        max_bytes: int) -> list[Received]:
    """Write every file part of ``body`` to a temporary file in ``media_dir``.

    The caller owns the returned files (and must remove them); on a parse error they
    are removed here.
    """
    boundary = boundary_of(content_type)
    done: list[Received] = []
    cur = _Part()
    field_buf = bytearray()
    value_buf = bytearray()

    def on_part_begin() -> None:
        nonlocal cur
        cur = _Part()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        field_buf.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        value_buf.extend(data[start:end])

    def on_header_end() -> None:
        cur.headers[field_buf.decode("latin-1").lower()] = value_buf.decode("utf-8", "replace")
        field_buf.clear()
        value_buf.clear()

    def on_headers_finished() -> None:
        _, params = parse_options_header(cur.headers.get("content-disposition", ""))
        cur.name = params.get(b"name", b"").decode("utf-8", "replace")
        raw_name = params.get(b"filename")
        if raw_name is None or cur.name not in FILE_FIELDS:
            return  # a plain form field: ignored
        # a browser-style path ("C:\\clips\\a.mp4") keeps only its last component
        name = raw_name.decode("utf-8", "replace").replace("%22", '"')
        cur.filename = name.replace("\\", "/").rsplit("/", 1)[-1] or "upload"
        path = temp_path(media_dir)
        cur.fh = path.open("wb")
        cur.digest = hashlib.sha256()
        cur.received = Received(cur.filename, path)
        done.append(cur.received)

    def on_part_data(data: bytes, start: int, end: int) -> None:
        got = cur.received
        if got is None or cur.fh is None:
            return
        chunk = data[start:end]
        got.size += len(chunk)
        if got.too_large:
            return
        if got.size > max_bytes:
            got.too_large = True  # stop writing; the rest of the part is discarded
            cur.fh.truncate(0)
            return
        cur.fh.write(chunk)
        cur.digest.update(chunk)

    def on_part_end() -> None:
        if cur.fh is not None:
            cur.fh.close()
            cur.fh = None
        if cur.received is not None:
            cur.received.sha256 = cur.digest.hexdigest()

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_part_data": on_part_data,
        "on_part_end": on_part_end, "on_header_field": on_header_field,
        "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished,
    })
    try:
        async for chunk in body:
            if chunk:
                parser.write(chunk)
        parser.finalize()
    except Exception as exc:
        if cur.fh is not None:
            cur.fh.close()
        discard(done)
        if isinstance(exc, MultipartError):
            raise
        raise MultipartError(f"bad multipart body: {type(exc).__name__}") from exc
    finally:
        if cur.fh is not None and not cur.fh.closed:
            cur.fh.close()
    incomplete = [r for r in done if not r.sha256]
    if incomplete:
        discard(done)
        raise MultipartError("the multipart body ended in the middle of a file")
    return done


def discard(items: list[Received]) -> None:
    for item in items:
        with contextlib.suppress(OSError):
            os.unlink(item.path)
