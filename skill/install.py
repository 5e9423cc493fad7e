"""Installing the skill folder where an agent host looks for skills.

Where each host looks (reference doc §3), ``<name>`` being the frontmatter ``name``:

==============  ==================================  =====================================
host            user install                        ``--project DIR``
==============  ==================================  =====================================
claude-code     ``~/.claude/skills/<name>/``        ``DIR/.claude/skills/<name>/``
cursor          ``~/.cursor/skills/<name>/``        ``DIR/.cursor/skills/<name>/``
clawhub         ``<workdir>/skills/<name>/``        ``DIR/skills/<name>/``
openclaw        ``~/.openclaw/skills/<name>/``      ``DIR/skills/<name>/``
==============  ==================================  =====================================

ClawHub's workdir is ``--project``, else ``CLAWHUB_WORKDIR``, else the current folder.
A ClawHub install also gets the two files ``clawhub install`` writes, in its shapes:
``<skill>/.clawhub/origin.json`` = ``{"version": 1, "registry": "local", "slug": <name>,
"installedVersion": <version>, "installedAt": <epoch ms>}`` (``registry`` is ``"local"``:
the folder came from this machine, not clawhub.ai) and our entry in
``<workdir>/.clawhub/lock.json`` = ``{"version": 1, "skills": {<name>: {"version": …,
"installedAt": …}}}`` (other entries are kept).

What is copied: ``SKILL.md`` and what ``python -m skill`` needs to run from inside the
folder — the ``skill`` package, ``prompts/``, ``VERSION``, ``pyproject.toml``,
``README.md``, ``docs/`` — never tests, benchmarks, caches or dotfiles.

Ownership: every install writes :data:`MARKER` (host, version, the files written). A
folder without it is foreign: install refuses to write into it and uninstall refuses
to delete it unless ``force``. Re-installing updates the files and removes the ones a
previous install wrote that are no longer part of the skill; uninstall removes only
what the marker lists (plus Python caches) and leaves anything the user added.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import InputError

HOSTS = ("claude-code", "cursor", "clawhub", "openclaw")
MCP_HOSTS = ("claude-code", "cursor")
MARKER = ".igedit-install.json"
TOP_FILES = ("SKILL.md", "VERSION", "pyproject.toml", "README.md", "LICENSE")
TOP_DIRS = ("skill", "prompts", "docs")
REQUIRED = ("SKILL.md", "skill", "prompts")
_SKIP_DIRS = {"__pycache__", "node_modules"}
_SKIP_SUFFIXES = (".pyc", ".pyo", ".tmp")


@dataclass(frozen=True)
class Target:
    """Where one host's copy of the skill lives."""

    host: str
    dir: Path
    scope: str  # "user" or "project"
    workdir: Path | None = None  # ClawHub: the folder holding .clawhub/lock.json

    @property
    def lock_file(self) -> Path | None:
        return self.workdir / ".clawhub" / "lock.json" if self.workdir is not None else None


@dataclass(frozen=True)
class InstallResult:
    target: Target
    version: str
    files: tuple[str, ...]
    updated: bool  # an earlier igedit install was refreshed
    removed: tuple[str, ...] = ()  # stale files from the earlier install


@dataclass(frozen=True)
class UninstallResult:
    target: Target
    removed: bool  # the folder itself is gone
    kept: tuple[str, ...] = field(default=())  # files the user added, left in place


def _home(env: Mapping[str, str]) -> Path:
    return Path(env.get("HOME") or Path.home()).expanduser()


