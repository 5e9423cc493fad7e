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
