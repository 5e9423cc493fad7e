"""Printing replies for people (text + progress bars) or hosts (``--json`` lines).

JSON schema, one object per line: ``{"kind": "text"|"notice"|"progress"|"summary"|
"file"|"error"|"not_done", "text": str, "key": str, "label": str, "progress": 0-100,
"file": str, "code": str, "exit_code": int, "data": {…}}`` — fields that are empty are
omitted. Never a token. ``not_done`` carries ``data.done`` (what was applied) and
``data.not_done`` (``[{"text", "reason", "why", "cloud"}]``, the user's exact words) and
makes the command exit with :data:`NOT_DONE_EXIT`.
"""

from __future__ import annotations

import json
import sys
from typing import IO, Any

from ..redact import mask_secrets, redact
from ..replies import Reply

#: exit code when part of what was asked was not done (0 only when everything was)
NOT_DONE_EXIT = 3


class Printer:
    def __init__(self, *, json_mode: bool = False, out: IO[str] | None = None,
                 err: IO[str] | None = None) -> None:
        self.json_mode = json_mode
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.exit_code = 0
        self._bar: Any = None
        self._task: Any = None
        self._label = ""
        self._last_step = -1
        self._tty = bool(getattr(self.err, "isatty", lambda: False)())

    # ------------------------------------------------------------------
    def emit(self, reply: Reply) -> None:
        if reply.kind == "error":
            self.exit_code = reply.exit_code or 1
        if reply.kind == "not_done":
            # part of the request was not done: exit 3 (unless something failed outright);
            # people already read the reason in the edit's reply, hosts get the spans
            if self.exit_code == 0:
                self.exit_code = reply.exit_code or NOT_DONE_EXIT
            if not self.json_mode:
                return
        if self.json_mode:
            self._json(reply.to_json())
            return
        if reply.kind == "progress":
            self._progress(reply)
            return
        self.close_bar()
        stream = self.err if reply.kind == "error" else self.out
        self._write(stream, reply.text)

    def line(self, text: str) -> None:
        if self.json_mode:
            self._json({"kind": "text", "text": redact(text)})
        else:
            self._write(self.out, text)

    def _json(self, obj: dict[str, Any]) -> None:
        clean = {k: redact(v) if isinstance(v, str) else v for k, v in obj.items()}
        # The line itself is JSON by design: mask secrets, but don't hide it.
        self.out.write(mask_secrets(json.dumps(clean, ensure_ascii=False)) + "\n")
        self.out.flush()

    def _write(self, stream: IO[str], text: str) -> None:
        stream.write(redact(text) + "\n")
        stream.flush()

    # ------------------------------------------------------------------
    def _progress(self, reply: Reply) -> None:
        pct = reply.percent
        if self._tty:
            self._rich_progress(reply)
            return
        # Not a terminal (an agent host): a plain line every 25 %.
        if pct is None:
            return
        step = pct // 25
        if reply.label != self._label:
            self._label, self._last_step = reply.label, -1
        if step != self._last_step:
            self._last_step = step
            self._write(self.err, f"{reply.label}: {pct}%")

    def _rich_progress(self, reply: Reply) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

        if self._bar is None or reply.label != self._label:
            self.close_bar()
            self._bar = Progress(TextColumn("{task.description}"), BarColumn(),
                                 TaskProgressColumn(), console=Console(file=self.err),
                                 transient=True)
            self._bar.start()
            self._task = self._bar.add_task(reply.label, total=reply.total or None)
            self._label = reply.label
        self._bar.update(self._task, completed=reply.done or 0, total=reply.total or None)

    def close_bar(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
            self._label = ""
