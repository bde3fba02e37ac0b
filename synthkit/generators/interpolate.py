"""Interpolate: SMOTE-style points on segments between real neighbours.

A new row starts from a random real row (the anchor), picks one of its ``k``
nearest real neighbours in the shared Encoder space (so "near" means the same
thing as on the map and in the metrics), and takes a random point ``lam`` of the
way along the segment between them: numeric values are ``a + lam * (b - a)``;
categorical values (and numeric values where one end is missing) come from the
neighbour with probability ``lam``, else from the anchor. Conditions are exact:
anchors are drawn only from the matching real rows, and neighbours only among
them.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from sklearn.neighbors import NearestNeighbors

from .._checks import check_int
from ..errors import GeneratorError
from ..data import Schema
from ..encode import Encoder
from .base import Generator, require_matches
from ._columns import as_fit_dataset, build_frame, cat_codes, condition_mask, decode_codes, numeric_array


class Interpolate(Generator):
    """Makes each new row by picking a real row and a random point between it and one of its k nearest real neighbours.

    Synthetic rows stay close to the real ones, which keeps fidelity high but can
    copy small groups of real people almost exactly (watch the privacy metrics).
    """

    name = "interpolate"
    summary = "SMOTE-style: random points between a real row and one of its k nearest real neighbours"
    exact_conditions = True
    key_params = ("k",)

    def __init__(self, k: int = 5):
        self.k = k

    def _fit(self, features: pl.DataFrame, schema: Schema) -> None:
        check_int("k", self.k, minimum=1, hint=" (neighbours per row)", error=GeneratorError)
        self.encoder_ = Encoder().fit(as_fit_dataset(features, schema))
        self.x_ = self.encoder_.transform(features)
        self.numeric_ = {c: numeric_array(features, c) for c in schema.numeric}
        self.codes_ = {c: cat_codes(features[c], schema.categories[c]) for c in schema.categorical}
        self.rows_ = features.select(schema.categorical)  # for condition matching
        self.neighbours_ = NearestNeighbors(algorithm="brute").fit(self.x_)

    def _sample(self, n, rng, conditions):
        if conditions:
            pool = np.flatnonzero(condition_mask(self.rows_, conditions))
            require_matches(pool.size, conditions, type(self).__name__)
            nn = NearestNeighbors(algorithm="brute").fit(self.x_[pool]) if pool.size > 1 else None
        else:
            pool = np.arange(self.n_rows_)
            nn = self.neighbours_
        pos = rng.integers(0, pool.size, size=n)  # anchor positions within the pool
        k = min(int(self.k), pool.size - 1)
        if k == 0:
            partner = pos
        else:
            uniq, inv = np.unique(pos, return_inverse=True)
            idx = nn.kneighbors(self.x_[pool[uniq]], n_neighbors=k + 1, return_distance=False)
            # drop the anchor itself (not always first when rows are duplicated)
            is_self = idx == uniq[:, None]
            idx = np.take_along_axis(idx, np.argsort(is_self, axis=1, kind="stable"), axis=1)[:, :k]
            partner = idx[inv, rng.integers(0, k, size=n)]
        a, b = pool[pos], pool[partner]
        lam = rng.random(n)
        cols: dict = {}
        for c in self.schema_.columns:
            take_b = rng.random(n) < lam
            if c in self.numeric_:
                x = self.numeric_[c]
                va, vb = x[a], x[b]
                mid = va + lam * (vb - va)
                cols[c] = np.where(np.isnan(va) | np.isnan(vb), np.where(take_b, vb, va), mid)
            else:
                codes = self.codes_[c]
                cols[c] = decode_codes(np.where(take_b, codes[b], codes[a]), c, self.schema_)
        return build_frame(cols, self.schema_)
