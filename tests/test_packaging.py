"""A plain (non-editable) install works: the wheel carries SKILL.md, VERSION and the
reply templates, and the installed package finds them with no checkout around."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "VERSION", "SKILL.md", "README.md",
           "LICENSE")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the wheel, a folder it was installed into) — built offline from a copy."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in SOURCES:
        shutil.copy2(ROOT / name, src / name)
    for name in ("skill", "prompts"):
        shutil.copytree(ROOT / name, src / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    built = subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                            "-w", str(tmp / "dist"), str(src)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    wheel = next((tmp / "dist").glob("igedit-*.whl"))
    target = tmp / "site"
    done = subprocess.run([*pip, "install", "--no-deps", "--no-index", "--target", str(target),
                           str(wheel)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return wheel, target


def _run(target: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("IGEDIT_SKILL_DIR", "PYTHONPATH")}
    env["PYTHONPATH"] = str(target)
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_the_wheel_carries_the_skill_files(site: tuple[Path, Path]) -> None:
    wheel, _ = site
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("skill/data/SKILL.md", "skill/data/VERSION", "skill/data/intents.yaml",
                   "skill/data/prompts/en/core.j2", "skill/data/prompts/zh/core.j2",
                   "skill/data/prompts/planner_system.j2", "skill/py.typed"):
        assert needed in names, needed
    assert not any(n.startswith(("tests/", "benchmarks/", "prompts/")) for n in names)
    bundled = zipfile.ZipFile(wheel).read("skill/data/SKILL.md").decode("utf-8")
    assert bundled == (ROOT / "SKILL.md").read_text(encoding="utf-8")


def test_the_installed_package_answers_with_no_checkout_around(
        site: tuple[Path, Path], tmp_path: Path) -> None:
    _, target = site
    where = _run(target, tmp_path, "-c", "import skill, skill.templates as t, skill.manifest as m;"
                 "print(skill.__file__); print(t.PROMPTS_DIR); print(m.find_skill_dir());"
                 "print(skill.__version__)")
    assert where.returncode == 0, where.stderr
    module, prompts, skill_dir, version = where.stdout.split()
    assert Path(module).is_relative_to(target) and Path(prompts) == target / "skill/data/prompts"
    assert Path(skill_dir) == target / "skill" / "data"
    assert version == (ROOT / "VERSION").read_text().strip()
    routed = _run(target, tmp_path, "-m", "skill", "say", "--dry-run", "导出")
    assert routed.returncode == 0 and "export" in routed.stdout
    # a reply rendered from the bundled templates, in Chinese too
    missing = _run(target, tmp_path, "-m", "skill", "--backend", "local", "upload", "nope.mp4")
    assert missing.returncode != 0 and "nope.mp4" in missing.stdout + missing.stderr
    assert "Traceback" not in missing.stderr and "error_generic" not in missing.stdout
    zh = _run(target, tmp_path, "-m", "skill", "--lang", "zh", "--backend", "local", "upload",
              "nope.mp4")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh.stdout + zh.stderr)


def test_installing_for_a_host_from_a_wheel_install(site: tuple[Path, Path],
                                                    tmp_path: Path) -> None:
    _, target = site
    project = tmp_path / "proj"
    project.mkdir()
    done = _run(target, tmp_path, "-m", "skill", "install", "--host", "cursor",
                "--project", str(project))
    assert done.returncode == 0, done.stdout + done.stderr
    folder = next(p.parent for p in project.rglob("SKILL.md"))
    assert (folder / "SKILL.md").read_text(encoding="utf-8") == \
        (ROOT / "SKILL.md").read_text(encoding="utf-8")
    assert (folder / "prompts" / "en" / "core.j2").is_file()
    assert (folder / "skill" / "__init__.py").is_file()
    # the copied skill folder runs on its own
    doctor = subprocess.run([sys.executable, "-m", "skill", "say", "--dry-run", "export"],
                            cwd=folder, capture_output=True, text=True, timeout=120,
                            env={k: v for k, v in os.environ.items()
                                 if k not in ("IGEDIT_SKILL_DIR", "PYTHONPATH")})
    assert doctor.returncode == 0 and "export" in doctor.stdout
