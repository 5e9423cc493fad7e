"""A scripted in-process Backend for host (runtime/exporter) tests.

A real class that records every call (no mocks). Streams are scripted as lists of
:class:`~skill.events.Event` or exceptions; states as a queue of drafts.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from skill.backend import (
    Credits,
    MediaInfo,
    NoticeCb,
    ProgressCb,
    ReadyInfo,
    RenderJob,
    RenderStatus,
    SessionState,
)
from skill.draft import Draft, decode_draft
from skill.events import Event

VIDEO_DRAFT: dict[str, Any] = {
    "t": [{"tt": 0, "m": {"name": "clip.mp4"}, "sg": [{"s": 0, "d": 10000, "m": {}}]}],
    "m": {"ratio": "9:16", "w": 1080, "h": 1920},
}


class ScriptedBackend:
    name = "scripted"

    def __init__(self, notice: NoticeCb | None = None) -> None:
        self.notice = notice
        self.calls: list[tuple[str, Any]] = []
        self.streams: list[list[Event | BaseException]] = []
        self.states: list[dict[str, Any]] = [dict(VIDEO_DRAFT)]
        self.statuses: dict[str, list[RenderStatus]] = {}
        self.render_results: list[RenderStatus] = []
        self.jobs = 0
        self.sent: list[str] = []

    async def ready(self, lang: str = "en", *, fresh: bool = False) -> ReadyInfo:
        self.calls.append(("ready", fresh))
        return ReadyInfo(backend=self.name, session_id="s1")

    async def upload(self, sources: Sequence[str | Path], *,
                     progress: ProgressCb | None = None) -> list[MediaInfo]:
        self.calls.append(("upload", list(sources)))
        if progress:
            progress("upload", 50, 100)
            progress("upload", 100, 100)
        return [MediaInfo(name=os.path.basename(str(s)), duration=10.0, width=1080, height=1920)
                for s in sources]

    async def send(self, text: str) -> AsyncIterator[Event]:
        self.calls.append(("send", text))
        self.sent.append(text)
        script = self.streams.pop(0) if self.streams else []
        for item in script:
            if isinstance(item, BaseException):
                raise item
            yield item

    async def state(self) -> SessionState:
        self.calls.append(("state", None))
        draft = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return SessionState(draft=decode_draft(draft), session_id="s1", bind_id="anon_1")

    async def credits(self) -> Credits:
        return Credits(85, 0, 85)

    async def submit_render(self, draft: Draft, *, preview: bool = False) -> RenderJob:
        self.jobs += 1
        job = RenderJob(id=f"render_{self.jobs}", session_id="s1", backend=self.name,
                        preview=preview)
        self.calls.append(("submit", job.id))
        return job

    async def render_status(self, job: RenderJob) -> RenderStatus:
        return RenderStatus("processing")

    async def wait_render(self, job: RenderJob, *, progress: ProgressCb | None = None,
                          notice: NoticeCb | None = None) -> RenderStatus:
        self.calls.append(("wait", job.id))
        if progress:
            progress("render", 100, 100)
        if self.render_results:
            return self.render_results.pop(0)
        return RenderStatus("completed", 100, url=f"file:///fake/{job.id}.mp4")

    async def download(self, url: str, dest: Path, *, progress: ProgressCb | None = None) -> Path:
        self.calls.append(("download", url))
        dest.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
        return dest

    async def aclose(self) -> None:
        self.calls.append(("close", None))
