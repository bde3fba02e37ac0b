"""Explorer: time of ex.generate (generate + store + place + redraw, no browser) and what goes to the browser.

    .venv/bin/python benchmarks/explorer.py [--repeats 5] [--datasets penguins adult]

For each dataset: a fresh workspace, the Explorer (map fitted once, cached),
one warm-up batch, then REPEATS batches of 200 copula rows with new seeds.
Reports the median of each step and of the whole ``ex.generate`` call, and
compares the redraw with what a user would otherwise run: building a plotly
Scattergl figure of the same points (``sk.plots.map_figure``) and turning it
into a ``FigureWidget``, plus the bytes each sends to the browser.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import plotly.graph_objects as go

import synthkit as sk
from synthkit.plots.explorer import map_figure


def _t(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _payload_bytes(mv, *, points: bool = True) -> int:
    """Bytes a redraw sends: the colour layers, plus the points when they changed."""
    state = mv.get_state()
    n = len(state["order"]) + len(state["value"]) + len(json.dumps(state["layers"]))
    if points:
        n += len(state["x"]) + len(state["y"]) + len(json.dumps(state["row_ids"]))
        for col in state["hover_columns"]:
            n += len(col["data"]) + len(json.dumps(col.get("levels", [])))
    return n


def run(name: str, repeats: int) -> dict:
    ds = sk.load(name)
    with tempfile.TemporaryDirectory() as tmp:
        ws = sk.Workspace.create(Path(tmp) / "ws", ds)
        ex, t_open = _t(lambda: sk.Explorer(ws))
        ex.generate("copula", n=200, random_state=100)  # warm-up: first fit, first placement
        steps = {"generate (fit + sample)": [], "store (ws.add)": [], "place (map.place)": [],
                 "redraw (layers + send)": [], "ex.generate total": [],
                 "plotly figure + FigureWidget of the same points": []}
        for seed in range(repeats):
            # the steps one by one, as ex.generate runs them
            batch, t = _t(lambda: sk.generate(ds, "copula", n=200, random_state=1000 + seed))
            steps["generate (fit + sample)"].append(t)
            _, t = _t(lambda: ws.add(batch))
            steps["store (ws.add)"].append(t)
            _, t = _t(lambda: ex.map.place(batch))
            steps["place (map.place)"].append(t)
            _, t = _t(ex._redraw)
            steps["redraw (layers + send)"].append(t)
            # the whole call
            _, t = _t(lambda: ex.generate("copula", n=200, random_state=seed))
            steps["ex.generate total"].append(t)
            # what a user would otherwise run to show the same points with plotly's FigureWidget
            _, t = _t(lambda: go.FigureWidget(map_figure(ex.points, "source")))
            steps["plotly figure + FigureWidget of the same points"].append(t)
        recolour = []
        for mode in ("dist_to_real", "source") * repeats:
            _, t = _t(lambda: ex.color_by(mode))
            recolour.append(t)
        steps["recolour (ex.color_by)"] = recolour
        fig_bytes = len(map_figure(ex.points, "source").to_json())
        out = {k: statistics.median(v) for k, v in steps.items()}
        out["open Explorer (fit map)"] = t_open
        out["points"] = ex.points.height
        out["payload_bytes"] = _payload_bytes(ex.mapview)
        out["recolour_bytes"] = _payload_bytes(ex.mapview, points=False)
        out["plotly_json_bytes"] = fig_bytes
        ws.close()
        return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--datasets", nargs="+", default=["penguins", "adult"])
    args = ap.parse_args()
    for name in args.datasets:
        r = run(name, args.repeats)
        print(f"\n{name}: {r['points']:,} points on the map after the batches; "
              f"opening the Explorer (map fit, first run) {r['open Explorer (fit map)']:.1f} s")
        for k in ("generate (fit + sample)", "store (ws.add)", "place (map.place)", "redraw (layers + send)",
                  "ex.generate total", "plotly figure + FigureWidget of the same points",
                  "recolour (ex.color_by)"):
            print(f"  {k:<50s} {1000 * r[k]:9.1f} ms (median of {args.repeats})")
        ratio = r["plotly figure + FigureWidget of the same points"] / r["redraw (layers + send)"]
        print(f"  redraw vs plotly FigureWidget: {ratio:.1f}x faster")
        print(f"  bytes to the browser per new batch: {r['payload_bytes'] / 1e6:.2f} MB "
              f"(plotly figure JSON of the same points: {r['plotly_json_bytes'] / 1e6:.2f} MB, "
              f"{r['plotly_json_bytes'] / r['payload_bytes']:.1f}x more)")
        print(f"  bytes to the browser per colour change (points not resent): {r['recolour_bytes'] / 1e6:.2f} MB")
        print(f"  plotly.js, sent once per page: {len(sk.widgets.mapview.plotly_js()) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
