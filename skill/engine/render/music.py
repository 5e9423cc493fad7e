"""Built-in background music, synthesised with numpy (no downloads, deterministic).

Each mood is one loop: a chord progression in one key at a fixed tempo, an exact number
of bars long. Notes are rendered into a *circular* buffer (a note's tail that runs past
the loop end wraps to its start, and filtering is done in the frequency domain), so the
loop is exactly periodic: tiling it has no seam, no click and no phase jump. The final
track is the loop tiled to the requested length with a short fade at both ends, peak
normalised to −1 dBFS, written as 16-bit stereo WAV.
"""

from __future__ import annotations

import os
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

MOODS = ("lofi", "chill", "upbeat", "cinematic")
#: bump when the synthesis changes, so cached WAVs are not reused
SYNTH_VERSION = 1
PEAK_DBFS = -1.0
_EDGE_FADE_S = 0.02

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Mood:
    bpm: float
    bars: int
    key: str                                  # for humans: the progression's key
    chords: tuple[tuple[int, ...], ...]       # MIDI notes, one chord per `bars_per_chord`
    bars_per_chord: int = 1


#: The progressions, each diatonic to one key.
MOOD_TABLE: dict[str, Mood] = {
    # ii7 – V7 – Imaj7 – vi7 in C major, swung and dusty
    "lofi": Mood(80, 4, "C major", ((50, 57, 60, 65), (43, 59, 62, 65), (48, 59, 64, 67),
                                    (45, 57, 60, 64))),
    # Imaj7 – vi7 – IVmaj7 – V6 in D major
    "chill": Mood(90, 4, "D major", ((50, 61, 64, 66, 69), (47, 62, 66, 69), (43, 62, 66, 71),
                                     (45, 61, 64, 66))),
    # I – V – vi – IV in G major
    "upbeat": Mood(120, 4, "G major", ((43, 62, 67, 71), (50, 62, 66, 69), (52, 64, 67, 71),
                                       (48, 60, 64, 67))),
    # i – VI – III – VII in D minor, two bars per chord
    "cinematic": Mood(60, 8, "D minor", ((38, 57, 62, 65), (34, 58, 62, 65), (41, 57, 60, 65),
                                         (36, 55, 60, 64)), bars_per_chord=2),
}


def _hz(midi: float) -> float:
    return float(440.0 * 2.0 ** ((midi - 69.0) / 12.0))


def loop_samples(mood: str, sample_rate: int = 48000) -> int:
    """Length of one loop of ``mood`` in samples (an exact number of bars)."""
    spec = MOOD_TABLE[mood]
    return int(round(spec.bars * 4 * 60.0 / spec.bpm * sample_rate))


class _Loop:
    """A stereo circular buffer that notes are mixed into."""

    def __init__(self, length: int, sample_rate: int, seed: int) -> None:
        self.n = length
        self.sr = sample_rate
        self.buf = np.zeros((2, length))
        self.rng = np.random.default_rng(seed)

    def add(self, start_s: float, sound: Array, gain: float = 1.0, pan: float = 0.0) -> None:
        """Mix ``sound`` in at ``start_s`` with wraparound; pan −1 (left) … 1 (right)."""
        left, right = np.cos((pan + 1) * np.pi / 4), np.sin((pan + 1) * np.pi / 4)
        stereo = np.outer((left * np.sqrt(2) * gain, right * np.sqrt(2) * gain), sound)
        pos = int(round(start_s * self.sr)) % self.n
        done = 0
        while done < sound.shape[-1]:   # contiguous slices, wrapping at the loop end
            take = min(self.n - pos, sound.shape[-1] - done)
            self.buf[:, pos:pos + take] += stereo[:, done:done + take]
            done += take
            pos = 0

    def t(self, seconds: float) -> Array:
        return np.arange(int(seconds * self.sr)) / self.sr

    def lowpass(self, cutoff_hz: float) -> None:
        """Circular (FFT) low-pass: keeps the loop exactly periodic."""
        spec = np.fft.rfft(self.buf, axis=1)
        freqs = np.fft.rfftfreq(self.n, 1.0 / self.sr)
        spec *= 1.0 / np.sqrt(1.0 + (freqs / cutoff_hz) ** 4)
        self.buf = np.fft.irfft(spec, n=self.n, axis=1)


