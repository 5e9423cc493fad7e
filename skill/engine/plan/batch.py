"""An edit turn when the session has several clips ("batch style", :mod:`skill.clipset`).

Words that name clips ("make the first clip square and the second one a Reel", "第二个
视频加音乐", "each clip") are cut into one part per clip (:func:`skill.cliprefs.parts`);
each part is planned, settled and applied against *that clip's own draft*, exactly as a
one-clip session would be. Naming a clip while the clips are joined switches to editing
them separately; "join them" / "拼在一起" switches back (the joined timeline is planned as
always). An edit naming no clip goes to the clips the latest one named (all at first).

:func:`batch_turn` returns None when the turn is an ordinary one (a single clip, or
joined clips and no clip named), so the caller plans it the usual way.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ... import clipset
from ...cliprefs import ALL, filler, parts, separate_asked
from ...draft import Draft
from ...templates import render
from ..ops.base import Op
from ..ops.draftedit import PlanContext
from .outcome import NotDone, Settled, describe, settle_plan
from .planner import apply_plan
from .types import Plan

PlanFn = Callable[[str, Draft, PlanContext], Awaitable[Plan]]


@dataclass
class BatchTurn:
    """What a several-clip turn did: the new session draft, the ops per clip (0-based
    index, or None for the joined timeline), the reply and the outcome for hosts."""

    draft: Draft
    calls: list[tuple[int | None, Op]] = field(default_factory=list)
    reply: str = ""
    outcome: dict[str, Any] = field(default_factory=dict)


@lru_cache(maxsize=1)
def _join_words() -> re.Pattern[str]:
    from .rulebase import vocab

    return re.compile(vocab().re("join"), re.IGNORECASE)


def clip_context(ctx: PlanContext, clip: clipset.Clip) -> PlanContext:
    """The planner's view for one clip: that clip, plus the session's songs and caption files."""
    keep = tuple(m for m in ctx.media
                 if m.id == clip.media or m.kind not in ("video", "image"))
    return PlanContext(media=keep, lang=ctx.lang)


def _label(clip: clipset.Clip, lang: str) -> str:
    return render("batch_clip_label", lang, number=clip.index + 1, name=clip.name)


async def batch_turn(plan: PlanFn, text: str, draft: Draft, ctx: PlanContext, *,
                     cloud_option: bool = False) -> BatchTurn | None:
    """The turn for ``text`` against a several-clip session (see the module docstring)."""
    if not clipset.several(draft):
        return None
    order = [m.id for m in ctx.media]
    names = [name for _, name in clipset.visual_media(draft, order)]
    cut = parts(text, names)
    # a clip named, or "each clip" / "separately"; "both" / "all the clips" alone is about
    # the joined timeline while the clips are joined
    named = any(p.targets not in (None, ALL) for p in cut) or separate_asked(text, names)
    lang = ctx.lang
    if clipset.mode(draft) == clipset.JOIN:
        if not named:
            return None
        draft = clipset.set_mode(draft, clipset.EACH)
        head = render("batch_now_each", lang, count=len(clipset.stored(draft)))
    elif not named and _join_words().search(text):
        return await _rejoin(plan, text, draft, ctx, cloud_option=cloud_option)
    else:
        head = ""
    items = clipset.stored(draft)
    new_focus: list[int] | None | bool = False
    lines: list[str] = [head] if head else []
    done: list[str] = []
    not_done: list[dict[str, Any]] = []
    notes: list[str] = []
    turn = BatchTurn(draft)
    for part in cut:
        if part.targets is None:
            chosen = clipset.focus(draft) or list(range(len(items)))
        elif part.targets == ALL:
            chosen, new_focus = list(range(len(items))), None
        else:
            chosen = [i for i in part.targets if 0 <= i < len(items)]
            missing = [i + 1 for i in part.targets if not 0 <= i < len(items)]
            if missing:
                why = render("batch_no_such_clip", lang, numbers=missing, count=len(items),
                             names=[c.name for c in items])
                lines.append(why)
                not_done.append(NotDone(part.text or text, "unclear", why).data())
            if chosen:   # every clip this turn names explicitly
                seen = new_focus if isinstance(new_focus, list) else []
                new_focus = sorted({*seen, *chosen})
        if not part.text or filler().fullmatch(part.text):
            continue
        for i in chosen:
            clip = items[i]
            sub = clip_context(ctx, clip)
            planned = await plan(part.text, clip.draft, sub)
            settled = settle_plan(planned.ops, planned.not_understood, clip.draft, sub,
                                  cloud_option=cloud_option)
            new = await asyncio.to_thread(apply_plan, clip.draft,
                                          Plan(settled.ops, (), planned.notes), sub)
            items[i] = clipset.Clip(i, clip.media, clip.name, new)
            turn.calls += [(i, op) for op in settled.ops]
            label = _label(clip, lang)
            lines.append(render("batch_clip_reply", lang, number=i + 1, name=clip.name,
                                body=describe(settled, lang, planned.notes).strip()))
            done += [f"{label}: {op.describe(lang)}" for op in settled.ops]
            not_done += [n.data() for n in settled.not_done]
            notes += list(settled.notes)
    if new_focus is not False and new_focus == list(range(len(items))):
        new_focus = None
    turn.draft = clipset.with_clips(draft, items, new_focus=new_focus)
    if not lines:
        lines.append(render("batch_already_each", lang, count=len(items)))
    turn.reply = "\n".join(line for line in lines if line)
    turn.outcome = {"done": done, "not_done": not_done, "notes": notes}
    return turn


async def _rejoin(plan: PlanFn, text: str, draft: Draft, ctx: PlanContext, *,
                  cloud_option: bool) -> BatchTurn:
    """"Join them": back to the joined timeline, and the words planned on it as always."""
    lang = ctx.lang
    base = clipset.set_mode(draft, clipset.JOIN)
    planned = await plan(text, base, ctx)
    settled: Settled = settle_plan(planned.ops, planned.not_understood, base, ctx,
                                   cloud_option=cloud_option)
    new = await asyncio.to_thread(apply_plan, base, Plan(settled.ops, (), planned.notes), ctx)
    head = render("batch_now_joined", lang, count=len(clipset.stored(draft)))
    body = describe(settled, lang, planned.notes).strip() if settled.ops else ""
    from .outcome import outcome_data

    return BatchTurn(new, [(None, op) for op in settled.ops],
                     "\n".join(x for x in (head, body) if x), outcome_data(settled, lang))


__all__ = ["BatchTurn", "batch_turn", "clip_context"]
