"""GUI-phrase translation: whole-value rewrites, recorded streams, and the invariant
that no translated text ever tells the user to click, tap, press, drag or open."""

from __future__ import annotations

import itertools
import re

import pytest

from skill.events import decode_data
from skill.gui import GuiAction, Translation, translate
from tests.conftest import ROOT

EXPORT = GuiAction("export")

# The invariant, written independently of skill/data/gui.yaml.
EN_GUI = re.compile(r"\b(?:click|tap|press|drag)\w*|\bopen(?:s|ing)?\s+(?:up\s+)?the\b",
                    re.IGNORECASE)
ZH_GUI = re.compile(r"点击|點擊|单击|單擊|打开|打開|拖拽|拖動|拖动")


def assert_chat_only(text: str) -> None:
    assert not EN_GUI.search(text), text
    assert not ZH_GUI.search(text), text


def final_text(name: str) -> str:
    """The aggregate (non-partial) text of a recorded /run_sse stream."""
    texts = []
    for line in (ROOT / "fixtures" / "adk" / name).read_text(encoding="utf-8").splitlines():
        if line.startswith("data:"):
            texts += [e.text for e in decode_data(line[5:]) if e.kind == "text" and not e.partial]
    assert texts
    return texts[-1]


# ------------------------------------------------------------------ recorded streams
@pytest.mark.parametrize(("name", "expected"), [
    ("edit-whole-events.sse",
     'Done! I cropped the video to square (1:1), added Lo-fi background music at 35% volume, '
     'and added the title "Urban Dreams" (0-3s). Say "export" to download your video.'),
    ("edit-streaming-partials.sse",
     'Done! I cropped the video to vertical 9:16. Say "export" to download your video.'),
    ("edit-zh.sse", "完成！已添加标题“城市之梦”（0-3s）。说“导出”即可下载视频。"),
])
def test_recorded_streams(name: str, expected: str) -> None:
    assert translate(final_text(name)) == Translation(expected, (EXPORT,))


# ------------------------------------------------------------------ whole values
@pytest.mark.parametrize(("text", "lang", "expected"), [
    ("Click the Export button to download your video.", None,
     Translation('Say "export" to download your video.', (EXPORT,))),
    ("点击导出按钮下载视频。", None, Translation("说“导出”即可下载视频。", (EXPORT,))),
    ("Hit the Export button in the top right to download your video.", None,
     Translation('Say "export" to download your video.', (EXPORT,))),
    ("Tap Export.", None, Translation('Say "export" to download your video.', (EXPORT,))),
    ("When you're happy, press Export.", None,
     Translation('When you\'re happy, say "export" to download your video.', (EXPORT,))),
    ("CLICK THE EXPORT BUTTON.", None,
     Translation('Say "export" to download your video.', (EXPORT,))),
    ("The Export button is in the top right.", None,
     Translation('Say "export" to download your video.', (EXPORT,))),
    ("Open the Music panel and drag Lo-fi onto the timeline.", None,
     Translation('Say "add Lo-fi to the timeline".',
                 (GuiAction("state"), GuiAction("sse", "add Lo-fi to the timeline")))),
    ("You can preview it in the timeline.", None,
     Translation('You can say "status" to see what\'s on your timeline.',
                 (GuiAction("summary"),))),
    ("Open the Text panel to edit the title.", None,
     Translation("Just ask me to edit the title.", (GuiAction("state"),))),
    ("Open the Effects panel.", None,
     Translation('Say "status" to see what\'s on your timeline.', (GuiAction("state"),))),
    ("Drag the clip to the start of the timeline to reorder it.", None,
     Translation('Say "move the clip to the start of the timeline" to reorder it.',
                 (GuiAction("sse", "move the clip to the start of the timeline"),))),
    ("Click Undo to revert the last change.", None,
     Translation('Say "undo" to revert the last change.', (GuiAction("api", "undo"),))),
    ("Click Upload to add more clips.", None,
     Translation('Say "upload" to add more clips.', (GuiAction("api", "upload"),))),
    ("Click Apply.", None, Translation('Say "apply".', (GuiAction("api", "apply"),))),
    ("打开音乐面板，把Lo-fi拖到时间线上。", None,
     Translation("说“把Lo-fi添加到时间线”即可。",
                 (GuiAction("state"), GuiAction("sse", "把Lo-fi添加到时间线")))),
    ("你可以在时间线中预览效果。", None,
     Translation("你可以说“状态”即可查看时间线。", (GuiAction("summary"),))),
    ("打开文字面板修改标题。", None,
     Translation("想修改标题，直接告诉我即可。", (GuiAction("state"),))),
    ("點擊右上角的「匯出」按鈕即可下載影片。", None,
     Translation("說“導出”即可下載影片。", (EXPORT,))),
    ("单击“撤销”按钮撤回上一步。", None,
     Translation("说“撤销”即可撤回上一步。", (GuiAction("api", "undo"),))),
    ("Click the Download icon in the top-right corner of the editor to save the MP4.", None,
     Translation('Say "export" to save the MP4.', (EXPORT,))),
    ("Simply drag it to where you want it, then click Apply.", None,
     Translation('Simply say "apply".', (GuiAction("api", "apply"),))),
    ("Tap here to continue.", None,
     Translation("Just tell me what you'd like to change and I'll do it.", ())),
    ("點擊這裡。", None, Translation("直接告訴我你想怎麼改，我來處理。", ())),
    ("I've added captions. You can drag them to reposition, or click the Text tab to change "
     "the font.", None,
     Translation("I've added captions. You can just ask me to change the font.",
                 (GuiAction("state"),))),
    ("To add more clips, click the + button or drag files into the media panel.", None,
     Translation('To add more clips, say "upload" to add your clip.', (GuiAction("api", "upload"),))),
    ("Press Ctrl+Z to undo.", None, Translation('Say "undo" to undo.', (GuiAction("api", "undo"),))),
    ("Great, I added music, click here to continue.", None,
     Translation("Great, I added music, just tell me what you'd like to change and I'll do it.", ())),
    ("字幕已添加，拖动字幕可以调整位置。", None,
     Translation("字幕已添加，直接告诉我你想怎么改，我来处理。", ())),
    ("請打開濾鏡面板選擇你喜歡的風格。", None,
     Translation("想選擇你喜歡的風格，直接告訴我即可。", (GuiAction("state"),))),
    # the reply language wins over the sentence's own; its purpose is then the default
    ("点击导出按钮下载视频。", "en", Translation('Say "export" to download your video.', (EXPORT,))),
    ("Click the Export button to download your video.", "zh",
     Translation("说“导出”即可下载视频。", (EXPORT,))),
])
def test_translations(text: str, lang: str | None, expected: Translation) -> None:
    assert translate(text, lang) == expected


