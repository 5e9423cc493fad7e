"""Install-platform detection from the skill folder's path.

Rules, first match wins:

1. ``SKILL_SOURCE`` set → its value.
2. ``clawhub``: the folder is under ``~/.clawhub/``, or carries ``.clawhub/origin.json``
   (or the legacy ``.clawdhub/origin.json``) as written by ``clawhub install``.
3. ``cursor``: under ``~/.cursor/skills/`` or a project's ``.cursor/skills/``.
4. ``claude-code``: under ``~/.claude/skills/`` or a project's ``.claude/skills/``.
5. ``openclaw``: under ``~/.openclaw/skills/``.
6. a folder ``igedit install`` wrote (its ``.igedit-install.json`` names the host) → that
   host; this covers project-level installs such as OpenClaw's ``<workspace>/skills/``.
7. otherwise ``unknown``.

Rules 2 and 3 are the seed's two rules; 4–6 are igedit additions (README).
"""

from __future__ import annotations

import os
from pathlib import Path

PLATFORMS = ("clawhub", "cursor", "claude-code", "openclaw", "unknown")


def _home() -> Path:
    return Path(os.environ.get("HOME") or Path.home()).expanduser()


def _under(path: Path, parent: Path) -> bool:
    try:
        path.relative_to(parent)
    except ValueError:
        return False
    return True


def _has_parts(path: Path, *parts: str) -> bool:
    names = path.parts
    n = len(parts)
    return any(names[i : i + n] == parts for i in range(len(names) - n + 1))


def detect_platform(skill_dir: Path, env: dict[str, str] | None = None) -> str:
    environ = os.environ if env is None else env
    override = environ.get("SKILL_SOURCE", "").strip()
    if override:
        return override
    path = Path(os.path.abspath(skill_dir))
    home = _home()
    if _under(path, home / ".clawhub"):
        return "clawhub"
    for marker in (".clawhub", ".clawdhub"):
        if (path / marker / "origin.json").is_file():
            return "clawhub"
    if _under(path, home / ".cursor" / "skills") or _has_parts(path, ".cursor", "skills"):
        return "cursor"
    if _under(path, home / ".claude" / "skills") or _has_parts(path, ".claude", "skills"):
        return "claude-code"
    if _under(path, home / ".openclaw" / "skills"):
        return "openclaw"
    return _installed_host(path) or "unknown"


def _installed_host(path: Path) -> str:
    import json

    try:
        marker = json.loads((path / ".igedit-install.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    host = marker.get("host") if isinstance(marker, dict) else None
    return host if host in PLATFORMS and host != "unknown" else ""
