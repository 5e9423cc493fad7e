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


def _spans(a: Analysis) -> list[tuple[int, int]]:
    return [*((w.start_ms, w.end_ms) for w in a.words), *a.speech]


def _is_pause(a: Analysis, lo: int, hi: int) -> bool:
    """Nothing is said in source [lo, hi): no word and no voice activity overlaps it."""
    return all(e <= lo or s >= hi for s, e in _spans(a))


def _pause_before(a: Analysis, t: int) -> int:
    """Where the pause that ends at source time ``t`` begins (``t`` if speech goes on at t)."""
    spans = _spans(a)
    if any(s < t < e for s, e in spans):
        return t
    return max([e for _s, e in spans if e <= t], default=0)


def _pause_after(a: Analysis, t: int) -> int:
    """Where the pause that begins at source time ``t`` ends (``t`` if speech goes on at t)."""
    spans = _spans(a)
    if any(s < t < e for s, e in spans):
        return t
    return min([s for s, _e in spans if s >= t], default=a.duration_ms)


def rejoin_pauses(segs: Sequence[Seg], analyses: Mapping[str, Analysis]
                  ) -> tuple[list[Seg], list[tuple[int, int]]]:
    """Undo earlier pause cuts: neighbouring segments of one clip (same speed and
    settings) whose source gap is a pause become one segment again, the pause back in;
    the silent lead-in before and the tail after a run of a clip (where another clip or
    the end is its neighbour) come back too.

    Returns the new segments (``s`` not yet repacked) and the time put back as
    ``(old timeline time, ms inserted there)``, so "looser" after "remove the silences"
    re-derives the cut from the clip's own pauses instead of cutting the cut timeline.
    A gap that held words (a filler, a phrase cut) stays cut.
    """
    out: list[Seg] = []
    inserts: list[tuple[int, int]] = []
    old_end = 0          # old timeline end of out[-1]

    def extend_tail() -> None:
        src, _s, d, src_in, speed = _geometry(out[-1])
        a = analyses.get(src)
        if a is None:
            return
        end = round(src_in + d * speed)
        gap = round((_pause_after(a, end) - end) / speed)
        if gap > 0:
            out[-1]["d"] = d + gap
            inserts.append((old_end, gap))

    for seg in segs:
        src2, s2, d2, in2, speed2 = _geometry(seg)
        if out:
            prev = out[-1]
            src, _s, d, src_in, speed = _geometry(prev)
            end = src_in + d * speed
            same = {k: v for k, v in (prev.get("m") or {}).items() if k != "in"} == \
                {k: v for k, v in (seg.get("m") or {}).items() if k != "in"}
            a = analyses.get(src)
            if a is not None and src == src2 and speed == speed2 and same \
                    and in2 > end and _is_pause(a, round(end), in2):
                gap = round((in2 - end) / speed)
                prev["d"] = d + gap + d2
                inserts.append((s2, gap))
                old_end = s2 + d2
                continue
            if src != src2:    # a cut inside one clip (a filler, a phrase) keeps its edges
                extend_tail()
        new = dict(seg)
        a2 = analyses.get(src2)
        if a2 is not None and (seg.get("m") or {}).get("kind", "video") == "video" \
                and (not out or _geometry(out[-1])[0] != src2):
            lead = round((in2 - _pause_before(a2, in2)) / speed2)
            if lead > 0:
                new["m"] = {**(seg.get("m") or {}), "in": in2 - round(lead * speed2)}
                new["d"] = d2 + lead
                inserts.append((s2, lead))
        out.append(new)
        old_end = s2 + d2
    if out:
        extend_tail()
    return out, inserts


def insert_map(inserts: Sequence[tuple[int, int]]) -> Callable[[int], int]:
    """Time map after putting ``ms`` back at each old timeline time ``t`` (a time at or
    after an insertion point moves by its length)."""
    points = sorted(inserts)

    def mapping(t: int) -> int:
        return t + sum(ms for at, ms in points if t >= at)
    return mapping
