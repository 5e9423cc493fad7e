"""Issue 16 items 1 and 3 in the planner (pure, no rendering): requests that name only the
goal ("edit this for Instagram", "发到 Instagram") choose the canvas from the clip and say
so; a general question gets the concrete choices and changes nothing; several formats in
words become ``set_formats``. The rendered ends are in test_seed_examples.py and
test_formats_export.py."""

from __future__ import annotations

from typing import Any

import pytest

from skill.draft import Draft, decode_draft, encode_draft
from skill.engine.ops import MediaItem, PlanContext, initial_draft
from skill.engine.ops.formats import SetFormats, draft_for_format, draft_formats
from skill.engine.plan.outcome import describe, outcome_data, settle_plan
from skill.engine.plan.planner import Plan, RulePlanner, apply_plan
from skill.errors import InputError
from skill.formats import format_dest, formats_in, parse_formats, resolve

SHAPES = {"landscape": (1920, 1080), "portrait": (1080, 1920), "square": (1080, 1080)}


def ctx(shape: str, lang: str = "en", seconds: float = 10.0) -> PlanContext:
    w, h = SHAPES[shape]
    clip = MediaItem("v1", "/v/clip.mp4", "clip.mp4", "video", int(seconds * 1000), w, h, True)
    return PlanContext((clip,), lang=lang)


def turn(text: str, shape: str = "landscape", *, lang: str = "en", seconds: float = 10.0,
         draft: Draft | None = None) -> tuple[list[dict[str, Any]], str, dict[str, Any]]:
    """(ops as args + tool, the reply, the outcome) of one instruction on a fresh clip."""
    c = ctx(shape, lang, seconds)
    d = draft if draft is not None else initial_draft(c)
    plan = RulePlanner().plan(text, d, c)
    settled = settle_plan(plan.ops, plan.not_understood, d, c)
    return ([op.args() | {"tool": op.tool} for op in settled.ops],
            describe(settled, lang, plan.notes), outcome_data(settled, lang))


# ---------------------------------------------------------------- Instagram-ready

@pytest.mark.parametrize(("text", "shape", "ratio", "target", "says"), [
    ("edit this for Instagram", "landscape", "9:16", "reels", "since Reels are 9:16"),
    ("make it Instagram-ready", "portrait", "9:16", "reels", "since the clip is portrait"),
    ("into a 1080p MP4", "landscape", "9:16", "reels", "an Instagram Reel at 9:16 (1080×1920)"),
    ("edit this for Instagram", "square", "1:1", "square", "since the clip is square"),
    ("edit this for my Instagram feed", "landscape", "4:5", "feed", "a feed post at 4:5"),
    ("edit this for my Instagram feed", "square", "1:1", "feed", "square since the clip is square"),
    ("发到 Instagram", "landscape", "9:16", "reels", "因为 Reels 是 9:16"),
    ("适合 Instagram", "portrait", "9:16", "reels", "因为素材是竖屏"),
    ("帮我剪成适合Instagram的视频", "square", "1:1", "square", "因为素材是方形"),
    ("make it ready to upload to Instagram", "landscape", "9:16", "reels", "since Reels are 9:16"),
    ("export it for Instagram", "portrait", "9:16", "reels", "since the clip is portrait"),
])
def test_a_goal_only_request_chooses_the_canvas_from_the_clip_and_says_so(
        text: str, shape: str, ratio: str, target: str, says: str) -> None:
    lang = "zh" if any(ord(ch) > 0x3000 for ch in text) else "en"
    ops, reply, outcome = turn(text, shape, lang=lang)
    aspect = [op for op in ops if op["tool"] == "set_aspect"]
    assert aspect and aspect[0]["ratio"] == ratio
    if target != "feed" or ratio == "4:5":
        assert aspect[0].get("target") == target
    assert outcome["not_done"] == []
    assert says in reply
    # how to change it, and what the file is
    if lang == "en":
        assert "1080p H.264 MP4" in reply and "−14 LUFS" in reply
        assert "“make it a square post”" in reply and "“export as a Reel and a square post”" in reply
    else:
        assert "1080p H.264 MP4" in reply and "“导出竖屏和方形两个版本”" in reply


def test_the_seeds_first_example_reports_no_descriptive_word_as_not_done() -> None:
    ops, reply, outcome = turn("edit a 60-second phone-recorded clip for Instagram into a 1080p MP4",
                               "portrait", seconds=60.4)
    assert ops == [{"tool": "set_aspect", "ratio": "9:16", "fit": "crop", "target": "reels"}]
    assert outcome["not_done"] == [] and "Not done" not in reply
    assert "You said" not in reply          # 60 s said, 60.4 s clip: the same


