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

The SQLite plumbing (checks on open, transactions, errors) lives in
:mod:`synthkit._storage`; the pure tag checks and geometry in :mod:`synthkit.tags`.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import uuid
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import polars as pl

from ._checks import check_int, check_path
from ._storage import (
    BATCH_DIR,
    DB_NAME,
    DEFAULT_TIMEOUT,
    REAL_FILE,
    SCHEMA_VERSION,
    Catalogue,
    atomic_write,
    build,
    check_author,
    default_author,
    fsync_dir,
    now_utc,
    parse_time,
)
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

UNDOABLE = ("tag", "untag", "add", "remove_batch")
_BATCH_ROWS = "SELECT batch_id, n, active FROM batches"
_NEXT_UNDO = (f"SELECT action_id, action, details FROM log WHERE action IN ({', '.join('?' * len(UNDOABLE))}) "
              "AND undone=0 ORDER BY action_id DESC LIMIT 1")


class Workspace(Catalogue):
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
        super().__init__(path, author=author, timeout=timeout)
        self._dataset: Dataset | None = None
        self._real_ids: frozenset[str] | None = None

    @classmethod
    def open(cls, path: str | os.PathLike, *, author: str | None = None,
             timeout: float = DEFAULT_TIMEOUT) -> "Workspace":
        """Open an existing workspace folder (``WorkspaceError`` if it is not one)."""
        return cls(path, author=author, timeout=timeout)

    @classmethod
    def create(cls, path: str | os.PathLike, dataset: Any, *, exist_ok: bool = False,
               overwrite: bool = False, author: str | None = None,
               timeout: float = DEFAULT_TIMEOUT) -> "Workspace":
        """Make a new workspace folder at ``path`` for ``dataset`` (a Dataset or a frame).

        The folder must not exist yet or be empty. With ``exist_ok=True`` an
        existing workspace of the same real data is opened instead; with
        ``overwrite=True`` an existing workspace there (and only a workspace) is
        replaced, so a notebook can start afresh each run (it is set aside and
        deleted once the new one is in place; if creating fails, it stays). The folder
        is built under a temporary name and moved into place at the end, so an
        interrupted create leaves no half-made workspace behind.
        """
        p = check_path("path", path, error=WorkspaceError)
        ds = as_dataset(dataset)
        trash: Path | None = None
        if overwrite and p.is_dir() and (p / DB_NAME).exists():
            # set aside, deleted only once the new workspace is in place
            trash = p.parent / f".{p.name}.replaced-{uuid.uuid4().hex[:12]}"
            try:
                p.rename(trash)
            except OSError as exc:
                raise WorkspaceError(f"cannot replace the workspace at {str(p)!r}: {exc}") from None
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
            cls._build_at(p, ds, author)
        except BaseException:
            if trash is not None and not p.exists():
                try:
                    os.rename(trash, p)  # the replaced workspace comes back unchanged
                except OSError:
                    pass
            raise
        if trash is not None:
            shutil.rmtree(trash, ignore_errors=True)
        return cls(p, author=author, timeout=timeout)

    @staticmethod
    def _build_at(p: Path, ds: Dataset, author: str | None) -> None:
        """Build a workspace under a temporary name beside ``p`` and move it to ``p``."""
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            tmp = p.parent / f".{p.name}.creating-{uuid.uuid4().hex[:12]}"
            tmp.mkdir()  # honours the umask, unlike tempfile.mkdtemp
        except OSError as exc:
            raise WorkspaceError(f"cannot create a workspace at {str(p)!r}: {exc}") from None
        try:
            build(tmp, ds, author=check_author(author) if author is not None else default_author(),
                   final=p)
            try:
                os.rename(tmp, p)  # atomic; also replaces an empty folder on POSIX
            except OSError as exc:
                raise WorkspaceError(
                    f"cannot create the workspace at {str(p)!r} ({exc.strerror}); "
                    "another process may have created it meanwhile; open it or choose another folder"
                ) from None
            fsync_dir(p.parent)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    # ------------------------------------------------------------------ the dataset
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
                frame = pl.read_parquet(f, glob=False)
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
        file = self._batch_file(bid)
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
                     f"{BATCH_DIR}/{bid}.parquet", now_utc()),
                )
                self._log(con, "add", {"batch_id": bid, "n": len(batch), "generator": p.generator})
            elif row[0] == 0:
                con.execute("UPDATE batches SET active=1 WHERE batch_id=?", (bid,))
                self._log(con, "add", {"batch_id": bid, "n": len(batch), "generator": p.generator,
                                       "restored": True})
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
            return frame_fingerprint(pl.read_parquet(file, glob=False))
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
            "created_at": [parse_time(r[6]) for r in rows],
            "params": [r[7] for r in rows],
            "added_at": [parse_time(r[8]) for r in rows],
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
        schema_json, prov_json, fp = self._read(
            "SELECT schema, provenance, fingerprint FROM batches WHERE batch_id=?", (bid,)
        )[0]
        f = self._batch_file(bid)
        if not f.is_file():
            raise WorkspaceError(
                f"the rows of batch {bid!r} are missing: {f} does not exist (the catalogue still has its "
                f"provenance: ws.batches() and ws.history()); add the batch again with ws.add(batch) "
                "(sk.generate with the same generator, parameters and seed makes the same rows)"
            )
        try:
            frame = pl.read_parquet(f, glob=False)
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

    def _batch_file(self, bid: str) -> Path:
        """Where a batch's rows live: always ``batches/<id>.parquet`` inside the workspace.

        The path is derived from the checked id, never from the catalogue's stored
        ``file`` entry, so an altered catalogue cannot point a read outside the folder.
        """
        try:
            check_batch_id(bid)
        except DataError:
            raise WorkspaceError(
                f"the catalogue holds a batch id {bid!r} that synthkit never writes (ids are 1-64 "
                "lowercase letters, digits, '-' or '_'); the catalogue was altered outside synthkit: "
                "restore the workspace folder from a backup"
            ) from None
        return self._path / BATCH_DIR / f"{bid}.parquet"

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
                self._real_ids = frozenset(pl.read_parquet(f, columns=[ROW_ID], glob=False)[ROW_ID].to_list())
            except Exception as exc:  # noqa: BLE001
                raise WorkspaceError(f"cannot read the real rows {f} ({exc}); restore the folder from a backup") from None
        return self._real_ids

    def _sources(self, batch_rows: Iterable[tuple], ids: list[str], *, outcome: str = "nothing was tagged") -> list[str]:
        """Where each row id comes from ('real' or its batch id); DataError for unknown ids.

        ``batch_rows``: (batch_id, n, active) of every batch, as ``_BATCH_ROWS`` selects them.
        """
        real = self._real_row_ids()
        batches = {b: (n, a) for b, n, a in batch_rows}
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
        who = check_author(author) if author is not None else self._author
        with self._write() as con:
            sources = self._sources(con.execute(_BATCH_ROWS), ids)
            cur = con.execute(
                "INSERT INTO tags (label, note, author, created_at, polygon, map_hash) VALUES (?, ?, ?, ?, ?, ?)",
                (label, note, who, now_utc(), polygon_to_json(poly), map_hash),
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
        # the tags and their rows are read apart and joined here: a tag of 300,000 rows then
        # crosses from SQLite as 300,000 (tag_id, row_id, source) triples, not 300,000 copies of its note
        head = _table(self._read("SELECT tag_id, label, note, author, created_at FROM tags WHERE active=1"),
                      {"tag_id": pl.Int64, "label": pl.String, "note": pl.String, "author": pl.String,
                       "created_at": pl.Datetime("us", "UTC")}, created_at=parse_time)
        rows = self._read(
            "SELECT r.tag_id, r.row_id, r.source FROM tags t JOIN tag_rows r ON r.tag_id = t.tag_id "
            "WHERE t.active=1 ORDER BY t.tag_id, r.rowid"
        )
        body = pl.DataFrame(rows, schema={"tag_id": pl.Int64, "row_id": pl.String, "source": pl.String},
                            orient="row")
        return body.join(head, on="tag_id", how="left", maintain_order="left").select(
            "tag_id", "label", "note", "author", "created_at", "row_id", "source")

    def tag_list(self, *, include_withdrawn: bool = False) -> pl.DataFrame:
        """One row per tag: tag_id, label, note, author, created_at, n_rows, polygon (JSON or null), map_hash, active."""
        where = "" if include_withdrawn else "WHERE t.active=1"
        rows = self._read(
            "SELECT t.tag_id, t.label, t.note, t.author, t.created_at, "
            "(SELECT COUNT(*) FROM tag_rows r WHERE r.tag_id=t.tag_id), t.polygon, t.map_hash, t.active "
            f"FROM tags t {where} ORDER BY t.tag_id"
        )
        return _table(rows, {"tag_id": pl.Int64, "label": pl.String, "note": pl.String, "author": pl.String,
                             "created_at": pl.Datetime("us", "UTC"), "n_rows": pl.Int64, "polygon": pl.String,
                             "map_hash": pl.String, "active": pl.Boolean},
                      created_at=parse_time, active=bool)

    def tag_counts(self) -> pl.DataFrame:
        """Per label: number of current tags and of distinct rows they cover."""
        rows = self._read(
            "SELECT t.label, COUNT(DISTINCT t.tag_id), COUNT(DISTINCT r.row_id) "
            "FROM tags t JOIN tag_rows r ON r.tag_id = t.tag_id WHERE t.active=1 "
            "GROUP BY t.label ORDER BY t.label"
        )
        return _table(rows, {"label": pl.String, "n_tags": pl.Int64, "n_rows": pl.Int64})

    def rows_tagged(self, labels: Any) -> set[str]:
        """Row ids carrying any of ``labels`` (one label or a list) in a current tag."""
        labs = check_labels(labels)
        if not labs:
            return set()
        rows = self._read(
            "SELECT DISTINCT r.row_id FROM tags t JOIN tag_rows r ON r.tag_id = t.tag_id "
            f"WHERE t.active=1 AND t.label IN ({_marks(labs)})", labs
        )
        return {r[0] for r in rows}

    def rows(self, row_ids: Any) -> pl.DataFrame:
        """The values of some rows, real or synthetic, by row id (in the order given).

        Columns: ``row_id``, ``source`` ("real" or the batch id), then the
        schema's columns. Unknown row ids raise :class:`DataError`.
        """
        ids = check_row_ids(row_ids)
        sources = self._sources(self._read(_BATCH_ROWS), ids, outcome="no rows were looked up")
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
            row = con.execute(_NEXT_UNDO, UNDOABLE).fetchone()
            if row is None:
                raise WorkspaceError("nothing to undo: no tag, untag, add or remove_batch is left to revert")
            aid, action, details = row[0], row[1], json.loads(row[2])
            self._apply(con, action, details, forward=False)
            con.execute("UPDATE log SET undone=1 WHERE action_id=?", (aid,))
            self._log(con, "undo", {"undid": aid, "action": action, **details}, target=aid)
        return "undid " + _describe(action, details)

    def peek_undo(self) -> dict[str, Any] | None:
        """What :meth:`undo` would revert now, without reverting it.

        ``{"action": "tag" | "untag" | "add" | "remove_batch", "description": ...,
        "destructive": bool}`` (``destructive``: undoing it removes or restores a
        whole batch), or None when there is nothing to undo.
        """
        rows = self._read(_NEXT_UNDO, UNDOABLE)
        if not rows:
            return None
        action, details = rows[0][1], json.loads(rows[0][2])
        return {"action": action, "description": _describe(action, details),
                "destructive": action in ("add", "remove_batch")}

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
        return _table(rows, {"action_id": pl.Int64, "time": pl.Datetime("us", "UTC"), "author": pl.String,
                             "action": pl.String, "details": pl.String, "undone": pl.Boolean},
                      time=parse_time, undone=bool)

    # ------------------------------------------------------------------ curation
    def _curated(self, batch_id: str, tagged_by_label: Mapping[str, set[str]],
                 drop_rows: set[str]) -> tuple[pl.DataFrame, dict]:
        """A batch's rows without the tagged and the given ones; ``tagged_by_label``: label -> row ids."""
        b = self.batch(self._known_batch(batch_id, active=True))
        frame = b.frame
        by_label: dict[str, int] = {}
        dropped: set[str] = set()
        ids = frame[ROW_ID]
        for lab, tagged in tagged_by_label.items():
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
        labels = check_labels(() if drop is None else drop, what="drop")
        extra = set(check_row_ids(drop_rows)) if _nonempty(drop_rows) else set()
        kept, counts = self._curated(batch_id, {lab: self.rows_tagged(lab) for lab in labels}, extra)
        with self._write() as con:
            self._log(con, "curate", {**counts, "drop": list(labels)})
        return kept

    def export(self, path: str | os.PathLike, batch_id: str | None = None, drop: Any = DEFAULT_DROP,
               *, drop_rows: Any = ()) -> Path:
        """Write curated rows (one batch, or all batches if ``batch_id`` is None) to .parquet or .csv.

        The file is written whole (temporary file, then moved into place) and
        the export is logged. Returns the file's path.
        """
        dest = check_path("path", path)
        if dest.suffix.lower() not in (".parquet", ".pq", ".csv"):
            raise DataError(f"cannot export to {dest.name!r}: use a file name ending in .parquet or .csv")
        if not dest.parent.is_dir():
            raise DataError(f"cannot export to {str(dest)!r}: the folder {str(dest.parent)!r} does not exist")
        labels = check_labels(() if drop is None else drop, what="drop")
        extra = set(check_row_ids(drop_rows)) if _nonempty(drop_rows) else set()
        ids = [self._known_batch(batch_id, active=True)] if batch_id is not None else self.batch_ids()
        if not ids:
            raise WorkspaceError("there are no batches to export; add one with ws.add(batch)")
        tagged = {lab: self.rows_tagged(lab) for lab in labels}  # the same for every batch
        frames, per_batch = [], []
        for bid in ids:
            kept, counts = self._curated(bid, tagged, extra)
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
        for bid, file_ in self._read("SELECT batch_id, file FROM batches ORDER BY added_at"):
            try:
                self.batch(bid)
            except SynthkitError as exc:
                problems.append(str(exc))
            if file_ != f"{BATCH_DIR}/{bid}.parquet":
                problems.append(f"the catalogue entry of batch {bid!r} names the file {file_!r} instead of "
                                f"{BATCH_DIR}/{bid}.parquet (synthkit reads only the latter); the catalogue "
                                "was altered outside synthkit")
        return problems


# ---------------------------------------------------------------------- helpers
def _marks(items: tuple) -> str:
    return ",".join("?" * len(items))


def _table(rows: list[tuple], schema: Mapping[str, Any], **convert: Callable[[Any], Any]) -> pl.DataFrame:
    """A frame of query rows, one column per ``schema`` entry in order; ``convert``: column -> per-value function."""
    cols = list(zip(*rows)) if rows else [()] * len(schema)
    return pl.DataFrame({name: _converted(col, convert[name]) if name in convert else list(col)
                         for name, col in zip(schema, cols)}, schema=dict(schema))


def _converted(col: tuple, fn: Callable[[Any], Any]) -> list[Any]:
    """``fn`` of every value, computed once per distinct value (a tag's time repeats on each of its rows)."""
    done = {v: fn(v) for v in set(col)}
    return [done[v] for v in col]


def _nonempty(x: Any) -> bool:
    if x is None:
        return False
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
    return check_int("tag_id", tag_id, minimum=0, maximum=2**63 - 1, hint=" (the integer ws.tag returned)")


__all__ = ["Workspace", "SCHEMA_VERSION", "default_author", "atomic_write"]
