"""Which agent host this run belongs to: the ``X-Skill-Platform`` sent with every request.

Rules, first match wins (docs/platform.md has the sources for every marker):

1. ``skill-dir``: the skill folder (``--skill-dir``, ``IGEDIT_SKILL_DIR``, or the folder
   the runtime was loaded from) lies in a host's skill folder — ``~/.clawhub/`` or a
   ``.clawhub/origin.json`` beside SKILL.md → clawhub, ``.cursor/skills/`` → cursor,
   ``.claude/skills/`` → claude-code, ``~/.openclaw/skills/`` → openclaw,
   ``~/.codex/skills/`` → codex — or holds the marker ``igedit install`` writes.
2. ``SKILL_SOURCE``: that variable's value.
3. ``host-env``: the launching host's markers in the environment (``CLAUDECODE``,
   ``CURSOR_AGENT``, ``OPENCLAW_SHELL``, ``CODEX_SANDBOX…``; table in :mod:`skill.hosts`).
   When two hosts' markers are present, the nearer one in the process chain wins.
4. ``host-process``: failing that, a host's own process among our parent processes.
5. ``clawhub-workspace``: the current folder or a parent holds
   ``skills/<name>/.clawhub/origin.json`` (what ``clawhub install`` writes).
6. ``known-install``: exactly one host's skill folders hold this skill — user level
   (``~/.claude/skills``, ``~/.cursor/skills``, ``~/.agents/skills``, …), project level
   (``.claude/skills``, ``.cursor/skills``, ``.agents/skills`` in the current folder or a
   parent), or any folder ``igedit install`` wrote and recorded. A copy in the shared
   ``.agents/skills`` counts for the hosts reading it whose own folder (``~/.cursor``,
   ``~/.codex``, ``~/.openclaw``) exists.
7. ``none``: ``unknown``.

Rules 3 and 4 come before the folders: a host that launched ``igedit`` counts even when
its own skill folder does not hold igedit.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from . import hosts
from .proctree import Proc

PLATFORMS = ("clawhub", "cursor", "claude-code", "openclaw", "codex", "unknown")
RULES = ("skill-dir", "SKILL_SOURCE", "host-env", "host-process", "clawhub-workspace",
         "known-install", "none")
MARKER = ".igedit-install.json"  # same name as skill.install.MARKER (kept import-free)
_SOURCE_OK = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_INTERPRETERS = ("node", "nodejs", "bun", "deno", "python", "python3")


@dataclass(frozen=True)
class Decision:
    """The platform, the rule that decided it, and what that rule saw."""

    platform: str
    rule: str
    detail: str = ""

    def describe(self) -> str:
        return f"{self.rule} ({self.detail})" if self.detail else self.rule


# ---------------------------------------------------------------- rule 1: the folder
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


def folder_platform(skill_dir: Path, home: Path, env: Mapping[str, str] | None = None) -> str:
    """The host whose skill folder holds ``skill_dir``, or ``""`` when the path says nothing."""
    environ = os.environ if env is None else env
    path = Path(os.path.abspath(skill_dir))
    if _under(path, home / ".clawhub"):
        return "clawhub"
    for marker in (".clawhub", ".clawdhub"):
        if (path / marker / "origin.json").is_file():
            return "clawhub"
    if _under(path, home / ".cursor" / "skills") or _has_parts(path, ".cursor", "skills"):
        return "cursor"
    claude = Path(environ.get("CLAUDE_CONFIG_DIR") or home / ".claude")
    if _under(path, claude / "skills") or _has_parts(path, ".claude", "skills"):
        return "claude-code"
    if _under(path, home / ".openclaw" / "skills") or \
            _under(path, home / ".openclaw" / "workspace" / "skills"):
        return "openclaw"
    codex = Path(environ.get("CODEX_HOME") or home / ".codex")
    if _under(path, codex / "skills"):
        return "codex"
    return installed_host(path)


def installed_host(folder: Path) -> str:
    """The host named by the marker ``igedit install`` wrote in ``folder``, or ``""``."""
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    host = marker.get("host") if isinstance(marker, dict) else None
    return host if host in PLATFORMS and host != "unknown" else ""


# ---------------------------------------------------------------- rules 3 and 4: the host
def env_hosts(env: Mapping[str, str]) -> dict[str, str]:
    """Host → the first marker of it found in ``env`` (``VAR=value``), in table order."""
    found: dict[str, str] = {}
    for m in hosts.ENV_MARKERS:
        value = env.get(m.var, "")
        if value and (not m.value or value == m.value) and m.host not in found:
            shown = value if len(value) <= 24 else value[:21] + "…"
            found[m.host] = f"{m.var}={shown}"
    return found


def process_host(proc: Proc) -> str:
    """The host ``proc`` is, from its name or its command line; ``""`` for anything else."""
    names = {proc.name.lower()}
    argv = list(proc.argv[:2])
    if argv:
        first = os.path.basename(argv[0]).lower()
        names.add(first)
        if first.startswith(_INTERPRETERS) and len(argv) > 1:
            names.add(os.path.basename(argv[1]).lower())
    joined = "\0".join(argv).replace("\\", "/")
    for host, known in hosts.PROCESS_NAMES.items():
        if names & set(known) or any(f in joined for f in hosts.PROCESS_PATHS.get(host, ())):
            return host
    return ""


def _nearest(procs: Iterable[Proc], among: Iterable[str] | None = None) -> tuple[str, Proc] | None:
    wanted = set(among) if among is not None else None
    for proc in procs:
        host = process_host(proc)
        if host and (wanted is None or host in wanted):
            return host, proc
    return None


# ---------------------------------------------------------------- rules 5 and 6: folders
def _up(cwd: Path) -> list[Path]:
    start = Path(os.path.abspath(cwd))
    return [start, *start.parents]


def clawhub_workspace(cwd: Path, name: str, env: Mapping[str, str]) -> Path | None:
    """The ``origin.json`` of this skill in a ClawHub workspace at or above ``cwd``."""
    roots = [Path(v) for v in (env.get("CLAWHUB_WORKDIR"), env.get("CLAWDHUB_WORKDIR")) if v]
    for root in [*roots, *_up(cwd)]:
        for marker in (".clawhub", ".clawdhub"):
            origin = root / "skills" / name / marker / "origin.json"
            if origin.is_file():
                return origin
    return None


def _expand(folder: str, override: str, home: Path, env: Mapping[str, str]) -> Path:
    if override and env.get(override):
        return Path(env[override]) / "skills"
    return home / folder[2:] if folder.startswith("~/") else Path(folder)


def _present(host: str, home: Path) -> bool:
    return any((home / h[2:]).is_dir() for h in hosts.HOST_HOMES.get(host, ()))


def known_installs(name: str, cwd: Path, home: Path, env: Mapping[str, str],
                   recorded: Iterable[str] = ()) -> list[tuple[Path, tuple[str, ...]]]:
    """Every copy of the skill in a host's standard folder, with the hosts it counts for.

    ``recorded``: folders ``igedit install`` wrote (kept in ``IGEDIT_HOME``), wherever they
    are; each counts for the host its marker names while the marker is still there.
    """
    candidates: list[tuple[Path, tuple[str, ...]]] = [
        (Path(folder), ()) for folder in recorded]
    candidates += [
        (_expand(f, o, home, env) / name, readers) for f, o, readers in hosts.USER_FOLDERS]
    for base in _up(cwd):
        candidates += [(base / rel / name, readers) for rel, readers in hosts.PROJECT_FOLDERS]
        candidates.append((base / "skills" / name, ()))  # OpenClaw workspaces: marker only
    out: list[tuple[Path, tuple[str, ...]]] = []
    seen: set[str] = set()
    for folder, readers in candidates:
        if not (folder / "SKILL.md").is_file():
            continue
        marked = installed_host(folder)
        key = os.path.realpath(folder) + "\0" + (marked or ",".join(readers))
        if key in seen:
            continue
        seen.add(key)
        if marked:
            out.append((folder, (marked,)))
        elif len(readers) > 1:
            present = tuple(h for h in readers if _present(h, home))
            out.append((folder, present or readers))
        elif readers:
            out.append((folder, readers))
    return out


# ---------------------------------------------------------------- the decision
def decide(skill_dir: Path, *, name: str, env: Mapping[str, str] | None = None,
           cwd: Path | None = None, home: Path | None = None,
           procs: Callable[[], Iterable[Proc]] | None = None,
           recorded: Iterable[str] = ()) -> Decision:
    """Apply the rules in order (module docstring) and say which one decided."""
    environ = os.environ if env is None else env
    here = cwd if cwd is not None else Path.cwd()
    home_dir = home or Path(environ.get("HOME") or Path.home()).expanduser()
    if procs is None:
        from .proctree import ancestors

        procs = ancestors

    by_folder = folder_platform(skill_dir, home_dir, environ)
    if by_folder:
        return Decision(by_folder, "skill-dir", str(skill_dir))
    source = environ.get("SKILL_SOURCE", "").strip()
    if source and _SOURCE_OK.fullmatch(source):
        return Decision(source, "SKILL_SOURCE", f"SKILL_SOURCE={source}")
    marked = env_hosts(environ)
    if len(marked) == 1:
        host, marker = next(iter(marked.items()))
        return Decision(host, "host-env", marker)
    nearest = _nearest(procs(), marked or None)
    if nearest is not None:
        host, proc = nearest
        if marked:
            return Decision(host, "host-env", f"{marked[host]}, nearest of "
                            f"{', '.join(sorted(marked))} among parent processes")
        return Decision(host, "host-process", f"{proc.name} pid {proc.pid}")
    origin = clawhub_workspace(here, name, environ)
    if origin is not None:
        return Decision("clawhub", "clawhub-workspace", str(origin))
    installs = known_installs(name, here, home_dir, environ, recorded)
    found = sorted({h for _, readers in installs for h in readers})
    if len(found) == 1:
        return Decision(found[0], "known-install", ", ".join(str(f) for f, _ in installs))
    if marked:
        return Decision("unknown", "none", "markers of several hosts: " + ", ".join(
            marked[h] for h in sorted(marked)))
    if found:
        return Decision("unknown", "none", "installed for several hosts: " + "; ".join(
            f"{folder} ({' or '.join(readers)})" for folder, readers in installs))
    return Decision("unknown", "none", "no host marker, host process, ClawHub workspace "
                    "or install found")


__all__ = ["PLATFORMS", "RULES", "Decision", "clawhub_workspace", "decide", "env_hosts",
           "folder_platform", "installed_host", "known_installs", "process_host"]
