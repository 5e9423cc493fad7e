"""What a clip's sound says, as plain data, and the pure functions over it.

:class:`Analysis` holds one clip's speech analysis in source time (milliseconds):
voice-activity segments, loudness per 1/30 s frame (the render's frame grid, so a cut
placed on it lands on a video frame), the words with their start/end and the detected
language. Everything here is pure — samples or an :class:`Analysis` in, results out;
:mod:`.transcribe` reads files and runs the model.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

SAMPLE_RATE = 16_000
FPS = 30                     # the render's frame grid: loudness frames match video frames
SILENCE_DB = -90.0


@dataclass(frozen=True)
class Word:
    """One spoken word in source time; ``text`` keeps the model's spacing stripped."""

    start_ms: int
    end_ms: int
    text: str
    prob: float = 1.0


@dataclass(frozen=True)
class Analysis:
    """The speech analysis of one clip."""

    duration_ms: int
    language: str
    words: tuple[Word, ...] = ()
    speech: tuple[tuple[int, int], ...] = ()     # voice-activity segments [start, end) ms
    loudness: tuple[float, ...] = ()             # dBFS per 1/FPS s frame
    model: str = ""
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def text(self) -> str:
        return join_words([w.text for w in self.words], self.language)

    def to_json(self) -> dict[str, Any]:
        return {"duration_ms": self.duration_ms, "language": self.language, "model": self.model,
                "words": [[w.start_ms, w.end_ms, w.text, round(w.prob, 3)] for w in self.words],
                "speech": [list(s) for s in self.speech],
                "loudness": [round(x, 1) for x in self.loudness]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Analysis:
        return cls(duration_ms=int(data["duration_ms"]), language=str(data["language"]),
                   words=tuple(Word(int(a), int(b), str(t), float(p)) for a, b, t, p in data["words"]),
                   speech=tuple((int(a), int(b)) for a, b in data["speech"]),
                   loudness=tuple(float(x) for x in data["loudness"]), model=str(data.get("model", "")))


# ------------------------------------------------------------------ from samples

def frame_loudness(samples: np.ndarray, sr: int = SAMPLE_RATE, fps: int = FPS) -> list[float]:
    """RMS level in dBFS of each 1/``fps`` s frame of mono float samples."""
    import numpy as np

    n = -(-len(samples) * fps // sr)          # frames of exactly 1/fps s (the last may be short)
    if n == 0:
        return []
    edges = np.minimum(np.round(np.arange(n + 1) * sr / fps).astype(np.int64), len(samples))
    sq = np.concatenate([[0.0], np.cumsum(samples.astype(np.float64) ** 2)])
    counts = np.maximum(edges[1:] - edges[:-1], 1)
    rms = np.sqrt((sq[edges[1:]] - sq[edges[:-1]]) / counts)
    with np.errstate(divide="ignore"):
        db = 20 * np.log10(np.maximum(rms, 1e-12))
    return [max(SILENCE_DB, float(x)) for x in db]


def speech_segments(samples: np.ndarray, sr: int = SAMPLE_RATE, *,
                    min_silence_ms: int = 250) -> list[tuple[int, int]]:
    """Voice-activity segments (ms) by Silero VAD (the ONNX model faster-whisper carries)."""
    import numpy as np
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    opts = VadOptions(min_silence_duration_ms=min_silence_ms, speech_pad_ms=30)
    stamps = get_speech_timestamps(samples.astype(np.float32), opts, sampling_rate=sr)
    return [(int(s["start"] * 1000 // sr), int(s["end"] * 1000 // sr)) for s in stamps]


# ------------------------------------------------------------------ words and text

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


def is_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def fix_pattern(wrong: str) -> re.Pattern[str]:
    """How a correction ("fix the caption: teh → the") finds ``wrong``: as a whole word in
    Latin script, anywhere in CJK text; any case."""
    return re.compile(rf"(?<!\w){re.escape(wrong)}(?!\w)" if wrong.isascii() else re.escape(wrong),
                      re.IGNORECASE)


def _literal(text: str) -> Callable[[re.Match[str]], str]:
    """A replacement that is ``text`` as written (no backslash escapes)."""
    return lambda _m: text


def apply_fixes(a: Analysis, fixes: Sequence[Sequence[str]]) -> Analysis:
    """``a`` with each ``(wrong, right)`` correction made in its words, in order (a word
    corrected to nothing is dropped). Pure: the cached analysis stays as heard."""
    pairs = [(fix_pattern(f[0]), f[1]) for f in fixes if len(f) == 2 and f[0]]
    if not pairs:
        return a
    words = []
    for w in a.words:
        text = w.text
        for pattern, right in pairs:
            text = pattern.sub(_literal(right), text)
        if text.strip():
            words.append(Word(w.start_ms, w.end_ms, text, w.prob))
    return replace(a, words=tuple(words))


def join_words(words: Sequence[str], language: str = "") -> str:
    """Words back into text: CJK words run together, others take a space."""
    out = ""
    for w in words:
        w = w.strip()
        if not w:
            continue
        if out and not (is_cjk(w[0]) and is_cjk(out[-1])) and not re.match(r"[,.!?;:%。，！？、；：]", w):
            out += " "
        out += w
    return out


def norm_token(text: str) -> str:
    """A word as compared: lower case, no punctuation around it."""
    return re.sub(r"^[\W_]+|[\W_]+$", "", text.lower())


# ------------------------------------------------------------------ pauses

@dataclass(frozen=True)
class PauseLevel:
    """How hard "remove the silences" cuts: pauses longer than ``min_pause_ms`` go,
    keeping ``margin_ms`` of air on each side so no word is clipped."""

    min_pause_ms: int
    margin_ms: int


LEVELS: dict[str, PauseLevel] = {
    "tight": PauseLevel(300, 90),
    "normal": PauseLevel(500, 150),
    "loose": PauseLevel(900, 250),
}


def speech_spans(a: Analysis) -> list[tuple[int, int]]:
    """Where someone speaks (ms): the words and the voice-activity segments."""
    spans = [(w.start_ms, w.end_ms) for w in a.words if w.end_ms > w.start_ms]
    # voice activity too: a word whose timing runs short must not lose its sound
    return sorted([*spans, *a.speech])


def pause_cuts(a: Analysis, level: PauseLevel, lo: int = 0, hi: int | None = None) -> list[tuple[int, int]]:
    """Source spans to cut inside [lo, hi): every stretch without speech longer than
    ``level.min_pause_ms``, less the margins (the lead-in before the first word and the
    tail after the last count too)."""
    hi = a.duration_ms if hi is None else hi
    spans = [(max(lo, s), min(hi, e)) for s, e in speech_spans(a) if e > lo and s < hi]
    if not spans:
        return []
    cuts: list[tuple[int, int]] = []
    edge = [(lo - level.margin_ms, lo - level.margin_ms)]   # the clip start needs no margin
    tail = [(hi + level.margin_ms, hi + level.margin_ms)]
    cursor = edge[0][1]
    for s, e in [*spans, *tail]:
        if s - cursor > level.min_pause_ms:
            a_ = max(lo, cursor + level.margin_ms)
            b_ = min(hi, s - level.margin_ms)
            if b_ - a_ >= 2 * 1000 // FPS:
                cuts.append((a_, b_))
        cursor = max(cursor, e)
    return cuts


def snap(ms: float) -> int:
    """A time on the 30 fps frame grid (so audio and video cut on the same frame)."""
    frame = 1000 / FPS
    return int(round(round(ms / frame) * frame))


# ------------------------------------------------------------------ fillers

_EN_ALWAYS = {"um", "umm", "uh", "uhh", "er", "erm", "ah", "hmm", "mm"}
_ZH_ALWAYS = {"嗯", "呃", "额", "唔"}
_ZH_SOMETIMES = {"啊", "那个", "就是", "那個"}


def filler_indices(words: Sequence[Word]) -> list[int]:
    """Indices of filler words. "um/uh/er", "嗯/呃" always; "like", "you know",
    "啊", "那个", "就是" only where they stand apart: set off by a pause or a comma, or
    repeated — never inside a phrase ("I like it", "就是这个")."""
    out: list[int] = []
    toks = [norm_token(w.text) for w in words]
    for i, (w, t) in enumerate(zip(words, toks, strict=True)):
        prev_gap = w.start_ms - words[i - 1].end_ms if i else 10_000
        next_gap = words[i + 1].start_ms - w.end_ms if i + 1 < len(words) else 10_000
        apart = prev_gap >= 250 or next_gap >= 250 or w.text.rstrip().endswith((",", "，", "、"))
        if t in _EN_ALWAYS or t in _ZH_ALWAYS:
            out.append(i)
        elif t == "like" and (apart or (i + 1 < len(toks) and toks[i + 1] == "like")):
            out.append(i)
        elif t == "you" and i + 1 < len(toks) and toks[i + 1] == "know" and \
                (words[i + 1].text.rstrip().endswith(",") or prev_gap >= 250 or
                 (i + 2 < len(words) and words[i + 2].start_ms - words[i + 1].end_ms >= 250)):
            out.extend([i, i + 1])
        elif t in _ZH_SOMETIMES and apart:
            out.append(i)
        elif i + 1 < len(words) and t + toks[i + 1] in _ZH_SOMETIMES \
                and words[i + 1].start_ms - w.end_ms < 80 and (
                    prev_gap >= 250 or words[i + 1].text.rstrip().endswith((",", "，", "、"))
                    or (i + 2 < len(words) and words[i + 2].start_ms - words[i + 1].end_ms >= 250)
                    or i + 2 == len(words)):
            out.extend([i, i + 1])   # Whisper writes 那个 as 那 + 个: the pair stands apart
    return sorted(set(out))


# ------------------------------------------------------------------ phrases

def _units(words: Sequence[Word]) -> tuple[list[str], list[int]]:
    """Comparable units (CJK characters one by one, other words whole) and the word
    each unit belongs to."""
    units: list[str] = []
    owner: list[int] = []
    for i, w in enumerate(words):
        t = norm_token(w.text)
        parts = list(re.sub(r"[\W_]", "", t)) if is_cjk(t) else ([t] if t else [])
        units.extend(parts)
        owner.extend([i] * len(parts))
    return units, owner


def find_phrase(words: Sequence[Word], phrase: str) -> tuple[int, int] | None:
    """(first, last) word index of the first place ``phrase`` is said, or None."""
    target, _ = _units([Word(0, 0, tok) for tok in re.findall(r"[\u3400-\u9fff]|[^\s\u3400-\u9fff]+", phrase)])
    units, owner = _units(words)
    n = len(target)
    if not n:
        return None
    for i in range(len(units) - n + 1):
        if units[i:i + n] == target:
            return owner[i], owner[i + n - 1]
    return None


#: what ends a sentence in a transcript: its punctuation, or a pause longer than this
SENTENCE_STOPS = (".", "!", "?", "。", "！", "？")
SENTENCE_PAUSE_MS = 700


def ends_sentence(words: Sequence[Word], k: int) -> bool:
    """Word ``k`` ends a sentence: it carries a full stop, or the next word comes after a
    pause longer than :data:`SENTENCE_PAUSE_MS`."""
    return words[k].text.rstrip().endswith(SENTENCE_STOPS) or \
        (k + 1 < len(words) and words[k + 1].start_ms - words[k].end_ms > SENTENCE_PAUSE_MS)


def sentence_bounds(words: Sequence[Word], i: int) -> tuple[int, int]:
    """The sentence around word ``i``: up to the previous sentence end or a long pause."""
    a = i
    while a > 0 and not ends_sentence(words, a - 1):
        a -= 1
    b = i
    while b < len(words) - 1 and not ends_sentence(words, b):
        b += 1
    return a, b


def wer(ref: Sequence[str], hyp: Sequence[str]) -> float:
    """Word (or character) error rate: edit distance / reference length."""
    d = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, d[0] = d[0], i
        for j, h in enumerate(hyp, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r != h))
    return d[len(hyp)] / max(1, len(ref)) if ref else float(bool(hyp))


def db_to_text(db: float) -> str:
    return "silence" if db <= SILENCE_DB or math.isinf(db) else f"{db:.0f} dBFS"


# ------------------------------------------------------------------ word onsets

HOP_MS = 10


def refine_starts(words: Sequence[Word], samples: np.ndarray, sr: int = SAMPLE_RATE) -> list[Word]:
    """Words with their starts moved onto the sound's onset.

    Whisper's cross-attention timings run early or late by a tenth of a second or two;
    the level of 10 ms frames says where a word's sound begins: a start in quiet moves
    forward to the first loud frame of the word; a start in the sound of the word before
    moves to the onset that follows a short quiet in the word's first 60 %.
    """
    import numpy as np

    hop = sr * HOP_MS // 1000
    n = len(samples) // hop
    if n < 3 or not words:
        return list(words)
    frames = samples[: n * hop].astype(np.float64).reshape(n, hop)
    with np.errstate(divide="ignore"):
        db = 20 * np.log10(np.maximum(np.sqrt(np.mean(frames ** 2, axis=1)), 1e-9))
    floor, peak = float(np.percentile(db, 10)), float(np.percentile(db, 97))
    thr = max(floor + 12.0, peak - 30.0)
    loud = db >= thr
    out: list[Word] = []
    for w in words:
        a, b = w.start_ms // HOP_MS, max(w.start_ms // HOP_MS + 1, w.end_ms // HOP_MS)
        start = w.start_ms
        if 0 <= a < n:
            # the first onset (quiet → loud after >= 20 ms of quiet) in the word's first
            # 60 %: Whisper's start usually sits in the tail of the word before
            stop = min(n, a + max(1, int((b - a) * 0.6)))
            for k in range(max(a, 2), stop):
                if loud[k] and not loud[k - 1] and not loud[k - 2]:
                    start = k * HOP_MS
                    break
            else:
                if not loud[a]:
                    hits = np.flatnonzero(loud[a:min(b, n)])
                    if len(hits):
                        start = (a + int(hits[0])) * HOP_MS
        start = min(start, max(w.start_ms, w.end_ms - HOP_MS))
        out.append(Word(start, max(w.end_ms, start + HOP_MS), w.text, w.prob))
    return out
