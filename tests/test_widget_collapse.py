"""CollapseControls: the controls drive sk.collapse.simulate exactly like run() does."""

from __future__ import annotations

import pytest

import synthkit as sk
from synthkit.widgets.collapse import CollapseControls


@pytest.fixture
def controls(penguins):
    return CollapseControls(penguins, generations=3, seeds=2, n_per_generation=60)


def test_runs_once_on_creation_with_the_controls_values(controls):
    res = controls.result
    assert res is not None
    assert res.config["generations"] == 3 and res.config["seeds"] == 2
    assert res.table["generation"].max() == 3
    assert set(res.table["seed"].unique()) == {0, 1}


def test_moving_a_control_reruns_like_run(controls, penguins):
    controls.w_regime.value = "accumulate"
    by_mouse = controls.result
    assert by_mouse.config["regime"] == "accumulate"
    by_code = CollapseControls(penguins, generations=3, seeds=2, n_per_generation=60).run(regime="accumulate")
    assert by_code.table.equals(by_mouse.table)


def test_real_fraction_only_applies_to_regimes_that_use_real_rows(controls):
    controls.run(real_fraction=0.5)
    assert controls.result.config["real_fraction"] == 0.0
    controls.run(regime="keep_real")
    assert controls.result.config["real_fraction"] == 0.5


def test_figure_shows_the_chosen_metric(controls):
    fig = controls.figure()
    assert "std_ratio" in fig.layout.title.text
    assert any(t.name == "replace" for t in fig.data)


def test_unknown_control_is_a_clear_error(controls):
    with pytest.raises(sk.SynthkitError, match="unknown control"):
        controls.run(speed=3)


def test_bad_settings_are_reported_in_the_status_line_not_raised(penguins):
    c = CollapseControls(penguins, generations=2, seeds=1, n_per_generation=0)
    assert c.result is None
    assert "n_per_generation" in c.status.value
