"""``igedit install / uninstall --host``: where each host's copy lands, what it holds,
idempotency, ownership (never clobber a foreign folder), and that ``doctor`` run
from the installed copy reports the host's platform. Everything under a temp HOME."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from skill import install as lib
from skill.errors import InputError
from skill.front.cli import main

ROOT = Path(__file__).resolve().parent.parent
NAME = "instagram-video-editor-desktop"
HOSTS = ["claude-code", "cursor", "clawhub", "openclaw"]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    h = tmp_path / "home"
    h.mkdir()
    monkeypatch.setenv("HOME", str(h))
    monkeypatch.delenv("CLAWHUB_WORKDIR", raising=False)
    # ClawHub without --project installs into the current folder.
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    return h


def expected_dir(host: str, home: Path, project: Path | None) -> Path:
    if host == "claude-code":
        return (project or home) / ".claude" / "skills" / NAME
    if host == "cursor":
        return (project or home) / ".cursor" / "skills" / NAME
    if host == "clawhub":
        return (project or Path.cwd()) / "skills" / NAME
    return (project / "skills" / NAME) if project else home / ".openclaw" / "skills" / NAME


def tree(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")} if folder.exists() else set()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


# ------------------------------------------------------------------ round trips
@pytest.mark.parametrize("scope", ["user", "project"])
@pytest.mark.parametrize("host", HOSTS)
def test_install_reinstall_uninstall_round_trip(host: str, scope: str, home: Path,
                                                tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "proj" if scope == "project" else None
    if project:
        project.mkdir()
    extra = ["--project", str(project)] if project else []
    before = tree(home) | tree(tmp_path / "cwd") | (tree(project) if project else set())
    dest = expected_dir(host, home, project)

    code, out, err = run(capsys, "install", "--host", host, *extra)
    assert code == 0, err
    assert f"Installed {NAME}" in out and str(dest) in out
    for rel in ("SKILL.md", "VERSION", "pyproject.toml", "README.md", "skill/__init__.py",
                "skill/__main__.py", "skill/install.py", "prompts/en/core.j2",
                "prompts/zh/hosts.j2", "docs/draft.md", lib.MARKER):
        assert (dest / rel).is_file(), rel
    assert (dest / "SKILL.md").read_bytes() == (ROOT / "SKILL.md").read_bytes()
    files = tree(dest)
    assert not any(f.startswith(("tests", "benchmarks", "fixtures", ".git")) for f in files)
    assert not any("__pycache__" in f or f.endswith(".pyc") for f in files)
    marker = json.loads((dest / lib.MARKER).read_text())
    assert marker["host"] == host and marker["name"] == NAME and marker["version"] == "0.1.0"
    assert set(marker["files"]) == {f for f in files if (dest / f).is_file()} - {lib.MARKER}

    # Twice = the same folder, refreshed.
    (dest / "SKILL.md").write_text("stale")
    code, out, err = run(capsys, "install", "--host", host, *extra)
    assert code == 0, err
    assert f"Updated {NAME}" in out
    assert tree(dest) == files
    assert (dest / "SKILL.md").read_bytes() == (ROOT / "SKILL.md").read_bytes()

    code, out, err = run(capsys, "uninstall", "--host", host, *extra)
    assert code == 0, err
    assert f"Removed {dest}." in out
    assert not dest.exists()
    after = tree(home) | tree(tmp_path / "cwd") | (tree(project) if project else set())
    assert after == before  # nothing left behind, not even empty skills/ folders


def test_clawhub_writes_origin_and_lock_in_clawhub_shapes(home: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    work = tmp_path / "claw"
    (work / ".clawhub").mkdir(parents=True)
    other = {"version": "2.0.0", "installedAt": 5}
    (work / ".clawhub" / "lock.json").write_text(json.dumps(
        {"version": 1, "skills": {"someone-else": other}}))
    monkeypatch.setenv("CLAWHUB_WORKDIR", str(work))
    code, out, err = run(capsys, "install", "--host", "clawhub")
    assert code == 0, err
    dest = work / "skills" / NAME
    origin = json.loads((dest / ".clawhub" / "origin.json").read_text())
    assert set(origin) == {"version", "registry", "slug", "installedVersion", "installedAt"}
    assert origin["version"] == 1 and origin["slug"] == NAME
    assert origin["installedVersion"] == "0.1.0" and isinstance(origin["installedAt"], int)
    lock = json.loads((work / ".clawhub" / "lock.json").read_text())
    assert lock["skills"]["someone-else"] == other
    assert lock["skills"][NAME]["version"] == "0.1.0"
    assert "origin.json" in out

    code, _, err = run(capsys, "uninstall", "--host", "clawhub")
    assert code == 0, err
    lock = json.loads((work / ".clawhub" / "lock.json").read_text())
    assert lock == {"version": 1, "skills": {"someone-else": other}}


# ------------------------------------------------------------------ ownership
@pytest.mark.parametrize("host", ["claude-code", "openclaw"])
def test_never_clobbers_a_folder_it_did_not_create(host: str, home: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    dest = expected_dir(host, home, None)
    dest.mkdir(parents=True)
    (dest / "SKILL.md").write_text("---\nname: mine\n---\nmy own skill\n")
    (dest / "notes.txt").write_text("keep me")

    code, out, err = run(capsys, "install", "--host", host)
    assert code == 1
    assert "was not installed by igedit" in err and "--force" in err
    assert (dest / "SKILL.md").read_text().endswith("my own skill\n")
    assert not (dest / lib.MARKER).exists()

    code, out, err = run(capsys, "uninstall", "--host", host)
    assert code == 1
    assert "nothing was removed" in err and "--force" in err
    assert (dest / "notes.txt").read_text() == "keep me"

    code, out, err = run(capsys, "install", "--host", host, "--force")
    assert code == 0, err
    assert (dest / "SKILL.md").read_bytes() == (ROOT / "SKILL.md").read_bytes()
    # A plain uninstall removes what igedit wrote and keeps the user's own file.
    code, out, err = run(capsys, "uninstall", "--host", host)
    assert code == 0, err
    assert "notes.txt" in out
    assert tree(dest) == {"notes.txt"}

    # Without a marker again: only --force deletes it.
    code, out, err = run(capsys, "uninstall", "--host", host, "--force")
    assert code == 0, err
    assert not dest.exists()


def test_uninstall_when_nothing_is_installed(home: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "uninstall", "--host", "cursor")
    assert code == 1
    assert "Nothing to uninstall" in err


def test_reinstall_removes_files_dropped_from_the_skill(home: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    for rel in ("SKILL.md", "skill/__init__.py", "skill/old.py", "prompts/en/a.j2",
                "skill/__pycache__/x.cpython-311.pyc", "tests/test_x.py"):
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(rel)
    first = lib.install("openclaw", name="demo", version="1", root=src)
    dest = first.target.dir
    assert dest == home / ".openclaw" / "skills" / "demo"
    assert set(first.files) == {"SKILL.md", "skill/__init__.py", "skill/old.py",
                                "prompts/en/a.j2"}
    (src / "skill" / "old.py").unlink()
    (dest / "mine.txt").write_text("user file")
    second = lib.install("openclaw", name="demo", version="2", root=src)
    assert second.updated and second.removed == ("skill/old.py",)
    assert not (dest / "skill" / "old.py").exists()
    assert (dest / "mine.txt").exists()
    assert lib.read_marker(dest)["version"] == "2"  # type: ignore[index]


def test_a_tampered_marker_cannot_delete_outside_the_folder(home: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    for rel in ("SKILL.md", "skill/__init__.py", "prompts/en/a.j2"):
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(rel)
    victim = home / "precious.txt"
    victim.write_text("do not delete")
    result = lib.install("cursor", name="demo", version="1", root=src)
    marker_path = result.target.dir / lib.MARKER
    marker = json.loads(marker_path.read_text())
    marker["files"].append("../../../precious.txt")
    marker_path.write_text(json.dumps(marker))
    lib.uninstall("cursor", name="demo")
    assert victim.read_text() == "do not delete"
    assert not result.target.dir.exists()


def test_missing_source_is_a_clear_error(home: Path, tmp_path: Path) -> None:
    src = tmp_path / "empty"
    src.mkdir()
    (src / "SKILL.md").write_text("x")
    with pytest.raises(InputError) as info:
        lib.install("cursor", name="demo", version="1", root=src)
    assert info.value.key == "install_no_source"
    assert "skill" in info.value.ctx["missing"] and "prompts" in info.value.ctx["missing"]


# ------------------------------------------------------------------ MCP snippet
def _json_block(text: str) -> dict[str, Any]:
    match = re.search(r"^\{\n.*?^\}$", text, re.DOTALL | re.MULTILINE)
    assert match, text
    data: dict[str, Any] = json.loads(match.group(0))
    return data


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_mcp_snippets_for_hosts_that_take_mcp_servers(lang: str, home: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "install", "--host", "claude-code", "--lang", lang)
    assert code == 0, err
    assert "claude mcp add --scope user igedit -- " in out
    server: Any = _json_block(out)["mcpServers"]
    assert server["igedit"]["args"][-1] == "mcp"
    if lang == "zh":
        assert "已安装" in out and "MCP 服务器" in out

    proj = tmp_path / "p"
    proj.mkdir()
    code, out, err = run(capsys, "install", "--host", "cursor", "--project", str(proj),
                         "--lang", lang)
    assert code == 0, err
    assert str(proj / ".cursor" / "mcp.json") in out
    assert "igedit" in _json_block(out)["mcpServers"]

    code, out, err = run(capsys, "install", "--host", "openclaw", "--lang", lang)
    assert code == 0, err
    assert "mcpServers" not in out


def test_mcp_config_uses_igedit_on_path_or_this_python() -> None:
    on_path = lib.mcp_server_config(Path("/s"), which=lambda _: "/usr/bin/igedit")
    assert on_path == {"command": "igedit", "args": ["mcp"]}
    assert lib.mcp_add_command(on_path) == "claude mcp add igedit -- igedit mcp"
    assert json.loads(lib.mcp_json(on_path)) == {
        "mcpServers": {"igedit": {"command": "igedit", "args": ["mcp"]}}}
    bare = lib.mcp_server_config(Path("/s"), which=lambda _: None, python="/py")
    assert bare == {"command": "/py", "args": ["-m", "skill", "mcp"],
                    "env": {"PYTHONPATH": "/s"}}
    assert lib.mcp_add_command(bare, "project") == \
        "claude mcp add --scope project -e PYTHONPATH=/s igedit -- /py -m skill mcp"


# ------------------------------------------------------------------ doctor through the install
@pytest.mark.parametrize(("host", "scope"), [
    ("claude-code", "user"), ("claude-code", "project"), ("cursor", "user"),
    ("cursor", "project"), ("clawhub", "project"), ("openclaw", "user"),
])
def test_doctor_run_from_the_install_reports_the_platform(host: str, scope: str, home: Path,
                                                          tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "proj" if scope == "project" else None
    extra = ["--project", str(project)] if project else []
    code, _, err = run(capsys, "install", "--host", host, *extra)
    assert code == 0, err
    dest = expected_dir(host, home, project)
    env = {k: v for k, v in os.environ.items() if k not in ("IGEDIT_SKILL_DIR", "PYTHONPATH")}
    proc = subprocess.run([sys.executable, "-m", "skill", "doctor"], cwd=dest, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert f"platform: {host}\n" in proc.stdout, proc.stdout + proc.stderr
    assert f"skill_dir: {dest}\n" in proc.stdout
