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
