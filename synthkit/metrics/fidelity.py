"""Fidelity one column at a time (column shapes), as SDMetrics defines them.

- **KS complement** (numeric columns): ``1 - D`` where
  ``D = max_x |F_real(x) - F_synth(x)|`` is the two-sample Kolmogorov-Smirnov
  statistic of the non-missing values (the statistic of ``scipy.stats.ks_2samp``).
  1 = identical distributions, 0 = no overlap at all. Values are rounded to 14
  decimals first, so ``0.1`` and ``0.09999999999999999`` are one value.
  Missing values (null or NaN) are left out.
- **TV complement** (categorical columns): ``1 - TVD`` with
  ``TVD = 1/2 * sum_v |p_real(v) - p_synth(v)|`` over every category ``v``
  (missing values, null or NaN, count as one more category). Categories are
  matched by value (:mod:`synthkit._categories`).
- **Within support**: share of the synthetic column's non-missing values that
  lie inside the real range ``[min, max]`` (numeric) or the real category set
  (categorical). 1 = nothing new was invented. Missing values are left out:
  a missing value is neither inside nor outside.

- **Category shares** (headline ``category_shares``): does every category of
  every categorical column keep its share? Each category gets Fisher's exact
  test of its real and synthetic counts, with Holm's correction across all
  categories of all categorical columns (ID-like columns left out), exactly as
  the subgroup family tests sensitive groups (:mod:`synthkit.metrics.fairness`).
  The value is the representation ``min(ratio, 1 / ratio)`` of the category
  with the smallest adjusted p-value (0 = it vanished), its ``p_value`` that
  adjusted p-value, so "worse than real" means some category's share changed
  beyond chance. A category dropped by the generator is caught here even when
  it is too small to move a mean score.

The column-shapes score is the mean KS/TV complement over all columns, and
``worst_column_shape`` the lowest one (a single broken column is diluted in the
mean, not in the minimum); the overall within-support row (``column`` null) is
the mean over columns. The public :func:`ks_complement` / :func:`tv_complement`
and ``evaluate()``'s table share one kernel per metric (``_ks_counts`` and
``_category_counts``), so they give equal values on equal inputs. Every
score is computed from counts (:class:`ColumnCounts`, :func:`shapes_from_counts`),
the same code :mod:`synthkit.scale.fidelity` runs on counts added up over
partitions.
Bootstrap intervals resample the value counts of both sides (Poisson bootstrap,
see :mod:`synthkit.metrics._common`), never the raw rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from .._categories import as_series, category_codes, category_counts, category_levels
from ..data import Schema
from ..encode import OTHER
from ..errors import DataError
from ..summary import MISSING
from ._common import boot_share, metric_row, poisson_counts, table_columns, tv_complement_counts

__all__ = ["ks_complement", "tv_complement", "within_support", "column_shapes", "marginals"]

FAMILY = "fidelity"
#: ``ks_complement`` compares values rounded to this many decimals (as SDMetrics does)
KS_DECIMALS = 14
#: at most this many bars per categorical marginal (the rest is one "(other)" bar)
MAX_BARS = 40


def _values(x: Any, name: str = "values") -> np.ndarray:
    """The non-missing values as float64, rounded to ``KS_DECIMALS``."""
    try:
        if isinstance(x, pl.Series):
            x = x.drop_nulls().cast(pl.Float64).to_numpy()
        elif type(x).__module__.startswith("pandas"):
            x = x.to_numpy(dtype=np.float64, na_value=np.nan)
        a = np.asarray(x, dtype=np.float64).ravel()
    except (TypeError, ValueError, pl.exceptions.PolarsError):
        raise DataError(
            f"{name} must hold numbers (one numeric column: a Series, a numpy array or a list), "
            f"got {type(x).__name__}"
        ) from None
    return np.round(a[~np.isnan(a)], KS_DECIMALS)


def _aligned_counts(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Union of distinct values (sorted) and each side's count of each."""
    u, inv = np.unique(np.concatenate([a, b]), return_inverse=True)
    ca = np.bincount(inv[: a.size], minlength=u.size)
    cb = np.bincount(inv[a.size:], minlength=u.size)
    return u, ca, cb


