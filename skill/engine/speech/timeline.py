"""Speech analyses (source time) seen through the draft's video track (timeline time).

Pure: video segments (:class:`~skill.draft.Segment`: ``src``, ``in_ms``, ``speed``) and
analyses by source path in, words or cut spans on the timeline out. A segment shows
source ``[in_ms, in_ms + dur_ms × speed)`` at timeline ``[start_ms, end_ms)``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

from ...draft import Segment
from .analysis import Analysis, Word

Seg = Segment
SourceCuts = Callable[[Analysis, int, int], list[tuple[int, int]]]


def _geometry(seg: Seg) -> tuple[str, int, int, int, float]:
    """(source path, timeline start, duration, source in-point, speed) of a segment."""
    speed = float(seg.speed) if seg.speed is not None and seg.speed > 0 else 1.0
    src_in = int(seg.in_ms) if seg.in_ms is not None else 0
    return seg.src or "", seg.start_ms, seg.dur_ms, src_in, speed


def _settings(seg: Seg) -> Seg:
    """What must match for two pieces of one clip to join: all but place and in-point."""
    return dataclasses.replace(seg, start_ms=0, dur_ms=0, in_ms=None)


def is_video(seg: Seg) -> bool:
    """A video clip, whose sound can be listened to (not a photo); no ``kind`` means video."""
    return seg.kind is None or seg.kind == "video"


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

    Returns new segments (the input is left untouched; ``start_ms`` not yet repacked) and the time put back as
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
            out[-1].dur_ms = d + gap
            inserts.append((old_end, gap))

    for seg in segs:
        src2, s2, d2, in2, speed2 = _geometry(seg)
        if out:
            prev = out[-1]
            src, _s, d, src_in, speed = _geometry(prev)
            end = src_in + d * speed
            same = _settings(prev) == _settings(seg)
            a = analyses.get(src)
            if a is not None and src == src2 and speed == speed2 and same \
                    and in2 > end and _is_pause(a, round(end), in2):
                gap = round((in2 - end) / speed)
                prev.dur_ms = d + gap + d2
                inserts.append((s2, gap))
                old_end = s2 + d2
                continue
            if src != src2:    # a cut inside one clip (a filler, a phrase) keeps its edges
                extend_tail()
        new = seg.copy()
        a2 = analyses.get(src2)
        if a2 is not None and is_video(seg) and (not out or _geometry(out[-1])[0] != src2):
            lead = round((in2 - _pause_before(a2, in2)) / speed2)
            if lead > 0:
                new.in_ms = in2 - round(lead * speed2)
                new.dur_ms = d2 + lead
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
