"""Side-by-side summaries and marginal distances, against reference formulas."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest
from scipy.stats import ks_2samp

import synthkit as sk
from synthkit.summary import column_shapes, compare, ks_distance, shape_score, source_names, tv_distance


def test_ks_matches_scipy():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=300), rng.normal(0.3, 1.2, size=200)
    assert ks_distance(pl.Series(a), pl.Series(b)) == pytest.approx(ks_2samp(a, b).statistic)
    # a gap in missing rates counts when it is larger than the KS statistic
    x = pl.Series([1.0, 2.0, 3.0, None, None, None])
    assert ks_distance(x, pl.Series([1.0, 2.0, 3.0])) == pytest.approx(0.5)


def test_tv_reference():
    a = pl.Series(["x", "x", "y", None])
    b = pl.Series(["x", "y", "y", "z"])
    # shares a: x .5 y .25 missing .25; b: x .25 y .5 z .25
    assert tv_distance(a, b) == pytest.approx(0.5 * (0.25 + 0.25 + 0.25 + 0.25))
    assert tv_distance(a, a) == 0


def test_compare_table(penguins):
    batch = sk.generate(penguins, "copula", n=300, random_state=0)
    table = compare(penguins, batch, penguins.features, names=["copula", "itself"])
    assert table.columns == ["column", "statistic", "real", "copula", "itself"]
    assert table["real"].equals(table["itself"], check_names=False)
    mean = table.filter((pl.col("column") == "body_mass_g") & (pl.col("statistic") == "mean"))
    assert mean["real"][0] == round(penguins.features["body_mass_g"].mean(), 2)
    shares = table.filter(pl.col("column") == "sex")
    assert shares["statistic"].to_list() == ["share female", "share male", "share (missing)"]
    assert shares["real"].sum() == pytest.approx(1.0, abs=0.02)
    auto = compare(penguins, batch, sk.generate(penguins, "copula", n=10, random_state=1))
    assert auto.columns[2:] == ["real", "copula", "copula (2)"]


def test_shapes_and_score(penguins):
    same = shape_score(penguins, penguins.features)
    assert same == pytest.approx(1.0)
    batch = sk.generate(penguins, "copula", n=500, random_state=0)
    assert 0.85 < shape_score(penguins, batch) < 1.0
    table = column_shapes(penguins, batch)
    assert table["metric"].to_list() == ["ks" if c in penguins.schema.numeric else "tv"
                                         for c in penguins.schema.columns]


def test_errors(penguins):
    with pytest.raises(sk.DataError, match="synthetic"):
        compare(penguins)
    with pytest.raises(sk.DataError, match="names"):
        compare(penguins, penguins.features, names=["a", "b"])
    with pytest.raises(sk.SchemaError, match="island"):
        compare(penguins, penguins.features.drop("island"))
    with pytest.raises(sk.SchemaError, match="wingspan"):
        column_shapes(penguins, penguins.features, columns=["wingspan"])


def test_source_names_must_be_distinct_table_columns(penguins):
    """A repeated or reserved name would overwrite another column of the table."""
    with pytest.raises(sk.DataError, match="'x'"):
        compare(penguins, penguins.features, penguins.features, names=["x", "x"])
    with pytest.raises(sk.DataError, match="'real'"):
        compare(penguins, penguins.features, names=["real"])
    assert source_names([penguins, penguins]) == ["synthetic 1", "synthetic 2"]
    named_real = SimpleNamespace(provenance=SimpleNamespace(generator="real"))
    assert source_names([named_real, named_real]) == ["real (2)", "real (3)"]
