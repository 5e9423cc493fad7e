"""GUI-phrase translation cost: ``skill.gui.translate`` per reply text, as a ratio.

Moved here from ``tests/test_gui.py`` (speed is measured, never asserted in a timed test).
Two texts: a plain reply (no GUI phrases: the common case, which must cost next to
nothing) and the final text of the recorded ``edit-whole-events.sse`` stream (full of
GUI phrases to translate). Baseline, alternated with it in the same run: decoding the
SSE ``data:`` line that carried that text (``skill.events.decode_data``), work every
reply costs anyway. The ratio says what translation adds on top of receiving the text.

Prints one JSON line. Target: plain ≤ 1× and GUI text ≤ 10× the decode of its event.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from skill.events import decode_data  # noqa: E402
from skill.gui import translate  # noqa: E402

PLAIN = "Done! I cropped the video to square (1:1) and added Lo-fi music at 35% volume."


def _gui_line() -> tuple[str, str]:
    """The data line carrying the stream's final text, and that text."""
    lines = (ROOT / "fixtures" / "adk" / "edit-whole-events.sse").read_text(encoding="utf-8")
    best = ("", "")
    for line in lines.splitlines():
        if line.startswith("data:"):
            for e in decode_data(line[5:]):
                if e.kind == "text" and not e.partial:
                    best = (line[5:], e.text)
    return best


def _plain_line() -> str:
    return json.dumps({"author": "nemo_agent", "content": {"role": "model",
                       "parts": [{"text": PLAIN}]}}, ensure_ascii=False)


def rate(fn: Callable[[], object], seconds: float) -> float:
    n, start = 0, time.perf_counter()
    while True:
        for _ in range(50):
            fn()
        n += 50
        spent = time.perf_counter() - start
        if spent >= seconds:
            return n / spent


def main() -> dict[str, object]:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=0.5)
    args = ap.parse_args()
    gui_data, gui_text = _gui_line()
    plain_data = _plain_line()
    translate(gui_text)   # warm: the phrase table is loaded once
    out: dict[str, list[float]] = {k: [] for k in ("plain", "plain_decode", "gui", "gui_decode")}
    for _ in range(args.rounds):
        out["plain"].append(rate(lambda: translate(PLAIN), args.seconds))
        out["plain_decode"].append(rate(lambda: decode_data(plain_data), args.seconds))
        out["gui"].append(rate(lambda: translate(gui_text), args.seconds))
        out["gui_decode"].append(rate(lambda: decode_data(gui_data), args.seconds))
    med = {k: statistics.median(v) for k, v in out.items()}
    return {
        "plain_texts_per_s": round(med["plain"]),
        "gui_texts_per_s": round(med["gui"]),
        "baseline_plain_decode_per_s": round(med["plain_decode"]),
        "baseline_gui_decode_per_s": round(med["gui_decode"]),
        # cost ratios (time per text ÷ time per decode of its event)
        "plain_ratio": round(med["plain_decode"] / med["plain"], 3),
        "gui_ratio": round(med["gui_decode"] / med["gui"], 3),
        "rounds": args.rounds,
    }


if __name__ == "__main__":
    print(json.dumps(main()))
