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
  for all the rest, so the matrix stays small;
- text columns: each document becomes a unit-length embedding
  (:class:`synthkit.text.embed.Embedder`, fitted on the real documents: the
  wordllama vectors shipped with the package, or TF-IDF), centred on the
  real mean embedding and scaled so that the block's total variance over the
  real rows is 1, like one standardised numeric column: two random real rows are
  then sqrt(2) apart in the block on average (root mean square), as in a
  numeric column, and one text column weighs as much as one numeric column in
  every distance. A missing or blank document sits at the real mean (zeros),
  as a missing number sits at the real median. The block comes after the
  numeric and one-hot columns; its features are named ``<column>:0`` to
  ``<column>:<d-1>``.

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
from .text.embed import BACKENDS, Embedder

_NULL = "__null__"
#: the name of the one-hot column that collects the rare categories of a capped column
OTHER = "(other)"
_ONEHOT_SCALE = np.float32(1.0 / np.sqrt(2.0))
#: principal components of a text block that :meth:`Encoder.text_components` gives tree models
TEXT_COMPONENTS = 16


class Encoder:
    """Mixed-type rows -> numeric matrix; fit on the real rows only.

    ``max_levels`` caps the one-hot columns of one categorical column (at least 2).
    ``text_backend`` picks the text embedding (``"auto"``, ``"wordllama"`` or
    ``"tfidf"``; see :class:`synthkit.text.embed.Embedder`); ``random_state``
    seeds the TF-IDF backend's random projection.
    """

    def __init__(self, max_levels: int = 100, *, text_backend: str = "auto", random_state: int | None = 0) -> None:
        if not isinstance(max_levels, (int, np.integer)) or isinstance(max_levels, bool) or max_levels < 2:
            raise DataError(
                f"max_levels={max_levels!r} must be a whole number >= 2 (one-hot columns per category column)"
            )
        if text_backend not in BACKENDS:
            raise DataError(f"text_backend={text_backend!r} must be one of {list(BACKENDS)}")
        self.max_levels = int(max_levels)
        self.text_backend = text_backend
        self.random_state = random_state

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
        self.text_ = list(ds.schema.text)
        self.embedders_: dict[str, Embedder] = {}
        self.text_mean_: dict[str, np.ndarray] = {}
        self.text_scale_: dict[str, float] = {}
        self.text_axes_: dict[str, np.ndarray] = {}
        for c in self.text_:
            emb = Embedder(self.text_backend, random_state=self.random_state).fit(f[c])
            x = emb.transform(f[c])
            have = np.linalg.norm(x, axis=1) > 0
            mean = x[have].mean(axis=0) if have.any() else np.zeros(emb.dim_, dtype=np.float32)
            spread = float(((x[have] - mean) ** 2).sum(axis=1).mean()) if have.sum() > 1 else 0.0
            self.embedders_[c] = emb
            self.text_mean_[c] = mean.astype(np.float32)
            self.text_scale_[c] = 1.0 / np.sqrt(spread) if spread > 0 else 1.0
            self.text_axes_[c] = emb.axes(TEXT_COMPONENTS)
        names = list(self.numeric_)
        for c in self.categorical_:
            names += [f"{c}={v}" for v in self.levels_[c]]
        for c in self.text_:
            names += [f"{c}:{i}" for i in range(self.embedders_[c].dim_)]
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
        for c in self.text_:
            block, _have = self._text_block(f, c)
            out[:, j : j + block.shape[1]] = block
            j += block.shape[1]
        return out

    def _text_block(self, f: pl.DataFrame, c: str) -> tuple[np.ndarray, np.ndarray]:
        """(centred, scaled embeddings, has-a-document mask) of text column ``c``."""
        x = self.embedders_[c].transform(f[c])
        have = np.linalg.norm(x, axis=1) > 0
        block = np.zeros_like(x)
        block[have] = (x[have] - self.text_mean_[c]) * np.float32(self.text_scale_[c])
        return block, have

    def text_components(self, frame: Any, column: str) -> np.ndarray:
        """A text column's block along ``TEXT_COMPONENTS`` fixed directions.

        A compact view of the documents for tree models (detection, utility):
        (n, at most ``TEXT_COMPONENTS``) float64, NaN for a missing document. The
        directions come from the embedding model, not from the real rows
        (:meth:`synthkit.text.embed.Embedder.axes`), so real and new rows are
        seen alike.
        """
        self._check()
        if column not in self.text_:
            raise DataError(f"column {column!r} is not a text column of this Encoder; text columns: {self.text_}")
        f = conform(frame, self.schema_, what="encoder input")
        block, have = self._text_block(f, column)
        out = (block @ self.text_axes_[column]).astype(np.float64)
        out[~have] = np.nan
        return out

    @property
    def notes_(self) -> list[str]:
        """One sentence per text column saying how its documents were embedded."""
        self._check()
        return [f"{c}: {self.embedders_[c].note_}" for c in self.text_]

    def fit_transform(self, data: Any) -> np.ndarray:
        return self.fit(data).transform(data)

    def __repr__(self) -> str:
        if not hasattr(self, "schema_"):
            return "Encoder(unfitted)"
        text = f", {len(self.text_)} text" if self.text_ else ""
        return (f"Encoder({len(self.numeric_)} numeric, {len(self.categorical_)} categorical{text} "
                f"-> {self.n_features_} features)")

