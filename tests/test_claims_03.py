"""Evidence for the sentences of notebooks/03_model_collapse.ipynb, at the notebook's settings.

Each test is named after the notebook section whose sentence it checks; "A above B" means
by more than two standard errors over the notebook's seeds.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.neighbors import NearestNeighbors

import synthkit as sk
from synthkit.collapse import per_seed, standard_error, theory

GEN = "copula"
REGIMES = {"replace": 0.0, "accumulate": 0.0, "fresh": 0.3, "keep_real": 0.3}


def above(a: np.ndarray, b: np.ndarray) -> bool:
    """Mean of ``a`` exceeds mean of ``b`` by more than two standard errors (independent seeds)."""
    se = np.hypot(standard_error(a), standard_error(b))
    return float(np.mean(a) - np.mean(b)) > 2 * se


def paired_above(a: np.ndarray, b: np.ndarray) -> bool:
    """Same seeds: the mean per-seed difference exceeds two standard errors."""
    d = np.asarray(a) - np.asarray(b)
    return float(np.mean(d)) > 2 * standard_error(d)


# ----------------------------------------------------------------- the notebook's runs
@pytest.fixture(scope="module")
def gauss():
    normal = sk.from_frame(pl.DataFrame({"x": np.random.default_rng(0).normal(0.0, 1.0, 20)}), "normal-20")
    return sk.collapse.simulate(normal, "gaussian", generations=30, seeds=300, metrics=["std_ratio"],
                                keep_samples=None, progress=False)


@pytest.fixture(scope="module")
def penguin_runs(penguins):
    return {r: sk.collapse.simulate(penguins, GEN, regime=r, real_fraction=f, generations=20, n_per_generation=100,
                                    seeds=16, progress=False) for r, f in REGIMES.items()}


@pytest.fixture(scope="module")
def adult_runs(adult):
    small = adult.sample(2000, random_state=0)
    return {r: sk.collapse.simulate(small, GEN, regime=r, real_fraction=f, generations=10, n_per_generation=500,
                                    seeds=10, metrics=["std_ratio", "categories"], keep_samples=None,
                                    progress=False) for r, f in REGIMES.items()}


@pytest.fixture(scope="module")
def digit_run(digits):
    return sk.collapse.simulate(digits, "pca_gmm", generations=10, n_per_generation=300, seeds=4,
                                keep_samples=(0, 1, 5, 10), metrics=["std_ratio", "tail_mass", "recognised"],
                                progress=False)


# ----------------------------------------------------------------- section 1
def test_s1_gaussian_mean_follows_c4_closed_form(gauss):
    for g in (1, 5, 10, 20, 30):
        v = per_seed(gauss, "std_ratio", g)
        assert abs(v.mean() - theory.expected_std_ratio(g, 20)) < 2 * standard_error(v), g


def test_s1_median_run_has_lost_over_a_third_of_its_spread_by_generation_30(gauss):
    v = per_seed(gauss, "std_ratio", 30)
    assert np.median(v) < 2 / 3
    assert np.median(v) < v.mean()  # the typical run ends lower than the mean


# ----------------------------------------------------------------- section 2
def test_s2_every_regime_starts_at_the_real_rows(penguin_runs):
    for r, res in penguin_runs.items():
        assert per_seed(res, "std_ratio", 0) == pytest.approx(np.ones(16)), r


def test_s2_replace_falls_to_about_three_quarters_of_the_spread(penguin_runs):
    v = per_seed(penguin_runs["replace"], "std_ratio", 20)
    assert v.mean() + 2 * standard_error(v) < 0.85 and v.mean() - 2 * standard_error(v) > 0.6


def test_s2_regimes_with_real_rows_end_above_replace_and_their_bands_separate(penguin_runs):
    rep = per_seed(penguin_runs["replace"], "std_ratio", 20)
    for r in ("accumulate", "fresh", "keep_real"):
        v = per_seed(penguin_runs[r], "std_ratio", 20)
        assert above(v, rep), r
        assert np.quantile(v, 0.1) > np.quantile(rep, 0.9), r  # the figure's bands do not overlap


def test_s2_accumulate_stays_closest_to_one(penguin_runs):
    acc = per_seed(penguin_runs["accumulate"], "std_ratio", 20)
    assert abs(acc.mean() - 1) < 2 * standard_error(acc) + 0.03
    for r in ("fresh", "keep_real"):
        assert abs(acc.mean() - 1) < abs(per_seed(penguin_runs[r], "std_ratio", 20).mean() - 1), r


def test_s2_fresh_and_keep_real_level_off(penguin_runs):
    for r in ("fresh", "keep_real"):
        g10, g20 = (per_seed(penguin_runs[r], "std_ratio", g) for g in (10, 20))
        assert not paired_above(g10, g20), r  # no further significant loss from generation 10 to 20


# ----------------------------------------------------------------- section 3
def test_s3_a_quarter_of_adult_categories_is_missing_at_generation_1_in_every_regime(adult_runs):
    for r, res in adult_runs.items():
        assert per_seed(res, "categories", 0)[0] == 99
        g1 = per_seed(res, "categories", 1)
        assert 65 < g1.mean() < 85, r


def test_s3_replace_keeps_losing_categories(adult_runs):
    rep = adult_runs["replace"]
    assert paired_above(per_seed(rep, "categories", 1), per_seed(rep, "categories", 10))


def test_s3_regimes_with_real_rows_end_with_more_categories_than_replace(adult_runs):
    rep = per_seed(adult_runs["replace"], "categories", 10)
    acc = adult_runs["accumulate"]
    for r in ("accumulate", "fresh", "keep_real"):
        assert above(per_seed(adult_runs[r], "categories", 10), rep), r
        if r != "accumulate":
            assert above(per_seed(acc, "categories", 10), per_seed(adult_runs[r], "categories", 10)), r
    # accumulate keeps generation 1's count
    d = per_seed(acc, "categories", 10) - per_seed(acc, "categories", 1)
    assert abs(d.mean()) < 2 * standard_error(d) + 2


# ----------------------------------------------------------------- section 5
def test_s5_replace_rows_move_away_from_the_real_rows(penguin_runs, penguins):
    res = penguin_runs["replace"]
    enc = sk.Encoder().fit(penguins)
    nn = NearestNeighbors(n_neighbors=1).fit(enc.transform(penguins))
    med = {}
    for g in (5, 20):
        rows = res.samples.filter(pl.col("generation") == g)
        med[g] = np.array([np.median(nn.kneighbors(enc.transform(rows.filter(pl.col("seed") == s)))[0])
                           for s in range(16)])
    assert paired_above(med[20], med[5])


# ----------------------------------------------------------------- section 6
def test_s6_copula_generation_1_digits_are_mostly_not_recognised(digits):
    res = sk.collapse.simulate(digits, "copula", generations=1, n_per_generation=300, metrics=["recognised"],
                               keep_samples=None, progress=False)
    assert per_seed(res, "recognised", 1)[0] < 0.5


def test_s6_pca_gmm_generation_1_is_recognised_like_real_digits(digit_run):
    g1 = per_seed(digit_run, "recognised", 1)
    real = per_seed(digit_run, "recognised", 0)[0]
    assert g1.mean() - 2 * standard_error(g1) > 0.9
    assert g1.mean() > real - 0.05


def test_s6_generation_1_has_about_three_quarters_of_the_pixel_spread(digit_run):
    v = per_seed(digit_run, "std_ratio", 1)
    assert 0.65 < v.mean() < 0.85


def test_s6_recursion_then_lowers_spread_and_recognition(digit_run):
    for metric in ("std_ratio", "recognised"):
        assert paired_above(per_seed(digit_run, metric, 1), per_seed(digit_run, metric, 10)), metric
