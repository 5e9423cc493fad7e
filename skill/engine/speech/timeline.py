"""Speech analyses (source time) seen through the draft's video track (timeline time).

Pure: segments (``{"s", "d", "m": {"src", "in", "speed"}}``) and analyses by source
path in, words or cut spans on the timeline out. A segment shows source
``[in, in + d × speed)`` at timeline ``[s, s + d)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .analysis import Analysis, Word

Seg = dict[str, Any]
SourceCuts = Callable[[Analysis, int, int], list[tuple[int, int]]]


def _geometry(seg: Seg) -> tuple[str, int, int, int, float]:
    m = seg.get("m") or {}
    speed = m.get("speed", 1.0)
    speed = float(speed) if isinstance(speed, int | float) and speed > 0 else 1.0
    src_in = m.get("in", 0)
    return (str(m.get("src") or ""), int(seg.get("s", 0)), int(seg.get("d", 0)),
            int(src_in) if isinstance(src_in, int | float) else 0, speed)


def timeline_words(segs: Sequence[Seg], analyses: Mapping[str, Analysis]) -> list[Word]:
    """Every word heard in the edit, in timeline time, in order."""
    out: list[Word] = []
    for seg in segs:
        src, s, d, src_in, speed = _geometry(seg)
        a = analyses.get(src)
        if a is None:
            continue
        lo, hi = src_in, src_in + d * speed
        for w in a.words:
            if lo <= w.start_ms < hi:
                start = s + round((w.start_ms - src_in) / speed)
                end = s + round((min(w.end_ms, hi) - src_in) / speed)
                out.append(Word(start, max(end, start + 1), w.text, w.prob))
    return out


def timeline_cuts(segs: Sequence[Seg], analyses: Mapping[str, Analysis],
                  source_cuts: SourceCuts) -> list[tuple[int, int]]:
    """Timeline spans to cut: ``source_cuts(analysis, lo, hi)`` per segment, mapped."""
    out: list[tuple[int, int]] = []
    for seg in segs:
        src, s, d, src_in, speed = _geometry(seg)
        a = analyses.get(src)
        if a is None:
            continue
        for a_, b_ in source_cuts(a, src_in, round(src_in + d * speed)):
            ta = s + round((a_ - src_in) / speed)
            tb = s + round((b_ - src_in) / speed)
            if tb > ta:
                out.append((max(s, ta), min(s + d, tb)))
    return merge(out)


def merge(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        elif b > a:
            out.append((a, b))
    return out


def keep_spans(total: int, cuts: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The complement of ``cuts`` within [0, total)."""
    out, cursor = [], 0
    for a, b in merge(cuts):
        if a > cursor:
            out.append((cursor, a))
        cursor = max(cursor, b)
    if cursor < total:
        out.append((cursor, total))
    return out


def cuts_map(cuts: Sequence[tuple[int, int]]) -> Callable[[int], int]:
    """Time map after removing every span of ``cuts``: a time inside a cut goes to its start."""
    merged = merge(cuts)

    def mapping(t: int) -> int:
        shift = 0
        for a, b in merged:
            if t >= b:
                shift += b - a
            elif t > a:
                return a - shift
            else:
                break
        return t - shift
    return mapping
