"""The fault matrix: every fault switch of the fake NemoVideo server × every handler,
through the host (``Runtime`` + ``CloudBackend`` on a real loopback server, simulated
clock so nothing waits).

Each cell starts *warm* — a token in the 0600 store, a session holding one uploaded
clip — then switches the fault on and runs one handler. It asserts:

* what the user reads: the outcome in :data:`EXPECT` (``ok`` or the error template), the
  notices the fault should cause, and clean text (no traceback, token or raw JSON);
* that nothing is lost: the token is still in ``auth.json`` (0600) and the server
  accepts it; the session is the same one, or a new one *and* the 1002 notice was shown;
  an edit message was never sent twice; a render job stays in the ``renders`` document
  until its file is downloaded (a failed export with a job left pending is finished by
  ``export --resume`` once the fault is gone); the output folder holds the finished
  file or nothing — no partial download; nothing is left half-closed for another task
  to finalise (a stream or response closed later, from the wrong task).

``missing_client_id`` only fires on the anonymous-token request, so its cells first
let the stored token expire (the user comes back after the token's seven days).

``python -m tests.test_fault_matrix`` prints the matrix as Markdown for
``docs/reliability.md``.
"""

from __future__ import annotations

import asyncio
import gc
import os
import re
import stat
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from skill.backend import Backend, NoticeCb
from skill.cloud import CloudBackend
from skill.manifest import load_manifest
from skill.replies import Reply
from skill.runtime import Runtime
from skill.store import Store
from tests.fake_nemo import FakeNemo, SimClock, fault_names, video_bytes

HANDLERS = ("upload", "edit", "status", "credits", "export")
FAULTS = tuple(fault_names())
EDIT_TEXT = "add the title Urban Dreams"

# What the user ends up with, per fault and handler. "ok" = the handler's normal reply;
# otherwise the template key of the error reply. Cells not listed are "ok".
EXPECT: dict[tuple[str, str], str] = {
    **{("rate_limit_always", h): "error_429" for h in HANDLERS},
    ("export_402", "export"): "error_402",
    ("lost_session", "export"): "export_empty",     # the new session has no clips yet
    ("no_credits", "edit"): "error_2001",
    ("stream_error", "edit"): "error_stream",
}
# Notices each fault must cause in a handler (beyond set-up and export progress lines).
NOTICES: dict[tuple[str, str], set[str]] = {
    **{("lost_session", h): {"error_1002"} for h in HANDLERS if h != "credits"},
    ("lost_session_404", "edit"): {"error_1002"},
    ("cut_stream", "edit"): {"stream_dropped_waiting"},
    ("render_fail_once", "export"): {"export_retrying"},
}
# Notices that are part of a normal run and never worth a column in the matrix.
ROUTINE = {"setup_start", "setup_done", "export_started", "store_warning"}
# The reply that shows each handler worked.
SUCCESS = {"upload": "upload_done", "status": "summary", "credits": "credits",
           "export": "export_done"}


# The endpoints each lasting fault changes (one-shot faults say themselves whether they
# fired): a cell whose handler never calls them is "not hit" — the fault cannot reach it.
AFFECTS: dict[str, set[str]] = {
    "rate_limit_always": {"anonymous_token", "create_session", "credits", "state", "upload",
                          "run_sse", "render_submit", "render_status", "render_download"},
    "export_402": {"render_submit"}, "no_credits": {"run_sse", "credits"},
    "tools_only": {"run_sse"}, "cut_stream": {"run_sse"}, "heartbeats_only": {"run_sse"},
    "partials": {"run_sse"}, "malformed": {"run_sse"}, "stream_error": {"run_sse"},
    "status_shape_data": {"render_status"}, "draft_string": {"state"},
    "slow_download": {"cdn_download"}, "cdn_down": {"cdn_download"},
}


_ALL = set(HANDLERS)
_STREAM_FAULTS = ("tools_only", "cut_stream", "heartbeats_only", "partials", "malformed",
                  "stream_error", "lost_session_404")
_RENDER_FAULTS = ("export_402", "render_fail_once", "status_flaky", "status_shape_data",
                  "slow_download", "cdn_down")
# The handlers each fault can reach at all (the others are "not hit": "—" in the doc).
REACHES: dict[str, set[str]] = {
    **{f: {"edit"} for f in _STREAM_FAULTS},
    **{f: {"export"} for f in _RENDER_FAULTS},
    **{f: _ALL for f in ("expired_token", "missing_client_id", "rate_limit",
                         "rate_limit_always")},
    "no_credits": {"edit", "credits"},
    "draft_string": {"edit", "status", "export"},
    "lost_session": _ALL - {"credits"},           # credits are per user, not per session
}


