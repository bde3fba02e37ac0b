"""Column helpers shared by the generator families (private).

Categorical columns are handled as integer codes into the schema's categories
(``-1`` = missing); numeric columns as float arrays with ``NaN`` = missing.
Codes come from the one category coding of :mod:`synthkit._categories`
(values matched by value, so booleans and numbers find their categories).
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import polars as pl

from ..data import ROW_ID, Dataset, Schema, with_row_ids
from .._categories import MISSING, UNSEEN, category_codes


def cat_codes(series: pl.Series, categories) -> np.ndarray:
    """Codes of a column into the schema's categories, ``-1`` for missing.

    A value outside the categories cannot be generated, so it counts as missing too.
    """
    codes = category_codes(series, categories)
    codes[codes == UNSEEN] = MISSING
    return codes


def decode_codes(codes: np.ndarray, column: str, schema: Schema) -> pl.Series:
    """Codes back to a column of the schema's categories (``-1`` -> null)."""
    cats = list(schema.categories.get(column, ()))
    levels = pl.Series(column, cats + [None], dtype=schema.polars_dtype(column))
    idx = np.where(np.asarray(codes) < 0, len(cats), codes).astype(np.int64)
    return levels.gather(pl.Series(idx))


def numeric_array(features: pl.DataFrame, column: str) -> np.ndarray:
    """A numeric column as float64 with ``NaN`` for missing values."""
    return features[column].cast(pl.Float64).fill_null(np.nan).to_numpy().astype(np.float64)


def clip_to_bounds(values: np.ndarray, column: str, schema: Schema) -> np.ndarray:
    """Keep generated numbers inside the real (min, max) of the column."""
    lo, hi = schema.bounds.get(column, (-np.inf, np.inf))
    return np.clip(values, lo, hi)


def build_frame(columns: Mapping[str, Any], schema: Schema) -> pl.DataFrame:
    """A polars frame in schema order from numpy arrays / series (numerics as Float64)."""
    out = []
    for c in schema.columns:
        v = columns[c]
        if isinstance(v, pl.Series):
            out.append(v.alias(c))
        else:
            out.append(pl.Series(c, np.asarray(v, dtype=np.float64)).fill_nan(None))
    return pl.DataFrame(out)


def as_fit_dataset(features: pl.DataFrame, schema: Schema) -> Dataset:
    """The fit rows as a Dataset again (e.g. to fit an Encoder on them)."""
    frame = features if ROW_ID in features.columns else with_row_ids(features, "real")
    return Dataset("fit", frame, schema)


def condition_expr(conditions: Mapping[str, Any]) -> pl.Expr:
    """True for the rows that meet every condition (a missing value meets none)."""
    return pl.all_horizontal([pl.col(c) == v for c, v in conditions.items()]).fill_null(False)


def condition_mask(features: pl.DataFrame, conditions: Mapping[str, Any]) -> np.ndarray:
    """Boolean mask of the rows that meet every condition."""
    return features.select(condition_expr(conditions)).to_series().to_numpy()


def describe_conditions(conditions: Mapping[str, Any]) -> str:
    """``col='value', ...`` for error messages."""
    return ", ".join(f"{c}={v!r}" for c, v in conditions.items())


# ---------------------------------------------------------------- rows as numpy columns
# The closed-form generators (gaussian, copula, bootstrap) also fit on and sample to
# a dict of numpy columns: numeric columns as float64 (``NaN`` = missing) and
# categorical columns as int64 codes into the schema's categories (``-1`` = missing).
# ``collapse.simulate`` runs its many generations through this form without building
# a polars frame per generation; the frame path and this path share their maths.

def frame_columns(features: pl.DataFrame, schema: Schema) -> dict[str, np.ndarray]:
    """A frame's numeric and categorical columns as numpy columns (numeric float64, categorical codes)."""
    cols: dict[str, np.ndarray] = {}
    for c in schema.columns:
        if c in schema.categorical:
            cols[c] = cat_codes(features[c], schema.categories[c]).astype(np.int64)
        elif c in schema.numeric:
            cols[c] = numeric_array(features, c)
    return cols


def finalize_columns(cols: dict[str, np.ndarray], schema: Schema) -> dict[str, np.ndarray]:
    """What :func:`synthkit.generators.base.finalize` does to generated numbers, on numpy columns:
    image pixels clipped to the real range, integer columns rounded (half to even, as polars)."""
    img = set(schema.image_columns)
    integer = set(schema.integer)
    for c in schema.numeric:
        v = cols[c]
        if c in img:
            lo, hi = schema.bounds[c]
            v = np.clip(v, lo, hi)
        if c in integer:
            v = np.round(v) + 0.0  # + 0.0: -0.0 becomes 0.0, as it does through an integer dtype
        cols[c] = v
    return cols


def columns_frame(cols: dict[str, np.ndarray], schema: Schema) -> pl.DataFrame:
    """numpy columns back to a polars frame with the schema's columns and dtypes
    (every column of the schema must be numeric or categorical)."""
    out = []
    for c in schema.columns:
        if c in schema.categorical:
            out.append(decode_codes(cols[c], c, schema))
        else:
            s = pl.Series(c, np.asarray(cols[c], dtype=np.float64)).fill_nan(None)
            want = schema.polars_dtype(c)
            out.append(s if s.dtype == want else s.cast(want, strict=True))
    return pl.DataFrame(out)


def numeric_matrix(cols: dict[str, np.ndarray], columns) -> np.ndarray:
    """The numeric columns as one ``(n, d)`` float64 matrix laid out as polars' ``to_numpy`` lays it
    out (column-major), so reductions over it give the same bits as on the frame's matrix."""
    return np.array([cols[c] for c in columns], dtype=np.float64).T
