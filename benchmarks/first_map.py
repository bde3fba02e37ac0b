"""First map: a fresh process from ``import synthkit`` to the drawn Explorer, shipped map against fitted.

    .venv/bin/python benchmarks/first_map.py [--repeats 3] [--quick]

Every case runs in a new Python process with an empty numba cache
(``NUMBA_CACHE_DIR`` = a new empty folder), as on a new machine:

- ``shipped``: ``sk.Explorer(ws)`` on a new workspace of the embedded dataset
  opens the map that ships in ``data/maps`` (what a user runs);
- ``fitted``: the same Explorer with the map fitted in that process
  (``Map.fit(..., shipped=False)``: what every first Explorer cost before);
- ``user data``: a dataset that is not embedded as such (the tour's 3,000-row
  adult sample) fits UMAP as before.

Each process reports, from the start of ``import synthkit``: the Explorer built
and its drawn state serialised as the browser gets it (JSON + binary buffers),
then a first batch of 200 copula rows generated, stored and placed
(``ex.generate``), and the CPU seconds the process used. ``--quick`` skips the
fitted adult map (minutes). ``--placement`` instead times 1,000 rows placed
into the adult map, the exact search against pynndescent's (CPU, one process).
The median over ``--repeats`` runs is shown (one
run for the fitted maps); the machine's load (``uptime``) before and after.
CPU seconds are the steadier figure on a shared machine: wall times grow with
the load, CPU time much less.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys, tempfile, time
t0 = time.perf_counter(); c0 = time.process_time()
import synthkit as sk
t_import = time.perf_counter() - t0
name, how = sys.argv[1], sys.argv[2]
ds = sk.load(name)
if how == "sample":
    ds = ds.sample(3000, random_state=0)
ws = sk.Workspace.create(tempfile.mkdtemp() + "/ws", ds)
if how == "fitted":
    ex = sk.Explorer(ws, map=sk.Map.fit(ws.dataset, mode="anchored", random_state=0, shipped=False))
else:
    ex = sk.Explorer(ws)
from ipywidgets.widgets.widget import _remove_buffers
state, _, buffers = _remove_buffers(ex.mapview.get_state())
payload = len(json.dumps(state)) + sum(len(b) for b in buffers)
t_drawn = time.perf_counter() - t0
ex.generate("copula", n=200, random_state=1)
t_batch = time.perf_counter() - t0
print(json.dumps({"import": t_import, "drawn": t_drawn, "batch": t_batch, "cpu": time.process_time() - c0,
                  "shipped": bool(ex.map.loaded_from_cache), "fit_seconds": ex.map.fit_seconds,
                  "points": ex.points.height, "payload_mb": payload / 1e6}))
"""


def run_case(name: str, how: str) -> dict:
    with tempfile.TemporaryDirectory() as numba_cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=numba_cache, PYTHONPATH=str(ROOT))
        out = subprocess.run([sys.executable, "-c", CHILD, name, how], env=env, check=True,
                             capture_output=True, text=True, timeout=3600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "uptime unavailable"


def placement() -> None:
    """1,000 copula rows into the shipped adult map: the exact blocked search against pynndescent's, one process."""
    import numpy as np

    import synthkit as sk
    from synthkit import projection
    from synthkit.neighbors import index as ix

    def cpu_ms(fn, n=7):
        times = []
        for _ in range(n):
            c = time.process_time()
            fn()
            times.append(time.process_time() - c)
        return statistics.median(times) * 1000

    ds = sk.load("adult")
    m = sk.Map.fit(ds, random_state=0)
    batch = sk.generate(ds, "copula", n=1000, random_state=1)
    X = np.ascontiguousarray(m.encoder.transform(batch.frame), dtype=np.float32)
    m.place(batch)
    print(f"exact blocked search, 1,000 rows x 5 neighbours: {cpu_ms(lambda: m._real_index.query(X, 5)):.0f} ms CPU")
    print(f"full Map.place of 1,000 rows (exact): {cpu_ms(lambda: m.place(batch)):.0f} ms CPU")
    limit, ix.BLAS_LIMIT = ix.BLAS_LIMIT, 0
    try:
        c = time.process_time()
        approx = ix.KnnIndex(m._real_X, "euclidean", 0)
        approx.query(X[:5], 5)
        print(f"pynndescent index build + compile: {time.process_time() - c:.1f} s CPU")
    finally:
        ix.BLAS_LIMIT = limit
    v = projection.VERIFY_ABOVE * m.nn_scale
    print(f"pynndescent search + repairs, 1,000 rows x 5: {cpu_ms(lambda: approx.query(X, 5, verify_above=v)):.0f} ms CPU")
    print(f"pynndescent search alone: {cpu_ms(lambda: approx._nnd.query(X, k=5, epsilon=0.12)):.0f} ms CPU")
    _, exact = m._real_index.query(X, 1)
    _, found = approx.query(X, 1, verify_above=v)
    print(f"approximate nearest distance exact for {np.mean(np.abs(found[:, 0] - exact[:, 0]) < 1e-9):.0%} of rows")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="skip the fitted adult map (minutes)")
    ap.add_argument("--placement", action="store_true",
                    help="only: 1,000 rows into adult, exact search against pynndescent (warm, one process)")
    args = ap.parse_args()
    if args.placement:
        print(f"load before: {uptime()}")
        placement()
        print(f"load after: {uptime()}")
        return
    cases = [("penguins", "shipped"), ("penguins", "fitted"), ("adult", "shipped")]
    if not args.quick:
        cases.append(("adult", "fitted"))
    cases.append(("adult", "sample"))
    print(f"load before: {uptime()}")
    results = {}
    for name, how in cases:
        runs = [run_case(name, how) for _ in range(args.repeats if how != "fitted" else 1)]
        med = {k: statistics.median(r[k] for r in runs) for k in ("import", "drawn", "batch", "cpu", "fit_seconds")}
        med.update(points=runs[0]["points"], shipped=runs[0]["shipped"], payload_mb=runs[0]["payload_mb"],
                   n=len(runs), spread=(min(r["drawn"] for r in runs), max(r["drawn"] for r in runs)))
        results[(name, how)] = med
        label = {"shipped": "shipped map", "fitted": "map fitted in the process",
                 "sample": "user data: 3,000-row sample, fitted"}[how]
        print(f"{name:<9s} {label:<38s} import {med['import']:5.2f} s | drawn Explorer {med['drawn']:6.2f} s "
              f"[{med['spread'][0]:.2f}-{med['spread'][1]:.2f}] | + first placed batch {med['batch']:6.2f} s | "
              f"CPU {med['cpu']:6.2f} s | UMAP fit {med['fit_seconds']:6.2f} s | {med['points']:,} points, "
              f"{med['payload_mb']:.2f} MB drawn | median of {med['n']}", flush=True)
    for name in ("penguins", "adult"):
        if (name, "fitted") in results:
            s, f = results[(name, "shipped")], results[(name, "fitted")]
            print(f"{name}: shipped vs fitted, drawn Explorer {f['drawn'] / s['drawn']:.1f}x faster, "
                  f"with the first placed batch {f['batch'] / s['batch']:.1f}x faster")
    print(f"load after: {uptime()}")


if __name__ == "__main__":
    main()
