"""Placing rows into a fitted map, in one process or chunk by chunk on Dask workers.

    xy = m.place(batch)                                   # in this process
    xy = m.place("release/*.parquet", engine="dask")      # any number of rows, on a LocalCluster
    xy = m.place(frame, engine=client, rows_per_chunk=50_000)

One implementation. :func:`place_rows` is the numerics of ``Map.place``
(encode, one neighbour query among the real rows, the inverse-distance
weighted mean of their map coordinates, ``dist_to_real``, ``nearest_real``);
in-process placement calls it on the whole frame, distributed placement on
each chunk. The map state a chunk needs (:class:`PlaceState`: the Encoder,
the real rows' index and coordinates, the fitted rows' index and coordinates,
``nn_scale``, the parameters) is broadcast to every worker once.

Exactness. Every step answers a row from that row alone: the encoding is per
value, the neighbour search is certified exact with ties to the lower row
index (or, for an approximate pynndescent index, asked one row at a time; see
:mod:`synthkit.neighbors.index`), and the weighted mean and PCA projection sum
each row's own terms in a fixed order. So the chunks, whatever their size and
wherever they run, give the same frame as one in-process call, in the same row
order, with the same values (``np.array_equal``).

Large real tables. ``Map.fit(..., engine=...)`` runs the two passes over every
real row the same way: placing the real rows left out of UMAP's seeded
subsample (``max_fit_rows``), and each real row's distance to its nearest
other real row (``dist_to_real`` of the real rows and ``nn_scale``).

``refine=True`` (UMAP's own transform) optimises the placed rows together, so
it is not split into chunks: it runs in-process on all the rows at once.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import polars as pl

from ._checks import check_int
from .data import ROW_ID, Schema, conform, to_polars
from .encode import Encoder
from .errors import DataError, SchemaError
from .neighbors import KnnIndex

__all__ = ["PLACE_CHUNK_ROWS", "PlaceState", "RealParts", "conform_rows", "engine_for", "fit_coords", "is_source",
           "place_partition", "place_rows", "place_source"]

#: rows per chunk of a distributed placement (about 15 s of one core into adult's map)
PLACE_CHUNK_ROWS = 50_000
_COLUMNS = (ROW_ID, "x", "y", "dist_to_real", "nearest_real")


@dataclass
class PlaceState:
    """What placing rows needs from a :class:`~synthkit.projection.Map` (picklable; sent to each worker once)."""

    name: str
    schema: Schema
    encoder: Encoder
    mode: str
    params: dict
    nn_scale: float
    real_ids: pl.Series
    real_xy: np.ndarray
    real_index: KnnIndex
    fit_xy: np.ndarray
    fit_index: KnnIndex | None
    extra_pos: dict
    pca: tuple | None
    ab: tuple


def conform_rows(data: Any, schema: Schema, name: str, *, allow_empty: bool = False) -> pl.DataFrame:
    """Rows to place as a frame with the map's columns (clear errors otherwise)."""
    try:
        frame = to_polars(data)
    except DataError as exc:
        raise DataError(f"cannot place {type(data).__name__}: {exc}") from None
    if frame.height == 0 and not allow_empty:
        raise DataError("there are no rows to place (the frame is empty)")
    try:
        return conform(frame, schema, what="the rows to place")
    except SchemaError as exc:
        raise SchemaError(f"{exc}; place rows with the columns of {name!r}") from None


def fit_coords(X: np.ndarray, fit_index: KnnIndex | None, fit_xy: np.ndarray, pca: tuple | None,
               params: dict) -> np.ndarray:
    """Fast placement among the fitted rows: weighted mean of the nearest ones' coordinates (or PCA)."""
    from .projection import PLACE_K, _idw, _project

    if pca is not None:
        return _project(X, pca)
    assert fit_index is not None
    idx, d = fit_index.query(X, min(PLACE_K, params["n_neighbors"]))
    return _idw(idx, d, fit_xy)


