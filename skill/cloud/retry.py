"""Retry policy for NemoVideo requests, kept apart from the I/O that applies it.

Every corrective action happens at most once per request (a second 1001 after a
fresh token, a second 1002 after a new session, a second 429 after waiting: the
user gets the table's message instead of a loop).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .errortable import Rule

Step = Literal["reauth", "new_session", "new_client_id", "wait", "raise"]


@dataclass
class RetryState:
    """Which corrective actions this request has already used."""

    used: set[str] = field(default_factory=set)

    def take(self, step: str) -> bool:
        if step in self.used:
            return False
        self.used.add(step)
        return True


def decide(rule: Rule, state: RetryState, *, can_reauth: bool = True,
           session_bound: bool = False, auth_request: bool = False,
           resend_safe: bool = True) -> Step:
    """What to do about a failed request.

    ``can_reauth`` is False when the token came from ``NEMO_TOKEN`` (we cannot mint
    a replacement for it). ``session_bound`` says the request names a session that
    could be recreated; ``resend_safe`` is False once a message may have reached
    the agent (never risk a double charge). ``auth_request`` marks the
    anonymous-token call itself, the only place a 400 means "missing client id".
    """
    action = rule.action
    if not resend_safe:
        return "raise"
    if action == "reauth" and can_reauth and not auth_request and state.take("reauth"):
        return "reauth"
    if action == "new_session" and session_bound and state.take("new_session"):
        return "new_session"
    if action == "new_client_id" and auth_request and state.take("new_client_id"):
        return "new_client_id"
    if action == "retry_after" and state.take("wait"):
        return "wait"
    return "raise"
