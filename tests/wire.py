"""Tests speak the wire form (docs/draft.md dicts, easy to write and compare); the
engine speaks the typed draft. These helpers cross the edge the way the engine does."""

from __future__ import annotations

import copy
from typing import Any

from skill.draft import decode_draft, encode_draft
from skill.engine.ops import MediaItem, Op, PlanContext
from skill.engine.ops import add_media as _add_media
from skill.engine.ops import initial_draft as _initial_draft

Wire = dict[str, Any]


def apply_wire(op: Op, start: Wire | None, ctx: PlanContext) -> Wire:
    """``op`` applied to the wire draft ``start``; checks that the typed input is untouched."""
    source = decode_draft(copy.deepcopy(start) if start is not None else None)
    before = copy.deepcopy(source)
    out = op.apply(source, ctx)
    assert source == before, "apply must not modify its input"
    return encode_draft(out)


def add_media_wire(draft: Wire, item: MediaItem) -> Wire:
    return encode_draft(_add_media(decode_draft(draft), item))


def initial_wire(ctx: PlanContext) -> Wire:
    return encode_draft(_initial_draft(ctx))
