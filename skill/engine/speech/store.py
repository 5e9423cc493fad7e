"""Speech analyses cached by content under ``IGEDIT_HOME/speech`` (files 0600).

* :func:`start_background` — called when clips are uploaded, like preview proxies:
  one detached, idle-priority ``python -m skill.engine.speech.store`` analyses the
  batch, so the transcript is usually ready before anyone asks for it.
* :func:`get` — the analysis of a clip now: the cached one, the one a builder is
  finishing (waited for), or made here with ``progress``.

One builder per clip across processes (a file lock); the JSON is written under a
temporary name and renamed, so a reader never sees half of it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import structlog
from filelock import FileLock

from .analysis import Analysis

log = structlog.get_logger(__name__)
VERSION = 2          # 2: batched decoding (speech/transcribe.py)
ENV = "IGEDIT_SPEECH"          # 0/off: no background analysis at upload
#: "normal": the background analysis runs at normal priority instead of idle (a server
#: that wants transcripts soon, or a busy machine where idle time never comes)
PRIORITY_ENV = "IGEDIT_SPEECH_PRIORITY"
_HASHES: dict[tuple[str, int, int], str] = {}


def enabled() -> bool:
    return os.environ.get(ENV, "1").strip().lower() not in ("0", "off", "no", "false")


def content_hash(src: Path) -> str:
    """SHA-256 of the file's bytes (remembered per path, size and mtime in this process)."""
    st = src.stat()
    key = (str(src.resolve()), st.st_size, st.st_mtime_ns)
    found = _HASHES.get(key)
    if found is None:
        h = hashlib.sha256()
        with src.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        found = _HASHES[key] = h.hexdigest()
    return found


def cache_path(src: Path, speech_dir: Path) -> Path:
    return speech_dir / f"{content_hash(src)[:32]}.v{VERSION}.json"


def load(path: Path) -> Analysis | None:
    """A cached analysis, or None when absent or unreadable (then it is made again)."""
    try:
        return Analysis.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(path: Path, analysis: Analysis) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.partial")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(analysis.to_json(), f, ensure_ascii=False)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def cached(src: Path, home: Path) -> Analysis | None:
    """The analysis of ``src`` if it is ready (no waiting, no work)."""
    try:
        return load(cache_path(src, home / "speech"))
    except OSError:
        return None


def get(src: Path, home: Path, *, progress: Callable[[float], None] | None = None) -> Analysis:
    """The analysis of ``src``: cached, or made now (waiting for a background builder
    that holds the clip's lock rather than doing the work twice)."""
    from .transcribe import analyse_file

    speech_dir = home / "speech"
    dest = cache_path(src, speech_dir)
    found = load(dest)
    if found is not None:
        return found
    speech_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with FileLock(str(dest.with_suffix(".lock")), mode=0o600):
        found = load(dest)   # a builder finished it while we waited for the lock
        if found is not None:
            return found
        # as stored (rounded), so a fresh result equals the cached one
        analysis = Analysis.from_json(analyse_file(src, progress=progress).to_json())
        save(dest, analysis)
        log.info("speech.analysed", src=src.name, words=len(analysis.words))
        return analysis


def start_background(srcs: Sequence[Path], home: Path) -> subprocess.Popen[bytes] | None:
    """Analyse ``srcs`` in a detached idle-priority process (see :mod:`..proxy`)."""
    if not enabled():
        return None
    from ..render.proxy import _reap

    todo = [str(s) for s in dict.fromkeys(srcs) if s.is_file() and cached(s, home) is None]
    if not todo:
        return None
    env = {k: v for k, v in os.environ.items()
           if k not in ("NEMO_TOKEN", "ANTHROPIC_API_KEY", "NEMO_CLIENT_ID")}
    root = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "skill.engine.speech.store", str(home), *todo],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            close_fds=True, env=env, start_new_session=sys.platform != "win32")
    except OSError as exc:
        log.warning("speech.not_started", error=str(exc))
        return None
    _reap(proc)
    return proc


def main(argv: list[str]) -> int:
    """``python -m skill.engine.speech.store HOME SRC...``: analyse at idle priority."""
    if len(argv) < 2:
        print("usage: python -m skill.engine.speech.store HOME SRC...", file=sys.stderr)
        return 2
    from ..render.proxy import _lower_priority

    if os.environ.get(PRIORITY_ENV, "idle").strip().lower() != "normal":
        _lower_priority()
    home, failed = Path(argv[0]), 0
    for src in map(Path, argv[1:]):
        try:
            get(src, home)
        except Exception as exc:  # detached: log it, never a traceback on a terminal
            log.warning("speech.failed", src=src.name, error=str(exc))
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
