"""Titles that show (issue 11 item 8): Chinese (简体 and 繁體) and emoji draw with the
fonts that pip installs, on a machine whose own fonts are hidden from libass; a
character no font has is named before the render and the export is not "ready to post"."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from skill.draft import Draft, decode_draft
from skill.engine.render import fonts as fonts_mod
from skill.engine.render import glyphs
from skill.engine.render.fonts import find_font
from skill.engine.render.pipeline import RenderOptions, render
from skill.engine.render.textass import build_ass, with_fonts
from tests import media

BAND = (slice(170, 370), slice(60, 480))   # the middle of the 540×540 preview


@pytest.fixture()
def no_system_fonts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """fontconfig (which libass asks for fonts) sees no font folder at all: whatever is
    drawn comes from the fonts igedit stages for libass, i.e. the packaged ones."""
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
                    f"<fontconfig><cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>\n",
                    encoding="utf-8")
    monkeypatch.setenv("FONTCONFIG_FILE", str(conf))
    monkeypatch.delenv("IGEDIT_FONT", raising=False)
    if shutil.which("fc-list"):
        listed = subprocess.run(["fc-list"], capture_output=True, text=True, check=False)
        assert listed.stdout.strip() == ""
    return conf


def _uncovered_han() -> str:
    """A CJK Extension B character that none of the packaged fonts has (draws as tofu)."""
    fonts = fonts_mod.packaged_fonts()
    for cp in range(0x2A6D6, 0x20000, -1):
        if all(cp not in glyphs.coverage(f.path) for f in fonts):
            return chr(cp)
    raise AssertionError("every Extension B character is covered")


def _draft(src: Path, text: str) -> Draft:
    return decode_draft({"t": [{"tt": 0, "m": {"name": "c"},
                   "sg": [{"s": 0, "d": 1000, "m": {"src": str(src), "kind": "video"}}]},
                  {"tt": 7, "m": {"name": "Title", "role": "title"},
                   "sg": [{"s": 0, "d": 1000, "m": {"text": text, "position": "center",
                                                     "size": 200}}]}],
            "m": {"ratio": "1:1", "w": 1080, "h": 1080, "loudnorm": False}})


def _frame(tmp_path: Path, text: str, name: str) -> tuple[np.ndarray, list[str]]:
    src = media.solid_clip(tmp_path / "solid.mp4", audio=True)
    rep = asyncio.run(render(_draft(src, text), tmp_path / f"{name}.mp4",
                             work_dir=tmp_path / f"w-{name}", music_dir=tmp_path / "m",
                             options=RenderOptions(preview=True)))
    assert rep.violations == []
    return media.frames_rgb(rep.path, [0.5])[0][BAND].astype(int), rep.warnings


def _differ(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


def test_chinese_and_emoji_draw_with_packaged_fonts_only(
        tmp_path: Path, no_system_fonts: Path) -> None:
    font = find_font("城市之梦")
    assert font.cjk and "paperang_p2_fonts_cjk" in str(font.path)   # found first
    tofu, warned = _frame(tmp_path, _uncovered_han(), "tofu")
    assert warned and "U+2" in warned[0]          # the missing character is named
    drawn = {}
    for name, text in (("simplified", "梦"), ("traditional", "夢"), ("city", "城"),
                       ("emoji", "🎉")):
        drawn[name], warnings = _frame(tmp_path, text, name)
        assert warnings == []
        assert drawn[name].std() > 10, name                  # something was drawn
        assert _differ(drawn[name], tofu) > 2, name          # and it is not the box
    # real glyphs differ from each other; boxes would all be the same
    assert _differ(drawn["simplified"], drawn["traditional"]) > 2
    assert _differ(drawn["simplified"], drawn["city"]) > 2


def test_emoji_runs_switch_to_the_emoji_font() -> None:
    fonts = glyphs.chain(find_font("城市"))
    family = glyphs.family_map(fonts)
    assert with_fonts("城市 🎉!", family) == "城市 {\\fnNoto Emoji}🎉{\\fn}!"
    # a line never ends in another font: the next (wrapped) line starts in the style's
    assert with_fonts("Hi 🎉", family) == "Hi {\\fnNoto Emoji}🎉{\\fn}"
    ass = build_ass([], 1080, 1080, fonts[0].family, family)
    assert "WenQuanYi Micro Hei" in ass


def test_hostile_text_cannot_escape_a_font_switch() -> None:
    family = glyphs.family_map(glyphs.chain(find_font("城")))
    line = with_fonts("a\\🎉{\\b1}\\N", family)
    # the backslash before the switch is followed by a word joiner, braces stay literal
    assert line == "a\\\u2060{\\fnNoto Emoji}🎉{\\fn}\\{\\b1\\}\\\u2060N"


def test_export_with_a_missing_character_is_not_ready_to_post(tmp_path: Path) -> None:
    clip = media.plain_clip(tmp_path / "clip.mp4", seconds=1.0)
    out = tmp_path / "post.mp4"
    done = subprocess.run(
        [sys.executable, "-m", "skill", "--lang", "en", "--backend", "local", "make", str(clip),
         f"title '{_uncovered_han()} 城市'", "-o", str(out)],
        cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True,
        timeout=180, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    said = done.stdout
    assert "will not show" in said and "(U+2" in said
    assert said.index("will not show") < said.index("Saved")     # before the render
    assert "ready to post" not in said and "do not show" in said and out.is_file()


def test_missing_characters_of_a_draft() -> None:
    lost = _uncovered_han()
    draft = {"t": [{"tt": 7, "m": {"name": "Title"},
                    "sg": [{"s": 0, "d": 1000, "m": {"text": f"城市 🎉 {lost}{lost}"}}]}]}
    assert glyphs.missing_in_draft(decode_draft(draft)) == lost
    assert glyphs.describe(lost) == f"{lost} (U+{ord(lost):04X})"
    assert glyphs.missing_in_draft(Draft()) == ""
    assert not glyphs.needs_glyph("\ufe0f") and not glyphs.needs_glyph("\u200d")
