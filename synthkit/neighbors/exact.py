"""Exact nearest-neighbour statistics without an N x M distance matrix.

Everything distance-based in :mod:`synthkit.metrics` (precision, recall,
density, coverage, DCR, NNDR, the clusters of :func:`~synthkit.metrics.suggest`)
and the curators of :mod:`synthkit.collapse` comes from these exact queries, written as parallel numba loops that keep only a
few numbers per row (never a block of distances):

- :func:`knn`: the k nearest *other* rows of each row of a set (or of another set);
- :func:`cross_pass`: for every query row its two nearest reference rows and how
  many reference balls (given radii) contain it, and for every reference row its
  nearest query row and whether it lies in some query ball;
- :class:`ExactIndex`: fixed reference rows put in compact form once, then
  queried many times (nearest rows, rows within a radius of each query).

Compact columns. Encoded rows are mostly one-hot blocks, where each row has at
most one non-zero entry. For such a block, the squared distance between rows x
and y is exactly ``(v_x - v_y)^2`` when their non-zero entries sit in the same
column and ``v_x^2 + v_y^2`` otherwise (v = the non-zero value, 0 if none). So
the columns are grouped, left to right, into blocks in which no row has two
non-zero entries (found automatically, for any matrix; a numeric column is a
block of its own) and every row is stored as one (position, value) pair per
block. The distances are the same Euclidean distances as on the full matrix
(summed in a different order), at a fraction of the work: the adult data's
109 encoded columns become 14 blocks.

Ties. A point at exactly the radius of a k-NN ball counts as *inside* the
ball (``<=``); ``strict=True`` gives the reference implementation's ``<``.
Distances are computed directly (not via the dot-product identity), so
d(x, y) == d(y, x) bit for bit and an exact duplicate is at distance 0 exactly.
On discrete data (integers, categories) many *different* pairs are equally far
apart in exact arithmetic, and floating-point sums in different orders can
split such a tie by one unit in the last place; so "on the boundary" means
within a relative ``TIE_RTOL`` (1e-9) of the squared radius, which makes the
result independent of the summation order.
Memory: O((N + M) * blocks); nothing grows with N x M.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numba
from numba import njit, prange


#: relative tolerance on squared distances for "exactly on the boundary"
TIE_RTOL = 1e-9


def as_matrix(X) -> np.ndarray:
    """A C-contiguous float64 array (copy only if needed)."""
    return np.ascontiguousarray(np.asarray(X, dtype=np.float64))


# --------------------------------------------------------------------------- compact form
def block_bounds(X: np.ndarray, step: int = 65536) -> np.ndarray:
    """Per column j: the largest column left of j that holds a non-zero in some row
    also non-zero in j (-1: none).

    Mergeable: the bounds of several row sets are the element-wise maximum of
    theirs, so the blocks of a matrix read in pieces (or on several machines) are
    ``blocks_from(np.maximum(block_bounds(A), block_bounds(B)))`` == ``blocks(A, B)``.
    """
    X = np.asarray(X)
    n, d = X.shape
    out = np.full(d, -1, dtype=np.int64)
    if d < 2:
        return out
    cols = np.arange(d, dtype=np.int32)
    for s in range(0, n, step):
        nz = X[s:s + step] != 0
        last = np.maximum.accumulate(np.where(nz, cols, np.int32(-1)), axis=1)  # last non-zero at or left of j
        prev = np.where(nz[:, 1:], last[:, :-1], np.int32(-1))
        out[1:] = np.maximum(out[1:], prev.max(axis=0, initial=-1))
    return out


def blocks_from(bounds: np.ndarray) -> list[np.ndarray]:
    """Blocks from :func:`block_bounds`: a new block starts at column j when some row
    has non-zeros in j and in the current block."""
    d = len(bounds)
    out: list[np.ndarray] = []
    start = 0
    for j in range(1, d):
        if bounds[j] >= start:
            out.append(np.arange(start, j))
            start = j
    if d:
        out.append(np.arange(start, d))
    return out


def blocks(*mats: np.ndarray) -> list[np.ndarray]:
    """Group columns (left to right) into blocks where no row of any matrix has two non-zeros."""
    return blocks_from(np.maximum.reduce([block_bounds(m) for m in mats]))


def compact(X: np.ndarray, groups: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per row and block: the position of its non-zero entry (-1 if none) and its value.

    Values are stored as float32 when that is lossless (e.g. Encoder output),
    else float64; distances are always accumulated in float64.
    """
    n = X.shape[0]
    width = max((len(g) for g in groups), default=1)
    codes = np.full((n, len(groups)), -1, dtype=np.int16 if width < 32000 else np.int32)
    vals = np.zeros((n, len(groups)), dtype=np.float64)
    for b, cols in enumerate(groups):
        sub = X[:, cols]
        if cols.size == 1:
            v = sub[:, 0]
            codes[v != 0, b] = 0
            vals[:, b] = v
            continue
        nz = sub != 0
        has = nz.any(axis=1)
        pos = nz.argmax(axis=1)
        codes[has, b] = pos[has]
        vals[has, b] = sub[has, pos[has]]
    v32 = vals.astype(np.float32)
    if np.array_equal(v32.astype(np.float64), vals):
        vals = v32
    return np.ascontiguousarray(codes), np.ascontiguousarray(vals)


