from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from skill.platform import decide, env_hosts, folder_platform, known_installs, process_host
from skill.proctree import Proc, ancestors, parse_stat

ROOT = Path(__file__).resolve().parent.parent
NAME = "instagram-video-editor-desktop"


@pytest.fixture
def fake_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


def no_procs() -> list[Proc]:
    return []


def skill_at(folder: Path, host: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "SKILL.md").write_text("---\nname: x\n---\n")
    if host:
        (folder / ".igedit-install.json").write_text(f'{{"tool": "igedit", "host": "{host}"}}')
    return folder


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        (".clawhub/skills/instagram-video-editor-desktop", "clawhub"),
        (".cursor/skills/instagram-video-editor-desktop", "cursor"),
        ("work/app/.cursor/skills/instagram-video-editor-desktop", "cursor"),
        (".claude/skills/instagram-video-editor-desktop", "claude-code"),
        ("proj/.claude/skills/instagram-video-editor-desktop", "claude-code"),
        (".openclaw/skills/instagram-video-editor-desktop", "openclaw"),
        (".openclaw/workspace/skills/instagram-video-editor-desktop", "openclaw"),
        (".codex/skills/instagram-video-editor-desktop", "codex"),
        (".agents/skills/instagram-video-editor-desktop", ""),  # shared: names no host
        ("src/instagram-video-editor-desktop", ""),
        (".cursorish/skills/x", ""),
    ],
)
def test_folder_rules(fake_home: Path, rel: str, expected: str) -> None:
    folder = fake_home / rel
    folder.mkdir(parents=True)
    assert folder_platform(folder, fake_home, env={}) == expected


