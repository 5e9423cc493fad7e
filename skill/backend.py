"""The ``Backend`` protocol both editing backends implement, and its data types.

The host (``skill.runtime``) only talks to this interface: it never knows whether
it drives the NemoVideo cloud or the embedded local engine.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from .draft import Draft, encode_draft
from .events import Event

#: progress callback: (label, done, total or None). ``label`` is a template-free
#: short word: "upload", "render", "download".
ProgressCb = Callable[[str, float, float | None], None]

#: What a progress/notice reply callback receives: a template key and its context.
NoticeCb = Callable[[str, dict[str, Any]], None]

#: sleeper injected into backends so tests never wait for real.
Sleeper = Callable[[float], Awaitable[None]]

RenderStatusName = Literal["pending", "processing", "completed", "failed", "cancelled"]

SUPPORTED_EXTENSIONS = (
    "mp4", "mov", "avi", "webm", "mkv", "jpg", "jpeg", "png", "gif", "webp",
    "mp3", "wav", "m4a", "aac",
)
#: Caption files are accepted by the local engine (and passed through to the cloud).
CAPTION_EXTENSIONS = ("srt", "vtt")
MAX_UPLOAD_BYTES = 500 * 1024 * 1024


@dataclass(frozen=True)
class ReadyInfo:
    backend: str                 # "cloud" or "local"
    session_id: str
    new_session: bool = False    # True when a previous session was lost and replaced
    bind_id: str = ""            # the user id for the 2001 registration URL


@dataclass(frozen=True)
class MediaInfo:
    name: str
    kind: str = "video"          # video | image | audio | caption
    url: str = ""
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    id: str = ""
    fps: float | None = None     # a video's frame rate, when the backend knows it


@dataclass(frozen=True)
class Credits:
    available: int
    frozen: int
    total: int
    local: bool = False          # True: the local engine, which needs no credits


@dataclass(frozen=True)
class SessionState:
    """The session as a backend reports it; each backend decodes its own wire form."""

    draft: Draft = field(default_factory=Draft)
    media: tuple[MediaInfo, ...] = ()
    bind_id: str = ""
    session_id: str = ""

    @property
    def draft_raw(self) -> dict[str, Any]:
        """The draft's wire form (docs/draft.md), for what leaves the process as JSON."""
        return encode_draft(self.draft)


@dataclass(frozen=True)
class RenderJob:
    id: str
    session_id: str
    backend: str
    preview: bool = False


@dataclass(frozen=True)
class RenderStatus:
    status: RenderStatusName
    progress: float | None = None     # 0..100
    url: str = ""
    detail: str = ""


@runtime_checkable
class WritesReplies(Protocol):
    """A backend that words replies itself (the local engine) and so is told the reply
    language the host's :class:`~skill.lang.LangPolicy` decided, before each turn."""

    def use_lang(self, lang: str, *, fixed: bool) -> None: ...


@runtime_checkable
class Backend(Protocol):
    """What the host needs from an editing backend. All network/IO is async.

    Implementations take a ``notice: NoticeCb | None`` keyword in their constructor and
    call it with a template key and context for things the user should hear about as
    they happen ("setup_start", "setup_done", "error_1002", "still_working", …).
    """

    name: str

    async def ready(self, lang: str = "en", *, fresh: bool = False) -> ReadyInfo:
        """Authenticate and make sure a session exists (creating one if needed).

        ``fresh=True`` always starts a new session (``igedit make`` uses it so a
        one-shot job never joins the timeline of the current session).
        """
        ...

    async def upload(self, sources: Sequence[str | Path], *,
                     progress: ProgressCb | None = None) -> list[MediaInfo]:
        """Upload local files (validated first) or http(s) URLs into the session."""
        ...

    def send(self, text: str) -> AsyncIterator[Event]:
        """Send an edit instruction; yields decoded events as they arrive."""
        ...

    async def state(self) -> SessionState:
        ...

    async def credits(self) -> Credits:
        ...

    async def submit_render(self, draft: Draft, *, preview: bool = False) -> RenderJob:
        ...

    async def render_status(self, job: RenderJob) -> RenderStatus:
        ...

    async def wait_render(self, job: RenderJob, *, progress: ProgressCb | None = None,
                          notice: NoticeCb | None = None) -> RenderStatus:
        """Wait until the job is completed or failed (polling adaptively or awaiting)."""
        ...

    async def download(self, url: str, dest: Path, *, progress: ProgressCb | None = None) -> Path:
        """Fetch the rendered file to ``dest`` (already chosen, not yet existing)."""
        ...

    async def aclose(self) -> None:
        ...
