"""Pairwise fidelity (column pair trends), as SDMetrics defines them.

- **Correlation similarity** (numeric pairs):
  ``1 - |rho_real(a, b) - rho_synth(a, b)| / 2`` with Pearson's rho on the rows
  where both values are present; 1 = same correlation, 0 = opposite extremes.
  A pair with a constant real column is skipped (the public
  :func:`correlation_similarity` gives NaN for it); a constant synthetic column
  has correlation 0. The correlation and the constant test come from exact
  sums of ``x, y, x^2, y^2, xy`` (Python integers, :mod:`synthkit.metrics._exact`),
  so a column with a large mean and a small spread (timestamps) loses no
  precision, and sums over partitions merge to the same float
  (:mod:`synthkit.scale.fidelity`): a column counts as constant when its
  standard deviation is at most ``1e-10`` times its largest absolute value.
- **Contingency similarity** (every other pair): ``1 - TVD`` of the two
  columns' joint frequency table, ``TVD = 1/2 * sum_(u,v) |p_real(u,v) - p_synth(u,v)|``.
  Categories are matched by value (:mod:`synthkit._categories`: ``True`` is
  ``True``, ``1`` is ``1.0``); missing is a category of its own, and every value
  unseen in the real data counts as "unseen" (one more category, distinct from
  missing). A numeric column in a mixed pair is cut into ``bins`` (10)
  equal-width bins of the real range (values outside go to the end bins).
  Only the pairs that occur are counted (sparse), so two columns with
  thousands of categories each need memory in proportion to the rows, not to
  the product of their category counts.

Every pair is scored, however weak its real correlation or association: there
is no threshold below which a pair is left out (SDMetrics' optional
``real_correlation_threshold`` / ``real_association_threshold`` give NaN there).

ID-like categorical columns (see :func:`synthkit.metrics._common.id_like_columns`)
are left out of the pairs. The public functions and ``evaluate()``'s table call
the same kernels (``_correlation_pair`` and ``_contingency_counts``), so they give
equal values on equal inputs.

The pair-trends score is the mean over all pairs. Intervals: Poisson bootstrap
of the row weights (correlations, from weighted float moments of the centred
columns) or of the joint table's cell counts (contingency).
"""

from __future__ import annotations

import warnings
from typing import Any, Iterable

import numpy as np
import polars as pl

from .._categories import category_codes, category_levels
from ..data import Schema, to_polars
from ._exact import Moments, moments
from ._common import id_like_columns, metric_row, poisson_counts, table_columns, tv_complement_counts

__all__ = ["correlation_similarity", "contingency_similarity", "pair_trends"]

FAMILY = "pairwise"
#: a column whose standard deviation is at most this times its largest |value| is constant
CONSTANT_RTOL = 1e-10


def _is_constant(x: np.ndarray) -> bool:
    """True when the non-missing values of ``x`` do not vary (exact moments, see :mod:`._exact`)."""
    return moments(x).is_constant("x", CONSTANT_RTOL)