def _env(t: Array, attack: float, hold: float, release: float, decay: float = 0.0) -> Array:
    """Attack ramp, hold (optionally decaying exponentially), then a release ramp."""
    env = np.minimum(1.0, t / max(attack, 1e-4))
    if decay > 0:
        env = env * np.exp(-np.maximum(0.0, t - attack) / decay)
    rel = np.clip((hold + release - t) / max(release, 1e-4), 0.0, 1.0)
    return np.asarray(env * np.minimum(1.0, rel))


def _tone(t: Array, hz: float, partials: tuple[float, ...], detune: float = 0.0) -> Array:
    """Additive tone; sin(n·x) by the Chebyshev recurrence (one sin and one cos in all)."""
    x = 2 * np.pi * hz * (1 + detune) * t
    s1 = np.sin(x)
    two_cos = 2 * np.cos(x)
    out = partials[0] * s1
    prev, cur = np.zeros_like(t), s1
    for n, amp in enumerate(partials[1:], start=2):
        prev, cur = cur, two_cos * cur - prev
        if amp and hz * n < 16000:   # stay band-limited: no aliasing
            out += amp * cur
    return np.asarray(out)


def _pad(lp: _Loop, start: float, dur: float, notes: tuple[int, ...], gain: float,
         attack: float = 0.4, release: float = 0.8) -> None:
    t = lp.t(dur + release)
    env = _env(t, attack, dur, release)
    for i, note in enumerate(notes):
        hz = _hz(note)
        for side, det in ((-0.6, -0.0025), (0.6, 0.0025)):
            wave_ = _tone(t, hz, (1.0, 0.35, 0.18, 0.08), det)
            lp.add(start, wave_ * env, gain / len(notes), pan=side * (0.3 + 0.1 * (i % 3)))


def _keys(lp: _Loop, start: float, dur: float, note: int, gain: float, pan: float = 0.0) -> None:
    """Electric-piano-ish: sine with a bell partial and a decaying envelope."""
    t = lp.t(dur + 0.6)
    env = _env(t, 0.005, dur, 0.6, decay=0.9)
    trem = 1.0 + 0.15 * np.sin(2 * np.pi * 4.5 * t)
    lp.add(start, _tone(t, _hz(note), (1.0, 0.25, 0.0, 0.06)) * env * trem, gain, pan)


def _pluck(lp: _Loop, start: float, note: int, gain: float, pan: float = 0.0) -> None:
    t = lp.t(0.5)
    env = _env(t, 0.003, 0.3, 0.2, decay=0.12)
    lp.add(start, _tone(t, _hz(note), (1.0, 0.5, 0.3, 0.15, 0.08)) * env, gain, pan)


def _bass(lp: _Loop, start: float, dur: float, note: int, gain: float) -> None:
    t = lp.t(dur + 0.1)
    env = _env(t, 0.01, dur, 0.1, decay=1.2)
    lp.add(start, _tone(t, _hz(note), (1.0, 0.3, 0.1)) * env, gain)


def _kick(lp: _Loop, start: float, gain: float, low: float = 48.0) -> None:
    t = lp.t(0.35)
    hz = low + (150.0 - low) * np.exp(-t / 0.03)
    phase = 2 * np.pi * np.cumsum(hz) / lp.sr
    lp.add(start, np.sin(phase) * np.exp(-t / 0.12), gain)


def _noise_hit(lp: _Loop, start: float, length: float, decay: float, gain: float,
               bright: bool, pan: float = 0.0) -> None:
    t = lp.t(length)
    noise = lp.rng.standard_normal(t.size)
    if bright:   # first difference: a crude high-pass for hats
        noise = np.diff(noise, prepend=0.0) * 0.5
    body = 0.0 if bright else 0.5 * np.sin(2 * np.pi * 190 * t)
    lp.add(start, (noise + body) * np.exp(-t / decay), gain, pan)


def _beats(spec: Mood) -> tuple[float, int]:
    return 60.0 / spec.bpm, spec.bars * 4


