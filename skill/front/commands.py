"""The editing commands: say, upload, edit, status, credits, export, make, sample."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path

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


def _lang(args: argparse.Namespace, text: str = "", store: Store | None = None,
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
    lang, fixed = _lang(args, text, store)
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


def dispatch(args: argparse.Namespace) -> int:
    cmd = args.command
    if cmd == "say":
        text = " ".join(args.utterance)

        async def say(rt: Runtime) -> None:
            await rt.say(text, args.file)

        return run_work(args, text, say)
    if cmd == "upload":
        return run_work(args, "", lambda rt: rt.upload(args.sources))
    if cmd == "edit":
        text = " ".join(args.instruction)
        return run_work(args, text, lambda rt: rt.edit(text))
    if cmd == "status":
        return run_work(args, "", lambda rt: rt.status())
    if cmd == "credits":
        return run_work(args, "", lambda rt: rt.credits())
    if cmd == "export":
        return run_work(args, "", lambda rt: rt.export(args.output, force=args.force,
                                                        resume=args.resume,
                                                        preview=args.preview))
    if cmd == "make":
        return _make(args)
    if cmd == "sample":
        return _sample(args)
    if cmd == "transcript":
        from .transcript_cmd import transcript_cmd

        return transcript_cmd(args)
    if cmd == "doctor":
        from .doctor import doctor

        return doctor(args)
    if cmd == "chat":
        from .chat import chat

        return chat(args)
    if cmd == "serve":
        from .serve_cmd import serve

        return serve(args)
    if cmd == "mcp":
        from .mcp_server import run_stdio

        return int(run_stdio(args))
    if cmd in ("install", "uninstall"):
        from .install_cmd import install_cmd

        return int(install_cmd(args))
    raise AssertionError(cmd)  # pragma: no cover - argparse restricts choices


def _make(args: argparse.Namespace) -> int:
    if len(args.inputs) < 2:
        printer = Printer(json_mode=bool(getattr(args, "json", False)))
        lang, _ = _lang(args)
        printer.emit(Reply(kind="error", key="make_usage", exit_code=2,
                           text=render("make_usage", lang)))
        return 2
    *sources, instruction = args.inputs

    async def make(rt: Runtime) -> None:
        from ..draft import Draft
        from ..exporter import choose_dest

        # Fail before any work if the output cannot be written.
        choose_dest(args.output, Draft(), Path.cwd(), force=args.force)
        if hasattr(rt.backend, "make_proxies"):  # the local engine: a one-shot job
            rt.backend.make_proxies = False    # never previews, so no preview proxies
        await rt.new_session()
        await rt.upload(sources)
        await rt.edit(instruction, hint_export=False)
        await rt.export(args.output, force=args.force, preview=args.preview)

    return run_work(args, instruction, make)


def _sample(args: argparse.Namespace) -> int:
    printer = Printer(json_mode=bool(getattr(args, "json", False)))
    lang, _ = _lang(args)
    out = Path(args.output).expanduser().absolute()
    if out.exists() and not args.force:
        printer.emit(Reply(kind="error", key="export_exists", exit_code=1,
                           text=render("export_exists", lang, file=str(out))))
        return 1
    try:
        from ..engine.sample import make_sample

        asyncio.run(make_sample(out, seconds=args.seconds))
    except SkillError as exc:
        printer.emit(error_reply(exc, lang))
        return 1
    printer.emit(Reply(kind="file", file=str(out), key="sample_done",
                       text=render("sample_done", lang, path=str(out),
                                   seconds=f"{args.seconds:g}")))
    return 0


__all__ = ["dispatch", "make_runtime", "run_work"]
