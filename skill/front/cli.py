"""``igedit``: the command line. Parses arguments, calls the library, prints, exits.

Exit codes: 0 success, 1 a failure the user can act on (the message says how),
2 a usage error, 3 part of what was asked was not done (the reply says which words
and why). Heavy modules are imported inside the commands that need them so
``igedit --help`` and ``igedit say --dry-run`` start fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .. import __version__

EPILOG = """examples:
  igedit sample -o clip.mp4
  igedit make clip.mp4 "make it a square post with lo-fi music and the title 'Urban Dreams'" -o out.mp4
  igedit upload clip.mp4 && igedit say "crop to square and add captions" && igedit export -o out.mp4
  igedit export -o out.mp4 --formats reel,square     # writes out-reel.mp4 and out-square.mp4
  igedit say --dry-run "upload ~/a.mp4 and crop it to square"
"""


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    g = common.add_argument_group("global options")
    g.add_argument("--backend", choices=("auto", "cloud", "local"), default=argparse.SUPPRESS,
                   help="editing backend (default: $IGEDIT_BACKEND or auto)")
    g.add_argument("--lang", choices=("en", "zh"), default=argparse.SUPPRESS,
                   help="reply language (default: follows what you type)")
    g.add_argument("--home", default=argparse.SUPPRESS, help="state folder (default: $IGEDIT_HOME)")
    g.add_argument("--skill-dir", default=argparse.SUPPRESS,
                   help="folder holding SKILL.md (default: $IGEDIT_SKILL_DIR or the install)")
    g.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                   help="one JSON object per line (for hosts that parse output)")
    g.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                   help="structured logs on stderr")

    p = argparse.ArgumentParser(
        prog="igedit", parents=[common], epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Instagram Video Editor Desktop: edit videos for Instagram by chatting.",
    )
    p.add_argument("--version", action="version", version=f"igedit {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], help=help, description=help)

    s = add("say", "route what the user said (upload, credits, status, export or an edit)")
    s.add_argument("utterance", nargs="+", help="the user's words")
    s.add_argument("--dry-run", action="store_true", help="print the planned steps only")
    s.add_argument("-f", "--file", action="append", default=[], help="a file the user sent")

    s = add("upload", "upload video, image, audio or caption files (or http(s) URLs)")
    s.add_argument("sources", nargs="+")

    s = add("edit", "send an edit instruction to the backend (or typed ops with --ops)")
    s.add_argument("instruction", nargs="*")
    s.add_argument("--ops", metavar="FILE|-",
                   help="apply a JSON array of {\"op\", \"args\"} (see `igedit ops`) all or "
                        "nothing, instead of words")

    s = add("ops", "list the typed edit operations (name, description, JSON schema)")

    add("status", "show the timeline (track summary) and uploaded media")
    add("credits", "show the credit balance")

    s = add("export", "render the timeline and download the MP4")
    s.add_argument("-o", "--output", help="file to write (default: a descriptive name here)")
    s.add_argument("--force", action="store_true", help="overwrite an existing file")
    s.add_argument("--resume", action="store_true", help="finish an interrupted export")
    s.add_argument("--cancel", action="store_true",
                   help="cancel pending exports (stops their render) and forget them")
    s.add_argument("--preview", action="store_true", help="quick 540p preview render")
    s.add_argument("--for", dest="target", choices=("reels", "stories", "feed", "square"),
                   help="reframe for this Instagram target first (canvas and safe zones)")
    s.add_argument("--formats", metavar="LIST",
                   help="one file per format from the same edit, named <output>-<format>.mp4: "
                        "reel, story, square, 4:5 (or feed), landscape; e.g. reel,square,4:5 "
                        "(not with --for, --clip or --each)")
    which = s.add_mutually_exclusive_group()
    which.add_argument("--clip", metavar="N|NAME",
                       help="several clips: export only this one (number from 1, or file name)")
    which.add_argument("--each", action="store_true",
                       help="several clips: one file per clip, named <output>-<clip>.mp4")

    s = add("preview", "look at the edit: --sheet writes one PNG of frames as rendered "
                       "plus the audio waveform (without --sheet: a quick 540p MP4)")
    s.add_argument("--sheet", action="store_true", help="write a contact sheet PNG")
    s.add_argument("-o", "--output",
                   help="file to write (sheet default: the state folder's sheets/)")
    s.add_argument("--frames", type=int, default=6, help="frames on the sheet (1-24, default 6)")
    s.add_argument("--force", action="store_true", help="overwrite an existing file")

    s = add("make", "one shot: upload INPUTs, apply the instruction, export to -o")
    s.add_argument("inputs", nargs="+", metavar="INPUT… INSTRUCTION",
                   help="files or URLs, then the instruction last")
    s.add_argument("-o", "--output", required=True)
    s.add_argument("--force", action="store_true")
    s.add_argument("--preview", action="store_true")
    s.add_argument("--partial", action="store_true",
                   help="render even when part of the instruction was not done (exit code 3)")

    s = add("sample", "write a 10 s 1080×1920 sample clip (no network needed)")
    s.add_argument("-o", "--output", default="clip.mp4")
    s.add_argument("--seconds", type=float, default=10.0)
    s.add_argument("--force", action="store_true")

    s = add("transcript", "print (or -o write) what is said in the edit, with times")
    from .transcript_cmd import add_arguments

    add_arguments(s)

    add("chat", "interactive editing session")
    add("doctor", "check the installation and print facts")

    s = add("serve", "serve the local engine over the NemoVideo HTTP API")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8765)
    s.add_argument("--allow-remote", action="store_true",
                   help="allow binding a non-loopback address (prints a warning)")
    s.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="also answer requests whose Host is NAME (repeatable); "
                        "loopback names are always answered")
    s.add_argument("--allow-private-urls", action="store_true",
                   help="let upload-by-URL reach private networks "
                        "(default: public addresses only; or IGEDIT_ALLOW_PRIVATE_URLS=1)")

    add("mcp", "run the MCP server over stdio")

    s = add("install", "install the skill folder for an agent host")
    s.add_argument("--host", required=True, dest="target",
                   choices=("claude-code", "cursor", "clawhub", "openclaw"))
    s.add_argument("--project", help="install into this project folder instead of your home")
    s.add_argument("--force", action="store_true")
    s = add("uninstall", "remove a skill folder installed by igedit")
    s.add_argument("--host", required=True, dest="target",
                   choices=("claude-code", "cursor", "clawhub", "openclaw"))
    s.add_argument("--project")
    s.add_argument("--force", action="store_true")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    if getattr(args, "home", None):
        os.environ["IGEDIT_HOME"] = os.path.abspath(os.path.expanduser(args.home))
    skill_dir = getattr(args, "skill_dir", None)
    # SKILL.md passes --skill-dir "${CLAUDE_SKILL_DIR}": hosts that do not fill it in leave
    # it empty (a shell) or as written (no shell); both mean "not given".
    if skill_dir and "${" not in skill_dir:
        os.environ["IGEDIT_SKILL_DIR"] = os.path.abspath(os.path.expanduser(skill_dir))
    from . import logs

    logs.configure(verbose=bool(getattr(args, "verbose", False)))
    if args.command == "say" and args.dry_run:
        from ..intents import format_steps, route

        text = format_steps(route(" ".join(args.utterance)))
        if text:
            print(text)
        return 0
    try:
        return _route(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _route(args: argparse.Namespace) -> int:
    """One front door per command; the editing commands are ``commands``."""
    if args.command == "transcript":
        from .transcript_cmd import transcript_cmd

        return transcript_cmd(args)
    if args.command == "doctor":
        from .doctor import doctor

        return doctor(args)
    if args.command == "chat":
        from .chat import chat

        return chat(args)
    if args.command == "serve":
        from .serve_cmd import serve

        return serve(args)
    if args.command == "mcp":
        from .mcp_server import run_stdio

        return int(run_stdio(args))
    if args.command in ("install", "uninstall"):
        from .install_cmd import install_cmd

        return int(install_cmd(args))
    from . import commands

    return commands.dispatch(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
