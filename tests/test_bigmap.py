"""A map of many real rows: the density image, polygon selection and tags of hundreds of thousands of rows."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit.errors import DataError
from synthkit.plots.density import (DensityLayer, density_counts, density_rgba, full_extent, png_bytes)
from synthkit.tags import points_in_polygon
from synthkit.widgets import Explorer
from synthkit.widgets import explorer as explorer_module


# --------------------------------------------------------------------------- the density image
def _png_rgba(data: bytes) -> np.ndarray:
    """Decode the PNGs png_bytes writes (8-bit RGBA, filter 0)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, size = 8, b"", None
    while pos < len(data):
        n, = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        crc, = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
            assert body[8:10] == b"\x08\x06"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h = size
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(h, 1 + 4 * w)
    assert (raw[:, 0] == 0).all()
    return raw[:, 1:].reshape(h, w, 4)


def test_counts_over_the_full_extent_hold_every_row_once():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(50_000), rng.exponential(size=50_000)
    ext = full_extent(x, y)
    for shape in [(1, 1), (7, 13), (260, 450)]:
        c = density_counts(x, y, ext, shape)
        assert c.shape == shape and c.sum() == 50_000
    # the extent itself: the points' bounds, padded; rows on the far edges still count
    tight = (x.min(), x.max(), y.min(), y.max())
    assert density_counts(x, y, tight, (10, 10)).sum() == 50_000
    assert ext[0] < x.min() and ext[1] > x.max() and ext[2] < y.min() and ext[3] > y.max()


def test_counts_of_a_zoomed_extent_are_the_rows_inside_it():
    rng = np.random.default_rng(1)
    x, y = rng.uniform(0, 10, 20_000), rng.uniform(0, 10, 20_000)
    ext = (2.0, 5.0, 1.0, 3.5)
    c = density_counts(x, y, ext, (25, 30))
    inside = (x >= 2) & (x <= 5) & (y >= 1) & (y <= 3.5)
    assert c.sum() == inside.sum()
    # row 0 is the top of the extent, column 0 its left edge
    assert density_counts([2.01], [3.49], ext, (25, 30))[0, 0] == 1
    assert density_counts([4.99], [1.01], ext, (25, 30))[24, 29] == 1


def test_empty_one_point_constant_and_missing_coordinates():
    assert full_extent([], []) == (0.0, 1.0, 0.0, 1.0)
    assert density_counts([], [], (0, 1, 0, 1), (4, 4)).sum() == 0
    one = full_extent([3.0], [-2.0])
    assert one == (2.5, 3.5, -2.5, -1.5)
    assert density_counts([3.0], [-2.0], one, (5, 5)).sum() == 1
    assert density_counts([3.0], [-2.0], one, (5, 5))[2, 2] == 1  # in the middle
    line = full_extent([1.0, 1.0, 1.0], [0.0, 1.0, 2.0])
    assert line[:2] == (0.5, 1.5) and line[2] < 0 and line[3] > 2
    x = np.array([0.0, np.nan, 1.0, np.inf])
    y = np.array([0.0, 1.0, np.nan, 2.0])
    assert full_extent(x, y) == (-0.5, 0.5, -0.5, 0.5)
    assert DensityLayer(x, y).render().shown == 1
    layer = DensityLayer([], [])
    img = layer.render()
    assert img.shown == 0 and _png_rgba(img.png)[..., 3].max() == 0


@pytest.mark.parametrize("extent", [(1, 1, 0, 1), (0, 1, 2, 2), (0, 1, 1, 0), (0, np.nan, 0, 1), (0, 1), "abc",
                                    (-1e308, 1e308, 0, 1)])  # the last: its width overflows
def test_bad_extents_are_refused(extent):
    with pytest.raises(DataError, match="extent"):
        density_counts([0.5], [0.5], extent, (2, 2))


def test_png_round_trip_and_transparent_where_empty():
    counts = np.array([[0, 1, 5], [100, 0, 2]])
    rgba = density_rgba(counts)
    assert rgba.shape == (2, 3, 4) and rgba.dtype == np.uint8
    assert (rgba[..., 3][counts == 0] == 0).all() and (rgba[..., 3][counts > 0] > 0).all()
    # more rows, darker and more opaque
    assert rgba[1, 0, :3].sum() < rgba[0, 2, :3].sum() < rgba[0, 1, :3].sum()
    assert rgba[1, 0, 3] > rgba[0, 1, 3]
    assert np.array_equal(_png_rgba(png_bytes(rgba)), rgba)
    with pytest.raises(DataError):
        png_bytes(np.zeros((2, 2, 3), dtype=np.uint8))


