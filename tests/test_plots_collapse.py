"""Collapse figures read right: bands without corner markers, honest legends and counts, visible minorities."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from synthkit.plots.collapse import collapse_metrics, generation_maps, group_shares, regime_comparison


def _table(columns: dict[str, list[str | None]], generations: int = 4, seeds: int = 3) -> pl.DataFrame:
    """A tidy collapse table: ``metric -> columns``, values varying over seeds so bands have width."""
    rng = np.random.default_rng(0)
    rows = []
    for metric, cols in columns.items():
        for col in cols:
            for seed in range(seeds):
                for g in range(generations + 1):
                    rows.append({"seed": seed, "generation": g, "metric": metric, "column": col,
                                 "value": 1.0 - 0.05 * g + rng.normal(0, 0.02)})
    return pl.DataFrame(rows, schema={"seed": pl.Int64, "generation": pl.Int64, "metric": pl.String,
                                      "column": pl.String, "value": pl.Float64})


class _Result:
    def __init__(self, table: pl.DataFrame) -> None:
        self.table = table


def _bands(fig):
    return [t for t in fig.data if t.fill == "toself"]


def test_bands_are_lines_only_so_no_corner_markers():
    fig = regime_comparison({"a": _Result(_table({"std_ratio": ["x"]})),
                             "b": _Result(_table({"std_ratio": ["x"]}))})
    bands = _bands(fig)
    assert len(bands) == 2
    # without mode="lines" plotly marks each of the < 20 corners of the band polygon
    assert all(t.mode == "lines" for t in bands)
    grid = collapse_metrics(_table({"std_ratio": ["a", "b"], "precision": [None]}))
    assert _bands(grid) and all(t.mode == "lines" for t in _bands(grid))
    assert all(t.mode == "lines" for t in grid.data)


def test_single_series_is_called_simulated_not_by_its_column():
    fig = collapse_metrics(_table({"std_ratio": ["x"]}), theory={"std_ratio": lambda g: 1.0})
    legend = [t.name for t in fig.data if t.showlegend]
    assert legend == ["simulated", "theory"]


def test_grid_colours_columns_consistently_and_never_mixes_in_metric_names():
    metrics = {"std_ratio": ["bill", "flipper"], "categories": ["species", "island", "sex"],
               "minority_share": ["sex"], "precision": [None], "recall": [None], "density": [None],
               "coverage": [None]}
    fig = collapse_metrics(_table(metrics))
    lines = [t for t in fig.data if t.fill != "toself"]
    legend = [t.name for t in lines if t.showlegend]
    assert legend == ["bill", "flipper", "species", "island", "sex", "whole table"]
    assert not set(legend) & {"precision", "recall", "density", "coverage"}
    # a name has one colour everywhere, and two names never share one
    by_name: dict[str, set] = {}
    for t in lines:
        by_name.setdefault(t.name, set()).add(t.line.color)
    assert all(len(c) == 1 for c in by_name.values())
    colours = [next(iter(c)) for c in by_name.values()]
    assert len(set(colours)) == len(colours)


def test_generation_maps_count_rows_per_panel_not_the_first_panels():
    real = pl.DataFrame({"row_id": [f"real:{i}" for i in range(6)], "x": np.arange(6.0), "y": np.arange(6.0)})
    points = pl.concat([
        pl.DataFrame({"generation": [0] * 6, "row_id": [f"real:{i}" for i in range(6)], "x": np.arange(6.0),
                      "y": np.arange(6.0), "dist_to_real": np.zeros(6)}),
        pl.DataFrame({"generation": [5] * 2, "row_id": ["g:0", "g:1"], "x": [1.0, 2.0], "y": [1.0, 2.0],
                      "dist_to_real": [0.5, 1.0]}),
    ])
    fig = generation_maps(points, real)
    names = [t.name for t in fig.data if t.showlegend]
    assert names == ["real (6)", "synthetic"]  # not "synthetic (6)", the first panel's count
    assert [a.text for a in fig.layout.annotations] == ["generation 0 (6 rows)", "generation 5 (2 rows)"]


def _shares() -> pl.DataFrame:
    start = {"White": 0.86, "Black": 0.09, "Asian": 0.03, "Other": 0.02}
    rows = []
    for seed in range(2):
        for g in range(6):
            small = {k: v * 0.5 ** g for k, v in start.items() if k != "White"}
            vals = {"White": 1.0 - sum(small.values()), **small}
            rows += [{"seed": seed, "generation": g, "metric": "group_share", "column": f"race={k}", "value": v}
                     for k, v in vals.items()]
    return pl.DataFrame(rows)


def test_group_shares_give_every_group_its_own_scale_so_minorities_show():
    fig = group_shares(_shares(), "race")
    titles = [a.text for a in fig.layout.annotations]
    assert [t.split(" (")[0] for t in titles] == ["White", "Black", "Asian", "Other"]  # largest first
    assert not any(getattr(t, "stackgroup", None) for t in fig.data)
    # the 2 % group's panel spans about its own values, not 0-1
    other_axis = fig.layout[f"yaxis{len(titles)}"]
    assert other_axis.range[1] < 0.05 and other_axis.range[0] == 0
    assert fig.layout.yaxis.range[1] > 0.9
    # a dashed reference at each group's generation-0 share
    refs = [t for t in fig.data if t.line.dash == "dash"]
    assert len(refs) == 4 and refs[3].y[0] == pytest.approx(0.02)
    stacked = group_shares(_shares(), "race", stacked=True)
    assert all(t.stackgroup == "one" for t in stacked.data)


def test_regime_comparison_reference_baseline_and_fixed_axis():
    from synthkit.errors import DataError

    res = _Result(_table({"std_ratio": ["x"]}))
    fig = regime_comparison({"replace": res}, baseline={"before": res}, reference="generation 0", y_range=(0, 2))
    names = [t.name for t in fig.data]
    assert names[0] == "before" and fig.data[0].line.dash == "dot" and fig.data[0].fill is None
    ref = next(t for t in fig.data if t.name == "real rows (generation 0)")
    assert ref.y[0] == pytest.approx(fig.data[2].y[0])  # the first result's generation-0 mean
    assert tuple(fig.layout.yaxis.range) == (0, 2)
    assert regime_comparison({"a": res}, reference=0.5).data[-1].y[0] == 0.5
    with pytest.raises(DataError, match="reference"):
        regime_comparison({"a": res}, reference="start")
