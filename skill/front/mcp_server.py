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
import base64
import contextlib
import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from ..errors import SkillError
from ..redact import mask_secrets
from ..replies import Reply
from ..runtime import Runtime, error_reply
from ..templates import render
from .mcp_args import LANGS

log = structlog.get_logger(__name__)

PROGRESS_EVERY = 10.0
PROGRESS_EVERY_ENV = "IGEDIT_MCP_PROGRESS_EVERY"  # seconds; tests use a shorter beat
TIMELINE_URI = "igedit://timeline"
PROGRESS_TOTAL = 100.0
CEILING = 99.0           # progress stays below this until the call is finished
PHASE_SHARE = 0.7        # a new phase (upload, render, download) spans 70 % of what is left

Report = Callable[[float, float | None, str | None], Awaitable[None]]
Work = Callable[[Runtime], Awaitable[None]]


# ---------------------------------------------------------------- progress (pure)
class ProgressTrack:
    """Turns replies into strictly increasing MCP progress values on one 0–100 scale
    (``total`` = :data:`PROGRESS_TOTAL`), no I/O.

    The phases of a call (upload, render, download…) are not known up front, so each new
    phase takes :data:`PHASE_SHARE` of what is left below :data:`CEILING`; heartbeats
    creep towards the ceiling without reaching it, and :meth:`finish` says 100.
    """

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.value = 0.0
        self.phase = -1
        self.label = ""
        self.message = ""
        self._start = 0.0
        self._span = 0.0

    def _bump(self, candidate: float) -> float:
        nudge = max((CEILING - self.value) * 0.001, 1e-6)
        self.value = min(max(candidate, self.value + nudge), CEILING - 1e-9)
        return self.value

    def on_reply(self, reply: Reply) -> tuple[float, str] | None:
        """The (progress, message) to send for ``reply``, or None for nothing new."""
        if reply.kind == "progress":
            if reply.label != self.label:
                self.phase += 1
                self.label = reply.label
                self._start = self.value
                self._span = (CEILING - self.value) * PHASE_SHARE
            pct = reply.percent
            message = render("mcp_progress", self.lang, label=reply.label, percent=pct)
            candidate = self._start + self._span * (pct or 0) / 100
            if candidate <= self.value and message == self.message:
                return None
            self.message = message
            return self._bump(candidate), message
        if reply.kind in ("notice", "text", "summary") and reply.text:
            self.message = reply.text
            return self._bump(self.value), reply.text
        return None

    def heartbeat(self) -> tuple[float, str]:
        return self._bump(self.value), self.message or render("still_working", self.lang)

    def finish(self) -> tuple[float, str]:
        self.value = PROGRESS_TOTAL
        return self.value, self.message or render("mcp_no_output", self.lang)


# ---------------------------------------------------------------- one MCP session
@dataclass
class Outcome:
    """What one tool call produced."""

    texts: list[str] = field(default_factory=list)
    error: bool = False
    files: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    #: an edit's done / not-done outcome (``skill.engine.plan.outcome``), when the backend said
    outcome: dict[str, Any] | None = None
    lang: str = "en"

    @property
    def nothing_done(self) -> bool:
        """Something was asked and none of it was done."""
        return bool(self.outcome and self.outcome.get("not_done") and not self.outcome.get("done"))

    def text(self, lang: str | None = None) -> str:
        return "\n".join(t for t in self.texts if t) or render("mcp_no_output", lang or self.lang)


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
            self._rt.door = "mcp"
        return self._rt

    def call_lang(self, text: str = "", lang: str | None = None) -> str:
        """The reply language of one call: fixed by the server, else the call's ``lang``
        argument, else its words, else the server's default. Nothing carries over from
        an earlier call."""
        from ..lang import detect_lang

        if self.lang_fixed:
            return self.lang
        if lang in LANGS:
            return str(lang)
        return detect_lang(text, default=self.lang) if text else self.lang

    async def aclose(self) -> None:
        if self._rt is not None:
            with contextlib.suppress(Exception):
                await self._rt.aclose()
            self._rt = None

    async def run(self, work: Work, *, report: Report | None = None, text: str = "",
                  lang: str | None = None) -> Outcome:
        """Run ``work`` through ``Runtime.stream``; collect texts, send progress."""
        from ..templates import at_door

        async with self._lock:
            with at_door("mcp"):   # messages name tools and parameters, not CLI flags
                return await self._run(work, report, text, lang)

    async def _run(self, work: Work, report: Report | None, text: str,
                   lang_arg: str | None = None) -> Outcome:
        out = Outcome()
        lang = self.call_lang(text, lang_arg)
        out.lang = lang
        try:
            rt = self.runtime()
        except SkillError as exc:
            out.texts.append(error_reply(exc, lang, "mcp").text)
            out.error = True
            return out
        rt.lang = lang
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
                    await report(value, PROGRESS_TOTAL, message)
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
        rt.last_outcome = None
        try:
            async for reply in rt.stream(lambda: work(rt)):
                if reply.kind == "not_done":   # its lines are already in the edit's reply
                    continue
                if reply.kind == "error":
                    out.error = True
                    out.texts.append(reply.text)
                    continue
                if reply.kind == "file" and reply.file:
                    out.files.append(reply.file)
                    out.data.update(reply.data)
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
        if report is not None and not out.error:
            await send(*track.finish())
        out.outcome = rt.last_outcome
        return out

    async def snapshot(self) -> dict[str, Any]:
        """The timeline as a JSON-able dict (for the resource); raises SkillError."""
        async with self._lock:
            rt = self.runtime()
            await rt.ready()
            return _timeline_data(await rt.backend.state())


