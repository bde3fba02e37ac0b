"""Gaussian copula: each column's own distribution, tied together by correlations.

Fit:

- numeric column: its sorted real values give an empirical quantile function
  (linear interpolation between neighbouring sorted values), so generated
  values always lie inside the real range;
- categorical column: its category frequencies; each category owns an interval
  of the cumulative distribution (most frequent first); a missing value is a
  category of its own, so missingness keeps its real rate and its links to the
  other columns;
- a numeric column with missing values also gets a latent "is missing"
  indicator, so rows that miss several values together keep doing so;
- every column is turned into normal scores: a row's position in the column's
  distribution (ties and categories broken by a uniform draw inside their
  interval, the "interval" method) pushed through the inverse normal CDF; the
  correlation matrix of these scores (pairwise over present values, repaired to
  be positive definite and shrunk slightly towards the identity) is the copula.

Sample: ``z ~ N(0, R)``; numeric columns read their quantile function at
``Phi(sqrt(t) z)`` (``t`` = temperature: ``t < 1`` pulls values towards the
median), categorical columns find the interval of ``Phi(z)`` among category
intervals built from probabilities sharpened by ``t`` (``t < 1`` favours the
most frequent categories). Conditions on categorical columns are met by
rejection, which is cheap here.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.special import ndtr, ndtri

from ..data import Schema
from .base import Generator, check_temperature, sharpen
from ._columns import build_frame, decode_codes, frame_columns

#: fixed seed for the uniform draws that break ties while fitting (fit is deterministic)
_FIT_SEED = 20240611
#: shrinkage of the latent correlation towards the identity
_SHRINK = 1e-3
_EPS = 1e-9


def normal_scores(codes_or_values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Normal scores of a column: ranks with ties broken at random, through Phi^-1.

    ``NaN`` entries stay ``NaN``. Tied values (and so categories given as codes)
    get uniform positions inside their interval of the empirical CDF.
    """
    x = np.asarray(codes_or_values, dtype=float)
    ok = ~np.isnan(x)
    out = np.full(x.shape, np.nan)
    m = int(ok.sum())
    if m == 0:
        return out
    xv = x[ok]
    order = np.lexsort((rng.random(m), xv))
    ranks = np.empty(m)
    ranks[order] = np.arange(m)
    out[ok] = ndtri((ranks + 0.5) / m)
    return out


def pairwise_correlation(z: np.ndarray) -> np.ndarray:
    """Correlation of the columns of ``z`` over the rows where both are present."""
    present = ~np.isnan(z)
    z0 = np.where(present, z, 0.0)
    pf = present.astype(float)
    num = z0.T @ z0
    sq = (z0 * z0).T @ pf  # sq[i, j] = sum of z_i^2 over rows where j is present
    den = np.sqrt(sq * sq.T)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(den > 0, num / den, 0.0)
    np.fill_diagonal(r, 1.0)
    return np.clip(r, -1.0, 1.0)


def nearest_correlation(r: np.ndarray, shrink: float = _SHRINK) -> np.ndarray:
    """A positive definite correlation matrix close to ``r`` (eigenvalue repair + shrinkage)."""
    r = (r + r.T) / 2
    w, v = np.linalg.eigh(r)
    w = np.clip(w, 1e-6, None)
    r = (v * w) @ v.T
    d = np.sqrt(np.diag(r))
    r = r / np.outer(d, d)
    r = (1 - shrink) * r + shrink * np.eye(len(r))
    return r


def main_axis(columns: list[np.ndarray], n: int) -> np.ndarray | None:
    """Each row's position on the first principal axis of the numeric normal scores.

    Missing scores count as 0 (the median). ``None`` without numeric variation.
    The sign is fixed (largest loading positive) so the result does not depend on
    the linear algebra library.
    """
    if not columns:
        return None
    x = np.nan_to_num(np.column_stack(columns), nan=0.0)
    x = x[:, x.std(axis=0) > _EPS]
    if x.shape[1] == 0:
        return None
    x = x - x.mean(axis=0)
    cov = x.T @ x / n
    w, v = np.linalg.eigh(cov)
    load = v[:, -1]
    load = load * np.sign(load[np.argmax(np.abs(load))])
    return x @ load


