"""The state folder when it goes wrong: wrong-typed documents, corrupt database pages,
a home that cannot be written. A warning and a fresh start — never a traceback."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

import pytest

from skill.draft import Draft
from skill.engine.db import EngineDB
from skill.store import Store
from tests.mounts import tmpfs, under_a_file
from tests.test_cli_core import igedit

LOCAL = ("--backend", "local")

WRONG = {
    "renders": [{"jobs": [1, 2]},
                {"jobs": {"render_1": {"dest": "/x.mp4", "created": "yesterday"}}},
                {"jobs": {"render_1": {"dest": "/x.mp4", "attempt": "two", "backend": "local"}}},
                {"jobs": {"render_1": {"backend": "local"}}},            # no destination
                {"jobs": {"render_1": "not a record"}}],
    "prefs": [{"lang": 5}, {"lang": ["zh"]}],
    "backend": [{"choice": "local", "at": "noon"}],
    "session": [{"cloud": ["s1"]}],
    "auth": [{"expires_at": "never"}],
}
CASES = [(name, doc) for name, docs in WRONG.items() for doc in docs]


@pytest.mark.parametrize(("name", "doc"), CASES)
def test_wrong_types_are_quarantined_like_invalid_json(home: Path, name: str,
                                                       doc: dict[str, object]) -> None:
    home.mkdir(parents=True)
    (home / f"{name}.json").write_text(json.dumps({"schema": 1, **doc}))
    s = Store()
    assert s.read(name) == {}
    aside = [p for p in home.iterdir() if p.name.startswith(f"{name}.json.corrupt-")]
    assert len(aside) == 1 and json.loads(aside[0].read_text())["schema"] == 1
    assert s.warnings == [{"file": str(home / f"{name}.json"), "moved_to": str(aside[0])}]


def test_right_types_are_kept(home: Path) -> None:
    s = Store()
    s.write("renders", {"jobs": {"r": {"dest": "/a.mp4", "created": 1.5, "attempt": 1,
                                       "force": False, "preview": True, "backend": "local",
                                       "session_id": "1", "draft": {}, "later": [1]}}})
    s.write("prefs", {"lang": "zh", "theme": 3})     # unknown keys: a newer igedit's
    assert s.read("renders")["jobs"]["r"]["later"] == [1]
    assert s.read("prefs") == {"lang": "zh", "theme": 3}
    assert s.warnings == []


@pytest.mark.parametrize("command", [("status",), ("export", "--resume")])
def test_wrong_typed_renders_and_prefs_never_break_a_command(home: Path, tmp_path: Path,
                                                             command: tuple[str, ...]) -> None:
    home.mkdir(parents=True)
    (home / "renders.json").write_text('{"schema": 1, "jobs": {"r": {"dest": 7}}}')
    (home / "prefs.json").write_text('{"schema": 1, "lang": {"zh": true}}')
    out = igedit(*LOCAL, *command, cwd=tmp_path)
    assert "Traceback" not in out.stdout + out.stderr
    assert out.returncode == 0, out.stderr
    text = out.stdout + out.stderr
    read = ("prefs.json", "renders.json") if command[0] == "export" else ("prefs.json",)
    for name in read:
        assert f"Warning: {home / name} was unreadable and has been moved aside" in text
    if command[0] == "export":
        assert "There is no interrupted export to resume" in out.stdout
    again = igedit(*LOCAL, *command, cwd=tmp_path)
    assert again.returncode == 0 and "Warning" not in again.stdout + again.stderr


def _corrupt_an_index_page(path: Path) -> None:
    """Overwrite one b-tree page inside a valid database: the header and most pages
    stay readable, so opening works and only some queries fail."""
    with sqlite3.connect(path) as c:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = c.execute("PRAGMA page_size").fetchone()[0]
        root = c.execute("SELECT rootpage FROM sqlite_master WHERE name = 'sessions_by_owner'"
                         ).fetchone()[0]
    c.close()
    raw = bytearray(path.read_bytes())
    start = (root - 1) * page
    raw[start:start + page] = b"\xa5" * page
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("when", ["a query meets the damage", "the daily check is due"])
def test_corrupt_pages_inside_engine_sqlite_are_quarantined(home: Path, tmp_path: Path,
                                                            when: str) -> None:
    db = EngineDB(home / "engine.sqlite")
    for i in range(50):
        db.create_session(f"s{i}", owner="local", task_id="t", lang="en", draft=Draft())
    _corrupt_an_index_page(home / "engine.sqlite")
    with sqlite3.connect(home / "engine.sqlite") as c:
        assert c.execute("PRAGMA quick_check").fetchone()[0] != "ok"
        with pytest.raises(sqlite3.DatabaseError, match="malformed"):
            c.execute("SELECT * FROM sessions WHERE owner = 'local' ORDER BY updated").fetchall()
    c.close()
    stamp = home / ".engine.sqlite.checked"
    assert stamp.is_file()                     # checked when it was created, minutes ago
    if when == "the daily check is due":
        stamp.write_text(str(int(time.time()) - 2 * 86400))   # last checked two days ago
    else:
        # the damage is met by the command's own query: one clear error, not a traceback,
        # and the next start checks every page
        first = igedit(*LOCAL, "status", cwd=tmp_path)
        assert first.returncode == 1 and "Traceback" not in first.stderr
        assert (f"The local engine's database {home / 'engine.sqlite'} is damaged "
                "(database disk image is malformed). Run the command again") in first.stderr
        assert not stamp.exists()
    out = igedit(*LOCAL, "status", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "malformed" not in out.stdout + out.stderr and "Traceback" not in out.stderr
    assert f"Warning: {home / 'engine.sqlite'} was unreadable and has been moved aside" in out.stdout
    aside = [p for p in home.iterdir() if p.name.startswith("engine.sqlite.corrupt-")]
    assert len(aside) == 1
    again = igedit(*LOCAL, "status", cwd=tmp_path)
    assert again.returncode == 0 and "Warning" not in again.stdout


def test_doctor_writes_to_test_the_home(home: Path, tmp_path: Path) -> None:
    ok = igedit(*LOCAL, "doctor")
    assert "ok   home: writable (a test file was written and removed)" in ok.stdout
    assert [p.name for p in home.iterdir()] == []          # the test file is gone
    bad = igedit(*LOCAL, "doctor", env={"IGEDIT_HOME": str(under_a_file(tmp_path))})
    assert bad.returncode == 1
    assert "FAIL home: not writable: Not a directory — set IGEDIT_HOME" in bad.stdout


def test_doctor_on_a_read_only_home(home: Path, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro-home", read_only=True) as ro:
        assert os.stat(ro).st_mode & 0o200     # the mode bits say "writable"…
        out = igedit(*LOCAL, "doctor", env={"IGEDIT_HOME": str(ro)})
    assert out.returncode == 1                 # …but writing says otherwise
    assert "FAIL home: not writable: Read-only file system" in out.stdout


def test_doctor_on_a_full_home(home: Path, tmp_path: Path) -> None:
    from tests.mounts import fill

    with tmpfs(tmp_path / "full-home", size=64 * 1024) as full:
        fill(full)
        out = igedit(*LOCAL, "doctor", env={"IGEDIT_HOME": str(full)})
    assert out.returncode == 1
    assert "FAIL home: not writable: No space left on device" in out.stdout
