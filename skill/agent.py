"""Handlers for agent hosts, run by :class:`~skill.runtime.Runtime`: typed edit ops, the
contact sheet, and reframing for a named Instagram target before an export.

Each takes the runtime (its backend, language, ``emit``) like the other handlers; the
backend must be the local engine for typed ops and sheets (the cloud has neither).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Protocol

from .backend import Backend, ProgressCb
from .errors import InputError
from .replies import OUTCOME_KEY, Reply
from .sheet_reply import sheet_reply
from .templates import render


class Runtime(Protocol):
    """What these handlers use of their host (:class:`skill.runtime.Runtime` is one)."""

    last_outcome: dict[str, Any] | None

    @property
    def backend(self) -> Backend: ...
    @property
    def lang(self) -> str: ...
    @property
    def cwd(self) -> Path: ...
    @property
    def progress_cb(self) -> ProgressCb: ...
    def emit(self, reply: Reply) -> None: ...
    def say_key(self, key: str, kind: str = "notice", **ctx: Any) -> None: ...
    def door_key(self, key: str) -> str: ...
    async def ready(self) -> Any: ...
    async def edit(self, text: str, *, hint_export: bool = True) -> None: ...


async def apply_edits(rt: Runtime, edits: Any) -> None:
    """Typed ops (``[{"op", "args"}]``): validated first, applied all or nothing, answered
    like an edit (the reply text, ``rt.last_outcome``)."""
    send_ops = getattr(rt.backend, "send_ops", None)
    if send_ops is None:
        raise InputError("typed ops need the local engine", key="ops_need_local")
    await rt.ready()
    rt.last_outcome = None
    async with contextlib.aclosing(send_ops(edits)) as events:
        async for ev in events:
            if ev.kind == "text" and ev.text.strip():
                rt.emit(Reply(kind="text", text=render("backend_text", rt.lang,
                                                        text=ev.text.strip())))
            elif ev.kind == "state" and isinstance(ev.state_delta.get(OUTCOME_KEY), dict):
                rt.last_outcome = ev.state_delta[OUTCOME_KEY]


async def preview_sheet(rt: Runtime, out: str | Path | None = None, *, frames: int = 6,
                        force: bool = False) -> None:
    """Write the contact sheet (N frames as rendered + the audio waveform) and reply with
    its path, size and frame times. Without ``out`` it goes to the state folder."""
    from .engine.render.sheet import check_frames

    check_frames(frames)
    make = getattr(rt.backend, "preview_sheet", None)
    if make is None:
        raise InputError("contact sheets need the local engine", key="sheet_need_local")
    await rt.ready()
    if out is None:
        dest = Path(rt.backend.sheet_path())   # type: ignore[attr-defined]
    else:
        dest = Path(out).expanduser()
        dest = dest if dest.is_absolute() else rt.cwd / dest
        if dest.exists() and not force:
            raise InputError(f"{dest} already exists", key="sheet_exists", file=str(dest))
        if not dest.parent.is_dir():
            raise InputError(f"{dest.parent} does not exist", key="export_no_folder",
                             folder=str(dest.parent))
    dest.parent.mkdir(parents=True, exist_ok=True)
    rt.say_key("sheet_started", frames=frames)
    report = await make(dest, frames=frames, progress=rt.progress_cb)
    rt.emit(sheet_reply(report, rt.lang, rt.door_key("sheet_done")))


async def retarget(rt: Runtime, target: str, clip: str | int | None = None) -> bool:
    """Reframe for an Instagram target named in an export ("export for stories"); False
    (so nothing is exported) when that could not be done. ``clip`` (an index, a number or
    ``"each"``): the export is for that clip / every clip, so the reframe is too."""
    words = render("target_instruction", rt.lang, target=target)
    if isinstance(clip, str) and clip != "each" and not clip.isdigit():   # a file name
        from . import clipset
        from .clipexport import choose

        st = await rt.backend.state()
        found = clipset.clips(st.draft, [m.id for m in st.media if getattr(m, "id", None)])
        clip = choose(found, clip)[0].index if len(found) > 1 else None
    if clip is not None:
        number = clip + 1 if isinstance(clip, int) else (int(clip) if clip.isdigit() else 0)
        if clip == "each" or number:
            words = render("target_instruction_clip", rt.lang, instruction=words,
                           each=clip == "each", number=number)
    await rt.edit(words, hint_export=False)
    return not (rt.last_outcome and rt.last_outcome.get("not_done"))


__all__ = ["apply_edits", "preview_sheet", "retarget"]
