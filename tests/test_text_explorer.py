"""Text rows in the Explorer, without a browser: hover text, the selection table, tag, curate, export."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit.batch import Provenance, make_batch
from synthkit.widgets import Explorer
from synthkit.widgets.controls import Controls, dataset_summary
from synthkit.widgets.mapview import HOVER_TEXT_CHARS, HOVER_TEXT_WRAP, hover_columns, shorten
from synthkit.widgets.selection import SelectionView, selection_html, with_nearest_text

HOSTILE = "<script>alert('x')</script> & a very long line " + "word " * 40


class TextMap:
    """A stand-in Map with the real one's public API: x, y = two text components, nearest = exact NN."""

    method, note, mode = "fake", "", "anchored"
    hash = "textmap0123456789"

    def __init__(self, ds: sk.Dataset) -> None:
        self.ds = ds
        self.enc = sk.Encoder().fit(ds)
        self.X = self.enc.transform(ds)
        xy = self.enc.text_components(ds, "text")[:, :2]
        self.real = pl.DataFrame({"row_id": ds.row_ids, "x": np.nan_to_num(xy[:, 0]),
                                  "y": np.nan_to_num(xy[:, 1]), "dist_to_real": np.zeros(len(ds))})

    def place(self, batch) -> pl.DataFrame:
        Y = self.enc.transform(batch)
        d = np.sqrt(((Y[:, None] - self.X[None]) ** 2).sum(-1))
        xy = np.nan_to_num(self.enc.text_components(batch, "text")[:, :2])
        return pl.DataFrame({"row_id": batch.row_ids, "x": xy[:, 0], "y": xy[:, 1],
                             "dist_to_real": d.min(1), "nearest_real": self.ds.row_ids.gather(d.argmin(1))})


@pytest.fixture(scope="module")
def real() -> sk.Dataset:
    return sk.load("shakespeare").sample(120, random_state=5)


@pytest.fixture(scope="module")
def batch(real) -> sk.Batch:
    """Twelve real lines again (near copies) and one hostile, long line."""
    rows = real.frame.head(13).with_columns(
        pl.Series("text", real.frame["text"].head(12).to_list() + [HOSTILE]))
    prov = Provenance(generator="copies", params={}, random_state=0, fitted_on=("real",), dataset=real.name,
                      data_fingerprint=real.fingerprint, n=rows.height)
    return make_batch(rows.select(real.schema.columns), real.schema, prov)


@pytest.fixture()
def ex(tmp_path, real, batch):
    ws = sk.Workspace.create(tmp_path / "ws", real)
    ws.add(batch)
    yield Explorer(ws, map=TextMap(real))
    ws.close()


def test_hover_shows_the_first_characters_of_a_document():
    frame = pl.DataFrame({"t": ["short line", "x" * 300, None], "k": ["a", "b", "c"]})
    cols = hover_columns(frame, ["t", "k"], text=["t"])
    t, k = cols
    assert t["wrap"] == HOVER_TEXT_WRAP and "wrap" not in k
    assert "short line" in t["levels"]
    long = [v for v in t["levels"] if v.startswith("x")][0]
    assert len(long) == HOVER_TEXT_CHARS and long.endswith("\u2026")
    assert np.frombuffer(t["data"], dtype="<i4")[2] == -1  # missing stays missing
    assert shorten(pl.Series(["abc"]), 2).to_list() == ["a\u2026"]


def test_explorer_hover_and_colour_menu_on_text(ex, batch):
    names = [c["name"] for c in ex.mapview.hover_columns]
    assert names[:4] == ["source", "batch", "dist_to_real", "text"]
    text = ex.mapview.hover_columns[3]
    assert text["wrap"] == HOVER_TEXT_WRAP and max(len(v) for v in text["levels"]) <= HOVER_TEXT_CHARS
    assert "text" not in ex.color_menu.options and "genre" in ex.color_menu.options
    assert "1 text" in dataset_summary(ex.dataset)


def test_selection_table_shows_each_text_beside_its_nearest_real_text(ex, batch, real):
    ids = batch.frame["row_id"].to_list()
    sel = ex.select(ids[:2] + [ids[-1], real.frame["row_id"][0]])
    assert sel.height == 4 and "text" in sel.columns and "nearest real text" not in sel.columns
    html = ex.selection_view.table.value
    head = html.split("<tr>")[1]
    assert head.index("<th>text</th>") < head.index("<th>nearest real text</th>") < head.index("<th>play</th>")
    # a copied line sits beside the real line it copies
    first = real.frame["text"][0]
    row1 = html.split("<tr>")[2]
    cells = row1.split("<td class='synthkit-text'>")
    assert len(cells) == 3 and cells[1].startswith(first[:30].replace("'", "&#x27;"))
    assert cells[2].startswith(first[:30].replace("'", "&#x27;"))
    # the hostile line is escaped and cut; a real row is its own nearest: its neighbour cell is empty
    assert "<script>" not in html and "&lt;script&gt;" in html and "\u2026" in html
    last = html.split("<tr>")[-1]
    assert last.count("<td class='synthkit-text'>–</td>") == 1


def test_with_nearest_text_joins_by_nearest_real(real):
    sel = pl.DataFrame({"row_id": ["s:0", "real:1"], "source": ["x", "real"], "text": ["a b", "c d"],
                        "nearest_real": [real.frame["row_id"][3], "real:1"]})
    out = with_nearest_text(sel, real.frame, real.schema)
    assert out.columns == ["row_id", "source", "text", "nearest real text", "nearest_real"]
    assert out["nearest real text"].to_list() == [real.frame["text"][3], None]
    html = selection_html(out, ["text", "nearest real text"], text=["text", "nearest real text"])
    assert html.count("class='synthkit-text'") == 4
    view = SelectionView(real.schema)
    view.show(sel, real.frame)
    assert "nearest real text" in view.table.value


def test_tag_curate_and_export_text_rows(ex, batch, tmp_path):
    bad = batch.frame["row_id"].to_list()[-1]
    ex.select([bad])
    ex.tag("garbled", note="markup in a line")
    kept = ex.ws.curate(batch.id, drop=["garbled"])
    assert bad not in kept["row_id"].to_list() and kept.height == len(batch) - 1
    assert kept["text"].to_list() == batch.frame["text"].to_list()[:-1]
    out = ex.ws.export(tmp_path / "curated.parquet", batch.id, drop=["garbled"])
    back = pl.read_parquet(out)
    assert back.height == len(batch) - 1 and "text" in back.columns
    assert ex.ws.rows_tagged("garbled") == {bad}


def test_controls_offer_text_generators_on_text_data(real, penguins):
    c = Controls(real, on_generate=lambda *a: None)
    opts = list(c.generator.options)
    assert "markov" in opts and "copula" not in opts and c.generator.value == opts[0]
    assert "markov" not in Controls(penguins, on_generate=lambda *a: None).generator.options
