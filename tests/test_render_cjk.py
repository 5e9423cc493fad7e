"""Chinese titles render as real glyphs when a CJK-capable font is on the machine."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from skill.draft import decode_draft
from skill.engine.render.fonts import find_font
from skill.engine.render.pipeline import RenderOptions, render
from skill.errors import SkillError
from tests import media


def _cjk_font_present() -> bool:
    try:
        return find_font("城市之梦").cjk
    except SkillError:
        return False


pytestmark = pytest.mark.skipif(not _cjk_font_present(),
                                reason="no CJK-capable font on this machine")


def _draft(src: Path, text: str) -> dict[str, object]:
    return {"t": [{"tt": 0, "m": {"name": "c"},
                   "sg": [{"s": 0, "d": 1000, "m": {"src": str(src), "kind": "video"}}]},
                  {"tt": 7, "m": {"name": "Title", "role": "title"},
                   "sg": [{"s": 0, "d": 1000, "m": {"text": text, "position": "center"}}]}],
            "m": {"ratio": "1:1", "w": 1080, "h": 1080, "loudnorm": False}}


def test_chinese_glyphs_differ_from_each_other(tmp_path: Path) -> None:
    src = media.solid_clip(tmp_path / "solid.mp4", audio=True)
    frames = []
    for i, text in enumerate(("城市", "之梦")):
        rep = asyncio.run(render(decode_draft(_draft(src, text)), tmp_path / f"t{i}.mp4",
                                 work_dir=tmp_path / "w", music_dir=tmp_path / "m",
                                 options=RenderOptions(preview=True)))
        assert rep.violations == [] and rep.warnings == []
        frames.append(media.frames_rgb(rep.path, [0.5])[0].astype(int))
    band = (slice(200, 340), slice(100, 440))  # the centre of the 540×540 preview
    # Missing glyphs draw the same box for every character; real ones differ.
    assert np.abs(frames[0][band] - frames[1][band]).mean() > 3
    assert frames[0][band].std() > 10  # and something was drawn at all
