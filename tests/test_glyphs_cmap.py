"""The cmap reader of render/glyphs.py agrees with fontTools on every packaged font."""

from __future__ import annotations

import pytest

from skill.engine.render import glyphs
from skill.engine.render.fonts import packaged_fonts


@pytest.mark.parametrize("font", packaged_fonts(), ids=lambda f: f.path.name)
def test_coverage_matches_fonttools(font) -> None:  # type: ignore[no-untyped-def]
    from fontTools.ttLib import TTFont

    with TTFont(str(font.path), fontNumber=0, lazy=True) as tt:
        mapped: set[int] = set()
        for table in tt["cmap"].tables:
            if table.isUnicode():
                mapped |= {cp for cp, name in table.cmap.items() if name != ".notdef"}
    ours = glyphs.coverage(font.path)
    assert ours, f"nothing read from {font.path.name}"
    assert ours == mapped, (f"{font.path.name}: {len(ours - mapped)} extra, "
                            f"{len(mapped - ours)} missing code points")
