"""Titles and captions as an ASS subtitle document for libass (pure, no I/O).

Text is data: :func:`escape_ass_text` makes every character render literally. ASS
override blocks ``{…}`` are escaped as ``\\{``/``\\}``; a backslash that would start
``\\N``, ``\\n`` or ``\\h`` gets an invisible WORD JOINER after it; every kind of line
break becomes ``\\N``, so a caption can never end its ``Dialogue:`` line or add one.

On 9:16 canvases captions (and bottom titles) sit inside the Reels safe zone: bottom
edge at or above y 1250 of 1920, x within 65–1015 of 1080. Lines are pre-wrapped by an
estimate of glyph widths (libass itself only breaks at spaces, which CJK text lacks).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..ops.style import default_size

#: Reels UI overlays on a 1080×1920 canvas, as fractions (see instagram-specs.md)
SAFE_TOP = 270 / 1920
SAFE_BOTTOM = 1250 / 1920
SAFE_SIDE = 65 / 1080
#: extra room for the outline and shadow around glyphs
_PAD = 24
_WORD_JOINER = "\u2060"
_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x85\u2028\u2029]")
_ALIGN = {"top": 8, "center": 5, "bottom": 2}
#: characters that would end a ``\\fn`` override early (never in the packaged names)
_FN_UNSAFE = str.maketrans({"\\": " ", "{": " ", "}": " "})


@dataclass(frozen=True)
class TextEvent:
    """One title or caption on the timeline."""

    start_ms: int
    end_ms: int
    text: str
    role: str = "title"            # "title" or "caption"
    position: str = ""             # "top" | "center" | "bottom" ("" = the role's default)
    size: int | None = None        # font size in canvas pixels
    y: int | None = None           # explicit bottom position in canvas pixels
    color: str = ""                # RGB hex ("FFE14D"); "" = white
    style: str = ""                # speech captions: "clean" | "bold" | "boxed" | "word"
    highlight: tuple[int, int] | None = None   # characters of ``text`` drawn highlighted

#: private-use marks around the highlighted word while wrapping and escaping
_HL_ON, _HL_OFF = "\ue000", "\ue001"
#: the current word in the bold style: yellow (ASS colours are &HBBGGRR&)
HIGHLIGHT_COLOUR = "&H00FFFF&"


def escape_ass_text(text: str) -> str:
    """``text`` as an ASS dialogue text that libass draws literally."""
    text = _BREAKS.sub("\n", text)
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch == "\n":
            out.append("\\N")
        elif ch == "{":
            out.append("\\{")
        elif ch == "}":
            out.append("\\}")
        elif ch == "\\":
            nxt = text[i + 1] if i + 1 < len(text) else ""
            out.append("\\" + _WORD_JOINER if nxt and nxt in "Nnh" else "\\")
        elif ch == "\t":
            out.append(" ")
        elif unicodedata.category(ch) == "Cc":
            continue   # other control characters: never meaningful in a caption
        else:
            out.append(ch)
    return "".join(out)


def with_fonts(line: str, family: Callable[[str], str | None] | None) -> str:
    """``line`` escaped, with a font switch (``\\fn``) around each run of characters that
    ``family`` says another font must draw; ``\\fn`` with no name returns to the style's."""
    if family is None:
        return escape_ass_text(line)
    out: list[str] = []
    run, current = "", None
    for ch in [*line, ""]:
        fam = family(ch) if ch else None
        if ch and (fam == current or (fam is None and not ch.strip())):
            run += ch
            continue
        text = escape_ass_text(run)
        if text.endswith("\\"):   # never let an escaped run's backslash eat the next brace
            text += _WORD_JOINER
        out.append(text)
        if ch:
            out.append(f"{{\\fn{_BREAKS.sub(' ', fam).translate(_FN_UNSAFE)}}}" if fam
                       else "{\\fn}")
        elif current is not None:   # the next line starts in the style's font again
            out.append("{\\fn}")
        run, current = ch, fam
    return "".join(out)


def _char_em(ch: str) -> float:
    """Rough advance width of ``ch`` in em for a bold sans font (errs on the wide side)."""
    if ch in (_HL_ON, _HL_OFF):
        return 0.0   # highlight marks become colour tags: no width
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 1.0
    if ch == " ":
        return 0.32
    if ch in "il.,;:'!|":
        return 0.35
    if ch.isupper() or ch in "mwMW@%":
        return 0.78
    return 0.62


def wrap_text(text: str, max_width_px: float, font_px: float) -> list[str]:
    """Greedy wrap of one logical line into lines of at most ``max_width_px``:
    breaks at spaces, and between wide (CJK) characters when a run is too long."""
    limit = max(1.0, max_width_px / max(font_px, 1.0))
    tokens = re.findall(r"\s+|[\u1100-\uffef]|[^\s\u1100-\uffef]+", text)
    lines: list[str] = []
    cur, width = "", 0.0
    for tok in tokens:
        w = sum(_char_em(c) for c in tok)
        if tok.isspace():
            if cur:
                cur, width = cur + " ", width + w
            continue
        if width + w > limit and cur.strip():
            lines.append(cur.rstrip())
            cur, width = "", 0.0
        if w > limit:   # a single word longer than the line: split it by characters
            for ch in tok:
                cw = _char_em(ch)
                if width + cw > limit and cur:
                    lines.append(cur)
                    cur, width = "", 0.0
                cur, width = cur + ch, width + cw
            continue
        cur, width = cur + tok, width + w
    if cur.strip() or not lines:
        lines.append(cur.rstrip())
    return lines