def _timeline_data(state: Any) -> dict[str, Any]:
    from ..draft import encode_draft, summarize

    # The draft is data for the host, not text for the user: keep it JSON but mask
    # anything that looks like a token (signed media URLs can carry one).
    draft = json.loads(mask_secrets(json.dumps(encode_draft(state.draft), ensure_ascii=False)))
    from ..timeline import timeline_view

    timeline = json.loads(mask_secrets(json.dumps(timeline_view(state.draft, state.media),
                                                  ensure_ascii=False)))
    return {"summary": mask_secrets(summarize(state.draft)), "timeline": timeline, "draft": draft,
            "media": [mask_secrets(m.name) for m in state.media]}


# ---------------------------------------------------------------- the server
TOOL_DOCS = {
    "upload_media": "Upload video, image, audio or caption files to the editing session. "
                    "`sources`: absolute local paths or http(s) URLs (mp4, mov, avi, webm, mkv, "
                    "jpg, png, gif, webp, mp3, wav, m4a, aac, srt; up to 500 MB each).",
    "edit": "Apply an edit instruction in plain English or Chinese, e.g. \"make it a square "
            "post with lo-fi music and the title 'Hi'\" or \"裁剪成 9:16，加字幕\". "
            "Returns what was done and, separately, the exact words not done and why "
            "(structured content `done` / `not_done`; isError when nothing was done).",
    "apply_edits": "Apply typed edit operations you planned yourself, all or nothing: `edits` "
                   "is a list of {\"op\": name, \"args\": {...}} (the input schema lists every "
                   "op and its arguments; times in ms, volumes in percent). Nothing applies "
                   "if any edit is invalid; the error names its index and field. With "
                   "several clips in the session, \"clip\": N (from 1) on an edit applies it "
                   "to that clip alone (the clips are then edited separately).",
    "timeline": "The whole timeline as structured content (canvas, tracks, segments with "
                "source, in/out, speed and volume, texts with times and position, look, fades, "
                "music) plus a one-line summary (text).",
    "export": "Render the timeline and save an Instagram-ready 1080p H.264 MP4 at `path` "
              "(absolute path recommended). `force` overwrites an existing file; `preview` "
              "makes a quick 540p render; `resume` saves an interrupted export (one whose "
              "render finished or is still running) to `path` instead of rendering again. "
              "`formats` (e.g. [\"reel\", \"square\", \"4:5\"]; also story, feed, landscape) "
              "writes one file per format from the same edit, each laid out for its canvas, "
              "named <path stem>-<format>.mp4. With several clips in the session, `clip` "
              "(number from 1, or file name) exports that clip alone, and `each` one file per "
              "clip named <path stem>-<clip stem>.mp4 (`formats` goes with neither).",
    "preview_sheet": "Look at the edit before exporting: one PNG (image content) with "
                     "`frames` frames (default 6) spread over the edit as they will be rendered "
                     "(crop, look, titles, captions burned in), each stamped with its time, "
                     "above a waveform of the mixed audio. Every argument is optional: `path` "
                     "to also keep the PNG somewhere (default: the state folder).",
    "credits": "Show the editing credit balance (the local engine needs none).",
    "transcript": "What is said in the current edit, with times (local engine): `format` text "
                  "(default), srt, vtt or json. Made from the clips' speech on this machine.",
}


