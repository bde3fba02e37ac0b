"""Evidence for the answers in notebooks/solutions/ (the workshop's exercises, docs/workshop.md).

Each test is named after its exercise (``test_<part>_<exercise>_...``), runs the answer's calls at
the answer's settings and quotes the sentence it backs. Where an answer compares runs over seeds,
the test asks for a gap of more than two standard errors over those seeds.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit.collapse import curators, theory
from synthkit.summary import FAR


def _per_seed(result, metric: str, generation: int, column: str | None = None) -> np.ndarray:
    """One value per seed: the metric at ``generation`` (averaged over columns unless one is named)."""
    t = result.table.filter(pl.col("metric") == metric, pl.col("generation") == generation)
    if column is not None:
        t = t.filter(pl.col("column") == column)
    return t.group_by("seed").agg(pl.col("value").mean()).sort("seed")["value"].to_numpy()


def _gap_in_se(a: np.ndarray, b: np.ndarray) -> float:
    """(mean a - mean b) in standard errors of the difference."""
    se = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    return float((a.mean() - b.mean()) / se) if se > 0 else float("inf") * np.sign(a.mean() - b.mean())


@pytest.fixture(scope="module")
def penguins():
    return sk.load("penguins")


@pytest.fixture(scope="module")
def part1(penguins):
    m = sk.Map.fit(penguins, random_state=0)
    names = ["copula", "bootstrap", "interpolate", "gmm"]
    batches = {name: sk.generate(penguins, name, n=200, random_state=seed) for seed, name in enumerate(names, start=1)}
    placed = {name: m.place(b) for name, b in batches.items()}
    return m, batches, placed


@pytest.mark.slow
def test_1_1_copies_near_copies_and_far_rows_per_generator(part1):
    """"bootstrap: all 200 rows are exact copies"; "interpolate: no exact copy, but a median distance of
    about 0.3"; "copula: about two thirds of its rows are far"; "gmm ... a few far rows"."""
    m, _, placed = part1
    assert (placed["bootstrap"]["dist_to_real"] == 0).all()
    interp = placed["interpolate"]["dist_to_real"]
    assert (interp > 0).all() and interp.median() < 0.5
    assert 0.55 < (placed["copula"]["dist_to_real"] > FAR).mean() < 0.8
    assert 0 < (placed["gmm"]["dist_to_real"] > FAR).mean() < 0.15


@pytest.mark.slow
def test_1_2_some_real_penguins_are_far_and_gmm_is_about_as_far_as_real(part1):
    """"24 of the 344 real penguins are far"; "gmm's 17/200 (8.5 %) is about as real, copula's two
    thirds is not"."""
    m, _, placed = part1
    real_far = (m.real["dist_to_real"] > FAR).mean()
    assert 0.03 < real_far < 0.12
    assert abs((placed["gmm"]["dist_to_real"] > FAR).mean() - real_far) < 0.05
    assert (placed["copula"]["dist_to_real"] > FAR).mean() > 5 * real_far


@pytest.mark.slow
def test_1_3_curating_far_copula_rows_shifts_the_species_shares(part1, penguins, tmp_path):
    """"Only 65 rows survive, and they are no longer a fair sample: the Adelie share jumps ... and
    Chinstrap falls"."""
    _, batches, placed = part1
    ws = sk.Workspace.create(tmp_path / "ws", penguins)
    bid = ws.add(batches["copula"])
    far = placed["copula"].filter(pl.col("dist_to_real") > FAR)
    ws.tag(far["row_id"], "off-manifold")
    kept = ws.curate(bid, drop=["off-manifold"])
    assert kept.height == 200 - far.height
    share = sk.summary.category_shares
    before, after = share(batches["copula"].frame["species"]), share(kept["species"])
    assert after["Adelie"] > before["Adelie"] + 0.1
    assert after["Chinstrap"] < before["Chinstrap"] / 2


def test_2_1_copula_has_the_best_shape_score_but_all_four_are_close(penguins):
    """"The copula scores highest (0.98) ... All four are within 0.03 of each other"; "gmm is worst on year"."""
    names = ["interpolate", "copula", "gmm", "cart"]
    batches = [sk.generate(penguins, name, n=500, random_state=0) for name in names]
    scores = {n: sk.summary.shape_score(penguins, b) for n, b in zip(names, batches)}
    assert max(scores, key=scores.get) == "copula"
    assert max(scores.values()) - min(scores.values()) < 0.03
    year = sk.summary.column_shapes(penguins, *batches).filter(pl.col("column") == "year").row(0, named=True)
    assert max(names, key=lambda n: year[n]) == "gmm"


