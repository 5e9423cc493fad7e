"""Transcripts as text, SubRip, WebVTT and JSON, and words grouped into caption cues
(pure). Cues are short: at most :data:`MAX_LINES` lines of about :data:`EN_CHARS`
characters in English (broken between words, never inside one) or :data:`CJK_CHARS`
in Chinese (broken between characters)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from ...draft import TEXT, Draft
from .analysis import SENTENCE_STOPS, Analysis, Word, is_cjk, join_words

EN_CHARS = 32
CJK_CHARS = 16
MAX_LINES = 2
#: a pause this long, or a sentence end, starts a new cue
BREAK_PAUSE_MS = 600
MAX_CUE_MS = 4000


@dataclass(frozen=True)
class CueWords:
    """One caption: its words (times as given), laid out in ``lines``."""

    words: tuple[Word, ...]
    lines: tuple[str, ...]

    @property
    def start_ms(self) -> int:
        return self.words[0].start_ms

    @property
    def end_ms(self) -> int:
        return self.words[-1].end_ms

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _limit(words: Sequence[Word]) -> int:
    return CJK_CHARS if any(is_cjk(w.text) for w in words) else EN_CHARS


def layout_lines(words: Sequence[str], limit: int) -> list[str]:
    """Greedy lines of at most ``limit`` characters; a word never splits unless it alone
    is longer than a line (then CJK text breaks between characters)."""
    lines: list[str] = []
    cur: list[str] = []
    for w in words:
        trial = join_words([*cur, w])
        if cur and len(trial) > limit:
            lines.append(join_words(cur))
            cur = []
        if not cur and len(w) > limit and is_cjk(w):
            while len(w) > limit:
                lines.append(w[:limit])
                w = w[limit:]
        cur.append(w)
    if cur:
        lines.append(join_words(cur))
    return lines


def cues(words: Sequence[Word], *, one_word: bool = False) -> list[CueWords]:
    """Words grouped into caption cues (``one_word``: a cue per word)."""
    out: list[CueWords] = []
    group: list[Word] = []
    limit = _limit(words)

    def flush() -> None:
        if group:
            out.append(CueWords(tuple(group), tuple(layout_lines([w.text for w in group], limit))))
            group.clear()

    for w in words:
        if one_word:
            group.append(w)
            flush()
            continue
        if group:
            gap = w.start_ms - group[-1].end_ms
            ended = group[-1].text.rstrip().endswith(SENTENCE_STOPS)
            too_long = len(layout_lines([g.text for g in [*group, w]], limit)) > MAX_LINES
            if gap > BREAK_PAUSE_MS or ended or too_long or w.end_ms - group[0].start_ms > MAX_CUE_MS:
                flush()
        group.append(w)
    flush()
    return out


def _stamp(ms: int, sep: str) -> str:
    ms = max(0, ms)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, rest = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{rest:03d}"


def _timed(cs: Sequence[CueWords]) -> list[tuple[int, int, str]]:
    """Cue times with every cue shown at least 0.3 s and never past the next."""
    out = []
    for i, c in enumerate(cs):
        end = max(c.end_ms, c.start_ms + 300)
        if i + 1 < len(cs):
            end = min(end, cs[i + 1].start_ms)
        out.append((c.start_ms, max(end, c.start_ms + 1), c.text))
    return out


def to_srt(cs: Sequence[CueWords]) -> str:
    blocks = [f"{i}\n{_stamp(a, ',')} --> {_stamp(b, ',')}\n{t}\n"
              for i, (a, b, t) in enumerate(_timed(cs), 1)]
    return "\n".join(blocks)


def to_vtt(cs: Sequence[CueWords]) -> str:
    blocks = [f"{_stamp(a, '.')} --> {_stamp(b, '.')}\n{t}\n" for a, b, t in _timed(cs)]
    return "WEBVTT\n\n" + "\n".join(blocks)


def to_json(a: Analysis) -> str:
    doc = {"language": a.language, "duration": a.duration_ms / 1000, "model": a.model,
           "text": a.text,
           "words": [{"start": w.start_ms / 1000, "end": w.end_ms / 1000, "word": w.text,
                      "probability": round(w.prob, 3)} for w in a.words],
           "speech": [{"start": s / 1000, "end": e / 1000} for s, e in a.speech]}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def render_transcript(a: Analysis, fmt: str) -> str:
    """The transcript in ``fmt``: ``text``, ``srt``, ``vtt`` or ``json``."""
    if fmt == "json":
        return to_json(a)
    if fmt == "srt":
        return to_srt(cues(a.words))
    if fmt == "vtt":
        return to_vtt(cues(a.words))
    lines = [c.text.replace("\n", " ") if not is_cjk(c.text) else c.text.replace("\n", "")
             for c in cues(a.words)]
    return "\n".join(lines) + ("\n" if lines else "")


def draft_srt(draft: Draft) -> str | None:
    """The caption track of a draft as SubRip, when the draft asks for one
    (``Draft.srt``, set by "also give me the srt"). Word-by-word events of one caption
    (the bold style) become one cue."""
    if not draft.srt:
        return None
    rows: list[tuple[int, int, str]] = []
    for t in draft.tracks:
        if t.type != TEXT or t.role != "caption":
            continue
        for seg in t.segments:
            text = seg.text
            if text is None or not text.strip():
                continue
            s, d = seg.start_ms, seg.dur_ms
            if rows and rows[-1][2] == text and s - rows[-1][1] <= 40:
                rows[-1] = (rows[-1][0], s + d, text)
            else:
                rows.append((s, s + d, text))
    blocks = [f"{i}\n{_stamp(a, ',')} --> {_stamp(b, ',')}\n{t}\n"
              for i, (a, b, t) in enumerate(sorted(rows), 1)]
    return "\n".join(blocks)
