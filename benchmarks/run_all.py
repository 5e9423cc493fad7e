"""Run every benchmark, print one table, write ``benchmarks/results.json``.

    python benchmarks/run_all.py            # full rounds (the render benchmark takes minutes)
    python benchmarks/run_all.py --quick    # fewer rounds, a 20 s render clip
    python benchmarks/run_all.py --only startup,route --markdown
    python benchmarks/run_all.py --table-from benchmarks/results.json --markdown

Each ``bench_*.py`` runs in its own subprocess (a clean interpreter, as a user's
``igedit`` would be) and prints one JSON line. Every figure is compared with a baseline
measured in the *same* run, because the machine is shared and noisy: a ratio (ours /
baseline) or a rate. The table says, per figure: the value, the baseline, the ratio or
rate, the target and whether it was met. Exit status: 0, or 1 when a benchmark crashed
(``--strict``: also when a target was missed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"


@dataclass(frozen=True)
class Bench:
    name: str
    script: str
    args: tuple[str, ...] = ()
    quick_args: tuple[str, ...] = ()
    timeout: float = 900.0


BENCHES = (
    Bench("startup", "bench_startup.py", ("15",), ("5",), 300),
    Bench("route", "bench_route.py", (), ("--rounds", "2", "--seconds", "0.2"), 120),
    Bench("sse", "bench_sse_decode.py", (), (), 120),
    Bench("gui", "bench_gui.py", (), ("--rounds", "2", "--seconds", "0.2"), 120),
    Bench("upload_rss", "bench_upload_rss.py", (), (), 600),
    Bench("export_delay", "bench_export_delay.py", (), (), 300),
    Bench("plan", "bench_plan.py", (), (), 300),
    Bench("render", "bench_render.py", ("--rounds", "3"), ("--rounds", "1", "--seconds", "20"),
          3600),
    Bench("sheet", "bench_sheet.py", ("--rounds", "3"), ("--rounds", "1", "--seconds", "20"),
          1800),
    Bench("speech", "bench_speech.py", ("--rounds", "2"), ("--rounds", "1", "--seconds", "30"),
          3600),
    Bench("vision", "bench_vision.py", ("--rounds", "3"),
          ("--rounds", "1", "--render-seconds", "10"), 2400),
)


@dataclass(frozen=True)
class Figure:
    figure: str
    value: str
    baseline: str
    ratio: str
    target: str
    ok: bool | None          # None: not measured (the benchmark failed or lacks the field)


def run_bench(bench: Bench, quick: bool) -> dict[str, Any]:
    """The benchmark's JSON object, or ``{"error": …}``; never raises."""
    argv = [sys.executable, str(HERE / bench.script), *(bench.quick_args if quick else bench.args)]
    if not (HERE / bench.script).is_file():
        return {"error": f"{bench.script} is missing"}
    started = time.perf_counter()
    try:
        done = subprocess.run(argv, capture_output=True, text=True,  # noqa: S603 - no shell
                              timeout=bench.timeout, cwd=HERE.parent, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {bench.timeout:.0f} s"}
    wall = round(time.perf_counter() - started, 1)
    lines = [ln for ln in done.stdout.splitlines() if ln.strip().startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"error": f"exit {done.returncode}: " + " | ".join(tail), "wall_s": wall}
    try:
        data = json.loads(lines[-1])
    except ValueError as exc:
        return {"error": f"not JSON: {exc}", "wall_s": wall}
    if not isinstance(data, dict):
        return {"error": "not a JSON object", "wall_s": wall}
    data["wall_s"] = wall
    return data


# ------------------------------------------------------------------ figures

def _num(data: dict[str, Any], *path: str) -> float | None:
    value: Any = data
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _fmt(value: float | None, unit: str = "", digits: int = 2) -> str:
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}" if abs(value) < 1e4 else f"{value:,.0f}"
    return f"{text}{unit}"


def _row(figure: str, value: float | None, baseline: float | None, ratio: float | None,
         target: str, ok: Callable[[float], bool], subject: float | None, *,
         unit: str = "", ratio_unit: str = "×", digits: int = 2) -> Figure:
    return Figure(figure, _fmt(value, unit, digits), _fmt(baseline, unit, digits),
                  _fmt(ratio, ratio_unit), target,
                  None if subject is None else bool(ok(subject)))


