"""Loudness as promised (issue 11 item 7): every export −14 ± 1 LU integrated with a
true peak ≤ −1.0 dBTP, measured on the delivered file with ffmpeg's EBU R128 meter
(``ebur128=peak=true``); silence stays silent; the self-check fails otherwise."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any

import pytest

from skill.draft import decode_draft
from skill.engine.render import loudness
from skill.engine.render.pipeline import RenderOptions, RenderReport, render
from skill.engine.render.probe import Probe
from skill.engine.render.selfcheck import Expected, check_probe
from tests import media

FAST = RenderOptions(preset="superfast")
CASES = {   # name: (sound, seconds, with built-in music under it)
    "short_3s_clip": ("tone", 3.0, False),
    "quiet_speech": ("quiet_speech", 8.0, False),
    "loud_music": ("loud_music", 10.0, False),
    "music_and_voice": ("quiet_speech", 6.0, True),
}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("loudness")


def _draft(src: Path, seconds: float, music: bool) -> dict[str, Any]:
    ms = int(seconds * 1000)
    tracks: list[dict[str, Any]] = [
        {"tt": 0, "m": {}, "sg": [{"s": 0, "d": ms, "m": {"src": str(src), "name": src.name}}]}]
    if music:   # lo-fi at 35 %, dipping under the voice: a typical Reel mix
        tracks.append({"tt": 1, "m": {"role": "bgm", "name": "Lo-fi"},
                       "sg": [{"s": 0, "d": ms, "m": {"mood": "lofi", "volume": 0.35,
                                                      "duck": True}}]})
    return {"t": tracks, "m": {"ratio": "1:1", "w": 240, "h": 240}}


def _export(root: Path, name: str, sound: str, seconds: float, music: bool) -> RenderReport:
    src = media.sound_clip(root / f"{sound}-{seconds:g}.mp4", sound, seconds=seconds)
    return asyncio.run(render(decode_draft(_draft(src, seconds, music)), root / f"{name}.mp4",
                              work_dir=root / f"w-{name}", music_dir=root / "music",
                              options=FAST))


@pytest.mark.parametrize("name", list(CASES))
def test_export_is_minus_14_lufs_with_true_peak_under_minus_1(root: Path, name: str) -> None:
    sound, seconds, music = CASES[name]
    rep = _export(root, name, sound, seconds, music)
    assert rep.violations == []
    integrated, peak = media.loudness(rep.path)
    assert abs(integrated - loudness.TARGET_LUFS) <= 1.0, (name, integrated)
    assert peak <= -1.0, (name, peak)


def test_sources_really_differ(root: Path) -> None:
    """The fixtures span the range the promise covers (so the test above can fail)."""
    quiet = media.loudness(media.sound_clip(root / "quiet_speech-8.mp4", "quiet_speech",
                                            seconds=8.0))
    loud = media.loudness(media.sound_clip(root / "loud_music-10.mp4", "loud_music",
                                           seconds=10.0))
    assert quiet[0] < -30 and loud[0] > -8 and loud[1] > -0.5


def test_silence_stays_silent(root: Path) -> None:
    rep = _export(root, "silence", "silence", 4.0, False)
    assert rep.violations == []
    integrated, peak = media.loudness(rep.path)
    assert integrated <= -70.0 and math.isinf(peak)
    samples, _ = media.audio_samples(rep.path)
    assert abs(samples).max() == 0.0      # not a noise floor pumped up: nothing at all


def test_a_bare_noise_floor_is_not_pumped_up(root: Path) -> None:
    src = media.sound_clip(root / "noise_floor-4.mp4", "noise_floor", seconds=4.0)
    before = media.loudness(src)[0]
    assert -70 < before < loudness.SILENT_LUFS
    rep = _export(root, "noise_floor", "noise_floor", 4.0, False)
    assert rep.violations == []
    assert abs(media.loudness(rep.path)[0] - before) < 1.0     # as quiet as it was


def test_the_self_check_fails_a_render_that_misses_the_target(
        root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = loudness.gain_for
    monkeypatch.setattr(loudness, "gain_for", lambda m: (real(m) or 0.0) + 3.0)
    rep = _export(root, "too_loud", "tone", 3.0, False)
    assert any(v.startswith("The loudness is -11.") for v in rep.violations), rep.violations


# ------------------------------------------------------------------ pure parts

SUMMARY = """[Parsed_ebur128_0 @ 0x1] Summary:

  Integrated loudness:
    I:         -16.4 LUFS
    Threshold: -26.9 LUFS

  True peak:
    Peak:        0.4 dBFS
"""


def test_parse_decide_and_check() -> None:
    measured = loudness.parse_summary(SUMMARY)
    assert measured == loudness.Loudness(-16.4, 0.4)
    assert loudness.gain_for(measured) == pytest.approx(2.4)
    assert loudness.needs_refining(2.4, measured)            # 0.4 + 2.4 dB hits the limiter
    assert loudness.refine(2.4, loudness.Loudness(-14.9, -1.5)) == pytest.approx(3.3)
    assert loudness.refine(3.3, loudness.Loudness(-14.1, -1.5)) is None
    silent = loudness.parse_summary(SUMMARY.replace("-16.4", "-70.0").replace("0.4 dB", "-inf dB"))
    assert silent is not None and silent.silent and loudness.gain_for(silent) is None
    assert loudness.parse_summary("no meter here") is None
    probe = Probe(Path("x.mp4"), has_video=True, has_audio=True, width=240, height=240,
                  vcodec="h264", profile="High", pix_fmt="yuv420p", fps=30.0,
                  video_duration=1.0, acodec="aac", audio_profile="LC", sample_rate=48000,
                  channels=2, audio_duration=1.0, moov_before_mdat=True)
    exp = Expected(240, 240, 30, loudness=True)
    assert check_probe(probe, exp, level=loudness.Loudness(-14.2, -1.3)) == []
    assert check_probe(probe, exp, level=measured) == [
        "The loudness is -16.4 LUFS, not -14 ± 1 LUFS.",
        "The audio peaks at +0.4 dBTP, above the -1 dBTP limit (it may distort on phones)."]
    assert check_probe(probe, Expected(240, 240, 30, loudness=True, silent=True),
                       level=loudness.Loudness(-40.0, -20.0), lang="zh") == [
        "原音频是静音，导出的文件却测得 -40.0 LUFS。"]
    assert check_probe(probe, exp, level=None) == ["The loudness of the audio could not be measured."]
