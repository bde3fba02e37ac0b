"""The generator comparison widget, driven through its Python API (no browser)."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

import synthkit as sk
from synthkit.widgets.comparison import GeneratorComparison, key_params


def test_key_params():
    assert key_params("copula") == {"temperature": 1.0}
    assert key_params("cart") == {"max_depth": None, "min_samples_leaf": 5, "temperature": 1.0}


def test_controls_follow_the_generator():
    ui = GeneratorComparison(generators=["copula", "cart", "interpolate"])
    shown = lambda: {p for p, wd in ui.params.items() if wd.layout.display != "none"}  # noqa: E731
    assert shown() == {"temperature"}
    ui.generator.value = "interpolate"
    assert shown() == {"k"} and "neighbours" in ui.summary.value
    ui.generator.value = "cart"
    assert shown() == {"max_depth", "min_samples_leaf", "temperature"}


def test_result_uses_only_the_generators_params(penguins):
    ui = GeneratorComparison()
    batch, fig, table = ui.result("penguins", "cart", 120, 3, temperature=0.5, k=9, max_depth=0,
                                  min_samples_leaf=7)
    assert isinstance(fig, go.Figure) and len(batch) == 120
    assert batch.provenance.params == {"max_depth": None, "min_samples_leaf": 7, "temperature": 0.5,
                                       "random_state": 0}
    assert batch.id == sk.generate(penguins, "cart", n=120, random_state=3, temperature=0.5,
                                   min_samples_leaf=7).id
    assert table.columns == ["column", "statistic", "real", "cart"]


def test_large_datasets_are_sampled():
    ui = GeneratorComparison(max_rows=500)
    assert len(ui.seed_rows("adult")) == 500
    assert ui.seed_rows("adult") is ui.seed_rows("adult")
    batch, fig, table = ui.result("digits", "copula", 50, 0, temperature=1.0)
    assert "label" in table["column"].to_list()


def test_bad_setup():
    with pytest.raises(sk.GeneratorError):
        GeneratorComparison(generator="gan")
    with pytest.raises(sk.SynthkitError):
        GeneratorComparison(dataset="iris")