def target_for(host: str, name: str, *, project: str | os.PathLike[str] | None = None,
               env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Target:
    """The folder ``host`` loads the skill ``name`` from (pure: no file is touched)."""
    environ = os.environ if env is None else env
    if host not in HOSTS:
        raise InputError(f"unknown host {host!r}", key="install_unknown_host", host=host,
                         hosts=", ".join(HOSTS))
    base = Path(project).expanduser().absolute() if project else None
    scope = "project" if base is not None else "user"
    home = _home(environ)
    if host == "claude-code":
        return Target(host, (base or home) / ".claude" / "skills" / name, scope)
    if host == "cursor":
        return Target(host, (base or home) / ".cursor" / "skills" / name, scope)
    if host == "clawhub":
        workdir = base or Path(environ.get("CLAWHUB_WORKDIR") or cwd or Path.cwd())
        workdir = workdir.expanduser().absolute()
        return Target(host, workdir / "skills" / name, "project" if base else "workdir",
                      workdir=workdir)
    if base is not None:
        return Target(host, base / "skills" / name, scope)
    return Target(host, home / ".openclaw" / "skills" / name, scope)


# ---------------------------------------------------------------- what to copy
def source_root() -> Path:
    """The folder holding the running ``skill`` package (a checkout or an install)."""
    return Path(__file__).resolve().parent.parent


def _walk(folder: Path) -> Iterator[Path]:
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name in _SKIP_DIRS:
            continue
        if entry.is_dir():
            yield from _walk(entry)
        elif entry.is_file() and not entry.name.endswith(_SKIP_SUFFIXES) \
                and ".egg-info" not in entry.as_posix():
            yield entry


def payload(root: Path, skill_md: Path | None = None) -> dict[str, Path]:
    """Relative POSIX path → source file, for everything an install copies.

    ``root`` is a checkout or skill folder (SKILL.md, prompts/ and skill/ side by side),
    or the site-packages of a wheel install, where only ``skill/`` is ours and SKILL.md,
    VERSION and prompts/ come from the copies in ``skill/data`` (see setup.py).
    """
    files: dict[str, Path] = {}
    bundled = root / "skill" / "data"
    if not (root / "SKILL.md").is_file() and (bundled / "SKILL.md").is_file():
        top_files, top_dirs = {n: bundled / n for n in ("SKILL.md", "VERSION")}, {
            "skill": root / "skill", "prompts": bundled / "prompts"}
    else:
        top_files = {n: root / n for n in TOP_FILES}
        top_dirs = {n: root / n for n in TOP_DIRS}
    for name, src in top_files.items():
        if name == "SKILL.md" and skill_md is not None:
            src = skill_md
        if src.is_file():
            files[name] = src
    for name, folder in top_dirs.items():
        if folder.is_dir():
            for src in _walk(folder):
                files[f"{name}/{src.relative_to(folder).as_posix()}"] = src
    missing = [r for r in REQUIRED if r not in files and not any(
        k.startswith(r + "/") for k in files)]
    if missing:
        raise InputError(f"the skill folder {root} has no {', '.join(missing)}",
                         key="install_no_source", folder=str(root), missing=", ".join(missing))
    return files


# ---------------------------------------------------------------- marker
def read_marker(folder: Path) -> dict[str, Any] | None:
    """The marker of an igedit install in ``folder``, or None when there is none."""
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("tool") != "igedit":
        return None
    return data


def _foreign(folder: Path) -> bool:
    """A folder that exists, holds something, and was not written by igedit."""
    if not folder.exists():
        return False
    if not folder.is_dir():
        return True
    if read_marker(folder) is not None:
        return False
    return any(p.name != "__pycache__" for p in folder.iterdir())


def _write_atomic(dest: Path, data: bytes) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, dest)


