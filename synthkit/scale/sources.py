"""Partitioned inputs: a parquet folder, a glob, a list of files or an in-memory frame.

    parts = Partitions.open("synthetic/", rows_per_chunk=100_000)
    len(parts), parts.n_rows, parts.columns, parts.labels
    frame = parts[0].read()          # polars reads the piece (on a worker)

Files are checked when opened (cheap: parquet footers only): every file must
hold the same columns, and a column must keep one kind of type (numbers,
text, booleans, dates) across files; otherwise a
:class:`~synthkit.errors.SchemaError` names the files and the column. A file
with more than ``rows_per_chunk`` rows is read in row slices. An in-memory
frame is cut into row slices in order. Every piece knows its label (file name
and rows), its first global row number and its size, so per-row results can be
put back in input order.
"""

from __future__ import annotations

import glob as _glob
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import polars as pl

from .._checks import check_int
from ..data import to_polars
from ..errors import DataError, SchemaError

__all__ = ["Partition", "Partitions", "ROWS_PER_CHUNK"]

ROWS_PER_CHUNK = 100_000


@dataclass(frozen=True)
class Partition:
    """One piece of a partitioned input: ``read()`` returns its rows as a polars frame."""

    label: str
    offset: int  # global number of the first row
    n_rows: int
    path: str | None = None
    file_offset: int = 0  # first row inside the file
    frame: pl.DataFrame | None = None

    def read(self) -> pl.DataFrame:
        if self.frame is not None:
            return self.frame
        try:
            lf = pl.scan_parquet(self.path, glob=False)
            if self.file_offset or self.n_rows < _file_rows(self.path):
                lf = lf.slice(self.file_offset, self.n_rows)
            out = lf.collect()
        except FileNotFoundError:
            raise DataError(f"{self.label}: the file is gone ({self.path}); it was there when the input was "
                            "opened: keep the folder unchanged while synthkit reads it") from None
        except Exception as exc:  # noqa: BLE001 - polars' many error classes for a bad file
            raise DataError(f"{self.label}: cannot read {self.path} ({type(exc).__name__}: {exc}); "
                            "is it a complete parquet file?") from None
        if out.height != self.n_rows:
            raise DataError(f"{self.label}: expected {self.n_rows} rows and read {out.height}; "
                            "did the file change while synthkit was reading it?")
        return out


def _file_rows(path: str) -> int:
    return int(pl.scan_parquet(path, glob=False).select(pl.len()).collect().item())


def _kind(dtype: pl.DataType) -> str:
    if dtype.is_numeric():
        return "number"
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, (pl.Categorical, pl.Enum)):
        return "text"
    if dtype == pl.Boolean:
        return "boolean"
    if dtype.is_temporal():
        return "date/time"
    if dtype == pl.Null:
        return "null"
    return str(dtype)


