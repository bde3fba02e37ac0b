"""Evidence for the sentences of notebooks/01_generators.ipynb, at the notebook's own settings.

Each test is named after the notebook's section and quotes the sentence it backs.
"""

from __future__ import annotations

import polars as pl
import pytest

import synthkit as sk

NAMES = ["bootstrap", "interpolate", "copula", "gmm", "cart"]


@pytest.fixture(scope="module")
def seeded():
    ds = sk.load("penguins")
    return ds, [sk.generate(ds, name, n=500, random_state=0) for name in NAMES]


@pytest.mark.slow
def test_how_far_the_copula_scores_best_and_bootstrap_comes_close_by_copying(seeded):
    """"The copula ... scores best; bootstrap comes within a hair of it without modelling anything"."""
    ds, batches = seeded
    scores = {n: sk.summary.shape_score(ds, b) for n, b in zip(NAMES, batches)}
    assert max(scores, key=scores.get) == "copula", scores
    assert scores["copula"] - scores["bootstrap"] < 0.02, scores
    assert scores["bootstrap"] >= sorted(scores.values())[-3], "bootstrap is among the best three"


@pytest.mark.slow
def test_temperature_below_1_gives_less_spread_and_common_categories_more_weight():
    """"With the temperature below 1 the copula pulls numbers towards their medians and gives the
    most common categories more weight: less spread"."""
    ds = sk.load("penguins")
    runs = {t: sk.generate(ds, "copula", n=1000, random_state=0, temperature=t).frame for t in (1.0, 0.5, 0.2)}
    top = ds.frame["species"].value_counts(sort=True)["species"][0]
    sd = {t: f["body_mass_g"].std() for t, f in runs.items()}
    share = {t: (f["species"] == top).mean() for t, f in runs.items()}
    assert sd[1.0] > sd[0.5] > sd[0.2]
    assert share[1.0] < share[0.5] < share[0.2]


@pytest.mark.slow
def test_conditional_sampling_torgersen_holds_only_adelie_and_impossible_conditions_raise():
    """"only Adelie penguins live on Torgersen, and so do the synthetic ones"; "A condition no real
    row meets raises a clear ConditionError"."""
    ds = sk.load("penguins")
    assert set(ds.frame.filter(pl.col("island") == "Torgersen")["species"]) == {"Adelie"}
    torgersen = sk.generate(ds, "cart", n=200, random_state=0, conditions={"island": "Torgersen"})
    assert set(torgersen.features["island"]) == {"Torgersen"} and set(torgersen.features["species"]) == {"Adelie"}
    with pytest.raises(sk.ConditionError):
        sk.generate(ds, "cart", n=10, conditions={"species": "Gentoo", "island": "Dream"})


@pytest.mark.slow
def test_take_away_every_generator_keeps_the_schema(seeded):
    """"Every generator keeps the schema: the same columns and types, categories only from the real
    set, integers stay integers, numbers inside the real range"."""
    ds, batches = seeded
    real = ds.frame.drop("row_id")
    for name, b in zip(NAMES, batches):
        f = b.features
        assert f.columns == real.columns and f.dtypes == real.dtypes, name
        for c in ds.schema.categorical:
            assert set(f[c].drop_nulls()) <= set(real[c].drop_nulls()), (name, c)
        for c in ds.schema.numeric:
            lo, hi = real[c].min(), real[c].max()
            assert f[c].drop_nulls().is_between(lo, hi).all(), (name, c)
