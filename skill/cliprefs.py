"""Which clip an instruction is about, in words: "the first clip", "clip 2", "the red
one" (by file name), "第二个视频", "each clip" / "分别". Pure; the vocabulary is data
(``skill/data/clips.yaml``).

:func:`parts` cuts an instruction into the parts each clip gets ("make the first clip
square and the second one a Reel" → clip 1: "make square", clip 2: "a Reel");
:func:`export_choice` reads which clips an export is for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

#: ``Part.targets`` for "every clip"
ALL: tuple[int, ...] = ()
_GENERIC = {"clip", "video", "file", "one", "a", "the", "it", "this", "that", "movie", "reel"}


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    #: 1-based clip numbers (-1: the last), or :data:`ALL`
    targets: tuple[int, ...]
    separate: bool = False


@dataclass(frozen=True)
class Part:
    """Words for some clips: ``targets`` 0-based (:data:`ALL`: every clip; None: the
    clips an unaddressed edit goes to)."""

    targets: tuple[int, ...] | None
    text: str


@lru_cache(maxsize=1)
def _vocab() -> dict[str, Any]:
    text = resources.files("skill").joinpath("data/clips.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _is_zh(fragment: str) -> bool:
    return bool(re.search(r"[\u3400-\u9fff]", fragment))


def _alt(fragments: list[str]) -> str:
    parts = [f"(?:{f})" if _is_zh(f) else rf"(?<![A-Za-z0-9])(?:{f})(?![A-Za-z0-9])"
             for f in sorted(fragments, key=len, reverse=True)]
    return "(?:" + "|".join(parts) + ")"


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], ...]:
    v = _vocab()
    ords = "|".join(re.escape(k) for k in sorted(v["ordinals"], key=len, reverse=True))
    nums = "|".join(sorted(v["numbers"], key=len, reverse=True))
    nouns = "|".join(v["nouns"])
    zh_nouns = "|".join(v["zh_nouns"])
    zh_digits = "".join(v["zh_digits"])
    lead = rf"(?:(?:{'|'.join(v['lead'])})\s+)?"
    zh_lead = rf"(?:{'|'.join(v['zh_lead'])})?\s*"
    return (
        # "the first clip", "the second one", "for the last video"
        re.compile(rf"(?<![A-Za-z0-9]){lead}(?:the\s+|my\s+)?(?P<ord>{ords})\s+(?:{nouns})(?![A-Za-z0-9])",
                   re.IGNORECASE),
        # "clip 2", "video #2", "clip two"
        re.compile(rf"(?<![A-Za-z0-9]){lead}(?:the\s+)?(?:clip|video|file|take)\s*#?\s*"
                   rf"(?P<num>\d+|{nums})(?![A-Za-z0-9])", re.IGNORECASE),
        # "the second a Reel", "the last, cooler"
        re.compile(rf"(?<![A-Za-z0-9]){lead}the\s+(?P<ord>{ords})"
                   r"(?=\s+(?:a|an|into|to|as|should|gets?|is)\b|\s*[,.;!?]|\s*$)", re.IGNORECASE),
        # 第二个视频, 第2段, 最后一个视频
        re.compile(rf"{zh_lead}(?:第\s*(?P<zh>[{zh_digits}\d]+)\s*(?:个|個|段|条|條)?|最后一个|最後一個|最后|最後)"
                   rf"\s*(?:{zh_nouns})"),
        # 视频2, 片段二
        re.compile(rf"{zh_lead}(?:{zh_nouns})\s*(?P<zh>[{zh_digits}\d]+)"),
        # a bare 第二个 before a verb
        re.compile(rf"{zh_lead}第\s*(?P<zh>[{zh_digits}\d]+)\s*(?:个|個|段)(?=\s*(?:{v['zh_bare_next']}))"),
    )


def _number(m: re.Match[str]) -> int:
    v = _vocab()
    groups = m.groupdict()
    if groups.get("ord"):
        return int(v["ordinals"][groups["ord"].lower()])
    if groups.get("num"):
        raw = groups["num"].lower()
        return int(raw) if raw.isdigit() else int(v["numbers"][raw])
    if groups.get("zh"):
        raw = groups["zh"]
        if raw.isdigit():
            return int(raw)
        digits = v["zh_digits"]
        if raw.startswith("十"):
            return 10 + (int(digits.get(raw[1:], 0)) if raw[1:] else 0)
        if "十" in raw:
            tens, _, ones = raw.partition("十")
            return int(digits.get(tens, 1)) * 10 + (int(digits.get(ones, 0)) if ones else 0)
        return int(digits.get(raw, 0))
    return -1   # 最后一个


def _name_patterns(names: list[str]) -> list[tuple[re.Pattern[str], int]]:
    v = _vocab()
    lead = rf"(?:(?:{'|'.join(v['lead'])})\s+)?"
    zh_lead = rf"(?:{'|'.join(v['zh_lead'])})?\s*"
    out = []
    for i, name in enumerate(names, start=1):
        stem = name.rsplit(".", 1)[0] if "." in name else name
        alts = [rf"(?<![\w.]){lead}(?:the\s+)?{re.escape(name)}(?![\w.])"]
        if len(stem) >= 2 and stem.lower() not in _GENERIC:
            s = re.escape(stem)
            alts.append(rf"(?<![\w.]){lead}(?:the\s+)?{s}\s+(?:one|clip|video|file)(?![\w])")
            alts.append(rf"{zh_lead}{s}\s*(?:那个|那個|的)?\s*(?:{'|'.join(v['zh_nouns'])})")
        out.append((re.compile("|".join(alts), re.IGNORECASE), i))
    return out


def mentions(text: str, names: list[str]) -> list[Mention]:
    """Every clip reference in ``text``, left to right, without overlaps."""
    v = _vocab()
    found: list[Mention] = []
    for pat in _patterns():
        found += [Mention(m.start(), m.end(), (_number(m),)) for m in pat.finditer(text)]
    for pat, number in _name_patterns(names):
        found += [Mention(m.start(), m.end(), (number,)) for m in pat.finditer(text)]
    every = re.compile(_alt(list(v["all"])), re.IGNORECASE)
    sep = re.compile(_alt(list(v["separate"])), re.IGNORECASE)
    for m in every.finditer(text):
        lead = re.search(rf"(?:\b(?:{'|'.join(v['lead'])})\s+)$", text[:m.start()], re.IGNORECASE)
        start = lead.start() if lead else m.start()
        found.append(Mention(start, m.end(), ALL, bool(sep.fullmatch(m.group(0)))))
    found.sort(key=lambda x: (x.start, -(x.end - x.start)))
    out: list[Mention] = []
    for item in found:
        if out and item.start < out[-1].end:
            continue
        out.append(item)
    return out


def _resolve(targets: tuple[int, ...], count: int) -> tuple[int, ...]:
    """1-based numbers (-1 last) → 0-based indices; :data:`ALL` stays."""
    return tuple(count - 1 if n == -1 else n - 1 for n in targets)


@lru_cache(maxsize=1)
def _connector() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{c})" for c in _vocab()["connectors"]), re.IGNORECASE)


def _clean(text: str) -> str:
    conn = _connector().pattern
    edge = re.compile(rf"^(?:\s|{conn}|[.!?。！？:：])+|(?:\s|{conn}|[.!?。！？:：])+$", re.IGNORECASE)
    text = " ".join(text.split())
    previous = None
    while previous != text:
        previous, text = text, edge.sub("", text)
    return text


def parts(text: str, names: list[str]) -> list[Part]:
    """The instruction cut into the parts each clip gets (see the module docstring).

    A clause without a clip reference goes with the clip named before it ("make the
    first clip square and add a title"); words before any reference go to the clips an
    unaddressed edit goes to (``targets`` None). No reference at all: one such part.
    """
    found = mentions(text, names)
    if not found:
        return [Part(None, text.strip())]
    conn = _connector()
    starts: list[int] = []
    previous_end = 0
    for i, m in enumerate(found):
        cut = None
        for c in conn.finditer(text, previous_end, m.start):
            cut = c.end()
        # no connector: the words since the previous clip's reference are that clip's
        starts.append(cut if cut is not None else (m.start if i else 0))
        previous_end = m.end
    out: list[Part] = []
    if starts[0] > 0:
        head = _clean(text[:starts[0]])
        if head:
            out.append(Part(None, head))
    count = len(names)
    for i, m in enumerate(found):
        end = starts[i + 1] if i + 1 < len(found) else len(text)
        words = _clean(text[starts[i]:m.start] + " " + text[m.end:end])
        out.append(Part(_resolve(m.targets, count), words))
    return out


@lru_cache(maxsize=1)
def filler() -> re.Pattern[str]:
    """What is left of "edit them separately" / "分别编辑" once the clip words are taken."""
    return re.compile(str(_vocab()["filler"]), re.IGNORECASE)


def separate_asked(text: str, names: list[str]) -> bool:
    """The words ask to edit the clips separately ("edit them separately", "分别")."""
    return any(m.separate for m in mentions(text, names))


def export_choice(text: str, names: list[str]) -> str | int | None:
    """Which clips an export is for: ``"each"``, a 0-based index, or None (the words name
    no clip)."""
    if len(names) < 2:
        return None
    found = mentions(text, names)
    if any(m.targets == ALL for m in found):
        return "each"
    numbers = [t for m in found for t in _resolve(m.targets, len(names))]
    return numbers[0] if numbers else None


__all__ = ["ALL", "Mention", "Part", "export_choice", "filler", "mentions", "parts", "separate_asked"]
