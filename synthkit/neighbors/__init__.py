"""Every nearest-neighbour search in synthkit: one front door, two guarantees.

Who asks what:

- the map (:mod:`synthkit.projection`): placement, ``dist_to_real`` and
  ``nearest_real`` ask a :class:`KnnIndex` over the real rows;
- the metrics (PRDC, DCR, NNDR, :func:`~synthkit.metrics.suggest`) ask
  :func:`knn` and :func:`cross_pass`;
- the curators of :mod:`synthkit.collapse` ask an :class:`ExactIndex` over the
  encoded real rows (nearest distance, nearest row, rows within a radius).

Exact where a verdict depends on it. The metrics and the curators are always
exact (:mod:`synthkit.neighbors.exact`: numba loops over a compact form of the
one-hot blocks). The map's index is exact up to ``EXACT_LIMIT`` rows
and, for euclidean maps, up to ``BLAS_LIMIT`` encoded values (blocked matrix
products with a certified re-check, numpy only: nothing for numba to compile
before a fresh process's first placement); above that it is
pynndescent's approximate search, whose distances can only be too large, with
two repairs: exact copies are always found, and every row found farther than a
threshold (``verify_above``) is checked exactly
(:mod:`synthkit.neighbors.index`), so every row the map shows as far off is
exact. Each row's answer depends on that row alone, so placing rows in chunks
on Dask workers gives exactly the in-process result.

Loading. The exact kernels import numba (most of a second); the map's index
does not need them, so they load on first use (``synthkit.neighbors.knn``
etc. are resolved lazily) and opening or drawing a map never imports numba.

Bounded memory. No search builds a query x reference distance matrix: the
exact loops keep a few numbers per row, and the map's exact searches work on
blocks of at most 4 million distances (16 MB) at a time.
"""

from __future__ import annotations

import importlib
from typing import Any

from .index import BLAS_LIMIT, EXACT_LIMIT, KnnIndex, pair_distances

_EXACT = ("TIE_RTOL", "CrossStats", "ExactIndex", "as_matrix", "boundary", "cross_pass", "knn", "kth_radius")


def __getattr__(name: str) -> Any:
    if name in _EXACT or name == "exact":
        exact = importlib.import_module(".exact", __name__)
        return exact if name == "exact" else getattr(exact, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["TIE_RTOL", "EXACT_LIMIT", "BLAS_LIMIT", "CrossStats", "ExactIndex", "KnnIndex", "as_matrix",
           "boundary", "cross_pass", "knn", "kth_radius", "pair_distances"]