def test_2_2_temperature_half_favours_the_common_species(penguins):
    """"At 0.5 the most common species (Adelie) grows ... and the rarest (Chinstrap) shrinks"."""
    def shares(t):
        rows = [sk.summary.category_shares(sk.generate(penguins, "gmm", n=1000, random_state=s, temperature=t)
                                           .frame["species"]) for s in range(5)]
        return (np.array([r["Adelie"] for r in rows]), np.array([r["Chinstrap"] for r in rows]))
    adelie_1, chin_1 = shares(1.0)
    adelie_h, chin_h = shares(0.5)
    assert _gap_in_se(adelie_h, adelie_1) > 2
    assert _gap_in_se(chin_1, chin_h) > 2


def test_2_3_cart_on_dream_makes_only_the_species_living_there(penguins):
    """"Only Adelie and Chinstrap, as in the real rows from Dream"."""
    dream = sk.generate(penguins, "cart", n=200, random_state=0, conditions={"island": "Dream"})
    assert set(dream.frame["species"].unique()) == {"Adelie", "Chinstrap"}


def test_3_1_gmm_batch_is_as_real_on_every_cheap_family(penguins):
    """"None: every status is 'as real'"; the worst subgroup is a handful of rows."""
    gmm = sk.generate(penguins, "gmm", n=300, random_state=1)
    rep = sk.evaluate(penguins, gmm, families=("fidelity", "pairwise", "coverage", "privacy", "subgroup"),
                      random_state=0)
    assert set(rep.headline()["status"].to_list()) == {"as real"}
    worst = rep.summary["subgroup"]["shares"].sort("ratio").row(0, named=True)
    assert worst["n_real"] < 10 and worst["p_value"] > 0.05


def test_3_2_interpolate_leaks_without_exact_copies(penguins):
    """"exact_copy_share is 0, but near_copy_share is 0.66 against a baseline of 0.04"."""
    interp = sk.generate(penguins, "interpolate", n=300, random_state=1)
    rep = sk.evaluate(penguins, interp, families=("privacy",), random_state=0)
    h = {r["metric"]: r for r in rep.headline().iter_rows(named=True)}
    assert h["exact_copy_share"]["value"] == 0
    assert h["near_copy_share"]["status"] == "worse than real"
    assert h["near_copy_share"]["value"] > 5 * h["near_copy_share"]["baseline"]
    kinds = [r.kind for r in sk.suggest(penguins, interp, rep)]
    assert kinds == ["near-copy"]


def test_3_3_no_race_group_is_flagged_on_2000_adult_rows():
    """"no group is flagged: with 13 real and 17 synthetic rows a change that size is what chance gives"."""
    adult = sk.load("adult").sample(2000, random_state=0)
    batch = sk.generate(adult, "copula", n=2000, random_state=2)
    rep = sk.evaluate(adult, batch, families=("subgroup",), random_state=0)
    race = rep.summary["subgroup"]["shares"].filter(pl.col("columns") == "race")
    assert race["ratio"].max() > 1.25
    assert (race["flag"].fill_null("") == "").all()


def test_4_1_ten_rows_per_fit_follow_c4_10_and_shrink_faster_than_twenty():
    """"The simulated mean follows c4(10)^g"; "about 57 % of the spread is left, against 77 % with 20 rows"."""
    normal = sk.from_frame(pl.DataFrame({"x": np.random.default_rng(0).normal(0.0, 1.0, 10)}), "normal-10")
    res = sk.collapse.simulate(normal, "gaussian", generations=20, seeds=300, metrics=["std_ratio"],
                               keep_samples=None, random_state=0, progress=False)
    for g in (1, 5, 10, 20):
        v = _per_seed(res, "std_ratio", g)
        se = v.std(ddof=1) / np.sqrt(len(v))
        assert abs(v.mean() - float(theory.expected_std_ratio(g, 10))) < 2.5 * se, g
    v20 = _per_seed(res, "std_ratio", 20)
    assert v20.mean() + 2 * v20.std(ddof=1) / np.sqrt(len(v20)) < float(theory.expected_std_ratio(20, 20))


def test_4_2_accumulate_keeps_the_spread_and_tails_that_replace_loses(penguins):
    """"Under replace the spread falls to about three quarters ... Under accumulate ... the spread stays at
    about 0.95"; "the 8 categories survive in both"."""
    runs = {r: sk.collapse.simulate(penguins, "copula", regime=r, generations=10, n_per_generation=50, seeds=3,
                                    metrics=["std_ratio", "tail_mass", "categories"], random_state=0,
                                    progress=False)
            for r in ("replace", "accumulate")}
    assert _gap_in_se(_per_seed(runs["accumulate"], "std_ratio", 10), _per_seed(runs["replace"], "std_ratio", 10)) > 2
    assert _gap_in_se(_per_seed(runs["accumulate"], "tail_mass", 10), _per_seed(runs["replace"], "tail_mass", 10)) > 2
    for r in runs.values():
        assert (_per_seed(r, "categories", 10) == _per_seed(r, "categories", 0)).all()


