"""Typed edit operations for hosts that plan with their own model (no words, no API key).

* :func:`op_catalog` — every op: name, one-line description, JSON schema of its args.
  **The one place** that reads op schemas for hosts (``igedit ops``, the MCP
  ``apply_edits`` input schema); if op validation moves (e.g. to pydantic models), only
  this function needs adapting.
* :func:`parse_edits` — a JSON array of ``{"op": name, "args": {…}}`` → ops, validated
  first; an error names the index and the field (``edits[1].args.text is required``).
* :func:`ops_turn` — apply them **atomically** (all or nothing) to a session and yield
  the same ADK events as an edit turn (calls, state delta with the draft and the
  done / not-done outcome, the reply), so hosts see one shape whatever they sent.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from ..draft import Draft
from ..errors import InputError, SkillError, StoreError
from ..templates import render

if TYPE_CHECKING:
    from .ops import Op
    from .workspace import Workspace

MAX_EDITS = 100
_SAVE_ATTEMPTS = 5


def op_catalog() -> list[dict[str, Any]]:
    """``[{"name", "description", "schema"}]`` for every edit op, in a stable order."""
    from .ops import OPS

    return [{"name": name, "description": cls.summary, "schema": cls.schema}
            for name, cls in OPS.items()]


def edits_schema() -> dict[str, Any]:
    """The JSON schema of an ``edits`` array, built from the op schemas."""
    variants = [{"type": "object", "description": entry["description"],
                 "properties": {"op": {"const": entry["name"]}, "args": entry["schema"],
                                "clip": _CLIP_SCHEMA},
                 "required": ["op"], "additionalProperties": False}
                for entry in op_catalog()]
    return {"type": "array", "minItems": 1, "maxItems": MAX_EDITS, "items": {"oneOf": variants}}


#: ``"clip": 2`` on an edit: which of several clips it is for (docs/draft.md, batch style)
_CLIP_SCHEMA = {"type": "integer", "minimum": 1,
                "description": "several clips in the session: the clip (from 1) this edit is "
                               "for; the clips are then edited separately"}


def _bad(index: int | None, field: str, problem: str, op: str = "") -> InputError:
    where = f"edits[{index}]" if index is not None else "edits"
    path = f"{where}.{field}" if field else where
    return InputError(f"{path}: {problem}", key="ops_invalid", path=path, problem=problem, op=op)


def parse_edits(edits: Any) -> list[Op]:
    """Validate a whole edits array before anything applies (see the module docstring)."""
    from .ops import OPS

    if not isinstance(edits, list | tuple):
        raise _bad(None, "", "expected a JSON array of edits, each with \"op\" and \"args\"")
    if not edits:
        raise _bad(None, "", "is empty")
    if len(edits) > MAX_EDITS:
        raise _bad(None, "", f"has more than {MAX_EDITS} edits")
    ops: list[Op] = []
    for i, item in enumerate(edits):
        if not isinstance(item, dict):
            raise _bad(i, "", "expected an object with \"op\" and \"args\"")
        extra = sorted(set(item) - {"op", "args", "clip"})
        if extra:
            raise _bad(i, extra[0], "unknown key (use \"op\", \"args\" and \"clip\")")
        clip = item.get("clip")
        if clip is not None and (isinstance(clip, bool) or not isinstance(clip, int) or clip < 1):
            raise _bad(i, "clip", "expected a clip number from 1", str(item.get("op") or ""))
        name = item.get("op")
        if not isinstance(name, str) or name not in OPS:
            # the message around it says where the list of ops is, for each front door
            raise _bad(i, "op", f"unknown operation {name!r}", str(name or ""))
        args = item.get("args", {})
        if args is None:
            args = {}
        if not isinstance(args, dict):
            raise _bad(i, "args", "expected an object", name)
        try:
            ops.append(OPS[name].from_args(args))
        except InputError as exc:
            field = str(exc.ctx.get("field") or "")
            field = field.split(".", 1)[1] if "." in field else ("" if field == name else field)
            raise _bad(i, f"args.{field}" if field else "args",
                       str(exc.ctx.get("problem") or exc), name) from exc
    return ops


def apply_all(draft: Draft, ops: list[Op], ctx: Any) -> Draft:
    """The draft after every op, or :class:`InputError` naming the op that could not apply
    (the input draft is never modified, so nothing is half-applied)."""
    out = draft
    for i, op in enumerate(ops):
        try:
            out = op.apply(out, ctx)
        except SkillError as exc:
            raise _bad(i, "", render(exc.key, ctx.lang, **exc.ctx), op.tool) from exc
    return out


def edit_clips(edits: Any) -> list[int | None]:
    """The 0-based clip of each edit (None: no ``clip`` given); call after :func:`parse_edits`."""
    return [item["clip"] - 1 if isinstance(item.get("clip"), int) else None for item in edits]


def apply_to_clips(draft: Draft, ops: list[Op], clips: list[int | None], ctx: Any) -> Draft:
    """Typed ops when some name a clip: the clips are edited separately (switched to when
    they were joined), each op applies to its clip's own draft, an op naming none to the
    clips an unaddressed edit goes to. All or nothing, like :func:`apply_all`."""
    from .. import clipset
    from .plan.batch import clip_context

    if not clipset.several(draft):
        first = next(i for i, c in enumerate(clips) if c is not None)
        raise _bad(first, "clip", "this session has one clip; leave \"clip\" out", ops[first].tool)
    if clipset.mode(draft) != clipset.EACH:
        draft = clipset.set_mode(draft, clipset.EACH)
    items = clipset.stored(draft)
    for i, (op, clip) in enumerate(zip(ops, clips, strict=True)):
        if clip is not None and clip >= len(items):
            raise _bad(i, "clip", f"there is no clip {clip + 1} (this session has {len(items)})",
                       op.tool)
        chosen = [clip] if clip is not None else (clipset.focus(draft) or range(len(items)))
        for k in chosen:
            c = items[k]
            new = apply_all(c.draft, [op], clip_context(ctx, c))
            items[k] = clipset.Clip(c.index, c.media, c.name, new)
    return clipset.with_clips(draft, items)


async def ops_turn(ws: Workspace, sid: str, edits: Any, *, lang: str,
                   ) -> AsyncIterator[dict[str, Any]]:
    """Apply ``edits`` to session ``sid`` all or nothing; yield ADK events as
    :func:`skill.engine.turn.edit_turn` does. Invalid edits raise :class:`InputError`
    before anything is yielded or saved."""
    from .turn import calls_event, font_warning, state_event, text_event

    ops = parse_edits(edits)
    clips = edit_clips(edits)
    ctx = ws.context(sid, lang)
    inv = f"e-{uuid.uuid4()}"
    new_draft = Draft()
    for _ in range(_SAVE_ATTEMPTS):
        session = ws.require(sid)
        if any(c is not None for c in clips):
            new_draft = apply_to_clips(session.draft, ops, clips, ctx)
        else:
            new_draft = apply_all(session.draft, ops, ctx)
        if ws.db.save_draft(sid, new_draft, expect_rev=session.rev) >= 0:
            break
        await asyncio.sleep(0)   # another process saved first: apply to its draft instead
    else:
        raise StoreError("the session kept changing during the edit", key="error_store_locked",
                         home=str(ws.home))
    ws.db.touch_session(sid)
    calls: list[dict[str, Any]] = [
        {"id": f"adk-{uuid.uuid4()}", "name": op.tool,
         "args": {**op.args(), **({"clip": c + 1} if c is not None else {})}}
        for op, c in zip(ops, clips, strict=True)]
    yield calls_event(inv, calls)
    done = [op.describe(lang) for op in ops]
    if any(c is not None for c in clips):   # "Clip 2 (blue.mp4): …"
        from .. import clipset

        names = [c.name for c in clipset.stored(new_draft)]
        done = [render("batch_clip_reply", lang, body=d, number=c + 1, name=names[c])
                if c is not None else d for d, c in zip(done, clips, strict=True)]
    responses = [{"id": c["id"], "name": c["name"], "response": {"status": "success", **c["args"]}}
                 for c in calls]
    yield state_event(inv, responses, new_draft,
                      outcome={"done": done, "not_done": [], "notes": []})
    reply = render("plan_reply", lang, applied=done, unknown=[], not_done=[], notes=[])
    warning = await asyncio.to_thread(font_warning, new_draft, lang)
    yield text_event(inv, f"{reply}\n{warning}" if warning else reply)


__all__ = ["MAX_EDITS", "apply_all", "apply_to_clips", "edit_clips", "edits_schema", "op_catalog", "ops_turn", "parse_edits"]
