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


class LangPolicy:
    """The one place the reply language is decided, for one front-door session.

    Precedence: the ``--lang`` flag > ``/lang`` in chat > the words of this turn > the
    language remembered from earlier (``prefs.json``, or the previous turn). Everyone
    who needs the language asks :attr:`current`; whoever hears the user's words calls
    :meth:`hear`; ``/lang`` calls :meth:`choose`.
    """

    def __init__(self, *, flag: str | None = None, remembered: str = "",
                 default: str = "en") -> None:
        self.flag = normalize_lang(flag, "") if flag else ""
        self.chosen = ""
        self.remembered = normalize_lang(remembered, "") if remembered else ""
        self.current = self.flag or self.remembered or normalize_lang(default)

    @property
    def fixed(self) -> bool:
        """True when the flag or ``/lang`` decided: the user's words no longer do."""
        return bool(self.flag or self.chosen)

    def choose(self, lang: str) -> str:
        """``/lang``: fix the language (a ``--lang`` flag still wins)."""
        self.chosen = normalize_lang(lang, self.current)
        self.current = self.flag or self.chosen
        return self.current

    def hear(self, text: str) -> str:
        """The reply language for a turn with these words (Han characters → ``zh``, Latin
        words → ``en``; no words, e.g. a file path: as it was), unless it is fixed."""
        if not self.fixed:
            self.current = spoken_lang(text) or self.current
        return self.current

    def for_command(self, text: str) -> str:
        """A one-shot command: its words when they say something (``en`` for Latin
        words too), else what was remembered, else English."""
        if self.fixed:
            return self.current
        self.current = spoken_lang(text) or self.remembered or "en"
        return self.current
