"""One edit turn of the local engine, as ADK event objects.

The same objects go two ways: :class:`~skill.engine.local.LocalEngine` decodes them
with :func:`skill.events.decode_event` (so the host sees exactly what the cloud would
send), and ``igedit serve`` writes them as ``data:`` lines on ``/run_sse``.

A turn is::

    1. model  functionCall × N      (one part per planned operation, parallel calls)
    2. user   functionResponse × N  + actions.stateDelta {"draft": …, "canvas_config": …}
    3. model  text                  what was applied, exactly; what was not understood

The new draft is saved (revision-checked, re-applied if another process edited the
session meanwhile) before event 2 is yielded, so anyone who sees the state delta or
the reply can read the same draft back from the database.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

import structlog

from ..draft import Draft, encode_draft
from ..errors import SkillError, StoreError
from ..events import encode_adk_event
from ..lang import detect_lang
from ..templates import render

if TYPE_CHECKING:
    from .db import EngineDB, SessionRow
    from .ops.draftedit import PlanContext
    from .plan.batch import BatchTurn
    from .plan.outcome import Settled
    from .plan.types import Plan, Planner

log = structlog.get_logger(__name__)
AUTHOR = "nemo_agent"
_SAVE_ATTEMPTS = 5


#: the whole instruction asks to undo the last change (compound requests go to the planner)
UNDO = re.compile(
    r"^\s*(?:please\s+)?(?:(?:undo|revert|reverse)(?:\s+(?:that|it|this|the\s+last\s+(?:change|edit|step)"
    r"|my\s+last\s+(?:change|edit)))?|go\s+back(?:\s+(?:one|a)\s+step)?|take\s+(?:that|it)\s+back"
    r"|(?:撤销|撤銷|撤回|还原|還原|回退)(?:一下)?(?:上一步|刚才的(?:修改|操作|编辑)|剛才的(?:修改|操作|編輯))?"
    r"|(?:恢复|恢復|退回|回到)上一步)\s*(?:please|吧|一下)?\s*[.!。！]*\s*$", re.IGNORECASE)


class Workspace(Protocol):
    """What a turn needs of the engine's workspace (:class:`.workspace.Workspace` has it)."""

    @property
    def home(self) -> Path: ...
    @property
    def db(self) -> EngineDB: ...
    @property
    def planner(self) -> Planner: ...
    @property
    def cloud_option(self) -> bool: ...
    def require(self, sid: str, owner: str | None = None) -> SessionRow: ...
    def context(self, sid: str, lang: str) -> PlanContext: ...


def new_invocation_id() -> str:
    return f"e-{uuid.uuid4()}"


def canvas_config(draft: Draft) -> dict[str, Any]:
    return draft.canvas.config()


def text_event(invocation_id: str, text: str) -> dict[str, Any]:
    obj = encode_adk_event(invocation_id=invocation_id, event_id=str(uuid.uuid4()),
                           author=AUTHOR, text=text, timestamp=time.time())
    obj["finishReason"] = "STOP"
    return obj


def calls_event(invocation_id: str, calls: list[dict[str, Any]]) -> dict[str, Any]:
    """Event 1 of a turn: the model's function calls (``id``/``name``/``args`` each)."""
    obj = encode_adk_event(invocation_id=invocation_id, event_id=str(uuid.uuid4()),
                           author=AUTHOR, calls=calls, timestamp=time.time())
    obj["finishReason"] = "STOP"
    obj["longRunningToolIds"] = []
    return obj


def state_event(invocation_id: str, responses: list[dict[str, Any]],
                draft: Draft, outcome: dict[str, Any] | None = None) -> dict[str, Any]:
    """Event 2 of a successful turn: the function responses and the new draft (plus its
    canvas, and the turn's done / not-done outcome) as the state delta. An event is an
    edge: the draft goes out in its wire form."""
    from .plan.outcome import DELTA_KEY

    delta: dict[str, Any] = {"draft": encode_draft(draft)}
    if outcome is not None:
        delta[DELTA_KEY] = outcome
    canvas = canvas_config(draft)
    if canvas:
        delta["canvas_config"] = canvas
    return encode_adk_event(invocation_id=invocation_id, event_id=str(uuid.uuid4()),
                            author=AUTHOR, responses=responses, state_delta=delta,
                            timestamp=time.time())