@pytest.fixture(scope="module")
def biased_seed():
    adult = sk.load("adult").sample(4000, random_state=0)
    return adult, sk.collapse.undersample(adult, "sex", "Female", keep=0.1, random_state=0)


def test_5_1_keeping_one_woman_in_ten_leaves_about_five_percent(biased_seed):
    """"Women are 33.5 % of the population sample and 5.1 % of the seed (2,804 rows)"."""
    adult, seed = biased_seed
    assert round(sk.collapse.group_shares(adult, "sex")["Female"], 3) == 0.335
    assert round(sk.collapse.group_shares(seed, "sex")["Female"], 3) == 0.051
    assert len(seed) == 2804


def test_5_3_conditional_sampling_restores_the_share_the_plain_batch_lacks(biased_seed):
    """"The plain batch keeps the seed's bias ...; sampling group by group gives exactly the population's"."""
    adult, seed = biased_seed
    population = sk.collapse.group_shares(adult, "sex")
    gen = sk.generators.make("copula").fit(seed)
    repaired = pl.concat([gen.sample(int(2000 * share), random_state=2, conditions={"sex": group})
                          for group, share in population.items()])
    assert abs(sk.collapse.group_shares(sk.from_frame(repaired), "sex")["Female"] - population["Female"]) < 0.001
    assert sk.collapse.group_shares(sk.from_frame(gen.sample(2000, random_state=1)), "sex")["Female"] < 0.1


def test_5_2_sharpened_share_falls_at_least_as_fast_as_the_closed_form(biased_seed):
    """"the simulation falls at least as fast ... 0 from generation 4"."""
    _, seed = biased_seed
    p0 = sk.collapse.group_shares(seed, "sex")["Female"]
    res = sk.collapse.simulate(seed, "copula", temperature=0.8, generations=5, n_per_generation=1000, seeds=2,
                               metrics=["minority_share"], random_state=0, progress=False)
    for g in (1, 2, 3):
        v = _per_seed(res, "minority_share", g, column="sex")
        assert v.max() <= float(theory.minority_share(g, p0, 0.8)) + 0.005, g
    assert _per_seed(res, "minority_share", 5, column="sex").max() < 0.005


@pytest.fixture(scope="module")
def part6(penguins):
    train, _ = penguins.split(0.75, random_state=0)
    return train, sk.generate(train, "copula", n=600, random_state=1)


def test_6_1_the_tight_rule_keeps_the_fewest_rows(part6):
    """"431, 375 and 210 of 600"; "drop_far_from_real(1.0) ... throws away almost two thirds"."""
    train, batch = part6
    kept = [curators.apply(c, batch, train, random_state=0).height
            for c in (curators.from_suggest(method="rules"), curators.match_real_density(10),
                      curators.drop_far_from_real(1.0))]
    assert kept[0] > kept[1] > kept[2]
    assert kept[2] < 600 * 0.4


def test_6_2_the_tight_rule_shifts_the_species_shares(part6):
    """"Adelie rises from 0.46 to 0.64, Chinstrap falls from 0.16 to 0.06"."""
    train, batch = part6
    tight = curators.apply(curators.drop_far_from_real(1.0), batch, train, random_state=0)
    before, after = (sk.summary.category_shares(f["species"]) for f in (batch.frame, tight))
    assert after["Adelie"] > before["Adelie"] + 0.1
    assert after["Chinstrap"] < before["Chinstrap"] / 2


def test_6_3_a_tight_rule_in_the_loop_speeds_the_collapse(penguins):
    """"With the tight rule in the loop it falls to 0.40"; "Its coverage stays higher than without curation"."""
    train, _ = penguins.split(0.75, random_state=0)
    loop = dict(generations=6, n_per_generation=100, seeds=2, metrics=["std_ratio", "coverage"],
                random_state=0, progress=False)
    plain = sk.collapse.simulate(train, "copula", **loop)
    tight = sk.collapse.simulate(train, "copula", curate=curators.drop_far_from_real(1.0), **loop)
    assert _per_seed(tight, "std_ratio", 6).max() < _per_seed(plain, "std_ratio", 6).min() - 0.2
    assert _per_seed(tight, "coverage", 6).min() > _per_seed(plain, "coverage", 6).max()
