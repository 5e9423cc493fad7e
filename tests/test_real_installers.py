"""Attribution with the installers creators use (issue 15): npm ``skills`` and ``clawhub``.

The skill is installed from this checkout with ``skills add … --copy`` for Claude Code and
Cursor under a temporary HOME; ``igedit`` then runs from PATH in an unrelated folder with
each host's environment markers. Both what ``igedit doctor`` prints and the
``X-Skill-Platform`` header the loopback NemoVideo server receives are checked.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from skill.install import payload
from tests.fake_nemo import FakeNemo
from tests.installers import (
    ROOT,
    NpmTools,
    Result,
    igedit_bin_dir,
    npm_tools,
    run_from_path,
    run_tool,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX hosts and paths")
NAME = "instagram-video-editor-desktop"
TOKEN = "nmv_attr_test_token"


@pytest.fixture(scope="session")
def tools() -> NpmTools:
    return npm_tools()


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout's skill files (what a release ships), for ``skills add <path>``."""
    dest = tmp_path_factory.mktemp("checkout") / NAME
    for rel, src in payload(ROOT).items():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest / rel)
    return dest


@pytest.fixture(scope="module")
def skills_home(tools: NpmTools, checkout: Path,
                tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A HOME where ``skills add <checkout> -g -a claude-code cursor -y --copy`` ran."""
    base = tmp_path_factory.mktemp("skills-add")
    home, cwd = base / "home", base / "cwd"
    home.mkdir()
    cwd.mkdir()
    run_tool(tools, "skills", ["add", str(checkout), "-g", "-a", "claude-code", "cursor",
                               "-y", "--copy"], home=home, cwd=cwd)
    return home


@dataclass
class Runner:
    server: FakeNemo
    bin_dir: Path

    def __call__(self, *args: str, home: Path, cwd: Path, env: dict[str, str] | None = None,
                 wrapper: Path | None = None) -> Result:
        self.server.reset(tokens={TOKEN: "attr-user"})
        extra = {"NEMO_API_URL": self.server.base_url, "NEMO_TOKEN": TOKEN, **(env or {})}
        out = run_from_path(list(args), home=home, cwd=cwd, bin_dir=self.bin_dir, env=extra,
                            wrapper=wrapper)
        assert out.returncode == 0, out.stdout + out.stderr
        return out

    def platforms_sent(self) -> set[str]:
        assert self.server.requests, "igedit sent nothing to the NemoVideo server"
        return {r.headers.get("x-skill-platform", "") for r in self.server.requests}

    def doctor(self, *, home: Path, cwd: Path, env: dict[str, str] | None = None,
               wrapper: Path | None = None) -> tuple[str, str]:
        out = self("doctor", home=home, cwd=cwd, env=env, wrapper=wrapper)
        platform, rule = out.line("platform"), out.line("platform_rule")
        assert self.platforms_sent() == {platform}  # doctor's reachability probe
        return platform, rule


@pytest.fixture
def igedit(server: FakeNemo, tmp_path: Path) -> Iterator[Runner]:
    yield Runner(server, igedit_bin_dir(tmp_path))


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """An unrelated project folder, outside HOME."""
    folder = tmp_path / "elsewhere" / "my-reel"
    folder.mkdir(parents=True)
    return folder


def test_skills_add_puts_copies_where_the_issue_says(skills_home: Path) -> None:
    assert (skills_home / ".claude" / "skills" / NAME / "SKILL.md").is_file()
    assert (skills_home / ".agents" / "skills" / NAME / "SKILL.md").is_file()
    assert not (skills_home / ".claude" / "skills" / NAME).is_symlink()  # --copy


@pytest.mark.parametrize(("env", "platform", "rule"), [
    ({"CLAUDECODE": "1", "CLAUDE_CODE_ENTRYPOINT": "cli"}, "claude-code",
     "host-env (CLAUDECODE=1)"),
    ({"CURSOR_AGENT": "1"}, "cursor", "host-env (CURSOR_AGENT=1)"),
    ({"CURSOR_EXTENSION_HOST_ROLE": "agent-exec"}, "cursor",
     "host-env (CURSOR_EXTENSION_HOST_ROLE=agent-exec)"),
    # Launching hosts whose own folders do not hold igedit still count.
    ({"OPENCLAW_SHELL": "exec"}, "openclaw", "host-env (OPENCLAW_SHELL=exec)"),
    ({"CODEX_SANDBOX_NETWORK_DISABLED": "1"}, "codex",
     "host-env (CODEX_SANDBOX_NETWORK_DISABLED=1)"),
])
def test_after_skills_add_each_host_marker_decides(
        igedit: Runner, skills_home: Path, elsewhere: Path, env: dict[str, str],
        platform: str, rule: str) -> None:
    assert igedit.doctor(home=skills_home, cwd=elsewhere, env=env) == (platform, rule)


def test_after_skills_add_a_real_request_carries_the_platform(
        igedit: Runner, skills_home: Path, elsewhere: Path) -> None:
    for env, platform in (({"CLAUDECODE": "1"}, "claude-code"), ({"CURSOR_AGENT": "1"}, "cursor"),
                          ({}, "unknown")):
        out = igedit("credits", "--backend", "cloud", home=skills_home, cwd=elsewhere, env=env)
        credits = [r for r in igedit.server.requests if r.path == "/api/credits/balance/simple"]
        assert credits and credits[-1].status == 200, out.stdout + out.stderr
        assert igedit.platforms_sent() == {platform}
        assert credits[-1].headers["x-skill-source"] == NAME


def test_after_skills_add_without_markers_it_is_unknown(
        igedit: Runner, skills_home: Path, elsewhere: Path) -> None:
    """Installed for two hosts and launched by neither we can name: say so, don't guess."""
    platform, rule = igedit.doctor(home=skills_home, cwd=elsewhere)
    assert platform == "unknown"
    assert rule.startswith("none (installed for several hosts: ")
    assert f"{skills_home}/.claude/skills/{NAME} (claude-code)" in rule


def test_nothing_at_all_is_unknown(igedit: Runner, tmp_path: Path, elsewhere: Path) -> None:
    home = tmp_path / "empty-home"
    home.mkdir()
    assert igedit.doctor(home=home, cwd=elsewhere) == (
        "unknown", "none (no host marker, host process, ClawHub workspace or install found)")


def test_the_one_install_igedit_wrote_decides(igedit: Runner, tmp_path: Path,
                                               elsewhere: Path) -> None:
    """Right after `igedit install --host claude-code`, from PATH in another folder."""
    home = tmp_path / "home"
    home.mkdir()
    igedit("install", "--host", "claude-code", home=home, cwd=elsewhere)
    folder = home / ".claude" / "skills" / NAME
    assert igedit.doctor(home=home, cwd=elsewhere) == ("claude-code", f"known-install ({folder})")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the Linux /proc")
def test_a_host_process_among_the_parents_decides(igedit: Runner, tmp_path: Path,
                                                   elsewhere: Path) -> None:
    """No markers, but igedit runs under a process called `claude` (as Claude Code's is)."""
    wrapper = tmp_path / "host" / "claude"
    wrapper.parent.mkdir()
    wrapper.write_text('#!/bin/sh\n"$@"\nexit $?\n')
    wrapper.chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    platform, rule = igedit.doctor(home=home, cwd=elsewhere, wrapper=wrapper)
    assert platform == "claude-code"
    assert rule.startswith("host-process (claude pid ")


def test_clawhub_lists_igedit_and_igedit_reports_clawhub(
        igedit: Runner, tools: NpmTools, tmp_path: Path) -> None:
    home = tmp_path / "home"
    workspace = tmp_path / "workspace"
    home.mkdir()
    workspace.mkdir()
    igedit("install", "--host", "clawhub", home=home, cwd=workspace)
    listed = run_tool(tools, "clawhub", ["list", "--workdir", str(workspace)], home=home,
                      cwd=tmp_path)
    version = (ROOT / "VERSION").read_text().strip()
    assert [line.split() for line in listed.stdout.splitlines() if line.strip()] == \
        [[NAME, version]]
    origin = workspace / "skills" / NAME / ".clawhub" / "origin.json"
    deeper = workspace / "clips"
    deeper.mkdir()
    for cwd in (workspace, deeper):
        assert igedit.doctor(home=home, cwd=cwd) == ("clawhub", f"clawhub-workspace ({origin})")
    igedit("credits", "--backend", "cloud", home=home, cwd=deeper)
    assert igedit.platforms_sent() == {"clawhub"}


def test_skill_md_line_as_claude_code_fills_it_in(igedit: Runner, skills_home: Path,
                                                  elsewhere: Path) -> None:
    """Claude Code substitutes ``${CLAUDE_SKILL_DIR}`` with the folder it loaded SKILL.md from."""
    folder = skills_home / ".claude" / "skills" / NAME
    text = (folder / "SKILL.md").read_text(encoding="utf-8")
    placeholder = '--skill-dir "${CLAUDE_SKILL_DIR}"'
    assert placeholder in text
    filled = shlex.split(placeholder.replace("${CLAUDE_SKILL_DIR}", str(folder)))
    out = igedit("doctor", *filled, home=skills_home, cwd=elsewhere)
    assert (out.line("platform"), out.line("platform_rule")) == (
        "claude-code", f"skill-dir ({folder})")
    assert out.line("skill_dir") == str(folder)


def test_a_project_install_names_its_host_from_another_folder(
        igedit: Runner, tmp_path: Path, elsewhere: Path) -> None:
    """`igedit install --host cursor --project APP`, then igedit run outside APP."""
    home = tmp_path / "home"
    home.mkdir()
    app = tmp_path / "code" / "app"
    igedit("install", "--host", "cursor", "--project", str(app), home=home, cwd=elsewhere)
    folder = app / ".cursor" / "skills" / NAME
    assert igedit.doctor(home=home, cwd=elsewhere) == ("cursor", f"known-install ({folder})")
    igedit("uninstall", "--host", "cursor", "--project", str(app), home=home, cwd=elsewhere)
    assert igedit.doctor(home=home, cwd=elsewhere)[0] == "unknown"