def test_grid_follows_the_plot_size_within_bounds():
    layer = DensityLayer([0, 1], [0, 1])
    assert layer.grid_shape(800, 520) == (260, 400)
    assert layer.grid_shape(1, 1) == (1, 1)
    assert layer.grid_shape(100_000, 10) == (5, 2048)
    with pytest.raises(DataError):
        layer.grid_shape(0, 10)


# --------------------------------------------------------------------------- the Explorer on a large map
class PlainMap:
    """A map whose coordinates are two standardised columns (no UMAP): the Map's public API."""

    method, note, mode, hash = "plain", "", "anchored", "plainmap0123456789"

    def __init__(self, ds):
        self.ds = ds
        f = ds.frame.select("a", "b").to_numpy().astype(float)
        self.mu, self.sd = f.mean(0), f.std(0)
        xy = (f - self.mu) / self.sd
        self.real = pl.DataFrame({"row_id": ds.row_ids, "x": xy[:, 0], "y": xy[:, 1], "dist_to_real": 0.0})

    def place(self, batch):
        xy = (batch.frame.select("a", "b").to_numpy().astype(float) - self.mu) / self.sd
        return pl.DataFrame({"row_id": batch.row_ids, "x": xy[:, 0], "y": xy[:, 1], "dist_to_real": 1.0,
                             "nearest_real": self.ds.row_ids[0]})


def _big(n: int, seed: int = 0) -> sk.Dataset:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(n)
    return sk.from_frame(pl.DataFrame({"a": a, "b": 0.5 * a + rng.standard_normal(n),
                                       "c": rng.choice(["p", "q", "r"], n)}), name="big")


@pytest.fixture(scope="module")
def big_ws(tmp_path_factory):
    ds = _big(320_000)
    ws = sk.Workspace.create(tmp_path_factory.mktemp("big") / "ws", ds)
    ws.add(sk.generate(ds, "copula", n=2_000, random_state=3))
    yield ws
    ws.close()


POLY = [[-1.5, -1.0], [1.8, -1.2], [2.0, 1.5], [0.0, 2.2], [-1.0, 0.5]]


def test_above_the_threshold_real_rows_are_an_image_and_batches_points(big_ws):
    ex = Explorer(big_ws, map=PlainMap(big_ws.dataset))
    mv = ex.mapview
    assert ex.dense and ex.points.height == 322_000
    # only the batch goes to the browser as points (with hover); the real rows as one image
    assert len(mv.row_ids) == 2_000 and not any(r.startswith("real:") for r in mv.row_ids)
    assert mv.hover_columns and len(mv.density_png) > 100 and "no hover" in mv.density_note
    img = _png_rgba(mv.density_png)
    assert img[..., 3].any()
    real = ex.map.real
    assert mv.density_full == pytest.approx(list(full_extent(real["x"].to_numpy(), real["y"].to_numpy())))
    # below the threshold (here: raised above the data) every row is a point, as before
    small = Explorer(big_ws, map=PlainMap(big_ws.dataset), density_above=1_000_000)
    assert not small.dense and len(small.mapview.row_ids) == 322_000 and small.mapview.density_png == b""


def test_the_threshold_is_a_module_constant(big_ws, monkeypatch):
    monkeypatch.setattr(explorer_module, "DENSITY_ABOVE", 400_000)
    assert not Explorer(big_ws, map=PlainMap(big_ws.dataset)).dense
    with pytest.raises(DataError, match="density_above"):
        Explorer(big_ws, map=PlainMap(big_ws.dataset), density_above=-1)


def test_zoom_sends_a_new_image_of_the_new_extent(big_ws):
    ex = Explorer(big_ws, map=PlainMap(big_ws.dataset))
    mv = ex.mapview
    v0 = mv.density_version
    mv._handle_msg({"content": {"data": {"method": "custom", "content": {
        "type": "view", "extent": [-0.5, 0.5, -0.25, 0.25], "width": 600, "height": 400}}}, "buffers": []})
    assert mv.density_version == v0 + 1 and mv.views == 1
    assert mv.density_extent == [-0.5, 0.5, -0.25, 0.25]
    img = _png_rgba(mv.density_png)
    assert img.shape[:2] == (200, 300)
    # a degenerate view keeps the image shown
    mv._handle_msg({"content": {"data": {"method": "custom", "content": {
        "type": "view", "extent": [1, 1, 0, 1], "width": 600, "height": 400}}}, "buffers": []})
    assert mv.density_version == v0 + 1


