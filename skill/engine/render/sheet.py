"""The contact sheet: N frames across the edit as rendered, plus the mixed audio's waveform.

An agent cannot watch a video; it can look at one picture. ``igedit preview --sheet``
(and the MCP ``preview_sheet`` tool) writes a PNG of ``frames`` thumbnails spread
evenly over the edit — crop, look, titles and captions burned in, each stamped with
its time — above a waveform strip of the final audio mix.

It is the preview render's own filter graph (:func:`.render.build_render` with
``preview=True``, reading the half-size proxies when they are ready) with a different
ending: instead of encoding every frame to H.264, ``select`` keeps the N frames,
``tile`` lays them out and ``showwavespic`` draws the mix, all in one ffmpeg run
that writes a single PNG. :func:`sheet_layout` and :func:`sheet_argv` are pure.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path

from ...backend import ProgressCb
from ...draft import Draft
from ...errors import InputError
from . import filtergraph as fg

DEFAULT_FRAMES = 6
MAX_FRAMES = 24
THUMB_W = 240            # thumbnail width in pixels
PAD = 6                  # margin and gap between thumbnails
WAVE_H = 96              # height of the waveform strip
BACKGROUND = "0x1c1c1c"
WAVE_COLOR = "0x7fd0ff"


@dataclass(frozen=True)
class SheetLayout:
    """Where everything goes on the sheet (all in pixels)."""

    frames: int
    thumb_w: int
    thumb_h: int
    width: int
    height: int
    wave_h: int
    times_ms: tuple[int, ...]
    fps: int = fg.FPS        # the edit's frame rate: frame numbers count frames of it

    @property
    def frame_numbers(self) -> tuple[int, ...]:
        return tuple(fg.frame_at(t, self.fps) for t in self.times_ms)


@dataclass(frozen=True)
class SheetReport:
    path: Path
    layout: SheetLayout
    seconds: float


def check_frames(frames: int) -> int:
    """``frames`` when it is a sheet's frame count, else :class:`InputError`."""
    if isinstance(frames, bool) or not isinstance(frames, int) or not 1 <= frames <= MAX_FRAMES:
        raise InputError(f"frames must be 1 to {MAX_FRAMES}", key="sheet_frames",
                         max=MAX_FRAMES, frames=frames)
    return frames


