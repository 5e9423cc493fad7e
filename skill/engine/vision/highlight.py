"""Scenes on the timeline and highlight selection (pure).

:func:`timeline_scenes` maps each clip's scene cuts (from its analysis) through the
draft's video segments (in point, speed) onto the timeline; every clip boundary is a
scene boundary too. :func:`pick_highlight` chooses, within ±0.5 s of the asked length,
the liveliest stretch of several scenes (visual activity and loudness per second),
and returns them in story order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .analysis import Analysis

#: a highlight shows this many scenes at least when the footage has them
MIN_SCENES = 3
#: … and gives each about this long (ms) when the asked length allows more scenes
SCENE_SHARE_MS = 4000
MIN_PIECE_MS = 1000
STEP_MS = 100
#: a piece keeps this far from its scene's cuts when the scene is long enough
EDGE_MS = 300


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


def timeline_scenes(segments: Sequence[dict[str, Any]],
                    analyser: Callable[[Path], Analysis | None]) -> list[Scene]:
    """The scenes of a draft's video segments (settled: ``s``/``d`` in timeline ms)."""
    out: list[Scene] = []
    for seg in segments:
        s, d = int(seg.get("s", 0)), int(seg.get("d", 0))
        m = seg.get("m") or {}
        speed = float(m.get("speed") or 1.0)
        start_src = int(m.get("in") or 0)
        found = analyser(Path(str(m.get("src") or ""))) if m.get("kind") != "image" else None
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


def pick_highlight(scenes: Sequence[Scene], target_ms: int) -> list[tuple[int, int]]:
    """Timeline spans adding up to ``target_ms`` (or all of it when shorter), taken from
    the liveliest scenes, at least :data:`MIN_SCENES` of them when there are, each the
    liveliest stretch of its scene, in story order."""
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
    for scene, length in zip(chosen, lengths, strict=False):
        # keep clear of the scene's edges where it can, so a transition's handles
        # (footage just outside the piece) never show a frame of the next scene
        margin = min(EDGE_MS, (scene.dur - length) // 2)
        inner = Scene(scene.start_ms + margin, scene.end_ms - margin,
                      scene.score[margin // STEP_MS: len(scene.score) - margin // STEP_MS])
        start = _best_window(inner, length)
        start = max(inner.start_ms, min(start, inner.end_ms - length))
        spans.append((start, start + length))
    return sorted(spans)


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
