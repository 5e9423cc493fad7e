"""Instagram formats one edit can be delivered in, one file per format (pure, no I/O
beyond reading its table once).

A *format* is a canvas plus the Instagram placement it is made for: ``reel`` (9:16),
``story`` (9:16), ``square`` (1:1), ``4x5`` (4:5 feed) and ``landscape`` (16:9).
``feed`` is said but never written: a feed post is 4:5, or square when the clip is
square (:func:`resolve`). The vocabulary lives in ``skill/data/formats.yaml``.

* :func:`parse_formats` reads ``igedit export --formats reel,square,4:5`` (and the MCP
  ``formats`` parameter): a clear error names the accepted names.
* :func:`formats_in` finds "export as a Reel and a square post", "also make a 4:5
  version", "导出竖屏和方形两个版本", "Reel 和 帖子 各一个" in what the user said.
* :func:`format_dest` names the files: ``out.mp4`` → ``out-reel.mp4``, ``out-square.mp4``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import InputError

DATA = Path(__file__).resolve().parent / "data" / "formats.yaml"
#: the formats a file can be written in, in the order a listing shows them
WRITTEN = ("reel", "story", "square", "4x5", "landscape")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Format:
    name: str
    ratio: str
    target: str | None   # the Instagram target (safe zones, reply wording); None: no target


@dataclass(frozen=True)
class FormatsRequest:
    """Several formats asked for in words: the names (``feed`` unresolved), whether the
    edit's own format comes too ("also make a 4:5 version"), and the spans that said so."""

    names: tuple[str, ...]
    also: bool
    spans: tuple[tuple[int, int], ...]


@lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    import yaml

    raw: dict[str, Any] = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    return raw


def _guard(item: str) -> str:
    return item if _CJK.search(item) else rf"(?<![a-z0-9])(?:{item})(?![a-z0-9])"


def _alt(items: list[str]) -> str:
    return "(?:" + "|".join(_guard(str(i)) for i in sorted(items, key=len, reverse=True)) + ")"


@lru_cache(maxsize=1)
def formats() -> dict[str, Format]:
    """Every format a file can be written in, by name."""
    rows = _table()["formats"]
    return {name: Format(name, str(rows[name]["ratio"]), rows[name].get("target"))
            for name in WRITTEN}


def names_accepted() -> list[str]:
    """What ``--formats`` accepts, for help and error messages."""
    return [str(n) for row in _table()["formats"].values() for n in row["names"]]


def _by_name(word: str) -> str | None:
    low = word.strip().lower()
    for name, row in _table()["formats"].items():
        if low in (str(n).lower() for n in row["names"]):
            return str(name)
    return None


def parse_formats(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """``"reel,square,4:5"`` (or a list) → ``("reel", "square", "4x5")``; ``feed`` stays
    ``feed`` (see :func:`resolve`). Duplicates are dropped; an unknown name is an
    :class:`InputError` naming the accepted ones."""
    items = value if isinstance(value, list | tuple) else re.split(r"[,\s]+", value or "")
    out: list[str] = []
    for item in (str(i) for i in items):
        if not item.strip():
            continue
        name = _by_name(item)
        if name is None:
            raise InputError(f"unknown format {item!r}", key="formats_unknown", name=item,
                             accepted=", ".join(names_accepted()))
        out.append(name)
    if not out:
        raise InputError("no format named", key="formats_unknown", name=str(value),
                         accepted=", ".join(names_accepted()))
    return tuple(dict.fromkeys(out))


def format_of(ratio: str, target: str | None = None) -> str:
    """The format an edit's canvas is in (9:16 for Stories is ``story``)."""
    if ratio == "9:16":
        return "story" if target == "stories" else "reel"
    return {"1:1": "square", "4:5": "4x5", "16:9": "landscape"}.get(ratio, "reel")


def resolve(names: tuple[str, ...], *, source_ratio: str, current: str | None = None,
            also: bool = False) -> tuple[str, ...]:
    """Names as files: ``feed`` is ``square`` for a square clip, else ``4x5``; with
    ``also`` the edit's ``current`` format comes first. Duplicates are dropped."""
    out = [current] if also and current else []
    for name in names:
        out.append(("square" if source_ratio == "1:1" else "4x5") if name == "feed" else name)
    return tuple(dict.fromkeys(n for n in out if n in WRITTEN))


@lru_cache(maxsize=1)
def _patterns() -> tuple[list[tuple[str, re.Pattern[str]]], re.Pattern[str], re.Pattern[str],
                         re.Pattern[str], re.Pattern[str]]:
    raw = _table()
    per = [(str(name), re.compile(_alt(list(row["words"])), re.IGNORECASE))
           for name, row in raw["formats"].items()]
    several = re.compile("|".join(raw["several"]), re.IGNORECASE)
    also = re.compile("|".join(raw["also"]), re.IGNORECASE)
    version = re.compile("|".join(raw["version"]), re.IGNORECASE)
    joiner = "|".join(_guard(str(j)) if re.fullmatch(r"[a-z ]+", str(j)) else str(j)
                      for j in raw["joiners"])
    between = re.compile(rf"^(?:\s|{joiner}|\b(?:an?|the|one|version|video|file)\b|的|个|個|一个|一個)*$",
                         re.IGNORECASE)
    return per, several, also, version, between


def _found(text: str) -> list[tuple[int, int, str]]:
    """Format words in ``text``: (start, end, name), longest first, no overlaps."""
    per = _patterns()[0]
    hits = sorted(((m.start(), m.end(), name) for name, rx in per for m in rx.finditer(text)),
                  key=lambda h: (h[0], -(h[1] - h[0])))
    out: list[tuple[int, int, str]] = []
    for hit in hits:
        if out and hit[0] < out[-1][1]:
            continue
        out.append(hit)
    return out


def format_words(text: str) -> list[tuple[int, int]]:
    """Where ``text`` names a format (spans, no overlaps)."""
    return [(a, b) for a, b, _ in _found(text or "")]


def formats_in(text: str) -> FormatsRequest | None:
    """Several formats asked for at once, or None (see the module docstring)."""
    _, several, also, version, between = _patterns()
    hits = _found(text or "")
    names = list(dict.fromkeys(h[2] for h in hits))
    if len(names) >= 2:
        joined = all(between.match(text[a[1]:b[0]]) for a, b in zip(hits, hits[1:], strict=False))
        if joined and (several.search(text) or re.search(r"\band\b|和|跟|与|與|、|&", text)):
            return FormatsRequest(tuple(names), False, tuple((a, b) for a, b, _ in hits))
        return None
    if len(names) == 1 and also.search(text) and version.search(text):
        return FormatsRequest(tuple(names), True, tuple((a, b) for a, b, _ in hits))
    return None


def goal_in(text: str) -> bool:
    """Whether ``text`` names Instagram as where the video goes ("export it for Instagram")."""
    return any(re.search(str(p), text or "", re.IGNORECASE) for p in _table()["goal"])


def format_dest(out: Path, name: str) -> Path:
    """``out.mp4`` → ``out-<name>.mp4`` beside it."""
    stem = out.stem if out.suffix.lower() == ".mp4" else out.name
    return out.with_name(f"{stem}-{name}.mp4")


__all__ = ["WRITTEN", "Format", "FormatsRequest", "format_dest", "format_of", "formats",
           "format_words", "formats_in", "goal_in", "names_accepted", "parse_formats", "resolve"]
