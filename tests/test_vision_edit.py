"""Scenes, highlights, cuts on the beat and transitions, on clips made for them
(solid-colour scenes; busy scenes have motion and louder sound)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from skill.draft import Draft, decode_draft, encode_draft
from skill.engine.ops import AddMusic
from skill.engine.ops.draftedit import PlanContext, settle, total_ms
from skill.engine.ops.vision import (
    AddTransitions,
    CutToBeat,
    KeepScene,
    MakeHighlight,
    RemoveScene,
    music_beats,
    scenes_of,
)
from skill.engine.render.pipeline import RenderOptions, render
from skill.engine.render.probe import probe
from skill.engine.vision import analysis, beats, highlight
from skill.errors import InputError
from tests import media
from tests.vision_media import scenes_clip

CTX = PlanContext()
SCENE_S = 4.0


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("vision-edit")
    scenes_clip(root / "scenes.mp4")                       # 6 scenes of 4 s; 2nd and 4th busy
    media.solid_clip(root / "red.mp4", color="red", seconds=2.0, size="320x180", audio=True)
    media.solid_clip(root / "blue.mp4", color="blue", seconds=2.0, size="320x180", audio=True)
    return root


@pytest.fixture()
def analysed(clips: Path, tmp_path: Path) -> Path:
    """The scenes clip with its analysis cached in this test's IGEDIT_HOME."""
    analysis.analyse_cached(clips / "scenes.mp4")
    return clips / "scenes.mp4"


def one_clip(src: Path, ms: int) -> Draft:
    return settle(decode_draft(
        {"t": [{"tt": 0, "sg": [{"s": 0, "d": ms, "m": {"src": str(src), "name": src.name}}]}],
         "m": {"ratio": "9:16", "fit": "crop"}}))


