"""The collapse closed forms against simulation (|mean - theory| <= 4 standard errors).

Thousands of chains run through the Gaussian generator's own maths
(``moments``/``draw``/``category_draw``, vectorised over a leading seed axis);
a few hundred run through the real simulator, whose generation convention
(generation g = rows of model g; metrics relative to the real rows) is checked
at the same time.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy.special import expit, logit

import synthkit as sk
from synthkit.collapse import theory as T
from synthkit.generators.gaussian import category_draw, moments, draw


def within(values: np.ndarray, expected, k: float = 4.0, axis: int = -1) -> None:
    """Assert the mean of ``values`` (over ``axis``) is within k standard errors of ``expected``."""
    values = np.asarray(values, dtype=float)
    mean = values.mean(axis=axis)
    se = values.std(axis=axis, ddof=1) / np.sqrt(values.shape[axis])
    expected = np.asarray(expected, dtype=float)
    bad = np.abs(mean - expected) > k * se + 1e-12
    assert not bad.any(), f"mean {mean[bad] if mean.ndim else mean} vs theory {expected[bad] if expected.ndim else expected} (se {se})"


def gaussian_chains(S, M, fits, ddof=1, lam=1.0, d=1, cov0=None, seed=0, accumulate=False):
    """Fitted (mu_n, Sigma_n) for n = 1..fits of S independent chains (fit 1 = real rows)."""
    rng = np.random.default_rng(seed)
    cov0 = np.eye(d) if cov0 is None else cov0
    x = draw(np.zeros((S, d)), np.broadcast_to(cov0, (S, d, d)), M, rng)
    mus, covs, hist = [], [], [x]
    for _ in range(fits):
        data = np.concatenate(hist, axis=1) if accumulate else hist[-1]
        mu, cov = moments(data, ddof)
        mus.append(mu)
        covs.append(cov)
        new = draw(mu, cov, M, rng, temperature=lam)
        hist = hist + [new] if accumulate else [new]
    return np.stack(mus), np.stack(covs)  # (fits, S, d), (fits, S, d, d)


# ------------------------------------------------------------------ closed forms
def test_c4_known_values():
    assert T.c4(2) == pytest.approx(np.sqrt(2 / np.pi), rel=1e-12)
    assert T.c4(10) == pytest.approx(0.9726592741, rel=1e-9)
    assert T.c4(1e6) == pytest.approx(1 - 1 / 4e6, rel=1e-9)  # finite for huge M (gammaln)
    with pytest.raises(ValueError):
        T.c4(1)


def test_bounds_and_orderings():
    n = np.arange(1, 50)
    acc = T.accumulate_mse(n, 2.0, 30)
    assert np.all(np.diff(acc) > 0) and np.all(acc < T.accumulate_mse_bound(2.0, 30))
    assert np.all(T.replace_mse(n[1:], 2.0, 30) > acc[1:])
    assert np.all(T.expected_log_var(n, 20) < 0)
    assert T.minority_share(0, 0.3, 0.8) == pytest.approx(0.3)
    assert T.minority_share(5, 0.3, 0.8) < 0.3 < T.minority_share(5, 0.3, 1.25)
    assert T.p_category_lost(1 / 100, 100) == pytest.approx((0.99) ** 100)
    assert T.p_category_lost(0.5 / 100, 100) > np.exp(-1)


# ------------------------------------------------------------------ vectorised chains
S = 4000


def test_unbiased_variance_sigma_and_mean_random_walk():
    M, fits, sigma = 10, 8, 1.0
    mus, covs = gaussian_chains(S, M, fits)
    sig = np.sqrt(covs[:, :, 0, 0])
    n = np.arange(1, fits + 1)
    within(sig, T.expected_sigma(n, sigma, M))
    within(mus[:, :, 0] ** 2, T.var_mu_replace(n, sigma, M))
    within(np.log(covs[:, :, 0, 0]), T.expected_log_var(n, M))
    # sigma_n -> 0: the median shrinks although E[sigma_n^2] stays sigma^2
    within(covs[:, :, 0, 0], np.ones(fits))
    assert np.median(sig[-1]) < np.median(sig[0])


def test_ml_variance_shrinks_geometrically():
    M, fits = 8, 8
    _, covs = gaussian_chains(S, M, fits, ddof=0, seed=1)
    within(covs[:, :, 0, 0], T.expected_var_ml(np.arange(1, fits + 1), 1.0, M))


def test_temperature_shrinks_covariance_as_lambda_power_t():
    cov0 = np.array([[1.0, 0.6], [0.6, 2.0]])
    lam, M, fits = 0.8, 12, 6
    _, covs = gaussian_chains(S, M, fits, lam=lam, d=2, cov0=cov0, seed=2)
    for t in range(fits):  # fit t+1 follows t biased sampling steps after the (unbiased) fit on real rows
        expected = T.expected_cov_temperature(t, lam, cov0)
        within(covs[t].reshape(S, 4), expected.reshape(4), axis=0)


def test_accumulating_keeps_the_error_bounded_replacing_does_not():
    M, fits = 10, 12
    mus_a, _ = gaussian_chains(S, M, fits, accumulate=True, seed=3)
    mus_r, _ = gaussian_chains(S, M, fits, seed=4)
    se_a = (mus_a[:, :, 0] ** 2)
    n = np.arange(1, fits + 1)
    mean_a = se_a.mean(axis=1)
    se = se_a.std(axis=1) / np.sqrt(S)
    assert np.all(mean_a <= T.accumulate_mse_bound(1.0, M) + 4 * se)
    # the sum formula assumes each generation's variance is sigma^2; it holds to a few percent
    np.testing.assert_allclose(mean_a, T.accumulate_mse(n, 1.0, M), rtol=0.06)
    within(mus_r[:, :, 0] ** 2, T.replace_mse(n, 1.0, M))
    assert (mus_r[-1, :, 0] ** 2).mean() > 3 * mean_a[-1]


def test_category_share_is_a_martingale_absorbed_at_0_or_1():
    rng = np.random.default_rng(5)
    M, p0, gens = 40, 0.3, 400
    counts = np.tile([round(p0 * M), M - round(p0 * M)], (S, 1))
    shares = []
    for _ in range(gens):
        counts = category_draw(counts / M, M, rng)
        shares.append(counts[:, 0] / M)
    shares = np.array(shares)
    within(shares[[0, 9, 49]], np.full(3, p0))  # E[share_g] = p0 at every generation
    final = shares[-1]
    assert np.isin(final, [0.0, 1.0]).mean() > 0.99  # absorbed
    within((final == 1.0).astype(float), T.fixation_probability(p0))
    assert np.all(np.diff((shares == 0).mean(axis=1)) >= 0)  # a lost category never returns


def test_rare_category_is_soon_lost():
    rng = np.random.default_rng(6)
    M = 50
    p = np.array([0.5 / M, 1 / M, 1 - 1.5 / M])  # two categories below or at 1/M
    first = category_draw(np.tile(p, (S, 1)), M, rng)
    within((first[:, :2] == 0).T.astype(float), T.p_category_lost(p[:2], M))
    counts = first
    for _ in range(19):
        counts = category_draw(counts / M, M, rng)
    assert (counts[:, 0] == 0).mean() > 0.8 and (counts[:, 1] == 0).mean() > 0.75


def test_temperature_logit_formula():
    rng = np.random.default_rng(7)
    M, p0, tau, gens = 50_000, 0.3, 0.8, 4
    p = np.tile([p0, 1 - p0], (200, 1))
    logits = []
    for _ in range(gens):
        c = category_draw(p, M, rng, temperature=tau)
        p = c / M
        logits.append(logit(p[:, 0]))
    within(np.array(logits), T.minority_logit(np.arange(1, gens + 1), logit(p0), tau))


# ------------------------------------------------------------------ the real simulator
@pytest.fixture(scope="module")
def normal8():
    rng = np.random.default_rng(11)
    return sk.from_frame(pl.DataFrame({"x": rng.normal(5.0, 2.0, 8)}), "normal8")


def _std_ratio(res):
    t = res.table.filter(pl.col("metric") == "std_ratio").sort(["generation", "seed"])
    g = t["generation"].max()
    return t["value"].to_numpy().reshape(g + 1, -1)  # (generation, seed)


def test_simulator_std_ratio_matches_c4_power(normal8):
    res = sk.collapse.simulate(normal8, "gaussian", generations=8, seeds=300, metrics=["std_ratio"],
                               keep_samples=None, progress=False, random_state=1)
    r = _std_ratio(res)
    assert np.all(r[0] == 1.0)
    within(r[1:], T.expected_std_ratio(np.arange(1, 9), 8))
    within(np.log(r[1:] ** 2), T.expected_log_var(np.arange(1, 9), 8))


def test_simulator_ml_variance_and_temperature(normal8):
    ml = sk.collapse.simulate(normal8, sk.generators.Gaussian(ddof=0), generations=6, seeds=300,
                              metrics=["std_ratio"], keep_samples=None, progress=False, random_state=2)
    g = np.arange(1, 7)
    within(_std_ratio(ml)[1:] ** 2, T.expected_var_ml(g, 1.0, 8))
    hot = sk.collapse.simulate(normal8, "gaussian", temperature=0.7, generations=6, seeds=300,
                               metrics=["std_ratio"], keep_samples=None, progress=False, random_state=3)
    within(_std_ratio(hot)[1:] ** 2, T.expected_cov_temperature(g, 0.7, 1.0))


def test_simulator_minority_share_under_temperature():
    rng = np.random.default_rng(12)
    n = 5000
    grp = np.where(rng.random(n) < 0.3, "a", "b")
    ds = sk.from_frame(pl.DataFrame({"v": rng.normal(size=n), "grp": grp}), "groups", sensitive=["grp"])
    res = sk.collapse.simulate(ds, "gaussian", temperature=0.7, generations=3, seeds=20,
                               metrics=["minority_share"], keep_samples=None, progress=False)
    t = res.table.filter(pl.col("metric") == "minority_share").sort(["generation", "seed"])
    share = t["value"].to_numpy().reshape(4, -1)
    p0 = share[0, 0]
    within(logit(share[1:]), T.minority_logit(np.arange(1, 4), logit(p0), 0.7))
    assert share[3].mean() < expit(logit(p0) / 0.7**2)


def test_simulator_categories_survive_as_expected():
    rng = np.random.default_rng(13)
    M = 60
    cats = np.array(["a"] * 50 + ["b"] * 6 + ["c", "d", "e", "f"])  # four singletons (p = 1/M)
    rng.shuffle(cats)
    ds = sk.from_frame(pl.DataFrame({"v": rng.normal(size=M), "cat": cats}), "cats")
    res = sk.collapse.simulate(ds, "gaussian", generations=1, seeds=300, metrics=["categories"],
                               keep_samples=None, progress=False)
    n_cat = res.table.filter(pl.col("generation") == 1)["value"].to_numpy()
    p = np.array([50, 6, 1, 1, 1, 1]) / M
    within(n_cat, T.expected_categories(p, M))
