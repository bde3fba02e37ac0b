"""Static map figures: real rows grey underneath, batches coloured, dist_to_real colour bar, grids."""

from __future__ import annotations

import polars as pl
import pytest

from synthkit.errors import DataError
from synthkit.plots._style import COLORS, REAL_COLOR
from synthkit.plots.map import map_figure, placement_map, small_multiples

REAL = pl.DataFrame({"row_id": ["real:0", "real:1", "real:2"], "x": [0.0, 1.0, 2.0], "y": [0.0, 1.0, 0.5],
                     "dist_to_real": [1.0, 0.5, 1.5]})
A = pl.DataFrame({"row_id": ["a:0", "a:1"], "x": [0.1, 1.1], "y": [0.0, 0.9], "dist_to_real": [0.0, 6.0],
                  "nearest_real": ["real:0", "real:1"]})
B = A.with_columns(pl.col("row_id").str.replace("a:", "b:"))


def test_batches_get_colours_and_real_rows_stay_grey():
    fig = placement_map(REAL, {"copula": A, "bootstrap": B})
    assert [t.name for t in fig.data] == ["real (3)", "copula (2)", "bootstrap (2)"]
    assert fig.data[0].marker.color == REAL_COLOR
    assert [t.marker.color for t in fig.data[1:]] == COLORS[:2]
    assert all(t.type == "scattergl" for t in fig.data)
    assert "dist_to_real" in fig.data[1].hovertemplate and fig.data[1].customdata[1][1] == 6.0
    assert map_figure is placement_map


def test_colour_by_dist_to_real_has_one_colour_bar():
    fig = placement_map(REAL, {"copula": A, "bootstrap": B}, color_by="dist_to_real")
    assert list(fig.data[1].marker.color) == [0.0, 6.0]
    assert fig.data[1].marker.showscale and not fig.data[2].marker.showscale
    assert fig.data[1].marker.cmin == 0 and fig.data[1].marker.cmax == 4


def test_small_multiples_share_axes_and_repeat_the_real_rows():
    fig = small_multiples(REAL, {"gen 0": A, "gen 1": B, "gen 2": {"x": A, "y": B}}, cols=2)
    assert len(fig.data) == 2 + 2 + 3
    assert sum(t.name.startswith("real") for t in fig.data) == 3
    # each panel counts its own rows; the shared legend names the batches without counts
    assert [a.text for a in fig.layout.annotations] == ["gen 0 (2 rows)", "gen 1 (2 rows)", "gen 2 (4 rows)"]
    assert [t.name for t in fig.data if t.showlegend] == ["real (3)", "synthetic"]
    # every panel's axes are linked to one another (zooming one zooms all)
    assert fig.layout.xaxis.matches == fig.layout.xaxis2.matches == "x3"
    assert fig.layout.yaxis.matches == fig.layout.yaxis2.matches == "y3"


def test_bad_input():
    with pytest.raises(DataError, match="x"):
        placement_map(REAL.drop("x"), A)
    with pytest.raises(DataError, match="color_by"):
        placement_map(REAL, A, color_by="species")
    with pytest.raises(DataError, match="dist_to_real"):
        placement_map(REAL, A.drop("dist_to_real"), color_by="dist_to_real")
    with pytest.raises(DataError, match="non-empty"):
        small_multiples(REAL, {})
