from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from skill.platform import detect_platform

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fake_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        (".clawhub/skills/instagram-video-editor-desktop", "clawhub"),
        (".cursor/skills/instagram-video-editor-desktop", "cursor"),
        ("work/app/.cursor/skills/instagram-video-editor-desktop", "cursor"),
        (".claude/skills/instagram-video-editor-desktop", "claude-code"),
        ("proj/.claude/skills/instagram-video-editor-desktop", "claude-code"),
        (".openclaw/skills/instagram-video-editor-desktop", "openclaw"),
        ("src/instagram-video-editor-desktop", "unknown"),
        (".cursorish/skills/x", "unknown"),
    ],
)
def test_rules(fake_home: Path, rel: str, expected: str) -> None:
    folder = fake_home / rel
    folder.mkdir(parents=True)
    assert detect_platform(folder, env={}) == expected


def test_clawhub_origin_marker(fake_home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "workspace" / "skills" / "instagram-video-editor-desktop"
    (folder / ".clawhub").mkdir(parents=True)
    (folder / ".clawhub" / "origin.json").write_text('{"slug": "x"}')
    assert detect_platform(folder, env={}) == "clawhub"


def test_skill_source_wins(fake_home: Path) -> None:
    folder = fake_home / ".cursor" / "skills" / "x"
    folder.mkdir(parents=True)
    assert detect_platform(folder, env={"SKILL_SOURCE": "my-host"}) == "my-host"


@pytest.mark.parametrize(("rel", "expected"), [
    (".cursor/skills/instagram-video-editor-desktop", "cursor"),
    (".clawhub/instagram-video-editor-desktop", "clawhub"),
])
def test_doctor_in_a_copied_checkout(fake_home: Path, rel: str, expected: str) -> None:
    """A copy of the repository placed under a host's folder reports that platform."""
    dest = fake_home / rel
    shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(
        ".git", "__pycache__", "*.egg-info", ".venv", "benchmarks", "tests", "fixtures"))
    env = {k: v for k, v in os.environ.items() if k not in ("IGEDIT_SKILL_DIR", "PYTHONPATH")}
    env["HOME"] = str(fake_home)
    out = subprocess.run([sys.executable, "-m", "skill", "doctor"], cwd=dest, env=env,
                         capture_output=True, text=True, timeout=60)
    assert f"platform: {expected}" in out.stdout.splitlines(), out.stdout + out.stderr
    assert f"skill_dir: {dest}" in out.stdout


def test_install_marker_names_the_host(fake_home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "ws" / "skills" / "instagram-video-editor-desktop"
    folder.mkdir(parents=True)
    (folder / ".igedit-install.json").write_text('{"host": "openclaw"}')
    assert detect_platform(folder, env={}) == "openclaw"
    (folder / ".igedit-install.json").write_text('{"host": "evil\\nvalue"}')
    assert detect_platform(folder, env={}) == "unknown"
    (folder / ".igedit-install.json").write_text("not json")
    assert detect_platform(folder, env={}) == "unknown"