def test_a_browser_lasso_selects_every_real_and_synthetic_row_inside_then_tags_and_undoes(big_ws):
    ex = Explorer(big_ws, map=PlainMap(big_ws.dataset))
    pts = ex.points
    want = pts.filter(pl.Series(points_in_polygon(pts["x"].to_numpy(), pts["y"].to_numpy(), POLY)))["row_id"]
    n_real = int(want.str.starts_with("real:").sum())
    assert n_real > 100_000 and want.len() > n_real
    # the browser knows only the batch points: it sends those ids and the polygon
    mv = ex.mapview
    batch_in = [r for r in want.to_list() if not r.startswith("real:")]
    mv._handle_msg({"content": {"data": {"method": "update", "state": {
        "selection": batch_in, "selection_polygon": POLY, "selection_version": mv.data_version,
        "selection_count": mv.selection_count + 1}, "buffer_paths": []}}, "buffers": []})
    assert ex.selection["row_id"].to_list() == want.to_list()
    assert f"{want.len()} rows selected" in ex.selection_view.table.value
    tag_id = ex.tag("dense-region", note="many real rows")
    got = big_ws.get_tag(tag_id)
    assert list(got.row_ids) == want.to_list()
    assert got.polygon == tuple(tuple(p) for p in POLY) and got.map_hash == ex.map.hash
    assert ex.points.filter(pl.col("tag") == "dense-region").height == want.len()
    ex.undo()
    assert big_ws.tag_list().height == 0 and ex.points["tag"].null_count() == ex.points.height


def test_select_by_polygon_equals_points_in_polygon_and_highlights_only_batch_points(big_ws):
    ex = Explorer(big_ws, map=PlainMap(big_ws.dataset))
    sel = ex.select(POLY)
    pts = ex.points
    mask = points_in_polygon(pts["x"].to_numpy(), pts["y"].to_numpy(), POLY)
    assert sel["row_id"].to_list() == pts.filter(pl.Series(mask))["row_id"].to_list()
    assert ex.selection_polygon == POLY
    shown = ex.mapview.selection
    assert shown and all(not r.startswith("real:") for r in shown)
    assert set(shown) == set(sel.filter(pl.col("batch") != "real")["row_id"].to_list())
    # by id: real ids are accepted too, unknown ones refused
    assert ex.select(["real:5", "real:7"]).height == 2
    with pytest.raises(DataError, match="not on the map"):
        ex.select(["real:999999999"])


def test_workspace_stores_300k_row_ids_and_undo_withdraws_them(tmp_path):
    ds = _big(350_000, seed=2)
    ws = sk.Workspace.create(tmp_path / "ws", ds)
    ids = ds.row_ids.to_list()[::-1][:300_000]  # a non-sorted order, kept as given
    tag_id = ws.tag(ids, "many", note="n" * 500, polygon=POLY, map_hash="m123")
    got = ws.get_tag(tag_id)
    assert list(got.row_ids) == ids and got.note == "n" * 500
    tags = ws.tags()
    assert tags.height == 300_000 and tags["row_id"].to_list() == ids
    assert set(tags["source"].unique()) == {"real"} and tags["label"].unique().to_list() == ["many"]
    assert tags["created_at"].dtype == pl.Datetime("us", "UTC") and tags["created_at"].null_count() == 0
    assert ws.tag_counts().row(0) == ("many", 1, 300_000)
    ws.tag(ids[:10], "few")
    both = ws.tags()
    assert both.height == 300_010 and both["tag_id"].to_list()[-10:] == [tag_id + 1] * 10
    ws.undo()
    ws.undo()
    assert ws.tags().height == 0 and ws.tag_list().height == 0
    ws.redo()
    assert ws.tags()["row_id"].to_list() == ids
    ws.close()


