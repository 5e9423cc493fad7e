"""The local engine's SQLite database: sessions, media, render jobs, serve tokens.

One file, ``<home>/engine.sqlite``, shared by every ``igedit`` process on the machine
(an agent host may run several at once, and ``igedit serve`` runs beside them). So:

* WAL journal (readers never block the writer) and a busy timeout, so a second
  process waits a moment instead of failing with "database is locked";
* every operation opens its own short transaction (``BEGIN IMMEDIATE`` for writes),
  and nothing is cached in memory: the database is the only truth;
* a connection per operation, which also makes the class safe to call from any
  thread (uvicorn's loop, ``asyncio.to_thread`` workers, tests).

The rows are plain frozen dataclasses; JSON columns (drafts) are decoded here.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from ..draft import Draft, decode_draft, encode_draft
from ..errors import StoreError
from ..fsfaults import home_error, is_disk_full, probe_writable
from ..private import FILE_MODE, private_dir, write_private

log = structlog.get_logger(__name__)

SCHEMA_VERSION = 1
#: check every page of the database (``PRAGMA quick_check``) at least this often
CHECK_EVERY_S = 24 * 3600
#: how many earlier drafts of a session "undo" can go back through
HISTORY_DEPTH = 30
#: owner of the sessions the CLI / chat / MCP front doors use (serve uses user ids)
LOCAL_OWNER = "local"
#: owner of one-shot ``igedit make`` sessions: never "the latest session" of the front
#: doors, so a make never replaces the timeline the user is working on
SCRATCH_OWNER = "local-scratch"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id       TEXT PRIMARY KEY,
    owner    TEXT NOT NULL,
    task_id  TEXT NOT NULL,
    lang     TEXT NOT NULL,
    draft    TEXT NOT NULL,
    rev      INTEGER NOT NULL DEFAULT 0,
    created  REAL NOT NULL,
    updated  REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_owner ON sessions (owner, updated);
CREATE TABLE IF NOT EXISTS media (
    id          TEXT PRIMARY KEY,          -- sha256 of the content
    path        TEXT NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,             -- video | image | audio | caption
    size        INTEGER NOT NULL,
    duration_ms INTEGER,
    width       INTEGER,
    height      INTEGER,
    has_audio   INTEGER NOT NULL DEFAULT 0,
    created     REAL NOT NULL,
    fps         REAL                       -- video frame rate (NULL: not probed yet)
);
CREATE TABLE IF NOT EXISTS hash_cache (   -- avoids re-hashing an unchanged file
    path     TEXT PRIMARY KEY,
    size     INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS session_media (
    session_id TEXT NOT NULL,
    media_id   TEXT NOT NULL,
    position   INTEGER NOT NULL,
    name       TEXT NOT NULL,
    PRIMARY KEY (session_id, media_id)
);
CREATE TABLE IF NOT EXISTS jobs (
    id         TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    owner      TEXT NOT NULL,
    draft      TEXT NOT NULL,
    preview    INTEGER NOT NULL DEFAULT 0,
    status     TEXT NOT NULL,              -- pending | processing | completed | failed | cancelled
    progress   REAL NOT NULL DEFAULT 0,
    output     TEXT NOT NULL DEFAULT '',
    cover      TEXT NOT NULL DEFAULT '',
    worker_pid INTEGER,
    worker_id  TEXT,
    heartbeat  REAL,
    error      TEXT NOT NULL DEFAULT '',
    attempts   INTEGER NOT NULL DEFAULT 0,
    created    REAL NOT NULL,
    updated    REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS draft_history (   -- earlier drafts of a session, for "undo"
    session_id TEXT NOT NULL,
    rev        INTEGER NOT NULL,
    draft      TEXT NOT NULL,
    PRIMARY KEY (session_id, rev)
);
CREATE TABLE IF NOT EXISTS tokens (
    token     TEXT PRIMARY KEY,
    user_id   TEXT NOT NULL,
    client_id TEXT NOT NULL,
    created   REAL NOT NULL,
    expires   REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS tokens_by_client ON tokens (client_id, expires);
"""


