"""Text handling for the rule planner: quoted text as data, clauses, numbers and times.

1. :func:`mask` replaces quoted text (``'…'``, ``"…"``, ``“…”``, ``‘…’``, ``「…」``,
   ``『…』``, ``《…》``) and labelled text (``captions: a / b``, ``title: Summer``,
   ``字幕：…``) with opaque slots, so words inside quotes are never read as instructions.
2. :func:`split_clauses` cuts the masked text at punctuation and connectives (``and``,
   ``then``, ``然后``…) except inside phrases such as "black and white" or
   "fade in and out".
3. :func:`parse_num` / :func:`time_ms` read numbers and durations in English and Chinese
   (``10s``, ``0:05``, ``ten seconds``, ``1.5``, ``三秒``, ``十五秒``, ``1分30秒``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SLOT = re.compile("\ue000(\\d+)\ue001")

DATA = Path(__file__).resolve().parents[2] / "data" / "phrases.yaml"


def _load() -> dict[str, Any]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml when present
    data: dict[str, Any] = yaml.load(DATA.read_text(encoding="utf-8"), Loader=loader)
    return data


_DATA = _load()
_EN_NUMBERS: dict[str, float] = {str(k): float(v) for k, v in _DATA["numbers_en"].items()}
_ZH_DIGITS: dict[str, int] = {str(k): int(v) for k, v in _DATA["digits_zh"].items()}


def _alternation(items: list[Any]) -> str:
    """Plain words as a regex alternation, longest first; a space matches any spacing."""
    return "|".join(re.escape(str(w)).replace(r"\ ", r"\s+").replace(" ", r"\s+")
                    for w in sorted(items, key=lambda w: len(str(w)), reverse=True))


#: a number: digits (ASCII or full-width), Chinese numerals, or an English number word
NUM = (r"(?:\d+(?:\.\d+)?|[零〇一二两兩三四五六七八九十百]+(?:[点點][零一二三四五六七八九]+)?"
       r"|\b(?:" + "|".join(sorted((k for k in _EN_NUMBERS if " " not in k), key=len,
                                   reverse=True)) + r")\b)")
_UNIT_MS = _alternation(_DATA["units"]["ms"])
# 分 before 之 is a fraction (三分之一), not minutes
_UNIT_MIN = "|".join(w + "(?!之)" if w == "分" else w
                     for w in _alternation(_DATA["units"]["min"]).split("|"))
_UNIT_S = _alternation(_DATA["units"]["s"])
UNIT = rf"(?:(?:{_UNIT_MS}|{_UNIT_MIN}|{_UNIT_S})(?![a-z]))"
#: seconds after minutes ("1分30秒", "1 min 30 s")
_AND_S = rf"\d+(?:\.\d+)?\s*(?:{_UNIT_S})(?![a-z])"
CLOCK = r"\d{1,2}[:：]\d{2}(?:\.\d+)?"
#: a duration that names its unit (or is m:ss)
T = rf"(?:{CLOCK}|{NUM}\s*{UNIT}(?:\s*{_AND_S})?)"
#: a time whose unit may be left out (seconds then)
T_OPT = rf"(?:{CLOCK}|{NUM}(?:\s*{UNIT}(?:\s*{_AND_S})?)?)"
PERCENT = rf"(?:(?P<pct>{NUM})\s*(?:%|％|percent|per cent|pct)|百分之\s*(?P<zhpct>{NUM}))"

_QUOTES = [
    ("“", "”"), ("„", "“”"), ("‘", "’"), ("「", "」"), ("『", "』"), ("《", "》"), ("«", "»"),
    ('"', '"'),
]
_QUOTE_RE = "|".join(
    [f"{re.escape(o)}[^{re.escape(c)}]*[{re.escape(c)}]" for o, c in _QUOTES if o != "‘"]
    # ASCII apostrophes inside Latin words ("don't", "clips'") are not quotes; next to
    # Han characters ("标题写'城市之夜'的") they are.
    + ["‘.+?’(?![A-Za-z0-9])", r"(?<![A-Za-z0-9])'.+?'(?![A-Za-z0-9])"])
_CAPTION_LABEL = (r"(?:\b(?:captions?|subtitles?|subs)\b|字幕)\s*(?:text\s*)?[:：]\s*"
                  r"(?P<lines>[^\n。]+?)\s*(?=(?<!\d)\.(?:\s|$)|\n|。|$)")
_TITLE_LABEL = (r"(?:\b(?:title|heading|headline|text)\b|标题|標題|文字)\s*[:：]\s*"
                r"(?P<title>[^,，;；。!！?？\n]+?)\s*(?=[,，;；。!！?？\n]|(?<!\d)\.(?:\s|$)|$)")
_MASK = re.compile(f"(?P<caplabel>{_CAPTION_LABEL})|(?P<titlelabel>{_TITLE_LABEL})"
                   f"|(?P<quote>{_QUOTE_RE})", re.IGNORECASE)
_LINE_SPLIT = re.compile(r"\s*(?:/|／|\||｜|;|；|\n)\s*")


@dataclass
class Masked:
    """An instruction with its data (quoted or labelled text) replaced by slots."""

    text: str
    slots: list[str] = field(default_factory=list)       # the data, quotes removed
    raw: list[str] = field(default_factory=list)         # the user's own characters
    kinds: list[str] = field(default_factory=list)       # "quote" | "lines" | "title"

    def unmask(self, text: str) -> str:
        """``text`` with every slot put back as the user typed it."""
        return SLOT.sub(lambda m: self.raw[int(m.group(1))], text)

    def slot_ids(self, text: str) -> list[int]:
        return [int(m.group(1)) for m in SLOT.finditer(text)]

    def lines(self, slot: int) -> list[str]:
        """Caption lines of a labelled slot (``a / b / c``), quotes stripped."""
        return [strip_quotes(p) for p in _LINE_SPLIT.split(self.slots[slot]) if strip_quotes(p)]


def strip_quotes(text: str) -> str:
    text = text.strip()
    for o, c in _QUOTES + [("'", "'")]:
        if len(text) >= 2 and text[0] == o and text[-1] in c:
            return text[1:-1].strip()
    return text


def mask(text: str) -> Masked:
    """Replace quoted and labelled text by slots ``\\ue000n\\ue001`` (see module doc)."""
    out: list[str] = []
    masked = Masked("")
    pos = 0
    for m in _MASK.finditer(text):
        if m.group("caplabel"):
            kind, group = "lines", "lines"
        elif m.group("titlelabel"):
            kind, group = "title", "title"
        else:
            kind, group = "quote", "quote"
        a, b = m.span(group)
        value = m.group(group)
        data = value[1:-1] if kind == "quote" else strip_quotes(value)
        if not data.strip():
            continue  # an empty quote is no data: left in the text (and not understood)
        out.append(text[pos:a])
        out.append(f"\ue000{len(masked.slots)}\ue001")
        masked.slots.append(data)
        masked.raw.append(value)
        masked.kinds.append(kind)
        pos = b
    out.append(text[pos:])
    masked.text = "".join(out)
    return masked


_SEPARATORS = re.compile(
    r"[,，;；。!！?？、\n]|\.(?=\s|$)"
    rf"|\s+(?:{_alternation(_DATA['joiners_en'])})\s+|{_alternation(_DATA['joiners_zh'])}",
    re.IGNORECASE)
_PROTECTED = re.compile(
    rf"(?<![a-z])(?:{_alternation(_DATA['kept_together'])})(?![a-z])"
    r"|\bbetween\s+\S+(?:\s+\S+)?\s+and\s+", re.IGNORECASE)


def split_clauses(text: str) -> list[tuple[int, int]]:
    """Spans ``(start, end)`` of the clauses of a masked instruction (empty ones dropped)."""
    protected = [m.span() for m in _PROTECTED.finditer(text)]
    cuts: list[tuple[int, int]] = []
    for m in _SEPARATORS.finditer(text):
        a, b = m.span()
        if any(pa <= a < pb for pa, pb in protected):
            continue
        cuts.append((a, b))
    spans: list[tuple[int, int]] = []
    pos = 0
    for a, b in cuts + [(len(text), len(text))]:
        if text[pos:a].strip():
            spans.append((pos, a))
        pos = b
    return spans


# ---------------------------------------------------------------- numbers and times

def _zh_int(s: str) -> int:
    if not s:
        return 0
    if "百" in s:
        head, _, tail = s.partition("百")
        return (_zh_int(head) or 1) * 100 + _zh_int(tail.lstrip("零〇"))
    if "十" in s:
        head, _, tail = s.partition("十")
        return (_zh_int(head) or 1) * 10 + _zh_int(tail)
    value = 0
    for ch in s:
        value = value * 10 + _ZH_DIGITS.get(ch, 0)
    return value


def parse_num(text: str) -> float | None:
    """``"2"``, ``"1.5"``, ``"２"``, ``"ten"``, ``"half"``, ``"十五"``, ``"一点五"`` → a number."""
    s = text.strip().lower()
    if not s:
        return None
    try:
        return float(s)
    except ValueError:
        pass
    if s in _EN_NUMBERS:
        return float(_EN_NUMBERS[s])
    if all(ch in "零〇一二两兩三四五六七八九十百点點" for ch in s):
        whole, _, frac = s.replace("點", "点").partition("点")
        value = float(_zh_int(whole))
        if frac:
            value += float("0." + "".join(str(_ZH_DIGITS.get(ch, 0)) for ch in frac))
        return value
    return None


_NUM_RE = re.compile(NUM, re.IGNORECASE)
_CLOCK_RE = re.compile(rf"^\s*({CLOCK})", re.IGNORECASE)
_TIME_PARTS = re.compile(
    rf"(?P<n>{NUM})\s*(?P<u>{UNIT})?(?:\s*(?P<n2>\d+(?:\.\d+)?)\s*(?:{_UNIT_S}))?",
    re.IGNORECASE)


def unit_of(text: str) -> str | None:
    """``"ms"``, ``"min"``, ``"s"`` or ``"clock"`` for a time expression, ``None`` if unitless."""
    if _CLOCK_RE.match(text):
        return "clock"
    m = _TIME_PARTS.search(text)
    if not m or not m.group("u"):
        return None
    u = m.group("u").lower()
    if re.fullmatch(_UNIT_MS, u):
        return "ms"
    if re.fullmatch(_UNIT_MIN, u):
        return "min"
    return "s"


def time_ms(text: str, default_unit: str = "s") -> int | None:
    """A time expression (``"10s"``, ``"0:05"``, ``"1分30秒"``, ``"3"``) in milliseconds."""
    clock = _CLOCK_RE.match(text)
    if clock:
        minutes, seconds = re.split("[:：]", clock.group(1))
        return round((int(minutes) * 60 + float(seconds)) * 1000)
    m = _TIME_PARTS.search(text)
    if not m:
        return None
    value = parse_num(m.group("n"))
    if value is None:
        return None
    unit = unit_of(text) or default_unit
    scale = {"ms": 1, "min": 60_000, "s": 1000}.get(unit, 1000)
    ms = value * scale
    if m.group("n2") and unit == "min":
        ms += float(m.group("n2")) * 1000
    return round(ms)


def percent(match: re.Match[str]) -> int | None:
    """The integer percent of a :data:`PERCENT` match."""
    raw = match.group("pct") or match.group("zhpct")
    value = parse_num(raw) if raw else None
    return None if value is None else round(value)