class Partitions(Sequence[Partition]):
    """The pieces of one input, in order (see the module docstring)."""

    def __init__(self, parts: list[Partition], columns: list[str], schema: dict[str, pl.DataType],
                 source: str) -> None:
        self._parts = parts
        self.columns = columns
        self.schema = schema
        self.source = source

    # ------------------------------------------------------------------ sequence
    def __len__(self) -> int:
        return len(self._parts)

    def __getitem__(self, i):  # type: ignore[override]
        return self._parts[i]

    def __iter__(self) -> Iterator[Partition]:
        return iter(self._parts)

    @property
    def n_rows(self) -> int:
        return sum(p.n_rows for p in self._parts)

    @property
    def labels(self) -> list[str]:
        return [p.label for p in self._parts]

    def read_all(self) -> pl.DataFrame:
        """Every piece in order, as one frame (in this process)."""
        return pl.concat([p.read() for p in self._parts], how="vertical_relaxed")

    def __repr__(self) -> str:
        return f"Partitions({self.source}: {len(self)} pieces, {self.n_rows:,} rows, {len(self.columns)} columns)"

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, source: Any, rows_per_chunk: int = ROWS_PER_CHUNK) -> "Partitions":
        """Pieces of ``source``: a parquet folder, a glob, a list of parquet paths, or a frame."""
        rows_per_chunk = check_int("rows_per_chunk", rows_per_chunk, minimum=1,
                                   hint=" (rows each worker task reads, e.g. 100_000)")
        if isinstance(source, Partitions):
            return source
        if isinstance(source, (str, os.PathLike)) or (
                isinstance(source, (list, tuple)) and source and all(isinstance(s, (str, os.PathLike)) for s in source)):
            return cls._from_files(source, rows_per_chunk)
        frame = to_polars(source)
        return cls._from_frame(frame, rows_per_chunk)

    @classmethod
    def _from_frame(cls, frame: pl.DataFrame, rows_per_chunk: int) -> "Partitions":
        if frame.height == 0:
            raise DataError("the frame has no rows; nothing to split into partitions")
        parts = []
        for start in range(0, frame.height, rows_per_chunk):
            n = min(rows_per_chunk, frame.height - start)
            parts.append(Partition(f"rows {start}-{start + n - 1}", start, n, frame=frame.slice(start, n)))
        return cls(parts, list(frame.columns), dict(frame.schema), f"a frame of {frame.height:,} rows")

    @classmethod
    def _from_files(cls, source: Any, rows_per_chunk: int) -> "Partitions":
        files, what = _files(source)
        parts: list[Partition] = []
        first: tuple[str, dict[str, pl.DataType]] | None = None
        offset = 0
        for f in files:
            try:
                schema = dict(pl.scan_parquet(f, glob=False).collect_schema())
                n_file = _file_rows(f)
            except Exception as exc:  # noqa: BLE001 - a truncated or foreign file
                raise DataError(f"partition {Path(f).name}: cannot read {f} as parquet ({type(exc).__name__}: "
                                f"{str(exc)[:200]}); remove or replace the file") from None
            if first is None:
                first = (f, schema)
            else:
                _same_schema(first, (f, schema))
            name = Path(f).name
            for start in range(0, n_file, rows_per_chunk):
                n = min(rows_per_chunk, n_file - start)
                label = f"partition {name}" if n == n_file else f"partition {name} rows {start}-{start + n - 1}"
                parts.append(Partition(label, offset, n, path=str(f), file_offset=start))
                offset += n
        if not parts:
            raise DataError(f"{what} holds parquet files with no rows; nothing to read")
        assert first is not None
        return cls(parts, list(first[1]), first[1], what)


def _files(source: Any) -> tuple[list[str], str]:
    if isinstance(source, (list, tuple)):
        files = [str(s) for s in source]
        missing = [f for f in files if not os.path.isfile(f)]
        if missing:
            raise DataError(f"parquet file(s) not found: {missing[:3]}")
        return files, f"{len(files)} parquet files"
    s = str(source)
    p = Path(s)
    if any(ch in s for ch in "*?[") and not p.exists():  # a glob (a path that exists is a path, '[' or not)
        files = sorted(_glob.glob(s, recursive=True))
        if not files:
            raise DataError(f"no file matches {s!r}; check the pattern (e.g. 'data/*.parquet')")
        return [f for f in files if os.path.isfile(f)], f"the files matching {s!r}"
    if p.is_dir():
        files = sorted(str(f) for f in p.rglob("*.parquet") if f.is_file())
        if not files:
            raise DataError(f"the folder {s!r} holds no .parquet files; write the rows with "
                            "frame.write_parquet(folder / 'part-0.parquet') or pass a glob")
        return files, f"the folder {s!r}"
    if p.is_file():
        return [s], f"the file {s!r}"
    raise DataError(f"{s!r} is neither a parquet file nor a folder; check the path")


def _same_schema(first: tuple[str, dict[str, pl.DataType]], other: tuple[str, dict[str, pl.DataType]]) -> None:
    (f0, s0), (f1, s1) = first, other
    if set(s0) != set(s1):
        extra, lacking = [c for c in s1 if c not in s0], [c for c in s0 if c not in s1]
        parts = ([f"adds {extra}"] if extra else []) + ([f"lacks {lacking}"] if lacking else [])
        raise SchemaError(
            f"the parquet files have mixed schemas: partition {Path(f1).name} {' and '.join(parts)} compared "
            f"with partition {Path(f0).name}; every file must hold the same columns (rewrite or move the odd one)")
    for c, t0 in s0.items():
        t1 = s1[c]
        if _kind(t0) != _kind(t1) and "null" not in (_kind(t0), _kind(t1)):
            raise SchemaError(
                f"partition {Path(f1).name}: column {c!r} holds {t1} values where partition {Path(f0).name} "
                f"holds {t0}; make the column one type in every file (e.g. cast it when writing)")
