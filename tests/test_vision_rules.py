"""The vision rules (English and Chinese): highlights, transitions, cuts on the beat,
scenes, follow/keep centred — and what they must leave to the other rules."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from skill.draft import decode_draft
from skill.engine.ops.draftedit import MediaItem, PlanContext, initial_draft
from skill.engine.ops.vision import music_beats
from skill.engine.plan.planner import RulePlanner, describe_plan
from tests.media import ffmpeg

CLIP = MediaItem("v1", "/v/wide.mp4", "wide.mp4", "video", 60_000, 1920, 1080, True)
TALL = MediaItem("v2", "/v/tall.mp4", "tall.mp4", "video", 60_000, 1080, 1920, True)


def plan(text: str, *media: MediaItem, lang: str = "en") -> tuple[list[tuple[str, dict[str, Any]]],
                                                                  Any]:
    ctx = PlanContext(media or (CLIP,), lang)
    p = RulePlanner().plan(text, initial_draft(ctx), ctx)
    return [(op.tool, op.args()) for op in p.ops], p


@pytest.mark.parametrize(("text", "lang"), [
    ("make a 15 second highlight with transitions and upbeat music, cut to the beat", "en"),
    ("做一个15秒的精彩片段，加转场和欢快的音乐，卡点", "zh"),
])
def test_the_whole_request_is_understood(text: str, lang: str) -> None:
    ops, p = plan(text, lang=lang)
    assert [t for t, _ in ops] == ["add_music", "make_highlight", "cut_to_beat",
                                   "add_transitions"]
    assert ops[1][1] == {"seconds": 15} and ops[3][1] == {"style": "crossfade", "ms": 400}
    assert not p.not_understood
    reply = describe_plan(p, lang)
    assert ("15 second highlight" in reply) if lang == "en" else ("15 秒的精彩片段" in reply)


@pytest.mark.parametrize(("text", "seconds"), [
    ("make a 30s trailer", 30), ("give me a 60 second highlight reel", 60),
    ("add a 1 minute highlight", 60), ("trailer", 15), ("剪一个30秒的预告片", 30),
    ("精彩集锦", 15), ("make a highlight of 20 seconds", 20),
])
def test_highlight_lengths(text: str, seconds: int) -> None:
    ops, p = plan(text)
    assert ops == [("make_highlight", {"seconds": seconds})] and not p.not_understood


@pytest.mark.parametrize(("text", "style", "ms"), [
    ("add transitions", "crossfade", 400), ("crossfade between the clips", "crossfade", 400),
    ("fade through black between the clips", "black", 400),
    ("add a wipe transition of 300ms", "wipe", 300), ("slide transitions", "slide", 400),
    ("zoom transition 0.5 seconds", "zoom", 500), ("加转场", "crossfade", 400),
    ("加个黑场转场", "black", 400), ("no transitions", "none", 400),
])
def test_transitions(text: str, style: str, ms: int) -> None:
    ops, p = plan(text)
    assert ops == [("add_transitions", {"style": style, "ms": ms})] and not p.not_understood


def test_unknown_transition_styles_and_plain_fades_are_left_alone() -> None:
    ops, p = plan("add a glitch transition")
    assert ops == [] and p.not_understood == ("add a glitch transition",)
    ops, _ = plan("fade to black at the end")
    assert [t for t, _ in ops] == ["fade"]


@pytest.mark.parametrize(("text", "index"), [
    ("remove the second scene", 2), ("delete the last scene", -1), ("cut out scene 3", 3),
    ("删除第二个场景", 2), ("去掉最后一个镜头", -1),
])
def test_remove_a_scene(text: str, index: int) -> None:
    ops, p = plan(text)
    assert ops == [("remove_scene", {"index": index})] and not p.not_understood


@pytest.mark.parametrize(("text", "index"), [
    ("keep only the first scene", 1), ("just keep scene 3", 3), ("only keep the last shot", -1),
    ("只保留第二个场景", 2), ("只要最后一个镜头", -1), ("只留第1个画面", 1),
])
def test_keep_one_scene_by_its_number(text: str, index: int) -> None:
    ops, p = plan(text)
    assert ops == [("keep_scene", {"index": index})] and not p.not_understood


@pytest.mark.parametrize(("text", "about", "keep"), [
    ("keep only the beach scene", "beach", True),
    ("just keep the scene about pasta", "pasta", True),
    ("keep only the scene where I talk about the dog", "dog", True),
    ("remove the scene where I talk about the dog", "dog", False),
    ("delete the dog scene", "dog", False),
    ("cut out the shot where I mention the eggs", "eggs", False),
    ("keep only the scene about 'fresh pasta'", "fresh pasta", True),
    ("只保留讲海滩的那一段", "海滩", True),
    ("只保留关于海滩的场景", "海滩", True),
    ("删掉讲狗的那个场景", "狗", False),
    ("去掉说到“鸡蛋”的那一段", "鸡蛋", False),
])
def test_a_scene_named_by_what_is_said(text: str, about: str, keep: bool) -> None:
    ops, p = plan(text)
    assert ops == [("scenes_about", {"about": about, "keep": keep})] and not p.not_understood


@pytest.mark.parametrize("text", ["keep only the scene", "delete this scene", "remove the 9th scene",
                                  "删除第二个场景"])
def test_what_does_not_name_a_scene_by_speech(text: str) -> None:
    ops, _ = plan(text)
    assert "scenes_about" not in [t for t, _ in ops]


@pytest.mark.parametrize(("text", "mode"), [
    ("keep it centred", "center"), ("center crop", "center"), ("保持居中", "center"),
    ("follow the subject", "subject"), ("跟随主体", "subject"),
])
def test_follow_or_keep_centred(text: str, mode: str) -> None:
    ops, p = plan(text)
    assert ops == [("set_reframe", {"mode": mode})] and not p.not_understood


def test_centred_title_is_not_a_centred_crop() -> None:
    ops, _ = plan("标题“你好”居中")
    assert [t for t, _ in ops] == ["add_title"]


def test_the_reply_says_following_the_subject_only_when_the_crop_cuts_the_sides() -> None:
    _, p = plan("make it a Reel")
    assert "follows the subject" in describe_plan(p, "en")
    _, p = plan("make it a Reel", TALL)
    assert "follows the subject" not in describe_plan(p, "en")
    _, p = plan("make it 9:16, keep it centred")
    assert "follows the subject" not in describe_plan(p, "en")
    _, p = plan("竖屏", lang="zh")
    assert "跟随主体" in describe_plan(p, "zh")


def test_an_uploaded_song_is_beat_tracked(tmp_path: Path) -> None:
    rate, period = 44100, 0.5                      # 120 BPM clicks from 0.2 s
    pcm = np.zeros(rate * 8, np.float32)
    click = (np.sin(2 * np.pi * 1200 * np.arange(600) / rate) * np.hanning(600) * 0.8)
    for k in range(16):
        start = int((0.2 + k * period) * rate)
        pcm[start: start + 600] += click[: len(pcm) - start]
    song = tmp_path / "song.wav"
    subprocess.run([ffmpeg(), "-v", "error", "-f", "f32le", "-ar", str(rate), "-ac", "1",
                    "-i", "pipe:0", str(song)], input=pcm.tobytes(), check=True)
    draft = {"t": [{"tt": 0, "sg": [{"s": 0, "d": 8000, "m": {"src": "/v/a.mp4"}}]},
                   {"tt": 1, "m": {"role": "bgm"}, "sg": [{"s": 0, "d": 8000,
                                                           "m": {"src": str(song)}}]}], "m": {}}
    found = music_beats(decode_draft(draft), 8000)
    assert len(found) >= 12
    assert all(min(abs(b - (200 + k * 500)) for k in range(16)) <= 35 for b in found)
