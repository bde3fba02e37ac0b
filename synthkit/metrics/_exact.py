"""Exact sums of floats and exact product moments, as Python integers.

Every float64 is an integer multiple of ``2**-1074``, so a sum of floats is
an integer multiple of it too: :func:`exact_sums` returns ``sum * SCALE`` as a
Python ``int`` (no rounding at all). Sums of products ``x * y`` are multiples
of ``2**-2148`` and are returned as ``sum * SCALE**2``. Integer sums merge by
addition, in any order, so statistics built on them (Pearson's correlation in
:mod:`synthkit.metrics.pairwise`) give the same float whether the rows are
summed at once or in partitions merged in any order.

The work is vectorised: each float is split into an integer mantissa and an
exponent (``np.frexp``); mantissas are summed per exponent in halves of 26
bits (``np.bincount`` sums stay below ``2**53``, so they are exact), and the
per-exponent totals are shifted into one Python integer. A product ``x * y`` is
the exact sum of four float products of Veltkamp halves (Dekker's product);
the few values whose magnitude lies outside ``[2**-300, 2**300]`` (where the
halves could underflow or overflow) are multiplied as Python integers.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

__all__ = ["SCALE", "exact_sums", "Moments", "moments"]

#: a sum of floats ``s`` is returned as the integer ``s * SCALE``
SCALE = 1 << 1127
_SHIFT = 1074 + 53  # log2(SCALE): frexp mantissas are scaled by 2**53
_CHUNK = 1 << 25  # bincount sums of this many 27-bit halves stay exact in float64
_SPLIT = 134217729.0  # 2**27 + 1 (Veltkamp)
_LO, _HI = 2.0 ** -300, 2.0 ** 300


def exact_sums(arrays: list[np.ndarray]) -> list[int]:
    """``[sum(a) * SCALE for a in arrays]`` exactly (finite float64 arrays)."""
    out = []
    for a in arrays:
        a = np.asarray(a, dtype=np.float64).ravel()
        total = 0
        for start in range(0, a.size, _CHUNK):
            total += _exact_sum(a[start:start + _CHUNK])
        out.append(total)
    return out


def _exact_sum(a: np.ndarray) -> int:
    a = a[a != 0]
    if a.size == 0:
        return 0
    m, e = np.frexp(a)
    mant = (m * 2.0 ** 53).astype(np.int64)  # exact: |m| < 1 has 53 bits
    e = e.astype(np.int64)
    e0 = int(e.min())
    idx = e - e0
    hi = np.bincount(idx, weights=(mant >> 26).astype(np.float64))
    lo = np.bincount(idx, weights=(mant & ((1 << 26) - 1)).astype(np.float64))
    total = 0
    for k in np.flatnonzero((hi != 0) | (lo != 0)):
        total += ((int(hi[k]) << 26) + int(lo[k])) << (int(k) + e0 + 1074)
    return total


def _split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c = _SPLIT * a
    hi = c - (c - a)
    return hi, a - hi


def _product_sum(x: np.ndarray, y: np.ndarray) -> int:
    """``sum(x * y) * SCALE**2`` exactly."""
    ax, ay = np.abs(x), np.abs(y)
    odd = ((ax > _HI) | ((ax < _LO) & (ax > 0))) | ((ay > _HI) | ((ay < _LO) & (ay > 0)))
    total = 0
    if odd.any():
        for u, v in zip(x[odd].tolist(), y[odd].tolist()):
            pu, qu = u.as_integer_ratio()
            pv, qv = v.as_integer_ratio()
            total += pu * pv * SCALE * SCALE // (qu * qv)  # exact: qu * qv divides 2**2148
        x, y = x[~odd], y[~odd]
    xh, xl = _split(x)
    yh, yl = _split(y)
    parts = np.concatenate([xh * yh, xh * yl, xl * yh, xl * yl])  # each product exact
    return total + exact_sums([parts])[0] * SCALE


@dataclass
class Moments:
    """Exact sums of one numeric pair over the rows where both are present.

    ``sx, sy`` are scaled by :data:`SCALE`, ``sxx, syy, sxy`` by ``SCALE**2``;
    ``ax, ay`` are the largest ``|x|``, ``|y|``; ``bad`` counts rows with an
    infinite value (their sums are left out; any makes the statistic NaN).
    Merge with ``+`` (integer sums and maxima: associative and order-free).
    """

    n: int = 0
    sx: int = 0
    sy: int = 0
    sxx: int = 0
    syy: int = 0
    sxy: int = 0
    ax: float = 0.0
    ay: float = 0.0
    bad: int = 0

    def __add__(self, other: "Moments") -> "Moments":
        vals = {}
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            vals[f.name] = max(a, b) if f.name in ("ax", "ay") else a + b
        return Moments(**vals)

    def variance_num(self, which: str) -> int:
        """``n**2 * var * SCALE**2`` (population variance of ``x`` or ``y``), exactly."""
        s, ss = (self.sx, self.sxx) if which == "x" else (self.sy, self.syy)
        return self.n * ss - s * s

    def is_constant(self, which: str, rtol: float) -> bool:
        """Standard deviation at most ``rtol`` times the largest |value| (no rows: constant)."""
        if self.bad:
            return False
        if self.n == 0:
            return True
        f = rtol * (self.ax if which == "x" else self.ay)
        p, q = f.as_integer_ratio()
        # var <= f**2  <=>  n**2 var SCALE**2 * q**2 <= n**2 SCALE**2 p**2
        return self.variance_num(which) * q * q <= (self.n * SCALE * p) ** 2

    def correlation(self, rtol: float) -> float:
        """Pearson's correlation (0 when a side is constant or no row is complete; NaN with an infinity)."""
        if self.bad:
            return float("nan")
        if self.n == 0 or self.is_constant("x", rtol) or self.is_constant("y", rtol):
            return 0.0
        cov = self.n * self.sxy - self.sx * self.sy
        den = self.variance_num("x") * self.variance_num("y")
        r = float(np.sqrt((cov * cov) / den))  # int / int is correctly rounded
        return float(min(1.0, max(-1.0, r if cov >= 0 else -r)))