async def _plan(ws: Workspace, text: str, draft: Draft, ctx: Any) -> Plan:
    # the planner may call Claude over the network, synchronously: keep the loop free
    result: Any = await asyncio.to_thread(ws.planner.plan, text, draft, ctx)
    if inspect.isawaitable(result):  # an async planner works too
        result = await result
    return cast("Plan", result)


def outcome_event(invocation_id: str, settled: Settled, lang: str) -> dict[str, Any]:
    """A turn that changed nothing still tells hosts what was not done, and why."""
    from .plan.outcome import DELTA_KEY, outcome_data

    return encode_adk_event(invocation_id=invocation_id, event_id=str(uuid.uuid4()),
                            author=AUTHOR, state_delta={DELTA_KEY: outcome_data(settled, lang)},
                            timestamp=time.time())


def settled_reply(settled: Settled, plan: Plan, lang: str) -> str:
    """What was done, what was not (each with its reason), then the planner's notes."""
    from .plan.outcome import describe

    return describe(settled, lang, plan.notes)


def reply_text(plan: Plan, lang: str) -> str:
    """What was applied (each operation's own description) and what was not understood
    (the planner's ``plan_reply`` template)."""
    from .plan.planner import describe_plan

    return describe_plan(plan, lang)


async def edit_turn(ws: Workspace, sid: str, text: str, *, lang: str,
                    invocation_id: str | None = None, follow_words: bool = True,
                    ) -> AsyncIterator[dict[str, Any]]:
    """Plan ``text`` against the session's draft, apply, persist; yield ADK events.

    The reply is in ``lang``; with ``follow_words`` (the HTTP API, where no host decided)
    Han characters in ``text`` make it Chinese. A host with a language policy passes
    ``follow_words=False``: its ``--lang``/``/lang`` must hold.
    """
    inv = invocation_id or new_invocation_id()
    if follow_words:
        lang = detect_lang(text, lang)
    session = ws.require(sid)
    ws.db.touch_session(sid)
    if UNDO.match(text or ""):
        async for event in _undo_turn(ws, sid, inv, lang):
            yield event
        return
    if not session.draft.ready:
        from .plan.outcome import NotDone, Settled

        yield text_event(inv, render("local_upload_first", lang))
        # nothing of it was done: hosts read why (exit code 3, MCP isError)
        missing = NotDone(text.strip(), "no_media", render("notdone_no_media", lang))
        yield outcome_event(inv, Settled((), (missing,)), lang)
        return
    from .plan.outcome import outcome_data, settle_plan
    from .plan.planner import Plan, apply_plan

    ctx = ws.context(sid, lang)
    try:
        batch = await _batch_and_save(ws, sid, text, ctx)
        if batch is None:
            plan = await _plan(ws, text, session.draft, ctx)
    except SkillError as exc:
        log.warning("plan.failed", error=str(exc))
        yield text_event(inv, render(exc.key, lang, **exc.ctx))
        return
    if batch is not None:   # several clips, edited separately (plan/batch.py)
        for event in _batch_events(inv, batch):
            yield event
        return
    settled = settle_plan(plan.ops, plan.not_understood, session.draft, ctx,
                          cloud_option=ws.cloud_option)
    plan = Plan(settled.ops, (), plan.notes)
    if not plan.ops:
        yield outcome_event(inv, settled, lang)
        yield text_event(inv, settled_reply(settled, plan, lang))
        return

    calls: list[dict[str, Any]] = [{"id": f"adk-{uuid.uuid4()}", "name": op.tool, "args": op.args()}
                                   for op in plan.ops]
    yield calls_event(inv, calls)
    from .ops.speech import listening_note

    note = listening_note(plan.ops, session.draft, lang)   # "Listening to talk.mp4…" (not cached yet)
    if note:
        yield text_event(inv, note)

    try:
        new_draft = await _apply_and_save(ws, sid, plan, ctx, apply_plan)
    except SkillError as exc:
        log.warning("apply.failed", error=str(exc))
        responses = [{"id": c["id"], "name": c["name"],
                      "response": {"status": "error", "message": str(exc)}} for c in calls]
        yield encode_adk_event(invocation_id=inv, event_id=str(uuid.uuid4()), author=AUTHOR,
                               responses=responses, timestamp=time.time())
        yield text_event(inv, render(exc.key, lang, **exc.ctx))
        return
    responses = [{"id": c["id"], "name": c["name"], "response": {"status": "success", **c["args"]}}
                 for c in calls]
    yield state_event(inv, responses, new_draft, outcome=outcome_data(settled, lang))
    reply = settled_reply(settled, plan, lang)
    warning = await asyncio.to_thread(font_warning, new_draft, lang)
    yield text_event(inv, f"{reply}\n{warning}" if warning else reply)


