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


def test_figure_has_a_reference_line_and_keeps_the_first_run_to_compare(controls):
    fig = controls.figure()
    names = [t.name for t in fig.data]
    assert "real rows (generation 0)" in names
    ref = next(t for t in fig.data if t.name == "real rows (generation 0)")
    assert ref.y[0] == pytest.approx(1.0)  # std ratio of the real rows to themselves
    assert not any(n and n.startswith("first run") for n in names)  # nothing to compare yet
    controls.run(regime="accumulate")
    names = [t.name for t in controls.figure().data]
    assert "first run (replace, temperature 1.0)" in names and "accumulate" in names


def test_y_axis_only_widens_so_a_change_does_not_rescale_it(controls):
    r0 = tuple(controls.figure().layout.yaxis.range)
    assert r0[0] <= 0.0 < 1.0 < r0[1]
    controls.run(temperature=0.6)
    r1 = tuple(controls.figure().layout.yaxis.range)
    assert r1[0] <= r0[0] and r1[1] >= r0[1]
    controls.run(temperature=1.0)
    assert tuple(controls.figure().layout.yaxis.range) == r1  # back to the start: the same axis
