"""Scenes named by what is said in them: five solid-colour scenes under the committed
speech fixture (one phrase each: kitchen, pasta, flour, eggs, watching), with the real
model's transcript of that speech; and the truthful reply when there is no speech."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from skill.draft import Draft, decode_draft, encode_draft
from skill.engine.ops.draftedit import MediaItem, PlanContext, settle, total_ms
from skill.engine.ops.scenes import SceneAbout, mentions, scenes_about, topic_terms
from skill.engine.ops.vision import MakeHighlight
from skill.engine.plan.outcome import describe, settle_plan
from skill.engine.plan.planner import RulePlanner
from skill.engine.render.probe import probe
from skill.engine.speech.analysis import Analysis, Word
from skill.engine.speech.store import cache_path, save
from skill.engine.vision import analysis as vision
from skill.errors import InputError
from tests.speech_support import analysis as speech_of
from tests.vision_media import TALK_CUTS_S, scenes_clip, talking_scenes

FRAME = 1000 / 30 + 1


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("scenes-said")
    talking_scenes(root / "talk.mp4")
    scenes_clip(root / "tone.mp4")
    return root


@pytest.fixture()
def talk(clips: Path, home: Path) -> Path:
    """The talking scenes with both analyses cached in this test's IGEDIT_HOME: the
    transcript is the real model's of the same sound (fixtures/speech/talk_en.mp4)."""
    src = clips / "talk.mp4"
    save(cache_path(src, home / "speech"), speech_of("talk_en"))
    vision.analyse_cached(src)
    return src


@pytest.fixture()
def tone(clips: Path, home: Path) -> Path:
    """Six scenes with a tone and no speech; the cached transcript has no words (what
    the model hears in it)."""
    src = clips / "tone.mp4"
    save(cache_path(src, home / "speech"), Analysis(duration_ms=24_000, language="en"))
    vision.analyse_cached(src)
    return src


def one_clip(src: Path) -> Draft:
    ms = int(probe(src).duration * 1000)
    return settle(decode_draft({"t": [{"tt": 0, "sg": [{"s": 0, "d": ms, "m": {"src": str(src),
                                                                               "name": src.name}}]}],
                                "m": {"ratio": "9:16", "fit": "crop"}}))


def shown(draft: Draft) -> list[tuple[int, int]]:
    """Source spans (ms) the draft's video segments show (read from its wire form)."""
    wire: dict[str, Any] = encode_draft(draft)
    return [(int(s["m"].get("in", 0)), int(s["m"].get("in", 0)) + int(s["d"]))
            for s in wire["t"][0]["sg"]]


def test_keep_only_the_scene_where_pasta_is_said(talk: Path) -> None:
    op = SceneAbout("pasta")
    out = op.apply(one_clip(talk), PlanContext())
    [(a, b)] = shown(out)
    assert abs(a - TALK_CUTS_S[0] * 1000) <= FRAME and abs(b - TALK_CUTS_S[1] * 1000) <= 2 * FRAME
    assert op.view()["scenes"] == [2]
    assert "scene 2" in op.describe("en") and "“pasta”" in op.describe("en")


def test_remove_the_scene_where_i_talk_about_the_eggs(talk: Path) -> None:
    draft = one_clip(talk)
    out = SceneAbout("the eggs", keep=False).apply(draft, PlanContext())
    lo, hi = TALK_CUTS_S[2] * 1000, TALK_CUTS_S[3] * 1000
    assert abs(total_ms(out) - (total_ms(draft) - (hi - lo))) <= 2 * FRAME
    for a, b in shown(out):
        assert b <= lo + FRAME or a >= hi - FRAME      # nothing of the eggs scene is left


@pytest.mark.parametrize(("text", "lang", "scene", "reply"), [
    ("keep only the pasta scene", "en", 2, "Kept only the scene where “pasta” is said (scene 2)."),
    ("keep only the scene where I talk about the flour", "en", 3,
     "Kept only the scene where “flour” is said (scene 3)."),
    ("只保留讲 kitchen 的那一段", "zh", 1, "只保留了说到“kitchen”的场景（第 1 个场景）。"),
])
def test_the_request_in_words_keeps_that_scene(talk: Path, text: str, lang: str, scene: int,
                                               reply: str) -> None:
    ctx = PlanContext((MediaItem("v1", str(talk), talk.name, "video", 24_770, 320, 180, True),),
                      lang)
    draft = one_clip(talk)
    plan = RulePlanner().plan(text, draft, ctx)
    settled = settle_plan(plan.ops, plan.not_understood, draft, ctx)
    assert not settled.not_done and [op.tool for op in settled.ops] == ["scenes_about"]
    assert reply in describe(settled, lang)


