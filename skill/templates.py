"""Every user-facing message, rendered from jinja2 macros in ``prompts/<lang>/*.j2``.

A message is a macro taking one argument ``c`` (its context)::

    {% macro export_done(c) %}Saved {{ c.path }} ({{ c.size }}).{% endmacro %}

``render(key, lang, **ctx)`` looks the macro up in the language's files, falls back
to English, and passes the result through :func:`skill.redact.redact`.

**Front doors.** The same message reaches a person at a terminal (the CLI, chat), an
agent host over MCP, or a program over ``igedit serve``'s HTTP API, and each must be
told what to do in its own terms: a command and its flags, a tool and its parameters,
an endpoint. The door is known to rendering (:data:`DOOR`, set by the front door with
:func:`at_door`, so messages written deep in the engine follow it too) and used in two
ways, both decided here:

* a whole-message variant: ``mcp_export_exists`` is rendered instead of
  ``export_exists`` at the ``mcp`` door when the templates have it;
* a phrase inside a message: ``{{ how("upload") }}`` names the action in the door's
  terms, from the table in ``skill/data/doors.yaml`` ("igedit upload <file>", "the
  upload_media tool", "POST /api/upload-video/…").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

from .redact import redact

#: the front door messages are written for: "" (the CLI and chat), "mcp" or "http"
DOOR: ContextVar[str] = ContextVar("igedit_door", default="")
DOORS = ("", "mcp", "http")
#: the language of the message being rendered (read by ``how``)
_LANG: ContextVar[str] = ContextVar("igedit_render_lang", default="en")
DOORS_TABLE = Path(__file__).resolve().parent / "data" / "doors.yaml"


@contextmanager
def at_door(door: str) -> Iterator[None]:
    """Render the messages of this block (and of the tasks and threads it starts) for
    ``door``."""
    token = DOOR.set(door if door in DOORS else "")
    try:
        yield
    finally:
        DOOR.reset(token)


@lru_cache(maxsize=1)
def _doors() -> dict[str, dict[str, Any]]:
    import yaml

    raw = yaml.safe_load(DOORS_TABLE.read_text(encoding="utf-8"))
    return {str(k): dict(v) for k, v in raw["actions"].items()}


def how(action: str) -> str:
    """How the current door asks for ``action``, in the language being rendered (a row
    of ``skill/data/doors.yaml``; a door without its own wording uses the CLI's)."""
    row = _doors().get(action)
    if row is None:
        raise KeyError(f"no action {action!r} in {DOORS_TABLE.name}")
    wording = row.get(DOOR.get() or "cli", row["cli"])
    if isinstance(wording, dict):
        wording = wording.get(_LANG.get()) or wording["en"]
    return str(wording)


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

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(PROMPTS_DIR)),
        autoescape=False,
        undefined=jinja2.ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.globals["how"] = how
    return env


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


def door_key(key: str, lang: str = "en", door: str | None = None) -> str:
    """``key``, or its variant for the door (``mcp_<key>``) when the templates have one."""
    door = DOOR.get() if door is None else door
    variant = f"{door}_{key}" if door else ""
    return variant if variant and (variant in _macros(lang) or variant in _macros("en")) else key


def render(key: str, lang: str = "en", **ctx: Any) -> str:
    """Render the message ``key`` in ``lang`` (falling back to English) for the current
    front door (:data:`DOOR`)."""
    key = door_key(key, lang)
    macro = _macros(lang).get(key) or _macros("en").get(key)
    if macro is None:
        macro = _macros(lang).get("error_generic") or _macros("en")["error_generic"]
        ctx = {"detail": key}
    token = _LANG.set(lang)
    try:
        return redact(str(macro(ctx)).strip())
    finally:
        _LANG.reset(token)