@pytest.mark.parametrize(("seconds", "says"), [
    (10.0, "You said 60 s, but the clip is 10 s: I kept all 10 s (nothing is stretched or padded)."),
    (75.0, "You said 60 s, but the clip is 75 s: I kept all of it. To cut it to 60 s, say "
           "“keep only the first 60 seconds”."),
])
def test_a_stated_length_that_contradicts_the_clip_is_said_not_obeyed(seconds: float,
                                                                       says: str) -> None:
    ops, reply, outcome = turn("edit a 60-second phone-recorded clip for Instagram into a 1080p MP4",
                               "portrait", seconds=seconds)
    assert [op["tool"] for op in ops] == ["set_aspect"]   # nothing trimmed, nothing padded
    assert outcome["not_done"] == [] and says in reply


def test_a_stated_length_in_chinese_is_compared_too() -> None:
    _, reply, outcome = turn("把这个60秒的手机视频发到Instagram", "portrait", lang="zh", seconds=20)
    assert outcome["not_done"] == []
    assert "你说的是 60 秒，但素材只有 20 秒：已保留全部 20 秒" in reply


def test_instagram_limits_are_named() -> None:
    _, short, _ = turn("edit this for Instagram", "portrait", seconds=1.0)
    assert "Instagram wants at least 3 s and the edit is 1 s" in short
    _, long_feed, _ = turn("edit this for my Instagram feed", "square", seconds=90)
    assert "at most 1 min and the edit is 90 s" in long_feed and "“make it a Reel”" in long_feed


def test_a_shape_the_words_name_stands_and_loudness_comes_back_on() -> None:
    c = ctx("landscape")
    draft = apply_plan(initial_draft(c), RulePlanner().plan("turn off loudness normalisation",
                                                            initial_draft(c), c), c)
    assert encode_draft(draft)["m"]["loudnorm"] is False
    ops, reply, _ = turn("crop to square for Instagram", draft=draft)
    assert {"tool": "set_aspect", "ratio": "1:1", "fit": "crop", "target": "square"} in ops
    assert {"tool": "set_loudnorm", "enabled": True} in ops
    assert "loudness normalisation is back on" in reply


def test_a_target_chosen_before_is_kept() -> None:
    c = ctx("landscape")
    draft = apply_plan(initial_draft(c), RulePlanner().plan("make it a square post",
                                                            initial_draft(c), c), c)
    ops, reply, _ = turn("edit this for Instagram", draft=draft)
    assert not any(op["tool"] == "set_aspect" for op in ops)
    assert "a square post at 1:1 (1080×1080), as you chose before" in reply


def test_a_file_name_is_not_a_delivery_word() -> None:
    ops, _, _ = turn("put clip.mp4 first")
    assert not any(op["tool"] == "set_aspect" for op in ops)
    ops, reply, outcome = turn("导出成1080p的mp4", "portrait", lang="zh")
    assert [op["tool"] for op in ops] == ["set_aspect"] and outcome["not_done"] == []


def test_other_edits_in_the_same_sentence_still_apply() -> None:
    ops, reply, outcome = turn("make it Instagram-ready with lo-fi music", "portrait")
    assert [op["tool"] for op in ops] == ["set_aspect", "add_music"]
    assert outcome["not_done"] == [] and "Lo-fi" in reply


# ---------------------------------------------------------------- general questions

@pytest.mark.parametrize(("text", "lang", "says"), [
    ("editing and formatting videos for Instagram posts and Reels on desktop for Instagram creators",
     "en", "“edit this for Instagram”"),
    ("为 Instagram 创作者在电脑上剪辑和排版帖子和 Reels 视频", "zh", "“剪成适合 Instagram 的视频”"),
])
def test_a_general_question_gets_the_choices_and_changes_nothing(text: str, lang: str,
                                                                 says: str) -> None:
    ops, reply, outcome = turn(text, lang=lang)
    assert ops == []
    assert [n["reason"] for n in outcome["not_done"]] == ["choose"]
    assert outcome["not_done"][0]["text"] == text       # the whole request, once
    assert says in reply and "Not done" not in reply and "未完成" not in reply
    default = "makes an Instagram Reel at 9:16" if lang == "en" else "会做成 9:16 的Instagram Reels 视频"
    assert default in reply


# ---------------------------------------------------------------- several formats in words