def moments(x: np.ndarray, y: np.ndarray | None = None, *, alone: tuple[Moments, Moments] | None = None
            ) -> Moments:
    """Exact :class:`Moments` of ``x`` and ``y`` (NaN = missing; rows with both present).

    With ``y=None`` the moments of ``x`` alone (its non-missing values), in the ``x`` fields.
    ``alone``: ``(moments(x), moments(y))``, reused when no row is missing or
    infinite (then only ``sxy`` is summed): the same result, faster for many pairs.
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    if y is None:
        ok = ~np.isnan(x)
        x = x[ok]
        y = np.zeros_like(x)
    else:
        y = np.asarray(y, dtype=np.float64).ravel()
        ok = ~(np.isnan(x) | np.isnan(y))
        if alone is not None:
            mx, my = alone
            if mx.n == x.size and my.n == y.size and not (mx.bad or my.bad):
                return Moments(n=mx.n, sx=mx.sx, sy=my.sx, sxx=mx.sxx, syy=my.sxx, sxy=_product_sum(x, y),
                               ax=mx.ax, ay=my.ax)
        x, y = x[ok], y[ok]
    inf = ~(np.isfinite(x) & np.isfinite(y))
    bad = int(inf.sum())
    if bad:
        x, y = x[~inf], y[~inf]
    sx, sy = exact_sums([x, y])
    sxx = _product_sum(x, x)
    single = not y.any()
    return Moments(
        n=int(x.size) + bad, sx=sx, sy=sy,
        sxx=sxx, syy=0 if single else _product_sum(y, y), sxy=0 if single else _product_sum(x, y),
        ax=float(np.abs(x).max()) if x.size else 0.0, ay=float(np.abs(y).max()) if y.size else 0.0, bad=bad,
    )