def _ks_stat(ca: np.ndarray, cb: np.ndarray) -> np.ndarray:
    """KS statistic from aligned counts; rows of 2-D inputs are replicates."""
    ca = np.atleast_2d(ca).astype(np.float64)
    cb = np.atleast_2d(cb).astype(np.float64)
    na = ca.sum(axis=1, keepdims=True)
    nb = cb.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        fa = np.cumsum(ca, axis=1) / na
        fb = np.cumsum(cb, axis=1) / nb
    return np.abs(fa - fb).max(axis=1)


def ks_complement(a: Any, b: Any) -> float:
    """``1 - `` the two-sample KS statistic of the non-missing values of ``a`` and ``b``."""
    counts = _ks_counts(a, b)
    if counts is None:
        raise DataError("ks_complement needs at least one non-missing value on each side")
    return float(1.0 - _ks_stat(*counts)[0])


def _ks_counts(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """The KS kernel: aligned counts of the rounded non-missing values (``None`` if a side is empty)."""
    a, b = _values(a, "a"), _values(b, "b")
    if a.size == 0 or b.size == 0:
        return None
    _, ca, cb = _aligned_counts(a, b)
    return ca, cb


_category_counts = category_counts  # the TV kernel, shared with synthkit.summary


def tv_complement(a: Any, b: Any) -> float:
    """``1 - 1/2 * sum_v |p_a(v) - p_b(v)|`` over categories (missing, null or NaN, is a category).

    ``a`` and ``b`` may be polars or pandas Series, numpy arrays or lists;
    categories are matched by value (``True`` is ``True``, ``1`` is ``1.0``).
    """
    _, ca, cb = _category_counts(a, b)
    if ca.sum() == 0 or cb.sum() == 0:
        raise DataError("tv_complement needs at least one value on each side")
    return float(tv_complement_counts(ca, cb)[0])


def within_support(real: Any, synth: Any, kind: str) -> np.ndarray:
    """Per non-missing synthetic value: inside the real range / category set (bool array).

    Missing values (null or NaN) are left out on both sides; categories are
    matched by value. ``real`` and ``synth`` may be polars or pandas Series,
    numpy arrays or lists.
    """
    s = as_series(synth).drop_nulls()
    r = as_series(real).drop_nulls()
    if kind == "numeric":
        if r.len() == 0:  # no real value: nothing lies inside, as for an empty category set
            return np.zeros(s.len(), dtype=bool)
        lo, hi = float(r.cast(pl.Float64).min()), float(r.cast(pl.Float64).max())
        v = s.cast(pl.Float64).to_numpy()
        return (v >= lo) & (v <= hi)
    return category_codes(s, category_levels(r)) >= 0


@dataclass
class ColumnCounts:
    """What one column's shape, support and marginal are computed from (counts only).

    ``ks``: aligned counts of the rounded non-missing values (numeric; ``None`` if
    a side has none); ``categories``: the categories and both sides' counts
    (categorical); ``inside`` / ``present``: synthetic non-missing values inside
    the real support, and all of them. Sums of counts over partitions give the
    same ``ColumnCounts`` (:mod:`synthkit.scale.fidelity`).
    """

    kind: str
    ks: tuple[np.ndarray, np.ndarray] | None = None
    categories: tuple[list, np.ndarray, np.ndarray] | None = None
    inside: int = 0
    present: int = 0


def column_counts(real: pl.Series, synth: pl.Series, kind: str) -> ColumnCounts:
    """The :class:`ColumnCounts` of one column, from its real and synthetic values in memory."""
    ws = within_support(real, synth, kind)
    if kind == "numeric":
        return ColumnCounts(kind, ks=_ks_counts(real, synth), inside=int(ws.sum()), present=int(ws.size))
    return ColumnCounts(kind, categories=_category_counts(real, synth), inside=int(ws.sum()), present=int(ws.size))


def _column_score(cc: ColumnCounts, n_boot: int, rng: np.random.Generator | None
                  ) -> tuple[str, float, np.ndarray | None]:
    if cc.kind == "numeric":
        if cc.ks is None:
            return "ks_complement", np.nan, None
        ca, cb = cc.ks
        value = 1.0 - _ks_stat(ca, cb)[0]
        reps = None
        if rng is not None and n_boot:
            reps = 1.0 - _ks_stat(poisson_counts(ca, n_boot, rng), poisson_counts(cb, n_boot, rng))
        return "ks_complement", float(value), reps
    _, ca, cb = cc.categories
    value = float(tv_complement_counts(ca, cb)[0])
    reps = None
    if rng is not None and n_boot:
        reps = tv_complement_counts(poisson_counts(ca, n_boot, rng), poisson_counts(cb, n_boot, rng))
    return "tv_complement", value, reps


def column_shapes(real: pl.DataFrame, synth: pl.DataFrame, schema: Schema, *,
                  base_a: pl.DataFrame | None = None, base_b: pl.DataFrame | None = None,
                  n_boot: int = 100, rng: np.random.Generator | None = None) -> tuple[list[dict], dict]:
    """Table rows (per column and overall) and a plain summary for the report.

    Text columns have no single-value distribution and are left out (the text
    metrics compare them)."""
    cols = table_columns(schema)
    counts = {c: column_counts(real[c], synth[c], schema.kind(c)) for c in cols}
    base = None
    if base_a is not None:
        base = {c: column_counts(base_a[c], base_b[c], schema.kind(c)) for c in cols}
    return shapes_from_counts(counts, base, n_boot=n_boot, rng=rng)


def shapes_from_counts(counts: dict[str, ColumnCounts], base: dict[str, ColumnCounts] | None = None, *,
                       n_boot: int = 0, rng: np.random.Generator | None = None) -> tuple[list[dict], dict]:
    """:func:`column_shapes` from per-column counts (``counts`` in column order; ``base`` likewise)."""
    rows: list[dict] = []
    shape_reps, shape_vals, shape_base = [], [], []
    per_col = []
    for c, cc in counts.items():
        kind = cc.kind
        metric, value, reps = _column_score(cc, n_boot, rng)
        b = None
        if base is not None:
            _, b, _ = _column_score(base[c], 0, None)
        rows.append(metric_row(FAMILY, metric, c, value, reps, b, "higher"))
        if np.isfinite(value):
            shape_vals.append(value)
            shape_reps.append(reps if reps is not None else np.full(n_boot, value))
            shape_base.append(b if b is not None else np.nan)
        ws_val = cc.inside / cc.present if cc.present else np.nan
        ws_base = None
        if base is not None and base[c].present:
            ws_base = base[c].inside / base[c].present
        rows.append(metric_row(FAMILY, "within_support", c, ws_val,
                               boot_share(cc.inside, cc.present, n_boot, rng)
                               if rng is not None and cc.present else None,
                               ws_base, "higher"))
        per_col.append({"column": c, "kind": kind, "metric": metric, "score": value,
                        "baseline": b, "within_support": ws_val})
    ws_rows = [r for r in rows if r["metric"] == "within_support" and r["value"] is not None]
    if ws_rows:
        mean = lambda key: (float(np.mean([r[key] for r in ws_rows]))  # noqa: E731
                            if all(r[key] is not None for r in ws_rows) else None)
        rows.insert(0, {**ws_rows[0], "column": None, "value": mean("value"), "ci_low": mean("ci_low"),
                        "ci_high": mean("ci_high"), "baseline": mean("baseline")})
    if shape_vals:
        reps = np.nanmean(np.vstack(shape_reps), axis=0) if shape_reps and rng is not None else None
        worst = np.nanmin(np.vstack(shape_reps), axis=0) if shape_reps and rng is not None else None
        rows.insert(0, metric_row(FAMILY, "worst_column_shape", None, float(np.min(shape_vals)), worst,
                                  float(np.nanmin(shape_base)) if base is not None else None, "higher"))
        rows.insert(0, metric_row(FAMILY, "column_shapes", None, float(np.mean(shape_vals)), reps,
                                  float(np.nanmean(shape_base)) if base is not None else None, "higher"))
    return rows, {"columns": pl.DataFrame(per_col)}


def marginal_edges(real_lo: float, real_hi: float, synth_lo: float, synth_hi: float, bins: int) -> np.ndarray:
    """Common bin edges of a numeric marginal from each side's min and max (NaN = no value on that side)."""
    lo, hi = float(np.nanmin([real_lo, synth_lo])), float(np.nanmax([real_hi, synth_hi]))
    return np.linspace(lo, hi if hi > lo else lo + 1.0, bins + 1)


def numeric_marginal(edges: np.ndarray, ha: np.ndarray, na: int, hb: np.ndarray, nb: int) -> dict:
    """A numeric marginal from both sides' bin counts over ``edges`` and their value counts."""
    return {"kind": "numeric", "edges": edges.tolist(), "real": (ha / max(na, 1)).tolist(),
            "synthetic": (hb / max(nb, 1)).tolist()}


def categorical_marginal(keys: list, ca: np.ndarray, cb: np.ndarray) -> dict:
    """A categorical marginal from the aligned category counts (see :func:`marginals`)."""
    if len(keys) > MAX_BARS:  # keep the most common categories, the rest as one bar
        share = ca / max(ca.sum(), 1) + cb / max(cb.sum(), 1)
        top = np.sort(np.argsort(-share, kind="stable")[: MAX_BARS - 1])
        rest = np.setdiff1d(np.arange(len(keys)), top)
        keys = [keys[i] for i in top] + [OTHER]
        ca = np.r_[ca[top], ca[rest].sum()]
        cb = np.r_[cb[top], cb[rest].sum()]
    return {
        "kind": "categorical",
        "categories": [MISSING if k is None else str(k) for k in keys],
        "real": (ca / max(ca.sum(), 1)).tolist(),
        "synthetic": (cb / max(cb.sum(), 1)).tolist(),
    }


def marginals(real: pl.DataFrame, synth: pl.DataFrame, schema: Schema, columns: list[str] | None = None,
              bins: int = 30) -> dict[str, dict]:
    """Per column, the shares a marginal overlay plot needs (plain data).

    Numeric: common bin edges over both sides and each side's share per bin.
    Categorical: each category's share on both sides (missing shown as "(missing)");
    beyond ``MAX_BARS`` (40) categories, the most common ``MAX_BARS - 1`` by
    combined share and one "(other)" bar for the rest.
    """
    out: dict[str, dict] = {}
    for c in columns or table_columns(schema):
        if c in schema.text:  # documents have no bar chart
            continue
        if schema.kind(c) == "numeric":
            a, b = _values(real[c]), _values(synth[c])
            if a.size + b.size == 0:
                continue
            edges = marginal_edges(*_range(a), *_range(b), bins)
            out[c] = numeric_marginal(edges, np.histogram(a, edges)[0], a.size, np.histogram(b, edges)[0], b.size)
        else:
            out[c] = categorical_marginal(*_category_counts(real[c], synth[c]))
    return out


def _range(v: np.ndarray) -> tuple[float, float]:
    return (float(v.min()), float(v.max())) if v.size else (np.nan, np.nan)


def category_shares(real: pl.DataFrame, synth: pl.DataFrame, schema: Schema, *,
                    base_a: pl.DataFrame | None = None, base_b: pl.DataFrame | None = None,
                    skip: tuple[str, ...] = ()) -> tuple[dict | None, pl.DataFrame]:
    """The ``category_shares`` headline row (see the module docstring) and the per-category table.

    ``None`` and an empty table when there is no categorical column to test.
    """
    from .fairness import subgroup_shares

    cols = tuple(c for c in schema.categorical if c not in skip)
    if not cols or real.height == 0 or synth.height == 0:
        return None, pl.DataFrame()
    shares = subgroup_shares(real, synth, cols)
    bs = None
    if base_a is not None and base_b is not None and base_a.height and base_b.height:
        bs = subgroup_shares(base_a, base_b, cols)
    return category_shares_row(shares, bs), shares


def category_shares_row(shares: pl.DataFrame, base_shares: pl.DataFrame | None) -> dict:
    """The ``category_shares`` row from the per-category table (and the real halves' table, if any)."""
    from .fairness import _representation

    worst = shares.sort(["p_value", "ratio"], nulls_last=True).row(0, named=True)
    base = None
    if base_shares is not None:
        base = float(_representation(base_shares.sort(["p_value", "ratio"]).row(0, named=True)["ratio"]))
    return metric_row(FAMILY, "category_shares", None, float(_representation(worst["ratio"])), None, base,
                      "higher", p_value=float(worst["p_value"]))
