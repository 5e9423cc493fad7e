"""Titles that show: every character checked against the font that will draw it.

The fonts that ship inside pip packages (declared in ``pyproject.toml``, so a fresh
machine with Python and pip has them; see ``docs/fonts.md`` for why these):

* WenQuanYi Micro Hei (``paperang-p2-fonts-cjk``): Chinese, simplified and traditional,
  plus Japanese kana, Hangul and Latin — the CJK font found first;
* Noto Sans, Noto Sans Symbols and Noto Emoji, monochrome (``manimgx-fonts``).

A title is drawn with one primary font (:func:`~.fonts.find_font`); each character
that font lacks is drawn with the first packaged font whose ``cmap`` maps it, as an
explicit font switch in the ASS text (libass does not fall back to fonts it was only
given in ``fontsdir``). Characters no font maps are *missing*: the reply names them
before the render, and an export with missing characters is not "ready to post".

Coverage is read from the font's own ``cmap`` table (formats 4 and 12, glyph ids
resolved, so a code point mapped to ``.notdef`` counts as missing). This small reader is
kept rather than fontTools' because it is what runs on every planned title: on the 5 MB
CJK font it takes 0.07 s against fontTools' 0.30 s (``getBestCmap``, lazy load), and needs
no import. ``tests/test_glyphs_cmap.py`` checks it against fontTools on every packaged font.
"""

from __future__ import annotations

import struct
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .fonts import Font, packaged_fonts

if TYPE_CHECKING:
    from ...draft import Draft

#: the most a font file may be for its cmap to be read whole (the CJK one is 5 MB)
_MAX_FONT_BYTES = 64 * 1024 * 1024


# ------------------------------------------------------------------ cmap coverage

def _u16(data: bytes, at: int) -> int:
    return int(struct.unpack_from(">H", data, at)[0])


def _format4(data: bytes, sub: int) -> set[int]:
    seg2 = _u16(data, sub + 6)
    ends_at, starts_at = sub + 14, sub + 16 + seg2
    deltas_at, ranges_at = starts_at + seg2, starts_at + 2 * seg2
    out: set[int] = set()
    for i in range(seg2 // 2):
        end, start = _u16(data, ends_at + 2 * i), _u16(data, starts_at + 2 * i)
        delta, range_off = _u16(data, deltas_at + 2 * i), _u16(data, ranges_at + 2 * i)
        for cp in range(start, min(end, 0xFFFE) + 1):
            if range_off == 0:
                gid = (cp + delta) & 0xFFFF
            else:
                at = ranges_at + 2 * i + range_off + 2 * (cp - start)
                gid = _u16(data, at) if at + 2 <= len(data) else 0
                gid = (gid + delta) & 0xFFFF if gid else 0
            if gid:
                out.add(cp)
    return out


def _format12(data: bytes, sub: int) -> set[int]:
    groups = int(struct.unpack_from(">I", data, sub + 12)[0])
    out: set[int] = set()
    for g in range(groups):
        start, end, gid = struct.unpack_from(">III", data, sub + 16 + 12 * g)
        first = start if gid else start + 1   # a group starting at glyph 0 maps .notdef
        out.update(range(first, min(end, 0x10FFFF) + 1))
    return out


def _cmap_offset(data: bytes) -> int | None:
    base = int(struct.unpack_from(">I", data, 12)[0]) if data[:4] == b"ttcf" else 0
    for i in range(_u16(data, base + 4)):
        tag, _chk, off, _len = struct.unpack_from(">4sIII", data, base + 12 + 16 * i)
        if tag == b"cmap":
            return int(off)
    return None


@lru_cache(maxsize=16)
def coverage(path: Path) -> frozenset[int]:
    """Every code point the font maps to a real glyph (first font of a collection)."""
    try:
        if Path(path).stat().st_size > _MAX_FONT_BYTES:
            return frozenset()
        data = Path(path).read_bytes()
        off = _cmap_offset(data)
        if off is None:
            return frozenset()
        found: set[int] = set()
        for i in range(_u16(data, off + 2)):
            plat, enc, sub_off = struct.unpack_from(">HHI", data, off + 4 + 8 * i)
            if (plat, enc) not in ((3, 1), (3, 10), (0, 3), (0, 4), (0, 6)):
                continue
            fmt = _u16(data, off + sub_off)
            if fmt == 12:
                found |= _format12(data, off + sub_off)
            elif fmt == 4:
                found |= _format4(data, off + sub_off)
        return frozenset(found)
    except (OSError, struct.error, IndexError, ValueError):
        return frozenset()


def needs_glyph(ch: str) -> bool:
    """False for characters nothing is drawn for: spaces, controls, joiners, variation
    selectors (an emoji's U+FE0F is a request for a style, not a glyph of its own)."""
    if ch.isspace():
        return False
    cp = ord(ch)
    if 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF or 0xE0020 <= cp <= 0xE007F:
        return False
    return unicodedata.category(ch) not in ("Cc", "Cf", "Zs", "Zl", "Zp")


# ------------------------------------------------------------------ assignment (pure)

def font_for(ch: str, fonts: Sequence[Font]) -> Font | None:
    """The first of ``fonts`` that maps ``ch`` (None: none of them does)."""
    cp = ord(ch)
    return next((f for f in fonts if cp in coverage(f.path)), None)


def chain(primary: Font | None) -> list[Font]:
    """The fonts a title is drawn with, in order: the primary, then the packaged ones."""
    fonts = [primary] if primary is not None else []
    return fonts + [f for f in packaged_fonts() if primary is None or f.path != primary.path]


def missing(text: str, fonts: Sequence[Font]) -> str:
    """The characters of ``text`` (each once, in order) that none of ``fonts`` maps."""
    out: list[str] = []
    for ch in text:
        if ch not in out and needs_glyph(ch) and font_for(ch, fonts) is None:
            out.append(ch)
    return "".join(out)


def fallbacks(text: str, fonts: Sequence[Font]) -> list[Font]:
    """The fonts after the first that ``text`` needs (those drawing some character)."""
    used: list[Font] = []
    if not fonts:
        return used
    for ch in set(text):
        if not needs_glyph(ch):
            continue
        font = font_for(ch, fonts)
        if font is not None and font is not fonts[0] and font not in used:
            used.append(font)
    return sorted(used, key=lambda f: list(fonts).index(f))


def family_map(fonts: Sequence[Font]) -> Callable[[str], str | None]:
    """A function from a character to the family to switch to (None: the primary's)."""
    primary = fonts[0] if fonts else None

    def family(ch: str) -> str | None:
        if not needs_glyph(ch) or primary is None:
            return None
        font = font_for(ch, fonts)
        return None if font is None or font is primary else font.family

    return family


def draft_texts(draft: Draft) -> str:
    """All title and caption text of a draft, one string."""
    from ...draft import TEXT

    return " ".join(s.text or "" for t in draft.tracks if t.type == TEXT for s in t.segments)


def missing_in_draft(draft: Draft) -> str:
    """Characters of the draft's text that no font will draw ("" when all show, or when
    there is no text or no font at all — that is said by ``error_no_font``)."""
    from ...errors import SkillError
    from .fonts import find_font

    text = draft_texts(draft)
    if not text.strip():
        return ""
    try:
        primary = find_font(text)
    except SkillError:
        return ""
    return missing(text, chain(primary))


def describe(chars: Iterable[str]) -> str:
    """Missing characters for a reply: each with its code point (U+1F984 🦄)."""
    return ", ".join(f"{ch} (U+{ord(ch):04X})" for ch in chars)
