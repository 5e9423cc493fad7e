"""ADK-shaped events, decoded without I/O.

Both backends speak in :class:`Event`. The cloud decodes them from ``/run_sse``
``data:`` payloads; the local engine builds the same ADK JSON and decodes it through
the same function, so the host code path is identical.

Decoding is tolerant: camelCase and snake_case keys, unknown fields ignored, blank
lines / comments / non-JSON payloads become heartbeats, never exceptions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["text", "tool_call", "tool_result", "state", "heartbeat", "error"]


@dataclass(frozen=True)
class Event:
    kind: Kind
    text: str = ""
    partial: bool = False
    name: str = ""
    args: dict[str, Any] = field(default_factory=dict)
    state_delta: dict[str, Any] = field(default_factory=dict)
    code: str = ""
    event_id: str = ""
    author: str = ""


def _get(obj: dict[str, Any], camel: str, snake: str) -> Any:
    if camel in obj:
        return obj[camel]
    return obj.get(snake)


def decode_data(payload: str) -> list[Event]:
    """Decode one SSE ``data:`` payload into events (possibly several, or a heartbeat)."""
    text = payload.strip()
    if not text:
        return [Event("heartbeat")]
    try:
        obj = json.loads(text)
    except ValueError:
        return [_legacy_error(text) or Event("heartbeat")]
    if not isinstance(obj, dict):
        return [Event("heartbeat")]
    return decode_event(obj)


def _legacy_error(text: str) -> Event | None:
    # ADK v1.4.2 wrote f'{{"error": "{e}"}}' without escaping, so it may not parse.
    stripped = text.lstrip()
    if stripped.startswith('{"error"') or stripped.startswith("{'error'"):
        inner = stripped.split(":", 1)[1].strip().rstrip("}").strip().strip('"').strip("'")
        return Event("error", text=inner or "unknown error")
    return None


def decode_event(obj: dict[str, Any]) -> list[Event]:
    """Decode one ADK event object (already parsed JSON)."""
    if "error" in obj and not obj.get("content"):
        err = obj.get("error")
        if isinstance(err, dict):
            message = str(err.get("message") or err.get("detail") or "unknown error")
            code = str(err.get("code") or "")
        else:
            message, code = str(err), ""
        return [Event("error", text=message, code=code)]
    event_id = str(obj.get("id") or "")
    author = str(obj.get("author") or "")
    partial = bool(obj.get("partial") or False)
    events: list[Event] = []
    error_code = _get(obj, "errorCode", "error_code")
    if error_code:
        message = _get(obj, "errorMessage", "error_message") or ""
        events.append(Event("error", text=str(message), code=str(error_code), event_id=event_id))
    content = obj.get("content")
    parts = content.get("parts") if isinstance(content, dict) else None
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, dict):
            continue
        call = _get(part, "functionCall", "function_call")
        reply = _get(part, "functionResponse", "function_response")
        if isinstance(call, dict):
            if partial:  # a partial tool-call turn is repeated whole right after
                continue
            args = call.get("args")
            events.append(Event("tool_call", name=str(call.get("name") or ""),
                                args=args if isinstance(args, dict) else {},
                                event_id=str(call.get("id") or event_id), author=author))
        elif isinstance(reply, dict):
            resp = reply.get("response")
            events.append(Event("tool_result", name=str(reply.get("name") or ""),
                                args=resp if isinstance(resp, dict) else {"result": resp},
                                event_id=str(reply.get("id") or event_id), author=author))
        elif isinstance(part.get("text"), str) and not part.get("thought"):
            events.append(Event("text", text=part["text"], partial=partial,
                                event_id=event_id, author=author))
    actions = obj.get("actions")
    if isinstance(actions, dict):
        delta = _get(actions, "stateDelta", "state_delta")
        if isinstance(delta, dict) and delta:
            events.append(Event("state", state_delta=delta, event_id=event_id, author=author))
    return events or [Event("heartbeat", event_id=event_id)]


class TextAssembler:
    """Turns partial chunks plus their aggregate into text shown exactly once.

    Partial chunks are shown as they arrive; the non-partial event that follows
    (same text, concatenated) is then suppressed. A non-partial text with no
    preceding partials is shown whole.
    """

    def __init__(self) -> None:
        self._pending = ""
        self.full: list[str] = []

    def feed(self, event: Event) -> str:
        """Return the new text to show for this event ('' when nothing new)."""
        if event.kind != "text":
            return ""
        if event.partial:
            self._pending += event.text
            return event.text
        if self._pending:
            pending, self._pending = self._pending, ""
            if event.text.strip() == pending.strip():
                self.full.append(event.text)
                return ""
            if event.text.startswith(pending):
                rest = event.text[len(pending):]
                self.full.append(event.text)
                return rest
        self.full.append(event.text)
        return event.text

    @property
    def text(self) -> str:
        return "".join(self.full) + self._pending


def encode_adk_event(
    *, invocation_id: str, event_id: str, author: str = "nemo_agent",
    text: str | None = None, partial: bool | None = None,
    calls: list[dict[str, Any]] | None = None, responses: list[dict[str, Any]] | None = None,
    state_delta: dict[str, Any] | None = None, timestamp: float = 0.0,
) -> dict[str, Any]:
    """Build one ADK event object (camelCase, as ``model_dump(by_alias=True)`` writes)."""
    parts: list[dict[str, Any]] = []
    role = "model"
    if text is not None:
        parts.append({"text": text})
    for call in calls or []:
        parts.append({"functionCall": call})
    for resp in responses or []:
        parts.append({"functionResponse": resp})
        role = "user"
    obj: dict[str, Any] = {}
    if parts:
        obj["content"] = {"parts": parts, "role": role}
    if partial is not None:
        obj["partial"] = partial
    obj.update({
        "invocationId": invocation_id,
        "author": author,
        "actions": {"stateDelta": state_delta or {}, "artifactDelta": {},
                    "requestedAuthConfigs": {}, "requestedToolConfirmations": {}},
        "id": event_id,
        "timestamp": timestamp,
    })
    return obj