def _chord_at(spec: Mood, bar: int) -> tuple[int, ...]:
    return spec.chords[(bar // spec.bars_per_chord) % len(spec.chords)]


def _lofi(lp: _Loop, spec: Mood) -> None:
    beat, beats = _beats(spec)
    bar = 4 * beat
    for b in range(spec.bars):
        chord = _chord_at(spec, b)
        for i, note in enumerate(chord[1:]):    # a lazy strum
            _keys(lp, b * bar + 0.03 * i, bar * 0.9, note, 0.16, pan=-0.3 + 0.2 * i)
        _bass(lp, b * bar, beat * 1.5, chord[0] - 12, 0.45)
        _bass(lp, b * bar + beat * 2.5, beat * 1.2, chord[0] - 12, 0.35)
    swing = beat * 0.08
    for k in range(beats):
        t0 = k * beat
        if k % 4 in (0, 2) or k % 8 == 7:
            _kick(lp, t0 + (beat / 2 + swing if k % 8 == 7 else 0.0), 0.55)
        if k % 4 in (1, 3):
            _noise_hit(lp, t0, 0.3, 0.07, 0.16, bright=False)
        _noise_hit(lp, t0, 0.08, 0.02, 0.06, bright=True, pan=0.3)
        _noise_hit(lp, t0 + beat / 2 + swing, 0.08, 0.02, 0.04, bright=True, pan=0.3)
    # vinyl: faint hiss and sparse crackles, generated over the loop so they repeat cleanly
    lp.buf += 0.004 * lp.rng.standard_normal(lp.buf.shape)
    for pos in lp.rng.integers(0, lp.n, size=int(lp.n / lp.sr * 6)):
        click = lp.rng.uniform(-0.08, 0.08) * np.exp(-np.arange(40) / 6.0)
        lp.add(pos / lp.sr, click, 1.0, pan=float(lp.rng.uniform(-0.5, 0.5)))
    lp.lowpass(3800.0)


def _chill(lp: _Loop, spec: Mood) -> None:
    beat, beats = _beats(spec)
    bar = 4 * beat
    for b in range(spec.bars):
        chord = _chord_at(spec, b)
        _pad(lp, b * bar, bar, chord[1:], 0.35, attack=0.3, release=0.6)
        _bass(lp, b * bar, bar * 0.45, chord[0] - 12, 0.4)
        _bass(lp, b * bar + bar * 0.5, bar * 0.4, chord[0] - 12, 0.3)
        arp = [*chord[1:], chord[2] + 12]
        for i in range(8):
            _pluck(lp, b * bar + i * beat / 2, arp[i % len(arp)] + 12, 0.09,
                   pan=-0.4 if i % 2 else 0.4)
    for k in range(beats):
        if k % 4 == 0:
            _kick(lp, k * beat, 0.45)
        if k % 4 == 2:
            _noise_hit(lp, k * beat, 0.25, 0.05, 0.1, bright=False)
        _noise_hit(lp, k * beat + beat / 2, 0.06, 0.015, 0.05, bright=True, pan=-0.2)
    lp.lowpass(6000.0)


def _upbeat(lp: _Loop, spec: Mood) -> None:
    beat, beats = _beats(spec)
    bar = 4 * beat
    for b in range(spec.bars):
        chord = _chord_at(spec, b)
        _pad(lp, b * bar, bar, chord[1:], 0.18, attack=0.05, release=0.3)
        for i in range(8):   # driving eighth-note bass, octave jumps on the off-beats
            _bass(lp, b * bar + i * beat / 2, beat * 0.4, chord[0] - (12 if i % 2 == 0 else 0), 0.32)
        for s in (1.5, 3.5):   # chord stabs on the "and" of 2 and 4
            for note in chord[1:]:
                _pluck(lp, b * bar + s * beat, note + 12, 0.06)
    for k in range(beats):
        _kick(lp, k * beat, 0.6, low=52.0)
        if k % 2 == 1:
            _noise_hit(lp, k * beat, 0.25, 0.06, 0.22, bright=False)
        _noise_hit(lp, k * beat + beat / 2, 0.1, 0.03, 0.09, bright=True, pan=0.25)
    lp.lowpass(9000.0)


def _cinematic(lp: _Loop, spec: Mood) -> None:
    beat, _ = _beats(spec)
    bar = 4 * beat
    for b in range(0, spec.bars, spec.bars_per_chord):
        chord = _chord_at(spec, b)
        span = bar * spec.bars_per_chord
        _pad(lp, b * bar, span, chord[1:], 0.5, attack=1.6, release=2.0)
        _pad(lp, b * bar, span, (chord[0] - 12, chord[0]), 0.35, attack=1.0, release=2.0)
        _kick(lp, b * bar, 0.5, low=40.0)   # a soft timpani-like boom per chord
        for i, note in enumerate((chord[2] + 12, chord[3] + 12, chord[1] + 24)):
            _pluck(lp, b * bar + beat * (2 + 2 * i), note, 0.05, pan=-0.5 + 0.5 * i)
    lp.lowpass(5000.0)


_ARRANGERS: dict[str, Callable[[_Loop, Mood], None]] = {
    "lofi": _lofi, "chill": _chill, "upbeat": _upbeat, "cinematic": _cinematic,
}


def synth_loop(mood: str, sample_rate: int = 48000) -> Array:
    """One exactly periodic loop of ``mood``: float array (2, loop_samples), unnormalised."""
    if mood not in MOOD_TABLE:
        raise ValueError(f"unknown mood {mood!r}; choose one of {', '.join(MOODS)}")
    lp = _Loop(loop_samples(mood, sample_rate), sample_rate, seed=MOODS.index(mood) + 7)
    _ARRANGERS[mood](lp, MOOD_TABLE[mood])
    lp.buf -= lp.buf.mean(axis=1, keepdims=True)   # no DC offset
    return lp.buf


def _chunks(mood: str, seconds: float, sample_rate: int) -> Iterator[Array]:
    """The track in loop-sized pieces (memory stays at one loop, whatever the length)."""
    loop = synth_loop(mood, sample_rate)
    # the tiled track's peak is the loop's peak: normalise once, to −1 dBFS (with margin
    # for the 16-bit rounding)
    loop = loop * (10 ** (PEAK_DBFS / 20) * 0.99 / (float(np.max(np.abs(loop))) or 1.0))
    total = max(1, int(round(seconds * sample_rate)))
    edge = min(int(_EDGE_FADE_S * sample_rate), total // 2)
    ramp = np.sin(np.linspace(0.0, np.pi / 2, edge)) ** 2
    n = loop.shape[1]
    for start in range(0, total, n):
        piece = loop[:, : min(n, total - start)].copy()
        if start == 0 and edge:          # short fades at the very ends: no click
            piece[:, :edge] *= ramp
        tail = total - edge - start      # where the closing fade begins, in this piece
        if edge and tail < piece.shape[1]:
            first = max(0, tail)
            piece[:, first:] *= ramp[::-1][first - tail: piece.shape[1] - tail]
        yield piece


def synth_samples(mood: str, seconds: float, *, sample_rate: int = 48000) -> Array:
    """The mood's loop tiled to ``seconds``, faded in/out at the very ends, peak −1 dBFS."""
    return np.concatenate(list(_chunks(mood, seconds, sample_rate)), axis=1)


def synth_music(mood: str, seconds: float, out_wav: Path, *, sample_rate: int = 48000) -> Path:
    """Write ``seconds`` of the ``mood`` track to ``out_wav`` (16-bit stereo PCM).

    Deterministic: the same arguments always give the same bytes. Written loop by loop
    to a temp file and renamed, so a concurrent reader never sees half a file.
    """
    out_wav = Path(out_wav)
    from ...private import private_dir, private_file

    private_dir(out_wav.parent)  # the cache lives in IGEDIT_HOME: private
    tmp = private_file(out_wav.with_name(f".{out_wav.name}.{os.getpid()}.tmp"))
    with wave.open(str(tmp), "wb") as wf:
        wf.setnchannels(2)
        wf.setsampwidth(2)
        wf.setframerate(sample_rate)
        for piece in _chunks(mood, seconds, sample_rate):
            pcm = np.clip(np.round(piece.T * 32767.0), -32768, 32767).astype("<i2")
            wf.writeframes(pcm.tobytes())
    os.replace(tmp, out_wav)
    return out_wav


def music_cache_name(mood: str, seconds: float) -> str:
    """File name a synthesised track is cached under (mood, whole seconds, version)."""
    return f"{mood}-{int(round(seconds))}s-v{SYNTH_VERSION}.wav"
