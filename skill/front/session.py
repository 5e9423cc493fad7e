"""What the front doors share: the reply language, building the runtime, running work.

``commands`` (one-shot CLI commands), ``chat`` and ``mcp_server`` each use these and
never import one another; ``cli`` routes a command line to one of them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from ..errors import SkillError
from ..lang import normalize_lang, spoken_lang
from ..replies import Reply
from ..runtime import Runtime, error_reply
from ..store import Store
from ..templates import render
from .output import Printer


def remembered_lang(store: Store) -> str:
    """The language the user last wrote in (``prefs.json``), or "" when unknown."""
    try:
        return normalize_lang(store.read("prefs").get("lang"), "")
    except SkillError:   # an unreadable home is reported by the command itself
        return ""


def reply_lang(args: argparse.Namespace, text: str = "", store: Store | None = None,
          ) -> tuple[str, bool]:
    """The reply language and whether ``--lang`` fixed it. Otherwise it follows the
    user's words; a command with none (``export``, ``status``…) answers in the language
    the user last wrote in, remembered in ``prefs.json`` (the host runs ``igedit
    export`` when a user says "导出", and that reply should be Chinese too)."""
    fixed = getattr(args, "lang", None)
    if fixed:
        return fixed, True
    spoken = spoken_lang(text)
    if store is None:
        return spoken or "en", False
    remembered = remembered_lang(store)
    if spoken and spoken != remembered:
        with contextlib.suppress(SkillError):   # an unwritable home: reported by the command
            with store.update("prefs") as prefs:
                prefs["lang"] = spoken
    return spoken or remembered or "en", False


def make_runtime(args: argparse.Namespace, lang: str, lang_fixed: bool,
                 printer: Printer | None = None, store: Store | None = None) -> Runtime:
    """Build the runtime for the chosen backend (prints the auto notice when it decides)."""
    from ..backends import make_factory, requested_kind, resolve

    store = store or Store()
    kind, why = resolve(requested_kind(getattr(args, "backend", None)), store)
    if why == "new" and printer is not None:
        reason = "" if kind == "cloud" else render("auto_reason_unreachable", lang)
        printer.emit(Reply(kind="notice", key="backend_notice",
                           text=render("backend_notice", lang, backend=kind, reason=reason)))
    manifest = None
    if kind == "cloud":
        from ..manifest import load_manifest

        manifest = load_manifest()
    return Runtime(make_factory(kind, store, manifest, lang), store, lang=lang,
                   lang_fixed=lang_fixed)


def run_work(args: argparse.Namespace, text: str,
             work: Callable[[Runtime], Awaitable[None]]) -> int:
    printer = Printer(json_mode=bool(getattr(args, "json", False)))
    store = Store()
    lang, fixed = reply_lang(args, text, store)
    try:
        runtime = make_runtime(args, lang, fixed, printer, store)
    except SkillError as exc:
        printer.emit(error_reply(exc, lang))
        return printer.exit_code

    async def main() -> None:
        try:
            async for reply in runtime.stream(lambda: work(runtime)):
                printer.emit(reply)
        finally:
            printer.close_bar()
            await runtime.aclose()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        printer.close_bar()
        printer.emit(Reply(kind="error", key="cancelled", code="cancelled", exit_code=130,
                           text=render("cancelled", runtime.lang)))
        return 130
    return printer.exit_code


__all__ = ["make_runtime", "remembered_lang", "reply_lang", "run_work"]
