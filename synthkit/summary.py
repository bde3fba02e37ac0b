"""Plain side-by-side summaries of real and synthetic rows (tables, no figures).

- :func:`compare`: per column, the mean and standard deviation (numeric) or the
  share of each category (categorical), real next to each synthetic source;
- :func:`column_shapes`: per column, how far each synthetic marginal is from the
  real one (Kolmogorov-Smirnov statistic for numbers, total variation distance
  for categories, missing values counted as a category);
- :func:`shape_score`: ``1 - mean distance`` over the columns (1 = identical
  marginals), like SDMetrics' "Column Shapes" score (KS and TV complements);
  it takes rows from any tool, so different generators are scored the same way.

Synthetic sources are passed as positional arguments (Batches, Datasets or
frames); names come from ``names=`` or from a Batch's generator.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import polars as pl

from ._categories import category_counts
from .data import Schema, as_dataset, conform
from .errors import DataError, SchemaError

#: The one convention for ``dist_to_real``, the distance from a point to its closest
#: real row in units of the real rows' typical nearest-neighbour distance:
#: 0 = an exact copy, about 1 = as close as real rows are to each other, more than
#: ``FAR`` = 2 = *far*, twice the typical gap: off the real data. Every colour scale
#: of it runs from 0 to ``DIST_MAX`` = 2 x FAR, so "far" is always its middle.
FAR = 2.0
DIST_MAX = 2 * FAR

MISSING = "(missing)"
#: column names of the summary tables (and the real rows' label): not usable as source names
RESERVED_NAMES = ("real", "column", "statistic", "metric")


def source_names(synthetic: Sequence[Any], names: Sequence[str] | None = None) -> list[str]:
    """Display names of synthetic sources (``names`` or the Batch generator names, de-duplicated).

    Each name becomes a table column or a legend entry, so names must be unique
    and not one of ``RESERVED_NAMES``.
    """
    if names is not None:
        names = list(names)
        if len(names) != len(synthetic):
            raise DataError(f"got {len(names)} names for {len(synthetic)} synthetic sources")
        clash = sorted({n for n in names if names.count(n) > 1 or n in RESERVED_NAMES})
        if clash:
            raise DataError(
                f"names {clash} are repeated or reserved ({list(RESERVED_NAMES)}); give each "
                "synthetic source its own name"
            )
        return names
    out: list[str] = []
    for i, s in enumerate(synthetic):
        prov = getattr(s, "provenance", None)
        base = getattr(prov, "generator", None) or f"synthetic {i + 1}"
        name, k = base, 2
        while name in out or name in RESERVED_NAMES:
            name, k = f"{base} ({k})", k + 1
        out.append(name)
    return out


def frames(real: Any, synthetic: Sequence[Any]) -> tuple[Schema, pl.DataFrame, list[pl.DataFrame]]:
    """The real schema, the real modelled columns, and each source conformed to the schema."""
    ds = as_dataset(real, "real")
    if not synthetic:
        raise DataError("pass at least one synthetic source (a Batch or a frame) after the real rows")
    schema = ds.schema
    fakes = [conform(s, schema, what=f"synthetic source {i + 1}").select(schema.columns)
             for i, s in enumerate(synthetic)]
    return schema, ds.features, fakes


def compare(real: Any, *synthetic: Any, names: Sequence[str] | None = None, digits: int = 2,
            columns: Sequence[str] | None = None) -> pl.DataFrame:
    """Mean/std per numeric column and category shares per categorical column, side by side.

    One row per (column, statistic); one value column for ``real`` and one per
    synthetic source, rounded to ``digits``.
    """
    schema, rf, fakes = frames(real, synthetic)
    labels = ["real", *source_names(synthetic, names)]
    cols = pick_columns(schema, columns)
    rows: list[dict] = []
    for c in cols:
        if c in schema.numeric:
            for stat in ("mean", "std"):
                row = {"column": c, "statistic": stat}
                for lab, f in zip(labels, [rf, *fakes]):
                    v = getattr(f[c].cast(pl.Float64), stat)()
                    row[lab] = None if v is None else round(float(v), digits)
                rows.append(row)
        else:
            levels = [str(v) for v in schema.categories[c]]
            has_missing = any(f[c].null_count() for f in [rf, *fakes])
            shares = [category_shares(f[c]) for f in [rf, *fakes]]
            for lev in levels + ([MISSING] if has_missing else []):
                row = {"column": c, "statistic": f"share {lev}"}
                for lab, sh in zip(labels, shares):
                    row[lab] = round(float(sh.get(lev, 0.0)), digits)
                rows.append(row)
    return pl.DataFrame(rows, schema={"column": pl.String, "statistic": pl.String,
                                      **{lab: pl.Float64 for lab in labels}})


def column_shapes(real: Any, *synthetic: Any, names: Sequence[str] | None = None,
                  columns: Sequence[str] | None = None) -> pl.DataFrame:
    """Per column, the distance between each synthetic marginal and the real one.

    ``metric`` is ``"ks"`` (numeric: Kolmogorov-Smirnov statistic over the
    present values, plus the gap in missing rate if larger) or ``"tv"``
    (categorical: total variation distance, missing as a category). 0 = same.
    """
    schema, rf, fakes = frames(real, synthetic)
    labels = source_names(synthetic, names)
    rows = []
    for c in pick_columns(schema, columns):
        row = {"column": c, "metric": "ks" if c in schema.numeric else "tv"}
        for lab, f in zip(labels, fakes):
            row[lab] = ks_distance(rf[c], f[c]) if c in schema.numeric else tv_distance(rf[c], f[c])
        rows.append(row)
    return pl.DataFrame(rows, schema={"column": pl.String, "metric": pl.String,
                                      **{lab: pl.Float64 for lab in labels}})


def shape_score(real: Any, synthetic: Any, columns: Sequence[str] | None = None) -> float:
    """``1 - mean(column distance)``: 1 when every marginal matches the real one."""
    table = column_shapes(real, synthetic, names=["s"], columns=columns)
    return float(1.0 - table["s"].mean())


def ks_distance(a: pl.Series, b: pl.Series) -> float:
    """Two-sample Kolmogorov-Smirnov statistic on present values (and the missing-rate gap)."""
    x = np.sort(a.drop_nulls().cast(pl.Float64).to_numpy())
    y = np.sort(b.drop_nulls().cast(pl.Float64).to_numpy())
    gap = abs(a.null_count() / max(len(a), 1) - b.null_count() / max(len(b), 1))
    if len(x) == 0 or len(y) == 0:
        return 1.0 if len(x) != len(y) else gap
    grid = np.concatenate([x, y])
    cx = np.searchsorted(x, grid, side="right") / len(x)
    cy = np.searchsorted(y, grid, side="right") / len(y)
    return float(max(np.abs(cx - cy).max(), gap))


def tv_distance(a: pl.Series, b: pl.Series) -> float:
    """Total variation distance between two category distributions (missing = a category).

    Categories are matched by value, with the same kernel as
    :func:`synthkit.metrics.tv_complement` (this is 1 minus it).
    """
    _, ca, cb = category_counts(a, b)
    if ca.sum() == 0 or cb.sum() == 0:
        return 0.0 if ca.sum() == cb.sum() else 1.0
    return float(0.5 * np.abs(ca / ca.sum() - cb / cb.sum()).sum())


def category_shares(s: pl.Series) -> dict[str, float]:
    """Share of the rows holding each label of :func:`category_labels` (absent labels left out)."""
    lab = category_labels(s)
    vc = lab.value_counts()
    n = max(len(lab), 1)
    return {k: v / n for k, v in zip(vc[lab.name].to_list(), vc["count"].to_list())}


def category_labels(s: pl.Series) -> pl.Series:
    """Values as text, with missing values as ``MISSING``.

    The text is ``str(value)``, as in the labels made from a schema's
    categories: a boolean reads ``"True"`` / ``"False"`` (polars' own cast would
    give ``"true"``, which would match no label).
    """
    if s.dtype == pl.Boolean:
        s = pl.select(pl.when(s).then(pl.lit("True")).when(s.not_()).then(pl.lit("False"))
                      .otherwise(pl.lit(None, dtype=pl.String)).alias(s.name)).to_series()
    return s.cast(pl.String).fill_null(MISSING)


def pick_columns(schema: Schema, columns: Sequence[str] | None) -> list[str]:
    """``columns`` checked against the schema (all modelled columns but the text ones when None).

    A text column has no mean or category shares: naming one is a ``SchemaError``.
    """
    if columns is None:
        return [c for c in schema.columns if c not in schema.text]
    for c in columns:
        if schema.kind(c) == "text":  # SchemaError naming the column if unknown
            raise SchemaError(
                f"column {c!r} holds text, which has no marginal to compare; leave it out of columns= "
                "(the text metrics of sk.evaluate compare documents)"
            )
    return list(columns)


#: a placed row this close to a real row (in typical nearest-neighbour distances) counts as a copy
COPY_TOL = 1e-6


def placement_summary(placed: pl.DataFrame, by: str = "source", far: float = FAR, digits: int = 2) -> pl.DataFrame:
    """Per group of placed rows: how many, how many exact copies, how far from the real rows.

    ``placed`` has ``dist_to_real`` (distance to the closest real row in the
    encoded space, in units of the real rows' typical nearest-neighbour
    distance, as ``Map.place`` returns it) and the ``by`` column. Columns of the
    result: ``by``, rows, copies (``dist_to_real`` = 0), median_dist, far
    (``dist_to_real`` > ``far``), in first-seen group order.
    """
    for col in (by, "dist_to_real"):
        if col not in placed.columns:
            raise DataError(f"placement_summary needs a {col!r} column; got {placed.columns}")
    if not (isinstance(far, (int, float)) and np.isfinite(far) and far > 0):
        raise DataError(f"far={far!r} must be a positive number (in typical nearest-neighbour distances)")
    d = pl.col("dist_to_real")
    return placed.group_by(by, maintain_order=True).agg(
        pl.len().alias("rows"),
        (d <= COPY_TOL).sum().cast(pl.Int64).alias("copies"),
        d.median().round(digits).alias("median_dist"),
        (d > far).sum().cast(pl.Int64).alias("far"),
    )


__all__ = ["compare", "column_shapes", "shape_score", "ks_distance", "tv_distance", "source_names",
           "category_labels", "category_shares",
           "placement_summary"]