def _copy(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    shutil.copyfile(src, tmp)
    shutil.copymode(src, tmp)
    os.replace(tmp, dest)


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _prune_empty(folder: Path, stop: Path) -> None:
    """Remove empty folders from ``folder`` up to (not including) ``stop``."""
    current = folder
    while current != stop and stop in current.parents:
        try:
            current.rmdir()
        except OSError:
            return
        current = current.parent


def _missing_parents(dest: Path) -> list[str]:
    """The ancestors of ``dest`` that do not exist yet, deepest first."""
    out: list[str] = []
    current = dest.parent
    while not current.exists() and current != current.parent:
        out.append(str(current))
        current = current.parent
    return out


def _remove_caches(folder: Path) -> None:
    for cache in sorted(folder.rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache, ignore_errors=True)


# ---------------------------------------------------------------- install
def install(host: str, *, name: str, version: str, project: str | os.PathLike[str] | None = None,
            force: bool = False, root: Path | None = None, skill_md: Path | None = None,
            env: Mapping[str, str] | None = None, cwd: Path | None = None,
            clock: Callable[[], float] = time.time) -> InstallResult:
    """Copy the skill into ``host``'s folder; idempotent; refuses foreign folders."""
    target = target_for(host, name, project=project, env=env, cwd=cwd)
    src_root = (root or source_root()).resolve()
    files = payload(src_root, skill_md)
    dest = target.dir
    if _foreign(dest) and not force:
        raise InputError(f"{dest} exists and was not installed by igedit",
                         key="install_foreign", folder=str(dest))
    old = read_marker(dest) if dest.is_dir() else None
    if dest.exists() and not dest.is_dir():
        dest.unlink()  # only reachable with force
    now_ms = int(clock() * 1000)
    written = set(files)
    created = list((old or {}).get("created_dirs", [])) or _missing_parents(dest)
    try:
        dest.mkdir(parents=True, exist_ok=True)
        same = dest.resolve() == src_root
        for rel, src in files.items():
            out = dest / rel
            if same and out.resolve() == src.resolve():
                continue  # installing a folder onto itself: nothing to copy
            _copy(src, out)
        if host == "clawhub":
            origin = {"version": 1, "registry": "local", "slug": name,
                      "installedVersion": version, "installedAt": now_ms}
            _write_atomic(dest / ".clawhub" / "origin.json", _json_bytes(origin))
            written.add(".clawhub/origin.json")
            _update_lock(target, name, version, now_ms, add=True)
        stale = sorted(set(old.get("files", [])) - written) if old else []
        for rel in stale:
            path = dest / rel
            if _inside(path, dest) and path.is_file():
                path.unlink()
                _prune_empty(path.parent, dest)
        marker = {
            "tool": "igedit", "host": host, "name": name, "version": version,
            "scope": target.scope,
            "installed_at": (old or {}).get("installed_at") or _iso(now_ms),
            "updated_at": _iso(now_ms),
            "files": sorted(written),
            "created_dirs": created,
        }
        _write_atomic(dest / MARKER, _json_bytes(marker))
    except OSError as exc:
        raise InputError(f"cannot write {dest}: {exc.strerror}", key="install_write_failed",
                         folder=str(dest), reason=exc.strerror or str(exc)) from exc
    return InstallResult(target, version, tuple(sorted(written)), updated=old is not None,
                         removed=tuple(stale))


def uninstall(host: str, *, name: str, project: str | os.PathLike[str] | None = None,
              force: bool = False, env: Mapping[str, str] | None = None,
              cwd: Path | None = None) -> UninstallResult:
    """Remove an igedit install for ``host``; a foreign folder only with ``force``."""
    target = target_for(host, name, project=project, env=env, cwd=cwd)
    dest = target.dir
    if not dest.exists():
        raise InputError(f"{dest} does not exist", key="uninstall_missing", folder=str(dest))
    marker = read_marker(dest) if dest.is_dir() else None
    try:
        if marker is None:
            if not force:
                raise InputError(f"{dest} was not installed by igedit",
                                 key="uninstall_foreign", folder=str(dest))
            if dest.is_dir():
                shutil.rmtree(dest)
            else:
                dest.unlink()
            if host == "clawhub":
                _update_lock(target, name, "", 0, add=False)
            return UninstallResult(target, removed=True)
        for rel in [*marker.get("files", []), MARKER]:
            path = dest / str(rel)
            if _inside(path, dest) and (path.is_file() or path.is_symlink()):
                path.unlink()
        _remove_caches(dest)
        for folder in sorted((p for p in dest.rglob("*") if p.is_dir()),
                             key=lambda p: len(p.parts), reverse=True):
            _prune_empty(folder, dest)
        if host == "clawhub":
            _update_lock(target, name, "", 0, add=False)
        kept = tuple(sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*")
                            if p.is_file()))
        if not kept:
            dest.rmdir()
            # Folders the first install had to create (e.g. `~/.claude/skills`), if empty.
            for folder in marker.get("created_dirs", []):
                with contextlib.suppress(OSError):
                    Path(str(folder)).rmdir()
    except OSError as exc:
        raise InputError(f"cannot remove {dest}: {exc.strerror}", key="install_write_failed",
                         folder=str(dest), reason=exc.strerror or str(exc)) from exc
    return UninstallResult(target, removed=not kept, kept=kept)


