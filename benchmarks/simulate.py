"""Many-seed simulation: synthkit.collapse.simulate's numpy path against its per-seed path and a
hand-written numpy loop of the same recursion, in one run.

Cases:

1. a 20-row Gaussian, 1,000 seeds x 30 generations, std ratio only (notebook 03's first
   section at its largest): ``simulate`` (the default, all seeds together), ``simulate(...,
   fast=False)`` (the per-seed frame path) and the loop a user would write in numpy (fit
   the mean and standard deviation, draw the next 20 rows, measure);
2. penguins, copula, 20 generations x 100 rows x 3 seeds, as a ``CollapseControls`` slider
   calls it, and the widget's own update (``run``: simulate + figure);
3. notebook 03's 300-seed cell (the same Gaussian, 300 seeds).

Each timing is the best of a few repeats, interleaved so every path sees the same load.

    OMP_NUM_THREADS=1 PYTHONPATH=. .venv/bin/python benchmarks/simulate.py
"""

from __future__ import annotations

import contextlib
import io
import os
import time

import numpy as np
import polars as pl

import synthkit as sk


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def numpy_loop(x0: np.ndarray, seeds: int, generations: int, random_state: int = 0) -> np.ndarray:
    """The recursion by hand: per seed, fit mean and standard deviation, draw the next rows, measure."""
    sd0 = x0.std(ddof=1)
    out = np.empty((seeds, generations + 1))
    out[:, 0] = 1.0
    n = len(x0)
    for s in range(seeds):
        rng = np.random.default_rng([random_state, s])
        x = x0
        for g in range(1, generations + 1):
            x = rng.normal(x.mean(), x.std(ddof=1), size=n)
            out[s, g] = x.std(ddof=1) / sd0
    return out


def gaussian_case(seeds: int, generations: int, repeats: int, slow_repeats: int = 1) -> dict:
    x0 = np.random.default_rng(0).normal(0.0, 1.0, 20)
    normal = sk.from_frame(pl.DataFrame({"x": x0}), "normal-20")
    kw = dict(generations=generations, seeds=seeds, metrics=["std_ratio"], keep_samples=None, progress=False)
    res = {"fast": [], "slow": [], "loop": []}
    for r in range(repeats):
        res["loop"].append(best(lambda: numpy_loop(x0, seeds, generations), 1))
        res["fast"].append(best(lambda: sk.collapse.simulate(normal, "gaussian", **kw), 1))
        if r < slow_repeats:  # the per-seed path takes a minute or more at 1,000 seeds
            res["slow"].append(best(lambda: sk.collapse.simulate(normal, "gaussian", fast=False, **kw), 1))
    out = {k: min(v) for k, v in res.items()}
    a = sk.collapse.simulate(normal, "gaussian", **kw).table
    b = sk.collapse.simulate(normal, "gaussian", fast=False, **kw).table
    out["identical"] = a.equals(b)
    return out


def slider_case(repeats: int) -> dict:
    penguins = sk.load("penguins")
    kw = dict(generations=20, n_per_generation=100, seeds=3, metrics=["std_ratio"], keep_samples=(),
              progress=False, random_state=0)
    fast, slow, widget = [], [], []
    with contextlib.redirect_stdout(io.StringIO()):  # outside a notebook display() prints the figure
        ctl = sk.widgets.CollapseControls(penguins, generator="copula", generations=20, n_per_generation=100,
                                          seeds=3, metric="std_ratio")
    for r in range(repeats):
        fast.append(best(lambda: sk.collapse.simulate(penguins, "copula", **kw), 1))
        slow.append(best(lambda: sk.collapse.simulate(penguins, "copula", fast=False, **kw), 1))
        # what a slider move does: set the control, simulate, redraw
        with contextlib.redirect_stdout(io.StringIO()):  # outside a notebook display() prints the figure
            widget.append(best(lambda: ctl.run(generations=19 + r % 2), 1))
    return {"fast": min(fast), "slow": min(slow), "widget": min(widget)}


def main() -> None:
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} "
          f"(1, 5, 15 min); OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    g = gaussian_case(1000, 30, repeats=3)
    print("20-row Gaussian, 1,000 seeds x 30 generations (std ratio)")
    print(f"  numpy loop (per seed, by hand)   {g['loop']:7.2f} s")
    print(f"  simulate (all seeds together)    {g['fast']:7.2f} s   {g['fast'] / g['loop']:5.1f}x the numpy loop")
    print(f"  simulate(fast=False) (per seed)  {g['slow']:7.2f} s   {g['slow'] / g['loop']:5.1f}x the numpy loop; "
          f"{g['slow'] / g['fast']:.1f}x slower than all seeds together")
    print(f"  tables identical: {g['identical']}")
    n = gaussian_case(300, 30, repeats=3, slow_repeats=2)
    print("notebook 03's 300-seed cell (20 rows, 300 seeds x 30 generations)")
    print(f"  simulate {n['fast']:6.2f} s, per-seed path {n['slow']:6.2f} s ({n['slow'] / n['fast']:.1f}x), "
          f"numpy loop {n['loop']:6.2f} s; identical: {n['identical']}")
    s = slider_case(repeats=5)
    print("penguins, copula, 20 generations x 100 rows x 3 seeds (a CollapseControls slider)")
    print(f"  simulate                         {s['fast']:7.3f} s")
    print(f"  simulate(fast=False)             {s['slow']:7.3f} s   ({s['slow'] / s['fast']:.1f}x)")
    print(f"  CollapseControls.run (+ figure)  {s['widget']:7.3f} s")


if __name__ == "__main__":
    main()