def outcome(fault: str, handler: str) -> str:
    return EXPECT.get((fault, handler), "ok")


# ------------------------------------------------------------------ plumbing

@pytest.fixture(scope="module")
def server() -> Iterator[FakeNemo]:
    fake = FakeNemo()
    with fake.serve():
        yield fake


def mp4(path: Path, size: int = 4096) -> Path:
    path.write_bytes(video_bytes(size))
    return path


class Host:
    """One user's host: a Runtime over a CloudBackend, both on the simulated clock."""

    def __init__(self, fake: FakeNemo, sim: SimClock, cwd: Path) -> None:
        self.fake, self.sim, self.cwd = fake, sim, cwd
        self.store = Store()
        self.leaks: list[str] = []   # exceptions raised while objects were finalised

    def runtime(self) -> Runtime:
        def factory(notice: NoticeCb) -> Backend:
            return CloudBackend(httpx.AsyncClient(timeout=10), self.store, load_manifest(),
                                base_url=self.fake.base_url, sleep=self.sim.sleep,
                                clock=self.sim.now, notice=notice, lang="en")

        return Runtime(factory, self.store, lang="en", lang_fixed=True, sleep=self.sim.sleep,
                       clock=self.sim.now, cwd=self.cwd)

    def run(self, work: Callable[[Runtime], Awaitable[None]],
            stop_when: Callable[[Reply], bool] | None = None) -> list[Reply]:
        """Run ``work``; ``stop_when`` a reply arrives, walk away as Ctrl-C would."""
        rt = self.runtime()

        async def go() -> list[Reply]:
            got: list[Reply] = []
            try:
                async for reply in rt.stream(lambda: work(rt)):
                    got.append(reply)
                    if stop_when is not None and stop_when(reply):
                        break   # the stream's cleanup cancels the work mid-flight
                return got
            finally:
                await rt.aclose()

        # Anything left half-closed (a stream generator, a response) is finalised here,
        # inside this call, so a leak is pinned on the cell that caused it.
        old_hook = sys.unraisablehook
        sys.unraisablehook = lambda u: self.leaks.append(f"{u.exc_type.__name__}: {u.exc_value}")
        try:
            replies = asyncio.run(go())
            gc.collect()
        finally:
            sys.unraisablehook = old_hook
        return replies

    def session_id(self) -> str:
        doc = self.store.read("session").get("cloud") or {}
        return str((doc.get(self.fake.base_url) or {}).get("session_id") or "")


def handler_work(handler: str, tmp: Path) -> Callable[[Runtime], Awaitable[None]]:
    if handler == "upload":
        clip = mp4(tmp / "second.mp4")
        return lambda rt: rt.upload([str(clip)])
    if handler == "edit":
        return lambda rt: rt.edit(EDIT_TEXT)
    if handler == "status":
        return lambda rt: rt.status()
    if handler == "credits":
        return lambda rt: rt.credits()
    out = tmp / "out"
    out.mkdir(exist_ok=True)
    return lambda rt: rt.export(out / "reel.mp4")


@dataclass
class Cell:
    fault: str
    handler: str
    replies: list[Reply]
    error: str
    notices: set[str] = field(default_factory=set)
    session_before: str = ""
    hit: bool = True
    resumed: bool = False

    @property
    def result(self) -> str:
        return self.error or "ok"


def run_cell(fake: FakeNemo, fault: str, handler: str, tmp: Path) -> tuple[Cell, Host]:
    sim = SimClock()
    fake.reset(clock=sim.now)
    host = Host(fake, sim, tmp)
    first = mp4(tmp / "first.mp4")
    setup = host.run(lambda rt: _setup(rt, str(first)))
    assert not [r for r in setup if r.kind == "error"], setup
    session_before = host.session_id()
    if fault == "missing_client_id":   # the token's seven days are over
        with host.store.update("auth") as doc:
            doc["expires_at"] = 0
    fake.set_fault(fault)
    counts = dict(fake.counts)
    replies = host.run(handler_work(handler, tmp))
    errors = [r for r in replies if r.kind == "error"]
    if fault in AFFECTS:
        hit = any(fake.counts[e] > counts.get(e, 0) for e in AFFECTS[fault])
    else:
        hit = fault not in fake.faults   # a one-shot fault switches itself off as it fires
    cell = Cell(fault, handler, replies, errors[-1].key if errors else "",
                {r.key for r in replies if r.kind == "notice"} - ROUTINE, session_before, hit)
    return cell, host


