"""Reply language: follows the user's words unless ``--lang`` says otherwise."""

from __future__ import annotations

import re

LANGS = ("en", "zh")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def detect_lang(text: str, default: str = "en") -> str:
    """``zh`` when the text contains Han characters, else ``default``."""
    return "zh" if _CJK.search(text or "") else default


def normalize_lang(value: str | None, default: str = "en") -> str:
    if not value:
        return default
    v = value.strip().lower().replace("_", "-")
    if v.startswith("zh") or v in {"cn", "chinese", "中文"}:
        return "zh"
    if v.startswith("en"):
        return "en"
    return default


_PATHISH = re.compile(r"^(?:https?://|file://|[~./\\]|[A-Za-z]:[\\/])|[/\\]|\.[A-Za-z0-9]{2,4}$")
_WORD = re.compile(r"[A-Za-z]{2,}")


def spoken_lang(text: str) -> str | None:
    """The language the user's words are in — ``zh`` (Han characters), ``en`` (Latin
    words) — or None when they say nothing about it (empty, numbers, file paths, URLs)."""
    if _CJK.search(text or ""):
        return "zh"
    words = [t for t in (text or "").split() if not _PATHISH.search(t)]
    return "en" if any(_WORD.search(w) for w in words) else None
