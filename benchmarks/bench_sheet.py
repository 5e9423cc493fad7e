"""The contact sheet against a full render of the same edit (issue 12: ≤ 15 %).

Same reference edit and clip as ``bench_render.py`` (60 s 1080×1920 → 1:1, lo-fi music,
a title and two captions). The clip's preview proxy is made first, as an upload does in
the background; then, alternately (``--rounds`` each, so machine noise hits both alike):

* full: :func:`skill.engine.render.pipeline.render`, the Instagram-ready MP4;
* sheet: :func:`skill.engine.render.sheet.make_sheet`, 6 frames + waveform, one PNG.

Also the CPU seconds of each (this process and its ffmpeg children), which a busy shared
machine disturbs less than wall time.

Prints one JSON object; target: sheet median ≤ 0.15 × full render median.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_render import cache_dir, make_source, reference_draft  # noqa: E402

from skill.engine.render.pipeline import render  # noqa: E402
from skill.engine.render.probe import probe  # noqa: E402
from skill.engine.render.proxy import build, proxy_path  # noqa: E402
from skill.engine.render.sheet import make_sheet  # noqa: E402
from skill.front.logs import configure as configure_logging  # noqa: E402


def main() -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--frames", type=int, default=6)
    ap.add_argument("--cache", type=Path, default=cache_dir())
    args = ap.parse_args()
    configure_logging(verbose=False)
    cache: Path = args.cache
    src = make_source(cache / f"reference-{args.seconds}s.mp4", args.seconds)
    work, music, outs = cache / "sheet-work", cache / "music", cache / "sheet-out"
    proxies = cache / "sheet-proxies"
    shutil.rmtree(proxies, ignore_errors=True)
    for folder in (work, music, outs):
        folder.mkdir(parents=True, exist_ok=True)
    os.environ["IGEDIT_PROXIES"] = "1"
    draft = reference_draft(src, args.seconds)
    # The proxy an upload starts in the background, made here at normal priority: the idle-
    # priority builder may not get the CPU at all on a shared, busy machine.
    asyncio.run(build(src, probe(src), proxies))
    assert proxy_path(src, proxies).is_file()

    def cpu() -> float:
        me, kids = (resource.getrusage(who) for who in
                    (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

    def full() -> tuple[float, float]:
        t0, c0 = time.perf_counter(), cpu()
        asyncio.run(render(draft, outs / "full.mp4", work_dir=work, music_dir=music,
                           make_proxies=False))
        return time.perf_counter() - t0, cpu() - c0

    def sheet() -> tuple[float, float, Any]:
        t0, c0 = time.perf_counter(), cpu()
        rep = asyncio.run(make_sheet(draft, outs / "sheet.png", frames=args.frames,
                                     work_dir=work, music_dir=music, proxy_dir=proxies))
        return time.perf_counter() - t0, cpu() - c0, rep

    sheet()   # warm the music and font caches once, as the full render's first round does
    full_t, sheet_t, full_c, sheet_c = [], [], [], []
    layout = None
    for _ in range(args.rounds):
        t, c = full()
        full_t.append(t)
        full_c.append(c)
        t, c, rep = sheet()
        sheet_t.append(t)
        sheet_c.append(c)
        layout = rep.layout
    f, s = statistics.median(full_t), statistics.median(sheet_t)
    fc, sc = statistics.median(full_c), statistics.median(sheet_c)
    assert layout is not None
    return {
        "benchmark": "sheet",
        "clip_seconds": args.seconds,
        "rounds": args.rounds,
        "frames": args.frames,
        "full_s": [round(x, 2) for x in full_t],
        "sheet_s": [round(x, 2) for x in sheet_t],
        "full_median_s": round(f, 2),
        "sheet_median_s": round(s, 2),
        "sheet_fraction_of_full": round(s / f, 3),
        "cpu_s": {"full": round(fc, 2), "sheet": round(sc, 2)},
        "cpu_sheet_fraction_of_full": round(sc / fc, 3),
        "sheet_png_bytes": (outs / "sheet.png").stat().st_size,
        "sheet_size": [layout.width, layout.height],
        "load_average_1m": round(os.getloadavg()[0], 2),
        "targets": {"sheet_fraction_of_full": "<= 0.15"},
    }


if __name__ == "__main__":
    print(json.dumps(main()))
