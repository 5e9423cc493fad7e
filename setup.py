"""Build hook: a wheel carries SKILL.md, VERSION and prompts/ inside the package.

They live at the top of the repository (the skill folder layout agent hosts expect),
outside the ``skill`` package, so a plain (non-editable) install would lose them.
The wheel gets copies under ``skill/data/``, where ``skill.manifest``,
``skill.templates`` and ``skill.install`` look when the top-level files are absent.
Everything else is declared in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED_FILES = ("SKILL.md", "VERSION")
BUNDLED_DIRS = ("prompts",)


class BuildPyWithSkillFiles(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the files where they are
        data = Path(self.build_lib) / "skill" / "data"
        data.mkdir(parents=True, exist_ok=True)
        for name in BUNDLED_FILES:
            shutil.copy2(ROOT / name, data / name)
        for name in BUNDLED_DIRS:
            shutil.rmtree(data / name, ignore_errors=True)
            shutil.copytree(ROOT / name, data / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildPyWithSkillFiles})
