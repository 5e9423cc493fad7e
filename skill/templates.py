"""Every user-facing message, rendered from jinja2 macros in ``prompts/<lang>/*.j2``.

A message is a macro taking one argument ``c`` (its context)::

    {% macro export_done(c) %}Saved {{ c.path }} ({{ c.size }}).{% endmacro %}

``render(key, lang, **ctx)`` looks the macro up in the language's files, falls back
to English, and passes the result through :func:`skill.redact.redact`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from .redact import redact


def _prompts_dir() -> Path:
    """``prompts/`` beside the package (a checkout or a copied skill folder), else the
    copy a wheel carries in ``skill/data`` (see setup.py)."""
    here = Path(__file__).resolve().parent
    beside = here.parent / "prompts"
    bundled = here / "data" / "prompts"
    return beside if beside.is_dir() or not bundled.is_dir() else bundled


PROMPTS_DIR = _prompts_dir()


@lru_cache(maxsize=1)
def _env() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(PROMPTS_DIR)),
        autoescape=False,
        undefined=jinja2.ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


@lru_cache(maxsize=4)
def _macros(lang: str) -> dict[str, Any]:
    env = _env()
    macros: dict[str, Any] = {}
    folder = PROMPTS_DIR / lang
    for file in sorted(folder.glob("*.j2")):
        module = env.get_template(f"{lang}/{file.name}").module
        for name in dir(module):
            if not name.startswith("_"):
                macros[name] = getattr(module, name)
    return macros


def keys(lang: str = "en") -> set[str]:
    return set(_macros(lang))


def render(key: str, lang: str = "en", **ctx: Any) -> str:
    """Render the message ``key`` in ``lang`` (falling back to English)."""
    macro = _macros(lang).get(key) or _macros("en").get(key)
    if macro is None:
        macro = _macros(lang).get("error_generic") or _macros("en")["error_generic"]
        ctx = {"detail": key}
    return redact(str(macro(ctx)).strip())
