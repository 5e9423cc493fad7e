"""Vision: analysis speed, tracked-reframe render cost, highlight selection time.

Clip: 60 s 1920×1080 30 fps H.264, a real face (fixtures/vision/face.jpg) walking across
a landscape, with sensor-like grain that changes every frame (made once, cached). Without
grain a static crop of the still landscape costs the encoder almost nothing while a
panning one does not, which measures the content, not the pipeline: the crop filter
itself costs the same either way (2.83 vs 2.81 CPU-s for 20 s, ``-f null``).

* analysis (scenes + subjects + activity + loudness) of the clip's preview proxy — what
  the background builder does after an upload — and of the original, each as a share
  of the clip's length. Target: ≤ 0.3× (proxy).
* render of a 9:16 reframe of the first ``--render-seconds`` with the crop following the
  subject vs the same render with a static crop, in turn, ``--rounds`` each, in wall
  and in CPU seconds (ours + ffmpeg; steadier on a shared machine). Two static crops:
  the **centre** crop (what the reframe did before it followed subjects: here it shows
  the empty landscape most of the time) and a static crop **on the subject** (fixed at
  the tracked camera's mean position over those seconds: the same picture content,
  only the camera's moves differ). Target: ≤ 1.15×.
* highlight selection (``make_highlight`` 15 s applied to the draft) with the analysis
  cached. Target: ≤ 1 s.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from skill.draft import Draft, decode_draft  # noqa: E402
from skill.engine.ops.draftedit import PlanContext, settle  # noqa: E402
from skill.engine.ops.vision import MakeHighlight  # noqa: E402
from skill.engine.render.ffmpeg import ffmpeg_exe  # noqa: E402
from skill.engine.render.pipeline import RenderOptions, render  # noqa: E402
from skill.engine.render.probe import probe  # noqa: E402
from skill.engine.render.proxy import build  # noqa: E402
from skill.engine.vision import analysis  # noqa: E402
from skill.engine.vision.camera import plan_path, position_at  # noqa: E402
from skill.engine.vision.reframe import crop_width  # noqa: E402
from skill.front.logs import configure as configure_logging  # noqa: E402
from tests.vision_media import face_walk  # noqa: E402


def cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("igedit")) / "bench"


def reel(src: Path, ms: int, mode: str, fixed_x: float | None = None) -> Draft:
    """A 9:16 reel of ``src``; ``fixed_x``: a static crop centred there (share of the
    width) instead of the centre crop (with ``mode`` "center")."""
    meta: dict[str, object] = {"src": str(src), "name": src.name}
    if fixed_x is not None:
        meta["cam"] = [[0.0, fixed_x]]
    return settle(decode_draft({"t": [{"tt": 0, "sg": [{"s": 0, "d": ms, "m": meta}]}],
                                "m": {"ratio": "9:16", "fit": "crop", "reframe": mode}}))


def mean_camera_x(found: analysis.Analysis, seconds: float, crop_w: float) -> float:
    """Where the tracked camera is on average over the first ``seconds`` (per frame)."""
    keys = plan_path(found.subjects, found.cuts, found.duration, crop_w)
    n = int(seconds * 30)
    return round(sum(position_at(keys, i / 30) for i in range(n)) / n, 4)


def cpu_s() -> float:
    """CPU seconds of this process and its finished children (ffmpeg): steadier than wall
    time on a shared machine."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def ratio(times: dict[str, list[float]], base: str) -> float:
    return round(statistics.median(times["subject"]) / statistics.median(times[base]), 3)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--render-seconds", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    configure_logging(verbose=False)
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    src = face_walk(folder / f"vision-{args.seconds}s-1080p-grain.mp4",
                    seconds=float(args.seconds), size=(1920, 1080), grain=True)
    ffmpeg_exe()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        os.environ["IGEDIT_HOME"] = str(tmp / "home")
        proxy = asyncio.run(build(src, probe(src), tmp / "proxies"))
        assert proxy is not None
        t0 = time.perf_counter()
        found = analysis.analyse(proxy)
        proxy_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        analysis.analyse(src)
        original_s = time.perf_counter() - t0
        analysis.save(src, found)

        ms = args.render_seconds * 1000
        fixed = mean_camera_x(found, args.render_seconds, crop_width(1920, 1080, 1080, 1920))
        drafts = {"subject": reel(src, ms, "subject"), "center": reel(src, ms, "center"),
                  "on_subject": reel(src, ms, "center", fixed)}
        wall: dict[str, list[float]] = {k: [] for k in drafts}
        cpu: dict[str, list[float]] = {k: [] for k in drafts}
        opts = RenderOptions()
        names = list(drafts)
        for i in range(args.rounds):
            for mode in names[i % 3:] + names[:i % 3]:   # none always first
                t0, c0 = time.perf_counter(), cpu_s()
                rep = asyncio.run(render(drafts[mode], tmp / f"{mode}{i}.mp4",
                                         work_dir=tmp / "work", music_dir=tmp / "music",
                                         options=opts))
                wall[mode].append(time.perf_counter() - t0)
                cpu[mode].append(cpu_s() - c0)
                assert rep.ok, rep.violations
                assert (":x='" in " ".join(rep.argv)) == (mode != "center")

        draft = reel(src, args.seconds * 1000, "subject")
        picks: list[float] = []
        for _ in range(5):
            t0 = time.perf_counter()
            MakeHighlight(15).apply(draft, PlanContext())
            picks.append(time.perf_counter() - t0)
    out = {
        "clip_seconds": args.seconds,
        "analysis_proxy_s": round(proxy_s, 2),
        "analysis_original_s": round(original_s, 2),
        "analysis_fraction_proxy": round(proxy_s / args.seconds, 3),
        "analysis_fraction_original": round(original_s / args.seconds, 3),
        "subject_samples_with_face": sum(1 for _, b in found.subjects if b),
        "subject_samples": len(found.subjects),
        "render_seconds": args.render_seconds,
        "static_on_subject_x": fixed,
        "tracked_render_s": [round(x, 2) for x in wall["subject"]],
        "static_render_s": [round(x, 2) for x in wall["center"]],
        "on_subject_render_s": [round(x, 2) for x in wall["on_subject"]],
        "tracked_vs_static": ratio(wall, "center"),
        "tracked_vs_on_subject": ratio(wall, "on_subject"),
        "tracked_cpu_s": [round(x, 2) for x in cpu["subject"]],
        "static_cpu_s": [round(x, 2) for x in cpu["center"]],
        "on_subject_cpu_s": [round(x, 2) for x in cpu["on_subject"]],
        "tracked_vs_static_cpu": ratio(cpu, "center"),
        "tracked_vs_on_subject_cpu": ratio(cpu, "on_subject"),
        "highlight_pick_s_median": round(statistics.median(picks), 4),
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
