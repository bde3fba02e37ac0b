"""Gaussian: one multivariate normal for the numeric columns.

The textbook model whose recursive refitting has closed forms
(:mod:`synthkit.collapse.theory`), so the collapse simulator can be checked
against theory. ``fit`` estimates the mean and covariance of the numeric
columns (``ddof=1``: unbiased, the default; ``ddof=0``: maximum likelihood);
``sample`` draws from ``N(mean, temperature * cov)``.

Categorical columns are not modelled by the normal: their observed
*combinations* are resampled with their frequencies, sharpened by the
temperature (``p ** (1 / temperature)``, renormalised), independently of the
numeric part. With one categorical column this is exactly "sample the
category from its frequencies at a temperature"; with several, the joint
combinations seen in the rows are kept (target, sex and race stay together).

The maths lives in two pure functions, :func:`moments` and :func:`draw`, which
also take a leading batch axis, so the theory tests can run thousands of
independent chains through the same code in one vectorised call.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ..data import Schema
from ..errors import GeneratorError
from .base import Generator, apply_nulls, check_temperature, null_rates, require_matches, sharpen
from ._columns import condition_mask, numeric_matrix


# ---------------------------------------------------------------- pure maths
def moments(x: np.ndarray, ddof: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of rows ``x`` with shape ``(..., m, d)``.

    Returns ``mean`` with shape ``(..., d)`` and ``cov`` with shape ``(..., d, d)``;
    ``ddof=1`` divides by ``m - 1`` (unbiased), ``ddof=0`` by ``m`` (maximum likelihood).
    """
    x = np.asarray(x, dtype=float)
    m = x.shape[-2]
    if m - ddof <= 0:
        raise GeneratorError(f"need more than ddof={ddof} rows to estimate a covariance; got {m}")
    mean = x.mean(axis=-2)
    xc = x - mean[..., None, :]
    cov = np.swapaxes(xc, -1, -2) @ xc / (m - ddof)
    return mean, cov


def cov_factor(cov: np.ndarray) -> np.ndarray:
    """A matrix ``L`` with ``L @ L.T == cov`` for a symmetric PSD ``cov`` (batched).

    Uses the eigen-decomposition, so singular covariances (a constant column,
    a collapsed generation) are fine; tiny negative eigenvalues from rounding
    are set to zero.
    """
    cov = np.asarray(cov, dtype=float)
    w, v = np.linalg.eigh(cov)
    w = np.clip(w, 0.0, None)
    return v * np.sqrt(w)[..., None, :]


def draw(mean: np.ndarray, cov: np.ndarray, n: int, rng: np.random.Generator,
         temperature: float = 1.0, factor: np.ndarray | None = None) -> np.ndarray:
    """``n`` rows from ``N(mean, temperature * cov)``; batched over leading axes.

    ``mean`` has shape ``(..., d)``, ``cov`` ``(..., d, d)``; returns ``(..., n, d)``.
    ``factor`` (from :func:`cov_factor`) may be passed to skip the decomposition.
    """
    mean = np.asarray(mean, dtype=float)
    if factor is None:
        factor = cov_factor(cov)
    z = rng.standard_normal(mean.shape[:-1] + (n, mean.shape[-1]))
    return mean[..., None, :] + np.sqrt(temperature) * (z @ np.swapaxes(factor, -1, -2))


def category_draw(p: np.ndarray, n: int, rng: np.random.Generator, temperature: float = 1.0) -> np.ndarray:
    """Counts of ``n`` draws from category probabilities ``p`` at a temperature (batched)."""
    q = sharpen(p, temperature)
    return rng.multinomial(n, q)