def test_clawhub_origin_marker(fake_home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "workspace" / "skills" / NAME
    (folder / ".clawhub").mkdir(parents=True)
    (folder / ".clawhub" / "origin.json").write_text('{"slug": "x"}')
    assert folder_platform(folder, fake_home, env={}) == "clawhub"


def test_install_marker_names_the_host(fake_home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "ws" / "skills" / NAME
    folder.mkdir(parents=True)
    (folder / ".igedit-install.json").write_text('{"host": "openclaw"}')
    assert folder_platform(folder, fake_home, env={}) == "openclaw"
    (folder / ".igedit-install.json").write_text('{"host": "evil\\nvalue"}')
    assert folder_platform(folder, fake_home, env={}) == ""
    (folder / ".igedit-install.json").write_text("not json")
    assert folder_platform(folder, fake_home, env={}) == ""


def test_config_dir_overrides(fake_home: Path, tmp_path: Path) -> None:
    claude = tmp_path / "work-claude"
    folder = claude / "skills" / NAME
    folder.mkdir(parents=True)
    assert folder_platform(folder, fake_home, env={"CLAUDE_CONFIG_DIR": str(claude)}) == \
        "claude-code"
    assert folder_platform(folder, fake_home, env={"CODEX_HOME": str(claude)}) == "codex"


# ---------------------------------------------------------------- environment markers
@pytest.mark.parametrize(("env", "expected"), [
    ({"CLAUDECODE": "1"}, {"claude-code": "CLAUDECODE=1"}),
    ({"CLAUDE_CODE_ENTRYPOINT": "cli"}, {"claude-code": "CLAUDE_CODE_ENTRYPOINT=cli"}),
    ({"CURSOR_AGENT": "1"}, {"cursor": "CURSOR_AGENT=1"}),
    ({"CURSOR_EXTENSION_HOST_ROLE": "agent-exec"},
     {"cursor": "CURSOR_EXTENSION_HOST_ROLE=agent-exec"}),
    ({"CURSOR_EXTENSION_HOST_ROLE": "user"}, {}),
    ({"CURSOR_TRACE_ID": "abc"}, {}),  # every Cursor terminal has it, agent or not
    ({"OPENCLAW_SHELL": "exec"}, {"openclaw": "OPENCLAW_SHELL=exec"}),
    ({"CODEX_SANDBOX": "seatbelt"}, {"codex": "CODEX_SANDBOX=seatbelt"}),
    ({"CODEX_SANDBOX_NETWORK_DISABLED": "1"}, {"codex": "CODEX_SANDBOX_NETWORK_DISABLED=1"}),
    ({"CLAUDECODE": ""}, {}),
    ({"CLAUDECODE": "1", "CURSOR_AGENT": "1"},
     {"claude-code": "CLAUDECODE=1", "cursor": "CURSOR_AGENT=1"}),
])
def test_env_hosts(env: dict[str, str], expected: dict[str, str]) -> None:
    assert env_hosts(env) == expected


@pytest.mark.parametrize(("proc", "expected"), [
    (Proc(10, "claude", ("claude",)), "claude-code"),
    (Proc(10, "node", ("node", "/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js")),
     "claude-code"),
    (Proc(10, "2.1.128", ("claude", "--resume")), "claude-code"),  # native build's comm
    (Proc(10, "2.1.128", ("/home/u/.local/share/claude/versions/2.1.128",)), "claude-code"),
    (Proc(10, "cursor-agent", ("/home/u/.local/bin/cursor-agent",)), "cursor"),
    (Proc(10, "node", ("/home/u/.local/share/cursor-agent/versions/1/node", "index.js")),
     "cursor"),
    (Proc(10, "codex", ("codex", "exec")), "codex"),
    (Proc(10, "openclaw", ("openclaw", "gateway")), "openclaw"),
    (Proc(10, "python3", ("python3", "/home/u/claude/notes.py")), ""),
    (Proc(10, "bash", ("bash",)), ""),
])
def test_process_host(proc: Proc, expected: str) -> None:
    assert process_host(proc) == expected


# ---------------------------------------------------------------- the order of the rules
def test_rule_order(fake_home: Path, tmp_path: Path) -> None:
    cwd = tmp_path / "project" / "sub"
    cwd.mkdir(parents=True)
    claude_proc = [Proc(7, "claude", ("claude",))]
    checkout = tmp_path / "checkout"
    checkout.mkdir()

    def run(skill_dir: Path = checkout, procs: list[Proc] | None = None,
            **env: str) -> tuple[str, str]:
        d = decide(skill_dir, name=NAME, env=env, cwd=cwd, home=fake_home,
                   procs=lambda: procs or [])
        return d.platform, d.rule

    assert run() == ("unknown", "none")
    skill_at(fake_home / ".claude" / "skills" / NAME)          # one known install
    assert run() == ("claude-code", "known-install")
    origin = tmp_path / "project" / "skills" / NAME / ".clawhub" / "origin.json"
    origin.parent.mkdir(parents=True)
    origin.write_text("{}")
    assert run() == ("clawhub", "clawhub-workspace")
    assert run(procs=claude_proc) == ("claude-code", "host-process")
    assert run(procs=claude_proc, OPENCLAW_SHELL="exec") == ("openclaw", "host-env")
    assert run(OPENCLAW_SHELL="exec", SKILL_SOURCE="my-host") == ("my-host", "SKILL_SOURCE")
    cursor_dir = fake_home / ".cursor" / "skills" / NAME
    cursor_dir.mkdir(parents=True)
    assert run(cursor_dir, SKILL_SOURCE="my-host") == ("cursor", "skill-dir")
    # A value that cannot be a header is not used.
    assert run(SKILL_SOURCE="bad\nvalue", CURSOR_AGENT="1") == ("cursor", "host-env")


def test_two_hosts_markers_nearest_process_wins(fake_home: Path, tmp_path: Path) -> None:
    procs = [Proc(30, "bash", ("bash",)), Proc(20, "claude", ("claude",)),
             Proc(10, "cursor", ("/opt/cursor/cursor",))]
    env = {"CLAUDECODE": "1", "CURSOR_AGENT": "1"}
    d = decide(tmp_path, name=NAME, env=env, cwd=tmp_path, home=fake_home, procs=lambda: procs)
    assert (d.platform, d.rule) == ("claude-code", "host-env")
    assert "nearest of claude-code, cursor" in d.detail
    d = decide(tmp_path, name=NAME, env=env, cwd=tmp_path, home=fake_home, procs=no_procs)
    assert (d.platform, d.rule) == ("unknown", "none")
    assert d.detail == "markers of several hosts: CLAUDECODE=1, CURSOR_AGENT=1"


def test_launching_host_counts_without_its_folder(fake_home: Path, tmp_path: Path) -> None:
    skill_at(fake_home / ".claude" / "skills" / NAME)
    d = decide(tmp_path, name=NAME, env={"CURSOR_AGENT": "1"}, cwd=tmp_path, home=fake_home,
               procs=no_procs)
    assert (d.platform, d.rule, d.detail) == ("cursor", "host-env", "CURSOR_AGENT=1")


def test_known_installs_shared_folder(fake_home: Path, tmp_path: Path) -> None:
    shared = skill_at(fake_home / ".agents" / "skills" / NAME)
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()

    def run() -> tuple[str, str]:
        d = decide(tmp_path, name=NAME, env={}, cwd=cwd, home=fake_home, procs=no_procs)
        return d.platform, d.describe()

    # Read by Cursor, Codex and OpenClaw; none of them is on this machine: no one host.
    assert known_installs(NAME, cwd, fake_home, {}) == [(shared, ("cursor", "codex", "openclaw"))]
    assert run()[0] == "unknown"
    (fake_home / ".cursor").mkdir()                            # only Cursor is
    assert run() == ("cursor", f"known-install ({shared})")
    skill_at(fake_home / ".claude" / "skills" / NAME)          # and Claude Code has a copy
    platform, why = run()
    assert platform == "unknown"
    assert why.startswith("none (installed for several hosts: ")
    # A project-level copy igedit installed names its host through the marker.
    shutil.rmtree(fake_home / ".claude")
    skill_at(cwd / "skills" / NAME, host="openclaw")
    assert run()[0] == "unknown"                               # cursor and openclaw
    shutil.rmtree(fake_home / ".agents")
    assert run() == ("openclaw", f"known-install ({cwd / 'skills' / NAME})")


def test_clawhub_workdir_variable(fake_home: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    origin = ws / "skills" / NAME / ".clawdhub" / "origin.json"
    origin.parent.mkdir(parents=True)
    origin.write_text("{}")
    d = decide(tmp_path / "x", name=NAME, env={"CLAWHUB_WORKDIR": str(ws)}, cwd=fake_home,
               home=fake_home, procs=no_procs)
    assert (d.platform, d.rule, d.detail) == ("clawhub", "clawhub-workspace", str(origin))


# ---------------------------------------------------------------- the process chain
def test_parse_stat_with_awkward_names() -> None:
    assert parse_stat("42 (claude) S 41 42 42 0 -1") == ("claude", 41)
    assert parse_stat("42 (a) b (c)) R 7 1 1") == ("a) b (c)", 7)


def test_ancestors_from_a_proc_tree(tmp_path: Path) -> None:
    def proc(pid: int, name: str, ppid: int, *argv: str) -> None:
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(f"{pid} ({name}) S {ppid} 1 1 0")
        (tmp_path / str(pid) / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")

    proc(50, "igedit", 40, "python3", "/usr/bin/igedit", "doctor")
    proc(40, "bash", 30, "/bin/bash", "-c", "igedit doctor")
    proc(30, "claude", 1, "claude")
    chain = list(ancestors(50, root=tmp_path))
    assert [(p.pid, p.name) for p in chain] == [(40, "bash"), (30, "claude")]
    assert chain[0].argv == ("/bin/bash", "-c", "igedit doctor")
    assert list(ancestors(99, root=tmp_path)) == []             # no such process: give up
    proc(60, "orphan", 61, "x")                                # parent vanished
    assert list(ancestors(60, root=tmp_path)) == []


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_real_chain_names_our_parent() -> None:
    chain = list(ancestors())
    assert chain and chain[0].pid == os.getppid()


# ---------------------------------------------------------------- through the CLI
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
    lines = out.stdout.splitlines()
    assert f"platform: {expected}" in lines, out.stdout + out.stderr
    assert f"platform_rule: skill-dir ({dest})" in lines
    assert f"skill_dir: {dest}" in lines


@pytest.mark.parametrize("value", ["", "${CLAUDE_SKILL_DIR}"])
def test_unfilled_skill_dir_placeholder_is_ignored(value: str, tmp_path: Path) -> None:
    """SKILL.md's `--skill-dir "${CLAUDE_SKILL_DIR}"` where the host fills nothing in."""
    env = {**os.environ, "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    env.pop("IGEDIT_SKILL_DIR", None)
    out = subprocess.run([sys.executable, "-m", "skill", "doctor", "--skill-dir", value],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert "skill: instagram-video-editor-desktop" in out.stdout, out.stdout + out.stderr


def test_recorded_installs_count_from_any_folder(fake_home: Path, tmp_path: Path) -> None:
    project = skill_at(tmp_path / "code" / "app" / ".cursor" / "skills" / NAME, host="cursor")
    cwd = tmp_path / "videos"
    cwd.mkdir()

    def run(*recorded: Path) -> tuple[str, str]:
        d = decide(tmp_path, name=NAME, env={}, cwd=cwd, home=fake_home, procs=no_procs,
                   recorded=[str(r) for r in recorded])
        return d.platform, d.describe()

    assert run()[0] == "unknown"
    assert run(project) == ("cursor", f"known-install ({project})")
    shutil.rmtree(project)                                     # removed by hand since
    assert run(project)[0] == "unknown"


def test_install_records_and_uninstall_forgets(fake_home: Path, tmp_path: Path) -> None:
    from skill.front.cli import main
    from skill.installs import recorded

    project = tmp_path / "app"
    assert main(["install", "--host", "cursor", "--project", str(project)]) == 0
    folder = project / ".cursor" / "skills" / NAME
    assert recorded() == (str(folder),)
    assert main(["uninstall", "--host", "cursor", "--project", str(project)]) == 0
    assert recorded() == ()
