"""Preview proxies: a half-size, fast-decoding copy of each video clip.

Decoding the full-size source is most of a preview's cost (a 1080×1920, 12 Mbps clip
costs more to decode than the whole 540p preview costs to filter and encode), so no
filter or encoder setting can make a direct preview much more than ~3× faster than
the full render. Like desktop editors, igedit therefore makes a **proxy** of every
uploaded clip in the background: a half-size copy with no B-frames, tuned for fast
decoding, cached by the source's path, size and mtime. Previews read it instead of
the original; full renders never do.

* :func:`start_background` (called when clips are uploaded) starts one detached,
  idle-priority ``python -m skill.engine.render.proxy`` for the batch and returns at once —
  the command that uploaded can exit, the creator types the next instruction
  meanwhile. Builders queue on a per-folder slot, so one ffmpeg makes proxies at a time.
* A preview (:func:`for_preview`) uses ready proxies; waits for one still being made
  only when that is quicker than decoding the original (it is ≥ :data:`WAIT_FROM`
  done); otherwise it renders from the original and, afterwards, starts the proxy
  for next time.
* One builder per proxy, across processes (a file lock); the copy is written under a
  temporary name and renamed, so a reader never sees half a file. ``IGEDIT_PROXIES=0``
  turns proxies off.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from filelock import FileLock, Timeout

from ...backend import ProgressCb
from ...errors import SkillError
from ...private import FILE_MODE, private_dir, write_private
from .cache import PROXY_CACHE_BYTES, prune, remove_stale, touch
from .ffmpeg import ffmpeg_exe, run_ffmpeg
from .probe import Probe, probe

log = structlog.get_logger(__name__)
PROXY_VERSION = 1
ENV = "IGEDIT_PROXIES"
#: wait for a proxy being made once it is this far along. Making one costs about
#: 1.1 direct previews and a preview from it about 0.3, so waiting wins from ~0.36.
WAIT_FROM = 0.4
#: give up waiting for a builder whose progress has not moved for this long
STALL_S = 30.0
POLL_S = 0.2
#: the builder's niceness where idle scheduling is not available
NICENESS = 19
#: held by the one builder that is running ffmpeg (per proxy folder)
SLOT_LOCK = ".builder.lock"
SLOT_POLL_S = 0.25


def enabled() -> bool:
    """Proxies are on unless ``IGEDIT_PROXIES`` is 0/off/no/false."""
    return os.environ.get(ENV, "1").strip().lower() not in ("0", "off", "no", "false")


def proxy_path(src: Path, proxy_dir: Path) -> Path:
    """Where the proxy of ``src`` (as it is now: size and mtime) lives."""
    st = src.stat()
    key = f"{PROXY_VERSION}|{src.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    return proxy_dir / f"{hashlib.sha1(key.encode()).hexdigest()[:20]}.mp4"


def _lock_path(dest: Path) -> Path:
    return dest.with_name(f".{dest.stem}.lock")


def _progress_path(dest: Path) -> Path:
    return dest.with_name(f".{dest.stem}.progress")


def _even(n: float) -> int:
    return max(2, int(n) // 2 * 2)


def wants_proxy(p: Probe) -> bool:
    return p.has_video and not p.is_image and p.width > 2 and p.height > 2


def proxy_argv(ffmpeg: str, src: Path, dest: Path, p: Probe) -> list[str]:
    """ffmpeg argv for the proxy of ``src`` (pure): half size, upright, all timestamps kept."""
    w, h = _even(p.width / 2), _even(p.height / 2)
    # Making a proxy is mostly decoding the source: skip its deblocking (a proxy is only
    # ever looked at in previews) and use the cheapest scaler.
    return [ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
            "-skip_loop_filter", "all", "-i", str(src),
            "-map", "0:v:0", "-map", "0:a:0?",
            "-vf", f"scale={w}:{h}:flags=fast_bilinear,format=yuv420p",
            "-fps_mode", "passthrough",
            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "fastdecode", "-bf", "0",
            "-crf", "20", "-g", "30",
            "-c:a", "aac", "-b:a", "128k", "-ar", "48000",
            "-movflags", "+faststart", "-f", "mp4", str(dest)]


# -- state of one proxy -----------------------------------------------------------
def _lock(dest: Path) -> FileLock:
    return FileLock(str(_lock_path(dest)), mode=FILE_MODE)


def building(dest: Path) -> float | None:
    """How far along the proxy being made at ``dest`` is (0–1), or None when nobody is
    making it (no builder holds its lock)."""
    if not _lock_path(dest).exists():  # a builder makes it before it starts
        return None
    lock = _lock(dest)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        try:
            return max(0.0, min(1.0, float(_progress_path(dest).read_text() or 0)))
        except (OSError, ValueError):
            return 0.0
    except OSError:
        return None
    lock.release()
    return None


async def build(src: Path, p: Probe, proxy_dir: Path) -> Path | None:
    """Make the proxy of ``src`` now (in this process). Returns it, or None when another
    process is already making it. Raises :class:`SkillError`/:class:`OSError` on failure.

    Claims the proxy first (so previews see it queued, 0 % done), then waits for the
    folder's one builder slot: however many clips are uploaded at once, one ffmpeg
    makes proxies at a time.
    """
    private_dir(proxy_dir)
    dest = proxy_path(src, proxy_dir)
    lock = _lock(dest)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return None
    if dest.is_file():   # made while this builder was starting
        lock.release()
        return dest
    progress_file = _progress_path(dest)
    slot = FileLock(str(proxy_dir / SLOT_LOCK), mode=FILE_MODE)
    try:
        while True:
            try:
                slot.acquire(timeout=0)
                break
            except Timeout:
                await asyncio.sleep(SLOT_POLL_S)
    except BaseException:
        lock.release()
        raise
    try:
        from ...leftovers import process_tag

        # the builder's tag in the name: swept on the next start if the builder is killed
        tmp = dest.with_name(f".{dest.stem}.{process_tag()}-{secrets.token_hex(4)}.partial.mp4")
        last = [0.0]

        def report(_label: str, done: float, total: float | None) -> None:
            now = time.monotonic()
            if total and now - last[0] >= 0.5:
                last[0] = now
                with contextlib.suppress(OSError):
                    write_private(progress_file, f"{done / total:.3f}")

        try:
            await run_ffmpeg(proxy_argv(ffmpeg_exe(), src, tmp, p),
                             duration_s=p.duration or None, progress=report, label="proxy")
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
        log.info("proxy.made", src=src.name)
        return dest
    finally:
        progress_file.unlink(missing_ok=True)
        slot.release()
        lock.release()
        tidy(proxy_dir)


def tidy(proxy_dir: Path) -> None:
    """Keep the proxy folder within :data:`~skill.engine.render.cache.PROXY_CACHE_BYTES` and
    drop what killed builders left behind (partial copies) and old lock files."""
    remove_stale(proxy_dir, ".*.partial.mp4", older_than_s=6 * 3600)
    remove_stale(proxy_dir, ".????????????????????.lock", older_than_s=7 * 86400)
    prune(proxy_dir, "*.mp4", max_bytes=PROXY_CACHE_BYTES)


# -- making proxies in the background ---------------------------------------------------
def _reap(proc: subprocess.Popen[bytes]) -> None:
    threading.Thread(target=proc.wait, name="proxy-reaper", daemon=True).start()


def start_background(srcs: Sequence[Path], proxy_dir: Path) -> subprocess.Popen[bytes] | None:
    """Start making the proxies of ``srcs`` (one after another) in a detached,
    idle-priority process and return it at once (a daemon thread reaps it). None when
    proxies are off, every proxy exists or is being made, or no process could start."""
    if not enabled():
        return None
    try:
        private_dir(proxy_dir)
        todo = []
        for src in dict.fromkeys(Path(s) for s in srcs):
            dest = proxy_path(src, proxy_dir)
            if not dest.is_file() and building(dest) is None:
                todo.append(str(src))
        if not todo:
            return None
        # The builder needs no credentials: it gets none.
        env = {k: v for k, v in os.environ.items()
               if k not in ("NEMO_TOKEN", "ANTHROPIC_API_KEY", "NEMO_CLIENT_ID")}
        root = str(Path(__file__).resolve().parents[3])  # the folder holding ``skill``
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        flags = 0
        if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
            flags = (getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
                     | getattr(subprocess, "DETACHED_PROCESS", 0)
                     | getattr(subprocess, "BELOW_NORMAL_PRIORITY_CLASS", 0))
        # Its own session and no inherited pipes: a host reading our stdout to EOF
        # must not wait for the builder, and Ctrl-C in the terminal must not stop it.
        proc = subprocess.Popen(
            [sys.executable, "-m", "skill.engine.render.proxy", str(proxy_dir), *todo],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            close_fds=True, env=env, start_new_session=sys.platform != "win32",
            creationflags=flags)
    except OSError as exc:
        log.warning("proxy.not_started", error=str(exc))
        return None
    _reap(proc)
    log.info("proxy.started", clips=len(todo), pid=proc.pid)
    return proc


# -- what a preview reads ------------------------------------------------------------
@dataclass
class PreviewSources:
    """Proxies a preview can read, and the clips it must decode at full size."""

    proxies: dict[str, Path] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)   # no proxy, nobody making one
    waited: bool = False


async def for_preview(sources: Mapping[str, Probe], proxy_dir: Path, *,
                      progress: ProgressCb | None = None) -> PreviewSources:
    """The proxies a preview should read: ready ones, and ones being made that are
    ≥ :data:`WAIT_FROM` done (waited for, with ``progress("proxy", done, 1)``)."""
    out = PreviewSources()
    if not enabled():
        return out
    waits: dict[str, Path] = {}
    for src, p in sources.items():
        if not wants_proxy(p):
            continue
        try:
            dest = proxy_path(Path(src), proxy_dir)
            if dest.is_file():
                touch(dest)
                out.proxies[src] = dest
                continue
            done = building(dest)
        except OSError as exc:
            log.warning("proxy.unusable", src=Path(src).name, error=str(exc))
            continue
        if done is None:
            out.missing.append(src)
        elif done >= WAIT_FROM:
            waits[src] = dest
    if waits:
        out.waited = True
        out.proxies.update(await _wait_for(waits, progress))
    return out


async def _wait_for(waits: Mapping[str, Path], progress: ProgressCb | None) -> dict[str, Path]:
    ready: dict[str, Path] = {}
    pending = dict(waits)
    seen: dict[str, tuple[float, float]] = {}   # src -> (fraction, when it last moved)
    while pending:
        now = time.monotonic()
        fractions = []
        for src, dest in list(pending.items()):
            if dest.is_file():
                ready[src] = dest
                del pending[src]
                continue
            done = await asyncio.to_thread(building, dest)
            if done is None:  # the builder stopped without a proxy (failed or killed)
                if dest.is_file():
                    ready[src] = dest
                del pending[src]
                continue
            before = seen.get(src)
            if before is None or done > before[0]:
                seen[src] = (done, now)
            elif now - before[1] > STALL_S:
                log.warning("proxy.stalled", src=Path(src).name)
                del pending[src]
                continue
            fractions.append(done)
        if progress is not None:
            share = (len(ready) + sum(fractions)) / len(waits)
            progress("proxy", share, 1.0)
        if pending:
            await asyncio.sleep(POLL_S)
    return ready


def _checked(src: str, dest: Path) -> Probe | None:
    """The proxy's probe, or None — and the file deleted — when it is not a usable
    copy of ``src`` (damaged on disk, or no picture)."""
    try:
        p = probe(dest)
    except SkillError:
        p = None
    if p is None or not p.has_video:
        log.warning("proxy.damaged", src=Path(src).name)
        with contextlib.suppress(OSError):
            dest.unlink()
        return None
    return p


async def probe_proxies(proxies: dict[str, Path]) -> dict[str, Probe]:
    """Probes of the proxies (by proxy path); a damaged proxy is deleted and dropped
    from ``proxies``, so the preview reads that clip's original instead."""
    def check() -> dict[str, Probe]:
        out: dict[str, Probe] = {}
        for src, dest in list(proxies.items()):
            p = _checked(src, dest)
            if p is None:
                del proxies[src]
            else:
                out[str(dest)] = p
        return out

    return await asyncio.to_thread(check)


