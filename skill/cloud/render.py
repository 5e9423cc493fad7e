"""Render jobs: status parsing and the adaptive poll schedule (pure), plus the download loop.

The seed polls every 30 s, so a finished render waits 15 s on average before the
download starts. :class:`PollPlanner` looks after ~3 s, backs off towards 30 s, and
when the server reports progress it aims the next look just after the predicted
finish — never closer than 2 s to the previous look.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import structlog

from ..backend import ProgressCb, RenderStatus, RenderStatusName

log = structlog.get_logger(__name__)

#: first look after 3 s, then back off to the seed's 30 s.
BACKOFF = (3.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 13.0, 17.0, 22.0, 30.0)
MIN_INTERVAL = 2.0
ETA_MARGIN = 0.5

_STATUS_WORDS: dict[str, RenderStatusName] = {
    "completed": "completed", "complete": "completed", "done": "completed",
    "success": "completed", "succeeded": "completed", "finished": "completed",
    "failed": "failed", "failure": "failed", "error": "failed", "cancelled": "cancelled",
    "canceled": "cancelled", "pending": "pending", "queued": "pending", "waiting": "pending",
    "processing": "processing", "running": "processing", "rendering": "processing",
    "in_progress": "processing",
}


def _num(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().rstrip("%"))
        except ValueError:
            return None
    return None


def parse_status(obj: Any) -> RenderStatus:
    """Either documented shape → :class:`RenderStatus`.

    Top-level ``{"status", "progress", "output": {"url"}}`` or
    ``{"success": true, "data": {"status", "progress", "outputUrl"}}`` (the envelope is
    usually already removed by :func:`parse_envelope`; both are accepted here too).
    """
    if not isinstance(obj, Mapping):
        return RenderStatus("processing")
    inner = obj.get("data")
    if "status" not in obj and isinstance(inner, Mapping):
        obj = inner
    word = str(obj.get("status") or "").strip().lower()
    status: RenderStatusName = _STATUS_WORDS.get(word, "processing")
    output = obj.get("output")
    url = ""
    if isinstance(output, Mapping):
        url = str(output.get("url") or output.get("outputUrl") or "")
    url = url or str(obj.get("outputUrl") or obj.get("output_url") or obj.get("url") or "")
    progress = _num(obj.get("progress"))
    if status == "completed":
        progress = 100.0
    detail = obj.get("error") or obj.get("message") or obj.get("errorMessage") or ""
    if isinstance(detail, Mapping):
        detail = detail.get("message") or ""
    return RenderStatus(status, progress, url, str(detail) if status in ("failed", "cancelled") else "")


@dataclass
class PollPlanner:
    """When to look at a render next. Feed it what each look saw."""

    backoff: tuple[float, ...] = BACKOFF
    min_interval: float = MIN_INTERVAL
    margin: float = ETA_MARGIN
    looks: int = 0
    samples: list[tuple[float, float]] = field(default_factory=list)

    def observe(self, now: float, progress: float | None) -> None:
        self.looks += 1
        if progress is not None and 0 < progress < 100:
            self.samples.append((now, progress))

    def eta(self) -> float | None:
        """Predicted finish time from the progress rate (first vs latest sample)."""
        if len(self.samples) < 2:
            return None
        (t0, p0), (t1, p1) = self.samples[0], self.samples[-1]
        if t1 <= t0 or p1 <= p0:
            return None
        rate = (p1 - p0) / (t1 - t0)
        return t1 + (100.0 - p1) / rate

    def next_delay(self, now: float) -> float:
        """Seconds to sleep before the next look."""
        base = self.backoff[min(self.looks, len(self.backoff) - 1)]
        eta = self.eta()
        if eta is not None:
            aimed = eta + self.margin - now
            if aimed < base:
                return max(self.min_interval, aimed)
        return max(self.min_interval, base)


# ---------------------------------------------------------------- download

async def download_to(
    client: httpx.AsyncClient, url: str, dest: Path, *, headers: Mapping[str, str],
    progress: ProgressCb | None = None, timeout: httpx.Timeout | None = None,
    on_status: Callable[[int], None] | None = None,
) -> Path:
    """Stream ``url`` into a temp file beside ``dest``, then rename it into place.

    The partial file is removed on any failure (including cancellation). Raises
    ``httpx.HTTPStatusError`` for a non-2xx answer and other ``httpx`` errors as they
    come; the caller maps them.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    # Not mkstemp (always 0600): an export is the user's file and follows their umask.
    tmp = dest.parent / f".{dest.name}.{secrets.token_hex(4)}.part"
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            async with client.stream("GET", url, headers=dict(headers),
                                     timeout=timeout or httpx.Timeout(60.0)) as response:
                if on_status is not None:
                    on_status(response.status_code)
                response.raise_for_status()
                total = _num(response.headers.get("content-length"))
                done = 0
                async for chunk in response.aiter_bytes():
                    fh.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress("download", float(done), total)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return dest
