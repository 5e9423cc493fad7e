"""``igedit ops`` and ``igedit edit --ops FILE|-``: typed edit operations for hosts."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..replies import Reply
from ..templates import render
from .output import Printer


def list_ops(args: argparse.Namespace) -> int:
    """Every op with a one-line description; ``--json``: ``{"kind": "ops", "ops": [{name,
    description, schema}]}`` on one line."""
    from ..engine.typed_ops import op_catalog
    from .session import lang_policy

    catalog = op_catalog()
    if getattr(args, "json", False):
        sys.stdout.write(json.dumps({"kind": "ops", "ops": catalog}, ensure_ascii=False) + "\n")
        return 0
    lang = lang_policy(args).current
    Printer().emit(Reply(kind="text", key="ops_listing", text=render("ops_listing", lang,
                                                                        ops=catalog)))
    return 0


def read_edits(source: str) -> Any:
    """The edits array from a file or ``-`` (stdin); ValueError/OSError on failure."""
    text = sys.stdin.read() if source == "-" else Path(source).expanduser().read_text("utf-8")
    return json.loads(text)


def edit_ops(args: argparse.Namespace) -> int:
    from .session import lang_policy, run_work

    printer = Printer(json_mode=bool(getattr(args, "json", False)))
    if args.ops is None or args.instruction:
        lang = lang_policy(args).current
        printer.emit(Reply(kind="error", key="ops_or_words", exit_code=2,
                           text=render("ops_or_words", lang)))
        return 2
    try:
        edits = read_edits(args.ops)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        lang = lang_policy(args).current
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        printer.emit(Reply(kind="error", key="ops_file_unreadable", exit_code=1,
                           text=render("ops_file_unreadable", lang, file=args.ops,
                                       detail=detail)))
        return 1
    return run_work(args, "", lambda rt: rt.apply_edits(edits))


__all__ = ["edit_ops", "list_ops", "read_edits"]
