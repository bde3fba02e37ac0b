"""The tour notebook in JupyterLab in headless Chromium: every lasso reaches Python, with hover on.

Runs a copy of ``notebooks/00_tour.ipynb`` in a temporary folder (its
workspace ``tour-ws`` is created there), then LASSOS times: hover a point
(hover details must show), drag a lasso around a group of points, type a
label, click Tag. After each, the workspace, opened from this process, must
hold a tag with that label whose row ids are exactly the points inside the
lasso polygon (computed from the map's own coordinates), the selection
table must report the same number of rows, and hovering a point inside the
lasso (one just selected) must show that point's hover label. Then two
lassos drawn one right after the other (the tag must hold the second's rows),
one box selection, checked the same way, and the Undo button (the box's tag
must leave the workspace).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit.tags import points_in_polygon

from . import lab as L
from .conftest import ARTIFACTS, copy_notebook

TOUR = Path(__file__).resolve().parents[2] / "notebooks" / "00_tour.ipynb"
LASSOS = 5


def _map_points(ws) -> pl.DataFrame:
    """Map coordinates of every point the tour's first Explorer shows, from the cached map."""
    m = sk.Map.fit(ws.dataset, mode="anchored", random_state=0, cache_dir=ws.cache_dir)
    parts = [m.real.select("row_id", "x", "y")]
    for bid in ws.batch_ids():
        parts.append(m.place(ws.batch(bid)).select("row_id", "x", "y"))
    return pl.concat(parts)


