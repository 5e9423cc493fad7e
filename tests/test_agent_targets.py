"""Instagram targets by name, text style and format requests (issue 12 items 7 and 8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from skill.draft import Draft, encode_draft
from skill.engine.ops import AddCaptions, AddTitle, MediaItem, PlanContext, initial_draft
from skill.engine.ops.style import StyleText
from skill.engine.plan.outcome import describe, settle_plan
from skill.engine.plan.planner import Plan, RulePlanner, apply_plan
from skill.engine.render.pipeline import _text_events
from skill.engine.render.textass import build_ass, default_size
from skill.front.cli import main
from skill.targets import named_target
from tests.media import plain_clip

CLIP = MediaItem("v1", "/v/city.mp4", "city.mp4", "video", 15_000, 1920, 1080, True)


def ctx(lang: str = "en") -> PlanContext:
    return PlanContext((CLIP,), lang=lang)


def texted(lang: str = "en") -> Draft:
    c = ctx(lang)
    return apply_plan(initial_draft(c), Plan((AddTitle("Hi"), AddCaptions(("one", "two")))), c)


def reply(text: str, lang: str = "en") -> tuple[list[dict[str, object]], str]:
    draft, c = texted(lang), ctx(lang)
    plan = RulePlanner().plan(text, draft, c)
    settled = settle_plan(plan.ops, plan.not_understood, draft, c)
    return [op.args() | {"tool": op.tool} for op in settled.ops], describe(settled, lang, plan.notes)


@pytest.mark.parametrize(("text", "ratio", "target", "says"), [
    ("make it for stories", "9:16", "stories", "for Instagram Stories"),
    ("make it a Reel", "9:16", "reels", "for Instagram Reels"),
    ("square post please", "1:1", "square", "for a square Instagram post"),
    ("make it a feed post", "4:5", "feed", "for an Instagram feed post"),
    ("做成快拍", "9:16", "stories", "适用于Instagram 快拍"),
    ("做成限时动态", "9:16", "stories", "适用于Instagram 快拍"),
    ("做成帖子", "4:5", "feed", "适用于Instagram 帖子"),
])
def test_targets_by_name_set_the_canvas_and_the_reply_says_so(
        text: str, ratio: str, target: str, says: str) -> None:
    lang = "zh" if any(ord(ch) > 0x3000 for ch in text) else "en"
    ops, message = reply(text, lang)
    assert ops == [{"tool": "set_aspect", "ratio": ratio, "fit": "crop", "target": target}]
    assert says in message
    if ratio == "9:16":
        assert "14 %" in message or "14%" in message            # the safe zones, said


def test_a_target_is_remembered_and_another_reframe_forgets_it() -> None:
    c = ctx()
    draft = texted()
    for text, target in (("make it for stories", "stories"), ("crop to 4:5", None)):
        draft = apply_plan(draft, RulePlanner().plan(text, draft, c), c)
        assert encode_draft(draft)["m"].get("target") == target


@pytest.mark.parametrize(("text", "target"), [
    ("export for stories", "stories"), ("导出为快拍", "stories"), ("export it as a reel", "reels"),
    ("export", None), ("导出", None),
])
def test_an_export_names_its_target(text: str, target: str | None) -> None:
    assert named_target(text) == target


@pytest.mark.parametrize(("text", "style"), [
    ("make the title bigger", {"what": "title", "scale_pct": 130}),
    ("make the captions much smaller", {"what": "captions", "scale_pct": 60}),
    ("move the captions to the bottom", {"what": "captions", "position": "bottom"}),
    ("put the title in the middle", {"what": "title", "position": "center"}),
    ("make the captions yellow", {"what": "captions", "color": "yellow"}),
    ("字幕大一点", {"what": "captions", "scale_pct": 130}),
    ("标题小一点", {"what": "title", "scale_pct": 75}),
    ("标题放到顶部", {"what": "title", "position": "top"}),
    ("字幕改成红色", {"what": "captions", "color": "red"}),
])
def test_text_style_requests(text: str, style: dict[str, object]) -> None:
    lang = "zh" if any(ord(ch) > 0x3000 for ch in text) else "en"
    ops, message = reply(text, lang)
    assert ops == [{"tool": "style_text", **style}]
    assert "Not done" not in message and "未完成" not in message


def test_style_text_changes_what_the_renderer_draws() -> None:
    c = ctx()
    draft = apply_plan(texted(), Plan((StyleText("captions", 130, "top", "yellow"),)), c)
    events = _text_events(draft, 15_000)
    captions = [e for e in events if e.role == "caption"]
    assert {e.position for e in captions} == {"top"}
    assert {e.size for e in captions} == {round(default_size("caption", 1080, 1080) * 1.3)}
    ass = build_ass(events, 1080, 1080, "DejaVu Sans")
    assert "\\c&H4DE1FF&" in ass                              # yellow FFE14D as ASS BGR
    title = [e for e in events if e.role == "title"]
    assert title[0].color == "" and title[0].position == "center"   # the title untouched


def test_restyling_text_that_does_not_exist_is_not_done() -> None:
    c = ctx()
    draft = initial_draft(c)
    plan = RulePlanner().plan("make the title bigger", draft, c)
    settled = settle_plan(plan.ops, plan.not_understood, draft, c)
    assert not settled.ops
    assert "there is no title on the timeline yet" in describe(settled, "en")


@pytest.mark.parametrize(("text", "done", "reason"), [
    ("make it 30 fps", ["set_fps"], None),
    ("帧率改成30", ["set_fps"], None),
    ("make it 60fps", [], "failed"),      # the clip is not 60 fps: said, and it stays 30
    ("make it 120 fps", [], "fps60"),
    ("export in 4K", [], "above_1080"),
    ("make it 1440p", [], "above_1080"),
    ("做成4K", [], "above_1080"),
])
def test_format_requests(text: str, done: list[str], reason: str | None) -> None:
    c = ctx()
    draft = texted()
    plan = RulePlanner().plan(text, draft, c)
    settled = settle_plan(plan.ops, plan.not_understood, draft, c)
    assert [op.tool for op in settled.ops] == done
    assert [n.reason for n in settled.not_done] == ([reason] if reason else [])



pytestmark = pytest.mark.usefixtures("logging_as_before")   # main() configures logging


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return plain_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", seconds=2.0, size="640x360")


def test_export_for_stories_reframes_then_says_ready_as_a_story(
        capsys: pytest.CaptureFixture[str], clip: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import av

    monkeypatch.chdir(tmp_path)
    assert main(["--backend", "local", "upload", str(clip)]) == 0
    assert main(["--backend", "local", "edit", "make it a square post"]) == 0
    capsys.readouterr()
    assert main(["--backend", "local", "say", "export for stories"]) == 0
    out = capsys.readouterr().out
    assert "for Instagram Stories" in out and "ready to post as an Instagram Story" in out
    [mp4] = list(tmp_path.glob("*.mp4"))
    with av.open(str(mp4)) as container:
        v = container.streams.video[0]
        assert (v.width, v.height) == (1080, 1920)
