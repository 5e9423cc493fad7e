"""What each agent host leaves behind, as data: environment markers, process names, skill folders.

Each row names its source; docs/platform.md has the links. Adding a host is a row per table.

Environment markers (set by the host in the environment of the commands its agent runs):

- claude-code: ``CLAUDECODE=1`` and ``CLAUDE_CODE_ENTRYPOINT`` (Claude Code's env-vars reference).
- cursor: ``CURSOR_AGENT`` (Cursor's agent-terminal docs) and
  ``CURSOR_EXTENSION_HOST_ROLE=agent-exec`` (the in-editor agent's shells; what
  ``@vercel/detect-agent`` and the ``skills`` CLI check). ``CURSOR_TRACE_ID`` alone is *not*
  a marker: Cursor sets it in every integrated terminal, agent or not.
- openclaw: ``OPENCLAW_SHELL`` — ``exec`` for the agent's exec tool, ``tui-local`` for the
  TUI's ``!`` commands (OpenClaw's exec and TUI docs).
- codex: ``CODEX_SANDBOX_NETWORK_DISABLED=1`` (shell tool), ``CODEX_SANDBOX=seatbelt``
  (macOS sandbox; both from openai/codex ``AGENTS.md``), ``CODEX_THREAD_ID``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EnvMarker:
    host: str
    var: str
    value: str = ""  # "" = any non-empty value counts


ENV_MARKERS: tuple[EnvMarker, ...] = (
    EnvMarker("claude-code", "CLAUDECODE"),
    EnvMarker("claude-code", "CLAUDE_CODE_ENTRYPOINT"),
    EnvMarker("cursor", "CURSOR_AGENT"),
    EnvMarker("cursor", "CURSOR_EXTENSION_HOST_ROLE", "agent-exec"),
    EnvMarker("openclaw", "OPENCLAW_SHELL"),
    EnvMarker("codex", "CODEX_SANDBOX_NETWORK_DISABLED"),
    EnvMarker("codex", "CODEX_SANDBOX"),
    EnvMarker("codex", "CODEX_THREAD_ID"),
)

# Process names (Linux ``comm``, or the file name of argv[0]/argv[1]) and install-path
# fragments of each host's own process. Node CLIs set their process title (Claude Code
# shows as ``claude``); the fragments catch ``node …/node_modules/<package>/cli.js``.
PROCESS_NAMES: dict[str, tuple[str, ...]] = {
    "claude-code": ("claude",),
    "cursor": ("cursor", "cursor-agent"),
    "openclaw": ("openclaw", "openclaw-gateway"),
    "codex": ("codex",),
}
PROCESS_PATHS: dict[str, tuple[str, ...]] = {
    # Native builds run from …/claude/versions/<version>, the version being the file name.
    "claude-code": ("node_modules/@anthropic-ai/claude-code/", "/claude/versions/"),
    "cursor": ("/cursor-agent/",),
    "openclaw": ("node_modules/openclaw/",),
    "codex": ("node_modules/@openai/codex/",),
}

# Skill folders a host reads. ``~`` is HOME; ``$VAR`` replaces the part before ``/skills``
# when that variable is set (CLAUDE_CONFIG_DIR, CODEX_HOME). ``.agents/skills`` is shared:
# Cursor, Codex and OpenClaw all read it (their skills docs), so a copy there alone does
# not name one host.
USER_FOLDERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # (folder, env override of its parent, hosts reading it)
    ("~/.claude/skills", "CLAUDE_CONFIG_DIR", ("claude-code",)),
    ("~/.cursor/skills", "", ("cursor",)),
    ("~/.codex/skills", "CODEX_HOME", ("codex",)),
    ("~/.openclaw/skills", "", ("openclaw",)),
    ("~/.openclaw/workspace/skills", "", ("openclaw",)),
    ("~/.agents/skills", "", ("cursor", "codex", "openclaw")),
)
PROJECT_FOLDERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (".claude/skills", ("claude-code",)),
    (".cursor/skills", ("cursor",)),
    (".agents/skills", ("cursor", "codex", "openclaw")),
)
# Where a host keeps its own state: a shared folder's copy counts for the hosts whose
# state folder exists (the same test the ``skills`` CLI uses to list installed agents).
HOST_HOMES: dict[str, tuple[str, ...]] = {
    "claude-code": ("~/.claude",),
    "cursor": ("~/.cursor",),
    "codex": ("~/.codex",),
    "openclaw": ("~/.openclaw",),
}

__all__ = ["ENV_MARKERS", "HOST_HOMES", "PROCESS_NAMES", "PROCESS_PATHS", "PROJECT_FOLDERS",
           "USER_FOLDERS", "EnvMarker"]
