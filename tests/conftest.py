"""Shared fixtures: a private IGEDIT_HOME per test, and a guard that keeps every
connection on loopback (no test may reach the internet or any other address)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_nemo import FakeNemo, SimClock

ROOT = Path(__file__).resolve().parent.parent
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check(address: object) -> None:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        try:
            ip = ipaddress.ip_address(host.split("%")[0])
        except ValueError:
            if host != "localhost":
                raise OSError(f"test tried to reach {host!r}; only loopback is allowed") from None
            return
        if not ip.is_loopback:
            raise OSError(f"test tried to reach {host}; only loopback is allowed")


def _guarded_connect(self: socket.socket, address: object) -> None:
    _check(address)
    _real_connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _check(address)
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "igedit-home"
    monkeypatch.setenv("IGEDIT_HOME", str(home))
    monkeypatch.setenv("IGEDIT_SKILL_DIR", str(ROOT))
    for var in ("NEMO_TOKEN", "NEMO_API_URL", "NEMO_CLIENT_ID", "SKILL_SOURCE",
                "ANTHROPIC_API_KEY", "IGEDIT_BACKEND"):
        monkeypatch.delenv(var, raising=False)
    # Attribution (issue 15): the markers of the agent host running the suite stay out.
    from skill.hosts import ENV_MARKERS

    for marker in ENV_MARKERS:
        monkeypatch.delenv(marker.var, raising=False)
    # Unreachable by construction: auto must fall back to local without waiting.
    monkeypatch.setenv("NEMO_API_URL", "http://127.0.0.1:9")
    # No background proxy builders behind every upload in the suite: tests/test_proxy.py
    # turns them on where they are the subject.
    monkeypatch.setenv("IGEDIT_PROXIES", "0")
    monkeypatch.setenv("IGEDIT_SPEECH", "0")   # no background transcription per upload
    return home


@pytest.fixture
def home(_isolated_env: Path) -> Path:
    return _isolated_env


# -- the fake NemoVideo server, one per test module (modules may override these) ----
@pytest.fixture(scope="module")
def server() -> Iterator[FakeNemo]:
    fake = FakeNemo()
    with fake.serve():
        yield fake


@pytest.fixture
def sim() -> SimClock:
    return SimClock()


@pytest.fixture
def fake(server: FakeNemo, sim: SimClock) -> FakeNemo:
    """The module's fake server, reset (faults cleared) and on this test's clock."""
    return server.reset(clock=sim.now)


@pytest.fixture
def logging_as_before() -> Iterator[None]:
    """``main()`` configures logging for the process; put it back for the tests after
    (modules that call it: ``pytestmark = pytest.mark.usefixtures("logging_as_before")``)."""
    import structlog

    yield
    structlog.reset_defaults()
