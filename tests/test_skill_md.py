"""SKILL.md as an agent reads it: frontmatter rules and every command it names exists."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from skill.front.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
TEXT = (ROOT / "SKILL.md").read_text(encoding="utf-8")
FRONT = yaml.safe_load(TEXT.split("---")[1])
BODY = TEXT.split("---", 2)[2]

# Keys kept beyond the strict Agent Skills validator's list, and why:
KEPT = {
    "version": "ClawHub/OpenClaw read a top-level semver version; the runtime's one source",
    "homepage": "ClawHub/OpenClaw show it; harmless to other hosts",
}
SPEC = {"name", "description", "license", "allowed-tools", "metadata", "compatibility"}


def test_frontmatter_rules() -> None:
    name = FRONT["name"]
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name) and 1 <= len(name) <= 64
    assert not {"anthropic", "claude"} & set(name.split("-"))
    desc = FRONT["description"]
    assert 1 <= len(desc) <= 1024 and not re.search(r"<[a-zA-Z/]", desc)
    assert set(FRONT) - SPEC <= set(KEPT)


def test_body_is_within_budget() -> None:
    assert len(TEXT.splitlines()) < 500
    assert len(BODY.split()) < 3500  # well under ~5k tokens


def test_every_command_named_exists() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    commands = set(sub.choices)  # type: ignore[attr-defined]
    named = set(re.findall(r"`igedit ([a-z]+)", BODY))
    assert named, "the body names no commands"
    assert named <= commands, named - commands
    for cmd in named:
        options = set(re.findall(rf"`igedit {cmd} ([^`]*)`", BODY))
        flags = {f for opt in options for f in re.findall(r"(?:^|\s)(--?[a-z][a-z-]*)", opt)}
        known = {s for a in sub.choices[cmd]._actions for s in a.option_strings}  # type: ignore[attr-defined]
        assert flags <= known, (cmd, flags - known)


def test_body_never_tells_the_agent_to_use_raw_http() -> None:
    assert "curl" not in BODY and "/api/" not in BODY and "Bearer" not in BODY


def test_commands_pass_the_skill_folder_where_the_host_fills_it_in() -> None:
    """Claude Code substitutes ${CLAUDE_SKILL_DIR} in skill text (its skills docs); the
    rule sits in one place and the command table stays as simple as before."""
    assert BODY.count('--skill-dir "${CLAUDE_SKILL_DIR}"') == 2  # the rule and its example
    table = BODY.split("## What the user says", 1)[1].split("## Passing files", 1)[0]
    assert "--skill-dir" not in table
