"""ADK ``/run_sse`` framing: one ``data: <compact camelCase JSON>`` line and a blank
line per event, as Google ADK's API server writes them (no ``event:``/``id:`` lines).

With ``"streaming": true`` ADK sends a model text turn as ``partial`` chunks followed by
the aggregate with the same ``id`` (the last chunk already carries ``finishReason``),
and a tool-call turn first as a partial and then whole; see
``shared/reference/adk-streams/``.
"""

from __future__ import annotations

import json
import re
from typing import Any


def sse_line(obj: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(obj, ensure_ascii=False, separators=(',', ':'))}\n\n".encode()


def split_text(text: str, parts: int = 4) -> list[str]:
    """``text`` in up to ``parts`` chunks whose concatenation is ``text`` exactly: at word
    boundaries, or by characters for text without spaces (Chinese)."""
    lead = text[: len(text) - len(text.lstrip())]
    units = re.findall(r"\S+\s*", text)
    if len(units) < 2:
        lead, units = "", list(text)
    if len(units) < 2:
        return [text]
    size = -(-len(units) // parts)
    chunks = ["".join(units[i:i + size]) for i in range(0, len(units), size)]
    chunks[0] = lead + chunks[0]
    return chunks


def adk_messages(obj: dict[str, Any], streaming: bool) -> list[dict[str, Any]]:
    """With ``streaming: true`` ADK sends text as partial chunks then the aggregate (same
    ``id``), and a tool-call turn first as a partial then whole; without, events as-is."""
    if not streaming:
        return [obj]
    parts = (obj.get("content") or {}).get("parts") or []
    if any("functionCall" in p for p in parts):
        return [{**obj, "partial": True}, {**obj, "partial": False}]
    texts = [p["text"] for p in parts if isinstance(p.get("text"), str)]
    if len(texts) != 1 or len(parts) != 1:
        return [obj]
    out = []
    chunks = split_text(texts[0])
    for i, chunk in enumerate(chunks):
        piece = {k: v for k, v in obj.items() if k != "finishReason"}
        piece["content"] = {"parts": [{"text": chunk}], "role": "model"}
        piece["partial"] = True
        if i == len(chunks) - 1:
            piece["finishReason"] = "STOP"
        out.append(piece)
    out.append({**obj, "partial": False})
    return out