def sheet_layout(canvas_w: int, canvas_h: int, duration_ms: int, frames: int,
                 fps: int = fg.FPS) -> SheetLayout:
    """Thumbnails of the canvas' shape, at the middle of N equal slices of the edit
    (``fps``: the edit's frame rate)."""
    check_frames(frames)
    thumb_w = THUMB_W
    thumb_h = max(2, round(thumb_w * canvas_h / canvas_w / 2) * 2)
    width = frames * thumb_w + (frames + 1) * PAD
    last = max(0, fg.frame_at(duration_ms, fps) - 1)
    times: list[int] = []
    for i in range(frames):
        t = round((i + 0.5) * duration_ms / frames)
        t = min(t, last * 1000 // fps)
        if times and t <= times[-1]:   # very short edits: one frame per slot, in order
            t = times[-1] + 1000 // fps + 1
        times.append(t)
    return SheetLayout(frames, thumb_w, thumb_h, width, thumb_h + 2 * PAD + WAVE_H + PAD,
                       WAVE_H, tuple(times), fps)


def _stamp(font_path: Path | None, thumb_h: int) -> str:
    """drawtext stamping each thumbnail with its time (m:ss.d) in the top-left corner."""
    if font_path is None:
        return ""
    size = max(12, thumb_h // 16)
    text = "%{eif\\:floor(t/60)\\:d}\\:%{eif\\:mod(t\\,60)\\:d\\:2}.%{eif\\:mod(t*10\\,10)\\:d}"
    return (f",drawtext=fontfile={fg.escape_filter_value(str(font_path))}"
            f":text='{text}':x=6:y=6:fontsize={size}:fontcolor=white"
            f":box=1:boxcolor=black@0.6:boxborderw=4")


def sheet_argv(render_argv: list[str], out_png: Path, layout: SheetLayout,
               font_path: Path | None) -> list[str]:
    """The preview render's argv, ending in one PNG instead of an MP4. Pure.

    ``render_argv`` is :attr:`.render.RenderPlan.argv` of a preview render: its inputs
    and filter graph (labels ``[vout]`` and ``[aout]``) are kept, its encoders dropped.
    """
    at = render_argv.index("-filter_complex")
    head, graph = render_argv[:at], render_argv[at + 1]
    picks = "+".join(f"eq(n\\,{n})" for n in layout.frame_numbers)
    tiles = (f"[vout]select='{picks}',scale={layout.thumb_w}:{layout.thumb_h}"
             f"{_stamp(font_path, layout.thumb_h)},"
             f"tile={layout.frames}x1:margin={PAD}:padding={PAD}:color={BACKGROUND},"
             f"format=rgba[tiles]")
    wave_w = layout.width - 2 * PAD
    wave = (f"[aout]showwavespic=s={wave_w}x{layout.wave_h}:split_channels=0"
            f":colors={WAVE_COLOR}:filter=peak,format=rgba,"
            f"pad={layout.width}:{layout.wave_h + PAD}:{PAD}:0:color={BACKGROUND}[wave]")
    sheet = "[tiles][wave]vstack=inputs=2,format=rgb24[sheet]"
    return [*head, "-filter_complex", ";".join([graph, tiles, wave, sheet]),
            "-map", "[sheet]", "-frames:v", "1", "-update", "1", "-c:v", "png",
            "-f", "image2", str(out_png)]


async def make_sheet(draft: Draft, out_png: Path, *, frames: int = DEFAULT_FRAMES,
                     work_dir: Path, music_dir: Path, proxy_dir: Path | None = None,
                     progress: ProgressCb | None = None) -> SheetReport:
    """Write the contact sheet of ``draft`` (media already resolved) to ``out_png``."""
    from .ffmpeg import ffmpeg_exe, run_ffmpeg
    from .fonts import find_font
    from .glyphs import draft_texts
    from .music import synth_music
    from .pipeline import RenderOptions, _sources, _stage_font, _use_proxies, build_render
    from .probe import probe

    t0 = time.monotonic()
    if not draft.ready:
        raise InputError("nothing to preview", key="export_empty")
    for src in _sources(draft):
        if not Path(src).is_file():
            raise InputError(f"{Path(src).name}: no such file", key="file_missing",
                             file=Path(src).name)
    probes = await asyncio.to_thread(lambda: {s: probe(Path(s)) for s in _sources(draft)})
    if proxy_dir is not None:
        draft, probes, _missing, _ = await _use_proxies(draft, probes, Path(proxy_dir), None)
    texts = draft_texts(draft)
    font = await asyncio.to_thread(find_font, texts + "0123456789:.")
    work_dir.mkdir(parents=True, exist_ok=True)
    out_png = Path(out_png)
    part = out_png.with_name(f".{out_png.name}.partial.png")
    plan = build_render(draft, probes, work_dir / "unused.mp4", ffmpeg=ffmpeg_exe(),
                        work_dir=work_dir, music_dir=Path(music_dir), font=font,
                        options=RenderOptions(preview=True))
    for mood, secs, wav in plan.music:
        if not wav.is_file():
            await asyncio.to_thread(synth_music, mood, secs, wav)
    if plan.ass_text is not None and plan.ass_path is not None:
        plan.ass_path.write_text(plan.ass_text, encoding="utf-8")
        if plan.font_path is not None and plan.fonts_dir is not None:
            await asyncio.to_thread(_stage_font, plan.font_path, plan.fonts_dir)
    layout = sheet_layout(plan.width, plan.height, round(plan.duration_s * 1000), frames,
                          plan.fps)
    argv = sheet_argv(plan.argv, part, layout, font.path)
    try:
        await run_ffmpeg(argv, duration_s=plan.duration_s, progress=progress, label="preview")
        os.replace(part, out_png)
    finally:
        part.unlink(missing_ok=True)
    return SheetReport(out_png, layout, time.monotonic() - t0)


__all__ = ["DEFAULT_FRAMES", "MAX_FRAMES", "SheetLayout", "SheetReport", "check_frames", "make_sheet",
           "sheet_argv", "sheet_layout"]