# --------------------------------------------------------------------------- a map of many repeated rows
def test_real_rows_with_many_copies_are_placed_and_measured_once_per_distinct_row(monkeypatch):
    """Searching once per distinct row gives exactly the coordinates and distances of the plain search."""
    from synthkit import projection

    p = sk.load("penguins").frame.drop_nulls()
    rng = np.random.default_rng(4)
    frame = p.select("species", "bill_length_mm", "body_mass_g")[rng.integers(0, 60, 3_000)]
    frame = pl.concat([frame, p.select("species", "bill_length_mm", "body_mass_g")[200:260]])  # some lone rows
    ds = sk.from_frame(frame, name="copies")
    fits = {}
    for above in (10**9, 1_000):
        monkeypatch.setattr(projection, "DISTINCT_ABOVE", above)
        assert (projection._distinct(np.zeros((3_060, 2), dtype=np.float32)) is None) == (above > 3_060)
        fits[above] = sk.Map.fit(ds, random_state=0, max_fit_rows=100, n_epochs=20, shipped=False)
    plain, once = fits[10**9].real, fits[1_000].real
    assert plain["row_id"].to_list() == once["row_id"].to_list()
    for col in ("x", "y", "dist_to_real"):
        assert np.array_equal(plain[col].to_numpy(), once[col].to_numpy()), col
    assert (once["dist_to_real"] == 0).sum() > 2_900 and (once["dist_to_real"] > 0).sum() > 0


def test_a_box_selection_is_its_four_corners(big_ws):
    """A box arrives as the polygon of its corners (mapview.js): every row inside the box is selected."""
    ex = Explorer(big_ws, map=PlainMap(big_ws.dataset))
    x0, x1, y0, y1 = -0.4, 0.9, -1.1, 0.3
    mv = ex.mapview
    mv._handle_msg({"content": {"data": {"method": "update", "state": {
        "selection": [], "selection_polygon": [[x0, y0], [x1, y0], [x1, y1], [x0, y1]],
        "selection_version": mv.data_version, "selection_count": mv.selection_count + 1},
        "buffer_paths": []}}, "buffers": []})
    pts = ex.points
    inside = pts.filter(pl.col("x").is_between(x0, x1) & pl.col("y").is_between(y0, y1))
    assert set(ex.selection["row_id"].to_list()) == set(inside["row_id"].to_list())
    assert ex.selection.height == inside.height > 10_000


def test_colours_follow_every_row_not_only_the_points_drawn(tmp_path):
    """With the real rows as an image, a tag or category keeps the colour it has when every row is a point."""
    ds = _big(3_000)
    ws = sk.Workspace.create(tmp_path / "ws", ds)
    b = sk.generate(ds, "copula", n=200, random_state=3)
    ws.add(b)
    ws.tag(ds.row_ids.to_list()[:50], "aaa-real-only")
    ws.tag(b.row_ids.to_list()[:50], "bbb")
    colours = {}
    for limit in (10**6, 1_000):
        ex = Explorer(ws, map=PlainMap(ds), density_above=limit, color_by="tag")
        colours[ex.dense] = {layer["legendgroup"]: layer["color"] for layer in ex.mapview.layers}
        ex.color_by("c")
        colours[(ex.dense, "c")] = {layer["legendgroup"]: layer["color"] for layer in ex.mapview.layers}
    assert colours[True]["bbb"] == colours[False]["bbb"]
    assert "aaa-real-only" not in colours[True]  # drawn in the image, yet it keeps its place in the palette
    assert colours[(True, "c")] == {k: v for k, v in colours[(False, "c")].items() if k in colours[(True, "c")]}
    ws.close()


def test_a_degenerate_outline_keeps_the_rows_and_no_polygon(big_ws):
    ex = Explorer(big_ws, map=PlainMap(big_ws.dataset))
    mv = ex.mapview
    two = [r for r in mv.row_ids[:2]]
    mv._handle_msg({"content": {"data": {"method": "update", "state": {
        "selection": two, "selection_polygon": [[0.0, 0.0], [0.01, 0.01]], "selection_version": mv.data_version,
        "selection_count": mv.selection_count + 1}, "buffer_paths": []}}, "buffers": []})
    assert ex.selection["row_id"].to_list() == two
    tag_id = ex.tag("two-points")
    assert big_ws.get_tag(tag_id).polygon is None and list(big_ws.get_tag(tag_id).row_ids) == two
    ex.undo()