async def _undo_turn(ws: Workspace, sid: str, inv: str, lang: str,
                     ) -> AsyncIterator[dict[str, Any]]:
    """Put back the draft before the latest change, as an ``undo`` call and its state delta."""
    from ..draft import summarize

    undone = await asyncio.to_thread(ws.db.undo_draft, sid)
    if undone is None:
        yield text_event(inv, render("local_undo_nothing", lang))
        return
    _, restored = undone
    call = {"id": f"adk-{uuid.uuid4()}", "name": "undo", "args": {}}
    yield calls_event(inv, [call])
    yield state_event(inv, [{"id": call["id"], "name": "undo",
                             "response": {"status": "success"}}], restored)
    yield text_event(inv, render("local_undo_done", lang,
                                 ratio=canvas_config(restored).get("ratio", ""),
                                 summary=summarize(restored)))


async def _batch_and_save(ws: Workspace, sid: str, text: str, ctx: Any) -> BatchTurn | None:
    """The several-clip turn (:mod:`.plan.batch`), saved; None for an ordinary turn."""
    from .plan.batch import batch_turn

    async def plan(words: str, draft: Draft, sub: Any) -> Plan:
        return await _plan(ws, words, draft, sub)

    for _ in range(_SAVE_ATTEMPTS):
        session = ws.require(sid)
        batch = await batch_turn(plan, text, session.draft, ctx, cloud_option=ws.cloud_option)
        if batch is None:
            return None
        if batch.draft == session.draft or \
                ws.db.save_draft(sid, batch.draft, expect_rev=session.rev) >= 0:
            return batch
        await asyncio.sleep(0)  # another process saved first: plan against its draft
    raise StoreError("the session kept changing during the edit", key="error_store_locked",
                     home=str(ws.home))


def _batch_events(inv: str, batch: BatchTurn) -> list[dict[str, Any]]:
    """The ADK events of a several-clip turn: calls (each naming its clip), state, reply."""
    calls: list[dict[str, Any]] = [
        {"id": f"adk-{uuid.uuid4()}", "name": op.tool,
         "args": {**op.args(), **({"clip": i + 1} if i is not None else {})}}
        for i, op in batch.calls]
    events = [calls_event(inv, calls)] if calls else []
    responses = [{"id": c["id"], "name": c["name"], "response": {"status": "success", **c["args"]}}
                 for c in calls]
    events.append(state_event(inv, responses, batch.draft, outcome=batch.outcome))
    events.append(text_event(inv, batch.reply))
    return events


def font_warning(draft: Draft, lang: str) -> str:
    """Say now, not after the render, when some of the draft's text has no font to draw it
    (each such character named), or when there is no font at all."""
    from .render.fonts import find_font
    from .render.glyphs import chain, describe, draft_texts, missing

    texts = draft_texts(draft)
    if not texts.strip():
        return ""
    try:
        font = find_font(texts)
    except SkillError as exc:
        return render(exc.key, lang, **exc.ctx)
    lost = missing(texts, chain(font))
    return render("render_missing_glyphs", lang, chars=describe(lost)) if lost else ""


async def _apply_and_save(ws: Workspace, sid: str, plan: Plan, ctx: Any, apply_plan: Any,
                          ) -> Draft:
    for _ in range(_SAVE_ATTEMPTS):
        session = ws.require(sid)
        # off the event loop: an op that listens to the speech may transcribe a clip first
        new_draft: Draft = await asyncio.to_thread(apply_plan, session.draft, plan, ctx)
        if ws.db.save_draft(sid, new_draft, expect_rev=session.rev) >= 0:
            return new_draft
        await asyncio.sleep(0)  # another process saved first: apply to its draft instead
    raise StoreError("the session kept changing during the edit", key="error_store_locked",
                     home=str(ws.home))
