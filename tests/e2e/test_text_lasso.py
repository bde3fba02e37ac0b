"""Text rows in the Explorer, in JupyterLab in headless Chromium: hover shows the text, a lasso tags it.

A small notebook (written into the server's temporary folder) opens an
Explorer on 300 shakespeare lines and a batch of Markov lines; every 15th real
line starts with markup (``<i>...</i> & ...``). The test hovers the most
isolated of those lines' points (the hover label must name that row and show
its text, the markup as plain characters), then lassos
around a synthetic point and tags the selection: the workspace must hold a tag
whose row ids are exactly the points inside the stored polygon, and the
selection table must show each selected synthetic line beside its nearest
real line.
"""

from __future__ import annotations

import time

import nbformat
import numpy as np
import polars as pl
import pytest

import synthkit as sk

from . import lab as L
from .test_tour_lasso import _check_tag

MARKUP = "<i>Sweet</i> & bitter: "
NB = "text_lasso.ipynb"
CELLS = [
    "import polars as pl\nimport synthkit as sk\nfrom synthkit.widgets import Explorer",
    "ds = sk.load('shakespeare').sample(300, random_state=0)\n"
    f"ds = sk.from_frame(ds.frame.with_columns(pl.when(pl.int_range(pl.len()) % 15 == 0)"
    f".then(pl.lit({MARKUP!r}) + pl.col('text')).otherwise(pl.col('text')).alias('text')), 'shakespeare', "
    "text=['text'], target='genre', meta=['speaker'])\n"
    "ws = sk.Workspace.create('text-ws', ds)\n"
    "ws.add(sk.generate(ds, 'markov', n=80, random_state=1))\n"
    "m = sk.Map.fit(ds, random_state=0, n_epochs=60, cache_dir=ws.cache_dir)",
    "ex = Explorer(ws, map=m)\nex",
]


def _points(ws) -> pl.DataFrame:
    m = sk.Map.fit(ws.dataset, random_state=0, n_epochs=60, cache_dir=ws.cache_dir)  # the notebook's, cached
    parts = [m.real.select("row_id", "x", "y")]
    parts += [m.place(ws.batch(b)).select("row_id", "x", "y") for b in ws.batch_ids()]
    return pl.concat(parts)


def _isolated(pts: pl.DataFrame, ids: pl.Series) -> dict:
    """The point among ``ids`` farthest from every other point (so the mouse finds it alone)."""
    xy = pts.select("x", "y").to_numpy()
    cand = pts.with_row_index("_i").filter(pl.col("row_id").is_in(ids.implode()))
    d = np.sqrt(((xy[cand["_i"].to_numpy()][:, None] - xy[None]) ** 2).sum(-1))
    d[np.arange(len(d)), cand["_i"].to_numpy()] = np.inf
    return cand.row(int(d.min(axis=1).argmax()), named=True)


@pytest.mark.e2e
def test_text_rows_hover_and_lasso_into_a_tag(lab, page):
    base, nb_dir = lab
    t0 = time.monotonic()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS], metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}})
    nbformat.write(nb, nb_dir / NB)
    with L.opened(page, base, NB):
        _drive(page, nb_dir, t0)


def _drive(page, nb_dir, t0) -> None:
    L.run_all(page, NB, timeout=600)
    plot = L.wait_for_map(page, index=0)

    ws = sk.Workspace.open(nb_dir / "text-ws")
    pts = _points(ws)
    real = ws.dataset.frame
    batch_id = ws.batch_ids()[0]

    # hover: the line's text, its markup shown as characters (escaped), cut to about 120 characters
    marked = real.filter(pl.col("text").str.starts_with(MARKUP))["row_id"]
    row = _isolated(pts, marked)
    text = L.hover_text(page, plot, row["x"], row["y"], row["row_id"])
    assert row["row_id"] in text and MARKUP.strip() in text, text
    doc = real.filter(pl.col("row_id") == row["row_id"])["text"][0]
    assert ("\u2026" in text) == (len(doc) > 120), text

    # lasso around a synthetic point, tag the selection
    syn = pts.filter(pl.col("row_id").str.starts_with(batch_id))
    target = syn.row(syn.height // 2, named=True)
    cx, cy = L.to_pixels(page, target["x"], target["y"])
    box = plot.locator(".nsewdrag").first.bounding_box()
    before = page.locator(".synthkit-map").first.get_attribute("data-selection-count") or "0"
    L.lasso(page, plot, ((cx - box["x"]) / box["width"], (cy - box["y"]) / box["height"]),
            (40 / box["width"], 36 / box["height"]))
    stamp = L.poll("the lasso to be sent", lambda: (c := page.locator(".synthkit-map").first
                                                    .get_attribute("data-selection-count") or "0") != before and c,
                   timeout=60)
    stamped = page.locator(f".synthkit-selection [data-stamp='{stamp}']").first
    L.poll("the selection table of this lasso", lambda: stamped.count() > 0, timeout=120)
    table = page.locator(".synthkit-selection").first
    headers = table.locator("th").all_inner_texts()
    assert headers[3:5] == ["text", "nearest real text"], headers
    shown = L.selected_count(stamped.inner_text())
    page.locator(".synthkit-label input").first.fill("odd lines")
    page.locator(".synthkit-label input").first.press("Tab")
    page.locator("button.synthkit-tag").first.click()
    _check_tag(ws, "odd lines", pts["x"].to_numpy(), pts["y"].to_numpy(), pts, shown)
    tag = ws.get_tag(ws.tag_list().filter(pl.col("label") == "odd lines")["tag_id"][0])
    assert any(r.startswith(batch_id) for r in tag.row_ids), "the lasso took the synthetic point it circled"
    # each selected synthetic line sits beside its nearest real line (a text of the real rows)
    cells = table.locator("tr").nth(1).locator("td.synthkit-text").all_inner_texts()
    assert len(cells) == 2
    ws.close()
    print(f"text lasso test: {time.monotonic() - t0:.1f} s")