def _inside(path: Path, folder: Path) -> bool:
    """Guard against a tampered marker naming files outside the install."""
    try:
        Path(os.path.abspath(path)).relative_to(os.path.abspath(folder))
    except ValueError:
        return False
    return True


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="seconds")


def _update_lock(target: Target, name: str, version: str, now_ms: int, *, add: bool) -> None:
    """Add or drop our entry in ClawHub's ``lock.json``, keeping every other entry."""
    lock = target.lock_file
    if lock is None:
        return
    try:
        data = json.loads(lock.read_text(encoding="utf-8"))
    except FileNotFoundError:
        data = {"version": 1, "skills": {}}
    except (OSError, ValueError):
        return  # unreadable: never overwrite what ClawHub may still need
    if not isinstance(data, dict) or not isinstance(data.get("skills"), dict):
        return
    skills: dict[str, Any] = data["skills"]
    if add:
        skills[name] = {"version": version, "installedAt": now_ms}
    elif name in skills:
        del skills[name]
    else:
        return
    if not add and not skills and data.get("version") == 1 and len(data) == 2:
        lock.unlink()
        _prune_empty(lock.parent, lock.parent.parent)
        return
    _write_atomic(lock, _json_bytes(data))


# ---------------------------------------------------------------- MCP config
def mcp_server_config(install_dir: Path | None = None,
                      which: Callable[[str], str | None] = shutil.which,
                      python: str | None = None) -> dict[str, Any]:
    """The ``mcpServers`` entry that starts ``igedit mcp``.

    ``igedit`` on PATH is the simple form; otherwise run the installed folder's copy
    with this Python (``PYTHONPATH`` pointing at the folder so ``-m skill`` finds it).
    """
    if which("igedit"):
        return {"command": "igedit", "args": ["mcp"]}
    import sys

    entry: dict[str, Any] = {"command": python or sys.executable, "args": ["-m", "skill", "mcp"]}
    if install_dir is not None:
        entry["env"] = {"PYTHONPATH": str(install_dir)}
    return entry


def mcp_json(entry: Mapping[str, Any]) -> str:
    """``{"mcpServers": {"igedit": entry}}`` as indented JSON, ready to paste."""
    return json.dumps({"mcpServers": {"igedit": dict(entry)}}, indent=2)


def mcp_add_command(entry: Mapping[str, Any], scope: str = "") -> str:
    """The ``claude mcp add`` line for ``entry`` (``scope``: ``user`` or ``project``)."""
    opts = f" --scope {scope}" if scope in ("user", "project") else ""
    opts += "".join(f" -e {k}={v}" for k, v in dict(entry.get("env") or {}).items())
    argv = " ".join([str(entry["command"]), *map(str, entry.get("args", []))])
    return f"claude mcp add{opts} igedit -- {argv}"


__all__ = [
    "HOSTS", "MARKER", "MCP_HOSTS", "InstallResult", "Target", "UninstallResult", "install",
    "mcp_add_command", "mcp_json", "mcp_server_config", "payload", "read_marker",
    "source_root", "target_for", "uninstall",
]
