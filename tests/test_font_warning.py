"""The local edit reply warns at edit time when the text has no font to draw it."""

from __future__ import annotations

from pathlib import Path

import pytest

from skill.draft import Draft, decode_draft
from skill.engine.turn import font_warning

TITLE_ZH = decode_draft({"t": [{"tt": 7, "m": {"name": "Title"},
                                "sg": [{"s": 0, "d": 3000, "m": {"text": "城市之梦"}}]}]})
TITLE_EN = decode_draft({"t": [{"tt": 7, "m": {"name": "Title"},
                                "sg": [{"s": 0, "d": 3000, "m": {"text": "Urban Dreams"}}]}]})
LATIN_FONTS = [p for p in (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),) if p.exists()]


@pytest.mark.skipif(not LATIN_FONTS, reason="needs a Latin-only font file on this machine")
def test_cjk_title_with_latin_only_font_draws_with_the_packaged_font(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IGEDIT_FONT", str(LATIN_FONTS[0]))
    assert font_warning(TITLE_ZH, "en") == ""     # the packaged CJK font draws it
    assert font_warning(TITLE_EN, "en") == ""


def test_characters_no_font_has_are_named_before_the_render() -> None:
    clef = decode_draft({"t": [{"tt": 7, "m": {"name": "Title"},
                                "sg": [{"s": 0, "d": 3000, "m": {"text": "城市 🎉 \U0001D11E"}}]}]})
    en, zh = font_warning(clef, "en"), font_warning(clef, "zh")
    assert "\U0001D11E (U+1D11E)" in en and "IGEDIT_FONT" in en
    assert "🎉" not in en and "城" not in en      # those show (packaged emoji and CJK fonts)
    assert "U+1D11E" in zh and "显示不出来" in zh


def test_no_text_no_warning() -> None:
    assert font_warning(Draft(), "en") == ""


def test_no_font_at_all_is_said(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("IGEDIT_FONT", str(tmp_path / "missing.ttf"))
    text = font_warning(TITLE_EN, "en")
    assert text and "IGEDIT_FONT" in text and "Traceback" not in text
