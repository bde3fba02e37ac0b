"""ShuffledColumns: every column drawn on its own from the real values.

A deliberately broken generator. Each column of a synthetic row comes from a
different, independently drawn real row, so every marginal distribution is
kept and every dependence between columns is lost. It is the "independent
marginals" baseline, and the broken generator a regression gate must catch
(pair trends and detection fail it; column shapes pass it).
"""

from __future__ import annotations

import polars as pl

from ..data import Schema
from .base import Generator


class ShuffledColumns(Generator):
    """Draw each column independently (with replacement) from its real values."""

    writes_text = True  # copies or writes text columns
    name = "shuffled"
    summary = "each column drawn on its own from the real values: marginals kept, dependence lost"

    def _fit(self, features: pl.DataFrame, schema: Schema) -> None:
        self.rows_ = features

    def _sample(self, n, rng, conditions):
        rows = self.rows_
        return pl.DataFrame([rows[c][rng.integers(0, rows.height, size=n)] for c in rows.columns])
