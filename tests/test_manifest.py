from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from skill import __version__
from skill.errors import ConfigError
from skill.manifest import load_manifest, parse_manifest

ROOT = Path(__file__).resolve().parent.parent


def test_repository_manifest_is_complete() -> None:
    m = load_manifest(ROOT)
    assert m.name == "instagram-video-editor-desktop"
    assert re.fullmatch(r"\d+\.\d+\.\d+", m.version)
    assert 0 < len(m.description) <= 1024
    assert m.data["license"] and m.data["homepage"].startswith("https://")
    assert m.headers() == {
        "X-Skill-Source": "instagram-video-editor-desktop",
        "X-Skill-Version": m.version,
        "X-Skill-Platform": "unknown",
    }


def test_metadata_is_single_line_json_with_openclaw_block() -> None:
    text = (ROOT / "SKILL.md").read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if ln.startswith("metadata:"))
    meta = json.loads(line.split(":", 1)[1])
    oc = meta["openclaw"]
    assert oc["primaryEnv"] == "NEMO_TOKEN"
    assert oc["emoji"]
    # ClawHub reads requires.env as variables that must be set in advance: keep it empty.
    assert oc["requires"]["env"] == []


def test_one_version_everywhere() -> None:
    m = load_manifest(ROOT)
    assert (ROOT / "VERSION").read_text().strip() == m.version == __version__
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'version = { file = "VERSION" }' in pyproject


def test_name_follows_agent_skills_rules() -> None:
    m = load_manifest(ROOT)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", m.name) and len(m.name) <= 64
    assert "anthropic" not in m.name and "claude" not in m.name
    assert "<" not in m.description


def test_missing_frontmatter_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "SKILL.md"
    with pytest.raises(ConfigError) as err:
        parse_manifest("# just a heading\n", path)
    assert f"{path}:1:" in str(err.value)


def test_unclosed_frontmatter(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=":1: the frontmatter opened on line 1 is never closed"):
        parse_manifest("---\nname: x\n", tmp_path / "SKILL.md")


def test_malformed_yaml_points_at_the_line(tmp_path: Path) -> None:
    text = "---\nname: x\nversion: 1.0.0\ndescription: [unclosed\nlicense: MIT\n---\nbody\n"
    with pytest.raises(ConfigError) as err:
        parse_manifest(text, tmp_path / "SKILL.md")
    message = str(err.value)
    assert "malformed frontmatter" in message
    line = int(message.split(":")[1])
    assert 4 <= line <= 6


def test_missing_required_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r":2: the frontmatter has no 'version'"):
        parse_manifest("---\nname: x\ndescription: d\n---\n", tmp_path / "SKILL.md")


def test_missing_skill_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SKILL.md not found; pass --skill-dir"):
        load_manifest(tmp_path)


def test_frontmatter_keys_are_known() -> None:
    text = (ROOT / "SKILL.md").read_text(encoding="utf-8")
    data = yaml.safe_load(text.split("---")[1])
    # name/description/license/metadata: Agent Skills spec; version/homepage: ClawHub/OpenClaw.
    assert set(data) <= {"name", "version", "description", "license", "homepage", "metadata"}
