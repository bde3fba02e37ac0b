"""Gaussian mixture on principal components.

Rows are mapped to numbers as in :mod:`synthkit.generators.mixture`: numeric
columns standardised (missing values imputed with the median, plus a 0/1 "is
missing" indicator), categorical columns one-hot (missing is a level of its
own), and every indicator is standardised too so a category weighs as much as a
number. Principal component analysis keeps the first ``n_pcs`` directions; a
scikit-learn ``GaussianMixture`` with full covariances is fitted on those
scores. A new row picks a component, draws scores from its Gaussian, and is
mapped back through the principal components: numbers un-standardised and kept
inside the real range, each one-hot block decoded by its largest entry.

Images (many correlated pixel columns) are where this helps: a mixture on the
raw 64 pixels of an 8x8 digit needs thousands of covariance entries per
component, while a few principal components carry the strokes, so the mixture
can give each digit shape its own cloud and the label travels with the shape.
The variance outside the kept components is dropped, so samples are a little
smoother than the real rows.

Temperature ``t``: component weights are sharpened (``w ** (1/t)``) and each
component's covariance is scaled by ``t`` (``t < 1`` concentrates rows on the
main modes). Conditions are met by rejection.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from .._checks import check_int
from ..data import Schema
from ..errors import GeneratorError
from .base import Generator, check_temperature
from .mixture import decode_blocks, draw_mixture, encode_blocks, fit_mixture


class PCAMixture(Generator):
    """Fits Gaussian clouds to the rows' first principal components, then draws from them.

    Suited to many correlated numeric columns (images): the shapes live in a few
    directions. Detail beyond ``n_pcs`` components is smoothed away.
    """

    name = "pca_gmm"
    summary = "a mixture of Gaussian clouds on the first principal components (suits images)"
    key_params = ("n_components", "n_pcs", "temperature")

    def __init__(self, n_components: int = 10, n_pcs: int = 20, temperature: float = 1.0,
                 random_state: int | None = 0):
        self.n_components = n_components
        self.n_pcs = n_pcs
        self.temperature = temperature
        self.random_state = random_state

    # ------------------------------------------------------------------ encoding
    def _encode(self, features: pl.DataFrame, schema: Schema) -> np.ndarray:
        blocks, self.layout_ = encode_blocks(features, schema)
        x = np.hstack(blocks)
        self.center_ = x.mean(axis=0)
        sd = x.std(axis=0)
        self.scale_ = np.where(sd > 0, sd, 1.0)
        return (x - self.center_) / self.scale_

    # ------------------------------------------------------------------ fitting
    def _fit(self, features: pl.DataFrame, schema: Schema) -> None:
        k = check_int("n_components", self.n_components, minimum=1, hint=" (the number of Gaussian clouds)",
                      error=GeneratorError)
        p = check_int("n_pcs", self.n_pcs, minimum=1, hint=" (principal components kept, e.g. 20)",
                      error=GeneratorError)
        check_temperature(self.temperature)
        self.n_components_ = int(min(k, features.height))
        z = self._encode(features, schema)
        # principal components by SVD of the standardised rows
        _, s, vt = np.linalg.svd(z, full_matrices=False)
        p = min(p, vt.shape[0])
        self.components_ = vt[:p]
        self.explained_variance_ratio_ = (s[:p] ** 2) / max(float((s**2).sum()), 1e-300)
        fit_mixture(self, z @ self.components_.T, "try fewer n_components or n_pcs")

    # ------------------------------------------------------------------ sampling
    def _sample(self, n, rng, conditions):
        scores = draw_mixture(self, n, rng, check_temperature(self.temperature))
        x = (scores @ self.components_) * self.scale_ + self.center_
        return decode_blocks(x, self.layout_, self.schema_)