def _div(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def figures(results: dict[str, dict[str, Any]]) -> list[Figure]:
    rows: list[Figure] = []
    s = results.get("startup", {})
    base = _num(s, "baseline_median_s")
    for key, label in (("help", "igedit --help"), ("say_dry_run", "igedit say --dry-run")):
        ratio = _num(s, f"{key}_ratio")
        rows.append(_row(f"CLI start-up: {label} vs bare imports", _num(s, f"{key}_median_s"),
                         base, ratio, "≤ 1.6×", lambda r: r <= 1.6, ratio, unit=" s", digits=3))
    r = results.get("route", {})
    rate = _num(r, "utterances_per_s")
    rows.append(_row("Routing rate (labelled utterances)", rate,
                     _num(r, "baseline_seed_keywords_per_s"), _div(rate, _num(
                         r, "baseline_seed_keywords_per_s")),
                     "≥ 5,000 /s", lambda v: v >= 5000, rate, unit=" /s", digits=0))
    e = results.get("sse", {})
    rate = _num(e, "events_per_s")
    base_rate = _num(e, "baseline_decode_only_events_per_s")
    rows.append(_row("SSE decode + assemble + translate + route", rate, base_rate,
                     _div(rate, base_rate), "≥ 20,000 events/s", lambda v: v >= 20000, rate,
                     unit=" /s", digits=0))
    gu = results.get("gui", {})
    for key, label, limit in (("plain", "plain reply", 1.0), ("gui", "reply with GUI phrases", 10.0)):
        ratio = _num(gu, f"{key}_ratio")
        rows.append(_row(f"GUI translation of a {label} vs decoding its event",
                         _num(gu, f"{key}_texts_per_s"),
                         _num(gu, f"baseline_{key}_decode_per_s"), ratio, f"≤ {limit:g}×",
                         lambda r, limit=limit: r <= limit, ratio, unit=" /s", digits=0))
    u = results.get("upload_rss", {})
    peak, before = _num(u, "peak_rss_mb"), _num(u, "baseline_rss_mb")
    rows.append(_row("Upload 500 MB: peak RSS", peak, before, _div(peak, before), "≤ 120 MB",
                     lambda v: v <= 120, peak, unit=" MB", digits=1))
    x = results.get("export_delay", {})
    delay, seed = _num(x, "median_delay_s"), _num(x, "baseline_fixed_30s", "median_s")
    rows.append(_row("Export delay after render completion (median)", delay, seed,
                     _div(delay, seed), "≤ 3 s", lambda v: v <= 3.0, delay, unit=" s"))
    g = results.get("render", {})
    ours, hand = _num(g, "ours_median_s"), _num(g, "handwritten_median_s")
    ratio = _num(g, "ratio_vs_handwritten")
    rows.append(_row("Local render vs hand-written ffmpeg", ours, hand, ratio, "≤ 1.15×",
                     lambda v: v <= 1.15, ratio, unit=" s"))
    rtf = _num(g, "realtime_factor")
    clip = _num(g, "clip_seconds")
    rows.append(_row("Local render speed (clip s / wall s)", ours, clip, rtf, "≥ 1.0× real time",
                     lambda v: v >= 1.0, rtf, unit=" s"))
    cpu_ours, cpu_hand = _num(g, "cpu_s", "ours"), _num(g, "cpu_s", "handwritten")
    cpu_ratio = _num(g, "cpu_ratio_vs_handwritten")
    if cpu_ratio is not None:   # CPU seconds (ours + ffmpeg): steadier on a shared machine
        rows.append(_row("Local render vs hand-written ffmpeg (CPU s)", cpu_ours, cpu_hand,
                         cpu_ratio, "≤ 1.15×", lambda v: v <= 1.15, cpu_ratio, unit=" s"))
    previews = g.get("preview_s") if isinstance(g.get("preview_s"), list) else None
    preview = statistics.median(previews) if previews else None
    speedup = _num(g, "preview_speedup")
    rows.append(_row("Preview vs full render (proxy ready)", preview, ours, speedup,
                     "≥ 4× faster", lambda v: v >= 4.0, speedup, unit=" s"))
    ready = _num(g, "proxy_ready_after_upload_s")
    if ready is not None:   # informational: the background work an upload starts
        rows.append(_row("Proxy ready after upload (background; vs clip length)", ready, clip,
                         _num(g, "proxy_ready_fraction_of_clip"), "info", lambda _v: True,
                         None, unit=" s"))
    for key, label in (("preview_at_once_after_upload", "Preview at once after upload "
                        "(proxy not ready) vs full"),
                       ("preview_without_proxy", "Preview with IGEDIT_PROXIES=0 vs full")):
        value = _num(g, f"{key}_s")
        if value is not None:
            rows.append(_row(label, value, ours, _div(ours, value), "info",
                             lambda _v: True, None, unit=" s"))
    cpu_speedup = _num(g, "cpu_preview_speedup")
    if cpu_speedup is not None:
        rows.append(_row("Preview vs full render (CPU s)", _num(g, "cpu_s", "preview"), cpu_ours,
                         cpu_speedup, "≥ 4× less", lambda v: v >= 4.0, cpu_speedup, unit=" s"))
    p = results.get("plan", {})
    p95, mean = _num(p, "p95_ms"), _num(p, "mean_ms")
    rows.append(_row("Plan + apply + argv per instruction (p95)", p95, _num(p, "cold_ms"),
                     None if not mean else 1000.0 / mean, "< 50 ms", lambda v: v < 50.0, p95,
                     unit=" ms", ratio_unit=" /s"))
    rows += vision_figures(results.get("vision", {}))
    build = _num(g, "build_render_ms_median")
    rows.append(_row("build_render alone (argv, pure)", build, None, None, "< 50 ms",
                     lambda v: v < 50.0, build, unit=" ms"))
    sh = results.get("sheet", {})
    fraction = _num(sh, "sheet_fraction_of_full")
    rows.append(_row("Contact sheet (6 frames + waveform) vs full render", _num(sh, "sheet_median_s"),
                     _num(sh, "full_median_s"), fraction, "≤ 0.15× (15 %)",
                     lambda v: v <= 0.15, fraction, unit=" s"))
    cpu_fraction = _num(sh, "cpu_sheet_fraction_of_full")
    if cpu_fraction is not None:
        rows.append(_row("Contact sheet vs full render (CPU s)", _num(sh, "cpu_s", "sheet"),
                         _num(sh, "cpu_s", "full"), cpu_fraction, "≤ 0.15× (15 %)",
                         lambda v: v <= 0.15, cpu_fraction, unit=" s"))
    rows.extend(_speech_figures(results.get("speech", {})))
    return rows


def _speech_figures(sp: dict[str, Any]) -> list[Figure]:
    """Speech analysis (issue 13): bench_speech.py."""
    ours, direct = _num(sp, "ours_median_s"), _num(sp, "direct_median_s")
    clip, rtf = _num(sp, "clip_seconds"), _num(sp, "realtime_factor")
    overhead = _num(sp, "overhead_ratio")
    vad, vad_frac = _num(sp, "vad_loudness_s"), _num(sp, "vad_fraction_of_clip")
    jc, jh, jr = (_num(sp, "jumpcut_ours_median_s"), _num(sp, "jumpcut_hand_median_s"),
                  _num(sp, "jumpcut_ratio"))
    return [
        _row("Transcription speed (clip s / wall s)", ours, clip, rtf, "≥ 4× real time",
             lambda v: v >= 4.0, rtf, unit=" s"),
        _row("Transcription vs faster-whisper called directly", ours, direct, overhead, "≤ 1.1×",
             lambda v: v <= 1.1, overhead, unit=" s"),
        # CPU seconds bound the wall time on an idle machine (all in memory, no waiting):
        # the real-time factor a busy machine's wall clock cannot show
        _row("Transcription speed by CPU time (clip s / CPU s)", _num(sp, "ours_cpu_s"), clip,
             _div(clip, _num(sp, "ours_cpu_s")), "info",
             lambda _v: True, None, unit=" s"),
        _row("faster-whisper's sequential decoder (before) vs ours, wall", _num(sp, "sequential_median_s"),
             ours, _num(sp, "speedup_vs_sequential"), "info", lambda _v: True, None, unit=" s"),
        _row("Voice activity + loudness vs clip length", vad, clip, vad_frac, "≤ 0.05×",
             lambda v: v <= 0.05, vad_frac, unit=" s"),
        _row("20-cut jump-cut render vs hand-written ffmpeg", jc, jh, jr, "≤ 1.15×",
             lambda v: v <= 1.15, jr, unit=" s"),
    ]


def _list(v: dict[str, Any], key: str) -> list[float] | None:
    value = v.get(key)
    return value if isinstance(value, list) and value else None


def vision_figures(v: dict[str, Any]) -> list[Figure]:
    """Rows of ``bench_vision.py``: analysis speed, tracked reframe cost, highlight time."""
    clip = _num(v, "clip_seconds")
    rows = [_row("Vision analysis of a 60 s 1080p clip, from its proxy (share of its length)",
                 _num(v, "analysis_proxy_s"), clip, _num(v, "analysis_fraction_proxy"),
                 "≤ 0.3×", lambda r: r <= 0.3, _num(v, "analysis_fraction_proxy"), unit=" s"),
            _row("Vision analysis from the original 1080p (share of its length)",
                 _num(v, "analysis_original_s"), clip, _num(v, "analysis_fraction_original"),
                 "info", lambda _r: True, None, unit=" s")]
    for base, label in (("static", "centre crop"), ("on_subject", "static crop on the subject")):
        for unit, suffix, name in (("render_s", "", ""), ("cpu_s", "_cpu", " (CPU s)")):
            mine = _list(v, f"tracked_{unit}")
            theirs = _list(v, f"{base}_{unit}")
            ratio = _num(v, f"tracked_vs_{base}{suffix}")
            if ratio is None:
                continue
            rows.append(_row(f"Subject-tracked reframe render vs {label}{name}",
                             statistics.median(mine) if mine else None,
                             statistics.median(theirs) if theirs else None, ratio, "≤ 1.15×",
                             lambda r: r <= 1.15, ratio, unit=" s"))
    pick = _num(v, "highlight_pick_s_median")
    rows.append(_row("Highlight selection with the analysis cached", pick, None, None, "≤ 1 s",
                     lambda r: r <= 1.0, pick, unit=" s", digits=3))
    return rows


# ------------------------------------------------------------------ output

HEAD = ("figure", "value", "baseline", "ratio/rate", "target", "result")


def _cells(f: Figure) -> tuple[str, ...]:
    result = "n/a" if f.ok is None else ("pass" if f.ok else "FAIL")
    return (f.figure, f.value, f.baseline, f.ratio, f.target, result)


def table_text(rows: list[Figure]) -> str:
    cells = [HEAD, *[_cells(f) for f in rows]]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEAD))]
    lines = ["  ".join(c[i].ljust(widths[i]) for i in range(len(HEAD))).rstrip() for c in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def table_markdown(rows: list[Figure]) -> str:
    out = ["| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
    out += ["| " + " | ".join(_cells(f)) + " |" for f in rows]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer rounds, a shorter render clip")
    ap.add_argument("--only", default="", help="comma-separated names: "
                    + ",".join(b.name for b in BENCHES))
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--output", type=Path, default=RESULTS)
    ap.add_argument("--table-from", type=Path, metavar="RESULTS_JSON",
                    help="print the table of an earlier run's results.json; run nothing")
    args = ap.parse_args(argv)
    if args.table_from:
        saved = json.loads(args.table_from.read_text(encoding="utf-8"))
        rows = figures(saved["benchmarks"])
        print(table_markdown(rows) if args.markdown else table_text(rows))
        return 0
    wanted = {n.strip() for n in args.only.split(",") if n.strip()}
    unknown = wanted - {b.name for b in BENCHES}
    if unknown:
        ap.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    results: dict[str, dict[str, Any]] = {}
    started = time.time()
    for bench in BENCHES:
        if wanted and bench.name not in wanted:
            continue
        print(f"… {bench.name}", file=sys.stderr, flush=True)
        results[bench.name] = run_bench(bench, args.quick)
        if "error" in results[bench.name]:
            print(f"  {bench.name}: {results[bench.name]['error']}", file=sys.stderr)
    rows = [f for f in figures(results) if f.ok is not None or not wanted]
    print(table_markdown(rows) if args.markdown else table_text(rows))
    doc = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "seconds": round(time.time() - started, 1), "quick": args.quick,
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count(), "load_avg": list(os.getloadavg())},
        "figures": [asdict(f) for f in rows], "benchmarks": results,
    }
    args.output.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n",
                           encoding="utf-8")
    crashed = any("error" in r for r in results.values())
    missed = any(f.ok is False for f in rows)
    return 1 if crashed or (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
