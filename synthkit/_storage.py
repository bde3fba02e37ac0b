"""Durable storage under a workspace: the folder layout, the SQLite catalogue, atomic files.

:class:`Catalogue` owns the database connection: it checks that a folder is a
synthkit workspace of a version this code reads (read-only checks first, so a
foreign or damaged file is never modified), switches on WAL, foreign keys and
full syncing, and runs every change as one ``BEGIN IMMEDIATE ... COMMIT``
transaction, polling for the write lock so two processes take turns.
:class:`synthkit.workspace.Workspace` builds the public API on top.
"""

from __future__ import annotations

import datetime as _dt
import getpass
import json
import os
import random
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

import polars as pl

from ._checks import check_path
from .data import Dataset
from .errors import DataError, WorkspaceError

#: Version of the on-disk layout (``PRAGMA user_version``); bump with a migration.
SCHEMA_VERSION = 1
FORMAT = "synthkit-workspace"
DB_NAME = "workspace.db"
REAL_FILE = "real.parquet"
BATCH_DIR = "batches"
CACHE_DIR = "cache"
DEFAULT_TIMEOUT = 10.0
BUSY_SLICE = 0.01  # seconds SQLite itself waits for a lock before _begin polls again
#: ``PRAGMA synchronous``: FULL flushes the log at every commit, so a committed
#: tag survives a power cut as well as a killed process.
SYNCHRONOUS = "FULL"

_DDL = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE batches (
    batch_id     TEXT PRIMARY KEY,
    generator    TEXT NOT NULL,
    n            INTEGER NOT NULL,
    random_state INTEGER,
    generation   INTEGER NOT NULL,
    fitted_on    TEXT NOT NULL,       -- JSON list
    created_at   TEXT NOT NULL,
    params       TEXT NOT NULL,       -- JSON object
    provenance   TEXT NOT NULL,       -- JSON (Provenance.to_dict)
    schema       TEXT NOT NULL,       -- JSON (Schema.to_dict)
    fingerprint  TEXT NOT NULL,       -- content hash of the stored rows
    file         TEXT NOT NULL,       -- relative to the workspace folder
    added_at     TEXT NOT NULL,
    active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);
CREATE TABLE tags (
    tag_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    label      TEXT NOT NULL,
    note       TEXT NOT NULL,
    author     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    polygon    TEXT,                  -- JSON list of [x, y] or NULL
    map_hash   TEXT,
    active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);
CREATE INDEX tags_label ON tags(label);
CREATE TABLE tag_rows (
    tag_id INTEGER NOT NULL REFERENCES tags(tag_id) ON DELETE CASCADE,
    row_id TEXT NOT NULL,
    source TEXT NOT NULL,             -- 'real' or a batch id
    UNIQUE (tag_id, row_id)
);
CREATE TABLE log (
    action_id INTEGER PRIMARY KEY AUTOINCREMENT,
    time      TEXT NOT NULL,
    author    TEXT NOT NULL,
    action    TEXT NOT NULL,
    details   TEXT NOT NULL,          -- JSON object
    target    INTEGER REFERENCES log(action_id),  -- undo/redo: the action acted on
    undone    INTEGER NOT NULL DEFAULT 0 CHECK (undone IN (0, 1))
);
CREATE INDEX log_action ON log(action);
"""

_README = """This folder is a synthkit workspace.

Open it with:

    import synthkit as sk
    ws = sk.Workspace.open("{path}")

