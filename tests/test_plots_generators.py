"""Marginal overlay figures: one panel per column, real in grey, sources in order."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

import synthkit as sk
from synthkit.plots import COLORS, REAL_COLOR
from synthkit.plots.generators import marginals


def test_marginals_penguins(penguins):
    a = sk.generate(penguins, "copula", n=200, random_state=0)
    b = sk.generate(penguins, "cart", n=100, random_state=0)
    fig = marginals(penguins, a, b, title="t")
    assert isinstance(fig, go.Figure)
    titles = [ann.text for ann in fig.layout.annotations]
    assert titles == list(penguins.schema.columns)
    # one real trace + one per source in every panel
    assert len(fig.data) == 3 * len(penguins.schema.columns)
    legend = [t.name for t in fig.data if t.showlegend]
    assert legend == ["real", "copula", "cart"]
    real_bars = [t for t in fig.data if t.name == "real"]
    assert all(t.marker.color == REAL_COLOR for t in real_bars)
    assert {t.marker.color for t in fig.data if t.name == "copula" and t.type == "bar"} == {COLORS[0]}
    # heights are shares of each source's rows
    species = [t for t in fig.data if t.type == "bar" and t.xaxis == "x"]
    for t in species:
        assert sum(t.y) == pytest.approx(1.0)
    assert list(species[0].x) == ["Adelie", "Chinstrap", "Gentoo"]
    sex = next(t for t in fig.data if t.name == "real" and t.x is not None and "(missing)" in list(t.x))
    assert sex.y[-1] == pytest.approx(penguins.features["sex"].null_count() / len(penguins))
    mass = [t for t in fig.data if t.xaxis == "x6"]
    assert sum(mass[0].y) == pytest.approx(1 - 2 / 344)


def test_marginals_columns_and_digits(digits):
    batch = sk.generate(digits, "copula", n=50, random_state=0)
    fig = marginals(digits, batch, columns=["px_3_3", "label"], names=["cop"])
    assert [a.text for a in fig.layout.annotations] == ["px_3_3", "label"]
    px = [t for t in fig.data if t.xaxis == "x"]
    assert min(px[0].x) >= -0.5 and max(px[0].x) <= 16.5
    default = [a.text for a in marginals(digits, batch).layout.annotations]
    assert default[0] == "label" and len(default) == 6  # the label and the 5 most varied pixels
    var = digits.features.select(digits.schema.image_columns).var().row(0)
    assert min(var[digits.schema.image_columns.index(c)] for c in default[1:]) > np.median(var)
    with pytest.raises(sk.SchemaError):
        marginals(digits, batch, columns=["nope"])


def test_constant_column():
    ds = sk.from_frame(sk.load("penguins").features.head(20).with_columns(year=2007))
    fig = marginals(ds, ds.features, names=["copy"], columns=["year"])
    assert np.isfinite(fig.data[0].x).all()


def test_many_categories_grouped(adult_small):
    fig = marginals(adult_small, adult_small.features, names=["copy"], columns=["native_country"],
                    max_levels=6)
    real = fig.data[0]
    assert list(real.customdata)[-2:] == ["(other)", "(missing)"] and len(real.x) == 7
    assert sum(real.y) == pytest.approx(1.0)
    assert all(len(t) <= 14 for t in real.x)


def test_year_axis_ticks_are_whole_years(penguins):
    fig = marginals(penguins, penguins.features, names=["copy"], columns=["year"])
    assert list(fig.layout.xaxis.tickvals) == [2007, 2008, 2009]
    assert all(float(v).is_integer() for v in fig.layout.xaxis.tickvals)


def test_cut_category_labels_stay_apart():
    import polars as pl

    long = ["Married-civ-spouse-A", "Married-civ-spouse-B", "Other"]
    ds = sk.from_frame(pl.DataFrame({"status": long * 10, "x": np.arange(30.0)}))
    fig = marginals(ds, ds.features, names=["copy"], columns=["status"])
    real = fig.data[0]
    assert len(set(real.x)) == 3 and all(len(t) <= 14 for t in real.x)  # two cut labels, two bars
    assert list(real.customdata) == sorted(long) or set(real.customdata) == set(long)
