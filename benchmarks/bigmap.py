"""A map of a million real rows: first draw, zoom, lasso-to-tag (Python side), against drawing every point.

    .venv/bin/python benchmarks/bigmap.py [--rows 1000000] [--batch 5000] [--repeats 5] [--cache DIR]

The real data: ``penguins_like(rows)``, the penguins resampled with seeded
jitter and measured as a field note would (bills to 1 mm and 0.5 mm, flippers
to 2 mm, mass to 100 g), so many rows repeat exactly (about 53,000 distinct of
1,000,000); nothing is downloaded. The map is fitted as the Explorer fits it
(UMAP on a seeded 10,000-row subsample, the other real rows placed into it)
and cached in ``--cache``; a copula batch of ``--batch`` rows is added.

Timed, in one process, side by side:

* map fit (once) and the Explorer's start (placing the batch, joining the values);
* first draw: the density image of every real row plus the batch's points
  (layers, hover columns, PNG) as the Explorer sends them, and the bytes sent;
* zoom: a view message from the browser to the new image, for a few extents;
* lasso-to-tag: a browser lasso's polygon to the rows inside it (real and
  synthetic), then the Tag button's ``ex.tag`` (stored in the workspace,
  tags refreshed), and ``ws.tag`` alone;
* what a user would otherwise run: the same Explorer drawing all real rows as
  points (``density_above`` raised), and a plotly Scattergl figure of every
  point (``sk.plots.map_figure``) serialised to JSON as a FigureWidget would send it;
* ``--browser``: in headless Chromium (Debian's, software WebGL), plotly.js
  drawing the density image plus the batch's points against a Scattergl of
  every point (``Plotly.newPlot`` until two frames later, median of 3).
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

import synthkit as sk
from synthkit.tags import points_in_polygon


def penguins_like(n: int = 1_000_000, random_state: int = 0) -> sk.Dataset:
    """``n`` penguins-like rows: the penguins resampled with seeded jitter, rounded as measured."""
    p = sk.load("penguins").frame.drop_nulls()
    rng = np.random.default_rng(random_state)
    pick = rng.integers(0, p.height, n)

    def jitter(col: str, sd: float, step: float) -> np.ndarray:
        v = p[col].to_numpy().astype(float)[pick]
        return np.round(v * (1 + sd * rng.standard_normal(n)) / step) * step

    frame = pl.DataFrame({
        "species": p["species"].to_numpy()[pick],
        "bill_length_mm": jitter("bill_length_mm", 0.02, 1.0),
        "bill_depth_mm": jitter("bill_depth_mm", 0.02, 0.5),
        "flipper_length_mm": jitter("flipper_length_mm", 0.01, 2.0).astype(np.int64),
        "body_mass_g": jitter("body_mass_g", 0.02, 100.0).astype(np.int64),
    })
    return sk.from_frame(frame, name=f"penguins-{n // 1000}k")


def lasso_polygon(real: pl.DataFrame, share: float = 0.25, points: int = 40) -> list[list[float]]:
    """An elliptical lasso around the densest part of the map, ``share`` of its width and height across."""
    x, y = real["x"].to_numpy(), real["y"].to_numpy()
    hist, ex, ey = np.histogram2d(x, y, bins=20)
    i, j = np.unravel_index(int(hist.argmax()), hist.shape)
    cx, cy = (ex[i] + ex[i + 1]) / 2, (ey[j] + ey[j + 1]) / 2
    rx, ry = share * (x.max() - x.min()) / 2, share * (y.max() - y.min()) / 2
    a = np.linspace(0, 2 * np.pi, points, endpoint=False)
    return np.column_stack([cx + rx * np.cos(a), cy + ry * np.sin(a)]).tolist()


def _t(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _median(fn, repeats: int) -> float:
    return statistics.median(_t(fn)[1] for _ in range(repeats))


def _payload(mv) -> int:
    """Bytes the map widget's state sends to the browser (points, hover, layers, density image)."""
    state = mv.get_state()
    n = sum(len(state[k]) for k in ("x", "y", "order", "value", "density_png"))
    n += len(json.dumps(state["row_ids"])) + len(json.dumps(state["layers"]))
    for col in state["hover_columns"]:
        n += len(col["data"]) + len(json.dumps(col.get("levels", [])))
    return n