class GaussianCopula(Generator):
    """Learns each column's distribution on its own and the correlations between columns in a shared normal space.

    Fast and stable, it keeps marginals and pairwise links but misses
    non-linear structure such as clusters that differ in shape.
    """

    name = "copula"
    summary = "per-column distributions joined by a Gaussian copula: fast, keeps marginals and correlations"
    key_params = ("temperature",)

    def __init__(self, temperature: float = 1.0):
        self.temperature = temperature

    def _fit(self, features: pl.DataFrame, schema: Schema) -> None:
        self._fit_columns(frame_columns(features, schema), schema)

    def _fit_columns(self, cols: dict[str, np.ndarray], schema: Schema) -> None:
        """The fit on numpy columns (numeric float64 with ``NaN``, categorical codes with ``-1``)."""
        check_temperature(self.temperature)
        rng = np.random.default_rng(_FIT_SEED)
        n = len(next(iter(cols.values())))
        self.quantiles_: dict[str, np.ndarray] = {}
        self.levels_: dict[str, np.ndarray] = {}  # codes in interval order (-1 = missing)
        self.probs_: dict[str, np.ndarray] = {}
        self.missing_rates_: dict[str, float] = {}
        scores: dict[tuple[str, str], np.ndarray] = {}
        for c in schema.numeric:
            x = cols[c]
            miss = np.isnan(x)
            self.quantiles_[c] = np.sort(x[~miss])
            if miss.any():
                self.missing_rates_[c] = float(miss.mean())
                scores[("missing", c)] = normal_scores(miss.astype(float), rng)
            scores[("numeric", c)] = normal_scores(x, rng)
        axis = main_axis([scores[("numeric", c)] for c in schema.numeric], n)
        for c in schema.categorical:
            codes = cols[c]
            levels, counts = np.unique(codes, return_counts=True)
            # order the intervals so that the copula can see how categories relate to the
            # numbers: by each category's mean position on the numeric columns' main axis
            # (e.g. small Adelie and Chinstrap penguins, then large Gentoo), else by frequency
            if axis is not None:
                key = np.array([axis[codes == lv].mean() for lv in levels])
                order = np.lexsort((levels, -counts, np.round(key, 9)))
            else:
                order = np.lexsort((levels, -counts))
            levels, counts = levels[order], counts[order]
            self.levels_[c] = levels
            self.probs_[c] = counts / n
            pos = np.empty(levels.max() + 2, dtype=float)
            pos[levels + 1] = np.arange(len(levels))
            scores[("categorical", c)] = normal_scores(pos[codes + 1], rng)
        # latent dimensions in schema order (a numeric column's missing indicator first)
        self.latent_: list[tuple[str, str]] = []
        for c in schema.columns:
            for kind in ("missing", "numeric", "categorical"):
                if (kind, c) in scores:
                    self.latent_.append((kind, c))
        z = np.column_stack([scores[k] for k in self.latent_])
        r = pairwise_correlation(z)
        # a column with one value carries no correlation: keep it independent
        flat = np.nanstd(z, axis=0) < _EPS
        r[flat, :] = 0.0
        r[:, flat] = 0.0
        np.fill_diagonal(r, 1.0)
        self.correlation_ = nearest_correlation(r)
        self.cholesky_ = np.linalg.cholesky(self.correlation_)

    def _sample(self, n, rng, conditions):
        schema = self.schema_
        cols = self._sample_columns(n, rng)
        for c in schema.categorical:
            cols[c] = decode_codes(cols[c], c, schema)
        return build_frame(cols, schema)

    def _sample_columns(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """``n`` rows as numpy columns: numeric float64 (``NaN`` = missing), categorical codes."""
        t = check_temperature(self.temperature)
        d = len(self.latent_)
        z = rng.standard_normal((n, d)) @ self.cholesky_.T
        u_cat = ndtr(z)
        u_num = ndtr(np.sqrt(t) * z)
        cols: dict = {}
        missing: dict[str, np.ndarray] = {}
        for j, (kind, c) in enumerate(self.latent_):
            if kind == "missing":
                # "missing" is the upper interval of the indicator: keep its real rate
                missing[c] = u_cat[:, j] > 1.0 - self.missing_rates_[c]
            elif kind == "numeric":
                q = self.quantiles_[c]
                if len(q) == 1:
                    vals = np.full(n, q[0])
                else:
                    vals = np.interp(u_num[:, j], np.linspace(0.0, 1.0, len(q)), q)
                cols[c] = vals
            else:
                p = sharpen(self.probs_[c], t)
                edges = np.cumsum(p)
                edges[-1] = 1.0
                k = np.minimum(np.searchsorted(edges, u_cat[:, j], side="right"), len(p) - 1)
                cols[c] = self.levels_[c][k]
        for c, m in missing.items():
            cols[c] = np.where(m, np.nan, cols[c])
        return cols
