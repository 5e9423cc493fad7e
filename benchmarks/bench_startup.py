"""CLI start-up cost: `igedit --help` and `igedit say --dry-run …` vs bare imports.

Baseline: `python -c "import httpx, httpx_sse, yaml, jinja2, structlog"`. The two are run
alternately in one process so machine noise hits both alike; the figure is the ratio of
medians (target ≤ 1.6×). Prints one JSON object.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

BASELINE = [sys.executable, "-c", "import httpx, httpx_sse, yaml, jinja2, structlog"]
CANDIDATES = {
    "help": [sys.executable, "-m", "skill", "--help"],
    "say_dry_run": [sys.executable, "-m", "skill", "say", "--dry-run",
                    "add lo-fi music then export"],
}


def _time(argv: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def main(rounds: int = 15) -> dict[str, object]:
    for argv in [BASELINE, *CANDIDATES.values()]:  # warm the file cache
        _time(argv)
    base: list[float] = []
    runs: dict[str, list[float]] = {k: [] for k in CANDIDATES}
    for _ in range(rounds):
        base.append(_time(BASELINE))
        for name, argv in CANDIDATES.items():
            runs[name].append(_time(argv))
    b = statistics.median(base)
    result: dict[str, object] = {"benchmark": "startup", "baseline_median_s": round(b, 4)}
    for name, times in runs.items():
        m = statistics.median(times)
        result[f"{name}_median_s"] = round(m, 4)
        result[f"{name}_ratio"] = round(m / b, 3)
    result["target_ratio"] = 1.6
    return result


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)))