@pytest.mark.parametrize(("text", "shape", "formats"), [
    ("export as a Reel and a square post", "landscape", ["reel", "square"]),
    ("make it a Reel and a square post", "landscape", ["reel", "square"]),
    ("a Reel, a square post and a 4:5 version", "landscape", ["reel", "square", "4x5"]),
    ("导出竖屏和方形两个版本", "landscape", ["reel", "square"]),
    ("导出两个版本：竖屏和方形", "landscape", ["reel", "square"]),
    ("Reel 和 帖子 各一个", "landscape", ["reel", "4x5"]),
    ("Reel 和 帖子 各一个", "square", ["reel", "square"]),     # a square clip's post stays square
])
def test_several_formats_in_words_become_set_formats(text: str, shape: str,
                                                      formats: list[str]) -> None:
    lang = "zh" if any(ord(ch) > 0x3000 for ch in text) else "en"
    ops, reply, outcome = turn(text, shape, lang=lang)
    assert ops == [{"tool": "set_formats", "formats": formats}]
    assert outcome["not_done"] == []
    assert ("one file each" if lang == "en" else "每种格式各写一个文件") in reply


@pytest.mark.parametrize(("text", "lang", "first"), [
    ("make it warm, and export as a Reel and a square post", "en", {"tool": "set_look", "look": "warm"}),
    ("标题“你好”在第2秒出现，导出竖屏和方形两个版本", "zh",
     {"tool": "add_title", "text": "你好", "start_ms": 2000, "position": "center"}),
])
def test_other_edits_beside_several_formats_keep_their_words(text: str, lang: str,
                                                             first: dict[str, Any]) -> None:
    ops, _, outcome = turn(text, lang=lang)
    assert ops == [first, {"tool": "set_formats", "formats": ["reel", "square"]}]
    assert outcome["not_done"] == []


def test_also_a_version_adds_to_the_edits_own_format() -> None:
    c = ctx("landscape")
    draft = apply_plan(initial_draft(c), RulePlanner().plan("make it a Reel", initial_draft(c), c), c)
    ops, _, _ = turn("also make a 4:5 version", draft=draft)
    assert ops == [{"tool": "set_formats", "formats": ["reel", "4x5"]}]
    draft = apply_plan(draft, Plan((SetFormats(("reel", "4x5")),)), c)
    assert draft_formats(draft) == ("reel", "4x5")
    ops, _, _ = turn("only the Reel", draft=draft)        # back to one file
    assert {"tool": "set_formats", "formats": []} in ops


def test_one_shape_is_not_several_formats() -> None:
    for text in ("make it a Reel", "turn the landscape video into a Reel", "crop to square format",
                 "export for stories", "做成方形帖子"):
        assert formats_in(text) is None, text


def test_each_format_is_the_same_edit_on_its_own_canvas() -> None:
    c = ctx("landscape")
    draft = apply_plan(initial_draft(c), RulePlanner().plan(
        "title 'Hi' at the top, captions: one / two", initial_draft(c), c), c)
    draft = apply_plan(draft, Plan((SetFormats(("reel", "square")),)), c)
    wire = encode_draft(draft)
    reel = encode_draft(draft_for_format(draft, "reel"))
    square = encode_draft(draft_for_format(draft, "square"))
    assert (reel["m"]["w"], reel["m"]["h"], reel["m"]["target"]) == (1080, 1920, "reels")
    assert (square["m"]["w"], square["m"]["h"], square["m"]["target"]) == (1080, 1080, "square")
    assert "formats" not in reel["m"] and reel["t"] == wire["t"]    # the same tracks
    assert wire["m"]["ratio"] == "16:9"                             # the edit is untouched
    story = encode_draft(draft_for_format(decode_draft(reel), "story"))
    assert (story["m"]["h"], story["m"]["target"]) == (1920, "stories")
    # a text at an explicit height (canvas pixels) moves with the canvas
    placed = encode_draft(draft_for_format(draft, "reel"))
    text = next(t for t in placed["t"] if t.get("tt") == 7)
    text["sg"][0].setdefault("m", {})["y"] = 1600
    assert next(t for t in encode_draft(draft_for_format(decode_draft(placed), "square"))["t"]
                if t.get("tt") == 7)["sg"][0]["m"]["y"] == 900


def test_format_names_typed_and_files_named() -> None:
    from pathlib import Path

    assert parse_formats("reel,square,4:5") == ("reel", "square", "4x5")
    assert parse_formats(["Reels", "1:1", "feed", "reel"]) == ("reel", "square", "feed")
    with pytest.raises(InputError) as err:
        parse_formats("reel,tiktok")
    assert err.value.key == "formats_unknown" and "square" in err.value.ctx["accepted"]
    assert resolve(("feed", "reel"), source_ratio="16:9") == ("4x5", "reel")
    assert resolve(("feed",), source_ratio="1:1", current="reel", also=True) == ("reel", "square")
    assert format_dest(Path("/o/out.mp4"), "square") == Path("/o/out-square.mp4")
    assert format_dest(Path("/o/clip"), "4x5") == Path("/o/clip-4x5.mp4")
