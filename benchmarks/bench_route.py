"""Intent routing rate: utterances per second through ``skill.intents.route``.

Every labelled utterance of ``fixtures/utterances.yaml`` (English, Simplified and
Traditional Chinese, negation, compound requests, file paths) is routed, over and over
for at least ``--seconds``; file existence is answered from a set (the fixture's file
names), so the figure is the router itself, not the disk.

Baseline, alternated with it in the same run: the seed's router — lower-case the text
and look for each table keyword as a substring (no word boundaries, negation, files or
compound requests). The ratio says what the real router costs over that naive one.

Prints one JSON line. Target: ≥ 5,000 utterances/s (a host routes once per user turn,
so 0.2 ms is invisible next to a 200 ms process start).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from skill.intents import route  # noqa: E402

HOME = "/home/creator"
FILES = {f"{HOME}/{name}" for name in ("a.mp4", "b.mov", "music.mp3", "logo.png", "subs.srt",
                                       "My Clip.mov", "视频.mp4", "intro.mp4")}
SEED_KEYWORDS = {
    "export": ["export", "导出", "download", "send me the video"],
    "credits": ["credits", "积分", "balance", "余额"],
    "state": ["status", "状态", "show tracks"],
    "upload": ["upload", "上传"],
}
TARGET = 5000.0


def utterances() -> list[str]:
    items: list[dict[str, Any]] = yaml.safe_load(
        (ROOT / "fixtures" / "utterances.yaml").read_text(encoding="utf-8"))
    return [str(item["u"]).replace("{home}", HOME) for item in items]


def seed_route(text: str) -> list[str]:
    low = text.lower()
    for intent, words in SEED_KEYWORDS.items():
        if any(w in low for w in words):
            return [intent]
    return ["sse"]


def ours(text: str) -> Any:
    return route(text, exists=FILES.__contains__)


def rate(fn: Callable[[str], Any], texts: list[str], seconds: float) -> float:
    done = 0
    started = time.perf_counter()
    while True:
        for text in texts:
            fn(text)
        done += len(texts)
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return done / elapsed


def main() -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=0.5, help="per round and router")
    args = ap.parse_args()
    texts = utterances()
    for text in texts:          # warm: table load, regex compilation
        ours(text)
    real, naive = [], []
    for _ in range(args.rounds):
        real.append(rate(ours, texts, args.seconds))
        naive.append(rate(seed_route, texts, args.seconds))
    r, n = statistics.median(real), statistics.median(naive)
    return {"bench": "route", "utterances": len(texts), "rounds": args.rounds,
            "utterances_per_s": round(r), "per_utterance_us": round(1e6 / r, 1),
            "baseline_seed_keywords_per_s": round(n), "cost_vs_seed": round(n / r, 1),
            "target_per_s": TARGET, "ok": r >= TARGET}


if __name__ == "__main__":
    print(json.dumps(main()))