# query rows x reference rows handled per tile (the reference tile stays in cache)
_TQ = 16
_TR = 1024


@njit(inline="always")
def _tile(qc, qv, i, rcT, rvT, rs, re, buf):
    """Squared distances from query row i to reference rows rs..re-1 (into buf).

    Vectorised over reference rows (stored block-major), in float64:
    same position -> (x - y)^2, else x^2 + y^2.
    """
    w = re - rs
    for j in range(w):
        buf[j] = 0.0
    for u in range(qc.shape[1]):
        x = np.float64(qv[i, u])
        cc = qc[i, u]
        xx = x * x
        rc = rcT[u, rs:re]
        rv = rvT[u, rs:re]
        for j in range(w):
            y = np.float64(rv[j])
            buf[j] += ((x - y) * (x - y)) if rc[j] == cc else (xx + y * y)


@njit(parallel=True, cache=True)
def _topk_kernel(qc, qv, rcT, rvT, kk, exclude_self, offset=0):
    """Squared distances and indices of the kk nearest reference rows of each query row.

    With ``exclude_self`` query row i is reference row ``offset + i`` (a slice of
    the reference rows starting at ``offset``) and is never its own neighbour."""
    m = qc.shape[0]
    n = rcT.shape[1]
    D = np.full((m, kk), np.inf)
    I = np.full((m, kk), -1, dtype=np.int64)
    ntiles = (m + _TQ - 1) // _TQ
    for t in prange(ntiles):
        buf = np.empty(_TR)
        qs = t * _TQ
        qe = min(m, qs + _TQ)
        for rs in range(0, n, _TR):
            re = min(n, rs + _TR)
            for i in range(qs, qe):
                _tile(qc, qv, i, rcT, rvT, rs, re, buf)
                worst = D[i, kk - 1]
                for jj in range(re - rs):
                    d = buf[jj]
                    if d < worst:
                        j = rs + jj
                        if exclude_self and j == offset + i:
                            continue
                        p = kk - 1
                        while p > 0 and D[i, p - 1] > d:
                            D[i, p] = D[i, p - 1]
                            I[i, p] = I[i, p - 1]
                            p -= 1
                        D[i, p] = d
                        I[i, p] = j
                        worst = D[i, kk - 1]
    return D, I


