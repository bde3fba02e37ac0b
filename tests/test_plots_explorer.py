"""The Explorer map's colours: enough distinct ones, sorted legends, real vs synthetic told apart not by shade alone."""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl

from synthkit.plots._style import COLORS, REAL_COLOR, natural_sorted
from synthkit.plots.explorer import UNTAGGED_COLOR, map_figure, map_layers


def _lab(hex_color: str) -> np.ndarray:
    """CIELAB of an sRGB hex colour (D65): distances here are roughly what an eye sees."""
    rgb = np.array([int(hex_color.lstrip("#")[i: i + 2], 16) for i in (0, 2, 4)]) / 255
    rgb = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ rgb
    f = np.cbrt(xyz / np.array([0.95047, 1.0, 1.08883]))
    f = np.where(xyz / np.array([0.95047, 1.0, 1.08883]) > 0.008856, f,
                 7.787 * xyz / np.array([0.95047, 1.0, 1.08883]) + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _delta(a: str, b: str) -> float:
    return float(np.linalg.norm(_lab(a) - _lab(b)))


def _points(labels_real, labels_synth, tags=None) -> pl.DataFrame:
    n_r, n_s = len(labels_real), len(labels_synth)
    rng = np.random.default_rng(0)
    return pl.DataFrame({
        "row_id": [f"real:{i}" for i in range(n_r)] + [f"b:{i}" for i in range(n_s)],
        "source": ["real"] * n_r + ["copula"] * n_s, "batch": ["real"] * n_r + ["b"] * n_s,
        "x": rng.normal(size=n_r + n_s), "y": rng.normal(size=n_r + n_s), "dist_to_real": np.zeros(n_r + n_s),
        "label": list(labels_real) + list(labels_synth),
        "tag": tags if tags is not None else [None] * (n_r + n_s),
    }, schema_overrides={"tag": pl.String})


def test_palette_has_twelve_colours_no_two_alike_and_none_like_the_greys():
    assert len(COLORS) >= 10 and len(set(COLORS)) == len(COLORS) == 12
    for a, b in itertools.combinations(COLORS, 2):
        assert _delta(a, b) > 25, (a, b)
    for c in COLORS:
        assert _delta(c, REAL_COLOR) > 25 and _delta(c, UNTAGGED_COLOR) > 25, c


def test_ten_digits_get_ten_colours_in_natural_order():
    digits = [str(d) for d in (7, 3, 0, 9, 2, 6, 1, 8, 5, 4)]
    _, layers = map_layers(_points(digits, digits), "label", categorical=["label"])
    synth = [l for l in layers if not l["name"].endswith("(real)")]
    assert [l["name"] for l in synth] == [str(d) for d in range(10)]
    assert len({l["color"] for l in synth}) == 10  # 0 and 3, 2 and 6 no longer share a colour
    # a level's real and synthetic layers share the colour (and the legend group)
    colour = {l["name"]: l["color"] for l in synth}
    for l in layers:
        if l["name"].endswith("(real)"):
            assert l["color"] == colour[l["legendgroup"]]


def test_natural_order_reads_numbers_as_numbers():
    assert natural_sorted(["10", "2", "1", None, "b", "a10", "a9"]) == ["1", "2", "10", "a9", "a10", "b", None]
    _, layers = map_layers(_points(["10", "2"], ["1", "10", "2"]), "label", categorical=["label"])
    assert [l["name"] for l in layers] == ["2 (real)", "10 (real)", "1", "2", "10"]


def test_real_and_synthetic_of_one_level_differ_by_more_than_shade():
    pts = _points(["a", "b"], ["a", "b"])
    _, layers = map_layers(pts, "label")
    real = next(l for l in layers if l["name"] == "a (real)")
    synth = next(l for l in layers if l["name"] == "a")
    assert real["color"] == synth["color"]
    # the browser map has size, opacity and colour per layer: real rows are clearly smaller
    assert synth["size"] >= real["size"] + 3
    fig = map_figure(pts, "label")
    by_name = {t.name: t for t in fig.data}
    assert by_name["a (real)"].marker.symbol == "circle-open"
    assert by_name["a"].marker.symbol in (None, "circle")


def test_untagged_synthetic_is_not_a_shade_of_a_tag_colour():
    tags = [None, "missing-mode", None, "off-manifold", "near-copy", None]
    pts = _points(["x"] * 3, ["x"] * 3, tags=tags)
    _, layers = map_layers(pts, "tag")
    names = [l["name"] for l in layers]
    assert names[0] == "real, untagged" and names[-1] == "synthetic, untagged"
    tag_colours = [l["color"] for l in layers if l["legendgroup"] not in ("real", "untagged")]
    untagged = next(l["color"] for l in layers if l["name"] == "synthetic, untagged")
    for c in tag_colours + [REAL_COLOR]:
        assert _delta(untagged, c) > 25, c
    # tags in natural order take the palette in order, and tagged real rows are not faint
    groups = [l["legendgroup"] for l in layers if l["legendgroup"] not in ("real", "untagged")]
    assert sorted(set(groups)) == ["missing-mode", "near-copy", "off-manifold"]
    assert {l["legendgroup"]: l["color"] for l in layers}["missing-mode"] == COLORS[0]
    tagged_real = next(l for l in layers if l["name"] == "missing-mode (real)")
    untagged_real = next(l for l in layers if l["name"] == "real, untagged")
    assert tagged_real["opacity"] > untagged_real["opacity"] and tagged_real["size"] > untagged_real["size"]