async def _setup(rt: Runtime, clip: str) -> None:
    await rt.upload([clip])


# ------------------------------------------------------------------ the matrix

_RAW_JSON = re.compile(r"\{\s*\"|\"code\"\s*:|\"data\"\s*:")


def check_clean_text(cell: Cell, fake: FakeNemo) -> None:
    for reply in cell.replies:
        text = reply.text
        assert "Traceback" not in text and "nmv_usr_" not in text, text
        assert not _RAW_JSON.search(text), text
        for token in fake.issued:
            assert token not in text
        if reply.kind in ("error", "notice", "text", "summary", "file"):
            assert text.strip(), reply


def check_nothing_lost(cell: Cell, host: Host, tmp: Path) -> None:
    fake = host.fake
    # the token: kept 0600, and it is one the server accepts
    auth = host.store.path("auth")
    assert stat.S_IMODE(os.stat(auth).st_mode) == 0o600
    token = host.store.read("auth").get("token")
    assert token in fake.issued, "the stored token is not one the server knows"
    # the session: the same, or replaced *and* the user was told
    after = host.session_id()
    assert cell.session_before
    if after != cell.session_before:
        assert "error_1002" in cell.notices, (cell.session_before, after)
        assert after in fake.sessions
    # an edit is never sent twice
    assert fake.messages.count(EDIT_TEXT) <= 1, fake.messages
    # downloads: the finished file or nothing
    out = tmp / "out"
    if out.exists():
        names = sorted(p.name for p in out.iterdir())
        if cell.handler == "export" and not cell.error:
            assert names == ["reel.mp4"]
            assert (out / "reel.mp4").stat().st_size == fake.download_size
        else:
            assert names == [], names
    # render jobs: gone once downloaded; a job left pending is finished by --resume
    jobs = host.store.read("renders").get("jobs") or {}
    if cell.handler != "export" or not cell.error:
        assert jobs == {}, jobs
    elif jobs:
        assert set(jobs) <= set(fake.jobs)
        fake.faults.clear()
        resumed = host.run(lambda rt: rt.export(resume=True))
        assert [r.key for r in resumed if r.kind == "file"] == ["export_done"], resumed
        assert (host.store.read("renders").get("jobs") or {}) == {}
        cell.resumed = True


def check_outcome(cell: Cell) -> None:
    assert cell.hit == (cell.handler in REACHES[cell.fault])
    assert cell.result == outcome(cell.fault, cell.handler), [
        (r.kind, r.key, r.text) for r in cell.replies]
    expected = NOTICES.get((cell.fault, cell.handler), set())
    assert expected <= cell.notices, cell.notices
    if not cell.error:
        keys = {r.key for r in cell.replies} | {r.kind for r in cell.replies}
        if cell.handler == "edit":
            assert any(r.kind == "text" for r in cell.replies), cell.replies
        else:
            assert SUCCESS[cell.handler] in keys, cell.replies


@pytest.mark.parametrize("handler", HANDLERS)
@pytest.mark.parametrize("fault", FAULTS)
def test_fault_cell(server: FakeNemo, tmp_path: Path, fault: str, handler: str) -> None:
    cell, host = run_cell(server, fault, handler, tmp_path)
    check_clean_text(cell, server)
    check_outcome(cell)
    check_nothing_lost(cell, host, tmp_path)
    assert host.leaks == []   # nothing left half-closed for another task to finalise


# Runtime.edit used to leave the backend's /run_sse generator open when it raised on an
# in-stream error event; finalised later in another task, its httpx response (an anyio
# cancel scope) could not close, and `igedit edit` printed a traceback after the message.
def test_error_event_closes_the_stream_in_the_same_task(server: FakeNemo, tmp_path: Path) -> None:
    cell, host = run_cell(server, "stream_error", "edit", tmp_path)
    assert cell.result == "error_stream"
    assert host.leaks == []


def test_every_fault_switch_is_in_the_matrix() -> None:
    from tests.fake_nemo import FAULTS as SWITCHES

    assert set(FAULTS) == set(SWITCHES) == set(REACHES)
    assert {f for f, _ in EXPECT} | {f for f, _ in NOTICES} <= set(FAULTS)


# ------------------------------------------------------------------ interrupted exports

def _warm(fake: FakeNemo, tmp: Path, **settings: Any) -> tuple[Host, Path]:
    sim = SimClock()
    fake.reset(clock=sim.now, **settings)
    host = Host(fake, sim, tmp)
    host.run(lambda rt: rt.upload([str(mp4(tmp / "first.mp4"))]))
    out = tmp / "out"
    out.mkdir()
    return host, out


