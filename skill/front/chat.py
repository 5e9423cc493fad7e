"""``igedit chat``: an interactive editing session for people.

Line editing and history (readline, history kept in ``IGEDIT_HOME``), files or URLs
typed or dropped onto the terminal are uploaded, Ctrl-C cancels the current step
without losing the session, ``/help`` lists the commands. English and Chinese.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import SkillError
from ..lang import LangPolicy
from ..media import is_url
from ..runtime import Runtime, error_reply
from ..templates import render
from .output import Printer

COMMANDS = ("/help", "/status", "/credits", "/export", "/preview", "/lang", "/quit")


def dropped_files(line: str) -> list[str] | None:
    """The files/URLs when the whole line is just dropped paths (quoted or escaped)."""
    text = line.strip()
    if not text:
        return None
    try:
        parts = shlex.split(text)
    except ValueError:
        return None
    if not parts:
        return None
    found = []
    for part in parts:
        p = part[7:] if part.startswith("file://") else part
        if is_url(p) or Path(p).expanduser().is_file():
            found.append(p)
        else:
            return None
    return found


def _setup_readline(home: Path) -> Callable[[], None]:
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline
        return lambda: None
    history = home / "chat_history"
    with contextlib.suppress(OSError):
        readline.read_history_file(history)
    readline.set_history_length(1000)

    def complete(text: str, state: int) -> str | None:
        options = [c for c in COMMANDS if c.startswith(text)]
        return options[state] if state < len(options) else None

    readline.set_completer(complete)
    readline.parse_and_bind("tab: complete")

    def save() -> None:
        from ..private import private_dir, private_file

        with contextlib.suppress(OSError):
            private_dir(home)
            if not history.exists():  # what the user typed: private like the rest of the home
                private_file(history)
            readline.write_history_file(history)

    return save


class ChatSession:
    """One chat: a runtime on one event loop, fed a line at a time."""

    def __init__(self, runtime: Runtime, printer: Printer) -> None:
        self.rt = runtime
        self.printer = printer
        self.loop = asyncio.new_event_loop()

    def _run(self, work: Callable[[], Any]) -> None:
        async def consume() -> None:
            async for reply in self.rt.stream(work):
                self.printer.emit(reply)
            self.printer.close_bar()

        task = self.loop.create_task(consume())
        try:
            self.loop.run_until_complete(task)
        except KeyboardInterrupt:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, KeyboardInterrupt):
                self.loop.run_until_complete(task)
            self.printer.close_bar()  # the runtime already said "Cancelled…"

    def handle_line(self, line: str) -> bool:
        """Process one line; False when the user wants to leave."""
        text = line.strip()
        if not text:
            return True
        files = dropped_files(text)  # before commands: "/Users/me/a.mp4" is a path
        if files:
            self._run(lambda: self.rt.upload(files))
            return True
        if text.startswith("/") and "/" not in text.split(" ", 1)[0][1:]:
            return self._command(text)
        async def say() -> None:
            await self.rt.say(text)

        self._run(say)
        return True

    def _command(self, text: str) -> bool:
        cmd, _, rest = text.partition(" ")
        cmd = cmd.lower()
        rest = rest.strip()
        lang = self.rt.lang
        if cmd in ("/quit", "/exit", "/q"):
            return False
        if cmd == "/help":
            self.printer.line(render("chat_help", lang))
        elif cmd == "/status":
            self._run(self.rt.status)
        elif cmd == "/credits":
            self._run(self.rt.credits)
        elif cmd in ("/export", "/preview"):
            out = rest or None
            self._run(lambda: self.rt.export(out, preview=cmd == "/preview"))
        elif cmd == "/lang" and rest in ("en", "zh"):
            self.rt.choose_lang(rest)
            self.printer.line(render("chat_lang", rest))
        else:
            self.printer.line(render("chat_unknown", lang, command=cmd))
        return True

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.loop.run_until_complete(self.rt.aclose())
        self.loop.close()


def chat(args: argparse.Namespace) -> int:
    from ..store import Store
    from .session import make_runtime, remembered_lang

    printer = Printer(json_mode=bool(getattr(args, "json", False)))
    store = Store()
    langs = LangPolicy(flag=getattr(args, "lang", None), remembered=remembered_lang(store),
                       default="zh" if os.environ.get("LANG", "").lower().startswith("zh")
                       else "en")
    lang = langs.current
    try:
        runtime = make_runtime(args, langs, printer, store)
    except SkillError as exc:
        printer.emit(error_reply(exc, lang))
        return 1
    session = ChatSession(runtime, printer)
    save_history = _setup_readline(runtime.store.home)
    printer.line(render("chat_welcome", lang))
    try:
        while True:
            try:
                line = input("› ")
            except EOFError:
                break
            except KeyboardInterrupt:
                printer.line("")
                continue
            if not session.handle_line(line):
                break
    finally:
        save_history()
        session.close()
    printer.line(render("chat_bye", session.rt.lang))
    return 0