def place_rows(state: PlaceState, frame: pl.DataFrame, *, refine: bool = False, offset: int = 0) -> pl.DataFrame:
    """Map coordinates of the rows of ``frame`` (conformed): row_id, x, y, dist_to_real, nearest_real.

    Rows without a ``row_id`` column are numbered ``row:<offset + i>``. The
    numerics of ``Map.place``, in-process and on each chunk alike.
    """
    from .projection import PLACE_K, VERIFY_ABOVE, _encode, _idw, _project, _umap_transform

    n = frame.height
    ids = frame[ROW_ID].to_list() if ROW_ID in frame.columns else [f"row:{offset + i}" for i in range(n)]
    if n == 0:
        return pl.DataFrame(schema={ROW_ID: pl.String, "x": pl.Float64, "y": pl.Float64,
                                    "dist_to_real": pl.Float64, "nearest_real": state.real_ids.dtype})
    X = _encode(state.encoder, frame, "the rows to place")
    xy = np.zeros((n, 2), dtype=np.float64)
    if state.extra_pos:
        fitted = np.array([state.extra_pos.get(r, -1) for r in ids], dtype=np.int64)
    else:
        fitted = np.full(n, -1, dtype=np.int64)
    new = np.nonzero(fitted < 0)[0]
    old = np.nonzero(fitted >= 0)[0]
    if len(old):
        xy[old] = state.fit_xy[fitted[old]]
    k = 1 if (refine or state.pca is not None) else min(PLACE_K, state.params["n_neighbors"])
    ridx, rdist = state.real_index.query(X, k, verify_above=VERIFY_ABOVE * state.nn_scale)
    if len(new):
        if state.pca is not None:
            xy[new] = _project(X[new], state.pca)
        elif refine:
            assert state.fit_index is not None
            idx, d = state.fit_index.query(X[new], state.params["n_neighbors"])
            xy[new] = _umap_transform(idx, d, state.fit_xy, state.ab, state.params)
        elif state.mode == "anchored":
            # anchors = every real row at its place on the map: one search gives
            # the coordinates and dist_to_real / nearest_real together
            xy[new] = _idw(ridx[new], rdist[new], state.real_xy)
        else:
            xy[new] = fit_coords(X[new], state.fit_index, state.fit_xy, None, state.params)
    return pl.DataFrame({
        ROW_ID: pl.Series(ROW_ID, ids, dtype=pl.String),
        "x": xy[:, 0], "y": xy[:, 1],
        "dist_to_real": rdist[:, 0] / state.nn_scale,
        "nearest_real": state.real_ids.gather(ridx[:, 0]),
    })


def place_partition(part: Any, state: PlaceState, refine: bool = False) -> pl.DataFrame:
    """Place one partition (read here, on the worker): the per-chunk function of distributed placement."""
    frame = conform_rows(part.read(), state.schema, state.name, allow_empty=True)
    return place_rows(state, frame, refine=refine, offset=int(part.offset))


def is_source(rows: Any) -> bool:
    """Is ``rows`` a parquet file, folder or glob (or a list of them) rather than rows in memory?"""
    if isinstance(rows, (str, os.PathLike)):
        return True
    return isinstance(rows, (list, tuple)) and len(rows) > 0 and all(isinstance(r, (str, os.PathLike)) for r in rows)


@contextmanager
def engine_for(engine: Any, scheduler: str | None) -> Iterator[Any]:
    """The engine to run on (``synthkit.scale.engine_scope``), or None: in this process."""
    if engine is None and scheduler is None:
        yield None
        return
    from .scale import engine_scope

    with engine_scope("dask" if engine is None else engine, scheduler=scheduler) as eng:
        yield eng


