"""Checking MCP tool arguments against the tool's input schema, before the SDK does.

The SDK answers a wrong argument with a raw pydantic error ("1 validation error for
exportArguments …"). A host model reads a sentence better: which parameter, what was
wrong, what the parameters are. Pure: schema and arguments in, a template key and its
context out (``None`` when the arguments are fine).
"""

from __future__ import annotations

from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "boolean": (bool,), "integer": (int,), "number": (int, float),
    "array": (list, tuple), "object": (dict,),
}


def _types(schema: dict[str, Any]) -> list[str]:
    """The JSON types a property schema accepts (``anyOf`` of ``null`` unions included)."""
    if "type" in schema:
        kind = schema["type"]
        return list(kind) if isinstance(kind, list) else [str(kind)]
    out: list[str] = []
    for sub in schema.get("anyOf", []) + schema.get("oneOf", []):
        out += _types(sub)
    return out


def _matches(value: Any, kinds: list[str]) -> bool:
    if not kinds:
        return True
    for kind in kinds:
        if kind == "null" and value is None:
            return True
        accepted = _TYPES.get(kind)
        if accepted is None:
            return True
        if isinstance(value, bool) and kind in ("integer", "number"):
            continue
        if isinstance(value, accepted):
            return True
    return False


def check_arguments(schema: dict[str, Any], arguments: dict[str, Any] | None,
                    ) -> tuple[str, dict[str, Any]] | None:
    """``(template key, context)`` describing the first problem, or None."""
    props: dict[str, Any] = schema.get("properties", {}) or {}
    names = list(props)
    args = arguments or {}
    if not isinstance(args, dict):
        return "mcp_args_not_object", {"params": names}
    for name in args:
        if name not in props:
            return "mcp_arg_unknown", {"name": name, "params": names}
    for name in schema.get("required", []) or []:
        if args.get(name) is None:
            return "mcp_arg_missing", {"name": name, "params": names}
    for name, value in args.items():
        kinds = [k for k in _types(props[name]) if k != "null"]
        if value is None:
            continue
        if not _matches(value, kinds):
            return "mcp_arg_type", {"name": name, "expected": " or ".join(kinds) or "a value",
                                    "got": type(value).__name__}
        if kinds == ["array"] and props[name].get("items", {}).get("type") == "string" \
                and not all(isinstance(v, str) for v in value):
            return "mcp_arg_type", {"name": name, "expected": "array of strings",
                                    "got": "array with other items"}
    return None


__all__ = ["check_arguments"]