# ---------------------------------------------------------------- generator
class Gaussian(Generator):
    """Multivariate normal for numeric columns; categorical combinations by frequency.

    Parameters
    ----------
    ddof : 1 (unbiased covariance, default) or 0 (maximum likelihood).
    temperature : sampling bias ``lambda > 0``: numeric rows come from
        ``N(mean, temperature * cov)`` and categorical combinations are drawn with
        probabilities ``p ** (1 / temperature)`` (renormalised). 1 is faithful;
        below 1 sharpens towards the centre and the most common groups.
    """

    name = "gaussian"
    summary = "one multivariate normal (mean, covariance); categories by their frequencies"
    exact_conditions = True
    key_params = ("temperature", "ddof")

    def __init__(self, ddof: int = 1, temperature: float = 1.0):
        self.ddof = ddof
        self.temperature = temperature

    def _fit(self, features: pl.DataFrame, schema: Schema) -> None:
        self._start_fit(schema)
        # categorical nulls travel inside the resampled combinations
        self.null_rates_ = null_rates(features.select(schema.numeric)) if schema.numeric else {}
        if self.numeric_:
            self._fit_numeric(features.select([pl.col(c).cast(pl.Float64) for c in self.numeric_]).to_numpy())
        if self.categorical_:
            combos = (
                features.select(self.categorical_)
                .group_by(self.categorical_, maintain_order=True)
                .len(name="__n")
            )
            self.combos_ = combos.drop("__n")
            counts = combos["__n"].to_numpy().astype(float)
            self.combo_p_ = counts / counts.sum()
        else:
            self.combos_ = None
            self.combo_p_ = np.zeros(0)

    def _fit_columns(self, cols: dict[str, np.ndarray], schema: Schema) -> None:
        """``_fit`` on numpy columns (see :func:`synthkit.generators._columns.frame_columns`).

        Learns the same mean, covariance, null rates and combination frequencies
        (combinations as code rows in ``combo_codes_``, in order of first appearance).
        """
        self._start_fit(schema)
        h = max(len(next(iter(cols.values()))), 1) if cols else 1
        self.null_rates_ = {c: int(np.isnan(cols[c]).sum()) / h for c in self.numeric_}
        if self.numeric_:
            self._fit_numeric(numeric_matrix(cols, self.numeric_))
        self.combos_ = None
        if self.categorical_:
            codes = np.column_stack([cols[c] for c in self.categorical_])
            # one whole number per combination (codes from -1 shifted to 0) when they fit in int64
            dims = [len(schema.categories.get(c, ())) + 1 for c in self.categorical_]
            if float(np.prod(np.array(dims, dtype=float))) < 2.0**62:
                keys = np.ravel_multi_index(tuple((codes + 1).T), dims)
                _, first, counts = np.unique(keys, return_index=True, return_counts=True)
            else:
                _, first, counts = np.unique(codes, axis=0, return_index=True, return_counts=True)
            order = np.argsort(first, kind="stable")
            self.combo_codes_ = codes[first[order]]
            counts = counts[order].astype(float)
            self.combo_p_ = counts / counts.sum()
        else:
            self.combo_codes_ = None
            self.combo_p_ = np.zeros(0)

    def _start_fit(self, schema: Schema) -> None:
        if self.ddof not in (0, 1) or isinstance(self.ddof, bool):
            raise GeneratorError(f"ddof={self.ddof!r} must be 0 (maximum likelihood) or 1 (unbiased)")
        check_temperature(self.temperature)
        self.numeric_ = list(schema.numeric)
        self.categorical_ = list(schema.categorical)
        if not self.numeric_:
            self.mean_ = np.zeros(0)
            self.cov_ = np.zeros((0, 0))
            self.factor_ = self.cov_

    def _fit_numeric(self, x: np.ndarray) -> None:
        complete = ~np.isnan(x).any(axis=1)
        if complete.sum() > self.ddof + 1:
            x = x[complete]
        else:  # too few complete rows: impute each column's mean
            col_mean = np.nanmean(np.where(np.isnan(x).all(axis=0), 0.0, x), axis=0)
            x = np.where(np.isnan(x), col_mean, x)
        self.mean_, self.cov_ = moments(x, self.ddof)
        self.factor_ = cov_factor(self.cov_)

    def _sample(self, n, rng, conditions):
        t = check_temperature(self.temperature)
        parts = []
        if self.numeric_:
            x = draw(self.mean_, self.cov_, n, rng, temperature=t, factor=self.factor_)
            parts.append(pl.from_numpy(x, schema=self.numeric_))
        if self.categorical_:
            combos, p = self.combos_, self.combo_p_
            if conditions:
                mask = condition_mask(combos, conditions)
                require_matches(int(mask.sum()), conditions, type(self).__name__)
                combos, p = combos.filter(pl.Series(mask)), p[mask]
            idx = self._draw_combos(p, n, rng, t)
            parts.append(combos[idx])
        out = pl.concat(parts, how="horizontal")
        return apply_nulls(out, self.null_rates_, rng, keep=conditions)

    def _sample_columns(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """``_sample`` without conditions on numpy columns: the same draws from the same stream."""
        t = check_temperature(self.temperature)
        cols: dict[str, np.ndarray] = {}
        if self.numeric_:
            x = draw(self.mean_, self.cov_, n, rng, temperature=t, factor=self.factor_)
            for j, c in enumerate(self.numeric_):
                cols[c] = x[:, j]
        if self.categorical_:
            codes = self.combo_codes_[self._draw_combos(self.combo_p_, n, rng, t)]
            for j, c in enumerate(self.categorical_):
                cols[c] = codes[:, j]
        for c, r in self.null_rates_.items():  # as apply_nulls: one uniform draw per column with nulls
            if r > 0:
                cols[c] = np.where(rng.random(n) < r, np.nan, cols[c])
        return cols

    @staticmethod
    def _draw_combos(p: np.ndarray, n: int, rng: np.random.Generator, t: float) -> np.ndarray:
        return rng.choice(len(p), size=n, p=sharpen(p, t))
