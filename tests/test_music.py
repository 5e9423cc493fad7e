"""Built-in music: exact loops, no seams, in tempo and in key, deterministic, normalised."""

from __future__ import annotations

import wave
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from skill.engine.render.music import (
    MOOD_TABLE,
    MOODS,
    loop_samples,
    music_cache_name,
    synth_loop,
    synth_music,
    synth_samples,
)

SR = 48000
#: pitch classes of each mood's key (C=0)
SCALES = {"lofi": {0, 2, 4, 5, 7, 9, 11},          # C major
          "chill": {2, 4, 6, 7, 9, 11, 1},         # D major
          "upbeat": {7, 9, 11, 0, 2, 4, 6},        # G major
          "cinematic": {2, 4, 5, 7, 9, 10, 0}}     # D natural minor


@cache
def loop(mood: str) -> np.ndarray:
    return synth_loop(mood, SR)


def test_loops_are_an_exact_number_of_bars() -> None:
    for mood in MOODS:
        spec = MOOD_TABLE[mood]
        seconds = spec.bars * 4 * 60 / spec.bpm
        assert loop_samples(mood, SR) == round(seconds * SR) == loop(mood).shape[1]
    assert [MOOD_TABLE[m].bpm for m in MOODS] == [80, 90, 120, 60]


@pytest.mark.parametrize("mood", MOODS)
def test_tiled_track_is_periodic_with_no_click_at_the_seam(mood: str) -> None:
    n = loop_samples(mood, SR)
    audio = synth_samples(mood, (2 * n + SR) / SR)
    body = audio[:, SR:n - SR]
    assert np.array_equal(body, audio[:, n + SR:2 * n - SR])     # exactly periodic
    jump = np.abs(np.diff(audio[:, n - 64:n + 64], axis=1)).max()
    assert jump <= np.abs(np.diff(body, axis=1)).max()           # seam is no louder than music


@pytest.mark.parametrize("mood", MOODS)
def test_in_key(mood: str) -> None:
    mono = loop(mood).mean(axis=0)
    spec = np.abs(np.fft.rfft(mono)) ** 2
    freqs = np.fft.rfftfreq(mono.size, 1 / SR)
    band = (freqs > 60) & (freqs < 1500)
    pitch_class = np.round(12 * np.log2(freqs[band] / 440.0) + 69).astype(int) % 12
    energy = np.bincount(pitch_class, weights=spec[band], minlength=12)
    in_scale = sum(energy[pc] for pc in SCALES[mood]) / energy.sum()
    assert in_scale > 0.85, (mood, in_scale)


@pytest.mark.parametrize("mood", ["lofi", "chill", "upbeat"])
def test_drums_keep_the_tempo(mood: str) -> None:
    mono = loop(mood).mean(axis=0)
    spec = np.fft.rfft(mono)
    spec[np.fft.rfftfreq(mono.size, 1 / SR) > 150] = 0           # kick drum band
    env = np.abs(np.fft.irfft(spec, n=mono.size))
    hop = SR // 100
    env = env[: env.size // hop * hop].reshape(-1, hop).mean(axis=1)
    env -= env.mean()
    ac = np.fft.irfft(np.abs(np.fft.rfft(env)) ** 2)                # circular autocorrelation
    beat = 60 / MOOD_TABLE[mood].bpm
    lags = np.arange(ac.size) / 100
    window = (lags > 0.3) & (lags < 2.1)
    best = lags[window][np.argmax(ac[window])]
    ratio = best / beat
    assert abs(ratio - round(ratio)) < 0.04 and round(ratio) in (1, 2, 4), (mood, best, beat)


def test_wav_is_deterministic_normalised_stereo_48k(tmp_path: Path) -> None:
    a = synth_music("upbeat", 9.0, tmp_path / "a.wav")     # one 8 s loop and a bit
    b = synth_music("upbeat", 9.0, tmp_path / "b.wav")
    assert a.read_bytes() == b.read_bytes()
    with wave.open(str(a)) as wf:
        assert (wf.getnchannels(), wf.getsampwidth(), wf.getframerate(), wf.getnframes()) == \
            (2, 2, 48000, 432000)
        pcm = np.frombuffer(wf.readframes(wf.getnframes()), dtype="<i2")
    peak_db = 20 * np.log10(np.abs(pcm.astype(int)).max() / 32768)
    assert -1.5 < peak_db <= -1.0
    assert abs(int(pcm[0])) < 50 and abs(int(pcm[-1])) < 50             # faded ends
    assert not list(tmp_path.glob("*.tmp"))
    assert music_cache_name("lofi", 12.0) == "lofi-12s-v1.wav"


def test_unknown_mood() -> None:
    with pytest.raises(ValueError, match="lofi"):
        synth_loop("polka")