def test_a_topic_nobody_talks_about_is_not_done_with_how_to_name_a_scene(talk: Path) -> None:
    ctx = PlanContext((), "en")
    draft = one_clip(talk)
    plan = RulePlanner().plan("keep only the beach scene", draft, ctx)
    settled = settle_plan(plan.ops, plan.not_understood, draft, ctx)
    assert not settled.ops
    [missed] = settled.not_done
    assert missed.reason == "failed"
    assert missed.text == "keep only the scene about “beach”"
    assert "no scene has “beach” said in it (I found 5 scenes)" in missed.why
    assert "by its number" in missed.why and "by words said in it" in missed.why


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_without_speech_the_reply_says_how_scenes_can_be_named(tone: Path, lang: str) -> None:
    with pytest.raises(InputError) as info:
        SceneAbout("beach").apply(one_clip(tone), PlanContext())
    assert info.value.key == "scene_no_speech"
    ctx = PlanContext((), lang)
    draft = one_clip(tone)
    text = "keep only the beach scene" if lang == "en" else "只保留讲海滩的那一段"
    plan = RulePlanner().plan(text, draft, ctx)
    settled = settle_plan(plan.ops, plan.not_understood, draft, ctx)
    [missed] = settled.not_done
    if lang == "en":
        assert "I heard no speech in the video" in missed.why
        assert "by its number (“remove the second scene”; I found 6)" in missed.why
    else:
        assert "没有听到" in missed.why and "用编号指定场景" in missed.why


def test_matching_is_by_content_words_plurals_and_chinese_characters() -> None:
    words = [Word(0, 400, "Today"), Word(300, 600, "the"), Word(600, 1000, "puppies"),
             Word(1200, 1600, "ran."), Word(2000, 2400, "我们"), Word(2400, 2800, "去了海滩")]
    assert topic_terms("the dogs") == ["dog"] and topic_terms("海滩") == []
    assert mentions(words, "puppy") and mentions(words, "the puppies")
    assert not mentions(words, "dog") and not mentions(words, "the")
    assert mentions(words, "海滩") and not mentions(words, "海边")
    scenes = [(0, 1000), (1000, 2000), (2000, 3000)]
    # a word belongs to the scene its middle falls in
    assert scenes_about(scenes, words, "puppy") == [0]
    assert scenes_about(scenes, words, "ran") == [1]
    assert scenes_about(scenes, words, "海滩") == [2]


def test_make_keeps_only_the_pasta_scene(talk: Path, tmp_path: Path) -> None:
    out = tmp_path / "pasta.mp4"
    done = subprocess.run([sys.executable, "-m", "skill", "--backend", "local", "make",
                           str(talk), "keep only the pasta scene", "-o", str(out)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Kept only the scene where “pasta” is said (scene 2)" in done.stdout
    want = TALK_CUTS_S[1] - TALK_CUTS_S[0]
    assert abs(probe(out).duration - want) <= 0.1


def inside_words(t_ms: int, words: list[Word]) -> list[str]:
    """The words a cut at source time ``t_ms`` would split."""
    return [w.text for w in words if w.start_ms < t_ms < w.end_ms]


@pytest.mark.parametrize("seconds", [8, 10, 12])
def test_a_highlight_never_cuts_mid_word(talk: Path, home: Path, seconds: int) -> None:
    words = list(speech_of("talk_en").words)
    out = MakeHighlight(seconds).apply(one_clip(talk), PlanContext())
    assert abs(total_ms(out) - seconds * 1000) <= 500
    spans = shown(out)
    assert len({sum(a >= c * 1000 for c in TALK_CUTS_S) for a, _ in spans}) >= 3
    for a, b in spans:
        assert not inside_words(a, words) and not inside_words(b, words), (a, b)
    # without the transcript the same highlight splits words: the snapping is what
    # keeps them whole
    (home / "speech").rename(home / "speech-away")
    blind = shown(MakeHighlight(seconds).apply(one_clip(talk), PlanContext()))
    assert any(inside_words(t, words) for span in blind for t in span)


def test_snapping_prefers_sentence_ends_and_keeps_the_length() -> None:
    from skill.engine.vision.highlight import snap_to_words

    # words of 300 ms with 100 ms pauses; sentences end at 1.9 s and 3.9 s
    words = [(t, t + 300, t in (1600, 3600)) for t in range(0, 6000, 400)]
    [(a, b)] = snap_to_words([(2050, 4050)], [(0, 6000)], words)
    assert (a, b) == (1960, 3960)          # the sentence 2.0–3.9 s, cut in the pauses around it
    for t in (a, b):
        assert not any(w0 < t < w1 for w0, w1, _ in words)
    # speech without a single pause: the piece keeps the ends it was given
    solid = [(0, 6000, False)]
    assert snap_to_words([(1000, 3000)], [(0, 6000)], solid) == [(1000, 3000)]
    # the last piece makes up what the first gained: the total stays within 0.45 s
    two = snap_to_words([(2050, 4050), (8050, 10050)], [(0, 6000), (6000, 12000)],
                        [*words, *[(t + 6000, t + 6300, False) for t in range(0, 6000, 400)]])
    assert abs(sum(b - a for a, b in two) - 4000) <= 450


def test_without_a_speech_model_the_reply_says_so_and_how_to_name_a_scene(
        clips: Path, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = clips / "talk.mp4"          # no transcript cached in this home
    vision.analyse_cached(src)
    monkeypatch.setenv("IGEDIT_SPEECH_MODEL", str(tmp_path / "no-such-model"))
    with pytest.raises(InputError) as info:
        SceneAbout("pasta").apply(one_clip(src), PlanContext())
    assert info.value.key == "scene_no_transcript"
    from skill.templates import render

    said = render(info.value.key, "en", **info.value.ctx)
    assert said.startswith("I can't listen to the video to tell which scene is about “pasta” "
                           "(IGEDIT_SPEECH_MODEL (")
    assert "Name a scene by its number instead" in said
