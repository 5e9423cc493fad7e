"""Instruction → plan of typed ops, for the local engine.

* :class:`RulePlanner` — English and Chinese rules (``rules.py``, ``rules_av.py``,
  vocabulary in ``skill/data/planner.yaml``); pure, no I/O, well under a millisecond
  per clause.
* :class:`HybridPlanner` — the rules first; whatever they could not parse goes to
  another planner (Claude, :mod:`.claude`), which sees the draft as the rules left it.
* :func:`default_planner` — the rules, or the hybrid when ``ANTHROPIC_API_KEY`` is set.

A :class:`Plan` never drops words silently: everything not understood is kept in
``not_understood`` (the user's own words) and :func:`describe_plan` says so.
"""

from __future__ import annotations

import os

from ...draft import Draft
from ...errors import ApiError, NetworkError, SkillError
from ...templates import render
from ..ops.draftedit import PlanContext
from .phrases import mask, split_clauses
from .rulebase import Clause, Env, State
from .rules_av import extract
from .types import Plan, Planner


class RulePlanner:
    """Rule-based planner for English and Chinese (simplified and traditional)."""

    def plan(self, instruction: str, draft: Draft, ctx: PlanContext) -> Plan:
        masked = mask(instruction or "")
        env = Env(draft, ctx, masked)
        state = State()
        clauses = [Clause(masked.text[a:b], masked) for a, b in split_clauses(masked.text)]
        for clause in clauses:
            extract(clause, state, env)
            state.prev_topic = clause.topic or state.prev_topic
        # leftovers last: a later clause may complete an earlier one ("cut the end, last 3 s")
        unknown = [words for clause in clauses for words in clause.leftovers()]
        # "for Instagram" chooses a shape before the state becomes ops (rules_instagram)
        from .rules_instagram import settle_goal
        from .rules_vision import finish

        goal = settle_goal(state, env)
        # the vision ops (reframe, highlight, scenes, transitions, beat cuts) come last and
        # may add a note, so they are asked before the notes are rendered
        ops = (*state.ops(env), *finish(state, env), *goal.ops)
        notes = tuple(render(key, ctx.lang, dropped=state.look_dropped, look=state.look)
                      for key in dict.fromkeys(state.notes)) + goal.notes
        return Plan(ops, tuple(dict.fromkeys([*unknown, *goal.unknown])), notes)


class HybridPlanner:
    """Rules first; the fragments they could not parse go to ``fallback`` (Claude).

    When the fallback fails (no network, bad key, overloaded), the rules' ops still
    stand and the fragments stay not understood, with a note saying why.
    """

    def __init__(self, rules: Planner, fallback: Planner) -> None:
        self.rules = rules
        self.fallback = fallback

    def plan(self, instruction: str, draft: Draft, ctx: PlanContext) -> Plan:
        first = self.rules.plan(instruction, draft, ctx)
        if not first.not_understood:
            return first
        try:
            interim = apply_plan(draft, Plan(first.ops), ctx)
        except SkillError:
            interim = draft
        rest = "\n".join(first.not_understood)
        try:
            second = self.fallback.plan(rest, interim, ctx)
        except (ApiError, NetworkError) as exc:
            note = render("plan_note_claude_failed", ctx.lang,
                          detail=render(exc.key, ctx.lang, **exc.ctx))
            return Plan(first.ops, first.not_understood, first.notes + (note,))
        return Plan(first.ops + second.ops, second.not_understood, first.notes + second.notes)


def default_planner() -> Planner:
    """The rules, plus Claude for what they cannot parse when ``ANTHROPIC_API_KEY`` is set."""
    key = os.environ.get("ANTHROPIC_API_KEY", "").strip()
    if not key:
        return RulePlanner()
    from .claude import ClaudePlanner

    return HybridPlanner(RulePlanner(), ClaudePlanner(api_key=key))


def apply_plan(draft: Draft, plan: Plan, ctx: PlanContext) -> Draft:
    """The draft after every op of the plan, in order (the input is not modified)."""
    out = draft.copy()
    for op in plan.ops:
        out = op.apply(out, ctx)
    return out


def describe_plan(plan: Plan, lang: str = "en") -> str:
    """The reply: exactly what was applied, then what could not be done locally."""
    from .outcome import not_understood

    return render("plan_reply", lang, applied=[op.describe(lang) for op in plan.ops], unknown=[],
                  not_done=[not_understood(w, lang).data() for w in plan.not_understood],
                  notes=list(plan.notes))


__all__ = ["HybridPlanner", "Plan", "Planner", "RulePlanner", "apply_plan", "default_planner",
           "describe_plan"]