def scene_of(source_ms: float) -> int:
    return int(source_ms // (SCENE_S * 1000))


def test_scene_cuts_are_found_on_the_frame(analysed: Path) -> None:
    found = analysis.load(analysed)
    assert found is not None
    assert found.cuts == pytest.approx([4.0, 8.0, 12.0, 16.0, 20.0], abs=1 / 30 + 1e-6)
    assert len(found.scenes) == 6
    # activity and loudness are higher in the busy scenes (2nd and 4th)
    assert min(found.activity[4:8]) > 5 * max(found.activity[0:4] + [0.01])
    assert min(found.loudness[4:8]) > max(found.loudness[0:4]) + 10


def test_highlight_holds_three_scenes_within_half_a_second(analysed: Path) -> None:
    for seconds in (12, 15):
        out = MakeHighlight(seconds).apply(one_clip(analysed, 24_000), CTX)
        assert abs(total_ms(out) - seconds * 1000) <= 500
        segs = encode_draft(out)["t"][0]["sg"]
        shown = {scene_of(s["m"]["in"] + s["d"] / 2) for s in segs}
        assert len(shown) >= 3
        ins = [s["m"]["in"] for s in segs]
        assert ins == sorted(ins)                      # story order
        assert {1, 3} <= shown                         # the lively scenes are in it


def test_highlight_longer_than_the_video_is_refused(analysed: Path) -> None:
    with pytest.raises(InputError) as info:
        MakeHighlight(30).apply(one_clip(analysed, 24_000), CTX)
    assert info.value.key == "plan_highlight_short"


def test_remove_the_second_scene(analysed: Path) -> None:
    draft = one_clip(analysed, 24_000)
    assert len(scenes_of(draft)) == 6
    out = RemoveScene(2).apply(draft, CTX)
    assert abs(total_ms(out) - 20_000) <= 40
    for seg in encode_draft(out)["t"][0]["sg"]:
        a = seg["m"].get("in", 0)
        assert a + seg["d"] <= 4_040 or a >= 7_960   # nothing of 4–8 s is left
    with pytest.raises(InputError) as info:
        RemoveScene(9).apply(draft, CTX)
    assert info.value.key == "plan_no_scene"


def test_keep_only_the_second_scene(analysed: Path) -> None:
    draft = one_clip(analysed, 24_000)
    out = KeepScene(2).apply(draft, CTX)
    assert abs(total_ms(out) - 4_000) <= 40
    for seg in encode_draft(out)["t"][0]["sg"]:
        a = seg["m"].get("in", 0)
        assert a >= 3_960 and a + seg["d"] <= 8_040      # only what is between 4 and 8 s
    assert KeepScene(-1).describe("en") == "Kept only the last scene and cut the rest."
    assert KeepScene(2).describe("zh") == "只保留了第 2 个场景，其余已剪掉。"
    with pytest.raises(InputError) as info:
        KeepScene(9).apply(draft, CTX)
    assert info.value.key == "plan_no_scene"


def test_cuts_land_on_the_built_in_musics_beats_in_the_render(analysed: Path, clips: Path) -> None:
    draft = MakeHighlight(12).apply(one_clip(analysed, 24_000), CTX)
    draft = AddMusic(mood="upbeat").apply(draft, CTX)          # 120 BPM: a beat every 500 ms
    draft = CutToBeat().apply(draft, CTX)
    grid = music_beats(draft, total_ms(draft))
    assert grid[:3] == [0, 500, 1000]
    out = clips / "beat.mp4"
    report = asyncio.run(render(draft, out, work_dir=clips / "w", music_dir=clips / "m",
                                options=RenderOptions(preview=True)))
    assert report.ok, report.violations
    cuts = analysis.analyse(out, faces=False).cuts
    assert len(cuts) >= 2
    for cut in cuts:
        nearest = min(grid, key=lambda b: abs(b - cut * 1000))
        assert abs(nearest - cut * 1000) <= 1000 / 30 + 1, (cut, nearest)


def test_cut_to_beat_needs_music(analysed: Path) -> None:
    with pytest.raises(InputError) as info:
        CutToBeat().apply(one_clip(analysed, 24_000), CTX)
    assert info.value.key == "plan_no_beat"


def test_snap_cuts_respects_footage_and_minimum_pieces() -> None:
    grid = beats.grid(120, 0, 10_000)
    assert beats.snap_cuts([0, 1_230, 3_020, 6_100], grid, room=[0, 300, 10_000]) == \
        [0, 1_000, 3_000, 6_000]
    # a piece may only grow by the footage it has left: 1 230 → 1 500 needs 270 ms
    assert beats.snap_cuts([0, 1_400], grid, room=[300])[1] == 1_500
    assert beats.snap_cuts([0, 1_400], grid, room=[0])[1] == 1_000


def test_beat_tracking_finds_a_click_track_tempo() -> None:
    rate, bpm = 11025, 100.0
    pcm = np.zeros(rate * 12, np.float32)
    click = np.sin(2 * np.pi * 1500 * np.arange(300) / rate) * np.hanning(300)
    period = 60 / bpm
    for k in range(int(12 / period)):
        start = int(round((0.25 + k * period) * rate))
        pcm[start: start + 300] += click[: len(pcm) - start]
    tempo, found = beats.track_beats(pcm, rate)
    assert tempo == pytest.approx(bpm, rel=0.03)
    assert all(min(abs(b - (0.25 + k * period)) for k in range(20)) < 0.03 for b in found)


def test_transitions_keep_the_timeline_length_and_blend(clips: Path) -> None:
    red, blue = clips / "red.mp4", clips / "blue.mp4"
    draft = settle(decode_draft({"t": [{"tt": 0, "sg": [
        {"s": 0, "d": 2000, "m": {"src": str(red), "name": "red.mp4"}},
        {"s": 2000, "d": 2000, "m": {"src": str(blue), "name": "blue.mp4"}}]}],
        "m": {"ratio": "1:1", "fit": "crop"}}))
    draft = AddTransitions("crossfade", 400).apply(draft, CTX)
    out = clips / "xfade.mp4"
    report = asyncio.run(render(draft, out, work_dir=clips / "w", music_dir=clips / "m",
                                options=RenderOptions(preview=True)))
    assert report.ok, report.violations
    assert any("xfade=transition=fade:duration=0.4" in a for a in report.argv)
    assert any("acrossfade" in a for a in report.argv)
    info = probe(out, exhaustive=True)
    assert info.frame_count == 120
    before, middle, after = media.frames_rgb(out, [1.0, 2.0, 3.0])
    centre = (slice(100, 140), slice(100, 140))
    assert before[centre].mean(axis=(0, 1))[0] > 200 and before[centre].mean(axis=(0, 1))[2] < 50
    mid = middle[centre].mean(axis=(0, 1))
    assert 60 < mid[0] < 200 and 60 < mid[2] < 200              # half red, half blue
    assert after[centre].mean(axis=(0, 1))[2] > 200


def test_highlight_pick_is_pure_and_in_story_order() -> None:
    scenes = [highlight.Scene(i * 5000, (i + 1) * 5000, tuple([0.9 if i % 2 else 0.1] * 50))
              for i in range(6)]
    spans = highlight.pick_highlight(scenes, 15_000)
    assert sum(b - a for a, b in spans) == 15_000
    assert spans == sorted(spans) and len(spans) >= 3
    assert highlight.pick_highlight(scenes[:1], 60_000) == [(0, 5000)]
