"""Per-seed values and side-by-side comparisons of :func:`~synthkit.collapse.simulate` runs.

A claim such as "keeping real rows ends above replacing them" is a statement
about the spread over seeds: :func:`per_seed` gives one value per seed (the
metric combined over columns the way :meth:`CollapseResult.summary` combines it),
and :func:`compare` puts several runs side by side with the mean, its standard
error and the 10 %/90 % band the figures draw.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import polars as pl

__all__ = ["per_seed", "compare", "standard_error"]


def per_seed(result: Any, metric: str, generation: int | None = None, column: str | None = None) -> np.ndarray:
    """One value per seed (ordered by seed) of ``metric`` at ``generation`` (default: the last).

    Over columns, ``categories`` is summed (surviving categories in all columns) and
    every other metric averaged; ``column`` picks one column instead. NaN columns
    (e.g. a constant real column's std ratio) are left out.
    """
    g = int(result.config["generations"]) if generation is None else int(generation)
    t = result.table.filter((pl.col("metric") == metric) & (pl.col("generation") == g))
    if column is not None:
        t = t.filter(pl.col("column") == column)
    if t.height == 0:
        raise KeyError(f"no {metric!r} values at generation {g}"
                       + (f" for column {column!r}" if column is not None else "")
                       + f"; the run has metrics {result.metrics()}")
    t = t.with_columns(pl.col("value").fill_nan(None))
    agg = pl.col("value").sum() if metric == "categories" else pl.col("value").mean()
    return t.group_by("seed").agg(agg).sort("seed")["value"].to_numpy().astype(float)


def standard_error(values: np.ndarray) -> float:
    """Standard error of the mean over seeds (``std(ddof=1) / sqrt(n)``; 0 for a single seed)."""
    v = np.asarray(values, dtype=float)
    return float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else 0.0


def compare(results: Mapping[str, Any], metric: str, generation: int | None = None, column: str | None = None,
            decimals: int = 3) -> pl.DataFrame:
    """One row per labelled run: mean over seeds, standard error, 10 %/90 % quantiles and seeds."""
    rows = []
    for label, res in results.items():
        v = per_seed(res, metric, generation, column)
        rows.append((label, float(np.mean(v)), standard_error(v), float(np.quantile(v, 0.1)),
                     float(np.quantile(v, 0.9)), len(v)))
    out = pl.DataFrame(rows, schema={"run": pl.String, "mean": pl.Float64, "se": pl.Float64, "q10": pl.Float64,
                                     "q90": pl.Float64, "seeds": pl.Int64}, orient="row")
    return out.with_columns(pl.col(pl.Float64).round(decimals))
