"""The state directory (``IGEDIT_HOME``): small JSON documents, written atomically.

Each document is ``<home>/<name>.json`` holding ``{"schema": N, ...}``. Reads never
crash: a file that is not valid JSON, has a schema from the future, or parses but
holds the wrong types (:mod:`skill.storeshapes`) is moved aside to
``<name>.json.corrupt-<time>`` and reported through :attr:`Store.warnings`.
Read-modify-write happens under a file lock, because agent hosts run several
``igedit`` processes at once. Every file is 0600 and the folder 0700
(:mod:`skill.private`); a full disk is a clear error, not a traceback.
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
from .fsfaults import home_error
from .private import FILE_MODE, private_dir
from .storeshapes import check

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
            private_dir(self.home)
        except OSError as exc:
            raise StoreError(
                f"cannot create {self.home}: {exc.strerror}", key="error_store",
                home=str(self.home),
            ) from exc
        return self.home

    @contextlib.contextmanager
    def lock(self, name: str) -> Iterator[None]:
        self.ensure()
        lock = FileLock(str(self.home / f".{name}.lock"), timeout=self.lock_timeout,
                        mode=FILE_MODE)
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
            wrong = check(name, {k: v for k, v in doc.items() if k != "schema"})
            if wrong:
                raise ValueError(f"wrong type: {wrong}")
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
        try:
            # mkstemp makes the file 0600, so every document is private (secrets or not)
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=self.home)
        except OSError as exc:
            raise home_error(exc, self.home, str(path)) from exc
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                os.fchmod(fd, FILE_MODE)
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise home_error(exc, self.home, str(path)) from exc

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
