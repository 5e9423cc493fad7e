"""SKILL.md: locate the skill folder, read its frontmatter, build attribution headers.

The frontmatter is the one source of the skill's name and version. The folder that
holds the SKILL.md we read is the first thing install-platform detection looks at; the
other rules (host markers, parent processes, workspaces, installs) are in
:mod:`skill.platform`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError
from .platform import Decision, decide

SKILL_FILE = "SKILL.md"


@dataclass(frozen=True)
class Manifest:
    name: str
    version: str
    description: str
    path: Path
    platform: str
    data: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    platform_rule: str = ""  # which detection rule decided ``platform`` and what it saw

    @property
    def skill_dir(self) -> Path:
        return self.path.parent

    def headers(self) -> dict[str, str]:
        """The three attribution headers sent on every API request."""
        return {
            "X-Skill-Source": self.name,
            "X-Skill-Version": self.version,
            "X-Skill-Platform": self.platform,
        }


def find_skill_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding the SKILL.md this runtime was loaded from.

    Order: ``explicit`` (``--skill-dir``), ``IGEDIT_SKILL_DIR``, the folder above the
    ``skill`` package (a checkout or a copied skill folder), then the current folder.
    """
    for candidate in (explicit, os.environ.get("IGEDIT_SKILL_DIR")):
        if candidate:
            return Path(candidate).expanduser().absolute()
    package_parent = Path(__file__).resolve().parent.parent
    if (package_parent / SKILL_FILE).is_file():
        return package_parent
    # A non-editable install keeps a copy of SKILL.md inside the package.
    bundled = Path(__file__).resolve().parent / "data"
    if (bundled / SKILL_FILE).is_file():
        return bundled
    return Path.cwd()


def split_frontmatter(text: str, path: Path) -> tuple[str, int]:
    """Return the YAML between the leading ``---`` fences and the line the body starts on."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise ConfigError(
            f"{path}:1: SKILL.md must start with a '---' line opening the YAML frontmatter",
            key="error_manifest", file=str(path), line=1,
        )
    for i, line in enumerate(lines[1:], start=2):
        if line.strip() == "---":
            return "\n".join(lines[1 : i - 1]), i + 1
    raise ConfigError(
        f"{path}:1: the frontmatter opened on line 1 is never closed with '---'",
        key="error_manifest", file=str(path), line=1,
    )


def parse_manifest(text: str, path: Path, platform: str = "unknown") -> Manifest:
    """Parse SKILL.md text. Errors name the file and the line."""
    block, _ = split_frontmatter(text, path)
    try:
        data = yaml.safe_load(block)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 2) if mark is not None else 1  # +1 for 1-based, +1 for the fence
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(
            f"{path}:{line}: malformed frontmatter: {problem}",
            key="error_manifest", file=str(path), line=line,
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}:2: the frontmatter must be a mapping of keys to values",
            key="error_manifest", file=str(path), line=2,
        )
    for required in ("name", "version", "description"):
        value = data.get(required)
        if not isinstance(value, str | int | float) or not str(value).strip():
            line = _line_of(block, required)
            raise ConfigError(
                f"{path}:{line}: the frontmatter has no '{required}'",
                key="error_manifest", file=str(path), line=line,
            )
    return Manifest(
        name=str(data["name"]).strip(),
        version=str(data["version"]).strip(),
        description=str(data["description"]).strip(),
        path=path,
        platform=platform,
        data=data,
    )


def _line_of(block: str, key: str) -> int:
    for i, line in enumerate(block.splitlines(), start=2):
        if line.startswith(f"{key}:"):
            return i
    return 2


def load_manifest(skill_dir: str | os.PathLike[str] | None = None) -> Manifest:
    """Read ``SKILL.md`` from the skill folder and decide the install platform."""
    folder = str(find_skill_dir(skill_dir))
    m = _load(folder)
    from .installs import recorded

    decision = _decide(folder, m.name, _platform_inputs(), recorded())
    return replace(m, platform=decision.platform, platform_rule=decision.describe())


# What the platform rules read besides the folder; a change in any of them decides anew.
_INPUT_VARS = ("SKILL_SOURCE", "HOME", "CLAUDE_CONFIG_DIR", "CODEX_HOME", "CLAWHUB_WORKDIR",
               "CLAWDHUB_WORKDIR")


def _platform_inputs() -> tuple[tuple[str, str], ...]:
    from .hosts import ENV_MARKERS

    names = sorted({*_INPUT_VARS, *(m.var for m in ENV_MARKERS)})
    try:
        cwd = os.getcwd()
    except OSError:
        cwd = ""
    return (("cwd", cwd), *((n, os.environ.get(n, "")) for n in names))


@lru_cache(maxsize=16)
def _decide(folder: str, name: str, inputs: tuple[tuple[str, str], ...],
            installs: tuple[str, ...]) -> Decision:
    values = dict(inputs)
    env = {k: v for k, v in inputs if k != "cwd" and v}
    cwd = Path(values["cwd"]) if values.get("cwd") else Path(folder)
    return decide(Path(folder), name=name, env=env, cwd=cwd, recorded=installs)


@lru_cache(maxsize=8)
def _load(skill_dir: str) -> Manifest:
    path = Path(skill_dir) / SKILL_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(
            f"{path}: SKILL.md not found; pass --skill-dir or set IGEDIT_SKILL_DIR to the skill folder",
            key="error_manifest", file=str(path), line=0,
        ) from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read SKILL.md ({exc.strerror})",
                          key="error_manifest", file=str(path), line=0) from exc
    return parse_manifest(text, path)