@pytest.mark.parametrize("text", [
    "Done! I cropped the video to square (1:1).",
    "I added a click sound effect on the beat, and the video opens with a drone shot.",
    "完成！已添加标题“城市之梦”（0-3s）。",
    "Trimmed 2.5s from the start.\n\nAnything else?",
    "",
    "   ",
])
def test_text_without_gui_phrases_is_kept_exactly(text: str) -> None:
    assert translate(text) == Translation(text, ())


def test_only_gui_sentences_change() -> None:
    text = "Done!  Added music at 35%.\nClick Export to download.  Want captions too?"
    assert translate(text).text == (
        "Done!  Added music at 35%.\nSay \"export\" to download.  Want captions too?")


def test_actions_are_unique_and_in_order() -> None:
    tr = translate("Open the Music panel. Click Export. Then click the Export button again.")
    assert tr.actions == (GuiAction("state"), EXPORT)


# ------------------------------------------------------------------ the invariant
_EN_VERBS = ["Click", "click", "Tap", "tap", "Press", "press", "Hit", "hit", "Double-click",
             "Right-click", "CLICK", "Click on"]
_EN_TARGETS = ["the Export button", "Export", '"Export"', "the export button", "the Download icon",
               "Undo", "the Save button", "the Upload button", "the blue Export button",
               "the Apply button", "the Text tab"]
_EN_WHERE = ["", " in the top right", " in the top-right corner of the editor",
             " at the bottom of the screen", " (top right)", " below"]
_EN_TAILS = [".", " to download your video.", " when you're ready!", " to save your changes.",
             ", then open the Music panel.", " and drag the clip to the timeline."]
_ZH = [
    "点击导出按钮下载视频。", "點擊導出按鈕下載視頻。", "单击导出。", "單擊「匯出」按鈕。",
    "请点击右上角的导出按钮即可下载。", "打开音乐面板选择一首歌。", "打開文字面板。",
    "将Lo-fi拖拽到时间线上。", "把音乐拖动到音频轨道。", "拖拽片段调整顺序。",
    "你可以在时间线中预览效果。", "点一下播放按钮预览。", "打开设置，然后点击导出。",
    "完成后，点击“导出”按钮即可。", "轻触导出图标下载。", "拖動字幕到畫面頂部。",
]
_EN_OTHER = [
    "Open the Music panel and drag Lo-fi onto the timeline.",
    "Open up the Effects library to browse filters.",
    "You can preview it in the timeline.",
    "Drag and drop your clips into the media bin.",
    "Drag the edges of the clip to trim it.",
    "Drop the sticker onto the canvas.",
    "Press play to preview.",
    "Tap here to continue.",
    "Select the clip and press Delete.",
    "To change the font, open the Text panel and pick one.",
    "Right-click the clip and choose Split.",
    "Simply drag it to where you want it, then click Apply.",
    "Hit Export!",
    "PRESS THE EXPORT BUTTON NOW",
    "click",
    "Click the",
    "drag",
    "open the",
]


def _en_cases() -> list[str]:
    combos = itertools.product(_EN_VERBS, _EN_TARGETS, _EN_WHERE, _EN_TAILS)
    # a deterministic spread through the combinations keeps the test fast
    return [f"{v} {t}{w}{tail}" for i, (v, t, w, tail) in enumerate(combos) if i % 7 == 0]


@pytest.mark.parametrize("text", _en_cases() + _ZH + _EN_OTHER)
def test_no_reply_ever_points_at_the_screen(text: str) -> None:
    for lang in (None, "en", "zh"):
        tr = translate(f"Done! Added the title. {text}", lang)
        assert_chat_only(tr.text)
        assert tr.text.startswith("Done! Added the title.")


def test_partial_chunks_do_not_break() -> None:
    # streaming fragments are not sentences; they must still come back GUI-free
    for chunk in ["Done! I cropped the video ", "to vertical 9:16. Click ",
                  "the Export button to download ", "your video."]:
        assert_chat_only(translate(chunk).text)


@pytest.mark.parametrize("text", [
    "\x00", "\ud800", "Click " * 500, "点击" * 300, "Click “", "拖到", "drag   to", "open the " * 50,
    "Click the Export button" + "." * 5000, "\u200b\u3000\ufeff", "click ‘’", "Press ()",
])
def test_never_raises(text: str) -> None:
    tr = translate(text)
    assert isinstance(tr.text, str)
    assert_chat_only(tr.text)
