"""Export per clip: "export each clip separately" / "分别导出" (one file per clip), "export
the second clip" / ``igedit export --clip 2`` (that one), and a plain export while the
clips are edited separately (one file each). See :mod:`skill.clipset` for the drafts.

File names: one clip chosen (or previewed) and ``-o`` given → exactly that file; otherwise each file is
``<output stem>-<clip stem>.mp4`` beside the requested output (or, without ``-o``, in the
working directory with the default descriptive stem). Every destination is checked
before the first render, and an existing file is never replaced without ``--force``
(without ``-o`` a free name is picked instead).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from . import clipset
from .draft import Draft
from .errors import InputError
from .exporter import choose_dest, default_name
from .media import human_size
from .replies import Reply
from .templates import render

if TYPE_CHECKING:
    from .backend import SessionState
    from .exporter import Exporter

#: a choice of clips: "each", a 0-based index, a 1-based number or file name as text
Choice = str | int | None


def wants_clips(draft: Draft, choice: Choice) -> bool:
    """Whether this export goes per clip (a clip was chosen, or the clips are separate)."""
    return choice is not None or (clipset.mode(draft) == clipset.EACH and clipset.several(draft))


def choose(clips: list[clipset.Clip], choice: Choice, *, preview: bool = False,
           focus: list[int] | None = None) -> list[clipset.Clip]:
    """The clips ``choice`` names (every clip for ``"each"``; a preview with no choice
    shows the clips the latest edit named)."""
    if choice is None:
        if preview and focus:
            return [c for c in clips if c.index in focus] or clips
        return clips
    if isinstance(choice, int):
        if 0 <= choice < len(clips):
            return [clips[choice]]
        raise _unknown(str(choice + 1), clips)
    word = choice.strip()
    if word.lower() in ("each", "all", "every", "*"):
        return clips
    if word.isdigit():
        n = int(word)
        if 1 <= n <= len(clips):
            return [clips[n - 1]]
        raise _unknown(word, clips)
    low = word.lower()
    hits = [c for c in clips if low in (c.name.lower(), c.stem.lower())]
    if not hits:
        from .cliprefs import export_choice

        picked = export_choice(word, [c.name for c in clips])
        if isinstance(picked, int) and 0 <= picked < len(clips):
            hits = [clips[picked]]
    if not hits:
        raise _unknown(word, clips)
    return hits[:1]


def _unknown(word: str, clips: list[clipset.Clip]) -> InputError:
    return InputError(f"no clip {word!r} in this session", key="export_clip_unknown",
                      clip=word, names=[c.name for c in clips])


def _safe_stem(stem: str) -> str:
    keep = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in stem).strip("-.")
    return keep or "clip"


def destinations(out: str | Path | None, chosen: list[clipset.Clip], cwd: Path, *,
                 force: bool, single: bool) -> list[Path]:
    """Where each chosen clip is saved (see the module docstring); refuses an existing
    file without ``force`` before anything renders."""
    if single and out is not None and not Path(out).expanduser().is_dir():
        return [choose_dest(out, chosen[0].draft, cwd, force=force)]
    dests: list[Path] = []
    for clip in chosen:
        draft = clip.draft
        if out is None:
            stem = Path(default_name(draft)).stem
            base = cwd / f"{stem}-{_safe_stem(clip.stem)}.mp4"
            dest, n = base, 2
            while dest.exists() or dest in dests:
                dest = base.with_name(f"{base.stem}~{n}.mp4")
                n += 1
            dests.append(choose_dest(dest, draft, cwd, force=force))
            continue
        target = Path(out).expanduser()
        if not target.is_absolute():
            target = cwd / target
        if target.is_dir():
            target = target / default_name(draft)
        stem = target.stem if target.suffix.lower() == ".mp4" else target.name
        dests.append(choose_dest(target.with_name(f"{stem}-{_safe_stem(clip.stem)}.mp4"), draft,
                                 cwd, force=force))
    return dests


async def export_clips(exporter: Exporter, state: SessionState, choice: Choice,
                       out: str | Path | None, *, force: bool, preview: bool) -> list[Path]:
    """Render and save the chosen clips one after another (see the module docstring)."""
    draft = state.draft
    clips = clipset.clips(draft, [m.id for m in state.media if getattr(m, "id", None)])
    if len(clips) < 2:
        raise InputError("one clip only", key="export_clip_single")
    chosen = choose(clips, choice, preview=preview, focus=clipset.focus(draft))
    dests = destinations(out, chosen, exporter.rt.cwd, force=force, single=len(chosen) == 1)
    rt = exporter.rt
    rt.say_key("export_clips_started", count=len(chosen), names=[c.name for c in chosen])
    lines: list[str] = []
    saved: list[Path] = []
    for clip, dest in zip(chosen, dests, strict=True):
        path = await exporter.render_to(clip.draft, dest, force=force,
                                        preview=preview, announce=False)
        size = human_size(os.path.getsize(path)) if path.exists() else "0 B"
        line = render("export_clip_done", rt.lang, number=clip.index + 1, name=clip.name,
                      path=str(path), size=size, preview=preview)
        rt.emit(Reply(kind="file", file=str(path), key="export_clip_done", text=line,
                      data={"bytes": path.stat().st_size if path.exists() else 0,
                            "clip": clip.index + 1, "name": clip.name}))
        lines.append(line)
        saved.append(path)
    if len(saved) > 1:
        rt.say_key("export_clips_done", kind="text", count=len(saved), lines=lines,
                   preview=preview)
    return saved


__all__ = ["Choice", "choose", "destinations", "export_clips", "wants_clips"]
