"""What the host hands back to a front door: a stream of :class:`Reply` objects."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

ReplyKind = Literal["text", "notice", "progress", "summary", "file", "error", "not_done"]


@dataclass(frozen=True)
class Reply:
    """One thing to show the user.

    ``text`` is always rendered and redacted already. ``key`` names the template it
    came from (empty for backend text). Progress replies carry ``label`` and
    ``done``/``total`` (seconds or bytes); ``file`` replies carry the saved path;
    error replies carry ``code`` (the NemoVideo code or template key) and ``exit_code``.
    A ``not_done`` reply (exit code 3) follows an edit of which some part was not done:
    ``data`` holds ``done`` / ``not_done`` (see :mod:`skill.engine.plan.outcome`); its text
    repeats the not-done lines the edit's own reply already showed.
    """

    kind: ReplyKind
    text: str = ""
    key: str = ""
    label: str = ""
    done: float | None = None
    total: float | None = None
    file: str = ""
    code: str = ""
    exit_code: int = 0
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def percent(self) -> int | None:
        if self.done is None or not self.total:
            return None
        return max(0, min(100, int(self.done * 100 / self.total)))

    def to_json(self) -> dict[str, Any]:
        """The documented ``--json`` line: only non-empty fields, never secrets."""
        out = {k: v for k, v in asdict(self).items() if v not in ("", None, {}, 0) or k == "kind"}
        if self.kind == "progress":
            out["progress"] = self.percent
        return out

#: the state-delta key under which an engine turn reports what was done and not done
OUTCOME_KEY = "igedit_outcome"