def _ts(ms: int) -> str:
    cs = max(0, int(round(ms / 10)))
    h, rest = divmod(cs, 360000)
    m, rest = divmod(rest, 6000)
    s, cs = divmod(rest, 100)
    return f"{h}:{m:02d}:{s:02d}.{cs:02d}"


def is_reel_canvas(width: int, height: int) -> bool:
    return abs(width * 16 - height * 9) <= 16


@dataclass(frozen=True)
class _Layout:
    align: int
    margin_l: int
    margin_r: int
    margin_v: int


def layout(role: str, position: str, width: int, height: int) -> _Layout:
    """Alignment and margins of a title/caption on a ``width``×``height`` canvas."""
    position = position if position in _ALIGN else ("center" if role == "title" else "bottom")
    reel = is_reel_canvas(width, height)
    if reel:
        side = int(round(SAFE_SIDE * width)) + _PAD
        top = int(round(SAFE_TOP * height)) + _PAD
        bottom = height - int(round(SAFE_BOTTOM * height)) + _PAD
    else:
        side = int(round(0.06 * width))
        top = bottom = int(round(0.08 * height))
    margin_v = {"top": top, "center": 0, "bottom": bottom}[position]
    return _Layout(_ALIGN[position], side, side, margin_v)


def _style(name: str, family: str, size: int, outline: int, shadow: int) -> str:
    family = _BREAKS.sub(" ", family).replace(",", " ")  # one Style line, one field
    return (f"Style: {name},{family},{size},&H00FFFFFF,&H00FFFFFF,&H00000000,&H96000000,"
            f"-1,0,0,0,100,100,0,0,1,{outline},{shadow},2,0,0,0,1")


def speech_caption_size(ev: TextEvent, size: int, avail: float) -> int:
    """Font size of a caption made from speech: bold styles a quarter larger, and small
    enough that each of its (pre-laid, at most two) lines fits the safe width unwrapped."""
    base = round(size * 1.25) if ev.style in ("bold", "word") else size
    widest = max((sum(_char_em(c) for c in line) for line in _BREAKS.sub("\n", ev.text).split("\n")),
                 default=0.0)
    if widest * base > avail:
        base = int(avail / widest)
    return max(8, base)


def build_ass(events: Sequence[TextEvent], width: int, height: int, family: str,
              fallback: Callable[[str], str | None] | None = None) -> str:
    """The complete ASS document. Coordinates are canvas pixels (``PlayRes`` = canvas),
    so a half-size preview renders the same layout scaled down. ``fallback`` names the
    family to draw a character with when ``family`` lacks it (:mod:`.glyphs`)."""
    lines = [
        "[Script Info]",
        "; generated by igedit; text is escaped data",
        "ScriptType: v4.00+",
        f"PlayResX: {width}",
        f"PlayResY: {height}",
        "WrapStyle: 0",
        "ScaledBorderAndShadow: yes",
        "YCbCr Matrix: TV.709",
        "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
        _style("Title", family, default_size("title", width, height), 5, 3),
        _style("Caption", family, default_size("caption", width, height), 4, 2),
        *([_style("CaptionBox", family, default_size("caption", width, height), 10, 0)
           .replace(",1,10,0,2,", ",3,10,0,2,").replace("&H00000000,&H96000000", "&H80000000,&H80000000")]
          if any(ev.style == "boxed" for ev in events) else []),
        "",
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    for ev in events:
        if ev.end_ms <= ev.start_ms or not ev.text.strip():
            continue
        role = "caption" if ev.role == "caption" else "title"
        size = ev.size if ev.size and 8 <= ev.size <= height else default_size(role, width, height)
        lay = layout(role, ev.position, width, height)
        avail = width - lay.margin_l - lay.margin_r
        text = ev.text
        if ev.style:
            size = speech_caption_size(ev, size, avail)
        if ev.highlight and 0 <= ev.highlight[0] < ev.highlight[1] <= len(text):
            a, b = ev.highlight
            text = f"{text[:a]}{_HL_ON}{text[a:b]}{_HL_OFF}{text[b:]}"
        wrapped = [w for para in _BREAKS.sub("\n", text).split("\n")
                   for w in wrap_text(para, avail, size)]
        body = "\\N".join(with_fonts(w, fallback) for w in wrapped)
        body = body.replace(_HL_ON, f"{{\\1c{HIGHLIGHT_COLOUR}}}").replace(_HL_OFF, "{\\1c&HFFFFFF&}")
        tags = f"\\an{lay.align}"
        if ev.style:
            tags += ("\\b1" if ev.style in ("bold", "word") else "") + f"\\fs{size}"
        if ev.size and ev.size == size:
            tags += f"\\fs{size}"
        if ev.y is not None:
            y = max(size, min(height, int(ev.y)))
            tags = f"\\an2\\pos({width // 2},{y})" + (f"\\fs{size}" if ev.size else "")
        if re.fullmatch(r"[0-9A-Fa-f]{6}", ev.color or ""):   # ASS colours are BGR
            bgr = (ev.color[4:6] + ev.color[2:4] + ev.color[0:2]).upper()
            tags += f"\\c&H{bgr}&"
        style = "Title" if role == "title" else ("CaptionBox" if ev.style == "boxed" else "Caption")
        lines.append(f"Dialogue: {1 if role == 'title' else 0},{_ts(ev.start_ms)},{_ts(ev.end_ms)},"
                     f"{style},,{lay.margin_l},{lay.margin_r},{lay.margin_v},,{{{tags}}}{body}")
    return "\n".join(lines) + "\n"
