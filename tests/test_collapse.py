"""collapse.simulate: API, regimes, metrics, curation, bad input."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit.collapse import CollapseError, curators
from synthkit.generators import Generator
from synthkit.generators.gaussian import Gaussian, moments


def run(data, **kw):
    kw.setdefault("generator", "gaussian")
    kw.setdefault("progress", False)
    return sk.collapse.simulate(data, **kw)


@pytest.fixture(scope="module")
def small(penguins):
    return penguins.sample(120, random_state=3)


# ------------------------------------------------------------------ the result
def test_table_layout_and_generation_zero_is_real(small):
    res = run(small, generations=3, seeds=2, keep_samples=(0, 2))
    t = res.table
    assert t.columns == ["seed", "generation", "metric", "column", "value"]
    assert set(t["seed"].unique()) == {0, 1} and set(t["generation"].unique()) == {0, 1, 2, 3}
    g0 = t.filter(pl.col("generation") == 0)
    assert g0.filter(pl.col("metric") == "std_ratio")["value"].to_list() == pytest.approx([1.0] * 10)
    cats = g0.filter((pl.col("metric") == "categories") & (pl.col("seed") == 0))
    for col, n in zip(cats["column"], cats["value"]):
        assert n == len(small.frame[col].drop_nulls().unique())
    tails = g0.filter(pl.col("metric") == "tail_mass")["value"].to_numpy()
    assert np.all(tails <= 0.04)  # the real rows beyond their own 1 %/99 % quantiles
    share = g0.filter(pl.col("metric") == "minority_share")
    assert share["column"].unique().to_list() == ["sex"]
    # samples: kept generations, every seed, real rows at generation 0
    s = res.samples
    assert s.columns[:3] == ["seed", "generation", "row_id"]
    assert set(zip(s["seed"], s["generation"])) == {(0, 0), (0, 2), (1, 0), (1, 2)}
    assert s.filter(pl.col("generation") == 0)["row_id"].str.starts_with("real:").all()
    assert s.filter(pl.col("generation") == 2).height == 2 * len(small)
    assert s.select(small.schema.columns).schema == small.features.schema


def test_summary_and_plot(small):
    res = run(small, generations=4, seeds=2)
    summ = res.summary()
    assert summ["generation"].to_list()[0] == 0 and summ["generation"].to_list()[-1] == 4
    assert {"std_ratio", "tail_mass", "categories", "minority_share[sex]"} <= set(summ.columns)
    assert summ.filter(pl.col("generation") == 0)["categories"][0] == 8
    fig = res.plot()
    assert len(fig.data) > 0 and fig.layout.title.text
    fig2 = res.plot(metrics=["std_ratio"])
    assert len(fig2.data) < len(fig.data)
    agg = res.aggregate()
    assert set(agg.columns) >= {"generation", "metric", "column", "mean", "q10", "q90", "seeds"}


def test_deterministic_and_seed_dependent(small):
    a = run(small, generations=3, seeds=2, random_state=5)
    b = run(small, generations=3, seeds=2, random_state=5)
    c = run(small, generations=3, seeds=2, random_state=6)
    assert a.table.equals(b.table) and a.samples.equals(b.samples)
    assert not a.table.equals(c.table)


# ------------------------------------------------------------------ regimes
def gaussian_rows(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return sk.from_frame(pl.DataFrame({"x": rng.normal(0, 1, n)}), "norm")


def std_curve(res):
    return (res.table.filter(pl.col("metric") == "std_ratio").group_by("generation")
            .agg(pl.col("value").mean()).sort("generation")["value"].to_numpy())


def test_regimes_order_collapse_speed():
    ds = gaussian_rows(20)
    common = dict(generations=30, seeds=40, metrics=["std_ratio"], keep_samples=None, random_state=2)

    def final(**kw):
        return run(ds, **common, **kw).table.filter(pl.col("generation") == 30)["value"].to_numpy()

    rep = final(regime="replace")
    acc = final(regime="accumulate")
    keep = final(regime="keep_real", real_fraction=0.5)
    # replacement: log sigma is a random walk with negative drift, so the median collapses
    assert np.median(rep) < 0.6
    assert np.median(acc) > 0.9 and np.median(keep) > np.median(rep) + 0.15


@pytest.mark.parametrize("regime,fraction", [("replace", 0.0), ("accumulate", 0.0), ("fresh", 0.2),
                                              ("keep_real", 0.2)])
def test_generation_zero_is_all_the_real_rows_in_every_regime(small, regime, fraction):
    res = run(small, regime=regime, real_fraction=fraction, generations=1, seeds=2,
              metrics=["std_ratio", "categories"])
    g0 = res.table.filter(pl.col("generation") == 0)
    assert g0.filter(pl.col("metric") == "std_ratio")["value"].to_list() == pytest.approx([1.0] * 10)
    real_cats = sum(len(small.frame[c].drop_nulls().unique()) for c in small.schema.categorical)
    assert res.summary(generations=[0])["categories"][0] == real_cats


def test_fresh_draws_new_real_rows_from_a_pool(penguins):
    seen = []

    def spy(rows, ctx):
        seen.append(ctx.generation)
        return np.ones(rows.height, dtype=bool)

    res = run(penguins, regime="fresh", real_fraction=0.25, generations=3, curate=spy, keep_samples=(0,))
    assert res.config["n_per_generation"] == len(penguins) // 2
    assert res.samples.height == len(penguins)  # generation 0 = all the real rows, as in every regime
    assert seen == [1, 2, 3]
    with pytest.raises(CollapseError, match="pool"):
        run(penguins, regime="fresh", real_fraction=0.2, n_per_generation=len(penguins))


def test_accumulate_trains_on_growing_sets(small):
    sizes = []

    class Spy(Gaussian):
        def _fit(self, features, schema):
            sizes.append(features.height)
            super()._fit(features, schema)

    run(small, generator=Spy(), regime="accumulate", generations=3, n_per_generation=50)
    assert sizes == [120, 170, 220]
    sizes.clear()
    run(small, generator=Spy(), regime="keep_real", real_fraction=0.2, generations=3, n_per_generation=50)
    assert sizes == [120, 50, 50]


def test_temperature_is_passed_and_checked(small):
    cold = run(small, generations=5, temperature=0.6, metrics=["std_ratio"], seeds=3)
    assert std_curve(cold)[-1] < 0.35  # 0.6 ** 5 = 0.08 in variance
    with pytest.raises(sk.GeneratorError, match="temperature"):
        run(small, generator="bootstrap", temperature=0.5)
    with pytest.raises(CollapseError, match="temperature"):
        run(small, temperature=0)


def test_generator_instance_is_cloned_not_mutated(small):
    g = Gaussian(ddof=0)
    run(small, generator=g, generations=2)
    assert not g.is_fitted


# ------------------------------------------------------------------ curation
def test_curation_in_the_loop(small):
    res = run(small, generations=3, curate=curators.drop_far_from_real(2.0), seeds=2, keep_samples=(1, 3))
    kept = res.table.filter(pl.col("metric") == "kept_share")["value"].to_numpy()
    assert len(kept) == 6 and np.all((kept > 0) & (kept < 1))
    # more rows are drawn until the generation is full: curation never shrinks the training set
    s = res.samples
    assert s.group_by(["seed", "generation"]).len()["len"].to_list() == [len(small)] * 4
    assert s["row_id"].n_unique() == s.height
    # the callable may return a frame with row ids or a list of ids
    res2 = run(small, generations=2, curate=lambda rows, ctx: rows.head(60))
    assert res2.table.filter(pl.col("metric") == "kept_share")["value"].to_list() == [0.5, 0.5]
    res3 = run(small, generations=2, curate=lambda rows, ctx: rows["row_id"].to_list()[:30])
    assert res3.table.filter(pl.col("metric") == "kept_share")["value"].to_list() == [0.25, 0.25]


def test_curate_dropping_everything_is_an_error(small):
    with pytest.raises(CollapseError, match="dropped every row of generation 1"):
        run(small, generations=2, curate=lambda rows, ctx: rows.head(0))
    with pytest.raises(CollapseError, match="None"):
        run(small, generations=2, curate=lambda rows, ctx: None)


def test_density_curation_holds_variance():
    ds = gaussian_rows(40, seed=4)
    common = dict(generations=15, seeds=8, metrics=["std_ratio"], keep_samples=None, temperature=0.85)
    plain = std_curve(run(ds, **common))
    held = std_curve(run(ds, curate=curators.match_real_density(8), **common))
    assert plain[-1] < 0.4 and held[-1] > plain[-1] + 0.3


def test_balance_groups_repairs_shares(adult_small):
    common = dict(generations=4, temperature=0.8, metrics=["minority_share"], keep_samples=None)
    plain = run(adult_small, **common).table.filter(pl.col("column") == "sex")
    fixed = run(adult_small, curate=curators.balance_groups("sex"), **common).table.filter(
        pl.col("column") == "sex")
    real = plain["value"][0]
    assert plain["value"][-1] < real - 0.1
    assert fixed["value"][-1] == pytest.approx(real, abs=0.01)


def test_from_tags_drops_rows_near_tagged_region(small):
    gentoo = small.frame.filter(pl.col("species") == "Gentoo")
    res = run(small, generator=sk.generators.Bootstrap(noise=0.05), generations=2,
              curate=curators.from_tags(gentoo), keep_samples=(1, 2), metrics=["categories"])
    # rows whose nearest neighbour is a tagged Gentoo row are gone: no Gentoo left
    gen = res.samples.filter(pl.col("generation") >= 1)
    assert (gen["species"] == "Gentoo").mean() < 0.05


def test_from_tags_reads_a_workspace(small, tmp_path):
    ws = sk.Workspace.create(tmp_path / "ws", small)
    gentoo = small.frame.filter(pl.col("species") == "Gentoo")["row_id"].to_list()
    ws.tag(gentoo, "off-manifold")
    res = run(small, generator=sk.generators.Bootstrap(noise=0.05), generations=1,
              curate=curators.from_tags(ws, labels="off-manifold"), keep_samples=(1,), metrics=["categories"])
    assert (res.samples["species"] == "Gentoo").mean() < 0.05
    with pytest.raises(sk.SynthkitError, match="no tagged rows"):
        run(small, generations=1, curate=curators.from_tags(ws, labels="near-copy"))


def test_from_suggest_runs_with_or_without_suggest(small):
    res = run(small, generations=2, curate=curators.from_suggest(), metrics=["std_ratio"])
    assert res.table.filter(pl.col("metric") == "kept_share").height == 2


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("kw, match", [
    (dict(generations=0), "generations=0"),
    (dict(generations=2.5), "generations"),
    (dict(real_fraction=1.5, regime="keep_real"), "outside"),
    (dict(real_fraction=-0.1, regime="fresh"), "outside"),
    (dict(real_fraction=0.2), "only applies"),
    (dict(regime="mix"), "regime"),
    (dict(seeds=0), "seeds"),
    (dict(metrics=["nope"]), "unknown metric"),
    (dict(holdout=1.5), "holdout"),
    (dict(curate="drop"), "callable"),
])
def test_bad_parameters(small, kw, match):
    with pytest.raises(sk.SynthkitError, match=match):
        run(small, **kw)


def test_unknown_generator(small):
    with pytest.raises(sk.GeneratorError):
        run(small, generator="nope")
    with pytest.raises(sk.GeneratorError):
        run(small, generator=42)


class WrongColumns(Generator):
    name = "wrong"

    def _fit(self, features, schema):
        self.cols_ = schema.columns

    def sample(self, n, random_state=None, conditions=None):
        return pl.DataFrame({"something": np.zeros(n)})


class TooFew(Generator):
    name = "toofew"

    def _fit(self, features, schema):
        self.rows_ = features

    def sample(self, n, random_state=None, conditions=None):
        return self.rows_.head(3)


def test_generator_returning_wrong_rows(small):
    with pytest.raises(sk.GeneratorError, match="wrong columns in generation 1"):
        run(small, generator=WrongColumns())
    with pytest.raises(sk.GeneratorError, match="returned 3 rows"):
        run(small, generator=TooFew())


def test_utility_needs_a_holdout_and_notes_say_so(small):
    res = run(small, generations=1, metrics=["utility"])
    assert any("utility" in n for n in res.notes)
    assert res.table.filter(pl.col("metric") == "utility").height == 0


def test_utility_and_coverage_with_a_holdout(penguins):
    res = run(penguins, generations=2, holdout=0.3, metrics=["utility", "coverage"])
    t = res.table
    assert res.config["holdout_rows"] == round(0.3 * len(penguins))
    assert set(t["metric"].unique()) == {"utility", "precision", "recall", "density", "coverage"}
    g0 = dict(t.filter(pl.col("generation") == 0).select("metric", "value").iter_rows())
    assert g0["recall"] == pytest.approx(1.0) and g0["coverage"] == pytest.approx(1.0)
    util = t.filter(pl.col("metric") == "utility")["value"].to_numpy()
    assert util[0] > 0.9 and np.all((util >= 0) & (util <= 1))  # real rows train a good species model


# ------------------------------------------------------------------ the Gaussian generator
def test_gaussian_generator_moments_and_conditions(penguins):
    g = Gaussian().fit(penguins)
    x = penguins.features.select(penguins.schema.numeric).drop_nulls().to_numpy().astype(float)
    mu, cov = moments(x, 1)
    np.testing.assert_allclose(g.mean_, mu)
    np.testing.assert_allclose(g.cov_, np.cov(x, rowvar=False))
    assert np.allclose(Gaussian(ddof=0).fit(penguins).cov_, cov * (len(x) - 1) / len(x))
    s = g.sample(4000, random_state=0)
    assert s.schema == penguins.features.schema
    f = g.sample(50, random_state=1, conditions={"sex": "female"})
    assert (f["sex"] == "female").all()
    sharp = Gaussian(temperature=0.3).fit(penguins).sample(4000, random_state=0)
    top = g.combos_.row(int(np.argmax(g.combo_p_)), named=True)  # the most common combination
    def share(frame):
        return frame.select(pl.all_horizontal([pl.col(c) == v for c, v in top.items()]).mean()).item()
    assert share(sharp) > share(s) + 0.2
    with pytest.raises(sk.GeneratorError):
        Gaussian(ddof=2).fit(penguins)
    with pytest.raises(sk.GeneratorError):
        Gaussian(temperature=-1).fit(penguins)


def test_gaussian_handles_constant_and_collapsed_columns():
    ds = sk.from_frame(pl.DataFrame({"a": [1.0] * 10, "b": np.arange(10.0)}), "c")
    s = Gaussian().fit(ds).sample(100, random_state=0)
    assert (s["a"] == 1.0).all() and s["b"].std() > 0
