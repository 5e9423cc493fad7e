from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def igedit(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
           timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "skill", *args], cwd=cwd or ROOT,
                          env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=timeout)


def test_help_and_dry_run_do_not_import_heavy_modules() -> None:
    code = (
        "import sys, io, contextlib\n"
        "from skill.front.cli import main\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    try:\n        main(['--help'])\n    except SystemExit:\n        pass\n"
        "    main(['say', '--dry-run', '导出'])\n"
        "heavy = [m for m in ('anthropic', 'mcp', 'av', 'numpy', 'starlette', 'uvicorn') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_dry_run_export_in_chinese() -> None:
    out = igedit("say", "--dry-run", "导出")
    assert out.returncode == 0, out.stderr
    assert out.stdout == "export\n"


def test_usage_error_exits_2() -> None:
    out = igedit("export", "--no-such-flag")
    assert out.returncode == 2
    out = igedit()
    assert out.returncode == 2


def test_version_matches_skill_md() -> None:
    from skill.manifest import load_manifest

    out = igedit("--version")
    assert out.stdout.strip() == f"igedit {load_manifest(ROOT).version}"


def test_doctor_prints_facts(home: Path) -> None:
    out = igedit("doctor", "--backend", "local")
    lines = out.stdout.splitlines()
    assert "skill: instagram-video-editor-desktop " + lines[0].split()[-1] == lines[0]
    assert "platform: unknown" in lines
    assert f"home: {home}" in lines
    assert "backend: local" in lines
    assert any(ln.startswith("ok   ffmpeg:") for ln in lines), out.stdout
    assert any(ln.startswith("FAIL cloud: unreachable") and "--backend local" in ln
               for ln in lines)
    assert "previews: proxies off (IGEDIT_PROXIES=0)" in lines      # as conftest sets it
    (home / "proxies").mkdir(parents=True)
    (home / "proxies" / "0123.mp4").write_bytes(b"x" * 3 * 1024 * 1024)
    on = igedit("doctor", "--backend", "local", env={"IGEDIT_PROXIES": "1"}).stdout.splitlines()
    assert f"previews: proxies on (1 clip, 3.0 MB cached in {home / 'proxies'})" in on


def test_json_doctor_lines_are_json() -> None:
    out = igedit("doctor", "--json")
    for line in out.stdout.splitlines():
        obj = json.loads(line)
        assert obj["kind"] == "text"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_bad_backend_env_is_a_clear_error(lang: str) -> None:
    out = igedit("status", "--lang", lang, env={"IGEDIT_BACKEND": "martian"})
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert "martian" in out.stderr


def test_commands_without_words_answer_in_the_language_last_written(home: Path) -> None:
    # Hosts run `igedit export` when the user says "导出": that reply is Chinese too.
    assert igedit("status", "--backend", "local").stdout.startswith("Timeline")   # default en
    say = igedit("say", "--backend", "local", "查看状态")
    assert say.returncode == 0
    assert json.loads((home / "prefs.json").read_text(encoding="utf-8"))["lang"] == "zh"
    zh = igedit("export", "--backend", "local", "-o", "out.mp4")
    assert zh.returncode == 1 and any("\u4e00" <= ch <= "\u9fff" for ch in zh.stderr)
    # file paths and numbers say nothing about the language; English words do
    igedit("say", "--backend", "local", "/tmp/missing-clip.mp4")
    assert json.loads((home / "prefs.json").read_text(encoding="utf-8"))["lang"] == "zh"
    igedit("say", "--backend", "local", "show status")
    en = igedit("export", "--backend", "local", "-o", "out.mp4")
    assert en.returncode == 1 and "nothing to export" in en.stderr.lower()
    # --lang answers in that language without changing what is remembered
    forced = igedit("export", "--backend", "local", "--lang", "zh", "-o", "out.mp4")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in forced.stderr)
    assert json.loads((home / "prefs.json").read_text(encoding="utf-8"))["lang"] == "en"
