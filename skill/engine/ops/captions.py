"""SubRip (``.srt``) and WebVTT (``.vtt``) caption files → timed cues.

One tolerant parser serves both formats: a file is a list of blank-line separated
blocks and the block's line with ``-->`` holds the timing; the lines after it are the
text. Formatting markup (``<i>``, ``<c.yellow>``, ``{\\an8}``, VTT inline timestamps)
is dropped because the renderer draws plain text; everything else is kept literally.

:func:`parse_captions` is pure; :func:`read_captions` adds the file read and the
encoding guess (UTF-8, UTF-16 with a BOM, GB18030 for Chinese files, Latin-1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ...errors import InputError

#: caption files are text; anything larger is not a caption file
MAX_CAPTION_BYTES = 5 * 1024 * 1024

_TIME = r"(?:(\d{1,3}):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}")
_TAG = re.compile(r"</?(?:[a-zA-Z][^<>]*|\d[\d:.]*)>")   # <i>, </c>, <c.red>, <v Bob>, <00:01.000>
_ASS = re.compile(r"\{\\[^{}]*\}")                       # {\an8} override blocks some SRTs carry


@dataclass(frozen=True)
class Cue:
    """One caption: timeline times in milliseconds and its text (may contain newlines)."""

    start_ms: int
    end_ms: int
    text: str


def _ms(h: str | None, m: str, s: str, frac: str | None) -> int:
    millis = int((frac or "0").ljust(3, "0")[:3])
    return ((int(h or 0) * 60 + int(m)) * 60 + int(s)) * 1000 + millis


def _clean(line: str) -> str:
    line = _ASS.sub("", _TAG.sub("", line))
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&nbsp;", " "), ("&amp;", "&")):
        line = line.replace(entity, char)
    return line.strip()


def parse_captions(text: str) -> list[Cue]:
    """Every cue in an SRT or VTT document, sorted by start; malformed blocks are skipped."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    cues: list[Cue] = []
    for block in re.split(r"\n[ \t]*\n", text):
        lines = block.strip("\n").split("\n")
        # the timing is line 1 (VTT without identifier), 2 (SRT index / VTT id) or 3
        # (a WEBVTT header glued to the first cue); NOTE/STYLE blocks never have one
        for i, line in enumerate(lines[:3]):
            match = _TIMING.match(line)
            if match is None:
                continue
            g = match.groups()
            start, end = _ms(*g[:4]), _ms(*g[4:])
            body = [_clean(ln) for ln in lines[i + 1:]]
            words = "\n".join(ln for ln in body if ln)
            if words and end > start:
                cues.append(Cue(start, end, words))
            break
    cues.sort(key=lambda c: (c.start_ms, c.end_ms))
    return cues


def decode_text(data: bytes) -> str:
    """Caption bytes → text, guessing the encoding the way subtitle players do."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def read_captions(path: str | Path) -> list[Cue]:
    """Cues of a caption file on disk; :class:`InputError` when it has none or cannot be read."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_CAPTION_BYTES:
            raise InputError(f"{p.name} is too large for a caption file", key="plan_captions_invalid",
                             file=p.name)
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {p.name}", key="file_missing", file=p.name) from exc
    cues = parse_captions(decode_text(data))
    if not cues:
        raise InputError(f"{p.name} has no timed captions", key="plan_captions_invalid", file=p.name)
    return cues
