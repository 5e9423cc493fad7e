"""Planning speed: instruction → ops → new draft (→ ffmpeg argv), per instruction.

Runs every labelled instruction of ``fixtures/instructions.yaml`` (EN + 中文) through
``RulePlanner.plan``, the reply (``describe_plan``, whose first use loads the reply
templates) and ``apply_plan`` against a two-clip draft, and — when the
renderer's pure builder ``skill.engine.render.pipeline.build_render`` is importable — builds the
ffmpeg argv for the result too (fake probes and font: no files, no ffmpeg run). The
first call (vocabulary load, regex compilation, templates) is reported as ``cold_ms``,
the first call in the other language (its reply templates) as ``cold_other_language_ms``.

Prints one JSON line. Target: plan + apply + argv < 50 ms per instruction (p95).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from skill.draft import Draft  # noqa: E402
from skill.engine.ops import MediaItem, PlanContext, initial_draft  # noqa: E402
from skill.engine.plan.planner import RulePlanner, apply_plan, describe_plan  # noqa: E402
from skill.errors import SkillError  # noqa: E402
from skill.lang import detect_lang  # noqa: E402

ROUNDS = 5
TARGET_MS = 50.0
SRT = "1\n00:00:01,000 --> 00:00:03,000\nHello\n\n2\n00:00:04,000 --> 00:00:06,500\nWorld\n"


def _context(folder: Path, media: list[dict[str, Any]]) -> PlanContext:
    (folder / "subs.srt").write_text(SRT, encoding="utf-8")
    return PlanContext(tuple(
        MediaItem(id=m["id"], src=str(folder / m["name"]), name=m["name"], kind=m["kind"],
                  duration_ms=m.get("duration_ms", 0), width=m.get("width", 0),
                  height=m.get("height", 0), has_audio=m.get("has_audio", False))
        for m in media))


def _argv_builder(ctx: PlanContext, folder: Path) -> Callable[[dict[str, Any]], list[str]] | None:
    """The renderer's pure argv builder with fake probes/font, or None if unavailable."""
    try:
        from skill.engine.render.fonts import Font
        from skill.engine.render.pipeline import build_render
        from skill.engine.render.probe import Probe
    except ImportError:
        return None
    probes = {m.src: Probe(path=Path(m.src), format_name="mov,mp4,m4a,3gp,3g2,mj2",
                           duration=m.duration_ms / 1000, has_video=m.kind == "video",
                           has_audio=m.has_audio or m.kind == "audio", width=m.width,
                           height=m.height, fps=30.0, vcodec="h264", acodec="aac",
                           sample_rate=48_000, channels=2)
              for m in ctx.media if m.kind in ("video", "audio", "image")}
    font = Font(path=folder / "font.ttf", family="Fake Sans", cjk=True)

    def build(draft: Draft) -> list[str]:
        plan = build_render(draft, probes, folder / "out.mp4", ffmpeg="ffmpeg",
                            work_dir=folder, music_dir=folder, font=font)
        return plan.argv

    try:
        build(initial_draft(ctx))
    except Exception:   # a builder with another signature: measure planning only
        return None
    return build


def main() -> None:
    data = yaml.safe_load((ROOT / "fixtures" / "instructions.yaml").read_text(encoding="utf-8"))
    says = [c["say"] for c in data["cases"]] + [c["say"] for c in data.get("holdout") or []]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ctx = _context(folder, data["media"])
        draft = initial_draft(ctx)
        planner = RulePlanner()
        build = _argv_builder(ctx, folder)

        def one(text: str) -> None:
            plan = planner.plan(text, draft, ctx)
            describe_plan(plan, detect_lang(text))   # the reply a turn sends
            try:
                result = apply_plan(draft, plan, ctx)
            except SkillError:       # e.g. a trim outside the clip: still a planned turn
                return
            if build is not None:
                build(result)

        t0 = time.perf_counter()
        one(says[0])
        cold_ms = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()   # the other language's reply templates load once too
        one(next(s for s in says if detect_lang(s) != detect_lang(says[0])))
        cold_other_ms = (time.perf_counter() - t0) * 1000
        samples: list[float] = []
        for _ in range(ROUNDS):
            for text in says:
                t = time.perf_counter()
                one(text)
                samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(json.dumps({
        "bench": "plan", "instructions": len(says), "rounds": ROUNDS,
        "includes_argv": build is not None,
        "mean_ms": round(statistics.fmean(samples), 3), "median_ms": round(samples[len(samples) // 2], 3),
        "p95_ms": round(p95, 3), "max_ms": round(samples[-1], 3), "cold_ms": round(cold_ms, 1),
        "cold_other_language_ms": round(cold_other_ms, 1),
        "target_ms": TARGET_MS, "ok": p95 < TARGET_MS,
    }))


if __name__ == "__main__":
    main()
