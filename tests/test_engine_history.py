"""Draft history in engine.sqlite: what "undo" steps back through."""

from __future__ import annotations

from pathlib import Path

from skill.draft import Draft
from skill.engine.db import HISTORY_DEPTH, EngineDB


def test_undo_goes_back_through_the_last_changes_only(tmp_path: Path) -> None:
    db = EngineDB(tmp_path / "engine.sqlite")
    db.create_session("s1", owner="local", task_id="t", lang="en", draft=Draft(cover_ms=0))
    for n in range(1, HISTORY_DEPTH + 6):
        assert db.save_draft("s1", Draft(cover_ms=n)) == n
    other = EngineDB(tmp_path / "engine.sqlite")        # another igedit process
    seen = []
    while (step := other.undo_draft("s1")) is not None:
        before, restored = step
        assert restored.cover_ms is not None and before.cover_ms is not None
        assert restored.cover_ms == before.cover_ms - 1
        seen.append(restored.cover_ms)
    newest = HISTORY_DEPTH + 5
    assert seen == list(range(newest - 1, newest - 1 - HISTORY_DEPTH, -1))
    row = db.get_session("s1")
    assert row is not None and row.draft == Draft(cover_ms=newest - HISTORY_DEPTH)
    assert row.rev == newest + HISTORY_DEPTH                # every undo is a new revision
    assert db.undo_draft("missing") is None
