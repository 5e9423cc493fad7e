"""The state directory (``IGEDIT_HOME``): small JSON documents, written atomically.

Each document is ``<home>/<name>.json`` holding ``{"schema": N, ...}``. Reads never
crash: a file that is not valid JSON (or has a schema from the future) is moved aside
to ``<name>.json.corrupt-<time>`` and reported through :attr:`Store.warnings`.
Read-modify-write happens under a file lock, because agent hosts run several
``igedit`` processes at once. Documents that hold secrets are written 0600.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import structlog
from filelock import FileLock, Timeout

from .errors import StoreError

SCHEMA = 1
SECRET_DOCS = frozenset({"auth"})
log = structlog.get_logger(__name__)


def default_home() -> Path:
    env = os.environ.get("IGEDIT_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("igedit", appauthor=False))


class Store:
    """JSON documents in one directory, locked and atomic."""

    def __init__(self, home: str | os.PathLike[str] | None = None, *, lock_timeout: float = 30.0):
        self.home = Path(home).expanduser() if home else default_home()
        self.lock_timeout = lock_timeout
        self.warnings: list[dict[str, str]] = []

    # -- paths -------------------------------------------------------------
    def path(self, name: str) -> Path:
        return self.home / f"{name}.json"

    def ensure(self) -> Path:
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create {self.home}: {exc.strerror}", key="error_store",
                home=str(self.home),
            ) from exc
        return self.home

    @contextlib.contextmanager
    def lock(self, name: str) -> Iterator[None]:
        self.ensure()
        lock = FileLock(str(self.home / f".{name}.lock"), timeout=self.lock_timeout)
        try:
            with lock:
                yield
        except Timeout as exc:
            raise StoreError(
                f"{self.home} is locked by another igedit process", key="error_store_locked",
                home=str(self.home),
            ) from exc

    # -- read / write --------------------------------------------------------
    def read(self, name: str) -> dict[str, Any]:
        """The document's data (without ``schema``); ``{}`` if missing or corrupt."""
        path = self.path(name)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise StoreError(f"cannot read {path}: {exc.strerror}", key="error_store",
                             home=str(self.home)) from exc
        try:
            doc = json.loads(raw.decode("utf-8"))
            if not isinstance(doc, dict):
                raise ValueError("not an object")
            schema = doc.get("schema", SCHEMA)
            if not isinstance(schema, int) or schema > SCHEMA:
                raise ValueError(f"unknown schema {schema!r}")
        except (ValueError, UnicodeDecodeError) as exc:
            self._quarantine(path, str(exc))
            return {}
        doc.pop("schema", None)
        return doc

    def write(self, name: str, data: dict[str, Any]) -> None:
        """Replace the document atomically (temp file in the same folder + rename)."""
        self.ensure()
        path = self.path(name)
        payload = json.dumps({"schema": SCHEMA, **data}, ensure_ascii=False, indent=1,
                             sort_keys=True)
        secret = name in SECRET_DOCS
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=self.home)
        try:
            if secret:
                os.chmod(tmp, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
            if secret:
                os.chmod(path, 0o600)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise StoreError(f"cannot write {path}: {exc.strerror}", key="error_store",
                             home=str(self.home)) from exc

    @contextlib.contextmanager
    def update(self, name: str) -> Iterator[dict[str, Any]]:
        """Locked read-modify-write: mutate the yielded dict; it is saved on exit."""
        with self.lock(name):
            data = self.read(name)
            yield data
            self.write(name, data)

    def delete(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(name).unlink()

    def _quarantine(self, path: Path, why: str) -> None:
        aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")
        try:
            os.replace(path, aside)
        except OSError:
            aside = path
        log.warning("store.corrupt", file=str(path), moved_to=str(aside), reason=why)
        self.warnings.append({"file": str(path), "moved_to": str(aside)})
