"""How igedit starts its ffmpeg children: they die with igedit, and write private files.

**Dying with the parent.** Cancelling a render stops ffmpeg (:func:`run_ffmpeg`
terminates it), but a parent killed with ``kill -9`` (or by the OOM killer, or a
host killing its tool process) runs no cleanup, and ffmpeg would go on encoding
for minutes into a file nobody will read. On Linux each child therefore asks the
kernel for a *parent-death signal* (``prctl(PR_SET_PDEATHSIG, SIGKILL)``), set
between ``fork`` and ``exec``:

* it is the only mechanism that also covers ``SIGKILL`` of the parent — a process
  group or a cleanup handler needs the parent to run code, which it cannot;
* SIGKILL rather than SIGTERM: the output is a temporary partial that is deleted
  anyway (:mod:`skill.leftovers`), so there is nothing for ffmpeg to finish;
* the parent may die between ``fork`` and ``prctl``; the child then checks that its
  parent is still the one that started it and exits if not;
* the signal follows the *thread* that forked: asyncio forks from the event loop's
  thread, which lives as long as the loop that awaits the child, so a child never
  outlives the loop that would have read its output.

The hook runs as ``preexec_fn``, which Python documents as unsafe when other threads
may hold locks at ``fork`` time. It is kept to one pre-resolved C call (no imports,
no allocation-heavy Python) and a ``getppid`` — nothing that takes a lock another
thread could hold. Elsewhere (macOS, Windows) there is no such signal: the child
still stops when the render is cancelled, but one whose parent was killed runs to
the end of its (discarded) output — closing its progress pipe does not stop ffmpeg.

**Private output.** Children that write into ``IGEDIT_HOME`` (renders, covers,
proxies) run with umask 077 (``Popen(umask=…)``, applied in the child only), so
their files are 0600 from the first byte; ``igedit sample`` writes the user's own
file and keeps the user's umask.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from functools import lru_cache
from typing import Any

PR_SET_PDEATHSIG = 1
PRIVATE_UMASK = 0o077


@lru_cache(maxsize=1)
def _prctl() -> Any:
    """libc's ``prctl``, resolved in the parent (never in the forked child), or None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        fn = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                   ctypes.c_ulong]
    fn.restype = ctypes.c_int
    return fn


def die_with_parent_hook() -> Callable[[], None] | None:
    """The ``preexec_fn`` that ties a child's life to this process (Linux), or None."""
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid()
    sig = int(signal.SIGKILL)

    def hook() -> None:  # runs in the child, between fork and exec
        prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)

    return hook


def child_options(*, private: bool = True) -> dict[str, Any]:
    """Extra keyword arguments for ``asyncio.create_subprocess_exec`` / ``Popen``."""
    opts: dict[str, Any] = {}
    hook = die_with_parent_hook()
    if hook is not None:
        opts["preexec_fn"] = hook
    if private and os.name == "posix":
        opts["umask"] = PRIVATE_UMASK
    return opts


__all__ = ["PRIVATE_UMASK", "child_options", "die_with_parent_hook"]
