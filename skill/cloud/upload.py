"""A ``multipart/form-data`` body streamed from disk, with a known length and progress.

httpx would build the same framing, but we want the ``Content-Length`` up front, a
progress callback per chunk and a body that can be re-created for a retry. Memory
stays at one chunk whatever the file size.
"""

from __future__ import annotations

import mimetypes
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..backend import ProgressCb

CHUNK = 256 * 1024
FIELD = "files"


@dataclass(frozen=True)
class FilePart:
    path: Path
    filename: str
    content_type: str
    size: int

    @classmethod
    def of(cls, path: Path) -> FilePart:
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return cls(path, path.name, ctype, path.stat().st_size)


def _quote(name: str) -> str:
    # HTML5 form encoding (what browsers and httpx send): escape quotes and newlines.
    return name.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class MultipartBody:
    """An async-iterable request body: ``files`` parts read from disk chunk by chunk."""

    def __init__(self, parts: Sequence[FilePart], *, boundary: str | None = None,
                 progress: ProgressCb | None = None, chunk: int = CHUNK) -> None:
        self.parts = list(parts)
        self.boundary = boundary or uuid.uuid4().hex
        self.progress = progress
        self.chunk = chunk
        self._heads = [self._head(p) for p in self.parts]
        self._tail = f"--{self.boundary}--\r\n".encode()

    def _head(self, part: FilePart) -> bytes:
        return (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{FIELD}"; filename="{_quote(part.filename)}"\r\n'
            f"Content-Type: {part.content_type}\r\n\r\n"
        ).encode()

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def content_length(self) -> int:
        framing = sum(len(h) + 2 for h in self._heads) + len(self._tail)
        return framing + sum(p.size for p in self.parts)

    def headers(self) -> dict[str, str]:
        return {"Content-Type": self.content_type, "Content-Length": str(self.content_length)}

    async def __aiter__(self) -> AsyncIterator[bytes]:
        total = self.content_length
        sent = 0

        def tick(n: int) -> None:
            nonlocal sent
            sent += n
            if self.progress is not None:
                self.progress("upload", float(sent), float(total))

        for head, part in zip(self._heads, self.parts, strict=True):
            yield head
            tick(len(head))
            remaining = part.size
            # The size was fixed when Content-Length was computed; send exactly that.
            with part.path.open("rb") as fh:
                while remaining > 0:
                    data = fh.read(min(self.chunk, remaining))
                    if not data:
                        raise OSError(f"{part.path} shrank while uploading")
                    remaining -= len(data)
                    yield data
                    tick(len(data))
            yield b"\r\n"
            tick(2)
        yield self._tail
        tick(len(self._tail))
