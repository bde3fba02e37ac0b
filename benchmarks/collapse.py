"""Collapse simulator speed: synthkit.collapse.simulate against the bare loop a user would write.

The bare loop fits the same generator on the previous generation's rows and
samples the next one (fit + sample only, no metrics, no bookkeeping). The
simulator adds the per-generation metrics (std ratio, tail mass, categories,
minority share; coverage and utility when those metrics are installed and
asked for) and its checks. Both run side by side, best of a few repeats.

    .venv/bin/python benchmarks/collapse.py
"""

from __future__ import annotations

import time

import synthkit as sk
from synthkit.data import Dataset
from synthkit.generators import make

CORE = ["std_ratio", "tail_mass", "categories", "minority_share"]


def bare_loop(ds: Dataset, generator: str, generations: int, n: int) -> None:
    train = ds.features
    for g in range(1, generations + 1):
        gen = make(generator).fit(Dataset(ds.name, train, ds.schema))
        train = gen.sample(n, random_state=g)


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def per_generation(ds: Dataset, generator: str, n: int, repeats: int = 5) -> tuple[float, float]:
    """Seconds per generation: fit + sample, and the simulator's own metrics on the same rows."""
    from synthkit.collapse.simulate import _Reference

    ref = _Reference(ds, set(CORE), None, 0, [])
    fit_sample, measure = [], []
    for r in range(repeats):
        t = time.perf_counter()
        rows = make(generator).fit(ds).sample(n, random_state=r)
        fit_sample.append(time.perf_counter() - t)
        t = time.perf_counter()
        ref.measure(rows, 0, 1, r, [])
        measure.append(time.perf_counter() - t)
    return min(fit_sample), min(measure)


def case(label: str, ds: Dataset, generator: str, generations: int, n: int, repeats: int) -> None:
    raws, sims = [], []
    for _ in range(repeats):  # interleaved, so both see the same machine load
        raws.append(best(lambda: bare_loop(ds, generator, generations, n), 1))
        sims.append(best(lambda: sk.collapse.simulate(ds, generator, generations=generations, n_per_generation=n,
                                                      metrics=CORE, progress=False, keep_samples=None), 1))
    raw, sim = min(raws), min(sims)
    sk.collapse.simulate(ds, generator, generations=1, n_per_generation=n, progress=False)  # compile numba once
    full = best(lambda: sk.collapse.simulate(ds, generator, generations=generations, n_per_generation=n,
                                             progress=False, keep_samples=(0, 5, 10, 20), holdout=None), 1)
    print(f"{label}")
    print(f"  bare fit+sample loop         {raw:7.2f} s")
    print(f"  simulate (core metrics)      {sim:7.2f} s   overhead {100 * (sim / raw - 1):+5.1f} %")
    print(f"  simulate (all metrics, kept) {full:7.2f} s   overhead {100 * (full / raw - 1):+5.1f} %")
    fs, ms = per_generation(ds, generator, n)
    print(f"  per generation: fit+sample {1000 * fs:7.1f} ms, simulator metrics {1000 * ms:6.1f} ms "
          f"({100 * ms / fs:.1f} % of fit+sample)")


def main() -> None:
    penguins = sk.load("penguins")
    adult = sk.load("adult").sample(10_000, random_state=0)
    print(f"generators available: {sk.generators.available()}")
    case("penguins, GaussianCopula, 50 generations x 1,000 rows", penguins, "copula", 50, 1000, repeats=7)
    case("adult (10,000 rows), GaussianCopula, 20 generations x 10,000 rows", adult, "copula", 20, 10_000,
         repeats=3)


if __name__ == "__main__":
    main()
