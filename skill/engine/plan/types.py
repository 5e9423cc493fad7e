"""What a planner returns and the protocol every planner keeps (imports nothing above it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ...draft import Draft
from ..ops.base import Op
from ..ops.draftedit import PlanContext


@dataclass(frozen=True)
class Plan:
    """The ops to apply, in order, and the fragments nobody could parse."""

    ops: tuple[Op, ...] = ()
    not_understood: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()      # rendered side remarks (e.g. Claude was unreachable)


class Planner(Protocol):
    def plan(self, instruction: str, draft: Draft, ctx: PlanContext) -> Plan: ...


__all__ = ["Plan", "Planner"]
