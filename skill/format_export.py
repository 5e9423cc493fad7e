"""Export one edit in several Instagram formats, one file each (``igedit export
--formats reel,square,4:5``, the MCP ``export`` tool's ``formats``, or formats the
edit asked for: "export as a Reel and a square post").

Files are named ``<output-stem>-<format>.mp4`` beside ``-o`` (``out-reel.mp4``,
``out-square.mp4``). Every name is checked before anything is rendered, so an
existing file stops the export whole (``--force`` overwrites) and nothing is
overwritten silently.

Each file is the same edit laid out for its format:

* on the local engine the backend derives the draft for each format
  (``format_draft``: canvas, Instagram target and so the text safe zones) without
  changing the session's edit;
* on a backend without that (the NemoVideo cloud, or ``igedit serve`` reached through
  it) the edit is reframed by words for each format before its export, as
  ``igedit export --for`` does, so the session ends in the last format exported.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from .draft import CANVAS, Draft
from .errors import InputError
from .exporter import Exporter, ExportHost, choose_dest
from .formats import format_dest, format_of, formats, resolve
from .media import human_size
from .replies import Reply
from .templates import render


def source_ratio(state: Any) -> str:
    """The shape of the first clip (what ``feed`` resolves by), else the edit's canvas."""
    for item in getattr(state, "media", ()) or ():
        w, h = getattr(item, "width", 0) or 0, getattr(item, "height", 0) or 0
        if getattr(item, "kind", "video") in ("video", "image") and w and h:
            if abs(w - h) <= 0.02 * max(w, h):
                return "1:1"
            return "9:16" if h > w else "16:9"
    return str(state.draft.ratio or "9:16")


def draft_formats(draft: Draft) -> tuple[str, ...]:
    """The formats the edit asked to be exported in (``Draft.formats``), or ``()``."""
    return tuple(n for n in dict.fromkeys(draft.formats or ()) if n in formats())


def base_output(out: str | Path | None, cwd: Path) -> Path:
    """The ``-o`` path the format files are named after (a folder or nothing: a
    descriptive ``instagram-<time>`` name there)."""
    if out is None:
        return cwd / f"instagram-{time.strftime('%Y%m%d-%H%M%S')}.mp4"
    path = Path(out).expanduser()
    if not path.is_absolute():
        path = cwd / path
    if path.is_dir():
        return path / f"instagram-{time.strftime('%Y%m%d-%H%M%S')}.mp4"
    return path


def plan_dests(out: str | Path | None, names: tuple[str, ...], cwd: Path, *,
               force: bool) -> list[tuple[str, Path]]:
    """(format, file) for each format, every file checked first: one that exists stops
    the whole export unless ``force`` (nothing rendered, nothing overwritten)."""
    base = base_output(out, cwd)
    planned: list[tuple[str, Path]] = []
    for name in names:
        dest = format_dest(base, name)
        try:
            choose_dest(dest, Draft(), cwd, force=force)
        except InputError as exc:
            if exc.key == "export_exists":
                raise InputError(str(exc), key="formats_exists", file=str(dest)) from exc
            raise
        planned.append((name, dest))
    return planned


async def export_formats(host: ExportHost, out: str | Path | None, names: tuple[str, ...], *,
                         force: bool = False, preview: bool = False) -> list[Path]:
    """Write one file per format (see the module docstring); returns the files."""
    state = await host.backend.state()
    draft = state.draft
    if not draft.ready:
        raise InputError("nothing to export", key="export_empty")
    names = resolve(names, source_ratio=source_ratio(state))
    planned = plan_dests(out, names, host.cwd, force=force)
    host.say_key("formats_started", count=len(planned), formats=[n for n, _ in planned])
    derive = getattr(host.backend, "format_draft", None)
    table = formats()
    written: list[dict[str, Any]] = []
    order = _order(planned, draft)
    for name, dest in order:
        fmt = table[name]
        if derive is not None:   # the local engine derives each format's draft itself
            await Exporter(host).run(dest, force=force, resume=False, preview=preview,
                                     draft=derive(draft, name))
        else:   # the cloud: reframe by words, then export what it made
            edit = getattr(host, "edit", None)
            if edit is not None:
                await edit(render("format_instruction", host.lang, name=name), hint_export=False)
                outcome = getattr(host, "last_outcome", None)
                if outcome and outcome.get("not_done"):
                    return [d for _, d in planned if d.exists()]
            await Exporter(host).run(dest, force=force, resume=False, preview=preview)
        w, h = CANVAS[fmt.ratio]
        written.append({"name": name, "ratio": fmt.ratio, "w": w, "h": h, "path": str(dest),
                        "size": human_size(os.path.getsize(dest) if dest.exists() else 0)})
    by_path = {f["path"]: f for f in written}
    files = [by_path[str(d)] for _, d in planned if str(d) in by_path]
    host.emit(Reply(kind="text", key="formats_done",
                    text=render("formats_done", host.lang, files=files),
                    data={"files": [{"file": f["path"], "format": f["name"]} for f in files]}))
    return [d for _, d in planned]


def _order(planned: list[tuple[str, Path]], draft: Draft) -> list[tuple[str, Path]]:
    """Export order: the edit's own format last, so a backend reframed by words ends
    where it started when that format is among them (the listing keeps the user's order)."""
    own = format_of(draft.ratio or "", draft.target)
    return sorted(planned, key=lambda p: p[0] == own)


__all__ = ["base_output", "draft_formats", "export_formats", "plan_dests", "source_ratio"]
