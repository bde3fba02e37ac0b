"""Pure parts of tags: label/note/row-id/polygon checks and the point-in-polygon test."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthkit.errors import DataError
from synthkit.tags import (
    check_label,
    check_labels,
    check_note,
    check_polygon,
    check_row_ids,
    points_in_polygon,
    polygon_area,
)


# --------------------------------------------------------------------------- labels and notes
@pytest.mark.parametrize(
    "label",
    ["off-manifold", "hors-variété", "🚩 suspicious", "a'b\"c", "; DROP TABLE tags; --", "x" * 200,
     "100%", "near copy (seed 3)", "日本語ラベル"],
)
def test_odd_labels_are_kept_verbatim(label):
    assert check_label(label) == label


def test_label_is_stripped_and_nfc_normalised():
    decomposed = "vari\u0065\u0301te\u0301"  # e + combining acute accents
    assert check_label("  " + decomposed + "\t") == "variété"


@pytest.mark.parametrize("bad", ["", "   ", "two\nlines", "tab\there", "x" * 201, None, 3, b"bytes"])
def test_bad_labels_raise(bad):
    with pytest.raises(DataError, match="label"):
        check_label(bad)


def test_check_labels_accepts_one_or_many():
    assert check_labels("ok") == ("ok",)
    assert check_labels(["a", "b", "a", " b "]) == ("a", "b")
    with pytest.raises(DataError, match="drop"):
        check_labels(5, what="drop")


def test_notes_keep_newlines_and_unicode():
    note = "line one\nline two: ∑ 🚩 'quoted' \"double\""
    assert check_note(note) == note
    assert check_note(None) == ""
    with pytest.raises(DataError, match="note"):
        check_note(12)


# --------------------------------------------------------------------------- row ids
def test_row_ids_from_many_containers():
    ids = ["real:0", "b-1:2", "real:0"]
    assert check_row_ids(ids) == ["real:0", "b-1:2"]
    assert check_row_ids(pl.Series(ids)) == ["real:0", "b-1:2"]
    assert check_row_ids(np.array(ids)) == ["real:0", "b-1:2"]
    assert check_row_ids(pl.DataFrame({"row_id": ids, "x": [1, 2, 3]})) == ["real:0", "b-1:2"]
    assert check_row_ids("real:7") == ["real:7"]  # one id, not its characters
    assert check_row_ids({"real:1"}) == ["real:1"]


@pytest.mark.parametrize("bad, match", [
    ([], "no row ids"),
    ([1, 2], "strings"),
    (["real:0", None], "strings"),
    (pl.DataFrame({"id": ["a"]}), "row_id"),
    (3.5, "list of strings"),
])
def test_bad_row_ids_raise(bad, match):
    with pytest.raises(DataError, match=match):
        check_row_ids(bad)


# --------------------------------------------------------------------------- polygons
def test_polygon_forms():
    tri = [[0, 0], [1, 0], [0, 1]]
    assert check_polygon(tri) == [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]
    assert check_polygon(np.array(tri)) == check_polygon(tri)
    assert check_polygon({"x": [0, 1, 0], "y": [0, 0, 1]}) == check_polygon(tri)
    assert check_polygon(None) is None


@pytest.mark.parametrize("bad, match", [
    ([[0, 0], [1, 1]], "at least 3"),
    ([[0, 0, 0], [1, 1, 1], [2, 2, 2]], "pairs"),
    ([[0, 0], [1, float("nan")], [0, 1]], "finite"),
    ([[0, 0], ["a", 1], [0, 1]], "numbers"),
    ({"x": [0, 1, 2], "y": [0, 1]}, "one y per x"),
    ({"x": [0, 1, 2]}, "'x' and 'y'"),
])
def test_bad_polygons_raise(bad, match):
    with pytest.raises(DataError, match=match):
        check_polygon(bad)


def _winding_inside(px: float, py: float, poly: np.ndarray) -> bool:
    """Reference: sum of the angles subtended by the edges (2*pi inside, 0 outside)."""
    total = 0.0
    k = len(poly)
    for i in range(k):
        ax, ay = poly[i] - (px, py)
        bx, by = poly[(i + 1) % k] - (px, py)
        total += math.atan2(ax * by - ay * bx, ax * bx + ay * by)
    return abs(total) > math.pi


def _star_polygon(rng: np.random.Generator, k: int) -> np.ndarray:
    """A random simple (star-shaped, often concave) polygon around the origin."""
    angles = np.sort(rng.uniform(0, 2 * np.pi, size=k))
    radii = rng.uniform(0.2, 1.0, size=k)
    return np.column_stack([radii * np.cos(angles), radii * np.sin(angles)])


@pytest.mark.parametrize("seed", range(12))
def test_points_in_polygon_matches_winding_number(seed):
    rng = np.random.default_rng(seed)
    poly = _star_polygon(rng, int(rng.integers(3, 40)))
    pts = rng.uniform(-1.1, 1.1, size=(400, 2))
    got = points_in_polygon(pts[:, 0], pts[:, 1], poly)
    want = np.array([_winding_inside(x, y, poly) for x, y in pts])
    assert got.dtype == bool and got.shape == (400,)
    np.testing.assert_array_equal(got, want)


def test_points_in_polygon_area_estimate_matches_shoelace():
    rng = np.random.default_rng(5)
    poly = _star_polygon(rng, 25)
    pts = rng.uniform(-1, 1, size=(200_000, 2))
    share = points_in_polygon(pts[:, 0], pts[:, 1], poly).mean()
    assert share * 4.0 == pytest.approx(polygon_area(poly), rel=0.03)


def test_concave_u_shape_and_orientation():
    u = [[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3]]
    x = np.array([0.5, 1.5, 2.5, 1.5, 1.5, 4.0, -1.0])
    y = np.array([2.0, 2.0, 2.0, 0.5, 3.5, 1.0, 1.0])
    want = np.array([True, False, True, True, False, False, False])
    np.testing.assert_array_equal(points_in_polygon(x, y, u), want)
    np.testing.assert_array_equal(points_in_polygon(x, y, u[::-1]), want)  # clockwise too
    closed = u + [u[0]]  # an explicitly closed ring gives the same answer
    np.testing.assert_array_equal(points_in_polygon(x, y, closed), want)


def test_self_intersecting_lasso_uses_even_odd():
    star = [[math.cos(a), math.sin(a)] for a in np.pi / 2 + np.arange(5) * 4 * np.pi / 5]  # pentagram
    inside = points_in_polygon([0.0, 0.0], [0.0, 0.7], star)
    assert inside.tolist() == [False, True]  # the centre is covered twice: outside by even-odd


def test_nan_points_are_outside_and_empty_input():
    sq = [[0, 0], [1, 0], [1, 1], [0, 1]]
    assert points_in_polygon([0.5, np.nan], [np.nan, 0.5], sq).tolist() == [False, False]
    assert points_in_polygon([], [], sq).shape == (0,)
    with pytest.raises(DataError):
        points_in_polygon([1, 2], [1], sq)


@settings(max_examples=60, deadline=None)
@given(
    dx=st.floats(-1e3, 1e3), dy=st.floats(-1e3, 1e3), scale=st.floats(0.01, 100.0),
    seed=st.integers(0, 10_000),
)
def test_points_in_polygon_invariant_under_translation_and_scale(dx, dy, scale, seed):
    rng = np.random.default_rng(seed)
    poly = _star_polygon(rng, 12)
    pts = rng.uniform(-1.2, 1.2, size=(100, 2))
    base = points_in_polygon(pts[:, 0], pts[:, 1], poly)
    moved = points_in_polygon(pts[:, 0] * scale + dx, pts[:, 1] * scale + dy, poly * scale + (dx, dy))
    # rounding can only matter for points within a hair of an edge
    assert (base != moved).sum() <= 1