def build_server(session: McpSession) -> Any:
    """An ``MCPServer`` exposing the igedit tools and the timeline resource."""
    from mcp.server.mcpserver import Context, MCPServer
    from mcp.server.mcpserver.exceptions import ResourceError
    from mcp_types import CallToolResult, ImageContent, TextContent, ToolAnnotations

    from .. import __version__
    from .mcp_args import check_arguments_first, document_params

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

    def result(out: Outcome, structured: dict[str, Any] | None = None,
               extra: list[Any] | None = None) -> Any:
        # every door is redacted: replies already are, but a tool's text and structured
        # content are masked again here so nothing new can slip past (issue 11)
        content: list[Any] = [TextContent(type="text", text=mask_secrets(out.text()))]
        if out.error:
            return CallToolResult(content=content, is_error=True)
        if out.outcome is not None:   # done / not_done for the host to read
            structured = {**(structured or {}), "done": out.outcome.get("done", []),
                          "not_done": out.outcome.get("not_done", [])}
        if structured is not None:
            structured = json.loads(mask_secrets(json.dumps(structured, ensure_ascii=False)))
        return CallToolResult(content=content + list(extra or []),
                              structured_content=structured, is_error=out.nothing_done)

    def reporter(ctx: Any) -> Report:
        async def report(progress: float, total: float | None, message: str | None) -> None:
            await ctx.report_progress(progress, total, message)
        return report

    async def upload_media(sources: list[str], ctx: Context, lang: str | None = None) -> Any:
        out = await session.run(lambda rt: rt.upload(list(sources)), report=reporter(ctx),
                                lang=lang)
        return result(out)

    async def edit(instruction: str, ctx: Context, lang: str | None = None) -> Any:
        out = await session.run(lambda rt: rt.edit(instruction), report=reporter(ctx),
                                text=instruction, lang=lang)
        return result(out)

    async def apply_edits(edits: list[Any], ctx: Context, lang: str | None = None) -> Any:
        out = await session.run(lambda rt: rt.apply_edits(list(edits)), report=reporter(ctx),
                                lang=lang)
        return result(out)

    async def timeline(lang: str | None = None) -> Any:
        holder: dict[str, Any] = {}

        async def work(rt: Runtime) -> None:
            await rt.status()
            holder["data"] = _timeline_data(await rt.backend.state())

        out = await session.run(work, lang=lang)
        return result(out, holder.get("data"))

    async def export(path: str, ctx: Context, force: bool = False, preview: bool = False,
                     resume: bool = False, formats: list[str] | None = None,
                     lang: str | None = None, clip: str | None = None,
                     each: bool = False) -> Any:
        from ..formats import parse_formats

        choice = "each" if each else clip
        out = await session.run(
            lambda rt: rt.export(path, force=force, preview=preview, resume=resume, clip=choice,
                                 formats=parse_formats(formats) if formats else None),
            report=reporter(ctx), lang=lang)
        if len(out.files) > 1:   # several formats or clips: every file, and the last as before
            return result(out, {"file": out.files[-1], "files": list(out.files)})
        return result(out, {"file": out.files[-1]} if out.files else None)

    async def credits(lang: str | None = None) -> Any:
        return result(await session.run(lambda rt: rt.credits(), lang=lang))

    async def preview_sheet(ctx: Context, path: str | None = None, frames: int = 6,
                            force: bool = False, lang: str | None = None) -> Any:
        out = await session.run(lambda rt: rt.preview_sheet(path, frames=frames, force=force),
                                report=reporter(ctx), lang=lang)
        image: list[Any] = []
        if not out.error and out.data.get("path"):
            png = await asyncio.to_thread(Path(out.data["path"]).read_bytes)
            image.append(ImageContent(type="image", data=base64.b64encode(png).decode("ascii"),
                                      mime_type="image/png"))
        return result(out, dict(out.data) or None, image)

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
    for fn, hints in ((upload_media, None), (edit, None), (apply_edits, None),
                      (timeline, read_only), (preview_sheet, None), (export, None),
                      (credits, read_only), (transcript, read_only)):
        _resolve_annotations(fn, Context)
        server.add_tool(fn, description=TOOL_DOCS[fn.__name__], annotations=hints,
                        structured_output=False)
        document_params(server._tool_manager.get_tool(fn.__name__))

    check_arguments_first(server, session, CallToolResult, TextContent)

    async def timeline_resource() -> str:
        from ..templates import at_door

        with at_door("mcp"):
            try:
                data = await session.snapshot()
            except SkillError as exc:
                raise ResourceError(mask_secrets(error_reply(exc, session.lang, "mcp").text)
                                    ) from exc
        return mask_secrets(json.dumps(data, ensure_ascii=False))

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
    from ..lang import LangPolicy
    from .session import make_runtime

    fixed = getattr(args, "lang", None)
    lang = fixed or "en"
    session = McpSession(lambda: make_runtime(args, LangPolicy(flag=fixed)), lang=lang,
                         lang_fixed=bool(fixed), progress_every=progress_every())
    server = build_server(session)
    try:
        server.run("stdio")
    except KeyboardInterrupt:
        return 130
    return 0


__all__ = ["McpSession", "Outcome", "ProgressTrack", "build_server", "progress_every",
           "run_stdio"]
