"""Large tables from a small one: seeded resampling with jitter (for scale tests and benchmarks).

    real = resampled(sk.load("adult"), 1_000_000, random_state=0)        # a Dataset
    write_resampled(sk.load("adult"), 10_000_000, "synthetic/", random_state=1, rows_per_file=500_000)

Rows are drawn with replacement; every numeric value that is not 0 moves by
Gaussian noise of ``jitter`` times its column's standard deviation (integer
columns are rounded back, and the column's range is kept), so the large table
has the small one's shape without being a pile of exact copies. Categories are
kept as they are. Nothing is downloaded. Files are written piece by piece, so
memory stays bounded by ``rows_per_file``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from .._checks import check_int
from ..data import ROW_ID, Dataset
from ..errors import DataError

__all__ = ["resampled", "write_resampled"]


def _piece(ds: Dataset, n: int, rng: np.random.Generator, jitter: float, first: int, prefix: str) -> pl.DataFrame:
    f = ds.frame
    take = rng.integers(0, f.height, size=n)
    out = f[take]
    cols = []
    for c in ds.schema.numeric:
        v = f[c].cast(pl.Float64).to_numpy()
        sd = float(np.nanstd(v)) if np.isfinite(v).any() else 0.0
        x = out[c].cast(pl.Float64).to_numpy().copy()
        noise = rng.normal(0.0, jitter * sd, size=n) if sd > 0 else np.zeros(n)
        moved = np.where(np.isfinite(x) & (x != 0), x + noise, x)
        moved = np.clip(moved, np.nanmin(v), np.nanmax(v))
        if out[c].dtype.is_integer():
            cols.append(pl.Series(c, np.round(moved)).cast(out[c].dtype))
        else:
            cols.append(pl.Series(c, moved, dtype=out[c].dtype))
    ids = pl.Series(ROW_ID, [f"{prefix}:{i}" for i in range(first, first + n)], dtype=pl.String)
    return out.with_columns(*cols, ids)


def _check(ds: Any, n_rows: int, jitter: float) -> tuple[Dataset, int]:
    if not isinstance(ds, Dataset):
        raise DataError(f"resample a synthkit Dataset (e.g. sk.load('adult')), not {type(ds).__name__}")
    n_rows = check_int("n_rows", n_rows, minimum=1, hint=" (rows to draw)")
    if not isinstance(jitter, (int, float)) or not 0 <= jitter <= 1:
        raise DataError(f"jitter={jitter!r} must be a number between 0 and 1 (a share of each column's std)")
    return ds, n_rows


def resampled(ds: Dataset, n_rows: int, *, random_state: int = 0, jitter: float = 0.05,
              prefix: str | None = None) -> Dataset:
    """``n_rows`` rows drawn from ``ds`` with jitter, as a Dataset with ``ds``'s schema."""
    ds, n_rows = _check(ds, n_rows, jitter)
    rng = np.random.default_rng([check_int("random_state", random_state, minimum=0), 7])
    frame = _piece(ds, n_rows, rng, jitter, 0, prefix or f"{ds.name}-like")
    return Dataset(f"{ds.name}-like", frame, ds.schema)


def write_resampled(ds: Dataset, n_rows: int, folder: str | Path, *, random_state: int = 0,
                    jitter: float = 0.05, rows_per_file: int = 500_000, prefix: str = "synthetic") -> list[Path]:
    """Write ``n_rows`` resampled rows as ``folder/part-00000.parquet``, ... (one seed stream per file)."""
    ds, n_rows = _check(ds, n_rows, jitter)
    rows_per_file = check_int("rows_per_file", rows_per_file, minimum=1)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, start in enumerate(range(0, n_rows, rows_per_file)):
        n = min(rows_per_file, n_rows - start)
        rng = np.random.default_rng([random_state, 8, i])
        path = folder / f"part-{i:05d}.parquet"
        _piece(ds, n, rng, jitter, start, prefix).drop(ds.schema.meta, strict=False).write_parquet(path)
        paths.append(path)
    return paths
