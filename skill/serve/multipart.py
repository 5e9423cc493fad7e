"""Receive ``multipart/form-data`` file parts straight to disk, hashed as they arrive.

Starlette's ``request.form()`` would spool each file to a temporary file first and we
would then copy it again into ``media/``; here every chunk of the request body goes
once to its final folder (temporary name), through sha256, and a part over the size
limit stops being written the moment it crosses the limit. Memory stays at one chunk.
The whole request is limited too (``max_total``): past it, reading stops and
:class:`TooMuch` is raised.

File names are UTF-8 (RFC 7578: browsers, httpx and igedit's own client send
``filename="视频.mp4"`` as raw UTF-8 bytes); ``filename*=UTF-8''%E8%A7%86…`` (RFC 5987)
is understood too and wins when both are given. The header is parsed here, not with
python-multipart's ``parse_options_header``, which re-encodes a ``str`` as Latin-1
and fails on any character outside it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import AsyncIterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote

from python_multipart.multipart import MultipartParser, parse_options_header

from ..engine.intake import temp_path

#: form fields that carry files (the protocol's is ``files``; ``file`` is forgiven)
FILE_FIELDS = ("files", "file")


class MultipartError(ValueError):
    """The body is not valid multipart/form-data."""


class TooMuch(MultipartError):
    """The request carries more than ``max_total`` bytes of files."""


def _decode_header(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # an old client's ISO-8859-1 name: still readable


def disposition_params(value: str) -> dict[str, str]:
    """The parameters of a ``Content-Disposition`` value (already decoded text), with
    quoted strings unescaped (``\\"``, HTML5's ``%22``) and ``name*=charset'lang'pct``
    (RFC 5987) decoded into ``name``. Pure."""
    params: dict[str, str] = {}
    starred: dict[str, str] = {}
    i, n = value.find(";"), len(value)
    if i < 0:
        return params
    i += 1
    while i < n:
        while i < n and value[i] in " \t;":
            i += 1
        eq = value.find("=", i)
        if eq < 0:
            break
        key = value[i:eq].strip().lower()
        i = eq + 1
        while i < n and value[i] in " \t":
            i += 1
        if i < n and value[i] == '"':
            i += 1
            out = []
            while i < n and value[i] != '"':
                # httpx and igedit's client write "\\\\" and "\\\""; browsers leave a lone
                # backslash as it is (a Windows path): both read right
                if value[i] == "\\" and i + 1 < n and value[i + 1] in "\\\"":
                    i += 1
                out.append(value[i])
                i += 1
            i += 1
            val = "".join(out).replace("%22", '"').replace("%0D", "\r").replace("%0A", "\n")
        else:
            end = value.find(";", i)
            end = n if end < 0 else end
            val = value[i:end].strip()
            i = end
        if key.endswith("*"):
            charset, _, rest = val.partition("'")
            _, _, encoded = rest.partition("'")
            try:
                starred[key[:-1]] = unquote(encoded, encoding=charset or "utf-8", errors="strict")
            except (LookupError, UnicodeDecodeError):
                continue
        else:
            params[key] = val
    params.update(starred)
    return params


def clean_filename(name: str) -> str:
    """The last path component of a client's file name (``C:\\clips\\a.mp4`` → ``a.mp4``),
    without control characters; the name is otherwise kept exactly as written."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch >= " " and ch != "\x7f").strip()
    return base if base not in ("", ".", "..") else "upload"


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
                        max_bytes: int, max_total: int | None = None) -> list[Received]:
    """Write every file part of ``body`` to a temporary file in ``media_dir``.

    The caller owns the returned files (and must remove them); on a parse error, or
    when the body passes ``max_total`` bytes (:class:`TooMuch`), they are removed here.
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
        cur.headers[field_buf.decode("latin-1").lower()] = _decode_header(bytes(value_buf))
        field_buf.clear()
        value_buf.clear()

    def on_headers_finished() -> None:
        params = disposition_params(cur.headers.get("content-disposition", ""))
        cur.name = params.get("name", "")
        raw_name = params.get("filename")
        if raw_name is None or cur.name not in FILE_FIELDS:
            return  # a plain form field: ignored
        # a browser-style path ("C:\\clips\\a.mp4") keeps only its last component
        cur.filename = clean_filename(raw_name)
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
    seen = 0
    try:
        async for chunk in body:
            if chunk:
                seen += len(chunk)
                if max_total is not None and seen > max_total:
                    raise TooMuch(f"the request carries more than {max_total} bytes")
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