def place_source(state: PlaceState, rows: Any, *, refine: bool = False, engine: Any = None,
                 scheduler: str | None = None, rows_per_chunk: int = PLACE_CHUNK_ROWS,
                 sent: dict | None = None) -> pl.DataFrame:
    """Place rows given as a parquet source or in memory, chunk by chunk, in-process or on an engine.

    ``sent``: where the map remembers what it broadcast, so that placing batch
    after batch on the same engine sends the map to the workers only once.
    """
    from .scale import Partitions

    rows_per_chunk = check_int("rows_per_chunk", rows_per_chunk, minimum=1,
                               hint=f" (rows placed per chunk, e.g. {PLACE_CHUNK_ROWS:,})")
    distributed = engine is not None or scheduler is not None
    if refine and distributed:
        raise DataError("refine=True runs UMAP's transform on all the rows at once (its optimisation moves them "
                        "together), so it cannot be split across workers; pass engine=None, or refine=False "
                        "for the fast placement")
    if is_source(rows):
        if isinstance(rows, (str, os.PathLike)) and not Path(rows).exists() \
                and not any(ch in str(rows) for ch in "*?["):
            raise DataError(f"rows={str(rows)!r} does not exist; pass a parquet file, folder or glob, or a frame")
        parts = Partitions.open(rows, rows_per_chunk=rows_per_chunk)
    else:
        parts = Partitions.open(conform_rows(rows, state.schema, state.name), rows_per_chunk=rows_per_chunk)
    if parts.n_rows == 0:
        raise DataError("there are no rows to place (the parquet source is empty)")
    if refine:  # in-process, all rows at once
        frame = pl.concat([conform_rows(parts[i].read(), state.schema, state.name, allow_empty=True)
                           for i in range(len(parts))], how="vertical")
        return place_rows(state, frame, refine=True)
    with engine_for(engine, scheduler) as eng:
        chunks = [parts[i] for i in range(len(parts))]
        if eng is None:
            out = [place_partition(p, state) for p in chunks]
        else:
            box = _sent_box(eng, state, sent)
            out = eng.map(place_partition, chunks, box, desc="placing rows", labels=list(parts.labels))
    return pl.concat(out, how="vertical")


def _sent_box(eng: Any, state: PlaceState, sent: dict | None) -> Any:
    """The broadcast handle of ``state`` on ``eng``: sent before and still held by the workers, or sent now."""
    key = id(eng.client)
    held = None if sent is None else sent.get(key)
    if held is not None and held[0] is eng.client and held[1] is state and getattr(held[2], "status", "") == "finished":
        return held[2]
    box = eng.broadcast(state)
    if sent is not None:
        sent.clear()
        sent[key] = (eng.client, state, box)
    return box


# ---------------------------------------------------------------------- the real rows of a large map
@dataclass
class RealParts:
    """What the passes over every real row need (broadcast once): the two indexes and the fitted layout."""

    real_index: KnnIndex
    fit_index: KnnIndex | None
    fit_xy: np.ndarray
    pca: tuple | None
    params: dict


def real_coords_chunk(rows: np.ndarray, parts: RealParts) -> np.ndarray:
    """Map coordinates of the real rows ``rows`` (positions) placed among the fitted rows."""
    X = parts.real_index.data[rows]
    return fit_coords(X, parts.fit_index, parts.fit_xy, parts.pca, parts.params)


def self_distance_chunk(rows: np.ndarray, parts: RealParts) -> np.ndarray:
    """Distance of each indexed row ``rows`` (positions) to its nearest other indexed row."""
    _, d = parts.real_index.query(parts.real_index.data[rows], 1, exclude=rows)
    return d[:, 0].copy()


def exact_nearest_chunk(rows: np.ndarray, parts: RealParts) -> np.ndarray:
    """Exact distance of the real rows ``rows`` to their nearest other real row (brute force)."""
    _, d = parts.real_index.exact_nearest(parts.real_index.data[rows], rows)
    return d


def run_chunks(eng: Any, fn: Any, chunks: list, parts: Any, box: Any, desc: str) -> list:
    """``fn(chunk, parts)`` for every chunk: in this process (eng None) or on the engine (``box``: parts broadcast)."""
    if eng is None:
        return [fn(c, parts) for c in chunks]
    return eng.map(fn, chunks, box, desc=desc, labels=[_label(c) for c in chunks])


def _label(chunk: np.ndarray) -> str:
    return f"{len(chunk)} real rows from row {int(chunk[0])}" if len(chunk) else "no rows"


def maybe_broadcast(eng: Any, obj: Any) -> Any:
    return None if eng is None else eng.broadcast(obj)

