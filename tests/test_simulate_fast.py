"""collapse.simulate's numpy path for the closed-form generators returns exactly what the
per-seed frame path returns: same table, same kept samples, same notes, bit for bit."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import synthkit as sk
from synthkit.collapse import _fast
from synthkit.collapse.simulate import _plan
from synthkit.generators import Bootstrap, Gaussian, GaussianCopula
from synthkit.generators._columns import columns_frame, finalize_columns, frame_columns

CORE = ["std_ratio", "tail_mass", "categories", "minority_share"]
REGIMES = [("replace", 0.0), ("accumulate", 0.0), ("fresh", 0.3), ("keep_real", 0.3)]


def both(data, **kw):
    kw.setdefault("progress", False)
    kw.setdefault("metrics", CORE)
    fast = sk.collapse.simulate(data, fast=True, **kw)
    slow = sk.collapse.simulate(data, fast=False, **kw)
    assert_frame_equal(fast.table, slow.table, check_exact=True)
    assert_frame_equal(fast.samples, slow.samples, check_exact=True)
    assert fast.notes == slow.notes
    assert fast.config == slow.config
    return fast


@pytest.fixture(scope="module")
def small(penguins):
    return penguins.sample(150, random_state=5)


@pytest.fixture(scope="module")
def normal20():
    return sk.from_frame(pl.DataFrame({"x": np.random.default_rng(0).normal(0.0, 1.0, 20)}), "normal-20")


@pytest.mark.parametrize("generator", ["gaussian", "copula", "bootstrap"])
@pytest.mark.parametrize("regime,fraction", REGIMES)
def test_fast_path_equals_per_seed_path(small, generator, regime, fraction):
    res = both(small, generator=generator, regime=regime, real_fraction=fraction, generations=5, seeds=3,
               n_per_generation=60, keep_samples=(0, 2, 5), random_state=4)
    # the run really took place: every seed and generation, with nulls and categories in the samples
    assert res.table["seed"].n_unique() == 3 and res.table["generation"].max() == 5
    assert res.samples.filter(pl.col("generation") == 5).height == 3 * 60


def test_fast_path_equals_per_seed_path_with_temperature_noise_and_ddof(small):
    both(small, generator="gaussian", temperature=0.7, generations=4, seeds=2)
    both(small, generator=Gaussian(ddof=0), generations=4, seeds=2)
    both(small, generator=GaussianCopula(temperature=0.8), generations=4, seeds=2)
    both(small, generator=Bootstrap(noise=0.2), generations=4, seeds=2, regime="fresh", real_fraction=0.5,
         n_per_generation=40)  # a pool of 110 rows, 20 per generation: it wraps, and the note says so


def test_fast_path_many_seeds_one_column(normal20):
    res = both(normal20, generator="gaussian", generations=30, seeds=40, metrics=["std_ratio"], keep_samples=None)
    assert res.table.height == 40 * 31


def test_fast_path_with_the_frame_metrics(small):
    # coverage and utility need frames: the fast path builds them for those metrics only
    both(small, generator="copula", generations=2, seeds=2, metrics=["std_ratio", "coverage", "utility"],
         holdout=0.2)


def test_fast_path_on_a_categorical_only_and_a_numeric_only_frame():
    rng = np.random.default_rng(3)
    cats = sk.from_frame(pl.DataFrame({"a": rng.choice(["x", "y", "z"], 80, p=[0.7, 0.2, 0.1]),
                                       "b": rng.choice(["u", "v"], 80)}), "cats", sensitive=["a"])
    for g in ("gaussian", "copula", "bootstrap"):
        both(cats, generator=g, generations=6, seeds=3)
    nums = sk.from_frame(pl.DataFrame({"u": rng.normal(size=50), "v": rng.integers(0, 9, 50)}), "nums")
    for g in ("gaussian", "copula", "bootstrap"):
        both(nums, generator=g, generations=6, seeds=3, regime="accumulate")


def test_which_runs_take_the_fast_path(small):
    def plan(**kw):
        args = dict(generator="gaussian", generations=2, n_per_generation=None, regime="replace",
                    real_fraction=0.0, temperature=1.0, curate=None, seeds=1, random_state=0,
                    keep_samples=None, metrics=None, holdout=None)
        args.update(kw)
        return _plan(small, *args.values())

    assert _fast.fast_path(plan())
    assert _fast.fast_path(plan(generator="copula")) and _fast.fast_path(plan(generator="bootstrap"))
    assert not _fast.fast_path(plan(generator="cart"))
    assert not _fast.fast_path(plan(curate=lambda rows, ctx: rows))

    class Sub(Gaussian):
        pass

    assert not _fast.fast_path(plan(generator=Sub()))


def test_fast_flag_is_checked(small):
    with pytest.raises(sk.collapse.CollapseError, match="fast"):
        sk.collapse.simulate(small, "gaussian", generations=1, fast="yes", progress=False)


@pytest.mark.parametrize("cls", [Gaussian, GaussianCopula, Bootstrap])
def test_columns_methods_match_the_frame_methods(penguins, cls):
    gen = cls().fit(penguins)
    other = cls()
    other.schema_ = penguins.schema
    other._fit_columns(frame_columns(penguins.features, penguins.schema), penguins.schema)
    frame = gen.sample(200, random_state=9)
    cols = finalize_columns(other._sample_columns(200, np.random.default_rng(9)), penguins.schema)
    assert_frame_equal(columns_frame(cols, penguins.schema), frame, check_exact=True)


# ------------------------------------------------------------------ the Gaussian, all seeds together
@pytest.fixture(scope="module")
def numeric3():
    rng = np.random.default_rng(8)
    return sk.from_frame(pl.DataFrame({"a": rng.normal(5.0, 2.0, 90), "b": rng.gamma(2.0, 3.0, 90),
                                       "c": rng.integers(0, 40, 90)}), "numeric3")


def _batched(data, **kw):
    args = dict(generator="gaussian", generations=2, n_per_generation=None, regime="replace",
                real_fraction=0.0, temperature=1.0, curate=None, seeds=2, random_state=0,
                keep_samples=None, metrics=CORE, holdout=None)
    args.update(kw)
    plan = _plan(data, *args.values())
    from synthkit.collapse.simulate import _Reference

    return _fast._batchable(plan, _Reference(plan.ds, plan.metrics, plan.test, 0, []))


@pytest.mark.parametrize("regime,fraction", REGIMES)
def test_all_seeds_together_equals_per_seed_path(numeric3, normal20, regime, fraction):
    assert _batched(numeric3, regime=regime, real_fraction=fraction)
    both(numeric3, generator="gaussian", regime=regime, real_fraction=fraction, generations=6, seeds=7,
         n_per_generation=40, keep_samples=(0, 1, 6), random_state=11)
    both(normal20, generator="gaussian", regime=regime, real_fraction=fraction, generations=8, seeds=25,
         n_per_generation=12 if regime == "fresh" else None, metrics=["std_ratio"], keep_samples=None)


def test_all_seeds_together_with_temperature_ddof_and_a_wrapping_pool(numeric3):
    both(numeric3, generator=Gaussian(ddof=0, temperature=0.8), generations=5, seeds=4, n_per_generation=30)
    res = both(numeric3, generator="gaussian", regime="fresh", real_fraction=0.9, n_per_generation=60,
               generations=6, seeds=3)  # a pool of 30 rows, 54 fresh rows per generation
    assert any("pool was used up" in n for n in res.notes)


def test_which_gaussian_runs_go_all_seeds_together(numeric3, small):
    assert _batched(numeric3)
    assert not _batched(small)  # categorical columns and missing values: per seed
    assert not _batched(numeric3, metrics=["std_ratio", "coverage"])  # coverage needs frames
    assert not _batched(numeric3, n_per_generation=2)  # a fit on 2 rows imputes


def test_pcg64_states_are_numpys():
    seeds = np.array([0, 1, 2, 12345, 2**31 - 1, 2**32 - 1, *np.random.default_rng(0).integers(2**31, size=50)])
    for s, (state, inc) in zip(seeds, _fast.pcg64_states(seeds)):
        assert np.random.default_rng(int(s)).bit_generator.state["state"] == {"state": state, "inc": inc}
    z = _fast._Streams().standard_normal(seeds, (3, 2))
    for s, zi in zip(seeds, z):
        np.testing.assert_array_equal(zi, np.random.default_rng(int(s)).standard_normal((3, 2)))


def test_redrawn_real_rows_take_the_same_draws(small, numeric3):
    for g in ("gaussian", "copula", "bootstrap"):
        both(small, generator=g, regime="keep_real", real_fraction=0.2, redraw_real=True, generations=4, seeds=3,
             n_per_generation=50, keep_samples=(4,))
    both(numeric3, generator="gaussian", regime="keep_real", real_fraction=0.2, redraw_real=True, generations=5,
         seeds=6)  # all seeds together
