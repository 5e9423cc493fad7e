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
from typing import TYPE_CHECKING, Any, cast

import structlog

from ..draft import decode_draft
from ..errors import SkillError, StoreError
from ..events import encode_adk_event
from ..lang import detect_lang
from ..templates import render

if TYPE_CHECKING:
    from .planner import Plan
    from .workspace import Workspace

log = structlog.get_logger(__name__)
AUTHOR = "nemo_agent"
_SAVE_ATTEMPTS = 5


#: the whole instruction asks to undo the last change (compound requests go to the planner)
UNDO = re.compile(
    r"^\s*(?:please\s+)?(?:(?:undo|revert|reverse)(?:\s+(?:that|it|this|the\s+last\s+(?:change|edit|step)"
    r"|my\s+last\s+(?:change|edit)))?|go\s+back(?:\s+(?:one|a)\s+step)?|take\s+(?:that|it)\s+back"
    r"|(?:撤销|撤銷|撤回|还原|還原|回退)(?:一下)?(?:上一步|刚才的(?:修改|操作|编辑)|剛才的(?:修改|操作|編輯))?"
    r"|(?:恢复|恢復|退回|回到)上一步)\s*(?:please|吧|一下)?\s*[.!。！]*\s*$", re.IGNORECASE)


def new_invocation_id() -> str:
    return f"e-{uuid.uuid4()}"


def canvas_config(draft: dict[str, Any]) -> dict[str, Any]:
    meta = draft.get("m") if isinstance(draft.get("m"), dict) else {}
    assert isinstance(meta, dict)
    out: dict[str, Any] = {}
    if meta.get("ratio"):
        out["ratio"] = meta["ratio"]
    if meta.get("w") and meta.get("h"):
        out["width"], out["height"] = meta["w"], meta["h"]
    return out


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
                draft: dict[str, Any]) -> dict[str, Any]:
    """Event 2 of a successful turn: the function responses and the new draft (plus its
    canvas) as the state delta."""
    delta: dict[str, Any] = {"draft": draft}
    canvas = canvas_config(draft)
    if canvas:
        delta["canvas_config"] = canvas
    return encode_adk_event(invocation_id=invocation_id, event_id=str(uuid.uuid4()),
                            author=AUTHOR, responses=responses, state_delta=delta,
                            timestamp=time.time())


async def _plan(ws: Workspace, text: str, draft: dict[str, Any], ctx: Any) -> Plan:
    # the planner may call Claude over the network, synchronously: keep the loop free
    result: Any = await asyncio.to_thread(ws.planner.plan, text, draft, ctx)
    if inspect.isawaitable(result):  # an async planner works too
        result = await result
    return cast("Plan", result)


def reply_text(plan: Plan, lang: str) -> str:
    """What was applied (each operation's own description) and what was not understood
    (the planner's ``plan_reply`` template)."""
    from .planner import describe_plan

    return describe_plan(plan, lang)


async def edit_turn(ws: Workspace, sid: str, text: str, *, lang: str,
                    invocation_id: str | None = None) -> AsyncIterator[dict[str, Any]]:
    """Plan ``text`` against the session's draft, apply, persist; yield ADK events."""
    inv = invocation_id or new_invocation_id()
    lang = detect_lang(text, lang)
    session = ws.require(sid)
    ws.db.touch_session(sid)
    if UNDO.match(text or ""):
        async for event in _undo_turn(ws, sid, inv, lang):
            yield event
        return
    if not decode_draft(session.draft).ready:
        yield text_event(inv, render("local_upload_first", lang))
        return
    from .planner import apply_plan

    ctx = ws.context(sid, lang)
    try:
        plan = await _plan(ws, text, session.draft, ctx)
    except SkillError as exc:
        log.warning("plan.failed", error=str(exc))
        yield text_event(inv, render(exc.key, lang, **exc.ctx))
        return
    if not plan.ops:
        yield text_event(inv, reply_text(plan, lang))
        return

    calls: list[dict[str, Any]] = [{"id": f"adk-{uuid.uuid4()}", "name": op.tool, "args": op.args()}
                                   for op in plan.ops]
    yield calls_event(inv, calls)
    from .ops_speech import listening_note

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
    yield state_event(inv, responses, new_draft)
    reply = reply_text(plan, lang)
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
                                 summary=summarize(decode_draft(restored))))


def font_warning(draft: dict[str, Any], lang: str) -> str:
    """Say now, not after the render, when the draft's text has no font to draw it."""
    from .fonts import find_font, has_cjk

    texts = " ".join(str(s.meta.get("text") or "") for t in decode_draft(draft).tracks
                     if t.type == 7 for s in t.segments)
    if not texts.strip():
        return ""
    try:
        font = find_font(texts)
    except SkillError as exc:
        return render(exc.key, lang, **exc.ctx)
    return render("render_no_cjk_font", lang) if has_cjk(texts) and not font.cjk else ""


async def _apply_and_save(ws: Workspace, sid: str, plan: Plan, ctx: Any, apply_plan: Any,
                          ) -> dict[str, Any]:
    for _ in range(_SAVE_ATTEMPTS):
        session = ws.require(sid)
        # off the event loop: an op that listens to the speech may transcribe a clip first
        new_draft: dict[str, Any] = await asyncio.to_thread(apply_plan, session.draft, plan, ctx)
        if ws.db.save_draft(sid, new_draft, expect_rev=session.rev) >= 0:
            return new_draft
        await asyncio.sleep(0)  # another process saved first: apply to its draft instead
    raise StoreError("the session kept changing during the edit", key="error_store_locked",
                     home=str(ws.home))
