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

import warnings

import numpy as np
import polars as pl
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture as _SkGaussianMixture
from threadpoolctl import threadpool_limits

from .._checks import check_int
from ..data import Schema
from ..errors import GeneratorError
from ._columns import build_frame, cat_codes, clip_to_bounds, decode_codes, numeric_array
from .base import Generator, check_temperature, sharpen

#: ridge added to each component's covariance (in units of the principal-component scores)
_REG_COVAR = 1e-3


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
        blocks = []
        self.layout_: list[tuple[str, str, int]] = []  # (kind, column, width)
        for c in schema.columns:
            if c in schema.numeric:
                x = numeric_array(features, c)
                miss = np.isnan(x)
                med = float(np.median(x[~miss])) if (~miss).any() else 0.0
                blocks.append(np.where(miss, med, x)[:, None])
                self.layout_.append(("numeric", c, 1))
                if miss.any():
                    blocks.append(np.column_stack([~miss, miss]).astype(float))
                    self.layout_.append(("missing", c, 2))
            else:
                codes = cat_codes(features[c], schema.categories[c])
                k = len(schema.categories[c])
                width = k + 1 if (codes < 0).any() else k  # last level = missing
                onehot = np.zeros((features.height, width))
                onehot[np.arange(features.height), np.where(codes < 0, k, codes)] = 1.0
                blocks.append(onehot)
                self.layout_.append(("categorical", c, width))
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
        scores = z @ self.components_.T
        model = _SkGaussianMixture(n_components=self.n_components_, covariance_type="full", reg_covar=_REG_COVAR,
                                   random_state=self.random_state, max_iter=200, n_init=1)
        with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
            warnings.simplefilter("ignore", ConvergenceWarning)
            try:
                model.fit(scores)
            except ValueError as exc:
                raise GeneratorError(f"GaussianMixture could not be fitted on these rows ({exc}); "
                                     "try fewer n_components or n_pcs") from None
        self.weights_ = model.weights_
        self.means_ = model.means_
        self.cholesky_ = np.linalg.cholesky(model.covariances_)
        self.converged_ = bool(model.converged_)

    # ------------------------------------------------------------------ sampling
    def _sample(self, n, rng, conditions):
        t = check_temperature(self.temperature)
        w = sharpen(self.weights_, t)
        comp = rng.choice(len(w), size=n, p=w)
        d = self.means_.shape[1]
        eps = rng.standard_normal((n, d))
        scores = np.empty((n, d))
        for j in range(len(w)):
            m = comp == j
            if m.any():
                scores[m] = self.means_[j] + np.sqrt(t) * eps[m] @ self.cholesky_[j].T
        x = (scores @ self.components_) * self.scale_ + self.center_
        cols: dict = {}
        missing: dict[str, np.ndarray] = {}
        pos = 0
        for kind, c, width in self.layout_:
            block = x[:, pos:pos + width]
            pos += width
            if kind == "numeric":
                cols[c] = clip_to_bounds(block[:, 0], c, self.schema_)
            elif kind == "missing":
                missing[c] = block.argmax(axis=1) == 1
            else:
                code = block.argmax(axis=1)
                k = len(self.schema_.categories[c])
                cols[c] = decode_codes(np.where(code >= k, -1, code), c, self.schema_)
        for c, m in missing.items():
            cols[c] = np.where(m, np.nan, cols[c])
        return build_frame(cols, self.schema_)
