"""The host: turns what the user says into handler calls and a stream of replies.

``Runtime.handle(utterance, files)`` routes the words through the intent table and
runs the upload / credits / state / export / edit handlers against whichever
:class:`~skill.backend.Backend` it was given. Everything the user reads comes out of
it as :class:`~skill.replies.Reply` objects rendered from templates.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import structlog

from .backend import Backend, NoticeCb, ProgressCb, ReadyInfo, Sleeper, WritesReplies
from .draft import HIGH_FPS_MIN, Draft, diff, summarize
from .errors import InputError, SkillError, StreamDropped, StreamError
from .lang import LangPolicy
from .replies import OUTCOME_KEY, Reply
from .store import Store
from .templates import DOOR, render
from .turntext import TurnText

log = structlog.get_logger(__name__)

BackendFactory = Callable[[NoticeCb], Backend]
STILL_WORKING_EVERY = 120.0
DROP_FIRST_WAIT = 30.0
DROP_NEXT_WAIT = 60.0
DROP_MAX_UNCHANGED = 5


class Runtime:
    """The skill host. One instance per front-door session (a CLI call, a chat, MCP)."""

    def __init__(
        self, backend_factory: BackendFactory, store: Store, *, lang: str = "en",
        lang_fixed: bool = False, langs: LangPolicy | None = None,
        sleep: Sleeper = asyncio.sleep, clock: Callable[[], float] = time.monotonic,
        cwd: Path | None = None,
    ) -> None:
        self.store = store
        #: decides the reply language (``lang``/``lang_fixed`` build one when not given)
        self.langs = langs or LangPolicy(flag=lang if lang_fixed else None, default=lang)
        self.sleep = sleep
        self.clock = clock
        self.cwd = cwd or Path.cwd()
        #: the front door ("" for the CLI, "mcp"): picks message variants (see door_key)
        self.door = ""
        self._queue: asyncio.Queue[Reply | None] | None = None
        #: the done / not-done outcome of the latest edit (local engine), or None
        self.last_outcome: dict[str, Any] | None = None
        self.backend: Backend = backend_factory(self.notice)
        self._ready: ReadyInfo | None = None

    # ------------------------------------------------------------ plumbing
    def emit(self, reply: Reply) -> None:
        if self._queue is not None:
            self._queue.put_nowait(reply)

    def door_key(self, key: str) -> str:
        """``key``, or its variant for this front door (``mcp_export_exists`` names tool
        parameters where ``export_exists`` names CLI flags) when there is one."""
        return door_key(key, self.door, self.lang)

    def say_key(self, key: str, kind: str = "notice", **ctx: Any) -> None:
        self.emit(Reply(kind=kind, text=render(self.door_key(key), self.lang, **ctx), key=key))  # type: ignore[arg-type]

    def notice(self, key: str, ctx: dict[str, Any]) -> None:
        self.say_key(key, **ctx)

    def _progress(self, label: str, done: float, total: float | None) -> None:
        self.emit(Reply(kind="progress", label=label, done=done, total=total))

    @property
    def progress_cb(self) -> ProgressCb:
        return self._progress

    @property
    def lang(self) -> str:
        """The reply language now (asked of :attr:`langs`)."""
        return self.langs.current

    @lang.setter
    def lang(self, value: str) -> None:
        self.langs.current = value

    @property
    def lang_fixed(self) -> bool:
        return self.langs.fixed

    def use_lang(self, text: str) -> None:
        """The user said ``text``: let the language policy hear it."""
        self.langs.hear(text)
        self._tell_backend_lang()

    def choose_lang(self, lang: str) -> None:
        """``/lang``: fix the reply language for the rest of the session."""
        self.langs.choose(lang)
        self._tell_backend_lang()

    def _tell_backend_lang(self) -> None:
        if isinstance(self.backend, WritesReplies):
            self.backend.use_lang(self.langs.current, fixed=self.langs.fixed)

    async def stream(self, work: Callable[[], Awaitable[None]]) -> AsyncIterator[Reply]:
        """Run ``work`` and yield its replies as they happen; errors become error replies."""
        queue: asyncio.Queue[Reply | None] = asyncio.Queue()
        self._queue = queue

        async def runner() -> None:
            DOOR.set(self.door)   # this task's messages, the engine's too, follow the door
            try:
                self._store_warnings()
                await work()
            except SkillError as exc:
                log.info("skill_error", error=type(exc).__name__, key=exc.key)
                self.emit(error_reply(exc, self.lang, self.door))
            except OSError as exc:  # a file-system fault no handler mapped: never a traceback
                from .fsfaults import os_error

                log.warning("os_error", error=str(exc))
                self.emit(error_reply(os_error(exc, self.store.home), self.lang, self.door))
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
            if step.action == "export":
                # "export the second clip": the words of the edits in it name no export
                rest = utterance
                for other in steps:
                    if other.action == "sse" and other.arg:
                        rest = rest.replace(other.arg, " ")
                clip = await self._clip_words(rest)
                if not any(s.action == "sse" for s in steps):
                    # "export for stories": the shape for the named target first
                    from .targets import named_target

                    target = named_target(utterance)
                    if target and not await self.retarget(target, clip):
                        return
                await self.export(clip=clip)
                continue
            await self.run_step(step.action, step.arg)

    async def _clip_words(self, utterance: str) -> str | int | None:
        """Which clips an export said in words is for ("export the second clip", "分别导出")."""
        from . import clipset
        from .cliprefs import export_choice

        if self.backend.name != "local":   # the cloud's agent reads clip words itself
            return None
        st = await self.backend.state()
        order = [m.id for m in st.media if getattr(m, "id", None)]
        names = [name for _, name in clipset.visual_media(st.draft, order)]
        return export_choice(utterance, names)

    async def retarget(self, target: str, clip: str | int | None = None) -> bool:
        """Reframe for an Instagram target named in an export (:mod:`.agent`), for the
        clip(s) the export is for when it names some."""
        from .agent import retarget

        return await retarget(self, target, clip)

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
        local = self.backend.name == "local"
        fps_before = (await self.backend.state()).draft.fps if local else None
        items = await self.backend.upload(list(sources), progress=self._progress)
        names = [m.name for m in items]
        self.say_key("upload_done", kind="text", count=len(items), names=names,
                     items=[_media_line(m) for m in items])
        if local and any(m.kind in ("video", "image") for m in items):
            draft = (await self.backend.state()).draft
            if fps_before == 60 and draft.fps != 60:
                # a clip not shot at 60 fps joined a 60 fps edit (ops/draftedit.add_media)
                self.say_key("upload_fps_30", kind="text",
                             names=[m.name for m in items if m.kind == "video" and m.fps
                                    and m.fps < HIGH_FPS_MIN])
            self._say_clips_mode("upload_clips_mode", draft)

    def _say_clips_mode(self, key: str, draft: Draft) -> None:
        """With several clips: whether they are joined or edited separately, and how to switch."""
        from . import clipset

        count = len(clipset.visual_media(draft))
        if count > 1:
            focus = clipset.focus(draft) if clipset.mode(draft) == clipset.EACH else None
            self.say_key(key, kind="text", mode=clipset.mode(draft), count=count,
                         focus=[i + 1 for i in focus] if focus else [])

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
        from .timeline import timeline_view

        self.emit(Reply(kind="summary", text=summarize(st.draft), key="summary",
                         data={"tracks": len(st.draft.tracks),
                               "timeline": timeline_view(st.draft, st.media)}))
        if self.backend.name == "local":
            self._say_clips_mode("status_clips_mode", st.draft)
        formats = st.draft.formats or []
        if len(formats) > 1:   # "export as a Reel and a square post"
            self.say_key("status_formats", kind="text", formats=list(formats))
        if st.media:
            self.say_key("media_list", kind="text", items=[_media_line(m, self.lang) for m in st.media])
        elif not st.draft.tracks:
            self.say_key("timeline_empty", kind="text")

    async def edit(self, text: str, *, hint_export: bool = True, _depth: int = 0) -> None:
        """One instruction to the backend, in named steps: stream the turn (assembling
        and translating its text), then — unless the stream dropped, which is recovered
        from without re-sending — say what changed when no text did, and run the GUI
        follow-up actions the text named."""
        if not text.strip():
            self.say_key("edit_empty", kind="text")
            return
        await self.ready()
        self._tell_backend_lang()
        before = (await self.backend.state()).draft
        turn = TurnText(self.lang)
        self.last_outcome = None
        try:
            await self._stream_turn(text, turn)
        except StreamDropped:
            self._show(turn.flush(final=True))
            await self._recover_after_drop(before)
            return
        outcome = turn.outcome
        self.last_outcome = outcome
        if outcome and outcome.get("not_done"):
            self.emit(Reply(kind="not_done", key="edit_not_done", exit_code=3, data=outcome,
                            text=render("edit_not_done", self.lang,
                                        not_done=outcome["not_done"])))
        if not turn.shown:
            await self._say_changes(before)
        await self._run_gui_actions(turn.actions, depth=_depth, hint_export=hint_export)

    async def _stream_turn(self, text: str, turn: TurnText) -> None:
        """Send ``text``; show the turn's text as whole sentences arrive."""
        started = last_notice = self.clock()
        # aclosing: an error raised mid-stream closes the SSE response in this task.
        async with contextlib.aclosing(self.backend.send(text)) as events:  # type: ignore[type-var]
            async for ev in events:
                if ev.kind == "text":
                    self._show(turn.feed(ev))
                elif ev.kind == "heartbeat":
                    now = self.clock()
                    if now - max(started, last_notice) >= STILL_WORKING_EVERY:
                        self.say_key("still_working")
                        last_notice = now
                elif ev.kind in ("tool_call", "tool_result"):
                    log.info("tool", kind=ev.kind, name=ev.name)
                elif ev.kind == "state" and isinstance(ev.state_delta.get(OUTCOME_KEY), dict):
                    turn.outcome = ev.state_delta[OUTCOME_KEY]
                elif ev.kind == "error":
                    raise StreamError(ev.text or ev.code, detail=_clean_detail(ev.text, ev.code))
        self._show(turn.flush(final=True))

    def _show(self, texts: Sequence[str]) -> None:
        for text in texts:
            self.emit(Reply(kind="text", text=render("backend_text", self.lang, text=text)))

    async def _say_changes(self, before: Draft) -> None:
        """The backend said nothing: say what changed on the timeline (or that nothing did)."""
        after = (await self.backend.state()).draft
        changes = diff(before, after)
        if changes:
            self.say_key("edit_changes", kind="text", changes=changes, summary=summarize(after))
        else:
            self.say_key("edit_no_change", kind="text")

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

    async def apply_edits(self, edits: Any) -> None:
        """Typed ops from a host (``[{"op", "args"}]``), all or nothing (:mod:`.agent`)."""
        from .agent import apply_edits

        await apply_edits(self, edits)

    async def preview_sheet(self, out: str | Path | None = None, *, frames: int = 6,
                            force: bool = False) -> None:
        """The contact sheet of the edit (:mod:`.agent`)."""
        from .agent import preview_sheet

        await preview_sheet(self, out, frames=frames, force=force)

    async def export(self, out: str | Path | None = None, *, force: bool = False,
                     resume: bool = False, preview: bool = False,
                     clip: str | int | None = None,
                     formats: Sequence[str] | None = None) -> None:
        """Render and save the edit.

        ``clip``: one clip (number, file name, 0-based index) or ``"each"`` for one file
        per clip (:mod:`.clipexport`, also used when the clips are edited separately).
        ``formats`` (names of :mod:`.formats`) writes one file per format
        (:mod:`.format_export`); ``None`` uses the formats the edit asked for, if any;
        ``()`` writes one file in the edit's own shape. Per-clip files are written in
        each clip's own shape: a clip export does not also fan out into formats.
        """
        from .exporter import Exporter

        if formats and clip is not None:
            raise InputError("formats with a clip", key="formats_alone")
        await self.ready()
        exporter = Exporter(self)
        # only the local engine separates clips by itself; a clip named explicitly is cut
        # from any backend's joined draft (clipset.split)
        if not resume and (clip is not None or self.backend.name == "local"):
            from .clipexport import export_clips, wants_clips

            st = await self.backend.state()
            if wants_clips(st.draft, clip):
                await export_clips(exporter, st, clip, out, force=force, preview=preview)
                return
        draft: Draft | None = None
        if not resume:
            from .format_export import draft_formats, export_formats, source_ratio
            from .formats import resolve

            state = await self.backend.state()
            asked = tuple(formats) if formats is not None else \
                () if preview else draft_formats(state.draft)   # a preview is one file
            names = resolve(asked, source_ratio=source_ratio(state))
            if len(names) > 1:
                await export_formats(self, out, names, force=force, preview=preview)
                return
            if len(names) == 1 and not await self.retarget_format(names[0]):
                return   # one format named: that shape, one file (not when it failed)
            draft = None if names else state.draft   # read once when nothing changed
        await exporter.run(out, force=force, resume=resume, preview=preview, draft=draft)

    async def retarget_format(self, name: str) -> bool:
        """Reframe for one format before a one-file export (``--formats square``);
        False (nothing is exported) when that could not be done."""
        await self.edit(render("format_instruction", self.lang, name=name), hint_export=False)
        return not (self.last_outcome and self.last_outcome.get("not_done"))


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


def door_key(key: str, door: str, lang: str) -> str:
    """The front door's variant of a message key when the templates have one."""
    from .templates import door_key as variant

    return variant(key, lang, door)


def error_reply(exc: SkillError, lang: str, door: str = "") -> Reply:
    code = exc.ctx.get("code")
    return Reply(kind="error", text=render(door_key(exc.key, door, lang), lang, **exc.ctx),
                 key=exc.key,
                 code=str(code) if code not in (None, "") else exc.key,
                 exit_code=1)


__all__ = ["Runtime", "door_key", "error_reply"]
