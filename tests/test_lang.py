"""Which language the user's words are in (for replies and the remembered language)."""

from __future__ import annotations

import pytest

from skill.lang import spoken_lang


@pytest.mark.parametrize(("text", "lang"), [
    ("导出", "zh"), ("clip.mp4 加音乐", "zh"), ("make it square", "en"),
    ("add music to clip.mp4", "en"), ("/tmp/a.mp4", None), ("C:\\Users\\me\\a.mov", None),
    ("https://example.com/a.mp4", None), ("~/clips/a.mov 30", None), ("30", None), ("", None),
])
def test_spoken_lang(text: str, lang: str | None) -> None:
    assert spoken_lang(text) == lang


def test_lang_policy_precedence_flag_then_lang_command_then_words_then_remembered() -> None:
    from skill.lang import LangPolicy

    remembered = LangPolicy(remembered="zh")
    assert remembered.current == "zh" and not remembered.fixed
    assert remembered.for_command("") == "zh"              # no words: what was remembered
    assert remembered.for_command("make it square") == "en"   # words of this turn win
    words = LangPolicy()
    assert words.hear("把视频剪成方形") == "zh" and words.hear("a.mp4") == "zh"  # no words
    assert words.hear("make it square") == "en"              # the words of this turn
    assert words.choose("en") == "en" and words.fixed
    assert words.hear("把视频剪成方形") == "en"              # /lang beats the words
    flagged = LangPolicy(flag="zh")
    assert flagged.choose("en") == "zh"                     # --lang beats /lang
    assert flagged.hear("make it square") == "zh" and flagged.for_command("hi") == "zh"
