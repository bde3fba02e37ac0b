"""Workspace: durable storage for one real dataset, its synthetic batches and the tags on them.

A workspace is a folder::

    my-ws/
      workspace.db        SQLite (WAL): catalogue of batches, tags, tag_rows, audit log
      real.parquet        the real rows (row_id first), exactly as the Dataset had them
      batches/<id>.parquet  the rows of each synthetic batch
      cache/              the Map's on-disk cache
      README.txt

Every change is one SQLite transaction that also writes its audit-log entry,
so a crash (even SIGKILL) loses nothing already committed and never leaves a
half-written tag. Row data is written to a temporary file, flushed and moved
into place (``os.replace``) before the catalogue row that points at it is
committed. Several processes (two notebooks) may write to one workspace at
once; SQLite serialises the writes and waits up to ``timeout`` seconds for a
lock. Nothing in a workspace is pickled: opening someone else's workspace runs
no code.
"""

from __future__ import annotations

import datetime as _dt
import getpass
import json
import os
import random
import shutil
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import numpy as np
import polars as pl

from .batch import Batch, Provenance, check_batch_id
from .data import ROW_ID, Dataset, Schema, as_dataset, frame_fingerprint
from .errors import DataError, SynthkitError, WorkspaceError
from .tags import (
    DEFAULT_DROP,
    Tag,
    check_label,
    check_labels,
    check_note,
    check_polygon,
    check_row_ids,
    points_in_polygon,
    polygon_from_json,
    polygon_to_json,
)

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

UNDOABLE = ("tag", "untag", "add", "remove_batch")
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


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds")


def _parse_time(s: str | None) -> _dt.datetime | None:
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


def _fsync_dir(folder: Path) -> None:
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
        _fsync_dir(dest.parent)
    finally:
        if tmp.exists():
            tmp.unlink()
    return dest


