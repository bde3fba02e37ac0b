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
one-hot blocks). The map's index is exact up to ``EXACT_LIMIT`` rows; above
that it is pynndescent's approximate search, whose distances can only be too
large, with two repairs: exact copies are always found, and every row found
farther than a threshold (``verify_above``) is checked exactly
(:mod:`synthkit.neighbors.index`), so every row the map shows as far off is
exact.

Bounded memory. No search builds a query x reference distance matrix: the
exact loops keep a few numbers per row, and the map's exact check works on
tiles of at most a few megabytes.
"""

from __future__ import annotations

from .exact import TIE_RTOL, CrossStats, ExactIndex, as_matrix, boundary, cross_pass, knn, kth_radius
from .index import EXACT_LIMIT, KnnIndex, pair_distances

__all__ = ["TIE_RTOL", "EXACT_LIMIT", "CrossStats", "ExactIndex", "KnnIndex", "as_matrix", "boundary",
           "cross_pass", "knn", "kth_radius", "pair_distances"]
