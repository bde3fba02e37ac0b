"""Exact nearest-neighbour statistics without an N x M distance matrix.

Everything distance-based in :mod:`synthkit.metrics` (precision, recall,
density, coverage, DCR, NNDR) comes from two kinds of queries in the Encoder's
space, both exact and memory-bounded:

- k nearest neighbours within one set (scikit-learn ``NearestNeighbors``, which
  picks a KD-tree in low dimension and chunked brute force otherwise);
- one fused *cross pass* over (query rows x reference rows) in blocks of a few
  hundred query rows, computing squared Euclidean distances in float64 with the
  dot-product identity and reducing each block at once (nearest two reference
  rows of every query row, nearest query row of every reference row, and ball
  membership counts). Peak extra memory is one block, ``BLOCK_BYTES`` (64 MB)
  by default, whatever N and M are.

Ties. A point at exactly the radius of a k-NN ball counts as *inside* the
ball (``<=``), with a floating-point tolerance of ``TIE_RTOL`` times the
squared norms; pass ``strict=True`` for the reference implementation's
``<``. With ``<=`` an identical copy of a data set with duplicated rows scores
precision = recall = coverage = 1; with ``<`` rows whose k-th neighbour is a
duplicate have radius 0 and cover nothing, so such a copy scores 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.neighbors import NearestNeighbors

#: target size of one distance block (bytes of float64)
BLOCK_BYTES = 64 * 2**20
#: relative tolerance on squared distances for "exactly on the boundary"
TIE_RTOL = 1e-9


def as_matrix(X) -> np.ndarray:
    """A C-contiguous float64 copy-free view when possible."""
    return np.ascontiguousarray(np.asarray(X, dtype=np.float64))


def knn(X: np.ndarray, k: int, Y: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Distances and indices of the ``k`` nearest rows of ``X`` for each row of ``Y``.

    With ``Y=None`` the query rows are ``X`` itself and the row itself is *not*
    counted: column 0 is the nearest *other* row (an exact duplicate has
    distance 0). Results are sorted by distance.
    """
    X = as_matrix(X)
    if Y is None:
        kk = min(k + 1, X.shape[0])
        nn = NearestNeighbors(n_neighbors=kk).fit(X)
        d, i = nn.kneighbors(X)
        # drop the row itself (with duplicates it need not be in column 0)
        n = X.shape[0]
        self_pos = i == np.arange(n)[:, None]
        has_self = self_pos.any(axis=1)
        # rows whose own index was pushed out by >= k duplicates: drop the last column
        drop = np.where(has_self, self_pos.argmax(axis=1), kk - 1)
        keep = np.ones_like(i, dtype=bool)
        keep[np.arange(n), drop] = False
        d = d[keep].reshape(n, kk - 1)
        i = i[keep].reshape(n, kk - 1)
        return d, i
    Y = as_matrix(Y)
    nn = NearestNeighbors(n_neighbors=min(k, X.shape[0])).fit(X)
    return nn.kneighbors(Y)


def kth_radius(X: np.ndarray, k: int) -> np.ndarray:
    """Distance from each row of ``X`` to its k-th nearest *other* row (Naeem et al.'s radius)."""
    d, _ = knn(X, k)
    return d[:, k - 1]


@dataclass
class CrossStats:
    """Per-row results of one cross pass between query rows Q and reference rows R."""

    #: per query row: distance to the nearest and second-nearest reference row
    d1: np.ndarray
    d2: np.ndarray
    #: per query row: index of the nearest reference row
    i1: np.ndarray
    #: per query row: number of reference balls (radius ``r_ref``) containing it
    ball_count: np.ndarray
    #: per reference row: distance to the nearest query row
    ref_d1: np.ndarray
    #: per reference row: index of the nearest query row
    ref_i1: np.ndarray
    #: per reference row: inside at least one query ball (radius ``r_query``)
    ref_inside: np.ndarray
    #: per reference row: at least one query row inside its own ball (radius ``r_ref``)
    ref_covered: np.ndarray


def cross_pass(
    Q: np.ndarray,
    R: np.ndarray,
    r_ref: np.ndarray | None = None,
    r_query: np.ndarray | None = None,
    *,
    strict: bool = False,
    block_bytes: int = BLOCK_BYTES,
) -> CrossStats:
    """One blocked pass over all (query, reference) pairs; see the module docstring.

    ``ball_count[j] = #{i : ||Q_j - R_i|| <= r_ref[i]}`` (``<`` if ``strict``) and
    ``ref_inside[i] = any_j ||Q_j - R_i|| <= r_query[j]`` and
    ``ref_covered[i] = any_j ||Q_j - R_i|| <= r_ref[i]``.
    """
    Q = as_matrix(Q)
    R = as_matrix(R)
    m, n = Q.shape[0], R.shape[0]
    qn = np.einsum("ij,ij->i", Q, Q)
    rn = np.einsum("ij,ij->i", R, R)
    rr2 = None if r_ref is None else np.asarray(r_ref, dtype=np.float64) ** 2
    rq2 = None if r_query is None else np.asarray(r_query, dtype=np.float64) ** 2
    d1 = np.empty(m)
    d2 = np.full(m, np.inf)
    i1 = np.empty(m, dtype=np.int64)
    count = np.zeros(m, dtype=np.int64)
    ref_d1 = np.full(n, np.inf)
    ref_i1 = np.zeros(n, dtype=np.int64)
    ref_inside = np.zeros(n, dtype=bool)
    ref_covered = np.zeros(n, dtype=bool)
    step = max(1, int(block_bytes // (8 * max(n, 1))))
    sign = -1.0 if strict else 1.0
    for s in range(0, m, step):
        e = min(m, s + step)
        D = Q[s:e] @ R.T  # (b, n)
        D *= -2.0
        D += qn[s:e, None]
        D += rn[None, :]
        np.maximum(D, 0.0, out=D)
        tol = TIE_RTOL * (qn[s:e, None] + rn[None, :] + 1.0)
        rows = np.arange(e - s)
        a = D.argmin(axis=1)
        d1[s:e] = D[rows, a]
        i1[s:e] = a
        if n > 1:
            saved = D[rows, a].copy()
            D[rows, a] = np.inf
            d2[s:e] = D.min(axis=1)
            D[rows, a] = saved
        col_arg = D.argmin(axis=0)
        col_min = D[col_arg, np.arange(n)]
        better = col_min < ref_d1
        ref_d1[better] = col_min[better]
        ref_i1[better] = col_arg[better] + s
        if rr2 is not None:
            inside = D <= rr2[None, :] + sign * tol
            count[s:e] = inside.sum(axis=1)
            ref_covered |= inside.any(axis=0)
        if rq2 is not None:
            ref_inside |= (D <= rq2[s:e, None] + sign * tol).any(axis=0)
    return CrossStats(
        d1=np.sqrt(d1), d2=np.sqrt(d2), i1=i1, ball_count=count,
        ref_d1=np.sqrt(ref_d1), ref_i1=ref_i1, ref_inside=ref_inside, ref_covered=ref_covered,
    )
