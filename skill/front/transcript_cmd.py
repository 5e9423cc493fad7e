"""``igedit transcript``: what is said in the current edit, in timeline time.

Thin: the words come from :mod:`skill.engine.speech` (cached per clip by content,
made here with progress when the background analysis has not finished), laid out by
:mod:`skill.engine.speech.formats`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path

from ..draft import VIDEO
from ..errors import InputError
from ..replies import Reply
from ..runtime import Runtime
from ..templates import render

FORMATS = ("text", "srt", "vtt", "json")


def add_arguments(s: argparse.ArgumentParser) -> None:
    s.add_argument("--format", choices=FORMATS, default="text", help="text (default), srt, vtt or json")
    s.add_argument("-o", "--output", help="write to this file instead of printing")
    s.add_argument("--script", choices=("s", "t"), default=None,
                   help="Chinese script: s 简体 (default) or t 繁體")
    s.add_argument("--force", action="store_true", help="overwrite an existing file")


async def transcript_text(rt: Runtime, fmt: str, script: str | None = None) -> str:
    """The transcript of the session's timeline in ``fmt`` (local engine)."""
    from ..engine.speech.analysis import Analysis, Word, apply_fixes
    from ..engine.speech.formats import render_transcript
    from ..engine.speech.script import to_script
    from ..engine.speech.store import get
    from ..engine.speech.timeline import is_video, timeline_words
    from ..store import default_home

    await rt.ready()
    st = await rt.backend.state()
    segs = [s for track in st.draft.tracks if track.type == VIDEO for s in track.segments]
    srcs = list(dict.fromkeys(s.src or "" for s in segs if is_video(s)))
    srcs = [s for s in srcs if s and Path(s).is_file()]
    if not srcs:
        raise InputError("no clip to transcribe", key="speech_no_clip")
    analyses = {}
    for i, src in enumerate(srcs):
        def progress(done: float, i: int = i) -> None:
            rt.emit(Reply(kind="progress", label="speech", done=(i + done) / len(srcs), total=1.0))
        analyses[src] = await asyncio.to_thread(get, Path(src), default_home(), progress=progress)
    # the user's corrections ("fix the caption: teh → the"), kept in the draft
    fixes = st.draft.speech_fixes or []
    analyses = {src: apply_fixes(a, fixes) for src, a in analyses.items()}
    words = timeline_words(segs, analyses)
    langs = [a.language for a in analyses.values() if a.words]
    lang = langs[0] if langs else ""
    if script == "t" or (lang == "zh" and script):
        words = [Word(w.start_ms, w.end_ms, to_script(w.text, script), w.prob) for w in words]
    whole = Analysis(duration_ms=st.draft.duration_ms, language=lang, words=tuple(words),
                     model=next(iter(analyses.values())).model)
    return render_transcript(whole, fmt)


def transcript_cmd(args: argparse.Namespace) -> int:
    from .session import run_work

    async def work(rt: Runtime) -> None:
        text = await transcript_text(rt, args.format, args.script)
        if not args.output:
            rt.emit(Reply(kind="text", text=text.rstrip("\n"), key="transcript"))
            return
        out = Path(args.output).expanduser()
        if out.exists() and not args.force:
            raise InputError(f"{out} exists", key="export_exists", file=str(out))
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        rt.emit(Reply(kind="file", file=str(out), key="transcript_saved",
                      text=render("transcript_saved", rt.lang, path=str(out))))

    return run_work(args, "", work)
