"""Done vs not done (issue 12 items 4-6): what an edit did, the exact words it did not do
and why, never destroying what was not asked, looks that compose, times clamped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from skill.draft import Draft, encode_draft
from skill.engine.ops import AddCaptions, AddMusic, AddTitle, MediaItem, PlanContext, initial_draft
from skill.engine.ops.draftedit import AUDIO, TEXT, total_ms, track, video_segments
from skill.engine.plan.outcome import classify, describe, settle_plan
from skill.engine.plan.planner import Plan as PlanT
from skill.engine.plan.planner import RulePlanner, apply_plan

ROOT = Path(__file__).resolve().parent.parent
LABELLED = yaml.safe_load((ROOT / "fixtures" / "labelled_requests.yaml").read_text("utf-8"))
CLIP = MediaItem("v1", "/v/city.mp4", "city.mp4", "video", 15_000, 1920, 1080, True)


def rich_draft(lang: str) -> tuple[Draft, PlanContext]:
    """A 15 s clip with its own sound, music, a title and captions."""
    ctx = PlanContext((CLIP,), lang=lang)
    plan = PlanT((AddMusic(mood="chill", volume_pct=40), AddTitle("Hello"),
                  AddCaptions(("one", "two", "three"))))
    return apply_plan(initial_draft(ctx), plan, ctx), ctx


def effects(before: Draft, after: Draft) -> set[str]:
    """The destructive effects of an edit, measured on the drafts."""
    out: set[str] = set()

    def source_ms(d: Draft) -> float:
        return sum(s.dur_ms * float(s.speed or 1) for s in video_segments(d))

    def clip_volume(d: Draft) -> float:
        return min(float(1.0 if s.volume is None else s.volume) for s in video_segments(d))

    def music_volume(d: Draft) -> float:
        bgm = track(d, AUDIO, "bgm")
        if not (bgm and bgm.segments):
            return 0.0
        volume = bgm.segments[0].volume
        return float(0.3 if volume is None else volume)

    def texts(d: Draft) -> int:
        return sum(len(t.segments) for t in d.tracks if t.type == TEXT)

    if clip_volume(after) < clip_volume(before) or music_volume(after) < music_volume(before):
        out.add("lowers_audio")
    if source_ms(after) < source_ms(before) - 1:
        out.add("removes_footage")
    if len(after.tracks) < len(before.tracks):
        out.add("drops_tracks")
    elif texts(after) < texts(before) and "removes_footage" not in out:
        out.add("drops_tracks")   # captions on footage that was cut go with it
    return out


CASES = [(lang, case) for lang in ("en", "zh") for case in LABELLED[lang]]


@pytest.mark.parametrize(("lang", "case"), CASES, ids=[c["say"] for _, c in CASES])
def test_no_request_destroys_what_its_label_does_not_ask(lang: str, case: dict[str, Any]) -> None:
    draft, ctx = rich_draft(lang)
    plan = RulePlanner().plan(case["say"], draft, ctx)
    settled = settle_plan(plan.ops, plan.not_understood, draft, ctx)
    after = apply_plan(draft, PlanT(settled.ops), ctx)
    assert effects(draft, after) == set(case["labels"]), [op.args() for op in settled.ops]
    if case.get("not_done"):
        assert not settled.ops and settled.not_done, "must be reported as not done"
        assert settled.not_done[0].reason != "clip_short"
    else:
        assert settled.ops, f"nothing done for {case['say']!r}"
        assert not [n.text for n in settled.not_done if n.reason == "unclear"]


@pytest.mark.parametrize("text", [
    "actually make it square", "hmm, crop to square instead", "please just make it square then",
    "use this photo and add lo-fi music", "嗯，那个，然后变成方形吧", "那个，加上轻松的音乐吧",
])
def test_filler_and_discourse_words_are_never_reported_as_not_done(text: str) -> None:
    draft, ctx = rich_draft("zh" if any(ord(ch) > 0x3000 for ch in text) else "en")
    plan = RulePlanner().plan(text, draft, ctx)
    assert plan.ops and plan.not_understood == ()


@pytest.mark.parametrize(("text", "look"), [
    ("make it vivid and brighter", "vivid+bright"),
    ("make it vivid, brighter and warm", "vivid+bright+warm"),
    ("调亮一点，再暖一点", "bright+warm"),
])
def test_several_looks_in_one_request_compose(text: str, look: str) -> None:
    draft, ctx = rich_draft("en")
    plan = RulePlanner().plan(text, draft, ctx)
    assert [op.args() for op in plan.ops] == [{"look": look}]
    assert encode_draft(apply_plan(draft, plan, ctx))["m"]["look"] == look


def test_looks_that_cannot_combine_say_which_won() -> None:
    draft, ctx = rich_draft("en")
    plan = RulePlanner().plan("warm look, actually a cool look instead", draft, ctx)
    assert [op.args() for op in plan.ops] == [{"look": "cool"}]
    reply = describe(settle_plan(plan.ops, (), draft, ctx), "en", plan.notes)
    assert "Applied a cool look." in reply
    assert "warm cannot go with the look you asked for after it" in reply


def test_a_composed_look_chains_the_filters_of_its_parts() -> None:
    from skill.engine.render.filtergraph import LOOKS, look_filters

    assert look_filters("vivid+bright+warm") == [*LOOKS["vivid"], *LOOKS["bright"], *LOOKS["warm"]]
    assert look_filters("warm") == list(LOOKS["warm"])


@pytest.mark.parametrize(("lang", "text", "kept", "note"), [
    ("en", "keep from 0:05 to 0:50", "Kept 5–15 s.", "The clip is only 15 s long"),
    ("zh", "保留5秒到50秒", "保留了 5–15 秒", "视频只有 15 秒长"),
])
def test_out_of_range_times_are_clamped_and_the_reply_says_what_was_kept(
        lang: str, text: str, kept: str, note: str) -> None:
    draft, ctx = rich_draft(lang)
    plan = RulePlanner().plan(text, draft, ctx)
    settled = settle_plan(plan.ops, plan.not_understood, draft, ctx)
    assert [op.args() for op in settled.ops] == [{"start_ms": 5000, "end_ms": 15000}]
    reply = describe(settled, lang)
    assert kept in reply and note in reply
    assert total_ms(apply_plan(draft, PlanT(settled.ops), ctx)) == 10_000


def test_an_edit_wholly_past_the_end_is_not_done_because_the_clip_is_short() -> None:
    draft, ctx = rich_draft("en")
    plan = RulePlanner().plan("add the title 'Late' at 0:20 and make it square", draft, ctx)
    settled = settle_plan(plan.ops, plan.not_understood, draft, ctx)
    assert [op.tool for op in settled.ops] == ["set_aspect"]
    [missing] = settled.not_done
    assert missing.reason == "clip_short" and "Late" in missing.text
    assert "Not done: “the title “Late” at 20 s” — the clip is only 15 s." in describe(settled, "en")


@pytest.mark.parametrize(("words", "reason", "cloud"), [
    ("remove the silent parts", "needs_speech", True),
    ("去掉静音的部分", "needs_speech", True),
    ("export in 4K", "above_1080", False),
    ("做成4K", "above_1080", False),
    ("add a transition", "effects", True),
    ("asdkjh qwe", "unclear", False),
])
def test_reasons_come_from_the_table(words: str, reason: str, cloud: bool) -> None:
    assert classify(words) == (reason, cloud)


def test_the_cloud_is_named_only_when_it_is_an_option_and_offers_that_edit() -> None:
    draft, ctx = rich_draft("en")
    for cloud_option, expect in ((False, False), (True, True)):
        settled = settle_plan((), ("add a transition", "asdkjh qwe"), draft, ctx,
                              cloud_option=cloud_option)
        reply = describe(settled, "en")
        assert ("The cloud backend can do this" in reply) is expect
        assert [n.cloud for n in settled.not_done] == [expect, False]   # gibberish: never
    assert "unclear: I did not recognise an edit" in reply


def test_the_draft_after_an_unclear_request_is_the_draft_before() -> None:
    draft, ctx = rich_draft("en")
    plan = RulePlanner().plan("add a glitch effect", draft, ctx)
    settled = settle_plan(plan.ops, plan.not_understood, draft, ctx)
    assert apply_plan(draft, PlanT(settled.ops), ctx) == apply_plan(draft, PlanT(()), ctx)
    assert draft.ready