@njit(parallel=True, cache=True)
def _cross_kernel(qc, qv, rcT, rvT, rr2, rq2, use_rr, use_rq, strict, nchunks):
    """One pass over all (query, reference) pairs; see :func:`cross_pass`."""
    m = qc.shape[0]
    n = rcT.shape[1]
    d1 = np.full(m, np.inf)
    d2 = np.full(m, np.inf)
    i1 = np.zeros(m, dtype=np.int64)
    cnt = np.zeros(m, dtype=np.int64)
    rmin = np.full((nchunks, n), np.inf)
    rarg = np.zeros((nchunks, n), dtype=np.int64)
    rin = np.zeros((nchunks, n), dtype=np.bool_)
    per = (m + nchunks - 1) // nchunks
    for t in prange(nchunks):
        buf = np.empty(_TR)
        lo = t * per
        hi = min(m, lo + per)
        for qs in range(lo, hi, _TQ):
            qe = min(hi, qs + _TQ)
            for rs in range(0, n, _TR):
                re = min(n, rs + _TR)
                for i in range(qs, qe):
                    _tile(qc, qv, i, rcT, rvT, rs, re, buf)
                    a = d1[i]
                    b = d2[i]
                    ia = i1[i]
                    c = 0
                    ri = rq2[i]
                    for jj in range(re - rs):
                        d = buf[jj]
                        j = rs + jj
                        if d < b:
                            if d < a:
                                b = a
                                a = d
                                ia = j
                            else:
                                b = d
                        if use_rr:
                            if strict:
                                c += d < rr2[j]
                            else:
                                c += d <= rr2[j]
                        if d < rmin[t, j]:
                            rmin[t, j] = d
                            rarg[t, j] = i
                        if use_rq:
                            if strict:
                                if d < ri:
                                    rin[t, j] = True
                            elif d <= ri:
                                rin[t, j] = True
                    d1[i] = a
                    d2[i] = b
                    i1[i] = ia
                    cnt[i] += c
    return d1, d2, i1, cnt, rmin, rarg, rin


