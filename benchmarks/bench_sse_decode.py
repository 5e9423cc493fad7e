"""SSE throughput: decode the recorded ``/run_sse`` streams, assemble text, translate, route.

Each pass replays the three recorded streams in ``fixtures/adk/`` line by line through
``skill.cloud.sse.decode_lines`` (the same decoder ``CloudBackend.send`` uses) and a
``TextAssembler``. When ``skill.gui.translate`` is importable, every piece of text shown
goes through it; when ``skill.intents.route`` is importable, the stream's request is
routed once per stream (as the host does per edit). The JSON line says which were
included. The baseline is decode-only in the same process. Target: ≥ 20,000 events/s.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from skill.cloud.sse import decode_lines  # noqa: E402
from skill.events import TextAssembler  # noqa: E402

STREAMS = {
    "edit-whole-events.sse": 'crop to square, add lo-fi music at 35%, title "Urban Dreams"',
    "edit-streaming-partials.sse": "make it vertical for Reels",
    "edit-zh.sse": "加个标题“城市之梦”",
}
MIN_SECONDS = 1.5


def _optional(module: str, name: str) -> Callable[..., Any] | None:
    try:
        mod = __import__(module, fromlist=[name])
    except ImportError:
        return None
    fn = getattr(mod, name, None)
    return fn if callable(fn) else None


def _translator(fn: Callable[..., Any] | None) -> Callable[[str], Any] | None:
    if fn is None:
        return None
    try:
        fn("Click the Export button to download your video.")
        return lambda text: fn(text)
    except TypeError:
        return lambda text: fn(text, "en")


def measure(streams: list[tuple[list[str], str]], translate: Callable[[str], Any] | None,
            route: Callable[[str], Any] | None) -> tuple[float, int]:
    events = 0
    passes = 0
    started = time.perf_counter()
    while True:
        for lines, request in streams:
            if route is not None:
                route(request)
            asm = TextAssembler()
            for event in decode_lines(lines):
                events += 1
                shown = asm.feed(event)
                if shown and translate is not None:
                    translate(shown)
        passes += 1
        elapsed = time.perf_counter() - started
        if elapsed >= MIN_SECONDS and passes >= 10:
            return events / elapsed, events


def main() -> dict[str, object]:
    streams = [((ROOT / "fixtures" / "adk" / name).read_text(encoding="utf-8").split("\n"), req)
               for name, req in STREAMS.items()]
    translate = _translator(_optional("skill.gui", "translate"))
    route_fn = _optional("skill.intents", "route")
    route: Callable[[str], Any] | None = None
    if route_fn is not None:
        route = lambda text: route_fn(text, exists=lambda _p: False)  # noqa: E731
    baseline, _ = measure(streams, None, None)
    full, events = measure(streams, translate, route)
    return {"bench": "sse_decode", "events_per_s": round(full), "target_events_per_s": 20000,
            "baseline_decode_only_events_per_s": round(baseline), "events": events,
            "included": ["decode", "TextAssembler"]
            + (["gui.translate"] if translate else []) + (["intents.route"] if route else []),
            "missing": ([] if translate else ["gui.translate (not importable)"])
            + ([] if route else ["intents.route (not importable)"])}


if __name__ == "__main__":
    print(json.dumps(main(), ensure_ascii=False))
