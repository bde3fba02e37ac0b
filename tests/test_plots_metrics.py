"""Quality-report marginals read right: whole-number ticks, real and synthetic bars side by side, short labels."""

from __future__ import annotations

import numpy as np
import pytest

from synthkit.plots._style import integer_ticks, shorten_labels
from synthkit.plots.metrics import marginals_figure


def _year() -> dict:
    """The fidelity marginal of a year column: 30 bins over 2007..2009, mass only where a year is."""
    edges = np.linspace(2007, 2009, 31)
    real, synth = np.zeros(30), np.zeros(30)
    real[[0, 15, 29]] = [0.3, 0.3, 0.4]
    synth[[0, 15, 29]] = [0.4, 0.3, 0.3]
    return {"kind": "numeric", "edges": edges.tolist(), "real": real.tolist(), "synthetic": synth.tolist()}


def _continuous() -> dict:
    edges = np.linspace(13.1, 21.5, 31)
    rng = np.random.default_rng(0)
    real, synth = rng.dirichlet(np.ones(30)), rng.dirichlet(np.ones(30))
    return {"kind": "numeric", "edges": edges.tolist(), "real": real.tolist(), "synthetic": synth.tolist()}


LONG = ["Married-civ-spouse", "Married-spouse-absent", "Married-AF-spouse", "Divorced", "Never-married"]


def _categorical(cats=LONG) -> dict:
    k = len(cats)
    return {"kind": "categorical", "categories": list(cats), "real": [1 / k] * k,
            "synthetic": list(np.arange(1, k + 1) / np.arange(1, k + 1).sum())}


def test_year_axis_has_whole_number_ticks_and_bars():
    fig = marginals_figure({"year": _year()})
    ax = fig.layout.xaxis
    assert list(ax.tickvals) == [2007, 2008, 2009] and list(ax.ticktext) == ["2007", "2008", "2009"]
    bars = [t for t in fig.data if t.type == "bar"]
    assert {t.name for t in bars} == {"real", "synthetic"}
    for t in bars:
        assert all(float(x).is_integer() for x in t.x)  # no bar at 2007.03
        assert sum(t.y) == pytest.approx(1.0)  # re-binned, nothing lost
    real = next(t for t in bars if t.name == "real")
    assert list(real.x) == [2007, 2008, 2009] and list(real.y) == pytest.approx([0.3, 0.3, 0.4])


def test_whole_numbers_are_detected_from_the_bins_or_told():
    cont = marginals_figure({"x": _continuous()})
    assert cont.layout.xaxis.tickvals is None
    told = dict(_continuous(), integer=True, edges=np.linspace(13, 21, 31).tolist())
    assert marginals_figure({"x": told}).layout.xaxis.tickvals is not None
    no = dict(_year(), integer=False)
    assert marginals_figure({"year": no}).layout.xaxis.tickvals is None


def test_categorical_bars_sit_side_by_side_not_behind_each_other():
    fig = marginals_figure({"marital": _categorical(), "year": _year()})
    assert fig.layout.barmode == "group"
    bars = [t for t in fig.data if t.type == "bar" and t.xaxis == "x"]
    assert len(bars) == 2
    real, synth = bars
    assert real.offsetgroup and synth.offsetgroup and real.offsetgroup != synth.offsetgroup
    assert list(real.x) == list(synth.x)


def test_continuous_columns_show_synthetic_as_an_outline_over_real_bars():
    fig = marginals_figure({"depth": _continuous()})
    kinds = {t.name: t.type for t in fig.data}
    assert kinds == {"real": "bar", "synthetic": "scatter"}
    assert fig.layout.barmode != "overlay"


def test_long_labels_are_cut_with_an_ellipsis_and_shown_whole_on_hover():
    fig = marginals_figure({"marital": _categorical()})
    real = fig.data[0]
    assert all(len(x) <= 12 for x in real.x)
    assert "Married-civ…" in real.x and "Divorced" in real.x
    assert len(set(real.x)) == len(LONG)  # cut labels never merge two bars
    assert list(real.customdata) == LONG and "customdata" in real.hovertemplate


def test_many_categories_are_capped_with_other():
    cats = [f"country-{i:02d}" for i in range(41)]
    fig = marginals_figure({"country": _categorical(cats)})
    real = fig.data[0]
    assert len(real.x) == 12 and real.customdata[-1] == "(other)"
    assert sum(real.y) == pytest.approx(1.0)


def test_shorten_labels_and_integer_ticks():
    assert shorten_labels(["abcdefghijklmnop", "abcdefghijklmnoq", "short"], 8) == ["abcdef1…", "abcdef2…", "short"]
    assert integer_ticks(2006.5, 2009.5) == [2007, 2008, 2009]
    assert integer_ticks(0, 45) == [0, 10, 20, 30, 40]
    assert all(isinstance(t, int) for t in integer_ticks(-3.2, 3.7))
