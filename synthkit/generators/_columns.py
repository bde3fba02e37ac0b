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
