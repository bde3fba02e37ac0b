"""Metric formulas against closed forms, scipy and brute-force reference definitions."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy.spatial.distance import cdist
from scipy.stats import ks_2samp

from synthkit.errors import DataError
from synthkit.metrics import coverage, fidelity, pairwise
from synthkit.metrics._common import boot_mean, metric_row
from synthkit.metrics.coverage import prdc, prdc_rows
from synthkit.metrics.fidelity import ks_complement, tv_complement


def reference_prdc(real, fake, k=5, strict=True, tol=0.0):
    """The published definitions, computed the brute-force way (full distance matrices),
    as the reference ``prdc`` package does (strict ``<``) or with ``<=``; ``tol`` moves the
    radii by a relative amount (ties within rounding count as ties)."""
    cmp = np.less if strict else np.less_equal
    f = (1 - tol) if strict else (1 + tol)
    rr = np.sort(cdist(real, real), axis=1)[:, k] * f  # column 0 is the row itself
    ff = np.sort(cdist(fake, fake), axis=1)[:, k] * f
    d = cdist(real, fake)
    return {
        "precision": cmp(d, rr[:, None]).any(axis=0).mean(),
        "recall": cmp(d, ff[None, :]).any(axis=1).mean(),
        "density": cmp(d, rr[:, None]).sum(axis=0).mean() / k,
        "coverage": cmp(d.min(axis=1), rr).mean(),
    }


# ----------------------------------------------------------------------------- fidelity
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ks_complement_is_one_minus_scipy_statistic(seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=200)
    b = rng.normal(0.3, 1.5, size=150)
    assert ks_complement(a, b) == pytest.approx(1 - ks_2samp(a, b).statistic, abs=1e-12)
    # with ties (integer values) too
    a, b = rng.integers(0, 6, 300), rng.integers(1, 8, 100)
    assert ks_complement(a, b) == pytest.approx(1 - ks_2samp(a, b).statistic, abs=1e-12)


def test_ks_complement_ignores_missing_and_bounds():
    a = pl.Series([1.0, 2.0, None, 3.0])
    assert ks_complement(a, [1.0, 2.0, 3.0]) == 1.0
    assert ks_complement([1, 2, 3], [10, 11]) == 0.0
    with pytest.raises(DataError):
        ks_complement([None], [1.0])


def test_tv_complement_hand_computed():
    # real: a 50%, b 30%, c 20%; synth: a 25%, b 25%, d 50%
    real = ["a"] * 5 + ["b"] * 3 + ["c"] * 2
    synth = ["a", "b", "d", "d"]
    tvd = 0.5 * (abs(0.5 - 0.25) + abs(0.3 - 0.25) + abs(0.2 - 0) + abs(0 - 0.5))
    assert tv_complement(pl.Series(real), pl.Series(synth)) == pytest.approx(1 - tvd)
    assert tv_complement(pl.Series(real), pl.Series(real[::-1])) == pytest.approx(1.0)
    assert tv_complement(pl.Series(["x", "y"]), pl.Series(["z"])) == pytest.approx(0.0)
    # missing is a category of its own
    assert tv_complement(pl.Series(["a", None]), pl.Series(["a", "a"])) == pytest.approx(0.5)


def test_within_support():
    r = pl.Series([0.0, 1.0, 2.0])
    s = pl.Series([-1.0, 0.5, 2.0, 3.0, None])
    assert fidelity.within_support(r, s, "numeric").tolist() == [False, True, True, False]
    rc, sc = pl.Series(["a", "b"]), pl.Series(["a", "c", "b", "b"])
    assert fidelity.within_support(rc, sc, "categorical").mean() == 0.75


def test_correlation_similarity_closed_form():
    rng = np.random.default_rng(3)
    x = rng.normal(size=500)
    y = 0.8 * x + rng.normal(size=500)
    xs = rng.normal(size=400)
    ys = -xs + 0.1 * rng.normal(size=400)
    rr, rs = np.corrcoef(x, y)[0, 1], np.corrcoef(xs, ys)[0, 1]
    assert pairwise.correlation_similarity(x, y, xs, ys) == pytest.approx(1 - abs(rr - rs) / 2)
    assert pairwise.correlation_similarity(x, y, x, y) == pytest.approx(1.0)


def test_contingency_similarity_hand_computed():
    real = pl.DataFrame({"a": ["x", "x", "y", "y"], "b": ["p", "q", "p", "q"]})
    synth = pl.DataFrame({"a": ["x", "x"], "b": ["p", "p"]})
    # real cells 1/4 each, synth (x,p) = 1: TVD = 1/2 (3/4 + 3 * 1/4) = 3/4
    assert pairwise.contingency_similarity(real, synth) == pytest.approx(0.25)


# ----------------------------------------------------------------------------- PRDC
def test_prdc_hand_checked_1d():
    # real points 0, 1, 2, 3 on a line, k = 1: every real radius is 1
    real = np.array([[0.0], [1.0], [2.0], [3.0]])
    fake = np.array([[0.5], [3.9], [10.0]])
    # fake radii (k = 1): 3.4, 3.4, 6.1
    # precision: 0.5 inside (|0.5-0| <= 1), 3.9 inside ball of 3, 10 not -> 2/3
    # density: 0.5 is in the balls of 0 and 1 (2); 3.9 in the ball of 3 (1); 10 in none -> 3 / (1 * 3)
    # recall: every real row lies within 3.4 of 0.5 or 3.9 -> 1
    # coverage: real 0, 1 have 0.5 within 1; 2 has nothing within 1 (0.5 at 1.5, 3.9 at 1.9); 3 has 3.9 -> 3/4
    got = prdc(real, fake, k=1)
    assert got == pytest.approx({"precision": 2 / 3, "recall": 1.0, "density": 1.0, "coverage": 0.75})
    assert got == pytest.approx(reference_prdc(real, fake, k=1, strict=False))


@pytest.mark.parametrize("seed,dim,k", [(0, 2, 5), (1, 5, 3), (2, 12, 5), (3, 30, 4)])
def test_prdc_matches_brute_force_on_random_data(seed, dim, k):
    rng = np.random.default_rng(seed)
    real = rng.normal(size=(300, dim))
    fake = rng.normal(0.2, 1.3, size=(240, dim))
    ours = prdc(real, fake, k=k)
    assert ours == pytest.approx(reference_prdc(real, fake, k, strict=False), abs=1e-12)
    # no ties in continuous data: the reference's strict < gives the same numbers
    assert prdc(real, fake, k=k, strict=True) == pytest.approx(reference_prdc(real, fake, k, strict=True))
    assert ours == pytest.approx(reference_prdc(real, fake, k, strict=True), abs=1e-12)


def test_compact_blocks_give_exact_distances(monkeypatch):
    import synthkit as sk
    from synthkit.metrics import _neighbors

    ds = sk.load("penguins")
    X = sk.Encoder().fit(ds).transform(ds).astype(np.float64)
    groups = _neighbors.blocks(X)
    # 5 numeric columns, then one block per categorical (island, sex with missing, species)
    assert len(groups) == len(ds.schema.numeric) + len(ds.schema.categorical)
    real, fake = X[:200], X[200:] + np.r_[np.full(5, 0.1), np.zeros(X.shape[1] - 5)]
    d, i = _neighbors.knn(real, 3, fake)
    np.testing.assert_allclose(d, np.sort(cdist(fake, real), axis=1)[:, :3], atol=1e-9)
    auto = prdc(real, fake)
    assert auto == pytest.approx(reference_prdc(real, fake, 5, strict=False))
    # one block per column gives the same numbers
    monkeypatch.setattr(_neighbors, "blocks", lambda *m: [np.array([j]) for j in range(m[0].shape[1])])
    assert prdc(real, fake) == pytest.approx(auto, abs=1e-12)


def test_prdc_on_discrete_data_with_many_equal_distances():
    """Encoded adult rows: many different pairs are equally far apart; ties are decided the
    same way whatever the summation order (within a relative 1e-9)."""
    import synthkit as sk

    ds = sk.load("adult").sample(1400, random_state=3)
    real, other = ds.split(0.5, random_state=0)
    enc = sk.Encoder().fit(real)
    R, S = enc.transform(real).astype(np.float64), enc.transform(other).astype(np.float64)
    S[::3, 0] += 0.5  # shift some synthetic ages
    for strict in (False, True):
        assert prdc(R, S, strict=strict) == pytest.approx(reference_prdc(R, S, 5, strict, tol=5e-10), abs=1e-12)


def test_prdc_identical_sets_with_duplicates_ties():
    rng = np.random.default_rng(4)
    # few distinct points: every k-NN radius is 0 (many duplicates)
    real = rng.integers(0, 2, size=(200, 3)).astype(float)
    ours = prdc(real, real.copy())
    assert ours["precision"] == ours["recall"] == ours["coverage"] == 1.0
    # the reference's strict < makes an identical copy score 0
    strict = prdc(real, real.copy(), strict=True)
    assert strict == pytest.approx(reference_prdc(real, real, 5, strict=True))
    assert strict["precision"] == strict["coverage"] == 0.0
    assert ours == pytest.approx(reference_prdc(real, real, 5, strict=False))


def test_prdc_identical_and_disjoint_continuous():
    rng = np.random.default_rng(6)
    real = rng.normal(size=(150, 3))
    same = prdc(real, real.copy())
    assert same["precision"] == same["recall"] == same["coverage"] == 1.0
    far = prdc(real, real + 100.0)
    assert far == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_prdc_rows_agree_with_scores():
    rng = np.random.default_rng(7)
    real, fake = rng.normal(size=(120, 3)), rng.normal(size=(90, 3))
    r = prdc_rows(real, fake)
    d = cdist(fake, real)
    np.testing.assert_allclose(r.cross.d1, d.min(axis=1), atol=1e-9)
    np.testing.assert_array_equal(r.cross.i1, d.argmin(axis=1))
    np.testing.assert_allclose(r.cross.d2, np.sort(d, axis=1)[:, 1], atol=1e-9)
    rr = cdist(real, real)
    np.fill_diagonal(rr, np.inf)
    np.testing.assert_allclose(r.real_nn_dist, rr.min(axis=1), atol=1e-9)


def test_prdc_bad_inputs():
    with pytest.raises(DataError, match="same number of columns"):
        prdc(np.zeros((10, 2)), np.zeros((10, 3)))
    with pytest.raises(DataError, match="at least 6 rows"):
        prdc(np.zeros((5, 2)), np.zeros((10, 2)))
    with pytest.raises(DataError, match="NaN"):
        prdc(np.full((10, 2), np.nan), np.zeros((10, 2)))
    with pytest.raises(DataError, match="k="):
        coverage.prdc(np.zeros((10, 2)), np.zeros((10, 2)), k=0)


# ----------------------------------------------------------------------------- bootstrap
def test_boot_mean_is_centred_and_interval_contains_value():
    rng = np.random.default_rng(8)
    flags = rng.random(1000) < 0.3
    reps = boot_mean(flags, 400, np.random.default_rng(0))
    assert abs(reps.mean() - flags.mean()) < 0.01
    assert reps.std() == pytest.approx(np.sqrt(0.3 * 0.7 / 1000), rel=0.2)
    row = metric_row("f", "m", None, float(flags.mean()), reps, None, "higher")
    assert row["ci_low"] < flags.mean() < row["ci_high"]


def test_within_support_with_no_real_values():
    real = pl.Series("x", [None, None], dtype=pl.Float64)
    synth = pl.Series("x", [1.0, None, 2.0])
    assert fidelity.within_support(real, synth, "numeric").tolist() == [False, False]
    assert fidelity.within_support(real.cast(pl.String), synth.cast(pl.String), "categorical").tolist() == [False, False]
