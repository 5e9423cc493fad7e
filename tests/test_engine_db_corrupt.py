"""A corrupt engine database is moved aside with a warning, never a crash."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from skill.engine.db import EngineDB
from skill.engine.local import LocalEngine


@pytest.mark.parametrize("junk", [b"SQLite format 3\x00garbage" + b"\x00" * 200,
                                  bytes(range(256)) * 20])
def test_corrupt_database_is_quarantined(tmp_path: Path, junk: bytes) -> None:
    path = tmp_path / "engine.sqlite"
    path.write_bytes(junk)
    db = EngineDB(path)
    assert db.quarantined is not None and db.quarantined.read_bytes() == junk
    assert db.latest_session("local") is None  # fresh and usable
    assert EngineDB(path).quarantined is None


def test_local_engine_tells_the_user(tmp_path: Path) -> None:
    (tmp_path / "engine.sqlite").write_bytes(b"not a database at all" * 100)
    notices: list[tuple[str, dict[str, Any]]] = []

    async def go() -> None:
        engine = LocalEngine(tmp_path, notice=lambda k, c: notices.append((k, c)))
        try:
            await engine.ready()
            await engine.ready()
        finally:
            await engine.aclose()

    asyncio.run(go())
    assert [k for k, _ in notices] == ["store_warning"]
    assert ".corrupt-" in notices[0][1]["moved_to"]
