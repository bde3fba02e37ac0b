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

import json
import time
import urllib.request

import nbformat
import numpy as np
import polars as pl
import pytest

import synthkit as sk

from . import lab as L
from .test_tour_lasso import _check_tag, _selected_count, _to_pixels

MARKUP = "<i>Sweet</i> & bitter: "
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


def _hover_text(page, plot, x: float, y: float, expect: str) -> str:
    """Move the mouse onto data point (x, y); the label text once it names ``expect`` (or the last one seen).

    The pointer passes other points on its way, and plotly redraws its label a
    frame later, so the first label seen may still be a neighbour's: wait for
    the label of the point under the pointer.
    """
    box = plot.bounding_box()
    page.mouse.move(box["x"] + box["width"] + 40, box["y"] - 20)
    page.evaluate("(s) => window.Plotly.Fx.unhover(document.querySelector(s))", L.PLOT)
    label = page.locator(L.PLOT + " .hoverlayer .hovertext")
    L.poll("the old hover label to go", lambda: label.count() == 0, timeout=30)
    cx, cy = _to_pixels(page, x, y)
    page.mouse.move(cx - 5, cy - 5, steps=2)
    page.mouse.move(cx, cy, steps=3)
    seen = {"text": ""}

    def names_it() -> bool:
        seen["text"] = (label.first.text_content() or "") if label.count() else ""  # SVG: no innerText
        return expect in seen["text"]

    try:
        L.poll(f"the hover label of {expect}", names_it, timeout=30)
    except TimeoutError:  # the assertion below shows what the label said instead
        pass
    return seen["text"]


def _close(page, base: str, name: str) -> None:
    """Save and close every tab and end this notebook's kernel, so later tests find a clean JupyterLab."""
    page.evaluate("""async () => { const c = window.jupyterapp.commands;
        await c.execute('docmanager:save'); await c.execute('application:close-all'); }""")
    with urllib.request.urlopen(f"{base}/api/sessions", timeout=30) as r:
        sessions = json.load(r)
    for s in sessions:
        if s.get("path", "").endswith(name):
            req = urllib.request.Request(f"{base}/api/sessions/{s['id']}", method="DELETE")
            urllib.request.urlopen(req, timeout=30).close()


@pytest.mark.e2e
def test_text_rows_hover_and_lasso_into_a_tag(lab, page):
    base, nb_dir = lab
    try:
        _run(page, base, nb_dir)
    finally:
        _close(page, base, "text_lasso.ipynb")


def _run(page, base, nb_dir) -> None:
    t0 = time.monotonic()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS], metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}})
    nbformat.write(nb, nb_dir / "text_lasso.ipynb")
    L.open_notebook(page, base, "text_lasso.ipynb")
    L.run_all(page, timeout=600)
    plot = L.wait_for_map(page, index=0)

    ws = sk.Workspace.open(nb_dir / "text-ws")
    pts = _points(ws)
    real = ws.dataset.frame
    batch_id = ws.batch_ids()[0]

    # hover: the line's text, its markup shown as characters (escaped), cut to about 120 characters
    marked = real.filter(pl.col("text").str.starts_with(MARKUP))["row_id"]
    row = _isolated(pts, marked)
    text = _hover_text(page, plot, row["x"], row["y"], row["row_id"])
    assert row["row_id"] in text and MARKUP.strip() in text, text
    doc = real.filter(pl.col("row_id") == row["row_id"])["text"][0]
    assert ("\u2026" in text) == (len(doc) > 120), text

    # lasso around a synthetic point, tag the selection
    syn = pts.filter(pl.col("row_id").str.starts_with(batch_id))
    target = syn.row(syn.height // 2, named=True)
    cx, cy = _to_pixels(page, target["x"], target["y"])
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
    shown = _selected_count(stamped.inner_text())
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
