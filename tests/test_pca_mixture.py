"""pca_gmm (Gaussian mixture on principal components) and the ``recognised`` collapse metric."""

from __future__ import annotations

import inspect

import numpy as np
import polars as pl
import pytest
from sklearn.base import clone

import synthkit as sk
from synthkit.collapse import CollapseError
from synthkit.collapse.recognised import Recogniser
from synthkit.errors import ConditionError, GeneratorError
from synthkit.generators import available, get, make
from synthkit.generators.base import Generator
from test_generators import check_schema


@pytest.fixture(scope="module")
def digit_gen(digits):
    return make("pca_gmm").fit(digits)


@pytest.fixture(scope="module")
def recogniser(digits):
    return Recogniser(digits, random_state=0)


# ----------------------------------------------------------------- the generator's contract
def test_registered_like_every_family():
    assert "pca_gmm" in available()
    cls = get("pca_gmm")
    assert issubclass(cls, Generator) and cls.name == "pca_gmm" and cls.summary and cls.__doc__
    assert set(cls.key_params) <= set(inspect.signature(cls.__init__).parameters)
    assert sk.generators.PCAMixture is cls
    gen = make("pca_gmm", n_pcs=5)
    assert clone(gen).get_params() == gen.get_params() and gen.get_params()["n_pcs"] == 5


def test_mixed_table_with_missing_values_keeps_the_schema(penguins):
    gen = make("pca_gmm", n_pcs=6, n_components=4).fit(penguins)
    rows = gen.sample(500, random_state=3)
    check_schema(rows, penguins.schema, 500)
    assert rows.equals(gen.sample(500, random_state=3))
    assert not rows.equals(gen.sample(500, random_state=4))
    # missing values come back at about the real rate (sex is missing in ~3 % of penguins)
    assert 0 < rows["sex"].null_count() < 60
    # all three species appear, with roughly the real shares
    shares = rows["species"].value_counts(normalize=True)
    assert shares.height == 3 and shares["proportion"].min() > 0.1


def test_conditions_and_temperature(penguins):
    gen = make("pca_gmm", n_pcs=6, n_components=4).fit(penguins)
    rows = gen.sample(100, random_state=0, conditions={"species": "Gentoo"})
    assert rows["species"].unique().to_list() == ["Gentoo"]
    with pytest.raises(ConditionError, match="numeric"):
        gen.sample(10, conditions={"body_mass_g": 4000})
    cold = make("pca_gmm", n_pcs=6, n_components=4, temperature=0.3).fit(penguins).sample(2000, random_state=0)
    warm = gen.sample(2000, random_state=0)
    assert cold["body_mass_g"].std() < warm["body_mass_g"].std()


@pytest.mark.parametrize("params,match", [(dict(n_pcs=0), "n_pcs"), (dict(n_components=0), "n_components"),
                                          (dict(temperature=0.0), "temperature"),
                                          (dict(n_pcs="many"), "n_pcs")])
def test_bad_parameters_name_themselves(penguins, params, match):
    with pytest.raises(GeneratorError, match=match):
        make("pca_gmm", **params).fit(penguins)


def test_makes_digits_a_real_trained_classifier_recognises(digits, digit_gen, recogniser):
    rows = digit_gen.sample(600, random_state=1)
    check_schema(rows, digits.schema, 600)
    assert recogniser.score(rows) > 0.9
    assert rows["label"].n_unique() == 10
    # the copula cannot model 8x8 digits: its rows are mostly not recognised
    copula = make("copula").fit(digits).sample(600, random_state=1)
    assert recogniser.score(copula) < 0.5


# ----------------------------------------------------------------- the recognised metric
def test_recogniser_scores_real_rows_high_and_shuffled_labels_low(digits, recogniser):
    assert 0.9 < recogniser.real_score < 1.0
    real = digits.frame.head(400)
    assert recogniser.score(real) > 0.95
    shuffled = real.with_columns(pl.Series("label", np.random.default_rng(0).permutation(real["label"])))
    assert recogniser.score(shuffled) < 0.3


def test_recognised_is_opt_in_and_per_generation(digits):
    small = digits.sample(400, random_state=0)
    res = sk.collapse.simulate(small, "pca_gmm", generations=2, n_per_generation=200, progress=False,
                               metrics=["recognised"], keep_samples=None)
    t = res.table.filter(pl.col("metric") == "recognised").sort("generation")
    assert t["generation"].to_list() == [0, 1, 2]
    assert all(0.0 <= v <= 1.0 for v in t["value"])
    assert "recognised" in res.summary().columns
    default = sk.collapse.simulate(small, "pca_gmm", generations=1, n_per_generation=200, progress=False,
                                   keep_samples=None)
    assert "recognised" not in default.metrics()


def test_recognised_needs_a_categorical_target(penguins):
    no_target = sk.from_frame(penguins.features.drop("species"), "no-target")
    res = sk.collapse.simulate(no_target, "gaussian", generations=1, progress=False, metrics=["recognised"],
                               keep_samples=None)
    assert "recognised" not in res.metrics() and any("categorical target" in n for n in res.notes)
    with pytest.raises(CollapseError, match="recognise"):
        sk.collapse.simulate(penguins, "gaussian", generations=1, progress=False, metrics=["recognise"])


def test_keep_recognised_curator_drops_rows_whose_label_disagrees(penguins):
    from synthkit.collapse import curators
    from synthkit.errors import DataError

    rows = penguins.frame.sample(120, seed=0)
    flipped = rows.with_columns(pl.lit("Gentoo").alias("species"))
    kept = curators.apply(curators.keep_recognised(), flipped, penguins)
    truly = rows.filter(pl.col("species") == "Gentoo").height
    assert 0 < kept.height <= truly + 3 and set(kept["species"]) == {"Gentoo"}
    assert curators.apply(curators.keep_recognised(), rows, penguins).height > 110
    no_target = sk.from_frame(penguins.features.drop("species"), "no-target")
    with pytest.raises(DataError, match="categorical target"):
        curators.apply(curators.keep_recognised(), no_target.frame.head(20), no_target)
