"""Claude as a planner for instructions the rules cannot parse (needs ``ANTHROPIC_API_KEY``).

One Messages API call per instruction: the system prompt (``prompts/planner_system.j2``)
describes the timeline and the uploaded media, the tools are generated from
:data:`~skill.engine.ops.OPS` (one JSON schema per op) plus ``not_supported`` for anything no
tool can do. Every ``tool_use`` block becomes an op via :func:`~skill.engine.ops.op_from_call`;
an answer without tool calls leaves the instruction not understood.

The SDK is imported lazily. Its errors are translated here, once: HTTP errors become
:class:`~skill.errors.ApiError` (``plan_claude_auth`` / ``plan_claude_busy`` /
``plan_claude_error``), connection problems :class:`~skill.errors.NetworkError`; the
key never appears in a message.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ...draft import Draft, summarize
from ...errors import ApiError, ConfigError, InputError, NetworkError, SkillError
from ...redact import register_secret
from ...templates import PROMPTS_DIR
from ..ops import Op, op_from_call, secs, tool_definitions
from ..ops.draftedit import PlanContext, total_ms
from .types import Plan

if TYPE_CHECKING:
    import anthropic
    import httpx

DEFAULT_MODEL = "claude-sonnet-5"
MODEL_ENV = "IGEDIT_CLAUDE_MODEL"
MAX_TOKENS = 2048
TIMEOUT_S = 60.0

NOT_SUPPORTED = {
    "name": "not_supported",
    "description": ("Call this once for each part of the request that none of the other tools "
                    "can do, quoting the user's own words in request."),
    "input_schema": {"type": "object", "properties": {"request": {"type": "string"}},
                     "required": ["request"], "additionalProperties": False},
}


@lru_cache(maxsize=1)
def _system_template() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(PROMPTS_DIR)), autoescape=False,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    return env.get_template("planner_system.j2")


def _or(value: str | None, default: str) -> str:
    return default if value is None else value


def system_prompt(draft: Draft, ctx: PlanContext) -> str:
    """The system prompt for one planning call: the tools' rules, the timeline, the media."""
    media = [{"name": i.name, "kind": i.kind, "seconds": secs(i.duration_ms),
              "size": f"{i.width}x{i.height}" if i.width and i.height else ""}
             for i in ctx.media]
    return str(_system_template().render(
        summary=summarize(draft), total_s=secs(total_ms(draft)),
        ratio=_or(draft.ratio, ""), fit=_or(draft.fit, "crop"), look=_or(draft.look, ""),
        media=media, lang=ctx.lang))


def tools() -> list[dict[str, Any]]:
    """Tool definitions sent to Claude: every op, plus ``not_supported``."""
    return [*tool_definitions(), NOT_SUPPORTED]


class ClaudePlanner:
    """Plans with Claude's tool use; see the module docstring."""

    def __init__(self, *, api_key: str, model: str | None = None,
                 client: anthropic.Anthropic | None = None,
                 http_client: httpx.Client | Any | None = None,
                 base_url: str | None = None, max_retries: int = 2) -> None:
        """``http_client`` is handed to the SDK as is: an ``httpx.Client`` for SDKs built on
        httpx, an ``httpx2.Client`` for the ones built on httpx2 (anthropic 2.x)."""
        if not api_key and client is None:
            raise SkillError("no Anthropic API key", key="plan_claude_auth", status="no key")
        register_secret(api_key)
        self._api_key = api_key
        self.model = model or os.environ.get(MODEL_ENV, "").strip() or DEFAULT_MODEL
        self._client = client
        self._http_client = http_client
        self._base_url = base_url
        self._max_retries = max_retries

    def _sdk(self) -> anthropic.Anthropic:
        if self._client is None:
            import anthropic

            kwargs: dict[str, Any] = {"api_key": self._api_key, "max_retries": self._max_retries,
                                      "timeout": TIMEOUT_S}
            if self._base_url:
                kwargs["base_url"] = self._base_url
            if self._http_client is not None:
                kwargs["http_client"] = self._http_client
            try:
                self._client = anthropic.Anthropic(**kwargs)
            except TypeError as exc:   # e.g. an httpx.Client given to an httpx2-based SDK
                raise ConfigError(f"cannot set up the Anthropic client: {exc}") from exc
        return self._client

    def plan(self, instruction: str, draft: Draft, ctx: PlanContext) -> Plan:
        """Ask Claude for tool calls; :class:`ApiError` / :class:`NetworkError` on failure."""
        client = self._sdk()
        try:
            response = client.messages.create(
                model=self.model, max_tokens=MAX_TOKENS, system=system_prompt(draft, ctx),
                tools=tools(),  # type: ignore[arg-type]
                messages=[{"role": "user", "content": instruction}],
            )
        except Exception as exc:  # translated once, here: no SDK error escapes
            raise _translate(exc) from exc
        return plan_from_content(getattr(response, "content", []) or [], instruction)


def plan_from_content(blocks: list[Any], instruction: str) -> Plan:
    """Ops from the ``tool_use`` blocks of a Messages API answer (pure)."""
    ops: list[Op] = []
    unknown: list[str] = []
    calls = 0
    for block in blocks:
        if _get(block, "type") != "tool_use":
            continue
        calls += 1
        name, args = str(_get(block, "name") or ""), _get(block, "input") or {}
        if name == NOT_SUPPORTED["name"]:
            request = str(args.get("request") or "").strip() if isinstance(args, dict) else ""
            unknown.append(request or instruction)
            continue
        try:
            ops.append(op_from_call(name, args if isinstance(args, dict) else {}))
        except InputError:
            unknown.append(instruction)
    if calls == 0:
        unknown.append(instruction)
    return Plan(tuple(ops), tuple(dict.fromkeys(unknown)))


def _get(block: Any, key: str) -> Any:
    return block.get(key) if isinstance(block, dict) else getattr(block, key, None)


def _translate(exc: Exception) -> SkillError:
    """An anthropic SDK error → ours (no key, no raw body)."""
    import anthropic

    if isinstance(exc, SkillError):
        return exc
    if isinstance(exc, anthropic.APIStatusError):
        status = exc.status_code
        body: dict[str, Any] = exc.body if isinstance(exc.body, dict) else {}
        error = body.get("error")
        code = str(error.get("type") or "") or None if isinstance(error, dict) else None
        message = f"Anthropic API error {status}" + (f" ({code})" if code else "")
        if status in (401, 403):
            return ApiError(message, key="plan_claude_auth", status=status, code=code)
        if status in (429, 529) or status >= 500:
            return ApiError(message, key="plan_claude_busy", status=status, code=code)
        return ApiError(message, key="plan_claude_error", status=status, code=code)
    if isinstance(exc, anthropic.APIConnectionError):   # includes APITimeoutError
        return NetworkError("cannot reach the Anthropic API", key="plan_claude_network")
    return ApiError(f"Anthropic SDK error: {type(exc).__name__}", key="plan_claude_error",
                    status=None, code=type(exc).__name__)
