"""Gaussian mixture on an Encoder-like space.

Rows are mapped to numbers: numeric columns standardised (missing values
imputed with the median, and a 0/1 "is missing" block added), categorical
columns one-hot (missing is a level of its own). A scikit-learn
``GaussianMixture`` with full covariances is fitted there. A new row picks a
component, draws from its Gaussian, and is decoded back: numbers
un-standardised and kept inside the real range, each one-hot block decoded by
its largest entry (argmax).

Temperature ``t``: component weights are sharpened (``w ** (1/t)``) and each
component's covariance is scaled by ``t``; with less noise the argmax decoding
also falls more often on each component's usual category, so ``t < 1``
concentrates rows on the main modes. Conditions are met by rejection.
"""

from __future__ import annotations

import warnings
from typing import Callable

import numpy as np
import polars as pl
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture as _SkGaussianMixture
from threadpoolctl import threadpool_limits

from .._checks import check_int
from ..data import Schema
from ..errors import GeneratorError
from .base import Generator, check_temperature, sharpen
from ._columns import build_frame, cat_codes, clip_to_bounds, decode_codes, numeric_array

#: ridge added to each covariance (data are standardised, one-hot blocks are collinear)
_REG_COVAR = 1e-3


class GaussianMixture(Generator):
    """Fits several Gaussian clouds (components) to the rows turned into numbers, then draws from them.

    It can follow clusters a single copula cannot, but it smooths over hard
    edges and decodes categories approximately.
    """

    name = "gmm"
    summary = "a mixture of Gaussian clouds on standardised numbers and one-hot categories"
    key_params = ("n_components", "temperature")

    def __init__(self, n_components: int = 8, temperature: float = 1.0, random_state: int | None = 0):
        self.n_components = n_components
        self.temperature = temperature
        self.random_state = random_state

    # ------------------------------------------------------------------ encoding
    def _encode(self, features: pl.DataFrame, schema: Schema) -> np.ndarray:
        blocks, self.layout_ = encode_blocks(features, schema)
        self.center_: dict[str, float] = {}
        self.scale_: dict[str, float] = {}
        for i, (kind, c, _) in enumerate(self.layout_):
            if kind == "numeric":
                x = blocks[i][:, 0]
                sd = float(x.std())
                self.center_[c], self.scale_[c] = float(x.mean()), sd if sd > 0 else 1.0
                blocks[i] = ((x - self.center_[c]) / self.scale_[c])[:, None]
        return np.hstack(blocks)

    def _fit(self, features: pl.DataFrame, schema: Schema) -> None:
        check_temperature(self.temperature)
        k = check_int("n_components", self.n_components, minimum=1, error=GeneratorError)
        x = self._encode(features, schema)
        self.n_components_ = int(min(k, features.height))
        fit_mixture(self, x, "try fewer n_components")

    # ------------------------------------------------------------------ sampling
    def _sample(self, n, rng, conditions):
        x = draw_mixture(self, n, rng, check_temperature(self.temperature))
        return decode_blocks(x, self.layout_, self.schema_,
                             numeric=lambda v, c: v * self.scale_[c] + self.center_[c])


# ---------------------------------------------------------------------- shared with pca_mixture
def encode_blocks(features: pl.DataFrame, schema: Schema) -> tuple[list[np.ndarray], list[tuple[str, str, int]]]:
    """Rows as number blocks and their layout ``(kind, column, width)``, in schema order.

    Numeric columns: the values with missing ones imputed by the median (one
    column), plus a 0/1 ``missing`` block of two columns when any is missing;
    categorical columns: one-hot over the real categories, with missing as a last
    level when it occurs. Scaling is left to the caller.
    """
    blocks: list[np.ndarray] = []
    layout: list[tuple[str, str, int]] = []
    for c in schema.columns:
        if c in schema.numeric:
            x = numeric_array(features, c)
            miss = np.isnan(x)
            med = float(np.median(x[~miss])) if (~miss).any() else 0.0
            blocks.append(np.where(miss, med, x)[:, None])
            layout.append(("numeric", c, 1))
            if miss.any():
                blocks.append(np.column_stack([~miss, miss]).astype(float))
                layout.append(("missing", c, 2))
        else:
            codes = cat_codes(features[c], schema.categories[c])
            k = len(schema.categories[c])
            width = k + 1 if (codes < 0).any() else k  # last level = missing
            onehot = np.zeros((features.height, width))
            onehot[np.arange(features.height), np.where(codes < 0, k, codes)] = 1.0
            blocks.append(onehot)
            layout.append(("categorical", c, width))
    return blocks, layout


def fit_mixture(gen: Generator, x: np.ndarray, hint: str) -> None:
    """Fit ``gen.n_components_`` full-covariance Gaussians to ``x``; sets ``weights_``,
    ``means_``, ``cholesky_`` and ``converged_`` on ``gen``."""
    model = _SkGaussianMixture(
        n_components=gen.n_components_, covariance_type="full", reg_covar=_REG_COVAR,
        random_state=gen.random_state, max_iter=200,
    )
    # the matrices are small: one BLAS thread is faster than several fighting over cores
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            model.fit(x)
        except ValueError as exc:
            raise GeneratorError(f"GaussianMixture could not be fitted on these rows ({exc}); {hint}") from None
    gen.weights_ = model.weights_
    gen.means_ = model.means_
    gen.cholesky_ = np.linalg.cholesky(model.covariances_)
    gen.converged_ = bool(model.converged_)


def draw_mixture(gen: Generator, n: int, rng: np.random.Generator, t: float) -> np.ndarray:
    """``n`` draws from ``gen``'s fitted mixture at temperature ``t`` (weights sharpened,
    covariances scaled by ``t``)."""
    w = sharpen(gen.weights_, t)
    comp = rng.choice(len(w), size=n, p=w)
    d = gen.means_.shape[1]
    eps = rng.standard_normal((n, d))
    x = np.empty((n, d))
    for j in range(len(w)):
        m = comp == j
        if m.any():
            x[m] = gen.means_[j] + np.sqrt(t) * eps[m] @ gen.cholesky_[j].T
    return x


def decode_blocks(x: np.ndarray, layout: list[tuple[str, str, int]], schema: Schema,
                  numeric: Callable[[np.ndarray, str], np.ndarray] = lambda v, c: v) -> pl.DataFrame:
    """Rows back from the blocks of :func:`encode_blocks`: ``numeric(values, column)``
    undoes the caller's scaling (kept inside the real range), each one-hot block is
    decoded by its largest entry, a ``missing`` block sets its column missing."""
    cols: dict = {}
    missing: dict[str, np.ndarray] = {}
    pos = 0
    for kind, c, width in layout:
        block = x[:, pos:pos + width]
        pos += width
        if kind == "numeric":
            cols[c] = clip_to_bounds(numeric(block[:, 0], c), c, schema)
        elif kind == "missing":
            missing[c] = block.argmax(axis=1) == 1
        else:
            code = block.argmax(axis=1)
            k = len(schema.categories[c])
            cols[c] = decode_codes(np.where(code >= k, -1, code), c, schema)
    for c, m in missing.items():
        cols[c] = np.where(m, np.nan, cols[c])
    return build_frame(cols, schema)
