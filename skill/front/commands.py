"""The editing commands: say, upload, edit, status, credits, export, make, sample."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from ..errors import SkillError
from ..replies import Reply
from ..runtime import Runtime, error_reply
from ..templates import render
from .output import Printer
from .session import lang_policy, run_work


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
        if args.ops is not None or not args.instruction:
            from .typed_cmd import edit_ops

            return edit_ops(args)
        text = " ".join(args.instruction)
        return run_work(args, text, lambda rt: rt.edit(text))
    if cmd == "ops":
        from .typed_cmd import list_ops

        return list_ops(args)
    if cmd == "status":
        return run_work(args, "", lambda rt: rt.status())
    if cmd == "credits":
        return run_work(args, "", lambda rt: rt.credits())
    if cmd == "export" and getattr(args, "cancel", False):
        from ..exporter import Exporter

        return run_work(args, "", lambda rt: Exporter(rt).cancel())
    if cmd == "export":
        formats = _formats_arg(args)
        if formats is not None and not formats:
            return 2

        async def export(rt: Runtime) -> None:
            clip = "each" if getattr(args, "each", False) else getattr(args, "clip", None)
            if args.target and not await rt.retarget(args.target, clip):
                return
            await rt.export(args.output, force=args.force, resume=args.resume,
                            preview=args.preview, clip=clip,
                            formats=() if args.target else formats)

        return run_work(args, "", export)
    if cmd == "preview":
        if args.sheet:
            return run_work(args, "", lambda rt: rt.preview_sheet(args.output, frames=args.frames,
                                                                  force=args.force))
        return run_work(args, "", lambda rt: rt.export(args.output, force=args.force,
                                                        preview=True))
    if cmd == "make":
        return _make(args)
    if cmd == "sample":
        return _sample(args)
    raise AssertionError(cmd)  # pragma: no cover - argparse restricts choices


def _formats_arg(args: argparse.Namespace) -> tuple[str, ...] | None:
    """``--formats reel,square,4:5`` as names; ``()`` after printing a usage error."""
    value = getattr(args, "formats", None)
    if value is None:
        return None
    from ..errors import InputError
    from ..formats import parse_formats

    try:
        names = parse_formats(value)
        if args.target or getattr(args, "clip", None) or getattr(args, "each", False):
            raise InputError("--formats with --for/--clip/--each", key="formats_alone")
        return names
    except InputError as exc:
        printer = Printer(json_mode=bool(getattr(args, "json", False)))
        lang = lang_policy(args).current
        printer.emit(Reply(kind="error", key=exc.key, exit_code=2, code=exc.key,
                           text=render(exc.key, lang, **exc.ctx)))
        return ()


def _make(args: argparse.Namespace) -> int:
    if len(args.inputs) < 2:
        printer = Printer(json_mode=bool(getattr(args, "json", False)))
        lang = lang_policy(args).current
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
        await rt.new_session()   # a scratch session: the user's current one is untouched
        await rt.upload(sources)
        await rt.edit(instruction, hint_export=False)
        not_done = (rt.last_outcome or {}).get("not_done") or []
        if not_done and all(n.get("reason") == "choose" for n in not_done):
            rt.say_key("make_choose", kind="text", file=args.output)   # a question, answered
            return
        if not_done and not args.partial:
            rt.say_key("make_not_rendered", kind="text", file=args.output)
            return
        await rt.export(args.output, force=args.force, preview=args.preview)

    return run_work(args, instruction, make)


def _sample(args: argparse.Namespace) -> int:
    printer = Printer(json_mode=bool(getattr(args, "json", False)))
    lang = lang_policy(args).current
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


__all__ = ["dispatch"]
