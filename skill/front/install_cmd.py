"""``igedit install --host H`` / ``igedit uninstall --host H``: thin wrapper over
:mod:`skill.install` that prints a short summary and, for hosts that take MCP
servers (Claude Code, Cursor), the config snippet that starts ``igedit mcp``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..errors import SkillError
from ..runtime import error_reply
from ..templates import render
from .output import Printer

HOST_LABELS = {"claude-code": "Claude Code", "cursor": "Cursor", "clawhub": "ClawHub",
               "openclaw": "OpenClaw"}


def install_cmd(args: argparse.Namespace) -> int:
    """Run ``install`` or ``uninstall`` (``args.command``); returns the exit code."""
    lang = getattr(args, "lang", None) or "en"
    printer = Printer(json_mode=bool(getattr(args, "json", False)))
    try:
        if args.command == "uninstall":
            _uninstall(args, lang, printer)
        else:
            _install(args, lang, printer)
    except SkillError as exc:
        printer.emit(error_reply(exc, lang))
    return printer.exit_code


def _install(args: argparse.Namespace, lang: str, printer: Printer) -> None:
    from .. import install as lib
    from ..manifest import load_manifest

    manifest = load_manifest()
    result = lib.install(args.target, name=manifest.name, version=manifest.version,
                         project=args.project, force=bool(args.force),
                         skill_md=manifest.path)
    host, folder = args.target, result.target.dir
    from ..installs import remember

    remember(folder)  # platform rule 6 finds it from any folder
    label = HOST_LABELS.get(host, host)
    printer.line(render("install_done", lang, name=manifest.name, version=manifest.version,
                        host=host, host_label=label, folder=str(folder),
                        updated=result.updated, removed_count=len(result.removed)))
    if result.target.lock_file is not None:
        printer.line(render("install_clawhub_origin", lang, lock=str(result.target.lock_file)))
    printer.line(render("install_next", lang, host=host, host_label=label, folder=str(folder)))
    if host not in lib.MCP_HOSTS:
        return
    entry = lib.mcp_server_config(folder)
    snippet = lib.mcp_json(entry)
    if host == "claude-code":
        printer.line(render("install_mcp_claude", lang, json=snippet,
                            command=lib.mcp_add_command(entry, result.target.scope)))
    else:
        base = Path(args.project).expanduser().absolute() if args.project else Path("~")
        printer.line(render("install_mcp_cursor", lang, json=snippet,
                            file=os.path.join(str(base), ".cursor", "mcp.json")))


def _uninstall(args: argparse.Namespace, lang: str, printer: Printer) -> None:
    from .. import install as lib
    from ..manifest import load_manifest

    manifest = load_manifest()
    result = lib.uninstall(args.target, name=manifest.name, project=args.project,
                           force=bool(args.force))
    from ..installs import forget

    forget(result.target.dir)
    printer.line(render("uninstall_done", lang, folder=str(result.target.dir),
                        kept=list(result.kept)))


__all__ = ["install_cmd"]
