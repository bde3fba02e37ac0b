"""One Encoder, fitted on real rows, shared by the map and the metrics.

It turns any frame of a dataset's schema into a float32 matrix:

- numeric columns: missing values imputed with the real median, then
  standardised with the real mean and standard deviation (a constant column
  gets scale 1, so it contributes 0);
- categorical columns: one-hot over the real categories, with missing values as
  their own level; each one-hot block is scaled by 1/sqrt(2) so that changing a
  category moves a row by distance 1, like one standard deviation of a numeric
  column; a category never seen in the real rows encodes as all zeros (it is
  then equally far from every real category). Values are matched to categories
  by value (:func:`synthkit._categories.category_codes`), so booleans, numbers
  and text all find their category;
- a categorical column with more than ``max_levels`` (100) real categories
  (an ID-like column, say) keeps one-hot columns for its ``max_levels - 1``
  most frequent categories (ties: schema order) and one ``(other)`` column
  for all the rest, so the matrix stays small.

Because the map and every distance-based metric use this one space, "far from
the real data on the map" and "far in the metrics" mean the same thing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from ._categories import MISSING, category_codes
from .data import Dataset, Schema, as_dataset, conform
from .errors import DataError, NotFittedError

_NULL = "__null__"
#: the name of the one-hot column that collects the rare categories of a capped column
OTHER = "(other)"
_ONEHOT_SCALE = np.float32(1.0 / np.sqrt(2.0))


class Encoder:
    """Mixed-type rows -> numeric matrix; fit on the real rows only.

    ``max_levels`` caps the one-hot columns of one categorical column (at least 2).
    """

    def __init__(self, max_levels: int = 100) -> None:
        if not isinstance(max_levels, (int, np.integer)) or isinstance(max_levels, bool) or max_levels < 2:
            raise DataError(
                f"max_levels={max_levels!r} must be a whole number >= 2 (one-hot columns per category column)"
            )
        self.max_levels = int(max_levels)

    def fit(self, data: Dataset | Any) -> "Encoder":
        ds = as_dataset(data)
        self.schema_: Schema = ds.schema
        f = ds.features
        self.numeric_ = list(ds.schema.numeric)
        self.categorical_ = list(ds.schema.categorical)
        if self.numeric_:
            med = f.select(pl.col(self.numeric_).cast(pl.Float64).median()).row(0)
            self.median_ = np.array([m if m is not None else 0.0 for m in med], dtype=np.float64)
            x = self._numeric(f)
            self.mean_ = x.mean(axis=0)
            sd = x.std(axis=0)
            self.scale_ = np.where(sd > 0, sd, 1.0)
        else:
            self.median_ = self.mean_ = self.scale_ = np.zeros(0)
        self.levels_: dict[str, list] = {}
        self.columns_of_: dict[str, np.ndarray] = {}  # category code -> one-hot column within the block
        for c in self.categorical_:
            cats = list(ds.schema.categories.get(c, ()))
            if len(cats) > self.max_levels:
                codes = category_codes(f[c], cats)
                counts = np.bincount(codes[codes >= 0], minlength=len(cats))
                top = np.sort(np.argsort(-counts, kind="stable")[: self.max_levels - 1])
                where = np.full(len(cats), len(top), dtype=np.int64)
                where[top] = np.arange(len(top))
                levels = [cats[i] for i in top] + [OTHER]
            else:
                where = np.arange(len(cats), dtype=np.int64)
                levels = cats
            if f[c].null_count():
                levels = levels + [_NULL]
            self.levels_[c] = levels
            self.columns_of_[c] = where
        names = list(self.numeric_)
        for c in self.categorical_:
            names += [f"{c}={v}" for v in self.levels_[c]]
        self.feature_names_ = names
        self.n_features_ = len(names)
        return self

    def _numeric(self, f: pl.DataFrame) -> np.ndarray:
        """The numeric columns as float64, missing values imputed with the real median."""
        x = f.select(pl.col(self.numeric_).cast(pl.Float64)).to_numpy()
        return np.where(np.isnan(x), self.median_, x)

    def _check(self) -> None:
        if not hasattr(self, "schema_"):
            raise NotFittedError("this Encoder is not fitted yet; call .fit(real) first")

    def transform(self, frame: Any) -> np.ndarray:
        """Encode rows (Dataset, Batch or frame with the schema's columns)."""
        self._check()
        f = conform(frame, self.schema_, what="encoder input")
        n = f.height
        out = np.zeros((n, self.n_features_), dtype=np.float32)
        if self.numeric_:
            out[:, : len(self.numeric_)] = ((self._numeric(f) - self.mean_) / self.scale_).astype(np.float32)
        j = len(self.numeric_)
        for c in self.categorical_:
            levels = self.levels_[c]
            codes = category_codes(f[c], self.schema_.categories.get(c, ()))
            col = np.full(n, -1, dtype=np.int64)
            ok = codes >= 0
            col[ok] = self.columns_of_[c][codes[ok]]
            if levels and levels[-1] == _NULL:  # missing values are the last level
                col[codes == MISSING] = len(levels) - 1
            ok = col >= 0
            out[np.nonzero(ok)[0], j + col[ok]] = _ONEHOT_SCALE
            j += len(levels)
        return out

    def fit_transform(self, data: Any) -> np.ndarray:
        return self.fit(data).transform(data)

    def __repr__(self) -> str:
        if not hasattr(self, "schema_"):
            return "Encoder(unfitted)"
        return f"Encoder({len(self.numeric_)} numeric, {len(self.categorical_)} categorical -> {self.n_features_} features)"