def _view(mv, extent, width=900, height=520) -> None:
    mv._handle_msg({"content": {"data": {"method": "custom", "content": {
        "type": "view", "extent": list(extent), "width": width, "height": height}}}, "buffers": []})


def _browser_lasso(ex, polygon) -> None:
    mv = ex.mapview
    mv._handle_msg({"content": {"data": {"method": "update", "state": {
        "selection": [], "selection_polygon": polygon, "selection_version": mv.data_version,
        "selection_count": mv.selection_count + 1}, "buffer_paths": []}}, "buffers": []})


CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--enable-unsafe-swiftshader"]

_DRAW = """async ([kind, rx, ry, bx, by, png, ext]) => {
  const f32 = (b64) => { const s = atob(b64); const u = new Uint8Array(s.length);
                         for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i); return new Float32Array(u.buffer); };
  const batch = { type: 'scattergl', mode: 'markers', x: f32(bx), y: f32(by), marker: { size: 7, color: '#1f77b4' } };
  const layout = { width: 900, height: 520, margin: { l: 10, r: 10, t: 10, b: 10 }, showlegend: false };
  let traces;
  if (kind === 'points') {
    traces = [{ type: 'scattergl', mode: 'markers', x: f32(rx), y: f32(ry), marker: { size: 4, opacity: 0.5 } }, batch];
  } else {
    traces = [batch];
    layout.images = [{ source: 'data:image/png;base64,' + png, xref: 'x', yref: 'y', x: ext[0], y: ext[3],
                       sizex: ext[1] - ext[0], sizey: ext[3] - ext[2], sizing: 'stretch', layer: 'below' }];
    layout.xaxis = { range: [ext[0], ext[1]] }; layout.yaxis = { range: [ext[2], ext[3]] };
  }
  const div = document.getElementById('p');
  const t0 = performance.now();
  await Plotly.newPlot(div, traces, layout);
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const t = performance.now() - t0;
  Plotly.purge(div);
  return t / 1000;
}"""


def browser_draw(real: pl.DataFrame, batch_xy: pl.DataFrame, img, repeats: int = 3) -> dict:
    """Seconds plotly.js takes in headless Chromium to draw the density map and every point."""
    from playwright.sync_api import sync_playwright

    from synthkit.widgets.mapview import plotly_js

    def b64(values) -> str:
        return base64.b64encode(np.ascontiguousarray(values, dtype="<f4").tobytes()).decode()

    args = [b64(real["x"]), b64(real["y"]), b64(batch_xy["x"]), b64(batch_xy["y"]),
            base64.b64encode(img.png).decode(), list(img.extent)]
    out = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 700})
            page.set_content("<html><body><div id='p'></div></body></html>")
            page.add_script_tag(content=plotly_js().decode())
            for kind in ("density", "points"):
                out[kind] = statistics.median(page.evaluate(_DRAW, [kind, *args]) for _ in range(repeats))
        finally:
            browser.close()
    return out


