"""A map of a million real rows in JupyterLab (headless Chromium): density image, lasso, hover, zoom.

The real data is ``penguins_like(1_000_000)`` from ``benchmarks/bigmap.py``
(the penguins resampled with seeded jitter, rounded as measured, so about
53,000 of the million rows are distinct). The map is fitted here as the
Explorer fits it (UMAP on a seeded 10,000-row subsample, the other real rows
placed into it) and cached in the workspace, so the notebook's Explorer loads
it; a 5,000-row copula batch is in the workspace, and the notebook writes the
coordinates the Explorer placed it at.

In the page: the real rows are one density image (no point each) and the
batch 5,000 points; a mouse lasso over the densest part of the map (drawn
right after a small one elsewhere, before that one's answer is back), then the
Tag button, must store a tag holding exactly the real and synthetic rows
inside the lasso's polygon (``points_in_polygon`` on the map coordinates);
hovering a batch point afterwards must show that point's label; zooming (by
relayout, then with the mouse) must bring a new image of the new extent, and a
double-click one of the whole map.
Undo then withdraws the tag.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import nbformat
import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit.tags import points_in_polygon

from . import lab as L
from .conftest import ARTIFACTS

ROOT = Path(__file__).resolve().parents[2]
REAL_ROWS = 1_000_000
BATCH_ROWS = 5_000
NB = "bigmap.ipynb"
CELLS = [
    "import synthkit as sk",
    "ws = sk.Workspace.open('big-ws')\nex = sk.Explorer(ws)  # the map fitted before is in ws.cache_dir",
    "import polars as pl\n"
    "ex.points.filter(pl.col('batch') != 'real').select('row_id', 'x', 'y').write_parquet('batch-xy.parquet')",
    "ex",
]


def _penguins_like():
    spec = importlib.util.spec_from_file_location("bigmap_bench", ROOT / "benchmarks" / "bigmap.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.penguins_like


def _image(page) -> dict:
    return page.evaluate("""(s) => { const gd = document.querySelector(s); const im = (gd.layout.images || [])[0];
        const m = gd.closest('.synthkit-map');
        return { n: (gd.layout.images || []).length, x: im && im.x, y: im && im.y, sizex: im && im.sizex,
                 sizey: im && im.sizey, src: im ? im.source.length : 0, version: +(m.dataset.densityVersion || -1),
                 xr: gd._fullLayout.xaxis.range, yr: gd._fullLayout.yaxis.range,
                 note: (gd.layout.annotations || []).map(a => a.text).join(' ') }; }""", L.PLOT)


def _pixels(page, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Page pixels of many data points on the first map."""
    return np.asarray(page.evaluate(
        """([s, xs, ys]) => { const gd = document.querySelector(s); const r = gd.querySelector('.nsewdrag').getBoundingClientRect();
             return xs.map((x, i) => [r.left + gd._fullLayout.xaxis.d2p(x), r.top + gd._fullLayout.yaxis.d2p(ys[i])]); }""",
        [L.PLOT, x.tolist(), y.tolist()]), dtype=float)


@pytest.mark.e2e
@pytest.mark.slow
def test_a_million_real_rows_lasso_hover_zoom(lab, page):
    base, nb_dir = lab
    t0 = time.monotonic()
    ds = _penguins_like()(REAL_ROWS)
    ws = sk.Workspace.create(nb_dir / "big-ws", ds)
    batch = sk.generate(ds, "copula", n=BATCH_ROWS, random_state=1)
    ws.add(batch)
    m = sk.Map.fit(ds, mode="anchored", random_state=0, cache_dir=ws.cache_dir)
    t_setup = time.monotonic() - t0

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS], metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}})
    nbformat.write(nb, nb_dir / NB)
    with L.opened(page, base, NB):
        _drive(page, nb_dir, batch, m, ws, t0, t_setup)


