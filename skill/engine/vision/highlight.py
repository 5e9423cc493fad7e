"""Scenes on the timeline and highlight selection (pure).

:func:`timeline_scenes` maps each clip's scene cuts (from its analysis) through the
draft's video segments (in point, speed) onto the timeline; every clip boundary is a
scene boundary too. :func:`pick_highlight` chooses, within ±0.5 s of the asked length,
the liveliest stretch of several scenes (visual activity and loudness per second),
and returns them in story order. Given the words said (a transcript), each piece starts
and ends between words — at a sentence boundary where one is near — never mid-word
(:func:`snap_to_words`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ...draft import Segment
from .analysis import Analysis

#: a highlight shows this many scenes at least when the footage has them
MIN_SCENES = 3
#: … and gives each about this long (ms) when the asked length allows more scenes
SCENE_SHARE_MS = 4000
MIN_PIECE_MS = 1000
STEP_MS = 100
#: a piece keeps this far from its scene's cuts when the scene is long enough
EDGE_MS = 300
#: a piece's ends move at most this far (ms) to reach a pause between words …
SNAP_MS = 2500
#: … and a pause that is not a sentence boundary counts as this much farther
NOT_SENTENCE_MS = 700
#: air kept between a cut and the nearest word
WORD_AIR_MS = 40
#: the highlight's length stays within this of the asked one (the issue's ±0.5 s, less
#: a frame of rounding)
LENGTH_TOLERANCE_MS = 450

#: a word said on the timeline: (start_ms, end_ms, ends a sentence)
Spoken = tuple[int, int, bool]


@dataclass(frozen=True)
class Scene:
    """One scene on the timeline: [start_ms, end_ms) and a liveliness score per
    :data:`STEP_MS` (0–1)."""

    start_ms: int
    end_ms: int
    score: tuple[float, ...] = ()

    @property
    def dur(self) -> int:
        return self.end_ms - self.start_ms

    def mean(self) -> float:
        return sum(self.score) / len(self.score) if self.score else 0.0


def _norm(values: Sequence[float]) -> list[float]:
    if not values:
        return []
    lo, hi = min(values), max(values)
    return [0.5] * len(values) if hi - lo < 1e-9 else [(v - lo) / (hi - lo) for v in values]


def liveliness(found: Analysis) -> list[float]:
    """Per-second score 0–1: visual activity, plus loudness when there is sound."""
    act = _norm(found.activity)
    loud = _norm(found.loudness) if found.loudness and max(found.loudness) > -80 else []
    n = len(act)
    return [0.6 * act[i] + 0.4 * (loud[i] if i < len(loud) else 0.0) if loud else act[i]
            for i in range(n)]


def timeline_scenes(segments: Sequence[Segment],
                    analyser: Callable[[Path], Analysis | None]) -> list[Scene]:
    """The scenes of a draft's video segments (settled: ``start_ms``/``dur_ms`` in
    timeline ms)."""
    out: list[Scene] = []
    for seg in segments:
        s, d = seg.start_ms, seg.dur_ms
        speed = float(seg.speed or 1.0)
        start_src = int(seg.in_ms or 0)
        found = analyser(Path(seg.src or "")) if seg.kind != "image" else None
        cuts = [s]
        scores: list[float] = []
        if found is not None:
            for c in found.cuts:
                t = s + round((c * 1000 - start_src) / speed)
                if s + 300 <= t <= s + d - 300:
                    cuts.append(t)
            scores = liveliness(found)
        cuts.append(s + d)
        for a, b in zip(cuts, cuts[1:], strict=False):
            steps = []
            for t in range(a, b, STEP_MS):
                sec = int((start_src + (t - s) * speed) // 1000)
                steps.append(scores[sec] if 0 <= sec < len(scores) else 0.0)
            out.append(Scene(a, b, tuple(steps)))
    return out


def _best_window(scene: Scene, length: int) -> int:
    """Start (ms) of the liveliest ``length`` ms inside ``scene``."""
    n = max(1, length // STEP_MS)
    if len(scene.score) <= n:
        return scene.start_ms
    sums = [sum(scene.score[i: i + n]) for i in range(len(scene.score) - n + 1)]
    return scene.start_ms + max(range(len(sums)), key=lambda i: sums[i]) * STEP_MS


def pick_highlight(scenes: Sequence[Scene], target_ms: int,
                   words: Sequence[Spoken] = ()) -> list[tuple[int, int]]:
    """Timeline spans adding up to ``target_ms`` (or all of it when shorter), taken from
    the liveliest scenes, at least :data:`MIN_SCENES` of them when there are, each the
    liveliest stretch of its scene, in story order; with ``words`` (what is said, in
    timeline order) no span starts or ends inside a word (:func:`snap_to_words`)."""
    total = sum(s.dur for s in scenes)
    if total <= target_ms:
        return [(s.start_ms, s.end_ms) for s in scenes]
    usable = [s for s in scenes if s.dur >= MIN_PIECE_MS] or list(scenes)
    want = max(MIN_SCENES, round(target_ms / SCENE_SHARE_MS))
    ranked = sorted(usable, key=lambda s: -s.mean())
    chosen = ranked[:min(want, len(ranked))]
    while True:
        lengths = _share(chosen, target_ms)
        if sum(lengths) >= target_ms - 40 or len(chosen) == len(ranked):
            break
        chosen = ranked[:len(chosen) + 1]     # the chosen scenes are too short: one more
    spans = []
    bounds = []
    for scene, length in zip(chosen, lengths, strict=False):
        # keep clear of the scene's edges where it can, so a transition's handles
        # (footage just outside the piece) never show a frame of the next scene
        margin = min(EDGE_MS, (scene.dur - length) // 2)
        inner = Scene(scene.start_ms + margin, scene.end_ms - margin,
                      scene.score[margin // STEP_MS: len(scene.score) - margin // STEP_MS])
        start = _best_window(inner, length)
        start = max(inner.start_ms, min(start, inner.end_ms - length))
        spans.append((start, start + length))
        bounds.append((inner.start_ms, inner.end_ms))
    order = sorted(range(len(spans)), key=lambda i: spans[i])
    spans, bounds = [spans[i] for i in order], [bounds[i] for i in order]
    if words:
        spans = snap_to_words(spans, bounds, words)
    return spans


def _gaps(words: Sequence[Spoken], lo: int, hi: int) -> list[tuple[int, int, bool]]:
    """The pauses between words inside ``[lo, hi]``: (start, end, at a sentence
    boundary), with :data:`WORD_AIR_MS` of air kept from each word."""
    out: list[tuple[int, int, bool]] = []
    prev_end, prev_stop = None, True
    for a, b, stop in [*words, (10**12, 10**12, True)]:
        g0 = lo if prev_end is None else prev_end + WORD_AIR_MS
        g1 = a - WORD_AIR_MS
        g0, g1 = max(g0, lo), min(g1, hi)
        if g1 >= g0:
            out.append((g0, g1, prev_stop or prev_end is None or a >= 10**12))
        prev_end, prev_stop = b, stop
    return out


def _fit(gaps: Sequence[tuple[int, int, bool]], want_start: int, need: int,
         tolerance: int) -> tuple[int, int] | None:
    """A piece that starts and ends in pauses (``gaps``), lasting ``need`` ± ``tolerance``
    ms, starting as near ``want_start`` and lasting as near ``need`` as it can, sentence
    boundaries preferred by :data:`NOT_SENTENCE_MS` at each end; None when no pair of
    pauses allows it."""
    best: tuple[int, int] | None = None
    cost = float("inf")
    floor = max(MIN_PIECE_MS // 2, need - tolerance)
    for i, (s0, s1, s_stop) in enumerate(gaps):
        if abs(min(max(want_start, s0), s1) - want_start) > SNAP_MS:
            continue
        for e0, e1, e_stop in gaps[i:]:
            if e0 - s1 > need + tolerance:
                break                      # this pause and every later one: too long
            lo_len, hi_len = max(floor, e0 - s1), min(need + tolerance, e1 - s0)
            if lo_len > hi_len:
                continue
            a_lo, a_hi = max(s0, e0 - hi_len), min(s1, e1 - lo_len)
            if a_lo > a_hi:
                continue
            a = min(max(want_start, a_lo), a_hi)
            b = min(max(a + need, max(e0, a + lo_len)), min(e1, a + hi_len))
            c = abs(a - want_start) + abs(b - a - need) + \
                NOT_SENTENCE_MS * ((not s_stop) + (not e_stop))
            if c < cost:
                best, cost = (a, b), c
    return best


def snap_to_words(spans: Sequence[tuple[int, int]], bounds: Sequence[tuple[int, int]],
                  words: Sequence[Spoken]) -> list[tuple[int, int]]:
    """``spans`` (in order, each inside its ``bounds``) moved so that none starts or
    ends inside a word, preferring sentence boundaries, keeping the total within
    :data:`LENGTH_TOLERANCE_MS` of what they added up to (a later piece makes up what
    an earlier one gained or lost). A piece that finds no pauses to fit keeps its ends."""
    out: list[tuple[int, int]] = []
    done = planned = 0
    for i, ((a, b), (lo, hi)) in enumerate(zip(spans, bounds, strict=False)):
        planned += b - a
        gaps = _gaps([w for w in words if w[1] >= lo and w[0] <= hi], lo, hi)
        last = i == len(spans) - 1
        piece = _fit(gaps, a, planned - done, LENGTH_TOLERANCE_MS if last else SNAP_MS)
        if piece is None:
            piece = (a, min(hi, a + planned - done))
        out.append(piece)
        done += piece[1] - piece[0]
    return out


def _share(chosen: Sequence[Scene], target: int) -> list[int]:
    """Lengths for ``chosen`` summing to ``target`` where they can: equal shares, what a
    short scene cannot use goes to the others."""
    lengths = [0] * len(chosen)
    left = target
    open_ = list(range(len(chosen)))
    while left > 0 and open_:
        share = left // len(open_)
        if share <= 0:
            share = left
        nxt = []
        for i in open_:
            give = min(share, chosen[i].dur - lengths[i], left)
            lengths[i] += give
            left -= give
            if lengths[i] < chosen[i].dur:
                nxt.append(i)
        if nxt == open_ and share == 0:
            break
        open_ = nxt
    return lengths
