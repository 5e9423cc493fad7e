from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

from skill.store import Store


def test_roundtrip_and_schema(home: Path) -> None:
    s = Store()
    assert s.home == home
    s.write("session", {"cloud": {"session_id": "s1"}})
    raw = json.loads((home / "session.json").read_text())
    assert raw == {"schema": 1, "cloud": {"session_id": "s1"}}
    assert s.read("session") == {"cloud": {"session_id": "s1"}}
    assert s.read("missing") == {}


def test_secrets_are_0600(home: Path) -> None:
    s = Store()
    s.write("auth", {"token": "nmv_usr_secret", "client_id": "c"})
    mode = stat.S_IMODE((home / "auth.json").stat().st_mode)
    assert mode == 0o600
    with s.update("auth") as doc:
        doc["token"] = "nmv_usr_other"
    assert stat.S_IMODE((home / "auth.json").stat().st_mode) == 0o600


def test_no_temp_files_left_behind(home: Path) -> None:
    s = Store()
    for i in range(5):
        s.write("renders", {"n": i})
    assert sorted(p.name for p in home.iterdir() if not p.name.startswith(".") or p.suffix == ".tmp") == ["renders.json"]


def test_corrupt_file_is_moved_aside_not_a_crash(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "session.json").write_text('{"schema": 1, "cloud": {"sess')
    s = Store()
    assert s.read("session") == {}
    assert not (home / "session.json").exists()
    aside = [p for p in home.iterdir() if p.name.startswith("session.json.corrupt-")]
    assert len(aside) == 1 and aside[0].read_text().startswith('{"schema"')
    assert s.warnings and s.warnings[0]["moved_to"] == str(aside[0])
    s.write("session", {"ok": True})
    assert s.read("session") == {"ok": True}


def test_future_schema_and_non_object_are_quarantined(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "a.json").write_text('{"schema": 99}')
    (home / "b.json").write_text("[1, 2]")
    (home / "c.json").write_bytes(b"\xff\xfe\x00garbage")
    s = Store()
    assert s.read("a") == {} and s.read("b") == {} and s.read("c") == {}
    assert len(s.warnings) == 3


WORKER = """
import sys
from skill.store import Store
s = Store(sys.argv[1])
for i in range(int(sys.argv[3])):
    with s.update("counter") as doc:
        doc[sys.argv[2]] = doc.get(sys.argv[2], 0) + 1
        doc["total"] = doc.get("total", 0) + 1
"""


def test_two_processes_writing_at_once_lose_nothing(home: Path) -> None:
    n = 60
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(home), name, str(n)])
             for name in ("a", "b")]
    for p in procs:
        assert p.wait(timeout=120) == 0
    doc = Store().read("counter")
    assert doc == {"a": n, "b": n, "total": 2 * n}
