"""The reply for a contact sheet: its path, size and frame times (pure)."""

from __future__ import annotations

from typing import Any

from .replies import Reply
from .templates import render


def stamp(ms: int) -> str:
    """``5500`` → ``"0:05.5"`` (how the sheet stamps its frames)."""
    tenths = ms // 100
    return f"{tenths // 600}:{tenths // 10 % 60:02d}.{tenths % 10}"


def sheet_reply(report: Any, lang: str, key: str = "sheet_done") -> Reply:
    layout = report.layout
    times = [stamp(t) for t in layout.times_ms]
    data = {"path": str(report.path), "width": layout.width, "height": layout.height,
            "frames": layout.frames, "times_ms": list(layout.times_ms),
            "thumb": [layout.thumb_w, layout.thumb_h], "waveform_height": layout.wave_h,
            "seconds": round(report.seconds, 2)}
    return Reply(kind="file", file=str(report.path), key="sheet_done", data=data,
                 text=render(key, lang, path=str(report.path), frames=layout.frames,
                             times=times, width=layout.width, height=layout.height))


__all__ = ["sheet_reply", "stamp"]
