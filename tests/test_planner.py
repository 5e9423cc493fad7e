"""The rule planner's building blocks and behaviour a user sees: quotes are data, nothing is
dropped silently, replies say exactly what was applied, Claude only sees the leftovers."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill.draft import Draft, decode_draft, encode_draft
from skill.engine.ops import (
    AddMusic,
    AddTitle,
    MediaItem,
    PlanContext,
    SetAspect,
    initial_draft,
)
from skill.engine.plan.phrases import mask, parse_num, split_clauses, time_ms
from skill.engine.plan.planner import (
    HybridPlanner,
    Plan,
    RulePlanner,
    apply_plan,
    default_planner,
    describe_plan,
)
from skill.errors import ApiError, NetworkError, SkillError
from skill.templates import render

CLIP = MediaItem("v1", "/v/city.mp4", "city.mp4", "video", 20_000, 1920, 1080, True)
CTX = PlanContext((CLIP,))
DRAFT = initial_draft(CTX)


def plan(text: str, ctx: PlanContext = CTX) -> Plan:
    return RulePlanner().plan(text, DRAFT, ctx)


def tools(p: Plan) -> list[str]:
    return [op.tool for op in p.ops]


# ---------------------------------------------------------------- phrases

@pytest.mark.parametrize(("text", "slots"), [
    ("title 'Urban Dreams'", ["Urban Dreams"]),
    ('title "Urban Dreams"', ["Urban Dreams"]),
    ("title “Urban Dreams”", ["Urban Dreams"]),
    ("title ‘Don’t Stop’", ["Don’t Stop"]),
    ("标题「城市之梦」和『夜』", ["城市之梦", "夜"]),
    ("标题《我的旅行》", ["我的旅行"]),
    ("don't crop, title 'It's fine'", ["It's fine"]),
    ("the kids' party, add 'Fun'", ["Fun"]),
    ("captions: one / two, three. Then crop", ["one / two, three"]),
    ("字幕：你好/世界", ["你好/世界"]),
    ("title: Summer Vibes, fade in", ["Summer Vibes"]),
])
def test_mask_takes_quoted_and_labelled_text_out(text: str, slots: list[str]) -> None:
    m = mask(text)
    assert m.slots == slots
    assert m.unmask(m.text) == text


def test_caption_lines_are_split_on_slashes() -> None:
    m = mask("captions: 'Hello' / How are you, friend | bye")
    assert m.lines(0) == ["Hello", "How are you, friend", "bye"]


@pytest.mark.parametrize(("text", "clauses"), [
    ("crop to square, add lo-fi music at 35% and the title X",
     ["crop to square", "add lo-fi music at 35%", "the title X"]),
    ("make it black and white then fade in and out",
     ["make it black and white", "fade in and out"]),
    ("keep 1.5 to 3.5 seconds. Speed 2x", ["keep 1.5 to 3.5 seconds", "Speed 2x"]),
    ("title between 2s and 5s", ["title between 2s and 5s"]),
    ("裁剪成方形，加上音乐然后淡出", ["裁剪成方形", "加上音乐", "淡出"]),
])
def test_split_clauses(text: str, clauses: list[str]) -> None:
    assert [text[a:b].strip() for a, b in split_clauses(text)] == clauses


@pytest.mark.parametrize(("text", "ms"), [
    ("10s", 10_000), ("10 sec", 10_000), ("2.5 seconds", 2_500), ("0:05", 5_000),
    ("1:02.5", 62_500), ("ten seconds", 10_000), ("1 minute", 60_000), ("500ms", 500),
    ("三秒", 3_000), ("十五秒", 15_000), ("二十五秒", 25_000), ("1分30秒", 90_000),
    ("３秒", 3_000), ("7", 7_000),
])
def test_time_ms(text: str, ms: int) -> None:
    assert time_ms(text) == ms


@pytest.mark.parametrize(("text", "value"), [
    ("2", 2.0), ("1.5", 1.5), ("two", 2.0), ("half", 0.5), ("两", 2.0), ("一点五", 1.5),
    ("一百", 100.0), ("？", None),
])
def test_parse_num(text: str, value: float | None) -> None:
    assert parse_num(text) == value


# ---------------------------------------------------------------- behaviour

def test_quoted_text_is_data_never_instructions() -> None:
    p = plan("add the title 'mute the original, 2x speed and make it square'")
    assert tools(p) == ["add_title"]
    assert p.ops[0] == AddTitle("mute the original, 2x speed and make it square", 0, None,
                                "center")


def test_labelled_caption_text_is_data() -> None:
    p = plan("captions: make it square / speed up 2x")
    assert tools(p) == ["add_captions"]
    assert p.ops[0].args()["lines"] == ["make it square", "speed up 2x"]


def test_nothing_is_dropped_silently() -> None:
    p = plan("make it square, add a glitch transition and sparkle stickers")
    assert tools(p) == ["set_aspect"]
    assert p.not_understood == ("add a glitch transition", "sparkle stickers")


def test_unknown_quoted_text_is_reported_in_the_users_words() -> None:
    p = plan("add lo-fi music and a sticker “Wow”")
    assert tools(p) == ["add_music"]
    assert p.not_understood == ("a sticker “Wow”",)
    assert tools(plan("and “Wow” at the top")) == ["add_title"]


@pytest.mark.parametrize("text", ["make it quieter", "lower the volume", "it's too loud",
                                  "声音调小一点", "降低音量", "make it louder", "声音大一点"])
def test_overall_volume_under_loudness_normalisation_changes_nothing_and_says_why(
        text: str) -> None:
    p = plan(text)
    assert p.ops == () and p.not_understood == ()
    reply = describe_plan(p, "zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en")
    assert "14 LUFS" in reply and "didn't find" not in reply


def test_overall_volume_scales_every_sound_once_normalisation_is_off() -> None:
    with_music = AddMusic(mood="lofi", volume_pct=40).apply(DRAFT, CTX)
    p = RulePlanner().plan("turn off loudness normalisation, then make it quieter", with_music, CTX)
    assert [(op.tool, op.args()) for op in p.ops] == [
        ("set_original_audio", {"volume_pct": 50}), ("set_music", {"volume_pct": 20}),
        ("set_loudnorm", {"enabled": False})]
    wire = encode_draft(DRAFT)
    quiet = decode_draft({**wire, "m": {**wire["m"], "loudnorm": False}})
    louder = RulePlanner().plan("make it louder", quiet, CTX)
    assert [(op.tool, op.args()) for op in louder.ops] == [
        ("set_original_audio", {"volume_pct": 150})] and louder.notes == ()
    # a named track is its own rule: the music, not everything
    assert tools(RulePlanner().plan("make the music quieter", with_music, CTX)) == ["set_music"]


def test_empty_instruction() -> None:
    p = plan("   ")
    assert p == Plan()
    assert describe_plan(p, "en").startswith("I didn't find an edit")


def test_music_by_the_users_file_name() -> None:
    song = MediaItem("a1", "/m/Summer Song.mp3", "Summer Song.mp3", "audio", 30_000)
    ctx = PlanContext((CLIP, song))
    p = RulePlanner().plan("use summer song as the music at 40%", initial_draft(ctx), ctx)
    assert p.ops == (AddMusic(file="Summer Song.mp3", volume_pct=40),)


def test_music_settings_without_music_add_the_default_track_visibly() -> None:
    p = plan("music at 25%")
    assert p.ops == (AddMusic(mood="lofi", volume_pct=25),)
    assert "Lo-fi" in describe_plan(p, "en")


def test_keep_the_last_seconds_uses_the_timeline_length() -> None:
    assert plan("keep the last 5 seconds").ops[0].args() == {"start_ms": 15_000}


def test_fit_is_kept_when_not_mentioned() -> None:
    blurred = SetAspect("1:1", "blur").apply(DRAFT, CTX)
    p = RulePlanner().plan("make it a reel", blurred, CTX)
    assert p.ops == (SetAspect("9:16", "blur", "reels"),)


def test_apply_plan_returns_a_new_draft() -> None:
    before = copy.deepcopy(DRAFT)
    after = encode_draft(apply_plan(DRAFT, plan("square, b&w, title 'X'"), CTX))
    assert DRAFT == before
    assert after["m"]["ratio"] == "1:1" and after["m"]["look"] == "bw"


def test_reply_lists_exactly_what_was_applied_and_what_was_not() -> None:
    p = plan("crop to square, add lo-fi music at 35% and the title 'Urban Dreams', add confetti")
    assert describe_plan(p, "en") == (
        "Done:\n"
        "- Reframed to 1:1 (1080×1080), centre-cropped to fill.\n"
        "- Added the built-in Lo-fi track at 35%.\n"
        "- Added the title “Urban Dreams” (0–3 s, centre).\n"
        "Not done: “add confetti” — not supported by the local engine.\n"
        "The crop follows the subject (faces first, then the main movement); say “keep it "
        "centred” for a fixed centre crop.")


def test_reply_in_chinese() -> None:
    p = plan("裁剪成方形，加上轻松的音乐，标题“城市之梦”，加个转场")
    assert describe_plan(p, "zh") == (
        "已完成：\n"
        "- 画面改为 1:1（1080×1080），居中裁剪填满。\n"
        "- 已添加内置的轻松音乐。\n"
        "- 已添加标题“城市之梦”（0–3 秒，居中）。\n"
        "- 已在片段之间添加交叉淡化转场（0.4 秒），声音随之交叉淡化。\n"
        "The crop follows the subject (faces first, then the main movement); say “keep it "
        "centred” for a fixed centre crop.")


def test_single_op_reply() -> None:
    assert describe_plan(plan("2x"), "en") == "Done. Speed set to 2×."


# ---------------------------------------------------------------- hybrid and default

class FakePlanner:
    """Records what it was asked; answers with a fixed plan or raises."""

    def __init__(self, answer: Plan | None = None, error: Exception | None = None) -> None:
        self.answer = answer or Plan()
        self.error = error
        self.history: list[tuple[str, dict[str, Any]]] = []

    def plan(self, instruction: str, draft: Draft, ctx: PlanContext) -> Plan:
        self.history.append((instruction, encode_draft(draft)))
        if self.error:
            raise self.error
        return self.answer


def test_hybrid_sends_only_the_leftovers_with_the_rules_applied() -> None:
    fallback = FakePlanner(Plan((AddTitle("VHS"),), ("vhs glitch",)))
    p = HybridPlanner(RulePlanner(), fallback).plan("make it square and add a vhs glitch look",
                                                    DRAFT, CTX)
    assert [h[0] for h in fallback.history] == ["add a vhs glitch look"]
    assert fallback.history[0][1]["m"]["ratio"] == "1:1"     # Claude sees the square draft
    assert tools(p) == ["set_aspect", "add_title"]
    assert p.not_understood == ("vhs glitch",)


def test_hybrid_does_not_call_the_fallback_when_the_rules_understood_everything() -> None:
    fallback = FakePlanner()
    HybridPlanner(RulePlanner(), fallback).plan("make it square", DRAFT, CTX)
    assert fallback.history == []


@pytest.mark.parametrize("error", [
    ApiError("x", key="plan_claude_busy", status=529),
    NetworkError("x", key="plan_claude_network"),
])
def test_hybrid_keeps_the_rules_result_when_claude_fails(error: Exception) -> None:
    p = HybridPlanner(RulePlanner(), FakePlanner(error=error)).plan(
        "make it square and add a vhs glitch look", DRAFT, CTX)
    assert tools(p) == ["set_aspect"]
    assert p.not_understood == ("add a vhs glitch look",)
    reply = describe_plan(p, "en")
    assert "Not done: “add a vhs glitch look” — not supported by the local engine." in reply
    assert "Claude" in reply


def test_default_planner_is_the_rules_without_a_key() -> None:
    assert isinstance(default_planner(), RulePlanner)


def test_default_planner_uses_claude_with_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-000000")
    planner = default_planner()
    assert isinstance(planner, HybridPlanner)
    assert type(planner.fallback).__name__ == "ClaudePlanner"


# ---------------------------------------------------------------- properties

_WORDS = st.sampled_from(["crop", "square", "music", "35%", "2x", "title", "from", "to", "5s",
                          "and", ",", "淡入", "字幕", "：", "'", "“", "」", "/", "first", "last",
                          "cut", "静音", "原声", "0:05", "9:16", "黑白", "fade", "out", "😀"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=60), st.lists(_WORDS, max_size=12).map(" ".join)))
def test_any_text_plans_without_crashing_and_applies_or_explains(text: str) -> None:
    p = plan(text)
    try:
        apply_plan(DRAFT, p, CTX)
    except SkillError as exc:      # a clear, renderable message, never a foreign exception
        assert render_ok(exc)
    describe_plan(p, "en")


def render_ok(exc: SkillError) -> bool:
    return bool(render(exc.key, "en", **exc.ctx))


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters="'\n\r\ue000\ue001",
                                      blacklist_categories=["Cs"]), min_size=1, max_size=40)
       .filter(lambda s: s.strip() == s and s))
def test_quoted_title_text_comes_back_exactly(text: str) -> None:
    p = plan(f"add the title '{text}'")
    assert [op.tool for op in p.ops] == ["add_title"]
    assert p.ops[0].args()["text"] == text
