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
from ..lang import LangPolicy, normalize_lang, spoken_lang
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


def lang_policy(args: argparse.Namespace, text: str = "", store: Store | None = None,
                ) -> LangPolicy:
    """The language policy of a one-shot command: ``--lang`` fixes it; otherwise the
    user's words decide, and a command with none (``export``, ``status``…) answers in
    the language the user last wrote in, remembered in ``prefs.json`` (the host runs
    ``igedit export`` when a user says "导出", and that reply should be Chinese too)."""
    remembered = remembered_lang(store) if store is not None else ""
    langs = LangPolicy(flag=getattr(args, "lang", None), remembered=remembered)
    langs.for_command(text)
    spoken = spoken_lang(text)
    if store is not None and not langs.fixed and spoken and spoken != remembered:
        with contextlib.suppress(SkillError):   # an unwritable home: reported by the command
            with store.update("prefs") as prefs:
                prefs["lang"] = spoken
    return langs


def make_runtime(args: argparse.Namespace, langs: LangPolicy,
                 printer: Printer | None = None, store: Store | None = None) -> Runtime:
    """Build the runtime for the chosen backend (prints the auto notice when it decides)."""
    from ..backends import make_factory, requested_kind, resolve

    lang = langs.current
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
    return Runtime(make_factory(kind, store, manifest, lang), store, langs=langs)


def run_work(args: argparse.Namespace, text: str,
             work: Callable[[Runtime], Awaitable[None]]) -> int:
    printer = Printer(json_mode=bool(getattr(args, "json", False)))
    store = Store()
    langs = lang_policy(args, text, store)
    lang = langs.current
    try:
        runtime = make_runtime(args, langs, printer, store)
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


__all__ = ["make_runtime", "remembered_lang", "lang_policy", "run_work"]
