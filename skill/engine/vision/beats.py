"""Beats (pure): the built-in music's own grid, beat tracking of a song with numpy, and
moving a timeline's cuts onto beats.

The built-in moods are synthesised at a fixed tempo from their first sample
(:mod:`skill.engine.render.music`), so their beats are exact: ``start + k × 60 / bpm``. An
uploaded song gets an onset envelope (spectral flux), a tempo from its autocorrelation
(70–180 BPM) and the phase that puts the most onset strength on the beats.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..render.filtergraph import FPS

HOP = 128
WIN = 512
BPM_RANGE = (70.0, 180.0)
#: a piece between two cuts is never shorter than this after snapping (ms)
MIN_PIECE_MS = 400


def grid(bpm: float, start_ms: int, end_ms: int) -> list[int]:
    """Beat times (ms, on the 30 fps frame grid) of a steady tempo from ``start_ms``."""
    period = 60_000.0 / bpm
    out: list[int] = []
    k = 0
    while (t := start_ms + k * period) <= end_ms:
        out.append(int(round(round(t * FPS / 1000) * 1000 / FPS)))
        k += 1
    return out


def onset_envelope(pcm: np.ndarray, rate: int) -> np.ndarray:
    """Spectral flux of mono ``pcm`` per hop of :data:`HOP` samples."""
    if len(pcm) < WIN * 2:
        return np.zeros(0)
    n = 1 + (len(pcm) - WIN) // HOP
    idx = np.arange(WIN)[None, :] + HOP * np.arange(n)[:, None]
    spec = np.abs(np.fft.rfft(pcm[idx] * np.hanning(WIN), axis=1))
    spec = np.log1p(spec * 10)
    flux = np.maximum(0.0, np.diff(spec, axis=0)).sum(axis=1)
    flux = np.concatenate([[0.0], flux])
    return flux - np.convolve(flux, np.ones(16) / 16, mode="same")   # remove the slow trend


def track_beats(pcm: np.ndarray, rate: int) -> tuple[float, list[float]]:
    """(tempo in BPM, beat times in seconds) of a song; (0, []) when it has no pulse."""
    env = np.maximum(onset_envelope(pcm, rate), 0.0)
    if env.size < 64 or not env.any():
        return 0.0, []
    fps = rate / HOP
    ac = np.correlate(env, env, mode="full")[env.size - 1:]
    lo, hi = int(fps * 60 / BPM_RANGE[1]), int(fps * 60 / BPM_RANGE[0])
    if hi >= ac.size:
        return 0.0, []
    lags = np.arange(lo, hi + 1)
    # prefer tempi near 120 BPM a little (a log-normal weight), as beat trackers do
    weight = np.exp(-0.5 * (np.log2(60 * fps / lags / 120.0) / 1.0) ** 2)
    lag = int(lags[np.argmax(ac[lo: hi + 1] * weight)])
    period = float(lag)
    if 0 < lag < ac.size - 1:   # a fractional period: parabolic peak of the autocorrelation
        a, b, c = ac[lag - 1], ac[lag], ac[lag + 1]
        denom = a - 2 * b + c
        if denom < 0:
            period += float(0.5 * (a - c) / denom)
    count = int((env.size - 1) / period) + 1
    best, phase = -1.0, 0.0
    for p in np.arange(0.0, period, 0.5):
        idx = np.round(p + period * np.arange(count)).astype(int)
        score = float(env[idx[idx < env.size]].sum())
        if score > best:
            best, phase = score, float(p)
    centre = WIN / 2 / rate   # an envelope value describes its window's middle
    beats = [round(float((phase + k * period) / fps + centre), 4) for k in range(count)
             if phase + k * period < env.size]
    return 60 * fps / period, beats


def snap_cuts(bounds: Sequence[int], beats: Sequence[int], *,
              room: Sequence[int] | None = None) -> list[int]:
    """Move each inner cut of ``bounds`` (timeline ms, first 0, last the end) to the
    nearest beat that keeps every piece at least :data:`MIN_PIECE_MS` and does not ask a
    piece for more than ``room[i]`` ms of extra footage; the end moves to a beat too."""
    if len(bounds) < 2 or not beats:
        return list(bounds)
    out = [int(bounds[0])]
    extra = list(room) if room is not None else [0] * (len(bounds) - 1)
    for i in range(1, len(bounds)):
        want = int(bounds[i])
        old_len = want - int(bounds[i - 1])
        best = want
        for b in sorted(beats, key=lambda x: abs(x - want)):
            piece = b - out[-1]
            if piece >= MIN_PIECE_MS and piece - old_len <= extra[i - 1]:
                best = b
                break
        out.append(best)
    return out