class Workspace:
    """A folder holding one real dataset, synthetic batches, tags and an audit log.

    Create one with :meth:`create`, reopen it with :meth:`open` (or
    ``Workspace(path)``). Use it as a context manager, or call :meth:`close`.

    ``author`` (default: the OS user) is recorded with every action;
    ``timeout`` is how long a write waits for another process holding the lock
    before raising :class:`WorkspaceError`.
    """

    # ------------------------------------------------------------------ opening
    def __init__(self, path: str | os.PathLike, *, author: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT):
        p = Path(path).expanduser()
        self._path = p.resolve() if p.exists() else p
        self._timeout = _check_timeout(timeout)
        self._author = _check_author(author) if author is not None else default_author()
        self._lock = threading.RLock()
        self._jitter = random.Random()  # own generator: never touches global random state
        self._con: sqlite3.Connection | None = None
        self._dataset: Dataset | None = None
        self._real_ids: frozenset[str] | None = None
        self._batch_rows: dict[str, int] = {}
        self._con = self._connect()
        try:
            self._meta = self._identify()
            self._configure()
        except BaseException:
            self._con.close()
            self._con = None
            raise
        (self._path / CACHE_DIR).mkdir(exist_ok=True)
        (self._path / BATCH_DIR).mkdir(exist_ok=True)

    @classmethod
    def open(cls, path: str | os.PathLike, *, author: str | None = None,
             timeout: float = DEFAULT_TIMEOUT) -> "Workspace":
        """Open an existing workspace folder (``WorkspaceError`` if it is not one)."""
        return cls(path, author=author, timeout=timeout)

    @classmethod
    def create(cls, path: str | os.PathLike, dataset: Any, *, exist_ok: bool = False,
               author: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> "Workspace":
        """Make a new workspace folder at ``path`` for ``dataset`` (a Dataset or a frame).

        The folder must not exist yet or be empty. With ``exist_ok=True`` an
        existing workspace of the same real data is opened instead. The folder
        is built under a temporary name and moved into place at the end, so an
        interrupted create leaves no half-made workspace behind.
        """
        ds = as_dataset(dataset)
        p = Path(path).expanduser()
        if p.exists():
            if (p / DB_NAME).exists():
                if not exist_ok:
                    raise WorkspaceError(
                        f"{str(p)!r} is already a workspace; open it with sk.Workspace.open({str(p)!r}) "
                        "or pass exist_ok=True"
                    )
                ws = cls.open(p, author=author, timeout=timeout)
                if ws._meta.get("fingerprint") != ds.fingerprint:
                    name = ws._meta.get("dataset")
                    ws.close()
                    raise WorkspaceError(
                        f"the workspace {str(p)!r} holds different real data ({name!r}, "
                        f"fingerprint {ws._meta.get('fingerprint')}) than the dataset given "
                        f"({ds.name!r}, fingerprint {ds.fingerprint}); open it with "
                        "sk.Workspace.open(path) or choose another folder"
                    )
                return ws
            if not p.is_dir():
                raise WorkspaceError(f"{str(p)!r} is a file, not a folder; choose a new folder name for the workspace")
            if any(p.iterdir()):
                raise WorkspaceError(
                    f"{str(p)!r} exists and is not a synthkit workspace (it holds other files); "
                    "choose a new folder name or an empty folder, so nothing there is overwritten"
                )
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            tmp = p.parent / f".{p.name}.creating-{uuid.uuid4().hex[:12]}"
            tmp.mkdir()  # honours the umask, unlike tempfile.mkdtemp
        except OSError as exc:
            raise WorkspaceError(f"cannot create a workspace at {str(p)!r}: {exc}") from None
        try:
            _build(tmp, ds, author=_check_author(author) if author is not None else default_author(),
                   final=p)
            try:
                os.rename(tmp, p)  # atomic; also replaces an empty folder on POSIX
            except OSError as exc:
                raise WorkspaceError(
                    f"cannot create the workspace at {str(p)!r} ({exc.strerror}); "
                    "another process may have created it meanwhile; open it or choose another folder"
                ) from None
            _fsync_dir(p.parent)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return cls(p, author=author, timeout=timeout)

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
        if "locked" in msg or "busy" in msg:
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
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                con.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or time.monotonic() >= deadline:
                    raise self._db_error(exc) from None
                time.sleep(0.001 + 0.003 * self._jitter.random())
            except sqlite3.Error as exc:
                raise self._db_error(exc) from None

    def _read(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        with self._lock:
            con = self._conn()
            deadline = time.monotonic() + self._timeout
            while True:
                try:
                    return con.execute(sql, tuple(params)).fetchall()
                except sqlite3.OperationalError as exc:
                    if not _is_busy(exc) or time.monotonic() >= deadline:
                        raise self._db_error(exc) from None
                    time.sleep(0.001 + 0.003 * self._jitter.random())
                except sqlite3.Error as exc:
                    raise self._db_error(exc) from None

    def _log(self, con: sqlite3.Connection, action: str, details: Mapping[str, Any],
             author: str | None = None, target: int | None = None) -> int:
        cur = con.execute(
            "INSERT INTO log (time, author, action, details, target) VALUES (?, ?, ?, ?, ?)",
            (_now(), author or self._author, action, json.dumps(details, ensure_ascii=False), target),
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

    @property
    def dataset(self) -> Dataset:
        """The real Dataset, restored from the workspace (same row ids, same schema)."""
        if self._dataset is None:
            f = self._path / REAL_FILE
            if not f.is_file():
                raise WorkspaceError(
                    f"the real rows of the workspace ({f}) are missing; restore the folder from a backup"
                )
            try:
                frame = pl.read_parquet(f)
            except Exception as exc:  # noqa: BLE001 - arrow errors become one clear error
                raise WorkspaceError(f"cannot read the real rows {f} ({exc}); restore the folder from a backup") from None
            schema = Schema.from_dict(json.loads(self._meta["schema"]))
            ds = Dataset(self._meta["dataset"], frame, schema)
            if ds.fingerprint != self._meta["fingerprint"]:
                raise WorkspaceError(
                    f"the real rows in {f} changed since the workspace was created (fingerprint "
                    f"{ds.fingerprint}, expected {self._meta['fingerprint']}); restore the file from a backup"
                )
            self._dataset = ds
            self._real_ids = frozenset(frame[ROW_ID].to_list())
        return self._dataset

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

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:  # pragma: no cover - best effort
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass

    def __repr__(self) -> str:
        if self._con is None:
            return f"Workspace({str(self._path)!r}, closed)"
        nb = self._read("SELECT COUNT(*) FROM batches WHERE active=1")[0][0]
        nt = self._read("SELECT COUNT(*) FROM tags WHERE active=1")[0][0]
        return (
            f"Workspace({str(self._path)!r}, dataset={self._meta.get('dataset')!r}, "
            f"{self._meta.get('n_real')} real rows, {nb} batches, {nt} tags)"
        )

    # ------------------------------------------------------------------ batches
    def add(self, batch: Batch) -> str:
        """Store a batch's rows (parquet) and provenance; returns its id.

        Adding a batch that is already stored changes nothing. A batch removed
        earlier comes back. A different batch under an id already in use raises
        :class:`WorkspaceError`.
        """
        if not isinstance(batch, Batch):
            raise DataError(
                f"ws.add() takes a synthkit Batch (from sk.generate), got {type(batch).__name__}"
            )
        bid = check_batch_id(batch.id)
        self._check_batch(batch)
        fp = frame_fingerprint(batch.frame)
        file = self._path / BATCH_DIR / f"{bid}.parquet"
        rows = self._read("SELECT fingerprint, active FROM batches WHERE batch_id=?", (bid,))
        if rows and rows[0][0] != fp:
            raise WorkspaceError(
                f"a different batch with id {bid!r} is already stored in this workspace; "
                "give the new batch another id (sk.generate makes ids from the request)"
            )
        if rows and rows[0][1] == 1 and file.is_file():
            return bid  # already stored: no-op
        if not (file.is_file() and self._file_fingerprint(file) == fp):
            try:
                atomic_write(batch.frame, file)
            except OSError as exc:
                raise WorkspaceError(f"cannot write the rows of batch {bid!r} to {file}: {exc}") from None
        p = batch.provenance
        with self._write() as con:
            row = con.execute("SELECT active FROM batches WHERE batch_id=?", (bid,)).fetchone()
            if row is None:
                rs = p.random_state if isinstance(p.random_state, int) and abs(p.random_state) < 2**63 else None
                con.execute(
                    "INSERT INTO batches (batch_id, generator, n, random_state, generation, fitted_on, "
                    "created_at, params, provenance, schema, fingerprint, file, added_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (bid, p.generator, len(batch), rs, int(p.generation), json.dumps(list(p.fitted_on)),
                     p.created_at, json.dumps(dict(p.params), default=str, ensure_ascii=False),
                     json.dumps(p.to_dict(), default=str, ensure_ascii=False),
                     json.dumps(batch.schema.to_dict(), ensure_ascii=False), fp,
                     f"{BATCH_DIR}/{bid}.parquet", _now()),
                )
                self._log(con, "add", {"batch_id": bid, "n": len(batch), "generator": p.generator})
            elif row[0] == 0:
                con.execute("UPDATE batches SET active=1 WHERE batch_id=?", (bid,))
                self._log(con, "add", {"batch_id": bid, "n": len(batch), "generator": p.generator,
                                       "restored": True})
        self._batch_rows[bid] = len(batch)
        return bid

    def _check_batch(self, batch: Batch) -> None:
        schema = self._schema()
        if tuple(batch.schema.columns) != tuple(schema.columns):
            raise DataError(
                f"batch {batch.id!r} has columns {list(batch.schema.columns)} but this workspace's "
                f"dataset has {list(schema.columns)}; generate batches from the workspace's dataset "
                "(ws.dataset)"
            )
        if ROW_ID not in batch.frame.columns:
            raise DataError(f"batch {batch.id!r} has no {ROW_ID!r} column; build batches with sk.generate")
        want = [f"{batch.id}:{i}" for i in range(batch.frame.height)]
        if batch.frame[ROW_ID].to_list() != want:
            raise DataError(
                f"batch {batch.id!r} has row ids other than {batch.id}:0 ... {batch.id}:{batch.frame.height - 1}; "
                "build batches with sk.generate or synthkit.batch.make_batch"
            )
        if batch.frame.height == 0:
            raise DataError(f"batch {batch.id!r} has no rows; there is nothing to store")

    def _schema(self) -> Schema:
        if self._dataset is not None:
            return self._dataset.schema
        return Schema.from_dict(json.loads(self._meta["schema"]))

    @staticmethod
    def _file_fingerprint(file: Path) -> str | None:
        try:
            return frame_fingerprint(pl.read_parquet(file))
        except Exception:  # noqa: BLE001 - unreadable file: rewrite it
            return None

    def batches(self, *, include_removed: bool = False) -> pl.DataFrame:
        """One row per stored batch, in the order they were added.

        Columns: batch_id, generator, n, random_state, generation, fitted_on
        (comma-separated), created_at, params (JSON), added_at; with
        ``include_removed=True`` also the removed batches and a ``removed`` column.
        """
        where = "" if include_removed else "WHERE active=1"
        rows = self._read(
            "SELECT batch_id, generator, n, random_state, generation, fitted_on, created_at, params, "
            f"added_at, active FROM batches {where} ORDER BY added_at, batch_id"
        )
        data = {
            "batch_id": [r[0] for r in rows],
            "generator": [r[1] for r in rows],
            "n": [r[2] for r in rows],
            "random_state": [r[3] for r in rows],
            "generation": [r[4] for r in rows],
            "fitted_on": [", ".join(json.loads(r[5])) for r in rows],
            "created_at": [_parse_time(r[6]) for r in rows],
            "params": [r[7] for r in rows],
            "added_at": [_parse_time(r[8]) for r in rows],
        }
        schema = {
            "batch_id": pl.String, "generator": pl.String, "n": pl.Int64, "random_state": pl.Int64,
            "generation": pl.Int64, "fitted_on": pl.String, "created_at": pl.Datetime("us", "UTC"),
            "params": pl.String, "added_at": pl.Datetime("us", "UTC"),
        }
        if include_removed:
            data["removed"] = [r[9] == 0 for r in rows]
            schema["removed"] = pl.Boolean
        return pl.DataFrame(data, schema=schema)

    def batch_ids(self) -> list[str]:
        """Ids of the stored (not removed) batches, in the order they were added."""
        return [r[0] for r in self._read("SELECT batch_id FROM batches WHERE active=1 ORDER BY added_at, batch_id")]

    def batch(self, batch_id: str) -> Batch:
        """A stored batch: rows, schema and provenance exactly as added."""
        bid = self._known_batch(batch_id)
        file_, schema_json, prov_json, fp = self._read(
            "SELECT file, schema, provenance, fingerprint FROM batches WHERE batch_id=?", (bid,)
        )[0]
        f = self._path / file_
        if not f.is_file():
            raise WorkspaceError(
                f"the rows of batch {bid!r} are missing: {f} does not exist (the catalogue still has its "
                f"provenance: ws.batches() and ws.history()); add the batch again with ws.add(batch) "
                "(sk.generate with the same generator, parameters and seed makes the same rows)"
            )
        try:
            frame = pl.read_parquet(f)
        except Exception as exc:  # noqa: BLE001
            raise WorkspaceError(
                f"the rows of batch {bid!r} in {f} cannot be read ({exc}); add the batch again with ws.add(batch)"
            ) from None
        if frame_fingerprint(frame) != fp:
            raise WorkspaceError(
                f"the rows of batch {bid!r} in {f} differ from what was stored; add the batch again with ws.add(batch)"
            )
        return Batch(bid, frame, Schema.from_dict(json.loads(schema_json)),
                     Provenance.from_dict(json.loads(prov_json)))

    def _known_batch(self, batch_id: Any, *, active: bool = False) -> str:
        if isinstance(batch_id, Batch):
            batch_id = batch_id.id
        if not isinstance(batch_id, str):
            raise DataError(f"batch id must be a string such as 'copula-1a2b3c4d', got {type(batch_id).__name__}")
        rows = self._read("SELECT active FROM batches WHERE batch_id=?", (batch_id,))
        if not rows:
            known = self.batch_ids()
            raise WorkspaceError(
                f"no batch {batch_id!r} in this workspace; stored batches: {known or 'none'} "
                "(add one with ws.add(batch))"
            )
        if active and rows[0][0] == 0:
            raise WorkspaceError(
                f"batch {batch_id!r} was removed from this workspace; bring it back with ws.undo() "
                "(if removing it was the last action) or ws.add(batch)"
            )
        return batch_id

    def remove_batch(self, batch_id: str) -> None:
        """Take a batch out of the workspace (logged; ``undo()`` brings it back; its rows stay on disk)."""
        bid = self._known_batch(batch_id, active=True)
        with self._write() as con:
            row = con.execute("SELECT n, active FROM batches WHERE batch_id=?", (bid,)).fetchone()
            if row[1] == 0:
                raise WorkspaceError(f"batch {bid!r} was already removed (by another session)")
            con.execute("UPDATE batches SET active=0 WHERE batch_id=?", (bid,))
            self._log(con, "remove_batch", {"batch_id": bid, "n": row[0]})

    # ------------------------------------------------------------------ tags
    def _real_row_ids(self) -> frozenset[str]:
        if self._real_ids is None:
            f = self._path / REAL_FILE
            try:
                self._real_ids = frozenset(pl.read_parquet(f, columns=[ROW_ID])[ROW_ID].to_list())
            except Exception as exc:  # noqa: BLE001
                raise WorkspaceError(f"cannot read the real rows {f} ({exc}); restore the folder from a backup") from None
        return self._real_ids

    def _sources(self, con: sqlite3.Connection, ids: list[str], *, outcome: str = "nothing was tagged") -> list[str]:
        """Where each row id comes from ('real' or its batch id); DataError for unknown ids."""
        real = self._real_row_ids()
        batches = {b: (n, a) for b, n, a in con.execute("SELECT batch_id, n, active FROM batches")}
        out: list[str] = []
        unknown: list[str] = []
        removed: list[str] = []
        for rid in ids:
            if rid in real:
                out.append("real")
                continue
            bid, sep, k = rid.rpartition(":")
            info = batches.get(bid) if sep else None
            if info is not None and k.isdigit() and str(int(k)) == k and int(k) < info[0]:
                if info[1]:
                    out.append(bid)
                else:
                    removed.append(rid)
            else:
                unknown.append(rid)
        if unknown:
            raise DataError(
                f"{len(unknown)} of {len(ids)} row id(s) are neither real rows nor rows of a batch in this "
                f"workspace, e.g. {unknown[:5]}; {outcome}. Add the batch first (ws.add(batch)) "
                "or check the ids (real rows are 'real:<n>', batch rows '<batch_id>:<n>')"
            )
        if removed:
            raise DataError(
                f"{len(removed)} row id(s) belong to a removed batch, e.g. {removed[:3]}; {outcome}. "
                "Bring the batch back with ws.undo() or ws.add(batch) first"
            )
        return out

    def tag(self, row_ids: Any, label: str, note: str = "", polygon: Any = None,
            map_hash: str | None = None, author: str | None = None) -> int:
        """Tag rows (real or synthetic) with a label; returns the new tag id.

        ``row_ids``: a list/Series of row ids or a frame with a ``row_id``
        column. ``polygon`` (list of [x, y]) and ``map_hash`` record the lasso
        region it was drawn with, for :meth:`apply_region`. Author (default: the
        session's) and UTC time are recorded. Unknown row ids raise
        :class:`DataError` and nothing is written.
        """
        ids = check_row_ids(row_ids)
        label = check_label(label)
        note = check_note(note)
        poly = check_polygon(polygon)
        if map_hash is not None and (not isinstance(map_hash, str) or not map_hash):
            raise DataError(f"map_hash must be a non-empty string (the Map's hash), got {map_hash!r}")
        who = _check_author(author) if author is not None else self._author
        with self._write() as con:
            sources = self._sources(con, ids)
            cur = con.execute(
                "INSERT INTO tags (label, note, author, created_at, polygon, map_hash) VALUES (?, ?, ?, ?, ?, ?)",
                (label, note, who, _now(), polygon_to_json(poly), map_hash),
            )
            tag_id = int(cur.lastrowid)
            con.executemany(
                "INSERT INTO tag_rows (tag_id, row_id, source) VALUES (?, ?, ?)",
                zip([tag_id] * len(ids), ids, sources),
            )
            self._log(con, "tag", {"tag_id": tag_id, "label": label, "n_rows": len(ids),
                                   "region": poly is not None}, author=who)
        return tag_id

    def untag(self, tag_id: int) -> None:
        """Withdraw a tag (logged; ``undo()`` restores it)."""
        tid = _check_tag_id(tag_id)
        with self._write() as con:
            row = con.execute(
                "SELECT label, active, (SELECT COUNT(*) FROM tag_rows r WHERE r.tag_id=t.tag_id) "
                "FROM tags t WHERE tag_id=?", (tid,)
            ).fetchone()
            if row is None:
                raise WorkspaceError(f"no tag {tid} in this workspace; see ws.tags() for the tag ids")
            if row[1] == 0:
                raise WorkspaceError(f"tag {tid} ({row[0]!r}) was already withdrawn")
            con.execute("UPDATE tags SET active=0 WHERE tag_id=?", (tid,))
            self._log(con, "untag", {"tag_id": tid, "label": row[0], "n_rows": row[2]})

    def get_tag(self, tag_id: int) -> Tag:
        """One tag with its row ids, polygon and map hash (withdrawn tags too)."""
        tid = _check_tag_id(tag_id)
        rows = self._read(
            "SELECT label, note, author, created_at, polygon, map_hash, active FROM tags WHERE tag_id=?", (tid,)
        )
        if not rows:
            raise WorkspaceError(f"no tag {tid} in this workspace; see ws.tags() for the tag ids")
        label, note, author, created, poly, mh, active = rows[0]
        ids = [r[0] for r in self._read("SELECT row_id FROM tag_rows WHERE tag_id=? ORDER BY rowid", (tid,))]
        return Tag(tid, label, note, author, created, tuple(ids), polygon_from_json(poly), mh, bool(active))

    def tags(self) -> pl.DataFrame:
        """Tidy table of the current tags: one row per (tag_id, row_id).

        Columns: tag_id, label, note, author, created_at (UTC), row_id, source
        ("real" or the batch id).
        """
        rows = self._read(
            "SELECT t.tag_id, t.label, t.note, t.author, t.created_at, r.row_id, r.source "
            "FROM tags t JOIN tag_rows r ON r.tag_id = t.tag_id WHERE t.active=1 ORDER BY t.tag_id, r.rowid"
        )
        cols = list(zip(*rows)) if rows else [[] for _ in range(7)]
        return pl.DataFrame(
            {
                "tag_id": list(cols[0]), "label": list(cols[1]), "note": list(cols[2]),
                "author": list(cols[3]), "created_at": [_parse_time(s) for s in cols[4]],
                "row_id": list(cols[5]), "source": list(cols[6]),
            },
            schema={"tag_id": pl.Int64, "label": pl.String, "note": pl.String, "author": pl.String,
                    "created_at": pl.Datetime("us", "UTC"), "row_id": pl.String, "source": pl.String},
        )

    def tag_list(self, *, include_withdrawn: bool = False) -> pl.DataFrame:
        """One row per tag: tag_id, label, note, author, created_at, n_rows, polygon (JSON or null), map_hash, active."""
        where = "" if include_withdrawn else "WHERE t.active=1"
        rows = self._read(
            "SELECT t.tag_id, t.label, t.note, t.author, t.created_at, "
            "(SELECT COUNT(*) FROM tag_rows r WHERE r.tag_id=t.tag_id), t.polygon, t.map_hash, t.active "
            f"FROM tags t {where} ORDER BY t.tag_id"
        )
        cols = list(zip(*rows)) if rows else [[] for _ in range(9)]
        return pl.DataFrame(
            {
                "tag_id": list(cols[0]), "label": list(cols[1]), "note": list(cols[2]), "author": list(cols[3]),
                "created_at": [_parse_time(s) for s in cols[4]], "n_rows": list(cols[5]),
                "polygon": list(cols[6]), "map_hash": list(cols[7]), "active": [bool(a) for a in cols[8]],
            },
            schema={"tag_id": pl.Int64, "label": pl.String, "note": pl.String, "author": pl.String,
                    "created_at": pl.Datetime("us", "UTC"), "n_rows": pl.Int64, "polygon": pl.String,
                    "map_hash": pl.String, "active": pl.Boolean},
        )

    def tag_counts(self) -> pl.DataFrame:
        """Per label: number of current tags and of distinct rows they cover."""
        rows = self._read(
            "SELECT t.label, COUNT(DISTINCT t.tag_id), COUNT(DISTINCT r.row_id) "
            "FROM tags t JOIN tag_rows r ON r.tag_id = t.tag_id WHERE t.active=1 "
            "GROUP BY t.label ORDER BY t.label"
        )
        return pl.DataFrame(
            {"label": [r[0] for r in rows], "n_tags": [r[1] for r in rows], "n_rows": [r[2] for r in rows]},
            schema={"label": pl.String, "n_tags": pl.Int64, "n_rows": pl.Int64},
        )

    def rows_tagged(self, labels: Any) -> set[str]:
        """Row ids carrying any of ``labels`` (one label or a list) in a current tag."""
        labs = check_labels(labels)
        if not labs:
            return set()
        marks = ",".join("?" * len(labs))
        rows = self._read(
            "SELECT DISTINCT r.row_id FROM tags t JOIN tag_rows r ON r.tag_id = t.tag_id "
            f"WHERE t.active=1 AND t.label IN ({marks})", labs
        )
        return {r[0] for r in rows}

    def rows(self, row_ids: Any) -> pl.DataFrame:
        """The values of some rows, real or synthetic, by row id (in the order given).

        Columns: ``row_id``, ``source`` ("real" or the batch id), then the
        schema's columns. Unknown row ids raise :class:`DataError`.
        """
        ids = check_row_ids(row_ids)
        with self._lock:
            sources = self._sources(self._conn(), ids, outcome="no rows were looked up")
        cols = list(self._schema().columns)
        by_source: dict[str, list[str]] = {}
        for rid, src in zip(ids, sources):
            by_source.setdefault(src, []).append(rid)
        parts = []
        for src, some in by_source.items():
            frame = self.dataset.frame if src == "real" else self.batch(src).frame
            wanted = pl.Series(ROW_ID, some, dtype=pl.String).implode()
            parts.append(frame.filter(pl.col(ROW_ID).is_in(wanted)).select(ROW_ID, *cols)
                         .with_columns(pl.lit(src).alias("source")))
        found = pl.concat(parts, how="vertical_relaxed")
        order = pl.DataFrame({ROW_ID: ids}, schema={ROW_ID: pl.String})
        return order.join(found, on=ROW_ID, how="left", maintain_order="left").select(ROW_ID, "source", *cols)

    # ------------------------------------------------------------------ region rules
    def apply_region(self, tag_id: int, placed: pl.DataFrame, *, map_hash: str | None = None) -> list[str]:
        """Rows of ``placed`` (row_id, x, y) that fall inside the tag's lasso polygon.

        The map the rows were placed on must be the one the tag was drawn on:
        give its hash as ``map_hash=`` or as a ``map_hash`` column of
        ``placed``. A different hash raises :class:`WorkspaceError`.
        """
        tag = self.get_tag(tag_id)
        if tag.polygon is None:
            raise WorkspaceError(
                f"tag {tag.tag_id} ({tag.label!r}) has no polygon (it was made from a list of rows); "
                "a region rule needs a tag drawn with the lasso (ws.tag(..., polygon=..., map_hash=...))"
            )
        if not isinstance(placed, pl.DataFrame):
            raise DataError(f"placed must be a polars frame with row_id, x, y (from Map.place), got {type(placed).__name__}")
        missing = [c for c in (ROW_ID, "x", "y") if c not in placed.columns]
        if missing:
            raise DataError(f"placed lacks column(s) {missing}; pass the frame Map.place(batch) returns")
        given = map_hash
        if given is None and "map_hash" in placed.columns:
            hashes = placed["map_hash"].drop_nulls().unique().to_list()
            if len(hashes) > 1:
                raise DataError(f"placed mixes rows from {len(hashes)} maps ({hashes}); apply the region to one map's rows")
            given = hashes[0] if hashes else None
        if tag.map_hash is not None:
            if given is None:
                raise DataError(
                    f"tag {tag.tag_id} was drawn on map {tag.map_hash}; say which map placed these rows: "
                    "ws.apply_region(tag_id, placed, map_hash=m.hash)"
                )
            if given != tag.map_hash:
                raise WorkspaceError(
                    f"tag {tag.tag_id} ({tag.label!r}) was drawn on map {tag.map_hash}, but these rows were "
                    f"placed on map {given}; its polygon means nothing on another map. Place the rows with "
                    "the map the tag was drawn on (same data, mode and parameters), or draw the region again"
                )
        if placed.height == 0:
            return []
        mask = points_in_polygon(placed["x"].to_numpy(), placed["y"].to_numpy(), tag.polygon)
        return placed.filter(pl.Series(mask))[ROW_ID].to_list()

    def tag_region(self, tag_id: int, placed: pl.DataFrame, *, map_hash: str | None = None,
                   label: str | None = None, note: str | None = None) -> int | None:
        """Apply a tag's region to newly placed rows and tag those inside (same label and polygon).

        Returns the new tag id, or ``None`` when no row falls inside.
        """
        tag = self.get_tag(tag_id)
        ids = self.apply_region(tag_id, placed, map_hash=map_hash)
        if not ids:
            return None
        return self.tag(
            ids, label or tag.label, note=note if note is not None else f"region rule from tag {tag.tag_id}",
            polygon=list(tag.polygon or ()), map_hash=tag.map_hash,
        )

    # ------------------------------------------------------------------ undo / redo / history
    def undo(self) -> str:
        """Revert the last tag, untag, add or remove_batch (by anyone); returns what was undone.

        Curate and export only write log entries and are skipped. Raises
        :class:`WorkspaceError` when there is nothing to undo.
        """
        with self._write() as con:
            row = con.execute(
                f"SELECT action_id, action, details FROM log WHERE action IN ({_marks(UNDOABLE)}) "
                "AND undone=0 ORDER BY action_id DESC LIMIT 1", UNDOABLE
            ).fetchone()
            if row is None:
                raise WorkspaceError("nothing to undo: no tag, untag, add or remove_batch is left to revert")
            aid, action, details = row[0], row[1], json.loads(row[2])
            self._apply(con, action, details, forward=False)
            con.execute("UPDATE log SET undone=1 WHERE action_id=?", (aid,))
            self._log(con, "undo", {"undid": aid, "action": action, **details}, target=aid)
        return "undid " + _describe(action, details)

    def redo(self) -> str:
        """Re-apply the most recently undone action (if nothing new was done since)."""
        with self._write() as con:
            last_new = con.execute(
                f"SELECT COALESCE(MAX(action_id), 0) FROM log WHERE action IN ({_marks(UNDOABLE)})", UNDOABLE
            ).fetchone()[0]
            stack: list[int] = []
            for action, target in con.execute(
                "SELECT action, target FROM log WHERE action IN ('undo', 'redo') AND action_id > ? "
                "ORDER BY action_id", (last_new,)
            ):
                if action == "undo":
                    stack.append(target)
                elif stack:
                    stack.pop()
            if not stack:
                raise WorkspaceError("nothing to redo: no undo since the last change")
            aid = stack[-1]
            action, details = con.execute("SELECT action, details FROM log WHERE action_id=?", (aid,)).fetchone()
            details = json.loads(details)
            self._apply(con, action, details, forward=True)
            con.execute("UPDATE log SET undone=0 WHERE action_id=?", (aid,))
            self._log(con, "redo", {"redid": aid, "action": action, **details}, target=aid)
        return "redid " + _describe(action, details)

    def _apply(self, con: sqlite3.Connection, action: str, details: Mapping[str, Any], *, forward: bool) -> None:
        if action in ("tag", "untag"):
            active = int(forward == (action == "tag"))
            con.execute("UPDATE tags SET active=? WHERE tag_id=?", (active, details["tag_id"]))
        elif action in ("add", "remove_batch"):
            active = int(forward == (action == "add"))
            con.execute("UPDATE batches SET active=? WHERE batch_id=?", (active, details["batch_id"]))
        else:  # pragma: no cover - guarded by UNDOABLE
            raise WorkspaceError(f"cannot undo {action!r}")

    def history(self) -> pl.DataFrame:
        """The audit log: action_id, time (UTC), author, action, details (JSON), undone."""
        rows = self._read("SELECT action_id, time, author, action, details, undone FROM log ORDER BY action_id")
        cols = list(zip(*rows)) if rows else [[] for _ in range(6)]
        return pl.DataFrame(
            {"action_id": list(cols[0]), "time": [_parse_time(s) for s in cols[1]], "author": list(cols[2]),
             "action": list(cols[3]), "details": list(cols[4]), "undone": [bool(u) for u in cols[5]]},
            schema={"action_id": pl.Int64, "time": pl.Datetime("us", "UTC"), "author": pl.String,
                    "action": pl.String, "details": pl.String, "undone": pl.Boolean},
        )

    # ------------------------------------------------------------------ curation
    def _curated(self, batch_id: str, labels: tuple[str, ...], drop_rows: set[str]) -> tuple[pl.DataFrame, dict]:
        b = self.batch(self._known_batch(batch_id, active=True))
        frame = b.frame
        by_label: dict[str, int] = {}
        dropped: set[str] = set()
        ids = frame[ROW_ID]
        for lab in labels:
            tagged = self.rows_tagged(lab)
            hit = int(ids.is_in(pl.Series(list(tagged), dtype=pl.String).implode()).sum()) if tagged else 0
            by_label[lab] = hit
            dropped |= tagged
        dropped |= drop_rows
        if dropped:
            kept = frame.filter(~pl.col(ROW_ID).is_in(pl.Series(list(dropped), dtype=pl.String).implode()))
        else:
            kept = frame
        counts = {"batch_id": b.id, "n_in": frame.height, "n_dropped": frame.height - kept.height,
                  "n_kept": kept.height, "by_label": by_label,
                  "dropped_by_rows": int(ids.is_in(pl.Series(list(drop_rows), dtype=pl.String).implode()).sum())
                  if drop_rows else 0}
        return kept, counts

    def curate(self, batch_id: str, drop: Any = DEFAULT_DROP, *, drop_rows: Any = ()) -> pl.DataFrame:
        """Rows of a batch that carry none of the ``drop`` labels (and are not in ``drop_rows``).

        Writes a log entry with the counts (rows in, dropped per label, kept).
        ``drop_rows`` takes extra row ids to drop, e.g. rows a metric flagged.
        """
        labels = check_labels(drop or (), what="drop")
        extra = set(check_row_ids(drop_rows)) if _nonempty(drop_rows) else set()
        kept, counts = self._curated(batch_id, labels, extra)
        with self._write() as con:
            self._log(con, "curate", {**counts, "drop": list(labels)})
        return kept

    def export(self, path: str | os.PathLike, batch_id: str | None = None, drop: Any = DEFAULT_DROP,
               *, drop_rows: Any = ()) -> Path:
        """Write curated rows (one batch, or all batches if ``batch_id`` is None) to .parquet or .csv.

        The file is written whole (temporary file, then moved into place) and
        the export is logged. Returns the file's path.
        """
        dest = Path(path).expanduser()
        if dest.suffix.lower() not in (".parquet", ".pq", ".csv"):
            raise DataError(f"cannot export to {dest.name!r}: use a file name ending in .parquet or .csv")
        if not dest.parent.is_dir():
            raise DataError(f"cannot export to {str(dest)!r}: the folder {str(dest.parent)!r} does not exist")
        labels = check_labels(drop or (), what="drop")
        extra = set(check_row_ids(drop_rows)) if _nonempty(drop_rows) else set()
        ids = [self._known_batch(batch_id, active=True)] if batch_id is not None else self.batch_ids()
        if not ids:
            raise WorkspaceError("there are no batches to export; add one with ws.add(batch)")
        frames, per_batch = [], []
        for bid in ids:
            kept, counts = self._curated(bid, labels, extra)
            frames.append(kept)
            per_batch.append(counts)
        out = pl.concat(frames, how="vertical_relaxed")
        try:
            atomic_write(out, dest)
        except OSError as exc:
            raise WorkspaceError(f"cannot write {str(dest)!r}: {exc}") from None
        with self._write() as con:
            self._log(con, "export", {"path": str(dest.resolve()), "n_rows": out.height, "drop": list(labels),
                                      "batches": per_batch})
        return dest

    # ------------------------------------------------------------------ health
    def check(self) -> list[str]:
        """Problems found in the workspace (empty list when all is well).

        Runs SQLite's integrity check, and checks that the real rows and every
        stored batch's rows are present and unchanged.
        """
        problems: list[str] = []
        res = self._read("PRAGMA integrity_check")
        if res != [("ok",)]:
            problems.extend(f"database: {r[0]}" for r in res[:10])
        try:
            self.dataset
        except SynthkitError as exc:
            problems.append(str(exc))
        for bid in [r[0] for r in self._read("SELECT batch_id FROM batches ORDER BY added_at")]:
            try:
                self.batch(bid)
            except SynthkitError as exc:
                problems.append(str(exc))
        return problems


# ---------------------------------------------------------------------- helpers
def _build(folder: Path, ds: Dataset, *, author: str, final: Path) -> None:
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
            "created_at": _now(),
            "created_by": author,
        }
        con.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
        con.execute(
            "INSERT INTO log (time, author, action, details) VALUES (?, ?, 'create', ?)",
            (_now(), author, json.dumps({"dataset": ds.name, "n_real": len(ds),
                                         "fingerprint": ds.fingerprint}, ensure_ascii=False)),
        )
        con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        con.execute("COMMIT")
    except sqlite3.Error as exc:
        raise WorkspaceError(f"cannot create the workspace database in {str(final)!r}: {exc}") from None
    finally:
        con.close()


def _is_busy(exc: sqlite3.Error) -> bool:
    msg = str(exc).lower()
    return "locked" in msg or "busy" in msg


def _marks(items: tuple) -> str:
    return ",".join("?" * len(items))


def _nonempty(x: Any) -> bool:
    if x is None:
        return False
    if isinstance(x, (pl.Series, pl.DataFrame)):
        return len(x) > 0
    try:
        return len(x) > 0
    except TypeError:
        return True


def _describe(action: str, d: Mapping[str, Any]) -> str:
    if action in ("tag", "untag"):
        return f"{action} {d.get('tag_id')} ({d.get('label')!r}, {d.get('n_rows')} rows)"
    if action == "add":
        return f"add of batch {d.get('batch_id')} ({d.get('n')} rows)"
    return f"removal of batch {d.get('batch_id')} ({d.get('n')} rows)"


def _check_tag_id(tag_id: Any) -> int:
    if isinstance(tag_id, np.integer):
        return int(tag_id)
    if isinstance(tag_id, bool) or not isinstance(tag_id, int):
        raise DataError(f"tag id must be an integer (as ws.tag returned), got {tag_id!r}")
    return int(tag_id)


def _check_author(author: Any) -> str:
    if not isinstance(author, str) or not author.strip():
        raise DataError(f"author must be a non-empty string, got {author!r}")
    return author.strip()


def _check_timeout(timeout: Any) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout >= 0:
        raise DataError(f"timeout={timeout!r} must be a number of seconds >= 0")
    return float(timeout)


__all__ = ["Workspace", "SCHEMA_VERSION", "default_author", "atomic_write"]