def _edge_distance(px: np.ndarray, py: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Distance from each point to the polygon's boundary."""
    a, b = poly, np.roll(poly, -1, axis=0)
    d = np.full(px.shape, np.inf)
    for (ax, ay), (bx, by) in zip(a, b):
        vx, vy = bx - ax, by - ay
        t = np.clip(((px - ax) * vx + (py - ay) * vy) / max(vx * vx + vy * vy, 1e-300), 0, 1)
        d = np.minimum(d, np.hypot(px - (ax + t * vx), py - (ay + t * vy)))
    return d


def _targets(pts: pl.DataFrame, k: int) -> list[tuple[float, float]]:
    """k lasso centres spread over the map: points at different quantiles of x."""
    order = pts.sort("x")
    idx = np.linspace(0.15, 0.85, k) * (order.height - 1)
    return [(order["x"][int(i)], order["y"][int(i)]) for i in idx]


@pytest.mark.e2e
@pytest.mark.slow
def test_every_lasso_reaches_python_with_hover_on(lab, page):
    base, nb_dir = lab
    copy_notebook(TOUR, nb_dir)
    with L.opened(page, base, TOUR.name):
        _drive(page, nb_dir)


def _drive(page, nb_dir) -> None:
    L.run_all(page, TOUR.name, timeout=600)
    plot = L.wait_for_map(page, index=0)

    ws_path = nb_dir / "tour-ws"
    ws = sk.Workspace.open(ws_path)
    pts = _map_points(ws)
    n_tags0 = ws.tag_list().height
    xs, ys = pts["x"].to_numpy(), pts["y"].to_numpy()

    # the map shows plotly's own hover labels (hover is on)
    assert page.evaluate("(s) => document.querySelector(s)._fullLayout.hovermode", L.PLOT) == "closest"
    # a colour bar does not narrow the map: the plot area is as wide coloured by a number as by source
    width = "(s) => document.querySelector(s)._fullLayout._size.w"
    w_dist = page.evaluate(width, L.PLOT)
    has_bar = page.evaluate("(s) => document.querySelector(s).querySelectorAll('.colorbar').length", L.PLOT)
    assert has_bar, "the tour colours its first map by dist_to_real, with a colour bar"
    page.locator(".synthkit-color select").first.select_option("source")
    L.poll("the map to redraw without a colour bar", lambda: page.evaluate(
        "(s) => document.querySelector(s).querySelectorAll('.colorbar').length", L.PLOT) == 0, timeout=60)
    assert abs(page.evaluate(width, L.PLOT) - w_dist) <= 2, "the colour bar changed the map's width"

    for k, (tx, ty) in enumerate(_targets(pts, LASSOS)):
        label = f"lasso-{k}"
        cx, cy = page.evaluate(
            """([s, x, y]) => { const gd = document.querySelector(s); const r = gd.querySelector('.nsewdrag').getBoundingClientRect();
                 return [r.left + gd._fullLayout.xaxis.d2p(x), r.top + gd._fullLayout.yaxis.d2p(y)]; }""",
            [L.PLOT, tx, ty])
        # hover on a point first: its hover label must appear
        page.mouse.move(cx, cy, steps=3)
        L.poll("a hover label", lambda: page.locator(L.PLOT + " .hoverlayer .hovertext").count() > 0, timeout=30)
        box = plot.locator(".nsewdrag").first.bounding_box()
        centre = ((cx - box["x"]) / box["width"], (cy - box["y"]) / box["height"])
        before = page.locator(".synthkit-map").first.get_attribute("data-selection-count") or "0"
        L.lasso(page, plot, centre, (34 / box["width"], 30 / box["height"]), start_angle=0.3 * k)
        stamp = L.poll("the lasso to be sent", lambda: (c := page.locator(".synthkit-map").first
                                                        .get_attribute("data-selection-count") or "0") != before and c,
                       timeout=60)
        # the kernel has this lasso when the table it renders carries the lasso's stamp
        stamped = page.locator(f".synthkit-selection [data-stamp='{stamp}']").first
        L.poll("the selection table of this lasso", lambda: stamped.count() > 0, timeout=120)
        shown = L.selected_count(stamped.inner_text())
        page.locator(".synthkit-label input").first.fill(label)
        page.locator(".synthkit-label input").first.press("Tab")
        page.locator("button.synthkit-tag").first.click()

        _check_tag(ws, label, xs, ys, pts, shown)
        _hover_inside(page, plot, ws, label, pts)

    # two lassos in quick succession: the second starts as soon as plotly has let the first go (a person
    # cannot be quicker; a mouse-down within ~30 ms of the last mouse-up makes plotly drop most of the
    # second path); the second one counts
    box = plot.locator(".nsewdrag").first.bounding_box()
    mapdiv = page.locator(".synthkit-map").first
    before = int(mapdiv.get_attribute("data-selection-count") or "0")
    centres = []
    for j, (tx, ty) in enumerate(_targets(pts, 2)):
        cx, cy = L.to_pixels(page, tx, ty)
        centres.append((tx, ty))
        L.lasso(page, plot, ((cx - box["x"]) / box["width"], (cy - box["y"]) / box["height"]),
                (30 / box["width"], 26 / box["height"]))
        L.poll(f"lasso {j + 1} to be sent", lambda: int(mapdiv.get_attribute("data-selection-count") or "0")
               >= before + j + 1, timeout=60)
    stamp = before + 2
    stamped = page.locator(f".synthkit-selection [data-stamp='{stamp}']").first
    L.poll("the selection table of the second lasso", lambda: stamped.count() > 0, timeout=120)
    sent = [mapdiv.get_attribute(a) for a in ("data-selection-size", "data-selection-vertices")]
    assert int(sent[1]) >= 3, f"the second lasso reached plotly as {sent[1]} vertices ({sent[0]} points)"
    page.locator(".synthkit-label input").first.fill("quick")
    page.locator(".synthkit-label input").first.press("Tab")
    page.locator("button.synthkit-tag").first.click()
    _check_tag(ws, "quick", xs, ys, pts, L.selected_count(stamped.inner_text()))
    quick = ws.get_tag(ws.tag_list().filter(pl.col("label") == "quick")["tag_id"][0])
    mid = np.asarray(quick.polygon, dtype=float).mean(axis=0)
    (ax, ay), (bx, by) = centres
    assert np.hypot(mid[0] - bx, mid[1] - by) < np.hypot(mid[0] - ax, mid[1] - ay), \
        "the tag holds the first of two quick lassos, not the second"
    _hover_inside(page, plot, ws, "quick", pts)
    # a box selection (toolbar's Box Select) arrives the same way
    L.drag_mode(page, "select")
    before = page.locator(".synthkit-map").first.get_attribute("data-selection-count")
    L.drag_box(page, plot, (0.3, 0.2), (0.04, 0.06), steps=10)
    stamp = L.poll("the box to be sent", lambda: (c := page.locator(".synthkit-map").first
                                                  .get_attribute("data-selection-count")) != before and c, timeout=60)
    stamped = page.locator(f".synthkit-selection [data-stamp='{stamp}']").first
    L.poll("the selection table of the box", lambda: stamped.count() > 0, timeout=120)
    page.locator(".synthkit-label input").first.fill("box")
    page.locator(".synthkit-label input").first.press("Tab")
    page.locator("button.synthkit-tag").first.click()
    _check_tag(ws, "box", xs, ys, pts, L.selected_count(stamped.inner_text()))
    _hover_inside(page, plot, ws, "box", pts)
    assert ws.tag_list().height == n_tags0 + LASSOS + 2

    # Undo from the button removes the last tag (the box) from the workspace and says so
    page.locator("button.synthkit-undo").first.click()
    L.poll("the undo to reach the workspace",
           lambda: ws.tag_list().filter(pl.col("label") == "box").height == 0, timeout=120)
    L.poll("the panel to say what was undone",
           lambda: "undid" in page.locator(".synthkit-tagpanel .synthkit-status").first.inner_text(), timeout=60)
    assert ws.tag_list().height == n_tags0 + LASSOS + 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "tour-after-lassos.png"), full_page=False)
    ws.close()


