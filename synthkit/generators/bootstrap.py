"""Bootstrap: resample real rows, optionally with jitter.

The memorising baseline. With ``noise=0`` every synthetic row is an exact copy
of a real row: perfect on fidelity, a privacy leak by construction. It is here
on purpose, to show that fidelity alone says nothing about privacy.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ..data import Schema
from ..errors import GeneratorError
from .base import Generator, require_matches
from ._columns import condition_expr


class Bootstrap(Generator):
    """Resample real rows with replacement; ``noise`` adds Gaussian jitter.

    ``noise`` is in units of each numeric column's standard deviation (0.1 moves
    values by about a tenth of a standard deviation). Categorical values are
    copied unchanged, so conditional sampling is exact (rows are drawn only from
    the matching real rows).
    """

    writes_text = True  # copies or writes text columns
    name = "bootstrap"
    summary = "resamples real rows (exact copies unless noise > 0): the memorising baseline"
    exact_conditions = True
    key_params = ("noise",)

    def __init__(self, noise: float = 0.0):
        self.noise = noise

    def _fit(self, features: pl.DataFrame, schema: Schema) -> None:
        if not (isinstance(self.noise, (int, float)) and np.isfinite(self.noise) and self.noise >= 0):
            raise GeneratorError(f"noise={self.noise!r} must be a number >= 0")
        self.rows_ = features
        self.std_ = {
            c: float(features[c].cast(pl.Float64).std() or 0.0) for c in schema.numeric
        }

    def _fit_columns(self, cols: dict[str, np.ndarray], schema: Schema) -> None:
        """The fit on numpy columns: keeps them (``rows_`` is then that dict) and the same
        standard deviations (computed by polars, as in ``_fit``)."""
        if not (isinstance(self.noise, (int, float)) and np.isfinite(self.noise) and self.noise >= 0):
            raise GeneratorError(f"noise={self.noise!r} must be a number >= 0")
        self.rows_ = cols
        self.std_ = {
            c: float(pl.Series(c, cols[c]).fill_nan(None).std() or 0.0) for c in schema.numeric
        } if self.noise > 0 else dict.fromkeys(schema.numeric, 0.0)

    def _sample_columns(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """``_sample`` without conditions on numpy columns: the same draws from the same stream."""
        rows = self.rows_
        idx = rng.integers(0, len(next(iter(rows.values()))), size=n)
        out = {c: v[idx] for c, v in rows.items()}
        if self.noise > 0:
            for c, sd in self.std_.items():
                out[c] = out[c] + rng.normal(0.0, self.noise * sd, size=n)
        return out

    def _sample(self, n, rng, conditions):
        rows = self.rows_
        if conditions:
            rows = rows.filter(condition_expr(conditions))
            require_matches(rows.height, conditions, type(self).__name__)
        idx = rng.integers(0, rows.height, size=n)
        out = rows[idx]
        if self.noise > 0:
            jit = []
            for c, sd in self.std_.items():
                eps = rng.normal(0.0, self.noise * sd, size=n)
                jit.append((pl.col(c).cast(pl.Float64) + pl.Series(eps)).alias(c))
            out = out.with_columns(jit)
        return out
