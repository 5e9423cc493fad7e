"""The real skill installers (npm ``skills`` and ``clawhub``), and ``igedit`` run from PATH.

- :func:`npm_tools` installs the pinned packages once into a prefix keyed by their
  versions (``IGEDIT_TEST_NPM_PREFIX`` overrides it); later runs reuse it.
- :func:`run_from_path` runs ``igedit`` from PATH with a clean environment (only what
  the test passes), detached from the test's own parent processes so the platform rule
  that reads the process chain sees nothing of whatever launched pytest.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"skills": "1.5.26", "clawhub": "0.23.3"}
SKIP_VAR = "IGEDIT_SKIP_REAL_INSTALLERS"
# Any network use by the npx tools (telemetry, update checks, registries) goes to a closed
# loopback port, and the tools are told not to try where they allow it.
OFFLINE_ENV = {
    "DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1", "CLAWHUB_DISABLE_TELEMETRY": "1",
    "NO_UPDATE_NOTIFIER": "1", "NO_COLOR": "1", "CI": "1",
    "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
    "CLAWHUB_REGISTRY": "http://127.0.0.1:9", "CLAWHUB_SITE": "http://127.0.0.1:9",
}


@dataclass(frozen=True)
class NpmTools:
    prefix: Path
    node_dir: Path

    def bin(self, name: str) -> Path:
        return self.prefix / "node_modules" / ".bin" / name


def _installed(prefix: Path) -> bool:
    for name, version in PACKAGES.items():
        try:
            meta = json.loads((prefix / "node_modules" / name / "package.json").read_text())
        except (OSError, ValueError):
            return False
        if meta.get("version") != version or not (prefix / "node_modules" / ".bin" / name).exists():
            return False
    return True


def npm_tools() -> NpmTools:
    """The pinned installers, installed on first use; fails plainly without node and npm."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        message = (f"the real-installer tests need node and npm (to install the npm packages "
                   f"{', '.join(f'{k}@{v}' for k, v in PACKAGES.items())}), and this machine "
                   f"has {'neither' if not node and not npm else 'no ' + ('node' if not node else 'npm')}"
                   f"; install Node.js 20+, or set {SKIP_VAR}=1 to skip these tests")
        if os.environ.get(SKIP_VAR) == "1":
            pytest.skip(message)
        pytest.fail(message, pytrace=False)
    key = "+".join(f"{k}-{v}" for k, v in PACKAGES.items())
    default = Path(tempfile.gettempdir()) / f"igedit-test-npm-{os.getuid()}" / key
    prefix = Path(os.environ.get("IGEDIT_TEST_NPM_PREFIX") or default)
    if not _installed(prefix):
        staging = prefix.with_name(f"{prefix.name}.{os.getpid()}.tmp")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        out = subprocess.run(
            [npm, "install", "--prefix", str(staging), "--no-audit", "--no-fund",
             "--ignore-scripts", "--loglevel=error",
             *(f"{k}@{v}" for k, v in PACKAGES.items())],
            capture_output=True, text=True, timeout=600,
            env={**os.environ, "NO_UPDATE_NOTIFIER": "1"})
        if out.returncode != 0 or not _installed(staging):
            shutil.rmtree(staging, ignore_errors=True)
            pytest.fail(f"npm could not install {key} from the registry:\n{out.stderr[-2000:]}",
                        pytrace=False)
        try:
            staging.replace(prefix)
        except OSError:  # another run installed it first: use theirs
            shutil.rmtree(staging, ignore_errors=True)
    return NpmTools(prefix, Path(node).parent)


def node_env(tools: NpmTools, home: Path, **extra: str) -> dict[str, str]:
    """A from-scratch environment for the npm tools: a temporary HOME and no network."""
    return {"PATH": os.pathsep.join([str(tools.node_dir), "/usr/bin", "/bin"]),
            "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_CACHE_HOME": str(home / ".cache"), "XDG_STATE_HOME": str(home / ".local/state"),
            **OFFLINE_ENV, **extra}


def run_tool(tools: NpmTools, name: str, args: list[str], *, home: Path,
             cwd: Path) -> subprocess.CompletedProcess[str]:
    out = subprocess.run([str(tools.bin(name)), *args], cwd=cwd, env=node_env(tools, home),
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, f"{name} {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}"
    return out


# ---------------------------------------------------------------- igedit from PATH
def igedit_bin_dir(scratch: Path) -> Path:
    """The folder holding the ``igedit`` console script of this Python (or a shim for it)."""
    here = Path(sys.executable).parent
    if (here / "igedit").is_file():
        return here
    shim_dir = scratch / "bin"
    shim_dir.mkdir(parents=True, exist_ok=True)
    shim = shim_dir / "igedit"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m skill "$@"\n')
    shim.chmod(0o755)
    return shim_dir


# Fork, let the parent exit so the child is re-parented (to init or a subreaper), then run
# the command and write its exit code: the command's parent chain is ours no more.
_DETACH = r"""
import os, subprocess, sys, time
rc_file, argv = sys.argv[1], sys.argv[2:]
r, w = os.pipe()
parent = os.getpid()
if os.fork():
    os._exit(0)
os.close(w)
os.read(r, 1)                      # EOF once the parent is gone
while os.getppid() == parent:      # and the kernel has handed us on
    time.sleep(0.001)
code = subprocess.run(argv).returncode
with open(rc_file, "w") as f:
    f.write(str(code))
"""


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str

    def line(self, key: str) -> str:
        """The value of the doctor fact ``key: value``."""
        for line in self.stdout.splitlines():
            if line.startswith(f"{key}: "):
                return line[len(key) + 2 :]
        raise AssertionError(f"no '{key}:' line in:\n{self.stdout}\n{self.stderr}")


def run_from_path(args: list[str], *, home: Path, cwd: Path, bin_dir: Path,
                  env: dict[str, str] | None = None, wrapper: Path | None = None) -> Result:
    """``igedit ARGS`` found on PATH, in ``cwd``, with only ``env`` (plus PATH, HOME)."""
    full = {"PATH": os.pathsep.join([str(bin_dir), "/usr/bin", "/bin"]), "HOME": str(home),
            "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8", "IGEDIT_PROXIES": "0",
            "IGEDIT_HOME": str(home / ".igedit-state"), **(env or {})}
    exe = shutil.which("igedit", path=full["PATH"])
    assert exe, f"igedit is not on {full['PATH']}"
    rc_file = Path(tempfile.gettempdir()) / f"igedit-test-rc-{uuid.uuid4().hex}"
    argv = [*([str(wrapper)] if wrapper else []), exe, *args]
    out = subprocess.run([sys.executable, "-c", _DETACH, str(rc_file), *argv], cwd=cwd,
                         env=full, capture_output=True, text=True, timeout=180)
    code = int(rc_file.read_text()) if rc_file.is_file() else -1
    rc_file.unlink(missing_ok=True)
    return Result(code, out.stdout, out.stderr)