@dataclass(frozen=True)
class SessionRow:
    id: str
    owner: str
    task_id: str
    lang: str
    draft: Draft
    rev: int
    created: float
    updated: float


@dataclass(frozen=True)
class MediaRow:
    id: str
    path: str
    name: str
    kind: str
    size: int
    duration_ms: int | None = None
    width: int | None = None
    height: int | None = None
    has_audio: bool = False
    fps: float | None = None       # a video's frame rate; None for rows made before it was kept


@dataclass(frozen=True)
class JobRow:
    id: str
    session_id: str
    owner: str
    draft: Draft
    preview: bool
    status: str
    progress: float
    output: str
    cover: str
    worker_pid: int | None
    worker_id: str | None
    heartbeat: float | None
    error: str
    attempts: int
    created: float
    updated: float


@dataclass(frozen=True)
class TokenRow:
    token: str
    user_id: str
    client_id: str
    created: float
    expires: float


#: columns added after a table was first shipped: (table, column, type). A home made by
#: an older igedit gets them on open; older code ignores them (it names its columns).
_ADDED = (("media", "fps", "REAL"),)


def _add_columns(conn: sqlite3.Connection) -> None:
    for table, column, kind in _ADDED:
        have = {str(r[1]) for r in conn.execute(f"PRAGMA table_info({table})")}
        if column not in have:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")


def _session(r: sqlite3.Row) -> SessionRow:
    return SessionRow(r["id"], r["owner"], r["task_id"], r["lang"], _draft(r["draft"]),
                      r["rev"], r["created"], r["updated"])


def _media(r: sqlite3.Row, name: str | None = None) -> MediaRow:
    return MediaRow(r["id"], r["path"], name or r["name"], r["kind"], r["size"],
                    r["duration_ms"], r["width"], r["height"], bool(r["has_audio"]),
                    r["fps"])


def _job(r: sqlite3.Row) -> JobRow:
    return JobRow(r["id"], r["session_id"], r["owner"], _draft(r["draft"]), bool(r["preview"]),
                  r["status"], r["progress"], r["output"], r["cover"], r["worker_pid"],
                  r["worker_id"], r["heartbeat"], r["error"], r["attempts"], r["created"],
                  r["updated"])


def _draft(text: str) -> Draft:
    """The typed draft of a stored one (the store is an edge: it holds the wire form);
    unreadable JSON gives an empty draft."""
    return decode_draft(text)


def _dump(draft: Draft) -> str:
    return json.dumps(encode_draft(draft), ensure_ascii=False, separators=(",", ":"))