def run(rows: int, batch_rows: int, repeats: int, cache: Path, points_too: bool, browser: bool = False) -> dict:
    out: dict = {"rows": rows, "batch": batch_rows}
    ds, out["build data"] = _t(lambda: penguins_like(rows))
    m, out["map fit (10k subsample, rest placed)"] = _t(lambda: sk.Map.fit(ds, random_state=0, cache_dir=cache))
    with tempfile.TemporaryDirectory() as tmp:
        ws, out["workspace create"] = _t(lambda: sk.Workspace.create(Path(tmp) / "ws", ds))
        batch = sk.generate(ds, "copula", n=batch_rows, random_state=1)
        ws.add(batch)
        _, out["place the batch (map.place)"] = _t(lambda: m.place(batch))
        ex, out["Explorer start (place batch + join + first draw)"] = _t(lambda: sk.Explorer(ws, map=m))
        assert ex.dense

        def first_draw():
            ex.mapview.set_density(ex.mapview._density, note=ex.mapview.density_note)
            ex._hover_cache = None
            ex._redraw()

        out["first draw: density image + batch points"] = _median(first_draw, repeats)
        out["first draw bytes"] = _payload(ex.mapview)
        real = m.real
        x0, x1, y0, y1 = ex.mapview.density_full
        zooms = [(x0 + f * (x1 - x0), x1 - f * (x1 - x0), y0 + f * (y1 - y0), y1 - f * (y1 - y0))
                 for f in (0.1, 0.25, 0.4, 0.45)]
        out["zoom: view message -> new image"] = statistics.median(_t(lambda z=z: _view(ex.mapview, z))[1]
                                                                   for z in zooms * repeats)
        poly = lasso_polygon(real)
        pts = ex.points
        want = points_in_polygon(pts["x"].to_numpy(), pts["y"].to_numpy(), poly)
        out["rows in the lasso (real + synthetic)"] = int(want.sum())
        _, out["lasso: polygon -> selected rows"] = _t(lambda: _browser_lasso(ex, poly))
        assert ex.selection.height == int(want.sum())
        _, out["tag: ex.tag (store + refresh)"] = _t(lambda: ex.tag("lasso", note="benchmark"))
        out["lasso-to-tag total"] = out["lasso: polygon -> selected rows"] + out["tag: ex.tag (store + refresh)"]
        ids = ex.selection["row_id"].to_list()
        _, out["ws.tag alone (same ids)"] = _t(lambda: ws.tag(ids, "again"))
        _, out["undo (ex.undo)"] = _t(lambda: ex.undo())
        if browser:
            shown = ex.points.filter(pl.col("batch") != "real")
            img = ex.mapview._density.render(width=880, height=500)
            drawn = browser_draw(real, shown, img)
            out["browser: density image + batch points (plotly.js)"] = drawn["density"]
            out["browser: Scattergl of every point (plotly.js)"] = drawn["points"]

        if points_too:
            exp, out["every point: Explorer start"] = _t(lambda: sk.Explorer(ws, map=m, density_above=10**9))

            def all_points():
                exp._hover_cache = None
                exp.mapview.row_ids = []  # force the points to be sent again
                exp._redraw()

            out["every point: draw (layers + hover + send)"] = _median(all_points, max(1, repeats // 2))
            out["every point: bytes"] = _payload(exp.mapview)
            del exp
            from synthkit.plots.explorer import map_figure

            fig, t_fig = _t(lambda: map_figure(pts.select("row_id", "source", "batch", "x", "y", "dist_to_real")))
            js, t_json = _t(lambda: fig.to_json())
            out["plotly Scattergl figure of every point: build"] = t_fig
            out["plotly Scattergl figure of every point: to_json"] = t_json
            out["plotly Scattergl figure of every point: bytes"] = len(js)
        ws.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=5_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "synthkit-bigmap-cache")
    ap.add_argument("--no-points", action="store_true", help="skip drawing every point (the comparison)")
    ap.add_argument("--browser", action="store_true", help="also time plotly.js in headless Chromium")
    a = ap.parse_args()
    res = run(a.rows, a.batch, a.repeats, a.cache, not a.no_points, a.browser)
    w = max(len(k) for k in res)
    for k, v in res.items():
        if isinstance(v, float):
            print(f"{k:<{w}}  {v:9.3f} s")
        else:
            print(f"{k:<{w}}  {v:>11,}")
    if not a.no_points:
        ratio = res["every point: draw (layers + hover + send)"] / res["first draw: density image + batch points"]
        print(f"{'draw: every point / density':<{w}}  {ratio:9.1f} x")
        print(f"{'bytes: every point / density':<{w}}  {res['every point: bytes'] / res['first draw bytes']:9.1f} x")
    if a.browser:
        ratio = res["browser: Scattergl of every point (plotly.js)"] / res["browser: density image + batch points (plotly.js)"]
        print(f"{'browser draw: every point / density':<{w}}  {ratio:9.1f} x")


if __name__ == "__main__":
    main()
