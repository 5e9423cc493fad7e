"""Checking MCP tool arguments against the tool's input schema, before the SDK does.

The SDK answers a wrong argument with a raw pydantic error ("1 validation error for
exportArguments …"). A host model reads a sentence better: which parameter, what was
wrong, what the parameters are. :func:`check_arguments` is pure (schema and arguments
in, a template key and its context out, ``None`` when fine); :func:`check_arguments_first`
puts it in front of the server's ``call_tool``; :func:`document_params` finishes the
input schemas the SDK derives from the signatures (``lang``, ``apply_edits``' ``edits``).
"""

from __future__ import annotations

from typing import Any

from ..templates import render

LANGS = ("en", "zh")
LANG_DOC = "Reply language, \"en\" or \"zh\" (default: the language of the call's words)."

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


def document_params(tool: Any) -> None:
    """The ``lang`` parameter's description, and ``apply_edits``' schema built from the op
    schemas (the SDK derives only ``list[Any]`` from the signature)."""
    props = tool.parameters.get("properties", {})
    if "lang" in props:
        props["lang"] = {"anyOf": [{"type": "string", "enum": list(LANGS)}, {"type": "null"}],
                         "default": None, "description": LANG_DOC}
    if tool.name == "apply_edits":
        from ..engine.typed_ops import edits_schema

        props["edits"] = {**edits_schema(), "description": "The edits, applied in order."}


def check_arguments_first(server: Any, session: Any, result_type: Any,
                           text_type: Any) -> None:
    """Answer wrong arguments with a sentence naming the parameter (not a pydantic dump)."""
    call_tool = server.call_tool

    async def checked(name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        tool = server._tool_manager.get_tool(name)
        if tool is not None:
            schema = {**tool.parameters, "properties": {
                k: ({"type": "array"} if k == "edits" else v)   # edits: checked by apply_edits
                for k, v in tool.parameters.get("properties", {}).items()}}
            problem = check_arguments(schema, arguments)
            lang_arg = (arguments or {}).get("lang") if isinstance(arguments, dict) else None
            if problem is None and lang_arg is not None and lang_arg not in LANGS:
                problem = ("mcp_lang_unknown", {})
            if problem is not None:
                key, ctx = problem
                lang = session.call_lang(_words(arguments), lang_arg if lang_arg in LANGS else None)
                return result_type(content=[text_type(type="text", text=render(key, lang, **ctx))],
                                   is_error=True)
        return await call_tool(name, arguments, context)

    server.call_tool = checked


def _words(arguments: Any) -> str:
    """The user's words among a call's arguments (for the reply language)."""
    if not isinstance(arguments, dict):
        return ""
    return " ".join(v for v in arguments.values() if isinstance(v, str))


__all__ = ["LANGS", "check_arguments", "check_arguments_first", "document_params"]
