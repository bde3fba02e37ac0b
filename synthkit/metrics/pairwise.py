"""Pairwise fidelity (column pair trends), as SDMetrics defines them.

- **Correlation similarity** (numeric pairs):
  ``1 - |rho_real(a, b) - rho_synth(a, b)| / 2`` with Pearson's rho on the rows
  where both values are present; 1 = same correlation, 0 = opposite extremes.
  A pair with a constant real column is skipped; a constant synthetic column
  has correlation 0.
- **Contingency similarity** (every other pair): ``1 - TVD`` of the two
  columns' joint frequency table, ``TVD = 1/2 * sum_(u,v) |p_real(u,v) - p_synth(u,v)|``.
  A numeric column in a mixed pair is cut into ``bins`` (10) equal-width bins of
  the real range (values outside go to the end bins), missing is a category.

The pair-trends score is the mean over all pairs. Intervals: Poisson bootstrap
of the row weights (correlations, from weighted moments) or of the joint
table's cell counts (contingency).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ..data import Schema
from ._common import category_codes, metric_row, poisson_counts, tv_complement_counts

__all__ = ["correlation_similarity", "contingency_similarity", "pair_trends"]

FAMILY = "pairwise"


def _corr(x: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Pearson correlation on pairwise-complete rows; ``w`` (n_boot, n) gives replicates."""
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    if w is None:
        W = np.ones((1, x.size))
    else:
        W = w[:, ok]
    M = np.stack([x, y, x * x, y * y, x * y], axis=1)
    S = W @ M
    n = W.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx, my = S[:, 0] / n, S[:, 1] / n
        vx, vy = S[:, 2] / n - mx**2, S[:, 3] / n - my**2
        cxy = S[:, 4] / n - mx * my
        r = cxy / np.sqrt(np.maximum(vx, 0) * np.maximum(vy, 0))
    # a constant side has no correlation: 0
    r = np.where((vx <= 1e-12 * (1 + mx**2)) | (vy <= 1e-12 * (1 + my**2)), 0.0, r)
    return np.clip(r, -1.0, 1.0)


def correlation_similarity(real_a, real_b, synth_a, synth_b) -> float:
    """``1 - |rho_real - rho_synth| / 2`` for one numeric pair (arrays; NaN = missing)."""
    f = lambda v: np.asarray(v, dtype=np.float64)  # noqa: E731
    r = _corr(f(real_a), f(real_b))[0]
    s = _corr(f(synth_a), f(synth_b))[0]
    return float(1.0 - abs(r - s) / 2.0)


def contingency_similarity(real: pl.DataFrame, synth: pl.DataFrame) -> float:
    """``1 - TVD`` of the joint frequencies of two categorical columns (first two columns)."""
    a, b = real.columns[:2]
    keys = lambda f: list(zip(f[a].cast(pl.String).to_list(), f[b].cast(pl.String).to_list()))  # noqa: E731
    from collections import Counter

    cr, cs = Counter(keys(real)), Counter(keys(synth))
    nr, ns = sum(cr.values()), sum(cs.values())
    return float(1.0 - 0.5 * sum(abs(cr.get(k, 0) / nr - cs.get(k, 0) / ns) for k in set(cr) | set(cs)))


def _codes(real: pl.Series, synth: pl.Series, kind: str, levels, bins: int) -> tuple[np.ndarray, np.ndarray, int]:
    if kind == "categorical":
        n = len(levels) + 2
        return category_codes(real, levels), category_codes(synth, levels), n
    r = real.cast(pl.Float64).to_numpy()
    s = synth.cast(pl.Float64).to_numpy()
    lo, hi = np.nanmin(r), np.nanmax(r)
    edges = np.linspace(lo, hi if hi > lo else lo + 1.0, bins + 1)[1:-1]

    def cut(v):
        c = np.searchsorted(edges, v, side="right")
        return np.where(np.isnan(v), bins, c)

    return cut(r), cut(s), bins + 1


def _pair_scores(real: pl.DataFrame, synth: pl.DataFrame, schema: Schema, bins: int,
                 n_boot: int, rng: np.random.Generator | None) -> list[dict]:
    cols = list(schema.columns)
    num = {c: (real[c].cast(pl.Float64).fill_null(np.nan).to_numpy(),
               synth[c].cast(pl.Float64).fill_null(np.nan).to_numpy()) for c in schema.numeric}
    codes = {c: _codes(real[c], synth[c], schema.kind(c), schema.categories.get(c, ()), bins) for c in cols}
    wr = ws = None
    if rng is not None and n_boot:
        wr = rng.poisson(1.0, size=(n_boot, real.height)).astype(np.float64)
        ws = rng.poisson(1.0, size=(n_boot, synth.height)).astype(np.float64)
    out = []
    for i, a in enumerate(cols):
        for b in cols[i + 1:]:
            if a in num and b in num:
                ra, rb = num[a][0], num[b][0]
                if np.nanstd(ra) == 0 or np.nanstd(rb) == 0:
                    continue
                rho_r = _corr(ra, rb)[0]
                rho_s = _corr(num[a][1], num[b][1])[0]
                value = 1.0 - abs(rho_r - rho_s) / 2.0
                reps = None
                if wr is not None:
                    reps = 1.0 - np.abs(_corr(ra, rb, wr) - _corr(num[a][1], num[b][1], ws)) / 2.0
                out.append({"a": a, "b": b, "metric": "correlation_similarity", "value": float(value),
                            "reps": reps, "real_corr": float(rho_r), "synth_corr": float(rho_s)})
            else:
                (cra, csa, na), (crb, csb, nb) = codes[a], codes[b]
                jr = np.bincount(cra * nb + crb, minlength=na * nb)
                js = np.bincount(csa * nb + csb, minlength=na * nb)
                keep = (jr + js) > 0
                jr, js = jr[keep], js[keep]
                value = float(tv_complement_counts(jr, js)[0])
                reps = None
                if rng is not None and n_boot:
                    reps = tv_complement_counts(poisson_counts(jr, n_boot, rng), poisson_counts(js, n_boot, rng))
                out.append({"a": a, "b": b, "metric": "contingency_similarity", "value": value,
                            "reps": reps, "real_corr": None, "synth_corr": None})
    return out


def pair_trends(real: pl.DataFrame, synth: pl.DataFrame, schema: Schema, *,
                base_a: pl.DataFrame | None = None, base_b: pl.DataFrame | None = None,
                n_boot: int = 100, rng: np.random.Generator | None = None,
                bins: int = 10) -> tuple[list[dict], dict]:
    """Table rows (per pair and overall) and the pair summary the heatmap uses."""
    pairs = _pair_scores(real, synth, schema, bins, n_boot, rng)
    base = {}
    if base_a is not None:
        base = {(p["a"], p["b"]): p["value"] for p in _pair_scores(base_a, base_b, schema, bins, 0, None)}
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