def _prep(*mats: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    mats = [as_matrix(M) for M in mats]
    groups = blocks(*mats)
    return [compact(M, groups) for M in mats]


def _T(c: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.ascontiguousarray(c.T), np.ascontiguousarray(v.T)


# --------------------------------------------------------------------------- public helpers
def knn(X: np.ndarray, k: int, Y: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Distances and indices of the ``k`` nearest rows of ``X`` for each row of ``Y``.

    With ``Y=None`` the query rows are ``X`` itself and a row is never its own
    neighbour: column 0 is the nearest *other* row (an exact duplicate has
    distance 0). Sorted by distance; ties keep the lower index first.
    """
    if Y is None:
        (c, v), = _prep(X)
        kk = min(k, c.shape[0] - 1)
        D, I = _topk_kernel(c, v, *_T(c, v), kk, True)
    else:
        (c, v), (qc, qv) = _prep(X, Y)
        kk = min(k, c.shape[0])
        D, I = _topk_kernel(qc, qv, *_T(c, v), kk, False)
    return np.sqrt(D), I


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


def boundary(radius: np.ndarray, strict: bool) -> np.ndarray:
    """Squared radius, moved by the tie tolerance: inside means ``d^2 <= r^2 (1 + TIE_RTOL)``
    (or ``d^2 < r^2 (1 - TIE_RTOL)`` when ``strict``)."""
    r2 = np.asarray(radius, dtype=np.float64) ** 2
    return r2 * (1.0 - TIE_RTOL) if strict else r2 * (1.0 + TIE_RTOL)


def cross_pass(
    Q: np.ndarray,
    R: np.ndarray,
    r_ref: np.ndarray | None = None,
    r_query: np.ndarray | None = None,
    *,
    strict: bool = False,
) -> CrossStats:
    """Nearest-neighbour and ball statistics between query rows ``Q`` and reference rows ``R``.

    ``ball_count[j] = #{i : ||Q_j - R_i|| <= r_ref[i]}`` (``<`` if ``strict``),
    ``ref_inside[i] = any_j ||Q_j - R_i|| <= r_query[j]`` and
    ``ref_covered[i] = min_j ||Q_j - R_i|| <= r_ref[i]``.
    """
    (qc, qv), (rc, rv) = _prep(Q, R)
    rr2 = np.zeros(rc.shape[0]) if r_ref is None else boundary(r_ref, strict)
    rq2 = np.zeros(qc.shape[0]) if r_query is None else boundary(r_query, strict)
    nchunks = max(1, min(4 * numba.get_num_threads(), qc.shape[0] // _TQ))
    d1, d2, i1, cnt, rmin, rarg, rin = _cross_kernel(
        qc, qv, *_T(rc, rv), rr2, rq2, r_ref is not None, r_query is not None, strict, nchunks)
    best = rmin.argmin(axis=0)  # lowest chunk (lowest query index) wins ties
    cols = np.arange(rc.shape[0])
    e1, j1 = rmin[best, cols], rarg[best, cols]
    if r_ref is None:
        covered = np.zeros(rc.shape[0], dtype=bool)
    else:
        covered = e1 < rr2 if strict else e1 <= rr2
    return CrossStats(
        d1=np.sqrt(d1), d2=np.sqrt(d2), i1=i1, ball_count=cnt,
        ref_d1=np.sqrt(e1), ref_i1=j1, ref_inside=rin.any(axis=0), ref_covered=covered,
    )


@njit(parallel=True, cache=True)
def _count_kernel(qc, qv, rcT, rvT, rq2):
    """Per query row: how many reference rows lie within its squared radius ``rq2``."""
    m = qc.shape[0]
    n = rcT.shape[1]
    cnt = np.zeros(m, dtype=np.int64)
    ntiles = (m + _TQ - 1) // _TQ
    for t in prange(ntiles):
        buf = np.empty(_TR)
        qs = t * _TQ
        qe = min(m, qs + _TQ)
        for rs in range(0, n, _TR):
            re = min(n, rs + _TR)
            for i in range(qs, qe):
                _tile(qc, qv, i, rcT, rvT, rs, re, buf)
                r = rq2[i]
                c = 0
                for jj in range(re - rs):
                    c += buf[jj] <= r
                cnt[i] += c
    return cnt


class ExactIndex:
    """Exact search over fixed reference rows ``R``, put in compact form once.

    For a reference queried many times (the real rows, generation after
    generation). A query matrix whose rows do not fit the reference's blocks
    (two non-zeros in one block) is handled with blocks found for both.
    """

    def __init__(self, R: np.ndarray) -> None:
        self.R = as_matrix(R)
        self.groups = blocks(self.R)
        c, v = compact(self.R, self.groups)
        self._ref = (c, v)
        self._refT = _T(c, v)

    def __len__(self) -> int:
        return self.R.shape[0]

    def _prepared(self, Q: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
        Q = as_matrix(Q)
        if Q.ndim != 2 or Q.shape[1] != self.R.shape[1]:
            raise ValueError(f"query rows have {Q.shape[-1]} columns, the reference {self.R.shape[1]}")
        if all(len(g) == 1 or int((Q[:, g] != 0).sum(axis=1).max(initial=0)) <= 1 for g in self.groups):
            qc, qv = compact(Q, self.groups)
            return qc, qv, self._refT
        groups = blocks(self.R, Q)
        qc, qv = compact(Q, groups)
        return qc, qv, _T(*compact(self.R, groups))

    def query(self, Q: np.ndarray, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Distances and indices of the ``k`` nearest reference rows of each row of ``Q``
        (as :func:`knn` with ``Y=Q``)."""
        qc, qv, (rcT, rvT) = self._prepared(Q)
        kk = min(k, len(self))
        D, I = _topk_kernel(qc, qv, rcT, rvT, kk, False)
        return np.sqrt(D), I

    def self_query(self, k: int = 1, rows: slice | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest *other* reference rows of each reference row (as :func:`knn` with ``Y=None``).

        ``rows`` (a ``slice(start, stop)``) asks for those reference rows only; the
        result is the same as those rows of the full answer (the row itself is
        excluded by its global number)."""
        c, v = self._ref
        lo, hi, _ = (rows or slice(None)).indices(len(self))
        D, I = _topk_kernel(c[lo:hi], v[lo:hi], *self._refT, min(k, len(self) - 1), True, lo)
        return np.sqrt(D), I

    def count_within(self, Q: np.ndarray, radius: np.ndarray, *, strict: bool = False) -> np.ndarray:
        """Per row of ``Q``: how many reference rows lie within ``radius`` of it (``<=``;
        ``<`` if ``strict``; boundary ties within ``TIE_RTOL``, as in :func:`boundary`)."""
        qc, qv, (rcT, rvT) = self._prepared(Q)
        r2 = boundary(np.broadcast_to(np.asarray(radius, dtype=np.float64), (qc.shape[0],)), strict)
        if strict:  # d < r  <=>  d <= the largest value below r (on this tolerance scale)
            r2 = np.nextafter(r2, -np.inf)
        return _count_kernel(qc, qv, rcT, rvT, np.ascontiguousarray(r2))
