"""The host: turns what the user says into handler calls and a stream of replies.

``Runtime.handle(utterance, files)`` routes the words through the intent table and
runs the upload / credits / state / export / edit handlers against whichever
:class:`~skill.backend.Backend` it was given. Everything the user reads comes out of
it as :class:`~skill.replies.Reply` objects rendered from templates.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import structlog

from .backend import Backend, NoticeCb, ProgressCb, ReadyInfo, Sleeper
from .draft import Draft, diff, summarize
from .errors import SkillError, StreamDropped, StreamError
from .events import TextAssembler
from .lang import detect_lang
from .replies import Reply
from .store import Store
from .templates import render

log = structlog.get_logger(__name__)

BackendFactory = Callable[[NoticeCb], Backend]
STILL_WORKING_EVERY = 120.0
DROP_FIRST_WAIT = 30.0
DROP_NEXT_WAIT = 60.0
DROP_MAX_UNCHANGED = 5
_SENTENCE_END = re.compile(r"(?<=[.!?。！？…])\s+|(?<=[。！？])|\n+")


class Runtime:
    """The skill host. One instance per front-door session (a CLI call, a chat, MCP)."""

    def __init__(
        self, backend_factory: BackendFactory, store: Store, *, lang: str = "en",
        lang_fixed: bool = False, sleep: Sleeper = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic, cwd: Path | None = None,
    ) -> None:
        self.store = store
        self.lang = lang
        self.lang_fixed = lang_fixed
        self.sleep = sleep
        self.clock = clock
        self.cwd = cwd or Path.cwd()
        self._queue: asyncio.Queue[Reply | None] | None = None
        self.backend: Backend = backend_factory(self.notice)
        self._ready: ReadyInfo | None = None

    # ------------------------------------------------------------ plumbing
    def emit(self, reply: Reply) -> None:
        if self._queue is not None:
            self._queue.put_nowait(reply)

    def say_key(self, key: str, kind: str = "notice", **ctx: Any) -> None:
        self.emit(Reply(kind=kind, text=render(key, self.lang, **ctx), key=key))  # type: ignore[arg-type]

    def notice(self, key: str, ctx: dict[str, Any]) -> None:
        self.say_key(key, **ctx)

    def _progress(self, label: str, done: float, total: float | None) -> None:
        self.emit(Reply(kind="progress", label=label, done=done, total=total))

    @property
    def progress_cb(self) -> ProgressCb:
        return self._progress

    def use_lang(self, text: str) -> None:
        if not self.lang_fixed:
            self.lang = detect_lang(text, default=self.lang)

    async def stream(self, work: Callable[[], Awaitable[None]]) -> AsyncIterator[Reply]:
        """Run ``work`` and yield its replies as they happen; errors become error replies."""
        queue: asyncio.Queue[Reply | None] = asyncio.Queue()
        self._queue = queue

        async def runner() -> None:
            try:
                self._store_warnings()
                await work()
            except SkillError as exc:
                log.info("skill_error", error=type(exc).__name__, key=exc.key)
                self.emit(error_reply(exc, self.lang))
            except asyncio.CancelledError:
                self.emit(Reply(kind="error", text=render("cancelled", self.lang),
                                 key="cancelled", code="cancelled", exit_code=130))
                raise
            finally:
                self._store_warnings()  # a file found corrupt while working
                queue.put_nowait(None)

        task = asyncio.create_task(runner())
        try:
            while True:
                item = await queue.get()
                if item is None:
                    break
                yield item
        finally:
            if not task.done():
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            # anything emitted while cancelling
            while not queue.empty():
                item = queue.get_nowait()
                if item is not None:
                    yield item
            self._queue = None

    def _store_warnings(self) -> None:
        for warning in self.store.warnings:
            self.say_key("store_warning", **warning)
        self.store.warnings.clear()

    async def ready(self) -> ReadyInfo:
        if self._ready is None:
            self._ready = await self.backend.ready(self.lang)
        return self._ready

    async def new_session(self) -> ReadyInfo:
        """Start a fresh session (``igedit make`` must not join the current timeline)."""
        self._ready = await self.backend.ready(self.lang, fresh=True)
        return self._ready

    async def aclose(self) -> None:
        await self.backend.aclose()

    # ------------------------------------------------------------ entry points
    def handle(self, utterance: str, files: Sequence[str] = ()) -> AsyncIterator[Reply]:
        """Route ``utterance`` (plus explicitly attached ``files``) and run every step."""
        return self.stream(lambda: self.say(utterance, files))

    async def say(self, utterance: str, files: Sequence[str] = ()) -> None:
        """Run the steps the intent table plans for what the user said."""
        from .intents import route

        self.use_lang(utterance)
        if files:
            await self.upload(list(files))
        steps = route(utterance)
        if not steps and not files:
            self.say_key("nothing_to_do", kind="text")
        for step in steps:
            if step.action == "upload" and not step.arg:
                if not files:  # "upload" with no file named
                    self.say_key("upload_which", kind="text")
                continue
            await self.run_step(step.action, step.arg)

    async def run_step(self, action: str, arg: str = "") -> None:
        if action == "upload":
            await self.upload([arg])
        elif action == "credits":
            await self.credits()
        elif action == "state":
            await self.status()
        elif action == "export":
            await self.export()
        else:
            await self.edit(arg)

    # ------------------------------------------------------------ handlers
    async def upload(self, sources: Sequence[str]) -> None:
        await self.ready()
        items = await self.backend.upload(list(sources), progress=self._progress)
        names = [m.name for m in items]
        self.say_key("upload_done", kind="text", count=len(items), names=names,
                     items=[_media_line(m) for m in items])

    async def credits(self) -> None:
        await self.ready()
        c = await self.backend.credits()
        if c.local:
            self.say_key("credits_local", kind="text")
        else:
            self.say_key("credits", kind="text", available=c.available, frozen=c.frozen,
                         total=c.total)

    async def status(self) -> None:
        await self.ready()
        st = await self.backend.state()
        self.emit(Reply(kind="summary", text=summarize(st.draft), key="summary",
                         data={"tracks": len(st.draft.tracks)}))
        if st.media:
            self.say_key("media_list", kind="text", items=[_media_line(m, self.lang) for m in st.media])
        elif not st.draft.tracks:
            self.say_key("timeline_empty", kind="text")

    async def edit(self, text: str, *, hint_export: bool = True, _depth: int = 0) -> None:
        from .gui import translate

        if not text.strip():
            self.say_key("edit_empty", kind="text")
            return
        await self.ready()
        before = (await self.backend.state()).draft
        assembler = TextAssembler()
        buffer = ""
        shown = False
        actions: list[Any] = []
        started = last_notice = self.clock()

        def flush(final: bool) -> None:
            # Emit whole sentences only, so a GUI phrase split across streamed chunks
            # ("Click " | "the Export button") is translated as one.
            nonlocal buffer, shown
            if final:
                cut = len(buffer)
            else:
                ends = [m.end() for m in _SENTENCE_END.finditer(buffer)]
                cut = ends[-1] if ends else 0
            out, buffer = buffer[:cut].strip(), buffer[cut:]
            if out:
                tr = translate(out, self.lang)
                actions.extend(tr.actions)
                if tr.text.strip():
                    self.emit(Reply(kind="text", text=render("backend_text", self.lang,
                                                              text=tr.text.strip())))
                    shown = True

        try:
            # aclosing: an error raised mid-stream closes the SSE response in this task.
            async with contextlib.aclosing(self.backend.send(text)) as events:  # type: ignore[type-var]
                async for ev in events:
                    now = self.clock()
                    if ev.kind == "text":
                        buffer += assembler.feed(ev)
                        flush(final=not ev.partial)
                    elif ev.kind == "heartbeat":
                        if now - max(started, last_notice) >= STILL_WORKING_EVERY:
                            self.say_key("still_working")
                            last_notice = now
                    elif ev.kind in ("tool_call", "tool_result"):
                        log.info("tool", kind=ev.kind, name=ev.name)
                    elif ev.kind == "error":
                        raise StreamError(ev.text or ev.code, detail=_clean_detail(ev.text, ev.code))
            flush(final=True)
        except StreamDropped:
            flush(final=True)
            await self._recover_after_drop(before)
            return
        if not shown:
            after = (await self.backend.state()).draft
            changes = diff(before, after)
            if changes:
                self.say_key("edit_changes", kind="text", changes=changes,
                             summary=summarize(after))
            else:
                self.say_key("edit_no_change", kind="text")
        await self._run_gui_actions(actions, depth=_depth, hint_export=hint_export)

    async def _run_gui_actions(self, actions: Sequence[Any], *, depth: int,
                               hint_export: bool) -> None:
        seen: set[tuple[str, str]] = set()
        for action in actions:
            key = (action.kind, action.arg)
            if key in seen:
                continue
            seen.add(key)
            if action.kind in ("state", "summary"):
                st = await self.backend.state()
                self.emit(Reply(kind="summary", text=summarize(st.draft), key="summary"))
            elif action.kind == "export" or (action.kind == "api" and action.arg == "export"):
                if hint_export:
                    self.say_key("export_hint", kind="text")
            elif action.kind == "sse" and action.arg and depth == 0:
                await self.edit(action.arg, hint_export=hint_export, _depth=1)

    async def _recover_after_drop(self, before: Draft) -> None:
        """The stream dropped: never re-send; watch the state until it changes or settles."""
        self.say_key("stream_dropped_waiting")
        await self.sleep(DROP_FIRST_WAIT)
        unchanged = 0
        while True:
            try:
                after = (await self.backend.state()).draft
            except SkillError:
                after = before
            changes = diff(before, after)
            if changes:
                self.say_key("error_stream_dropped", kind="text", changed=True,
                             changes="; ".join(changes))
                self.emit(Reply(kind="summary", text=summarize(after), key="summary"))
                return
            unchanged += 1
            if unchanged >= DROP_MAX_UNCHANGED:
                raise StreamDropped("no change after the stream dropped", key="error_stream_dropped",
                                    changed=False)
            await self.sleep(DROP_NEXT_WAIT)

    async def export(self, out: str | Path | None = None, *, force: bool = False,
                     resume: bool = False, preview: bool = False) -> None:
        from .exporter import Exporter

        await self.ready()
        await Exporter(self).run(out, force=force, resume=resume, preview=preview)


def _media_line(m: Any, lang: str = "en") -> str:
    bits = []
    if m.width and m.height:
        bits.append(f"{m.width}×{m.height}")
    if m.duration:
        bits.append(f"{m.duration:.1f}s")
    from .engine.vision.status import scene_count

    if (scenes := scene_count(m)) is not None:
        bits.append(render("status_scene_count", lang, count=scenes))
    return f"{m.name} ({', '.join(bits)})" if bits else str(m.name)


def _clean_detail(text: str, code: str) -> str:
    detail = (text or "").strip().splitlines()[0] if text else ""
    if len(detail) > 200:
        detail = detail[:197] + "…"
    if code and code not in detail:
        detail = f"{detail} [{code}]" if detail else code
    return detail


def error_reply(exc: SkillError, lang: str) -> Reply:
    code = exc.ctx.get("code")
    return Reply(kind="error", text=render(exc.key, lang, **exc.ctx), key=exc.key,
                 code=str(code) if code not in (None, "") else exc.key,
                 exit_code=1)


__all__ = ["Runtime", "error_reply"]
