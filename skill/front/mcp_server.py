"""``igedit mcp``: the skill as an MCP server over stdio (official ``mcp`` SDK, v2).

Tools (each runs the same :class:`~skill.runtime.Runtime` handler the CLI runs and
returns the replies' texts, already written for the user and redacted):

- ``upload_media(sources)`` — local paths or http(s) URLs
- ``edit(instruction)`` — a plain instruction, English or Chinese
- ``timeline()`` — the track summary (text) and the draft (structured content)
- ``export(path, force=False, preview=False)`` — render and save the MP4
- ``credits()`` — the credit balance

Resource ``igedit://timeline``: the same summary and draft as JSON.

An error reply becomes a tool result with ``isError`` and the CLI's message; never a
traceback, token or raw JSON. Long tools (upload, edit, export) send
``notifications/progress`` when the client passed a progress token: one per backend
progress step or notice, and a heartbeat at least every :data:`PROGRESS_EVERY`
seconds while the backend is silent, so hosts that give up after ~60 s of silence
never do. Progress values only grow: ``100 × phase + percent`` (phases: upload,
render, download, …), heartbeats add a little; ``total`` stays unset because the
number of phases is not known up front; ``message`` says what is happening.

stdout is the protocol channel. The SDK points fd 1 at stderr while it serves, so a
stray print or a child process cannot corrupt it; logs go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from ..errors import SkillError
from ..redact import mask_secrets
from ..replies import Reply
from ..runtime import Runtime, error_reply
from ..templates import render

log = structlog.get_logger(__name__)

PROGRESS_EVERY = 10.0
PROGRESS_EVERY_ENV = "IGEDIT_MCP_PROGRESS_EVERY"  # seconds; tests use a shorter beat
TIMELINE_URI = "igedit://timeline"
HEARTBEAT_STEP = 0.01

Report = Callable[[float, float | None, str | None], Awaitable[None]]
Work = Callable[[Runtime], Awaitable[None]]


# ---------------------------------------------------------------- progress (pure)
class ProgressTrack:
    """Turns replies into strictly increasing MCP progress values (no I/O)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.value = 0.0
        self.phase = -1
        self.label = ""
        self.message = ""

    def on_reply(self, reply: Reply) -> tuple[float, str] | None:
        """The (progress, message) to send for ``reply``, or None for nothing new."""
        if reply.kind == "progress":
            if reply.label != self.label:
                self.phase += 1
                self.label = reply.label
            pct = reply.percent
            message = render("mcp_progress", self.lang, label=reply.label, percent=pct)
            candidate = 100.0 * max(self.phase, 0) + (pct or 0)
            if candidate <= self.value and message == self.message:
                return None
            self.value = round(max(candidate, self.value + HEARTBEAT_STEP), 2)
            self.message = message
            return self.value, message
        if reply.kind in ("notice", "text", "summary") and reply.text:
            self.value = round(self.value + HEARTBEAT_STEP, 2)
            self.message = reply.text
            return self.value, reply.text
        return None

    def heartbeat(self) -> tuple[float, str]:
        self.value = round(self.value + HEARTBEAT_STEP, 2)
        return self.value, self.message or render("still_working", self.lang)


# ---------------------------------------------------------------- one MCP session
@dataclass
class Outcome:
    """What one tool call produced."""

    texts: list[str] = field(default_factory=list)
    error: bool = False
    files: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        return "\n".join(t for t in self.texts if t) or render("mcp_no_output", lang)


