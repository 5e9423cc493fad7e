"""``igedit serve``: the local engine behind the NemoVideo HTTP API."""

from __future__ import annotations

import argparse

from ..errors import SkillError
from ..replies import Reply
from ..runtime import error_reply
from ..store import Store
from ..templates import render
from .output import Printer


def serve(args: argparse.Namespace) -> int:
    lang = getattr(args, "lang", None) or "en"
    printer = Printer(json_mode=bool(getattr(args, "json", False)))
    from ..serve.app import is_loopback

    if not is_loopback(args.host) and not args.allow_remote:
        printer.emit(Reply(kind="error", key="serve_not_loopback", exit_code=1,
                           text=render("serve_not_loopback", lang, host=args.host)))
        return 1
    try:
        from ..serve.app import run_server

        store = Store()
        store.ensure()
        allow_hosts = tuple(getattr(args, "allow_host", None) or ())
        private = bool(getattr(args, "allow_private_urls", False))
        if not is_loopback(args.host):
            printer.line(render("serve_remote_warning", lang, host=args.host,
                                hosts=", ".join(allow_hosts)))
        if private:
            printer.line(render("serve_private_urls_warning", lang))
        printer.line(render("serve_started", lang, url=f"http://{args.host}:{args.port}",
                            home=str(store.home)))
        run_server(store.home, host=args.host, port=args.port,
                   allow_remote=bool(args.allow_remote), allow_hosts=allow_hosts,
                   allow_private_urls=private)
    except SkillError as exc:
        printer.emit(error_reply(exc, lang))
        return 1
    except OSError as exc:
        printer.emit(Reply(kind="error", key="serve_port", exit_code=1,
                           text=render("serve_port", lang, port=args.port,
                                       detail=exc.strerror or "")))
        return 1
    return 0
