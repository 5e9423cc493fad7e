"""Chinese in the script the user writes (简体 or 繁體), by OpenCC."""

from __future__ import annotations

from functools import cache
from typing import Any

_CONFIGS = {"s": "t2s", "t": "s2t"}


@cache
def _converter(config: str) -> Any:
    import opencc

    return opencc.OpenCC(config)


def to_script(text: str, script: str) -> str:
    """``text`` in simplified (``"s"``) or traditional (``"t"``) characters."""
    config = _CONFIGS.get(script)
    return _converter(config).convert(text) if config and text else text


def script_of(text: str) -> str:
    """``"t"`` when ``text`` is written in traditional characters, else ``"s"``."""
    if not text:
        return "s"
    return "t" if _converter("t2s").convert(text) != text else "s"