class McpSession:
    """One runtime for the whole MCP session; tool calls run one at a time.

    ``runtime_factory`` builds the :class:`Runtime` on first use (so starting the
    server costs nothing and a bad configuration becomes a tool error, not a crash).
    """

    def __init__(self, runtime_factory: Callable[[], Runtime], *, lang: str = "en",
                 lang_fixed: bool = False, progress_every: float = PROGRESS_EVERY,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._factory = runtime_factory
        self._rt: Runtime | None = None
        self.lang = lang
        self.lang_fixed = lang_fixed
        self.progress_every = progress_every
        self.clock = clock
        self._lock = asyncio.Lock()

    def runtime(self) -> Runtime:
        if self._rt is None:
            self._rt = self._factory()
        return self._rt

    async def aclose(self) -> None:
        if self._rt is not None:
            with contextlib.suppress(Exception):
                await self._rt.aclose()
            self._rt = None

    async def run(self, work: Work, *, report: Report | None = None, text: str = "") -> Outcome:
        """Run ``work`` through ``Runtime.stream``; collect texts, send progress."""
        async with self._lock:
            return await self._run(work, report, text)

    async def _run(self, work: Work, report: Report | None, text: str) -> Outcome:
        out = Outcome()
        lang = self.lang
        try:
            rt = self.runtime()
        except SkillError as exc:
            out.texts.append(error_reply(exc, lang).text)
            out.error = True
            return out
        if text and not self.lang_fixed:
            rt.use_lang(text)
        track = ProgressTrack(rt.lang)
        send_lock = asyncio.Lock()
        last_sent = self.clock()

        async def send(value: float, message: str) -> None:
            nonlocal last_sent
            if report is None:
                return
            async with send_lock:
                last_sent = self.clock()
                try:
                    await report(value, None, message)
                except Exception as exc:  # noqa: BLE001 - a gone client must not fail the work
                    log.info("progress_send_failed", error=type(exc).__name__)

        async def ticker() -> None:
            # Sleep until the silence would reach 90 % of the beat, so the gap between
            # two notifications never exceeds the beat whatever the backend does.
            while True:
                wait = last_sent + self.progress_every * 0.9 - self.clock()
                if wait > 0:
                    await asyncio.sleep(wait)
                    continue
                await send(*track.heartbeat())

        beat = asyncio.create_task(ticker()) if report is not None else None
        try:
            async for reply in rt.stream(lambda: work(rt)):
                if reply.kind == "error":
                    out.error = True
                    out.texts.append(reply.text)
                    continue
                if reply.kind == "file" and reply.file:
                    out.files.append(reply.file)
                if reply.kind != "progress" and reply.text:
                    out.texts.append(reply.text)
                step = track.on_reply(reply)
                if step is not None:
                    await send(*step)
        except Exception as exc:  # noqa: BLE001 - a bug must read as a clear message, not a traceback
            log.exception("mcp_tool_crashed", error=type(exc).__name__)
            out.error = True
            out.texts.append(render("error_generic", rt.lang, detail=type(exc).__name__))
        finally:
            if beat is not None:
                beat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await beat
        return out

    async def snapshot(self) -> dict[str, Any]:
        """The timeline as a JSON-able dict (for the resource); raises SkillError."""
        async with self._lock:
            rt = self.runtime()
            await rt.ready()
            return _timeline_data(await rt.backend.state())


def _timeline_data(state: Any) -> dict[str, Any]:
    from ..draft import summarize

    # The draft is data for the host, not text for the user: keep it JSON but mask
    # anything that looks like a token (signed media URLs can carry one).
    draft = json.loads(mask_secrets(json.dumps(state.draft_raw or {}, ensure_ascii=False)))
    return {"summary": summarize(state.draft), "draft": draft,
            "media": [m.name for m in state.media]}


# ---------------------------------------------------------------- the server
TOOL_DOCS = {
    "upload_media": "Upload video, image, audio or caption files to the editing session. "
                    "`sources`: absolute local paths or http(s) URLs (mp4, mov, avi, webm, mkv, "
                    "jpg, png, gif, webp, mp3, wav, m4a, aac, srt; up to 500 MB each).",
    "edit": "Apply an edit instruction in plain English or Chinese, e.g. \"make it a square "
            "post with lo-fi music and the title 'Hi'\" or \"裁剪成 9:16，加字幕\". "
            "Returns what changed.",
    "timeline": "Show the current timeline: a one-line track summary (text) and the draft "
                "(structured content: summary, draft, media).",
    "export": "Render the timeline and save an Instagram-ready 1080p H.264 MP4 at `path` "
              "(absolute path recommended). `force` overwrites an existing file; `preview` "
              "makes a quick 540p render.",
    "credits": "Show the editing credit balance (the local engine needs none).",
    "transcript": "What is said in the current edit, with times (local engine): `format` text "
                  "(default), srt, vtt or json. Made from the clips' speech on this machine.",
}


def build_server(session: McpSession) -> Any:
    """An ``MCPServer`` exposing the igedit tools and the timeline resource."""
    from mcp.server.mcpserver import Context, MCPServer
    from mcp.server.mcpserver.exceptions import ResourceError
    from mcp_types import CallToolResult, TextContent, ToolAnnotations

    from .. import __version__

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        try:
            yield None
        finally:
            await session.aclose()

    server: Any = MCPServer(
        "igedit", title="Instagram Video Editor Desktop", version=__version__,
        instructions=render("mcp_instructions", session.lang), log_level="WARNING",
        lifespan=lifespan,
    )

    def result(out: Outcome, structured: dict[str, Any] | None = None) -> Any:
        content: list[Any] = [TextContent(type="text", text=out.text(session.lang))]
        if out.error:
            return CallToolResult(content=content, is_error=True)
        return CallToolResult(content=content, structured_content=structured)

    def reporter(ctx: Any) -> Report:
        async def report(progress: float, total: float | None, message: str | None) -> None:
            await ctx.report_progress(progress, total, message)
        return report

    async def upload_media(sources: list[str], ctx: Context) -> Any:
        out = await session.run(lambda rt: rt.upload(list(sources)), report=reporter(ctx))
        return result(out)

    async def edit(instruction: str, ctx: Context) -> Any:
        out = await session.run(lambda rt: rt.edit(instruction), report=reporter(ctx),
                                text=instruction)
        return result(out)

    async def timeline() -> Any:
        holder: dict[str, Any] = {}

        async def work(rt: Runtime) -> None:
            await rt.status()
            holder["data"] = _timeline_data(await rt.backend.state())

        out = await session.run(work)
        return result(out, holder.get("data"))

    async def export(path: str, ctx: Context, force: bool = False, preview: bool = False) -> Any:
        out = await session.run(lambda rt: rt.export(path, force=force, preview=preview),
                                report=reporter(ctx))
        return result(out, {"file": out.files[-1]} if out.files else None)

    async def credits() -> Any:
        return result(await session.run(lambda rt: rt.credits()))

    async def transcript(ctx: Context, format: str = "text") -> Any:
        from .transcript_cmd import FORMATS, transcript_text

        fmt = format if format in FORMATS else "text"
        holder: dict[str, str] = {}

        async def work(rt: Runtime) -> None:
            holder["text"] = await transcript_text(rt, fmt)

        out = await session.run(work, report=reporter(ctx))
        if out.error or "text" not in holder:
            return result(out)
        return result(Outcome(texts=[holder["text"]]), {"format": fmt, "transcript": holder["text"]})

    read_only = ToolAnnotations(read_only_hint=True, open_world_hint=False)
    for fn, hints in ((upload_media, None), (edit, None), (timeline, read_only),
                      (export, None), (credits, read_only), (transcript, read_only)):
        _resolve_annotations(fn, Context)
        server.add_tool(fn, description=TOOL_DOCS[fn.__name__], annotations=hints,
                        structured_output=False)

    async def timeline_resource() -> str:
        try:
            data = await session.snapshot()
        except SkillError as exc:
            raise ResourceError(error_reply(exc, session.lang).text) from exc
        return json.dumps(data, ensure_ascii=False)

    server.resource(TIMELINE_URI, name="timeline", title="Timeline",
                    description="The current timeline: track summary, draft and media.",
                    mime_type="application/json")(timeline_resource)
    return server


def _resolve_annotations(fn: Callable[..., Any], context_type: type) -> None:
    """Replace string annotations the SDK cannot resolve from this module's globals.

    With postponed annotations every hint is a string; ``Context`` is imported lazily
    (inside :func:`build_server`), so the SDK's ``get_type_hints`` would not find it.
    """
    hints = dict(fn.__annotations__)
    for name, hint in hints.items():
        if hint == "Context":
            hints[name] = context_type
        elif hint == "Any":
            hints[name] = Any
    fn.__annotations__ = hints


def progress_every() -> float:
    try:
        value = float(os.environ.get(PROGRESS_EVERY_ENV) or PROGRESS_EVERY)
    except ValueError:
        return PROGRESS_EVERY
    return min(max(value, 0.05), PROGRESS_EVERY)


def run_stdio(args: argparse.Namespace) -> int:
    """``igedit mcp``: serve until the client closes stdin."""
    from .commands import make_runtime

    fixed = getattr(args, "lang", None)
    lang = fixed or "en"
    session = McpSession(lambda: make_runtime(args, lang, bool(fixed)), lang=lang,
                         lang_fixed=bool(fixed), progress_every=progress_every())
    server = build_server(session)
    try:
        server.run("stdio")
    except KeyboardInterrupt:
        return 130
    return 0


__all__ = ["McpSession", "Outcome", "ProgressTrack", "build_server", "progress_every",
           "run_stdio"]