class EngineDB:
    """Typed access to ``engine.sqlite``. Every method is one short transaction."""

    def __init__(self, path: Path, *, busy_timeout_s: float = 15.0) -> None:
        self.path = Path(path)
        self.busy_timeout_s = busy_timeout_s
        #: where a corrupt database was moved aside on open (reported by the engine)
        self.quarantined: Path | None = None
        try:
            self._open()
        except sqlite3.OperationalError as exc:  # locked, read-only, no such folder…
            raise self._fault(exc, "cannot open") from exc
        except sqlite3.DatabaseError as exc:
            # Not a database / malformed / pages failing the integrity check: never a
            # crash, never "malformed" on every command. Move it aside and start fresh.
            self.quarantined = self._move_aside()
            log.warning("engine_db.corrupt", file=str(self.path), moved_to=str(self.quarantined),
                        reason=str(exc))
            try:
                self._open()
            except sqlite3.Error as again:
                raise self._fault(again, "cannot open") from again

    @property
    def _check_stamp(self) -> Path:
        return self.path.with_name(f".{self.path.name}.checked")

    def _check_due(self) -> bool:
        try:
            last = float(self._check_stamp.read_text())
        except (OSError, ValueError):
            return True
        return not 0 <= time.time() - last < CHECK_EVERY_S

    def _checked(self) -> None:
        with contextlib.suppress(OSError):
            write_private(self._check_stamp, f"{time.time():.0f}")

    def _fault(self, exc: sqlite3.Error, what: str = "") -> StoreError:
        """The error for a failed database operation. SQLite reports a full disk as
        "database or disk is full" — or, when the shared-memory file cannot grow, as a
        "disk I/O error" — so the folder is tested by writing to tell the two apart."""
        folder = self.path.parent
        if type(exc) is sqlite3.DatabaseError:  # SQLITE_CORRUPT / NOTADB: damaged pages
            with contextlib.suppress(OSError):
                self._check_stamp.unlink()  # the next open checks every page
            return StoreError(f"{self.path} is damaged: {exc}", key="error_engine_corrupt",
                              home=str(folder), file=str(self.path), reason=str(exc))
        problem = None if is_disk_full(exc) else probe_writable(folder)
        if is_disk_full(exc) or is_disk_full(problem):
            return home_error(problem or exc, folder)
        if what:
            return StoreError(f"{what} {self.path}: {exc}", home=str(folder))
        return StoreError(f"engine database error: {exc}", home=str(folder))

    def _move_aside(self) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{os.getpid()}")
        for suffix in ("", "-wal", "-shm"):
            src = Path(f"{self.path}{suffix}")
            if src.exists():
                os.replace(src, Path(f"{aside}{suffix}"))
        return aside

    def _open(self) -> None:
        try:
            private_dir(self.path.parent)
            # Created 0600 before SQLite opens it: it holds serve's bearer tokens, and
            # SQLite gives the -wal and -shm files the database file's mode.
            fd = os.open(self.path, os.O_CREAT | os.O_RDWR, FILE_MODE)
            os.close(fd)
        except OSError as exc:
            raise home_error(exc, self.path.parent, str(self.path)) from exc
        with contextlib.closing(self._connect()) as conn:
            conn.execute("PRAGMA journal_mode=WAL")  # persistent: set once per file
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(f"{self.path} was written by a newer igedit",
                                 home=str(self.path.parent))
            # Corrupt pages inside an otherwise valid file fail only the queries that
            # touch them — "malformed" on every command, forever. Every page is checked
            # (quarantined on failure) when a query met a damaged page, and otherwise
            # once a day: the check reads the whole file (~5 ms per MB), too slow for
            # every command of a big home.
            if self._check_due():
                verdict = [str(r[0]) for r in conn.execute("PRAGMA quick_check(5)").fetchall()]
                if verdict != ["ok"]:
                    raise sqlite3.DatabaseError("quick_check: " + "; ".join(verdict)[:300])
                self._checked()
            conn.executescript(_SCHEMA)
            _add_columns(conn)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    # -- plumbing ---------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None,
                               check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_s * 1000)}")
        conn.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; durable at checkpoints
        return conn

    @contextlib.contextmanager
    def _tx(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        try:
            conn = self._connect()
        except sqlite3.Error as exc:
            raise self._fault(exc, "cannot open") from exc
        try:
            # IMMEDIATE takes the write lock up front, so read-then-update decisions
            # (claiming a job, bumping a draft revision) cannot interleave across processes.
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield conn
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise self._fault(exc) from exc
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()

    # -- sessions ---------------------------------------------------------------
    def create_session(self, sid: str, *, owner: str, task_id: str, lang: str,
                       draft: Draft) -> SessionRow:
        now = time.time()
        with self._tx(write=True) as c:
            c.execute("INSERT INTO sessions (id, owner, task_id, lang, draft, rev, created, updated)"
                      " VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
                      (sid, owner, task_id, lang, _dump(draft), now, now))
        return SessionRow(sid, owner, task_id, lang, draft, 0, now, now)

    def get_session(self, sid: str, owner: str | None = None) -> SessionRow | None:
        with self._tx() as c:
            row = c.execute("SELECT * FROM sessions WHERE id = ?", (sid,)).fetchone()
        if row is None or (owner is not None and row["owner"] != owner):
            return None
        return _session(row)

    def latest_session(self, owner: str) -> SessionRow | None:
        with self._tx() as c:
            row = c.execute("SELECT * FROM sessions WHERE owner = ? ORDER BY updated DESC LIMIT 1",
                            (owner,)).fetchone()
        return _session(row) if row else None

    def save_draft(self, sid: str, draft: Draft, *, expect_rev: int | None = None) -> int:
        """Store a new draft; returns the new revision, or -1 when ``expect_rev`` is stale
        (another process edited the session meanwhile)."""
        with self._tx(write=True) as c:
            row = c.execute("SELECT rev FROM sessions WHERE id = ?", (sid,)).fetchone()
            if row is None or (expect_rev is not None and row["rev"] != expect_rev):
                return -1
            rev = int(row["rev"]) + 1
            c.execute("INSERT OR REPLACE INTO draft_history SELECT id, rev, draft FROM sessions"
                      " WHERE id = ?", (sid,))
            c.execute("DELETE FROM draft_history WHERE session_id = ? AND rev <= ?",
                      (sid, rev - 1 - HISTORY_DEPTH))
            c.execute("UPDATE sessions SET draft = ?, rev = ?, updated = ? WHERE id = ?",
                      (_dump(draft), rev, time.time(), sid))
        return rev

    def undo_draft(self, sid: str) -> tuple[Draft, Draft] | None:
        """Put back the draft before the latest change: ``(before_undo, restored)``, or
        None when there is nothing to undo. Each call steps one change further back."""
        with self._tx(write=True) as c:
            row = c.execute("SELECT draft, rev FROM sessions WHERE id = ?", (sid,)).fetchone()
            prev = c.execute("SELECT rev, draft FROM draft_history WHERE session_id = ?"
                             " ORDER BY rev DESC LIMIT 1", (sid,)).fetchone()
            if row is None or prev is None:
                return None
            c.execute("DELETE FROM draft_history WHERE session_id = ? AND rev = ?",
                      (sid, prev["rev"]))
            c.execute("UPDATE sessions SET draft = ?, rev = ?, updated = ? WHERE id = ?",
                      (prev["draft"], int(row["rev"]) + 1, time.time(), sid))
        return _draft(row["draft"]), _draft(prev["draft"])

    def touch_session(self, sid: str, *, lang: str | None = None) -> None:
        with self._tx(write=True) as c:
            if lang:
                c.execute("UPDATE sessions SET updated = ?, lang = ? WHERE id = ?",
                          (time.time(), lang, sid))
            else:
                c.execute("UPDATE sessions SET updated = ? WHERE id = ?", (time.time(), sid))

    # -- media ------------------------------------------------------------------
    def cached_hash(self, path: str, size: int, mtime_ns: int) -> str | None:
        with self._tx() as c:
            row = c.execute("SELECT sha256 FROM hash_cache WHERE path = ? AND size = ? AND"
                            " mtime_ns = ?", (path, size, mtime_ns)).fetchone()
        return str(row["sha256"]) if row else None

    def remember_hash(self, path: str, size: int, mtime_ns: int, sha: str) -> None:
        with self._tx(write=True) as c:
            c.execute("INSERT OR REPLACE INTO hash_cache VALUES (?, ?, ?, ?)",
                      (path, size, mtime_ns, sha))

    def get_media(self, media_id: str) -> MediaRow | None:
        with self._tx() as c:
            row = c.execute("SELECT * FROM media WHERE id = ?", (media_id,)).fetchone()
        return _media(row) if row else None

    def put_media(self, m: MediaRow) -> None:
        """Insert or refresh a media row (same content at a new path: the path moves)."""
        with self._tx(write=True) as c:
            c.execute(
                "INSERT INTO media (id, path, name, kind, size, duration_ms, width, height,"
                " has_audio, created, fps) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET path = excluded.path, kind = excluded.kind,"
                " size = excluded.size, duration_ms = excluded.duration_ms,"
                " width = excluded.width, height = excluded.height,"
                " has_audio = excluded.has_audio, fps = COALESCE(excluded.fps, fps)",
                (m.id, m.path, m.name, m.kind, m.size, m.duration_ms, m.width, m.height,
                 int(m.has_audio), time.time(), m.fps))

    def attach_media(self, sid: str, media_id: str, name: str) -> bool:
        """Add media to a session (in order); False when it was already there."""
        with self._tx(write=True) as c:
            if c.execute("SELECT 1 FROM session_media WHERE session_id = ? AND media_id = ?",
                         (sid, media_id)).fetchone():
                return False
            pos = c.execute("SELECT COALESCE(MAX(position), -1) + 1 FROM session_media"
                            " WHERE session_id = ?", (sid,)).fetchone()[0]
            c.execute("INSERT INTO session_media VALUES (?, ?, ?, ?)", (sid, media_id, pos, name))
            c.execute("UPDATE sessions SET updated = ? WHERE id = ?", (time.time(), sid))
        return True

    def session_media(self, sid: str) -> list[MediaRow]:
        with self._tx() as c:
            rows = c.execute("SELECT m.*, sm.name AS shown FROM session_media sm JOIN media m"
                             " ON m.id = sm.media_id WHERE sm.session_id = ? ORDER BY sm.position",
                             (sid,)).fetchall()
        return [_media(r, r["shown"]) for r in rows]

    # -- render jobs ------------------------------------------------------------
    def create_job(self, job_id: str, *, session_id: str, owner: str, draft: Draft,
                   preview: bool) -> JobRow:
        now = time.time()
        with self._tx(write=True) as c:
            c.execute("INSERT INTO jobs (id, session_id, owner, draft, preview, status, created,"
                      " updated) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
                      (job_id, session_id, owner, _dump(draft), int(preview), now, now))
            row = c.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row)

    def get_job(self, job_id: str) -> JobRow | None:
        with self._tx() as c:
            row = c.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    def claim_job(self, job_id: str, *, worker_id: str, pid: int,
                  claimable: Callable[[JobRow], bool]) -> JobRow | None:
        """Atomically take a job for this worker if ``claimable(row)`` says so."""
        now = time.time()
        with self._tx(write=True) as c:
            row = c.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None or not claimable(_job(row)):
                return None
            c.execute("UPDATE jobs SET status = 'processing', worker_id = ?, worker_pid = ?,"
                      " heartbeat = ?, progress = 0, error = '', attempts = attempts + 1,"
                      " updated = ? WHERE id = ?", (worker_id, pid, now, now, job_id))
            row = c.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row)

    def job_heartbeat(self, job_id: str, worker_id: str, progress: float | None = None) -> bool:
        """Refresh the worker's heartbeat (and progress); False if the job was taken over."""
        now = time.time()
        with self._tx(write=True) as c:
            if progress is None:
                cur = c.execute("UPDATE jobs SET heartbeat = ? WHERE id = ? AND worker_id = ?"
                                " AND status = 'processing'", (now, job_id, worker_id))
            else:
                cur = c.execute("UPDATE jobs SET heartbeat = ?, progress = ?, updated = ?"
                                " WHERE id = ? AND worker_id = ? AND status = 'processing'",
                                (now, progress, now, job_id, worker_id))
        return cur.rowcount == 1

    def finish_job(self, job_id: str, worker_id: str, *, status: str, output: str = "",
                   cover: str = "", error: str = "") -> bool:
        now = time.time()
        with self._tx(write=True) as c:
            cur = c.execute("UPDATE jobs SET status = ?, output = ?, cover = ?, error = ?,"
                            " progress = CASE WHEN ? = 'completed' THEN 100 ELSE progress END,"
                            " heartbeat = NULL, updated = ? WHERE id = ? AND worker_id = ?"
                            " AND status != 'cancelled'",
                            (status, output, cover, error, status, now, job_id, worker_id))
        return cur.rowcount == 1

    def release_job(self, job_id: str, worker_id: str) -> None:
        """Hand an interrupted job back (pending, no worker) so anyone can restart it."""
        with self._tx(write=True) as c:
            c.execute("UPDATE jobs SET status = 'pending', worker_id = NULL, worker_pid = NULL,"
                      " heartbeat = NULL, updated = ? WHERE id = ? AND worker_id = ? AND"
                      " status = 'processing'", (time.time(), job_id, worker_id))

    def cancel_job(self, job_id: str, error: str = "cancelled") -> JobRow | None:
        """Mark a pending or processing job ``cancelled`` (atomically; a finished job is
        left as it is). Its worker notices at its next heartbeat and stops ffmpeg.
        Returns the row as it is now, or None for an unknown id."""
        with self._tx(write=True) as c:
            c.execute("UPDATE jobs SET status = 'cancelled', error = ?, heartbeat = NULL,"
                      " updated = ? WHERE id = ? AND status IN ('pending', 'processing')",
                      (error, time.time(), job_id))
            row = c.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    def active_jobs(self, *, session_id: str | None = None,
                    exclude_owner: str | None = None) -> list[JobRow]:
        """Jobs still pending or processing (of one session, or all but one owner's)."""
        sql = "SELECT * FROM jobs WHERE status IN ('pending', 'processing')"
        args: list[Any] = []
        if session_id is not None:
            sql += " AND session_id = ?"
            args.append(session_id)
        if exclude_owner is not None:
            sql += " AND owner != ?"
            args.append(exclude_owner)
        with self._tx() as c:
            rows = c.execute(sql + " ORDER BY created", args).fetchall()
        return [_job(r) for r in rows]

    def mark_job(self, job_id: str, **fields: Any) -> None:
        """Set columns directly (tests and maintenance; not used on the hot path)."""
        allowed = {"status", "progress", "worker_pid", "worker_id", "heartbeat", "error"}
        cols = [k for k in fields if k in allowed]
        if not cols:
            return
        with self._tx(write=True) as c:
            c.execute(f"UPDATE jobs SET {', '.join(f'{k} = ?' for k in cols)} WHERE id = ?",  # noqa: S608
                      (*[fields[k] for k in cols], job_id))

    # -- serve tokens -----------------------------------------------------------
    def token_for_client(self, client_id: str, now: float) -> TokenRow | None:
        with self._tx() as c:
            row = c.execute("SELECT * FROM tokens WHERE client_id = ? AND expires > ?"
                            " ORDER BY expires DESC LIMIT 1", (client_id, now)).fetchone()
        return TokenRow(**dict(row)) if row else None

    def user_for_client(self, client_id: str) -> str | None:
        with self._tx() as c:
            row = c.execute("SELECT user_id FROM tokens WHERE client_id = ? ORDER BY created DESC"
                            " LIMIT 1", (client_id,)).fetchone()
        return str(row["user_id"]) if row else None

    def add_token(self, t: TokenRow) -> None:
        with self._tx(write=True) as c:
            c.execute("INSERT INTO tokens VALUES (?, ?, ?, ?, ?)",
                      (t.token, t.user_id, t.client_id, t.created, t.expires))

    def get_token(self, token: str) -> TokenRow | None:
        with self._tx() as c:
            row = c.execute("SELECT * FROM tokens WHERE token = ?", (token,)).fetchone()
        return TokenRow(**dict(row)) if row else None
