"""A small JSON-schema checker for operation arguments (Claude tool calls, ADK replays).

Only what the op schemas use: ``object`` with ``properties``/``required`` (unknown keys
refused), ``string`` (``enum``, ``maxLength``), ``integer`` / ``number`` (``minimum``,
``maximum``), ``boolean`` and ``array`` of ``items``. Integral floats are accepted for
integers (models write ``3000.0``). Errors are :class:`InputError` naming the field.
"""

from __future__ import annotations

from typing import Any

from ...errors import InputError


def _fail(path: str, what: str) -> InputError:
    return InputError(f"{path}: {what}", key="plan_bad_call", field=path, problem=what)


def check(schema: dict[str, Any], value: Any, path: str = "args") -> Any:
    """``value`` converted to the schema's Python types, or :class:`InputError`."""
    kind = schema.get("type")
    if kind == "object":
        if not isinstance(value, dict):
            raise _fail(path, "expected an object")
        props: dict[str, Any] = schema.get("properties", {})
        unknown = sorted(set(value) - set(props))
        if unknown:
            raise _fail(path, f"unknown field {unknown[0]!r}")
        for name in schema.get("required", []):
            if value.get(name) is None:
                raise _fail(f"{path}.{name}", "is required")
        return {k: check(props[k], v, f"{path}.{k}") for k, v in value.items() if v is not None}
    if kind == "string":
        if not isinstance(value, str):
            raise _fail(path, "expected text")
        if "enum" in schema and value not in schema["enum"]:
            raise _fail(path, f"must be one of {', '.join(schema['enum'])}")
        if len(value) > schema.get("maxLength", 10_000):
            raise _fail(path, "is too long")
        return value
    if kind in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _fail(path, "expected a number")
        if value != value or value in (float("inf"), float("-inf")):
            raise _fail(path, "expected a finite number")
        if kind == "integer":
            if float(value) != round(value):
                raise _fail(path, "expected a whole number")
            value = int(round(value))
        else:
            value = float(value)
        if "minimum" in schema and value < schema["minimum"]:
            raise _fail(path, f"must be at least {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            raise _fail(path, f"must be at most {schema['maximum']}")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _fail(path, "expected true or false")
        return value
    if kind == "array":
        if not isinstance(value, list | tuple):
            raise _fail(path, "expected a list")
        if len(value) > schema.get("maxItems", 1000):
            raise _fail(path, "has too many items")
        if len(value) < schema.get("minItems", 0):
            raise _fail(path, "has too few items")
        return tuple(check(schema["items"], v, f"{path}[{i}]") for i, v in enumerate(value))
    raise _fail(path, f"unsupported schema type {kind!r}")


def jsonable(value: Any) -> Any:
    """Tuples → lists, recursively (op fields are tuples so ops stay hashable)."""
    if isinstance(value, tuple | list):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value