def _drive(page, nb_dir, batch, m, ws, t0, t_setup) -> None:
    t1 = time.monotonic()
    L.run_all(page, NB, timeout=600)
    plot = L.wait_for_map(page, index=0)
    t_draw = time.monotonic() - t1
    # the map's coordinates: the real rows' from the fitted map, the batch's as the Explorer placed them
    placed = pl.read_parquet(nb_dir / "batch-xy.parquet")
    assert placed.height == BATCH_ROWS and placed["row_id"].to_list() == batch.row_ids.to_list()
    pts = pl.concat([m.real.select("row_id", "x", "y"), placed])
    xs, ys = pts["x"].to_numpy(), pts["y"].to_numpy()

    # the real rows are one image; the batch is 5,000 points with hover
    mapdiv = page.locator(".synthkit-map").first
    assert mapdiv.get_attribute("data-points") == str(BATCH_ROWS)
    first = L.poll("the density image", lambda: (im := _image(page))["n"] == 1 and im["src"] > 1000 and im, timeout=60)
    assert "no hover" in first["note"] and "1,000,000" in first["note"], first["note"]
    # after the first draw the page asks for an image that fits the plot: it arrives
    L.poll("the image fitted to the plot", lambda: _image(page)["version"] >= first["version"] + 1
           or _image(page)["version"] >= 2, timeout=60)

    # a lasso over the densest part of the map, drawn right after a small one elsewhere (before that
    # one's selection is back): the second one counts
    real = m.real
    rx, ry = real["x"].to_numpy(), real["y"].to_numpy()
    hist, ex_, ey_ = np.histogram2d(rx, ry, bins=40)
    i, j = np.unravel_index(int(hist.argmax()), hist.shape)
    centre = ((ex_[i] + ex_[i + 1]) / 2, (ey_[j] + ey_[j + 1]) / 2)
    far = int(np.argmax((rx - centre[0]) ** 2 + (ry - centre[1]) ** 2))
    decoy = (float(rx[far]), float(ry[far]))
    box = plot.locator(".nsewdrag").first.bounding_box()
    before = int(mapdiv.get_attribute("data-selection-count") or "0")
    for j, ((dx, dy), radius) in enumerate(((decoy, (25, 20)), (centre, (70, 55)))):
        cx, cy = L.to_pixels(page, dx, dy)
        cx = min(max(cx, box["x"] + radius[0] + 5), box["x"] + box["width"] - radius[0] - 5)
        cy = min(max(cy, box["y"] + radius[1] + 30), box["y"] + box["height"] - radius[1] - 5)  # clear of the toolbar
        L.lasso(page, plot, ((cx - box["x"]) / box["width"], (cy - box["y"]) / box["height"]),
                (radius[0] / box["width"], radius[1] / box["height"]), points=32, start_angle=0.2)
        # the next lasso starts once plotly has let this one go (as quick as a person can be)
        L.poll(f"lasso {j + 1} to be sent", lambda: int(mapdiv.get_attribute("data-selection-count") or "0")
               >= before + j + 1, timeout=60)
    t2 = time.monotonic()
    stamp = before + 2
    stamped = page.locator(f".synthkit-selection [data-stamp='{stamp}']").first
    L.poll("the selection table of the second lasso", lambda: stamped.count() > 0, timeout=180)
    t_select = time.monotonic() - t2
    shown = L.selected_count(stamped.inner_text())
    page.locator(".synthkit-label input").first.fill("dense")
    page.locator(".synthkit-label input").first.press("Tab")
    t3 = time.monotonic()
    page.locator("button.synthkit-tag").first.click()
    tag_ids = L.poll("tag 'dense' in the workspace",
                     lambda: ws.tag_list().filter(pl.col("label") == "dense")["tag_id"].to_list(), timeout=180)
    L.poll("the panel to say the rows were tagged",
           lambda: "tagged" in page.locator(".synthkit-tagpanel .synthkit-status").first.inner_text(), timeout=120)
    t_tag = time.monotonic() - t3

    assert len(tag_ids) == 1
    got = ws.get_tag(tag_ids[0])
    assert got.polygon is not None and got.map_hash == m.hash
    poly = np.asarray(got.polygon, dtype=float)
    mid = poly.mean(axis=0)
    assert np.hypot(*(mid - centre)) < np.hypot(*(mid - decoy)), "the tag holds the first of two quick lassos"
    inside = points_in_polygon(xs, ys, poly)
    want = pts["row_id"].filter(pl.Series(inside)).to_list()
    assert list(got.row_ids) == want, (f"tag has {len(got.row_ids)} rows, {len(want)} inside the polygon; "
                                       f"missing {sorted(set(want) - set(got.row_ids))[:5]}, "
                                       f"extra {sorted(set(got.row_ids) - set(want))[:5]}")
    n_real = sum(r.startswith("real:") for r in want)
    assert n_real >= 10_000 and len(want) > n_real, (n_real, len(want))
    assert shown == len(want)

    # hover a batch point (the one farthest, on screen, from every other batch point inside the lasso)
    from scipy.spatial import cKDTree

    bxy = _pixels(page, placed["x"].to_numpy(), placed["y"].to_numpy())
    drag = plot.locator(".nsewdrag").first.bounding_box()
    on_screen = ((bxy[:, 0] > drag["x"] + 10) & (bxy[:, 0] < drag["x"] + drag["width"] - 10)
                 & (bxy[:, 1] > drag["y"] + 40) & (bxy[:, 1] < drag["y"] + drag["height"] - 10))
    gap = cKDTree(bxy).query(bxy, k=2)[0][:, 1]
    in_lasso = points_in_polygon(placed["x"].to_numpy(), placed["y"].to_numpy(), poly)
    pick = np.where(on_screen & in_lasso & (gap > 6), gap, -1.0)
    if pick.max() < 0:
        pick = np.where(on_screen, gap, -1.0)
    k = int(pick.argmax())
    row = placed.row(k, named=True)
    text = L.hover_text(page, plot, row["x"], row["y"], row["row_id"])
    assert row["row_id"] in text and "source: copula" in text, text

    # zoom: a new image of the new extent arrives; autoscale brings back the whole map
    im0 = _image(page)
    (x0, x1), (y0, y1) = im0["xr"], im0["yr"]
    zx = [x0 + 0.3 * (x1 - x0), x0 + 0.6 * (x1 - x0)]
    zy = [y0 + 0.35 * (y1 - y0), y0 + 0.65 * (y1 - y0)]
    t4 = time.monotonic()
    page.evaluate("([s, zx, zy]) => window.Plotly.relayout(document.querySelector(s), "
                  "{'xaxis.range': zx, 'yaxis.range': zy})", [L.PLOT, zx, zy])
    zoomed = L.poll("a new image of the zoomed extent", lambda: (im := _image(page))["version"] > im0["version"]
                    and abs(im["x"] - zx[0]) < 1e-6 * (x1 - x0) + 1e-9 and im, timeout=60)
    t_zoom = time.monotonic() - t4
    assert zoomed["sizex"] == pytest.approx(zx[1] - zx[0], rel=1e-4)
    assert zoomed["sizey"] == pytest.approx(zy[1] - zy[0], rel=1e-4)
    # the same with the mouse: Zoom from the toolbar, drag a box, then double-click for the whole map
    L.drag_mode(page, "zoom")
    L.drag_box(page, plot, (0.3, 0.3), (0.05, 0.04), steps=8)
    drag = plot.locator(".nsewdrag").first.bounding_box()

    def fitted(after: int):
        im = _image(page)
        fits = (im["version"] > after and abs(im["x"] - min(im["xr"])) < 1e-6 * abs(im["xr"][1] - im["xr"][0])
                and im["sizex"] == pytest.approx(abs(im["xr"][1] - im["xr"][0]), rel=1e-4)
                and im["sizey"] == pytest.approx(abs(im["yr"][1] - im["yr"][0]), rel=1e-4))
        return fits and im

    dragged = L.poll("the image of the dragged box", lambda: fitted(zoomed["version"]), timeout=60)
    assert dragged["sizex"] < 0.5 * zoomed["sizex"]
    page.mouse.dblclick(drag["x"] + 0.5 * drag["width"], drag["y"] + 0.5 * drag["height"])
    full = L.poll("the image of the whole map", lambda: (im := fitted(dragged["version"]))
                  and im["sizex"] > 0.9 * (x1 - x0) and im, timeout=60)
    assert full["xr"][0] <= xs.min() and full["xr"][1] >= xs.max()

    # Undo withdraws the tag
    t5 = time.monotonic()
    page.locator("button.synthkit-undo").first.click()
    L.poll("the undo to reach the workspace",
           lambda: ws.tag_list().filter(pl.col("label") == "dense").height == 0, timeout=120)
    L.poll("the panel to say what was undone",
           lambda: "undid" in page.locator(".synthkit-tagpanel .synthkit-status").first.inner_text(), timeout=120)
    t_undo = time.monotonic() - t5
    assert "dense" not in page.locator(".synthkit-tagpanel").first.inner_text().split("TAGS")[-1]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "bigmap-after-lasso.png"), full_page=False)
    ws.close()
    print(f"\nbigmap browser test: setup (data, workspace, map fit) {t_setup:.1f} s; "
          f"run-all to drawn map {t_draw:.1f} s; lasso mouse-up to selection table {t_select:.1f} s "
          f"({len(want):,} rows, {n_real:,} real); Tag click to stored + refreshed {t_tag:.1f} s; "
          f"zoom to new image {t_zoom:.2f} s; Undo click to refreshed panel {t_undo:.1f} s; total {time.monotonic() - t0:.1f} s")