workspace.db holds the catalogue of batches, the tags and the audit log (SQLite);
real.parquet and batches/*.parquet hold the rows. Nothing here is pickled.
Do not edit the files by hand; copy the whole folder to share or back it up.
"""


def now_utc() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds")


def parse_time(s: str | None) -> _dt.datetime | None:
    if not s:
        return None
    try:
        t = _dt.datetime.fromisoformat(s)
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=_dt.timezone.utc)
    return t.astimezone(_dt.timezone.utc)


def default_author() -> str:
    """The operating-system user name (``"unknown"`` if there is none)."""
    try:
        name = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        name = ""
    return name or "unknown"


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write(frame: pl.DataFrame, dest: Path) -> Path:
    """Write ``frame`` to ``dest`` (.parquet/.pq or .csv) all at once.

    The rows go to a temporary file in the same folder, which is flushed to disk
    and then moved over ``dest``; a crash leaves either the old file or the new
    one, never half of one.
    """
    dest = Path(dest)
    suffix = dest.suffix.lower()
    if suffix not in (".parquet", ".pq", ".csv"):
        raise DataError(f"cannot write {dest.name!r}: use a .parquet or .csv file name")
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    try:
        if suffix == ".csv":
            frame.write_csv(tmp)
        else:
            frame.write_parquet(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
        fsync_dir(dest.parent)
    finally:
        if tmp.exists():
            tmp.unlink()
    return dest


class Catalogue:
    """The SQLite side of a workspace folder: connection, checks, transactions, log."""

    def __init__(self, path: str | os.PathLike, *, author: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT):
        p = check_path("path", path, error=WorkspaceError)
        self._path = p.resolve() if p.exists() else p
        self._timeout = check_timeout(timeout)
        self._author = check_author(author) if author is not None else default_author()
        self._lock = threading.RLock()
        self._jitter = random.Random()  # own generator: never touches global random state
        self._con: sqlite3.Connection | None = None
        self._con = self._connect()
        try:
            self._meta = self._identify()
            self._configure()
        except BaseException:
            self._con.close()
            self._con = None
            raise
        for sub in (CACHE_DIR, BATCH_DIR):
            try:
                (self._path / sub).mkdir(exist_ok=True)
            except OSError:  # a read-only copy: reading still works
                pass

    def _connect(self) -> sqlite3.Connection:
        p = self._path
        if not p.exists():
            raise WorkspaceError(
                f"no workspace at {str(p)!r}: the folder does not exist; create one with "
                f"sk.Workspace.create({str(p)!r}, dataset)"
            )
        if not p.is_dir():
            raise WorkspaceError(f"{str(p)!r} is a file, not a workspace folder")
        db = p / DB_NAME
        if not db.is_file():
            raise WorkspaceError(
                f"{str(p)!r} is not a synthkit workspace (it has no {DB_NAME}); open the folder "
                "made by sk.Workspace.create, or create a new workspace in an empty folder"
            )
        try:
            return sqlite3.connect(str(db), timeout=self._timeout, isolation_level=None,
                                   check_same_thread=False)
        except sqlite3.Error as exc:
            raise WorkspaceError(f"cannot open {db}: {exc}") from None

    def _identify(self) -> dict[str, str]:
        """Read-only checks: is this our database, intact, and a version we read?"""
        con = self._con
        assert con is not None
        db = self._path / DB_NAME
        if db.stat().st_size == 0:
            raise WorkspaceError(
                f"the workspace database {db} is an empty file (it was never finished or was "
                "truncated); nothing was changed. Restore the folder from a backup"
            )
        try:
            version = con.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            meta = dict(con.execute("SELECT key, value FROM meta")) if "meta" in tables else {}
        except sqlite3.OperationalError as exc:
            raise self._db_error(exc) from None
        except sqlite3.DatabaseError as exc:
            raise self._corrupt(exc) from None
        if meta.get("format") != FORMAT:
            raise WorkspaceError(
                f"{str(self._path)!r} is not a synthkit workspace: {DB_NAME} is a SQLite database "
                "of another program; nothing was changed. Create a synthkit workspace in a new folder"
            )
        if version > SCHEMA_VERSION:
            raise WorkspaceError(
                f"the workspace {str(self._path)!r} was written by a newer synthkit (workspace format "
                f"version {version}; this synthkit reads up to version {SCHEMA_VERSION}); nothing was "
                "changed. Upgrade synthkit (pip install -U synthkit) to open it"
            )
        if version < 1:
            raise WorkspaceError(
                f"the workspace database {db} has no format version (it was not finished or was "
                "damaged); nothing was changed. Restore the folder from a backup"
            )
        missing = {"batches", "tags", "tag_rows", "log"} - tables
        if missing:
            raise self._corrupt(f"tables {sorted(missing)} are missing")
        try:
            bad = con.execute("PRAGMA quick_check").fetchall()
        except sqlite3.DatabaseError as exc:
            raise self._corrupt(exc) from None
        if bad != [("ok",)]:
            raise self._corrupt("; ".join(str(r[0]) for r in bad[:3]))
        return meta

    def _configure(self) -> None:
        con = self._con
        assert con is not None
        try:
            # waits inside SQLite stay short; _begin polls up to the full timeout
            con.execute(f"PRAGMA busy_timeout = {int(min(self._timeout, BUSY_SLICE) * 1000)}")
            con.execute("PRAGMA journal_mode = WAL")
            con.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")
            con.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            raise self._db_error(exc) from None

    # ------------------------------------------------------------------ errors and transactions
    def _corrupt(self, exc: Any) -> WorkspaceError:
        return WorkspaceError(
            f"the workspace database {self._path / DB_NAME} is corrupt or not a SQLite file ({exc}); "
            "nothing was changed. Restore the folder from a backup; the rows in real.parquet and "
            f"{BATCH_DIR}/*.parquet are separate files and can be read with polars"
        )

    def _db_error(self, exc: sqlite3.Error) -> WorkspaceError:
        msg = str(exc).lower()
        if is_busy(exc):
            return WorkspaceError(
                f"the workspace {str(self._path)!r} stayed locked by another process for more than "
                f"{self._timeout:g} s ({exc}); nothing was written. Wait for the other notebook or "
                "script to finish writing and retry, or open the workspace with a longer timeout="
            )
        if "malformed" in msg or "not a database" in msg or "corrupt" in msg:
            return self._corrupt(exc)
        if "readonly" in msg or "read-only" in msg:
            return WorkspaceError(
                f"cannot write to the workspace {str(self._path)!r}: the folder or {DB_NAME} is "
                "read-only; copy the folder somewhere writable"
            )
        if "disk" in msg or "full" in msg:
            return WorkspaceError(
                f"cannot write to the workspace {str(self._path)!r} ({exc}); free disk space and retry; "
                "nothing was written"
            )
        return WorkspaceError(f"workspace database error in {str(self._path)!r}: {exc}")

    def _conn(self) -> sqlite3.Connection:
        if self._con is None:
            raise WorkspaceError(
                f"the workspace {str(self._path)!r} is closed; reopen it with sk.Workspace.open(path)"
            )
        return self._con

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT); rolls back on any error."""
        with self._lock:
            con = self._conn()
            self._begin(con)
            try:
                yield con
                con.execute("COMMIT")
            except BaseException as exc:
                try:
                    con.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                if isinstance(exc, sqlite3.Error):
                    raise self._db_error(exc) from None
                raise

    def _begin(self, con: sqlite3.Connection) -> None:
        """Take the write lock, polling every few milliseconds until ``timeout``.

        SQLite's own busy handler backs off to 100 ms sleeps, so a process
        writing in a tight loop can starve a second one; short polls give both
        a fair chance.
        """
        self._polling(lambda: con.execute("BEGIN IMMEDIATE"))

    def _read(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        with self._lock:
            con = self._conn()
            return self._polling(lambda: con.execute(sql, tuple(params)).fetchall())

    def _polling(self, step: Callable[[], Any]) -> Any:
        """Run ``step``, retrying every few milliseconds while the database is busy, up to ``timeout``."""
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                return step()
            except sqlite3.OperationalError as exc:
                if not is_busy(exc) or time.monotonic() >= deadline:
                    raise self._db_error(exc) from None
                time.sleep(0.001 + 0.003 * self._jitter.random())
            except sqlite3.Error as exc:
                raise self._db_error(exc) from None

    def _log(self, con: sqlite3.Connection, action: str, details: Mapping[str, Any],
             author: str | None = None, target: int | None = None) -> int:
        cur = con.execute(
            "INSERT INTO log (time, author, action, details, target) VALUES (?, ?, ?, ?, ?)",
            (now_utc(), author or self._author, action, json.dumps(details, ensure_ascii=False), target),
        )
        return int(cur.lastrowid)

    # ------------------------------------------------------------------ basics
    @property
    def path(self) -> Path:
        """The workspace folder."""
        return self._path

    @property
    def cache_dir(self) -> Path:
        """Folder inside the workspace where the Map keeps its cache."""
        d = self._path / CACHE_DIR
        d.mkdir(exist_ok=True)
        return d

    @property
    def author(self) -> str:
        """Who is recorded for actions of this session (default: the OS user)."""
        return self._author

    def close(self) -> None:
        """Close the database connection (safe to call twice)."""
        with self._lock:
            if self._con is not None:
                try:
                    self._con.close()
                finally:
                    self._con = None

    @property
    def closed(self) -> bool:
        return self._con is None

    def __enter__(self):
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:  # pragma: no cover - best effort
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass

# ---------------------------------------------------------------------- helpers
def build(folder: Path, ds: Dataset, *, author: str, final: Path) -> None:
    """Write a complete new workspace into ``folder`` (renamed into place by the caller)."""
    try:
        (folder / BATCH_DIR).mkdir()
        (folder / CACHE_DIR).mkdir()
        atomic_write(ds.frame, folder / REAL_FILE)
        (folder / "README.txt").write_text(_README.format(path=final), encoding="utf-8")
        con = sqlite3.connect(str(folder / DB_NAME), isolation_level=None)
    except OSError as exc:
        raise WorkspaceError(f"cannot create a workspace at {str(final)!r}: {exc}") from None
    try:
        con.execute("PRAGMA journal_mode = WAL")
        con.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")
        con.execute("BEGIN IMMEDIATE")
        for stmt in _DDL.split(";"):
            if stmt.strip():
                con.execute(stmt)
        meta = {
            "format": FORMAT,
            "dataset": ds.name,
            "schema": json.dumps(ds.schema.to_dict(), ensure_ascii=False),
            "fingerprint": ds.fingerprint,
            "n_real": str(len(ds)),
            "created_at": now_utc(),
            "created_by": author,
        }
        con.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
        con.execute(
            "INSERT INTO log (time, author, action, details) VALUES (?, ?, 'create', ?)",
            (now_utc(), author, json.dumps({"dataset": ds.name, "n_real": len(ds),
                                         "fingerprint": ds.fingerprint}, ensure_ascii=False)),
        )
        con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        con.execute("COMMIT")
    except sqlite3.Error as exc:
        raise WorkspaceError(f"cannot create the workspace database in {str(final)!r}: {exc}") from None
    finally:
        con.close()


def is_busy(exc: sqlite3.Error) -> bool:
    msg = str(exc).lower()
    return "locked" in msg or "busy" in msg


def check_author(author: Any) -> str:
    if not isinstance(author, str) or not author.strip():
        raise DataError(f"author must be a non-empty string, got {author!r}")
    return author.strip()


def check_timeout(timeout: Any) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout >= 0:
        raise DataError(f"timeout={timeout!r} must be a number of seconds >= 0")
    return float(timeout)


__all__ = ["Catalogue", "atomic_write", "build", "default_author", "SCHEMA_VERSION", "DB_NAME"]
