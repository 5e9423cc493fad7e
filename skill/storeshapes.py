"""The shape of each state document, as data: a file that parses but holds the wrong
types (``{"jobs": [1, 2]}``, ``{"lang": 5}``) is quarantined like invalid JSON.

A shape maps a key to the type(s) its value must have, to a nested shape (an object
with those keys), or — with the key ``"*"`` — to the shape of every value of a
mapping. Keys a shape does not name are allowed (a newer igedit may add some) and so
are missing keys, except those listed in :data:`REQUIRED`.
"""

from __future__ import annotations

from typing import Any

NUM = (int, float)

SHAPES: dict[str, dict[str, Any]] = {
    "prefs": {"lang": str},
    "backend": {"choice": str, "base": str, "at": NUM},
    "auth": {"token": str, "client_id": str, "expires_at": NUM, "user_id": str,
             "registered": (bool, type(None)), "api_base": str},
    "session": {"cloud": dict},
    "renders": {"jobs": {"*": {"backend": str, "session_id": str, "dest": str, "force": bool,
                               "preview": bool, "created": NUM, "attempt": int,
                               "draft": dict}}},
}
#: keys that must be present, by the path of the object holding them
REQUIRED: dict[str, tuple[str, ...]] = {"renders.jobs.*": ("dest",)}


def _name(types: Any) -> str:
    if isinstance(types, tuple):
        return " or ".join(t.__name__ for t in types)
    return types.__name__ if isinstance(types, type) else "object"


def problem(doc: dict[str, Any], shape: dict[str, Any], path: str = "") -> str | None:
    """What is wrong with ``doc`` for ``shape`` ("jobs: list, not object"), or None."""
    for key in REQUIRED.get(path, ()):
        if key not in doc:
            return f"{path}.{key}: missing".lstrip(".")
    if "*" in shape:
        items = [(str(k), v, shape["*"]) for k, v in doc.items()]
    else:
        items = [(k, doc[k], shape[k]) for k in shape if k in doc]
    for key, value, want in items:
        where = f"{path}.{key}".lstrip(".")
        star = f"{path}.*".lstrip(".") if "*" in shape else where
        if isinstance(want, dict):
            if not isinstance(value, dict):
                return f"{where}: {type(value).__name__}, not object"
            found = problem(value, want, star)
            if found:
                return found
        elif isinstance(value, bool) and bool not in (want if isinstance(want, tuple) else (want,)):
            return f"{where}: bool, not {_name(want)}"
        elif not isinstance(value, want):
            return f"{where}: {type(value).__name__}, not {_name(want)}"
    return None


def check(name: str, doc: dict[str, Any]) -> str | None:
    """Why the document ``name`` has the wrong shape, or None (unknown documents pass)."""
    shape = SHAPES.get(name)
    return problem(doc, shape, name) if shape else None


__all__ = ["REQUIRED", "SHAPES", "check", "problem"]