def _lower_priority() -> None:
    """Run (with ffmpeg, which inherits it) only on CPU time nothing else wants.

    On Linux: the idle scheduling class, and — because the builder leads its own
    session, which the kernel's autogroup scheduler treats as a separate group that
    gets a fair share *whatever* its members' nice values — the lowest priority for
    that group too. Elsewhere: the highest niceness.
    """
    idle = getattr(os, "SCHED_IDLE", None)
    setter = getattr(os, "sched_setscheduler", None)
    try:
        if idle is not None and setter is not None:
            setter(0, idle, os.sched_param(0))
        elif hasattr(os, "nice"):
            os.nice(NICENESS)
    except OSError:
        pass
    if hasattr(os, "getsid") and os.getsid(0) == os.getpid():
        with contextlib.suppress(OSError):
            Path("/proc/self/autogroup").write_text(str(NICENESS))


def main(argv: list[str]) -> int:
    """``python -m skill.engine.render.proxy PROXY_DIR SRC...``: make those proxies, one after
    another, at idle priority. Exit 1 if any could not be made."""
    if len(argv) < 2:
        print("usage: python -m skill.engine.render.proxy PROXY_DIR SRC...", file=sys.stderr)
        return 2
    _lower_priority()
    proxy_dir, failed = Path(argv[0]), 0
    for src in map(Path, argv[1:]):
        try:
            p = probe(src)
            if wants_proxy(p):
                asyncio.run(build(src, p, proxy_dir))
                from ..vision.analysis import analyse_for_upload

                analyse_for_upload(src, proxy_path(src, proxy_dir))
        except Exception as exc:  # a detached process: log it, never a traceback on a terminal
            log.warning("proxy.failed", src=src.name, error=str(exc))
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