def _hover_inside(page, plot, ws, label: str, pts: pl.DataFrame) -> None:
    """Hover the selected point nearest the middle of tag ``label``: its hover label must show."""
    got = ws.get_tag(ws.tag_list().filter(pl.col("label") == label)["tag_id"][0])
    sel = pts.filter(pl.col("row_id").is_in(list(got.row_ids)))
    mid = np.asarray(got.polygon, dtype=float).mean(axis=0)
    d = (sel["x"].to_numpy() - mid[0]) ** 2 + (sel["y"].to_numpy() - mid[1]) ** 2
    row = sel.row(int(np.argmin(d)), named=True)
    # leave the plot and clear any label still showing, so an old label cannot pass the check
    box = plot.bounding_box()
    page.mouse.move(box["x"] + box["width"] + 40, box["y"] - 20)
    page.evaluate("(s) => window.Plotly.Fx.unhover(document.querySelector(s))", L.PLOT)
    L.poll("the old hover label to go", lambda: page.locator(L.PLOT + " .hoverlayer .hovertext").count() == 0,
           timeout=30)
    cx, cy = L.to_pixels(page, row["x"], row["y"])
    page.mouse.move(cx - 6, cy - 6, steps=2)
    page.mouse.move(cx, cy, steps=3)
    try:
        L.poll(f"a hover label inside the {label!r} selection",
               lambda: page.locator(L.PLOT + " .hoverlayer .hovertext").count() > 0, timeout=30)
    except TimeoutError:
        outline = page.evaluate("(s) => (document.querySelector(s).layout.selections || []).length", L.PLOT)
        raise AssertionError(f"no hover label over a selected point of {label!r} "
                             f"(plotly selection outlines still in the layout: {outline})")


def _check_tag(ws, label: str, xs, ys, pts: pl.DataFrame, shown: int | None) -> None:
    """The workspace holds one tag ``label`` with exactly the points inside its stored polygon."""

    def stored():
        return ws.tag_list().filter(pl.col("label") == label)["tag_id"].to_list()

    tag_ids = L.poll(f"tag {label!r} in the workspace", stored, timeout=120)
    assert len(tag_ids) == 1, f"{label}: {len(tag_ids)} tags"
    got = ws.get_tag(tag_ids[0])
    assert got.map_hash and got.polygon is not None, "the tag keeps the selection polygon and the map hash"
    poly = np.asarray(got.polygon, dtype=float)
    inside = points_in_polygon(xs, ys, poly)
    # points within a hair of the edge may fall either way (float32 in the browser)
    span = max(xs.max() - xs.min(), ys.max() - ys.min())
    sure = _edge_distance(xs, ys, poly) > 1e-4 * span
    ids = pts["row_id"].to_numpy()
    want_in, want_out = set(ids[inside & sure]), set(ids[~inside & sure])
    have = set(got.row_ids)
    assert len(got.row_ids) == len(have) == shown, f"{label}: table showed {shown}, tag has {len(got.row_ids)}"
    assert have, f"{label}: the selection is empty"
    assert want_in <= have and not (have & want_out), (
        f"{label}: missing {sorted(want_in - have)[:5]}, extra {sorted(have & want_out)[:5]}")