def _finish_with_resume(host: Host, out: Path) -> None:
    jobs = host.store.read("renders").get("jobs") or {}
    assert len(jobs) == 1 and next(iter(jobs.values()))["dest"] == str(out / "reel.mp4")
    assert list(out.iterdir()) == []                      # no partial download
    host.fake.faults.clear()
    replies = host.run(lambda rt: rt.export(resume=True))
    assert [r.key for r in replies if r.kind in ("file", "error")] == ["export_done"], replies
    assert (out / "reel.mp4").read_bytes() == video_bytes(host.fake.download_size)
    assert sorted(p.name for p in out.iterdir()) == ["reel.mp4"]
    assert host.store.read("renders").get("jobs") == {}
    assert host.fake.counts["render_submit"] == 1           # resumed, never re-submitted
    assert host.leaks == []


def test_walking_away_while_rendering_keeps_the_job(server: FakeNemo, tmp_path: Path) -> None:
    host, out = _warm(server, tmp_path, render_seconds=60.0)
    replies = host.run(lambda rt: rt.export(out / "reel.mp4"),
                       stop_when=lambda r: r.kind == "progress" and r.label == "render")
    assert replies[-1].kind == "progress" and not [r for r in replies if r.kind == "error"]
    _finish_with_resume(host, out)


def test_walking_away_mid_download_leaves_no_partial_file(server: FakeNemo,
                                                          tmp_path: Path) -> None:
    host, out = _warm(server, tmp_path, download_size=512 * 1024, chunk_delay=0.05)
    server.set_fault("slow_download")
    replies = host.run(lambda rt: rt.export(out / "reel.mp4"),
                       stop_when=lambda r: r.kind == "progress" and r.label == "download"
                       and 0 < (r.done or 0) < (r.total or 0))
    assert replies[-1].label == "download"
    _finish_with_resume(host, out)


def test_rate_limited_while_polling_keeps_the_job(server: FakeNemo, tmp_path: Path) -> None:
    host, out = _warm(server, tmp_path, render_seconds=20.0)
    sim_sleep = host.sim.sleep

    async def sleep(seconds: float) -> None:   # the API starts refusing once rendering
        if server.counts["render_submit"]:
            server.set_fault("rate_limit_always")
        await sim_sleep(seconds)

    host.sim.sleep = sleep  # type: ignore[method-assign]
    replies = host.run(lambda rt: rt.export(out / "reel.mp4"))
    assert [r.key for r in replies if r.kind == "error"] == ["error_429"]
    host.sim.sleep = sim_sleep  # type: ignore[method-assign]
    _finish_with_resume(host, out)


# ------------------------------------------------------------------ the document

def matrix_markdown(tmp: Path) -> str:  # pragma: no cover - documentation generator
    """Run every cell and return the Markdown table for docs/reliability.md."""
    fake = FakeNemo()
    rows = []
    messages: dict[str, str] = {}
    with fake.serve():
        for fault in FAULTS:
            cells = []
            for handler in HANDLERS:
                cell_dir = tmp / f"{fault}-{handler}"
                cell_dir.mkdir(parents=True)
                os.environ["IGEDIT_HOME"] = str(cell_dir / "home")
                cell, host = run_cell(fake, fault, handler, cell_dir)
                check_clean_text(cell, fake)
                check_outcome(cell)
                check_nothing_lost(cell, host, cell_dir)
                text = cell.result if cell.hit else "—"
                if cell.notices:
                    text += " + " + ", ".join(sorted(cell.notices))
                if cell.resumed:
                    text += " (resumed)"
                cells.append(text)
                for r in cell.replies:
                    if r.kind in ("error", "notice") and r.key not in ROUTINE:
                        messages.setdefault(r.key, r.text)
            rows.append(f"| `{fault}` | " + " | ".join(cells) + " |")
    head = "| fault | " + " | ".join(HANDLERS) + " |\n|---|" + "---|" * len(HANDLERS)
    legend = "\n".join(f"- `{k}`: {v}" for k, v in sorted(messages.items()))
    return head + "\n" + "\n".join(rows) + "\n\nWhat the user reads:\n\n" + legend + "\n"


if __name__ == "__main__":  # pragma: no cover
    import logging
    import tempfile

    import structlog

    logging.getLogger("uvicorn").setLevel(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    with tempfile.TemporaryDirectory() as d:
        sys.stdout.write(matrix_markdown(Path(d)))
