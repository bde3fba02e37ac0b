"""Explorer and its widgets, driven without a browser: call the API, set traits as the browser would."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit.errors import DataError, SchemaError, SynthkitError
from synthkit.plots.explorer import map_layers, map_figure
from synthkit.plots._style import REAL_COLOR
from synthkit.widgets import Explorer, MapView
from synthkit.widgets.mapview import hover_columns, plotly_js
from synthkit.widgets.selection import SelectionView, thumbnail_svg


# --------------------------------------------------------------------------- fakes
# Stand-ins for the Map and the Workspace with their public API, used only until
# (and in addition to) the real ones: they make these tests independent of UMAP.
class FakeMap:
    method, note, mode = "fake", "", "anchored"

    def __init__(self, ds):
        self.ds = ds
        self.cols = list(ds.schema.numeric[:2])
        f = ds.frame.select(self.cols).fill_null(0).to_numpy().astype(float)
        self.mu, self.sd = f.mean(0), f.std(0) + 1e-9
        self.real_xy = (f - self.mu) / self.sd
        self.hash = "fakemap0123456789"
        d = np.sqrt(((self.real_xy[:, None] - self.real_xy[None]) ** 2).sum(-1))
        np.fill_diagonal(d, np.inf)
        self.typical = float(np.median(d.min(1))) or 1.0
        self.real = pl.DataFrame({"row_id": ds.row_ids, "x": self.real_xy[:, 0], "y": self.real_xy[:, 1],
                                  "dist_to_real": d.min(1) / self.typical})

    @classmethod
    def fit(cls, ds, mode="anchored", random_state=0, cache_dir=None):
        return cls(ds)

    def place(self, batch):
        f = (batch.frame.select(self.cols).fill_null(0).to_numpy().astype(float) - self.mu) / self.sd
        d = np.sqrt(((f[:, None] - self.real_xy[None]) ** 2).sum(-1))
        j = d.argmin(1)
        return pl.DataFrame({"row_id": batch.row_ids, "x": f[:, 0], "y": f[:, 1],
                             "dist_to_real": d.min(1) / self.typical,
                             "nearest_real": self.ds.row_ids.gather(j)})


class FakeWorkspace:
    def __init__(self, ds, cache_dir=None):
        self.dataset, self.cache_dir = ds, cache_dir
        self._batches: dict[str, sk.Batch] = {}
        self._tags: list[dict] = []
        self._log: list[tuple] = []
        self._ids = itertools.count(1)

    def add(self, batch):
        if batch.id not in self._batches:
            self._batches[batch.id] = batch
            self._log.append(("add", batch.id))
        return batch.id

    def batches(self):
        return pl.DataFrame({"batch_id": list(self._batches), "n": [len(b) for b in self._batches.values()]},
                            schema={"batch_id": pl.String, "n": pl.Int64})

    def batch_ids(self):
        return list(self._batches)

    def batch(self, bid):
        return self._batches[bid]

    def tag(self, row_ids, label, note="", polygon=None, map_hash=None, author=None):
        tid = f"t{next(self._ids)}"
        self._tags.append(dict(tag_id=tid, label=label, note=note, polygon=polygon, map_hash=map_hash,
                               row_ids=list(row_ids)))
        self._log.append(("tag", tid))
        return tid

    def undo(self):
        kind, key = self._log.pop()
        if kind == "tag":
            self._tags = [t for t in self._tags if t["tag_id"] != key]
        else:
            del self._batches[key]
        return f"{kind} {key}"

    def peek_undo(self):
        if not self._log:
            return None
        kind, key = self._log[-1]
        return {"action": kind, "description": f"{kind} {key}", "destructive": kind == "add"}

    def tags(self):
        rows = [dict(tag_id=t["tag_id"], label=t["label"], row_id=r, created_at=f"{i:05d}")
                for i, t in enumerate(self._tags) for r in t["row_ids"]]
        schema = {"tag_id": pl.String, "label": pl.String, "row_id": pl.String, "created_at": pl.String}
        return pl.DataFrame(rows, schema=schema)

    def tag_counts(self):
        return self.tags().group_by("label", maintain_order=True).agg(pl.len().alias("rows"))


@pytest.fixture
def ws(penguins):
    return FakeWorkspace(penguins)


@pytest.fixture
def ex(ws):
    return Explorer(ws, map=FakeMap(ws.dataset))


def _f32(b: bytes) -> np.ndarray:
    return np.frombuffer(b, dtype="<f4")


def from_browser(widget, method: str, **data) -> None:
    """Deliver a comm message exactly as ipywidgets does when the browser sends one."""
    widget._handle_msg({"content": {"data": {"method": method, **data}}, "buffers": []})


def browser_lasso(ex: Explorer, row_ids, polygon=None) -> None:
    """What mapview.js does on plotly_selected: set the traits and bump the counter, in one save."""
    mv = ex.mapview
    from_browser(mv, "update", state={"selection": list(row_ids), "selection_polygon": polygon,
                                      "selection_version": mv.data_version,
                                      "selection_count": mv.selection_count + 1}, buffer_paths=[])


# --------------------------------------------------------------------------- the map's data
def test_explorer_draws_every_real_row_once_in_grey(ex, penguins):
    mv = ex.mapview
    assert sorted(mv.row_ids) == sorted(penguins.row_ids.to_list())
    assert len(_f32(mv.x)) == len(_f32(mv.y)) == len(penguins)
    (real,) = mv.layers
    assert (real["start"], real["stop"], real["color"]) == (0, len(penguins), REAL_COLOR)
    # coordinates are the map's, in the order of row_ids
    xy = dict(zip(ex.map.real["row_id"], ex.map.real["x"]))
    got = dict(zip(mv.row_ids, _f32(mv.x)))
    assert all(abs(got[r] - xy[r]) < 1e-5 for r in list(xy)[:50])


def test_generate_stores_places_and_draws_a_batch(ex, ws, penguins):
    v0 = ex.mapview.data_version
    batch = ex.generate("bootstrap", n=40, random_state=3, noise=0.2)
    assert isinstance(batch, sk.Batch) and len(batch) == 40
    assert ws.batches()["batch_id"].to_list() == [batch.id]
    assert ex.mapview.data_version > v0
    ids = ex.mapview.row_ids
    assert len(ids) == len(penguins) + 40 and set(batch.row_ids) <= set(ids)
    names = [l["name"] for l in ex.mapview.layers]
    assert names == ["real", "bootstrap"]
    # the same request again gives the same batch: stored once, drawn once
    ex.generate("bootstrap", n=40, random_state=3, noise=0.2)
    assert len(ex.mapview.row_ids) == len(penguins) + 40


def test_explorer_shows_batches_already_in_the_workspace(ws):
    batch = sk.generate(ws.dataset, "bootstrap", n=25, random_state=0)
    ws.add(batch)
    ex = Explorer(ws, map=FakeMap(ws.dataset))
    assert set(batch.row_ids) <= set(ex.mapview.row_ids)


def test_hover_columns_round_trip():
    f = pl.DataFrame({"a": [1.5, None, 3.0], "b": ["x", None, "y"], "c": [True, False, True]})
    cols = hover_columns(f, ["a", "b", "c"])
    a, b, c = cols
    assert a["kind"] == "num" and np.allclose(_f32(a["data"]), [1.5, np.nan, 3.0], equal_nan=True)
    codes = np.frombuffer(b["data"], dtype="<i4")
    assert [b["levels"][k] if k >= 0 else None for k in codes] == ["x", None, "y"]
    assert c["kind"] == "cat"


def test_plotly_js_is_sent_on_request_not_kept_in_state(monkeypatch):
    mv = MapView()
    sent = []
    monkeypatch.setattr(mv, "send", lambda content, buffers=None: sent.append((content, buffers)))
    from_browser(mv, "custom", content={"type": "need-plotly"})
    ((content, buffers),) = sent
    assert content == {"type": "plotly-js"} and buffers[0] is plotly_js()
    assert b"window.Plotly" in plotly_js()
    state = mv.get_state()
    assert all(len(str(v)) < 100_000 for v in state.values())


# --------------------------------------------------------------------------- selection
def test_select_by_ids_updates_table_and_map(ex):
    ex.generate("bootstrap", n=30, random_state=1, noise=0.1)
    ids = ["real:0", "real:5", ex.mapview.row_ids[-1]]
    sel = ex.select(ids)
    assert sel["row_id"].to_list() == ids
    for col in ("source", "batch", "x", "y", "dist_to_real", "bill_length_mm"):
        assert col in sel.columns
    assert sel["source"].to_list()[:2] == ["real", "real"]
    assert ex.mapview.selection == ids and ex.mapview.selection_polygon is None
    assert "3 rows selected" in ex.selection_view.table.value


def test_select_by_polygon_takes_exactly_the_points_inside(ex):
    ex.generate("bootstrap", n=60, random_state=2, noise=0.3)
    pts = ex._points
    x0, x1, y0, y1 = -0.5, 1.0, -1.0, 0.5
    sel = ex.select([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
    want = pts.filter((pl.col("x") > x0) & (pl.col("x") < x1) & (pl.col("y") > y0) & (pl.col("y") < y1))
    assert set(sel["row_id"]) == set(want["row_id"]) and sel.height > 10
    assert ex.selection_polygon == [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
    assert ex.mapview.selection_polygon == ex.selection_polygon


def test_browser_lasso_then_tag_stores_ids_polygon_and_map_hash(ex, ws):
    batch = ex.generate("bootstrap", n=30, random_state=4, noise=0.1)
    ids = batch.row_ids.to_list()[:7] + ["real:3"]
    poly = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]]
    browser_lasso(ex, ids, poly)
    assert ex.selection["row_id"].to_list() == ids
    tid = ex.tag("off-manifold", note="far out")
    (t,) = ws._tags
    assert t["tag_id"] == tid and t["row_ids"] == ids and t["polygon"] == poly
    assert t["map_hash"] == ex.map.hash and t["note"] == "far out"


def test_repeating_the_same_lasso_still_arrives(ex, ws):
    for k in range(3):
        browser_lasso(ex, ["real:1", "real:2"], None)
        ex.tag_panel.label.value = f"ok-{k}"  # the same rows under the same label would be refused
        ex.tag_panel.tag_button.click()
    assert [t["row_ids"] for t in ws._tags] == [["real:1", "real:2"]] * 3
    assert ex.mapview.selection_count == 3


def test_every_lasso_of_many_arrives(ex, ws):
    ex.generate("bootstrap", n=50, random_state=0, noise=0.2)
    rng = np.random.default_rng(0)
    ids = ex.mapview.row_ids
    expected = []
    for k in range(17):
        pick = [ids[i] for i in sorted(rng.choice(len(ids), size=5 + k, replace=False))]
        browser_lasso(ex, pick, [[0, 0], [1, 0], [0, 1]])
        expected.append(pick)
        from_browser(ex.tag_panel.label, "update", state={"value": f"label-{k}"}, buffer_paths=[])
        from_browser(ex.tag_panel.tag_button, "custom", content={"event": "click"})
    assert [t["row_ids"] for t in ws._tags] == expected


def test_browser_selection_of_unknown_ids_is_dropped(ex):
    browser_lasso(ex, ["real:1", "nope:3"])
    assert ex.selection["row_id"].to_list() == ["real:1"]


def test_deselect_clears(ex):
    browser_lasso(ex, ["real:1"])
    browser_lasso(ex, [], None)
    assert ex.selection.height == 0
    with pytest.raises(DataError, match="nothing is selected"):
        ex.tag("ok")


# --------------------------------------------------------------------------- tag panel, undo
def test_tag_button_shows_errors_instead_of_raising(ex, ws):
    ex.tag_panel.label.value = "ok"
    ex.tag_panel.tag_button.click()  # nothing selected
    assert "nothing is selected" in ex.tag_panel.status.value and not ws._tags


def test_tag_counts_and_undo(ex, ws):
    ex.select(["real:1", "real:2"])
    ex.tag("near-copy")
    assert "near-copy" in ex.tag_panel.counts.value
    ex.color_by("tag")
    assert any("near-copy" in l["name"] for l in ex.mapview.layers)
    msg = ex.undo()
    assert "t1" in msg and ws._tags == []
    assert "no tags yet" in ex.tag_panel.counts.value
    assert not any("near-copy" in l["name"] for l in ex.mapview.layers)


def test_undo_of_a_batch_removes_its_points(ex, ws, penguins):
    batch = ex.generate("bootstrap", n=20, random_state=0)
    ex.select(batch.row_ids.to_list()[:3])
    ex.undo()
    assert len(ex.mapview.row_ids) == len(penguins)
    assert ex.selection.height == 0


@pytest.mark.parametrize("label", ["", "   ", None, 3])
def test_tag_needs_a_label(ex, label):
    ex.select(["real:1"])
    with pytest.raises(DataError, match="label"):
        ex.tag(label)


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("bad", ["real:1", [(0, 0), (1, 1)], [(0, 0), (1, float("nan")), (2, 0)],
                                 ["real:1", "nope:1"]])
def test_select_rejects_bad_input(ex, bad):
    with pytest.raises(DataError):
        ex.select(bad)


def test_color_by_every_mode(ex):
    ex.generate("bootstrap", n=30, random_state=0, noise=0.5)
    ex.select(["real:1"]); ex.tag("ok")
    for mode in ("source", "batch", "dist_to_real", "tag", "species", "body_mass_g"):
        ex.color_by(mode)
        layers = ex.mapview.layers
        n = len(ex.mapview.row_ids)
        assert layers[0]["start"] == 0 and layers[-1]["stop"] == n
        assert all(a["stop"] == b["start"] for a, b in zip(layers, layers[1:]))
        assert ex.color_menu.value == mode
    ex.color_by("dist_to_real")
    synth = [l for l in ex.mapview.layers if l["continuous"]]
    assert len(synth) == 1 and synth[0]["showscale"]
    v = _f32(ex.mapview.value)[synth[0]["start"]:synth[0]["stop"]]
    assert np.all(v >= 0)
    with pytest.raises(SchemaError, match="colour the map by 'nope'"):
        ex.color_by("nope")


def test_map_layers_partition_the_points(penguins):
    pts = pl.DataFrame({"row_id": ["real:0", "b:0", "real:1", "b:1", "c:0"],
                        "source": ["real", "copula", "real", "copula", "cart"],
                        "batch": ["real", "b", "real", "b", "c"], "x": [0.0, 1, 2, 3, 4], "y": [0.0] * 5,
                        "dist_to_real": [0.5, 0.0, 0.7, 9.0, 1.0], "v": ["p", "q", "p", None, "q"]})
    for mode in ("source", "batch", "dist_to_real", "tag", "v", "x"):
        ordered, layers = map_layers(pts, mode)
        assert sorted(ordered["row_id"]) == sorted(pts["row_id"])
        for layer in layers:
            part = ordered.slice(layer["start"], layer["stop"] - layer["start"])
            assert part.height > 0
            if mode in ("source", "batch"):
                assert part["source"].n_unique() == 1
    ordered, layers = map_layers(pts, "source")
    assert layers[0]["name"] == "real" and ordered["row_id"][:2].to_list() == ["real:0", "real:1"]
    fig = map_figure(pts, "dist_to_real")
    assert len(fig.data) == len(map_layers(pts, "dist_to_real")[1])


# --------------------------------------------------------------------------- controls
def test_generate_button_uses_the_form_and_moves_the_seed(ex, ws):
    c = ex.controls
    c.generator.value = "bootstrap"
    assert "noise" in c.params
    c._param_widgets["noise"][0].value = 0.25
    c.n.value = 17
    c.seed.value = 5
    c.button.click()
    (bid,) = ws.batches()["batch_id"].to_list()
    assert len(ws.batch(bid)) == 17 and ws.batch(bid).provenance.random_state == 5
    assert ws.batch(bid).provenance.params["noise"] == 0.25
    assert c.seed.value == 6 and not c.button.disabled


def test_generate_button_reports_bad_parameters(ex, ws):
    c = ex.controls
    c.generator.value = "bootstrap"
    c._param_widgets["noise"][0].value = -1.0
    c.button.click()
    assert "noise" in ex.status.value and ws.batches().height == 0


# --------------------------------------------------------------------------- images, suggestions
def test_digits_selection_shows_thumbnails_beside_nearest_real(digits):
    ws = FakeWorkspace(digits)
    ex = Explorer(ws, map=FakeMap(digits))
    batch = ex.generate("bootstrap", n=10, random_state=0, noise=0.5)
    ex.select(batch.row_ids.to_list()[:4])
    thumbs = ex.selection_view.thumbs.value
    assert thumbs.count("<svg") == 8 and "nearest real" in thumbs
    assert "px_0_0" not in ex.selection_view.table.value  # pixel columns stay out of the table
    svg = thumbnail_svg(np.arange(64).reshape(8, 8))
    assert svg.count("<rect") == 64


def test_suggestions_accept_and_dismiss(ex, ws, monkeypatch):
    from types import SimpleNamespace
    import synthkit.widgets.explorer as mod

    batch = ex.generate("bootstrap", n=20, random_state=0)
    regions = [SimpleNamespace(kind="near-copy", row_ids=batch.row_ids.to_list()[:3], reason="exact copies",
                               severity="high"),
               SimpleNamespace(kind="off-manifold", row_ids=batch.row_ids.to_list()[3:5], reason="far",
                               severity="low")]
    monkeypatch.setattr(mod, "_suggest_fn", lambda: (lambda real, synth: regions))
    assert len(ex.suggestions()) == 2
    assert "exact copies" in ex.tag_panel.suggestion_box.children[0].children[0].value
    ex.dismiss(1)
    ex.accept(0)
    (t,) = ws._tags
    assert t["label"] == "near-copy" and t["row_ids"] == regions[0].row_ids and t["note"] == "exact copies"
    with pytest.raises(DataError, match="no suggestion"):
        ex.accept(0)


# --------------------------------------------------------------------------- placement summary
def test_placement_summary_counts_copies_and_far_rows():
    from synthkit.summary import placement_summary

    placed = pl.DataFrame({"source": ["real", "a", "a", "a", "b"], "dist_to_real": [1.0, 0.0, 3.0, 1.0, 2.5]})
    out = placement_summary(placed)
    assert out.to_dicts() == [
        {"source": "real", "rows": 1, "copies": 0, "median_dist": 1.0, "far": 0},
        {"source": "a", "rows": 3, "copies": 1, "median_dist": 1.0, "far": 1},
        {"source": "b", "rows": 1, "copies": 0, "median_dist": 2.5, "far": 1},
    ]
    with pytest.raises(DataError, match="dist_to_real"):
        placement_summary(placed.drop("dist_to_real"))
    with pytest.raises(DataError, match="far"):
        placement_summary(placed, far=-1)


def test_explorer_points_and_summary(ex, penguins):
    batch = ex.generate("bootstrap", n=30, random_state=0)
    pts = ex.points
    assert pts.height == len(penguins) + 30
    assert {"row_id", "source", "batch", "x", "y", "dist_to_real"} <= set(pts.columns)
    s = ex.summary()
    assert s["source"].to_list() == ["real", "bootstrap"]
    assert s.filter(pl.col("source") == "bootstrap")["copies"].item() == 30  # bootstrap copies real rows


def test_categorical_columns_with_numbers_get_discrete_colours(digits):
    ex = Explorer(FakeWorkspace(digits), map=FakeMap(digits), color_by="label")
    layers = ex.mapview.layers
    assert not any(l["continuous"] for l in layers)
    assert len({l["legendgroup"] for l in layers}) == 10


def test_thumbnails_show_synthetic_rows_first(digits):
    ex = Explorer(FakeWorkspace(digits), map=FakeMap(digits))
    batch = ex.generate("bootstrap", n=5, random_state=0, noise=0.5)
    ex.select([f"real:{i}" for i in range(20)] + batch.row_ids.to_list()[:2])
    thumbs = ex.selection_view.thumbs.value
    assert thumbs.index(batch.row_ids[0]) < thumbs.index("real:0")


# --------------------------------------------------------------------------- with the real Map and Workspace
@pytest.mark.slow
def test_explorer_on_a_real_workspace_and_map(tmp_path, penguins):
    ws = sk.Workspace.create(tmp_path / "ws", penguins)
    ex = Explorer(ws)
    assert ex.map.hash and ex.mapview.layers[0]["name"] == "real"
    batch = ex.generate("bootstrap", n=50, random_state=0)
    # a lasso drawn around a part of the map, as the browser reports it
    pts = ex.points
    eps = 1e-3 * (pts["x"].max() - pts["x"].min())  # keep the edges off the points
    x0, x1 = pts["x"].quantile(0.2) + eps, pts["x"].quantile(0.6) + eps
    y0, y1 = pts["y"].min() - 1, pts["y"].max() + 1
    poly = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
    want = pts.filter((pl.col("x") > x0) & (pl.col("x") < x1))["row_id"].to_list()
    browser_lasso(ex, want, poly)
    tid = ex.tag("near-copy", note="from a lasso")
    tag = ws.get_tag(tid)
    assert sorted(tag.row_ids) == sorted(want) and tag.map_hash == ex.map.hash
    assert [list(p) for p in tag.polygon] == poly
    # the stored region, applied to the placed rows, gives back the synthetic rows inside it
    placed = ex.map.place(batch)
    assert set(ws.apply_region(tid, placed, map_hash=ex.map.hash)) == set(want) & set(batch.row_ids)
    # reopening: same map from the cache, the batch and the tag are shown
    ex2 = Explorer(sk.Workspace.open(tmp_path / "ws"), color_by="tag")
    assert ex2.map.hash == ex.map.hash and set(batch.row_ids) <= set(ex2.mapview.row_ids)
    assert any("near-copy" in l["name"] for l in ex2.mapview.layers)
    assert ex2.undo().startswith("undid tag")


def _layer_rows(mv, layer) -> list[str]:
    order = np.frombuffer(mv.order, dtype="<i4")
    return [mv.row_ids[i] for i in order[layer["start"]:layer["stop"]]]


def test_layers_point_at_their_rows_and_colour_changes_resend_only_the_order(ex):
    batch = ex.generate("bootstrap", n=30, random_state=0, noise=0.2)
    mv = ex.mapview
    pv = mv.points_version
    (real, boot) = mv.layers
    assert all(r.startswith("real:") for r in _layer_rows(mv, real))
    assert sorted(_layer_rows(mv, boot)) == sorted(batch.row_ids)
    ex.color_by("species")
    assert mv.points_version == pv  # same points: only order, values and layers change
    for layer in mv.layers:
        species = {ex.points.filter(pl.col("row_id") == r)["species"].item() for r in _layer_rows(mv, layer)}
        assert len(species) == 1 and layer["legendgroup"] == next(iter(species))
    ex.generate("bootstrap", n=10, random_state=9, noise=0.2)
    assert mv.points_version == pv + 1


def test_set_points_checks_the_order():
    mv = MapView()
    pts = pl.DataFrame({"row_id": ["a", "b"], "x": [0.0, 1.0], "y": [0.0, 1.0]})
    with pytest.raises(DataError, match="permutation"):
        mv.set_points(pts, [0, 0], [], [])


def test_tagging_does_not_resend_the_points(ex):
    ex.generate("bootstrap", n=30, random_state=0)
    pv = ex.mapview.points_version
    ex.select(["real:1", "real:2"]); ex.tag("ok")
    ex.color_by("tag"); ex.undo()
    assert ex.mapview.points_version == pv


# --------------------------------------------------------------------------- behaviours a person expects
def test_undo_button_names_the_action_and_confirms_a_batch(ex, ws, penguins):
    batch = ex.generate("bootstrap", n=20, random_state=0)
    assert f"add {batch.id}" in ex.tag_panel.undo_note.value
    ex.select(["real:1", "real:2"])
    ex.tag("near-copy")
    assert "Undo reverts: tag t1" in ex.tag_panel.undo_note.value
    ex.tag_panel.undo_button.click()  # a tag goes at once
    assert ws._tags == []
    assert "tag t1" in ex.tag_panel.status.value and "undone: " not in ex.tag_panel.status.value
    assert "tag t1" in ex.status.value, "the status line tells the truth after an undo"
    # the next undo would remove the whole batch: the first click only asks
    ex.tag_panel.undo_button.click()
    assert batch.id in ws.batch_ids() and len(ex.mapview.row_ids) == len(penguins) + 20
    assert ex.tag_panel.undo_button.description == "Confirm undo"
    assert batch.id in ex.tag_panel.undo_note.value and "leave the map" in ex.tag_panel.undo_note.value
    ex.tag_panel.undo_button.click()
    assert ws.batch_ids() == [] and len(ex.mapview.row_ids) == len(penguins)
    assert ex.tag_panel.undo_button.description == "Undo"
    assert batch.id in ex.status.value and "added" not in ex.status.value
    ex.tag_panel.undo_button.click()
    assert "nothing to undo" in ex.tag_panel.status.value


def test_a_new_action_cancels_a_pending_batch_undo(ex, ws):
    batch = ex.generate("bootstrap", n=10, random_state=0)
    ex.tag_panel.undo_button.click()  # asks
    ex.select(["real:1"])
    ex.tag("odd")  # something new happened: the pending confirmation no longer applies
    assert ex.tag_panel.undo_button.description == "Undo"
    ex.tag_panel.undo_button.click()  # undoes the tag, not the batch
    assert batch.id in ws.batch_ids() and ws._tags == []


def test_tag_button_clears_label_and_note(ex, ws):
    ex.select(["real:1", "real:2"])
    ex.tag_panel.label.value, ex.tag_panel.note.value = "odd", "looks odd"
    ex.tag_panel.tag_button.click()
    assert ws._tags[0]["label"] == "odd" and ws._tags[0]["note"] == "looks odd"
    assert ex.tag_panel.label.value == "" and ex.tag_panel.note.value == ""
    # a failed tag keeps what was typed
    ex.select([])
    ex.tag_panel.label.value = "kept"
    ex.tag_panel.tag_button.click()
    assert "nothing is selected" in ex.tag_panel.status.value and ex.tag_panel.label.value == "kept"


def test_the_same_rows_under_the_same_label_are_not_tagged_twice(ex, ws):
    ex.select(["real:1", "real:2"])
    ex.tag("odd")
    with pytest.raises(DataError, match="already carry tag t1"):
        ex.tag("odd")
    assert len(ws._tags) == 1
    ex.tag("other label")  # another label is a new tag
    ex.select(["real:1", "real:2", "real:3"])
    ex.tag("odd")  # other rows too
    assert len(ws._tags) == 3


def _regions(batch):
    from types import SimpleNamespace

    return [SimpleNamespace(kind="near-copy", row_ids=batch.row_ids.to_list()[:3], reason="exact copies",
                            severity="high"),
            SimpleNamespace(kind="near-copy", row_ids=batch.row_ids.to_list()[:3], reason="exact copies",
                            severity="high")]


def test_accepting_a_suggestion_twice_tags_once(ex, ws, monkeypatch):
    import synthkit.widgets.explorer as mod

    batch = ex.generate("bootstrap", n=20, random_state=0)
    monkeypatch.setattr(mod, "_suggest_fn", lambda: (lambda real, synth: _regions(batch)))
    ex.suggestions()
    ex.accept(0)
    assert len(ex._regions) == 1, "an accepted suggestion leaves the list"
    with pytest.raises(DataError, match="already carry"):
        ex.accept(0)  # the same rows under the same label
    assert len(ws._tags) == 1 and ex._regions == []
    ex.tag_panel.suggest_button.click()
    ex.tag_panel.suggestion_box.children[0].children[1].children[1].click()  # Accept
    ex.tag_panel.suggestion_box.children[0].children[1].children[1].click()
    assert len(ws._tags) == 1 and "already carry" in ex.tag_panel.status.value


def test_suggest_regions_checks_the_chosen_batch_and_says_which(ex, ws, monkeypatch):
    import synthkit.widgets.explorer as mod

    seen = []
    monkeypatch.setattr(mod, "_suggest_fn", lambda: (lambda real, synth: seen.append(synth.id) or _regions(synth)))
    first = ex.generate("bootstrap", n=20, random_state=0)
    second = ex.generate("bootstrap", n=20, random_state=1)
    assert list(ex.tag_panel.suggest_batch.options) == [first.id, second.id]
    assert ex.tag_panel.suggest_batch.value == second.id
    ex.tag_panel.suggest_batch.value = first.id
    ex.tag_panel.suggest_button.click()
    assert seen == [first.id] and first.id in ex.tag_panel.status.value


def test_show_selects_a_suggestions_rows_on_the_map(ex, ws, monkeypatch):
    import synthkit.widgets.explorer as mod

    batch = ex.generate("bootstrap", n=20, random_state=0)
    monkeypatch.setattr(mod, "_suggest_fn", lambda: (lambda real, synth: _regions(batch)))
    ex.suggestions()
    ex.tag_panel.suggestion_box.children[0].children[1].children[0].click()  # Show
    assert ex.selection["row_id"].to_list() == batch.row_ids.to_list()[:3]
    assert list(ex.mapview.selection) == batch.row_ids.to_list()[:3]
    assert ws._tags == [], "showing does not tag"


def test_scores_join_the_points_and_colour_the_map(ex, ws):
    b = ex.generate("bootstrap", 30, random_state=0)
    ids = b.frame["row_id"].to_list()
    scores = pl.DataFrame({"row_id": ids[:10], "attack_exposure": list(range(10)), "flag": [True] * 10,
                           "note": ["x"] * 10})
    ex.add_scores(scores)
    pts = ex.points
    got = pts.filter(pl.col("row_id").is_in(ids[:10]))
    assert sorted(got["attack_exposure"].to_list()) == list(range(10))
    assert pts.filter(~pl.col("row_id").is_in(ids[:10]))["attack_exposure"].null_count() == pts.height - 10
    assert "attack_exposure" in ex.color_menu.options and "note" not in pts.columns
    ex.color_by("attack_exposure")
    assert ex._color == "attack_exposure"
    ex.add_scores(scores.with_columns(pl.col("attack_exposure") * 2), columns=["attack_exposure"])  # replaces
    assert ex.points.filter(pl.col("row_id") == ids[3])["attack_exposure"].item() == 6
    with pytest.raises(DataError, match="no row_id matches"):
        ex.add_scores(pl.DataFrame({"row_id": ["nowhere:1"], "s": [1.0]}))
    with pytest.raises(DataError, match="hide map or data"):
        ex.add_scores(pl.DataFrame({"row_id": ids[:1], "dist_to_real": [1.0]}))
    with pytest.raises(DataError, match="row_id column"):
        ex.add_scores([1, 2])
