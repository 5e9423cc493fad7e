"""One redaction filter for everything printed or logged.

Removes tokens (``nmv_…``, ``clm_…``, ``Bearer <token-shaped>``, ``sk-ant-…``, the value of
``NEMO_TOKEN`` and any secret registered at run time) and replaces raw JSON with a
short placeholder, so neither ever reaches the user or a log file.
"""

from __future__ import annotations

import json
import os
import re

_SECRETS: set[str] = set()
MASK = "[redacted]"
JSON_MASK = "[details hidden]"

#: a token-shaped word: 8+ characters of the token alphabet with a digit or one of
#: ``_-.=+/~:`` in it, or 20+ letters (random base64 without digits is rare but
#: possible); ordinary words ("Grylls", "of") are neither
_TOKEN = (r"(?:(?=[A-Za-z0-9_\-.=:+/~]*[0-9_\-.=:+/~])[A-Za-z0-9_\-.=:+/~]{8,}"
          r"|[A-Za-z]{20,})")

_PATTERNS = [
    re.compile(r"\b(?:nmv|clm)_[A-Za-z0-9_\-\.]{4,}"),
    re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{6,}"),
    # "Bearer <token>": only a token-shaped word (see _TOKEN), so a title such as
    # "Bearer Grylls tour" survives
    re.compile(r"(?i)\bbearer\s+" + _TOKEN),
    re.compile(r"(?i)(\bNEMO_TOKEN\s*[=:]\s*)\S+"),
    re.compile(r"(?i)(\"?(?:token|access_token|claim_token|api_key|authorization)\"?\s*[:=]\s*\"?)" + _TOKEN),
]


def register_secret(value: str | None) -> None:
    """Remember a secret obtained at run time (e.g. an anonymous token)."""
    if value and len(value) >= 6:
        _SECRETS.add(value)


def _secrets() -> list[str]:
    found = set(_SECRETS)
    env = os.environ.get("NEMO_TOKEN")
    if env and len(env) >= 6:
        found.add(env)
    key = os.environ.get("ANTHROPIC_API_KEY")
    if key and len(key) >= 6:
        found.add(key)
    return sorted(found, key=len, reverse=True)


def _looks_like_json(fragment: str) -> bool:
    s = fragment.strip()
    if len(s) < 2 or s[0] not in "{[" or s[-1] not in "}]":
        return False
    try:
        value = json.loads(s)
    except ValueError:
        return False
    return isinstance(value, dict | list) and bool(value)


_JSON_BLOCK = re.compile(r"(\{.*\}|\[.*\])", re.DOTALL)


def mask_secrets(text: str) -> str:
    """Return ``text`` with every known token pattern and secret masked."""
    if not text:
        return text
    out = text
    for secret in _secrets():
        out = out.replace(secret, MASK)
    for pattern in _PATTERNS:
        if pattern.groups:
            out = pattern.sub(lambda m: m.group(1) + MASK, out)
        else:
            out = pattern.sub(MASK, out)
    return out


def redact(text: str) -> str:
    """Return ``text`` with secrets masked and raw JSON objects hidden."""
    if not text:
        return text
    out = mask_secrets(text)
    if "{" in out or "[" in out:
        out = _hide_json(out)
    return out


def _hide_json(text: str) -> str:
    lines = []
    for line in text.split("\n"):
        if _looks_like_json(line):
            lines.append(JSON_MASK)
            continue
        match = _JSON_BLOCK.search(line)
        if match and _looks_like_json(match.group(1)) and (':' in match.group(1)):
            line = line[: match.start()] + JSON_MASK + line[match.end():]
        lines.append(line)
    joined = "\n".join(lines)
    if _looks_like_json(joined):
        return JSON_MASK
    return joined
