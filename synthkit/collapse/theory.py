"""Closed forms for model collapse, to check the simulator and overlay in plots.

References
----------
- Shumailov, Shumaylov, Zhao, Papernot, Anderson, Gal (2024). "AI models
  collapse when trained on recursively generated data." *Nature* 631, 755-759;
  Supplementary Information section 3.1 (the single-dimensional Gaussian).
- Alemohammad, Casco-Rodriguez, Luzi, Humayun, Babaei, LeJeune, Siahkoohi,
  Baraniuk (2023). "Self-consuming generative models go MAD." arXiv:2307.01850
  (Eq. 2: sampling bias lambda).
- Gerstgrasser, Schaeffer, Dey, Rafailov, Sleight, Hughes, Korbak, Agrawal,
  Pai, Gromov, Roberts, Yang, Donoho, Koyejo (2024). "Is model collapse
  inevitable? Breaking the curse of recursion by accumulating real and
  synthetic data." arXiv:2404.01413.

Index conventions (read this before comparing with the simulator)
------------------------------------------------------------------
The formulas count *fits*: ``(mu_1, sigma_1)`` is the model fitted on the M
real rows, ``(mu_2, sigma_2)`` the model fitted on M rows sampled from model 1,
and so on; ``mu`` and ``sigma`` are the true parameters of the real data.

:func:`synthkit.collapse.simulate` counts *generations of rows*: generation 0
is the real rows, generation ``g >= 1`` holds the rows sampled from model
``g``. The rows of generation ``g`` are exactly what model ``g + 1`` is fitted
on, so their sample standard deviation *is* ``sigma_{g+1}``, and the real rows'
one is ``sigma_1``. The simulator reports every metric relative to the real
rows, so in simulator terms (replace regime, M rows per generation):

- ``std_ratio`` at generation g = sigma_{g+1} / sigma_1, whose expectation is
  ``c4(M) ** g`` (:func:`expected_std_ratio`) with the unbiased variance;
- the variance ratio at generation g has expectation ``((M-1)/M) ** g`` with
  ``ddof=0`` and ``1`` with ``ddof=1`` (the ratio is the same whichever ddof
  the *metric* uses, because both rows sets have M rows);
- at temperature lambda, the covariance of generation g is ``lambda ** g``
  times the real one on average (:func:`expected_cov_temperature` with
  ``t = g`` and ``Sigma0`` = the real covariance);
- the minority share of generation g at category temperature tau has logit
  ``logit_0 / tau ** g`` with ``logit_0`` the real share's logit
  (:func:`minority_logit` with ``n = g``).
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, expit, gammaln, logit

__all__ = [
    "c4",
    "var_mu_replace",
    "replace_mse",
    "expected_sigma",
    "expected_std_ratio",
    "expected_log_var",
    "expected_var_ml",
    "expected_cov_temperature",
    "accumulate_mse",
    "accumulate_mse_bound",
    "minority_logit",
    "minority_share",
    "p_category_lost",
    "expected_categories",
    "fixation_probability",
]


def _check_m(M) -> np.ndarray:
    M = np.asarray(M, dtype=float)
    if np.any(M < 2):
        raise ValueError(f"M={M} must be at least 2 rows per generation")
    return M


def c4(M) -> np.ndarray | float:
    """``E[s] / sigma`` for the unbiased sample standard deviation ``s`` of M normal draws.

    ``c4(M) = sqrt(2 / (M - 1)) * Gamma(M / 2) / Gamma((M - 1) / 2)``, computed
    with ``gammaln`` so it stays finite for large M (it tends to 1 like ``1 - 1/(4M)``).
    """
    M = _check_m(M)
    out = np.sqrt(2.0 / (M - 1)) * np.exp(gammaln(M / 2) - gammaln((M - 1) / 2))
    return out if out.ndim else float(out)


def var_mu_replace(n, sigma, M):
    """``Var(mu_n) = n sigma^2 / M``: the fitted mean's random walk under replacement.

    Shumailov et al. 2024 (SI 3.1): each refit adds the variance ``sigma_k^2 / M``
    of a sample mean, and ``E[sigma_k^2] = sigma^2`` with the unbiased variance, so
    after ``n`` fits (the first on the M real rows) the variances add up to ``n sigma^2 / M``.
    """
    _check_m(M)
    return np.asarray(n, dtype=float) * np.asarray(sigma, dtype=float) ** 2 / np.asarray(M, dtype=float)


def replace_mse(n, sigma, M):
    """``E[(mu_n - mu)^2] = n sigma^2 / M`` under replacement (grows without bound).

    Gerstgrasser et al. 2024 contrast this linear growth with the bounded error of
    accumulation (:func:`accumulate_mse_bound`); equal to :func:`var_mu_replace`
    because ``E[mu_n] = mu``.
    """
    return var_mu_replace(n, sigma, M)


def expected_sigma(n, sigma, M):
    """``E[sigma_n] = sigma * c4(M) ** n`` (unbiased variance, replacement).

    Shumailov et al. 2024 (SI 3.1): ``sigma_n / sigma_{n-1}`` is an independent
    ``chi_{M-1} / sqrt(M - 1)`` factor with mean ``c4(M) < 1``; the product of ``n``
    of them, counting the fit on the real rows as ``n = 1``, shrinks geometrically
    and ``sigma_n -> 0`` almost surely.
    """
    return np.asarray(sigma, dtype=float) * np.asarray(c4(M)) ** np.asarray(n, dtype=float)


def expected_std_ratio(g, M):
    """Simulator convention: ``E[std of generation g / std of the real rows] = c4(M) ** g``.

    Generation ``g`` rows have standard deviation ``sigma_{g+1}`` and the real rows
    ``sigma_1``; their ratio is the product of ``g`` independent factors (see the
    module docstring). Unbiased variance, replacement, M rows per generation.
    """
    return np.asarray(c4(M)) ** np.asarray(g, dtype=float)


def expected_log_var(n, M):
    """``E[ln(sigma_n^2 / sigma^2)] = n [psi((M-1)/2) - ln((M-1)/2)]`` (always < 0).

    Shumailov et al. 2024 (SI 3.1): ``ln sigma_n^2`` is a random walk with a
    negative drift (each step is ``ln(chi^2_{M-1} / (M-1))``), so although
    ``E[sigma_n^2] = sigma^2`` for every ``n``, ``sigma_n -> 0`` almost surely.
    In simulator terms the same value with ``n = g`` is the expected log of the
    variance ratio of generation ``g`` to the real rows.
    """
    M = _check_m(M)
    step = digamma((M - 1) / 2) - np.log((M - 1) / 2)
    return np.asarray(n, dtype=float) * step


def expected_var_ml(n, sigma, M):
    """``E[sigma_n^2] = sigma^2 ((M - 1) / M) ** n`` with the maximum-likelihood variance (ddof=0).

    Each ML refit multiplies the expected variance by ``(M - 1) / M``
    (Shumailov et al. 2024, SI 3.1); the fit on the real rows counts as ``n = 1``.
    """
    M = _check_m(M)
    return np.asarray(sigma, dtype=float) ** 2 * ((M - 1) / M) ** np.asarray(n, dtype=float)


def expected_cov_temperature(t, lam, Sigma0):
    """``E[Sigma_t] = lambda ** t * Sigma_0`` when sampling from ``N(mu, lambda Sigma)``.

    Alemohammad et al. 2023, Eq. 2 (sampling bias ``lambda < 1`` shrinks the
    covariance geometrically). With the unbiased covariance each refit is unbiased
    for ``lambda Sigma_{t-1}``; ``t`` counts the biased sampling steps after the
    fit ``Sigma_0`` (in the simulator: ``t = g`` and ``Sigma_0`` = real covariance).
    """
    if lam <= 0:
        raise ValueError(f"lam={lam} must be > 0")
    # an array of t gives one matrix per t (shape t.shape + Sigma0.shape)
    return np.multiply.outer(float(lam) ** np.asarray(t, dtype=float), np.asarray(Sigma0, dtype=float))


def accumulate_mse(n, sigma, M):
    """``E[(mu_n - mu)^2] ~= sigma^2 / M * sum_{k=1..n} 1 / k^2`` when accumulating.

    Gerstgrasser et al. 2024: fit ``n`` uses the M real rows plus the ``n - 1``
    synthetic batches of M rows made so far, so ``mu_{k+1} - mu_k`` is a sample
    mean's error divided by ``k + 1``. The sum assumes each generation's variance is
    ``sigma^2`` (accurate because accumulation keeps the variance near ``sigma^2``).
    """
    _check_m(M)
    n = np.asarray(n, dtype=int)
    k = np.arange(1, int(np.max(n)) + 1, dtype=float)
    partial = np.concatenate([[0.0], np.cumsum(1.0 / k**2)])
    return np.asarray(sigma, dtype=float) ** 2 / np.asarray(M, dtype=float) * partial[n]


def accumulate_mse_bound(sigma, M):
    """``(pi^2 / 6) sigma^2 / M``: the error bound under accumulation (Gerstgrasser et al. 2024).

    The limit of :func:`accumulate_mse` as ``n -> infinity``: accumulating real and
    synthetic data keeps the error bounded, while replacement
    (:func:`replace_mse`) lets it grow like ``n sigma^2 / M``.
    """
    _check_m(M)
    return np.pi**2 / 6 * np.asarray(sigma, dtype=float) ** 2 / np.asarray(M, dtype=float)


def minority_logit(n, logit0, tau):
    """``logit_n = logit_0 / tau ** n``: a two-group share sampled at temperature ``tau``.

    Sharpening ``p ** (1 / tau)`` divides the log-odds by ``tau`` at every step
    (the sampling-bias mechanism of Alemohammad et al. 2023 applied to
    categories); with ``tau < 1`` a minority (negative logit) is driven to 0.
    Ignores finite-sample noise (exact as M grows). ``n = g`` in simulator terms.
    """
    if tau <= 0:
        raise ValueError(f"tau={tau} must be > 0")
    return np.asarray(logit0, dtype=float) / float(tau) ** np.asarray(n, dtype=float)


def minority_share(n, p0, tau):
    """The share itself: ``expit(logit(p0) / tau ** n)`` (see :func:`minority_logit`)."""
    return expit(minority_logit(n, logit(np.asarray(p0, dtype=float)), tau))


def p_category_lost(p, M):
    """``(1 - p) ** M``: chance a category of share ``p`` is absent from the next M draws.

    With ``p`` below about ``1 / M`` this is above ``exp(-1) ~ 0.37`` at every
    generation, so such a category is soon lost for good (a lost category never
    returns under replacement) (Shumailov et al. 2024, SI 3.1 discrete case).
    """
    M = _check_m(M)
    return (1.0 - np.asarray(p, dtype=float)) ** M


def expected_categories(p, M):
    """Expected number of categories present in M draws from probabilities ``p``."""
    p = np.asarray(p, dtype=float)
    return float(np.sum(1.0 - p_category_lost(p, M)))


def fixation_probability(p0):
    """``P(share -> 1) = p0``: under replacement a category's share is a martingale
    absorbed at 0 or 1 (Wright-Fisher resampling), so it ends at 1 with probability
    equal to its starting share (Shumailov et al. 2024, SI 3.1 discrete case).
    """
    return np.asarray(p0, dtype=float)