def _corr(x: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Pearson correlation on pairwise-complete rows; ``w`` (n_boot, n) gives replicates.

    Both columns are centred on their mean first, so the moments do not lose
    precision to a large mean; a side whose (weighted) standard deviation is at
    most ``CONSTANT_RTOL`` times its largest |value| is constant: correlation 0.
    """
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    if x.size == 0:
        return np.zeros(1 if w is None else w.shape[0])
    sx, sy = float(np.abs(x).max()), float(np.abs(y).max())
    x, y = x - x.mean(), y - y.mean()
    W = np.ones((1, x.size)) if w is None else w[:, ok]
    S = W @ np.stack([x, y, x * x, y * y, x * y], axis=1)
    n = W.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx, my = S[:, 0] / n, S[:, 1] / n
        vx, vy = S[:, 2] / n - mx**2, S[:, 3] / n - my**2
        cxy = S[:, 4] / n - mx * my
        r = cxy / np.sqrt(np.maximum(vx, 0) * np.maximum(vy, 0))
    const = (vx <= (CONSTANT_RTOL * sx) ** 2) | (vy <= (CONSTANT_RTOL * sy) ** 2) | ~(n > 0)
    r = np.where(const, 0.0, r)
    return np.clip(r, -1.0, 1.0)


def _correlation_pair(ra: np.ndarray, rb: np.ndarray, sa: np.ndarray, sb: np.ndarray,
                      wr: np.ndarray | None = None, ws: np.ndarray | None = None,
                      alone: tuple[Moments, Moments, Moments, Moments] | None = None) -> dict | None:
    """The correlation-similarity kernel: value, both correlations and replicates (``None`` = skipped).

    ``alone``: the moments of ``ra, rb, sa, sb`` by themselves, if known (reused across pairs).
    """
    mra, mrb, msa, msb = alone or (moments(ra), moments(rb), moments(sa), moments(sb))
    p = _correlation_from_moments(mra, mrb, moments(ra, rb, alone=(mra, mrb)), moments(sa, sb, alone=(msa, msb)))
    if p is not None and wr is not None:
        p["reps"] = 1.0 - np.abs(_corr(ra, rb, wr) - _corr(sa, sb, ws)) / 2.0
    return p


def _correlation_from_moments(col_a: Moments, col_b: Moments, real: Moments, synth: Moments) -> dict | None:
    """Correlation similarity from exact moments: the real columns ``col_a`` / ``col_b`` alone
    (constant test) and the pair on the real and synthetic rows (``None`` = skipped)."""
    if col_a.is_constant("x", CONSTANT_RTOL) or col_b.is_constant("x", CONSTANT_RTOL):
        return None
    rho_r, rho_s = real.correlation(CONSTANT_RTOL), synth.correlation(CONSTANT_RTOL)
    return {"value": float(1.0 - abs(rho_r - rho_s) / 2.0), "reps": None,
            "real_corr": float(rho_r), "synth_corr": float(rho_s)}


def _floats(v: Any) -> np.ndarray:
    if isinstance(v, pl.Series):
        return v.cast(pl.Float64).fill_null(np.nan).to_numpy().astype(np.float64)
    return np.asarray(v, dtype=np.float64).ravel()


def correlation_similarity(real_a, real_b, synth_a, synth_b) -> float:
    """``1 - |rho_real - rho_synth| / 2`` for one numeric pair (arrays; NaN = missing).

    NaN when a real column is constant: the pair has no correlation to keep,
    and ``evaluate()`` skips it.
    """
    p = _correlation_pair(_floats(real_a), _floats(real_b), _floats(synth_a), _floats(synth_b))
    return np.nan if p is None else p["value"]


def _contingency_counts(ra: np.ndarray, rb: np.ndarray, sa: np.ndarray, sb: np.ndarray,
                        width_b: int) -> tuple[np.ndarray, np.ndarray]:
    """The contingency kernel: counts of every (a, b) cell that occurs on either side.

    Codes are non-negative and ``width_b`` bounds the codes of ``b``; only the
    cells that occur are counted (:func:`cell_counts`), never the full
    ``na * nb`` table, and aligned by :func:`aligned_cells`.
    """
    return aligned_cells(cell_counts(ra, rb, width_b), cell_counts(sa, sb, width_b))


def cell_counts(a: np.ndarray, b: np.ndarray, width_b: int) -> tuple[np.ndarray, np.ndarray]:
    """The occurring cells ``a * width_b + b`` (sorted) and their counts (sparse; merge with :func:`merge_cells`)."""
    cells = np.asarray(a, dtype=np.int64) * width_b + b
    if cells.size and 0 <= cells.min() and cells.max() < 4 * cells.size + 4096:  # few cells: count directly
        counts = np.bincount(cells)
        keys = np.flatnonzero(counts)
        return keys.astype(np.int64), counts[keys].astype(np.int64)
    keys, counts = np.unique(cells, return_counts=True)
    return keys.astype(np.int64), counts.astype(np.int64)


def merge_cells(*cells: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The sum of several :func:`cell_counts` (integer sums: any order gives the same)."""
    keys = np.concatenate([np.asarray(k, dtype=np.int64) for k, _ in cells]) if cells else np.empty(0, np.int64)
    counts = np.concatenate([np.asarray(c, dtype=np.int64) for _, c in cells]) if cells else np.empty(0, np.int64)
    u, inv = np.unique(keys, return_inverse=True)
    out = np.zeros(u.size, dtype=np.int64)
    np.add.at(out, inv.ravel(), counts)
    return u, out


def aligned_cells(real: tuple[np.ndarray, np.ndarray], synth: tuple[np.ndarray, np.ndarray]
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Both sides' counts over the cells that occur on either side (sorted by cell)."""
    (kr, cr), (ks, cs) = real, synth
    u = np.union1d(kr, ks)
    jr = np.zeros(u.size, dtype=np.int64)
    js = np.zeros(u.size, dtype=np.int64)
    jr[np.searchsorted(u, kr)] = cr
    js[np.searchsorted(u, ks)] = cs
    return jr, js


def _shifted(codes: np.ndarray) -> np.ndarray:
    """Category codes moved to ``0..`` (0 = unseen, 1 = missing, 2.. = the levels)."""
    return codes + 2


def contingency_similarity(real: Any, synth: Any) -> float:
    """``1 - TVD`` of the joint frequencies of two categorical columns (the first two columns).

    ``real`` and ``synth`` are polars or pandas frames. Values are matched by
    value (``True`` is ``True``, ``1`` is ``1.0``, ``"a"`` is not ``"A"``) and a
    missing value (null or NaN) is a category of its own.
    """
    real, synth = to_polars(real), to_polars(synth)
    a, b = real.columns[:2]
    la, lb = category_levels(real[a], synth[a]), category_levels(real[b], synth[b])
    code = lambda s, lv: _shifted(category_codes(s, lv))  # noqa: E731
    jr, js = _contingency_counts(code(real[a], la), code(real[b], lb), code(synth[a], la), code(synth[b], lb),
                                 len(lb) + 2)
    return float(tv_complement_counts(jr, js)[0])


def pair_coder(real: pl.Series, kind: str, levels, bins: int) -> tuple:
    """How a column is coded for the contingency tables, decided on the real values alone:
    ``("categorical", levels)`` or ``("numeric", inner bin edges of the real range, bins)``."""
    if kind == "categorical":
        return ("categorical", tuple(levels))
    r = real.cast(pl.Float64).fill_null(np.nan).to_numpy()
    with warnings.catch_warnings():  # a real column of nulls only: NaN edges, every present value in bin 0
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.nanmin(r), np.nanmax(r)
    return ("numeric", np.linspace(lo, hi if hi > lo else lo + 1.0, bins + 1)[1:-1], bins)


def pair_code(values: pl.Series, coder: tuple) -> tuple[np.ndarray, int]:
    """The non-negative codes of ``values`` under a :func:`pair_coder`, and their bound (width)."""
    if coder[0] == "categorical":
        return _shifted(category_codes(values, coder[1])), len(coder[1]) + 2
    _, edges, bins = coder
    v = values.cast(pl.Float64).fill_null(np.nan).to_numpy()
    return np.where(np.isnan(v), bins, np.searchsorted(edges, v, side="right")), bins + 1


def _codes(real: pl.Series, synth: pl.Series, kind: str, levels, bins: int) -> tuple[np.ndarray, np.ndarray, int]:
    coder = pair_coder(real, kind, levels, bins)
    (cr, width), (cs, _) = pair_code(real, coder), pair_code(synth, coder)
    return cr, cs, width


def _contingency_pair(jr: np.ndarray, js: np.ndarray, n_boot: int, rng: np.random.Generator | None) -> dict:
    """The contingency-similarity kernel from aligned cell counts (value and replicates)."""
    reps = None
    if rng is not None and n_boot:
        reps = tv_complement_counts(poisson_counts(jr, n_boot, rng), poisson_counts(js, n_boot, rng))
    return {"metric": "contingency_similarity", "value": float(tv_complement_counts(jr, js)[0]),
            "reps": reps, "real_corr": None, "synth_corr": None}


def pair_columns(schema: Schema, skip: tuple[str, ...]) -> list[tuple[str, str]]:
    """The scored pairs, in table order (text and ``skip`` columns left out)."""
    cols = [c for c in table_columns(schema) if c not in skip]
    return [(a, b) for i, a in enumerate(cols) for b in cols[i + 1:]]


def _pair_scores(real: pl.DataFrame, synth: pl.DataFrame, schema: Schema, bins: int,
                 n_boot: int, rng: np.random.Generator | None, skip: tuple[str, ...] = ()) -> list[dict]:
    cols = [c for c in table_columns(schema) if c not in skip]
    num = {c: (_floats(real[c]), _floats(synth[c])) for c in schema.numeric if c in cols}
    alone = {c: (moments(r), moments(s)) for c, (r, s) in num.items()}
    codes = {c: _codes(real[c], synth[c], schema.kind(c), schema.categories.get(c, ()), bins) for c in cols}
    wr = ws = None
    if rng is not None and n_boot:
        wr = rng.poisson(1.0, size=(n_boot, real.height)).astype(np.float64)
        ws = rng.poisson(1.0, size=(n_boot, synth.height)).astype(np.float64)
    out = []
    for a, b in pair_columns(schema, skip):
        if a in num and b in num:
            p = _correlation_pair(num[a][0], num[b][0], num[a][1], num[b][1], wr, ws,
                                  (alone[a][0], alone[b][0], alone[a][1], alone[b][1]))
            if p is None:
                continue
            out.append({"a": a, "b": b, "metric": "correlation_similarity", **p})
        else:
            (cra, csa, _), (crb, csb, nb) = codes[a], codes[b]
            out.append({"a": a, "b": b, **_contingency_pair(*_contingency_counts(cra, crb, csa, csb, nb),
                                                              n_boot, rng)})
    return out


def pair_trends(real: pl.DataFrame, synth: pl.DataFrame, schema: Schema, *,
                base_a: pl.DataFrame | None = None, base_b: pl.DataFrame | None = None,
                n_boot: int = 100, rng: np.random.Generator | None = None,
                bins: int = 10, skip: Iterable[str] | None = None) -> tuple[list[dict], dict]:
    """Table rows (per pair and overall) and the pair summary the heatmap uses.

    ``skip`` names columns left out of every pair (default: the ID-like
    columns of ``real``, see :func:`synthkit.metrics._common.id_like_columns`).
    Text columns are left out too.
    """
    skip = id_like_columns(real, schema) if skip is None else tuple(skip)
    pairs = _pair_scores(real, synth, schema, bins, n_boot, rng, skip)
    base = None
    if base_a is not None:
        base = {(p["a"], p["b"]): p["value"] for p in _pair_scores(base_a, base_b, schema, bins, 0, None, skip)}
    return trend_rows(pairs, base, n_boot=n_boot, rng=rng)


def trend_rows(pairs: list[dict], base: dict | None = None, *, n_boot: int = 0,
               rng: np.random.Generator | None = None) -> tuple[list[dict], dict]:
    """:func:`pair_trends`'s rows and summary from the scored pairs (``base``: pair -> baseline value)."""
    base = base or {}
    rows = []
    for p in pairs:
        rows.append(metric_row(FAMILY, p["metric"], f"{p['a']}, {p['b']}", p["value"], p["reps"],
                               base.get((p["a"], p["b"])), "higher"))
    if pairs:
        reps = None
        if rng is not None and n_boot:
            reps = np.nanmean(np.vstack([p["reps"] for p in pairs]), axis=0)
        bvals = [base.get((p["a"], p["b"]), np.nan) for p in pairs]
        rows.insert(0, metric_row(FAMILY, "pair_trends", None, float(np.mean([p["value"] for p in pairs])),
                                  reps, float(np.nanmean(bvals)) if base else None, "higher"))
    frame = pl.DataFrame(
        [{k: p[k] for k in ("a", "b", "metric", "value", "real_corr", "synth_corr")} for p in pairs],
        schema={"a": pl.String, "b": pl.String, "metric": pl.String, "value": pl.Float64,
                "real_corr": pl.Float64, "synth_corr": pl.Float64},
    )
    return rows, {"pairs": frame}
