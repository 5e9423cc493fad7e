"""A scripted agent host: read SKILL.md, run the commands it prescribes, check the MP4.

This is what an agent does with the skill for "make this a Reel with lo-fi music":
upload the user's clip, pass their words to the edit command, export. Nothing here
knows the commands except through SKILL.md's table.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from skill.draft import Draft
from skill.engine.local import LocalEngine
from skill.engine.render.selfcheck import check_output

ROOT = Path(__file__).resolve().parent.parent


def prescribed() -> dict[str, str]:
    """Map of intent → command template, read from SKILL.md's 'what you run' table."""
    body = (ROOT / "SKILL.md").read_text(encoding="utf-8").split("---", 2)[2]
    rows: dict[str, str] = {}
    for line in body.splitlines():
        m = re.match(r"\|\s*(.+?)\s*\|\s*`(igedit [^`]+)`\s*\|$", line)
        if not m:
            continue
        said, cmd = m.groups()
        if "upload" in said and "upload" not in rows:
            rows["upload"] = cmd
        elif "an edit" in said:
            rows["edit"] = cmd
        elif '"export"' in said:
            rows["export"] = cmd
    return rows


def fill(template: str, **values: str) -> list[str]:
    out = template
    out = out.replace("<path-or-url>…", values["file"]).replace("<their words>", values["words"])
    out = out.replace("<name>", values["name"])
    return shlex.split(out)


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    assert argv[0] == "igedit"
    return subprocess.run([sys.executable, "-m", "skill", *argv[1:]], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=240)


def test_scripted_host_makes_a_reel(tmp_path: Path, home: Path) -> None:
    rows = prescribed()
    assert set(rows) == {"upload", "edit", "export"}, rows
    env = {**os.environ, "IGEDIT_BACKEND": "local", "PYTHONPATH": str(ROOT)}
    sample = run(["igedit", "sample", "-o", "clip.mp4", "--seconds", "3"], tmp_path, env)
    assert sample.returncode == 0, sample.stderr
    clip = str(tmp_path / "clip.mp4")
    words = "make this a Reel with lo-fi music"
    for step in ("upload", "edit", "export"):
        argv = fill(rows[step], file=clip, words=words, name="reel")
        done = run(argv, tmp_path, env)
        assert done.returncode == 0, (argv, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr and "{" not in done.stdout
    out = tmp_path / "reel.mp4"
    assert out.exists()
    state = asyncio.run(_state(home))
    assert check_output(out, state) == []


async def _state(home: Path) -> Draft:
    engine = LocalEngine(home)
    try:
        await engine.ready()
        st = await engine.state()
        return st.draft
    finally:
        await engine.aclose()
