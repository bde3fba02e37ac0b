"""Distributed placement: rows per second of Map.place in this process and on 1 and 2 Dask workers, in one run.

    .venv/bin/python benchmarks/place_scale.py                      # 200,000 rows into adult's map
    .venv/bin/python benchmarks/place_scale.py --rows 50000
    .venv/bin/python benchmarks/place_scale.py --real-rows 100000   # also Map.fit of a 100,000-row table

The map is the one shipped for adult (UMAP on a seeded 10,000 of its 48,842
rows; the real rows are searched exactly, by blocked matrix products). The rows
are adult resampled with jitter (``synthkit.scale.resample``), written as
parquet files of 50,000 rows that the workers read themselves. For each set-up:

- in-process ``Map.place(frame)`` on the same rows (what a user runs today);
- ``Map.place(folder, engine=eng)`` on a LocalCluster of 1 and of 2 workers
  (processes, one thread each), twice: the first call includes the workers'
  first imports, both include sending the map to the workers;
- that the distributed frame equals the in-process one (``np.array_equal``
  on every column);
- the peak resident memory of each worker process.

``--real-rows N`` also fits the map of N resampled adult rows (UMAP on the
default seeded 10,000, the other rows placed into it, every row's distance to
its nearest other real row) in-process and with 2 workers: the same map, and
the time of each (UMAP's fit is the same in both).

The load average is printed at the start and the end: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def same(a, b) -> bool:
    return a.columns == b.columns and a.height == b.height and all(
        np.array_equal(a[c].to_numpy(), b[c].to_numpy()) for c in a.columns)


def place(m, frame, folder: str, workers: list[int], chunk: int) -> None:
    from synthkit.scale import engine_scope

    n = frame.height
    t, c = time.perf_counter(), time.process_time()
    ref = m.place(frame)
    base, cpu = time.perf_counter() - t, time.process_time() - c
    print(f"  in-process Map.place: {base:.1f} s, {n / base:,.0f} rows/s; CPU {cpu:.1f} s = {n / cpu:,.0f} rows "
          "per CPU second")
    for w in workers:
        t = time.perf_counter()
        with engine_scope("dask", n_workers=w, progress=False) as eng:
            start = time.perf_counter() - t
            times = []
            for _ in range(2):
                before = sum(eng.client.run(time.process_time).values())
                t = time.perf_counter()
                out = m.place(folder, engine=eng, rows_per_chunk=chunk)
                times.append(time.perf_counter() - t)
                worker_cpu = sum(eng.client.run(time.process_time).values()) - before
            ok = same(out, ref)
            peaks = sorted(eng.client.run(_peak_rss_mb).values())
        print(f"  {w} worker{'s' if w > 1 else ''}: cluster start {start:.1f} s; place {times[0]:.1f} s "
              f"(first), {times[1]:.1f} s (second) = {n / times[1]:,.0f} rows/s, {base / times[1]:.2f}x "
              f"in-process; workers' CPU (second) {worker_cpu:.1f} s = {n / worker_cpu:,.0f} rows per CPU second; "
              f"identical to in-process: {ok}; peak memory per worker "
              + ", ".join(f"{p:,.0f} MB" for p in peaks))


def fit(n_real: int) -> None:
    import synthkit as sk
    from synthkit.projection import Map
    from synthkit.scale import engine_scope
    from synthkit.scale.resample import resampled

    big = resampled(sk.load("adult"), n_real, random_state=0)
    t = time.perf_counter()
    ref = Map.fit(big, random_state=0, shipped=False)
    base = time.perf_counter() - t
    print(f"\nMap.fit of {n_real:,} resampled adult rows ({ref.note.split(';')[0]}), real-row index: "
          f"{'exact' if ref._real_index.exact else 'pynndescent + exact check of far rows'}")
    print(f"  in-process: {base:.0f} s")
    with engine_scope("dask", n_workers=2, progress=False) as eng:
        t = time.perf_counter()
        m = Map.fit(big, random_state=0, shipped=False, engine=eng, rows_per_chunk=20_000)
        took = time.perf_counter() - t
        peaks = sorted(eng.client.run(_peak_rss_mb).values())
    ok = same(m.real, ref.real) and m.nn_scale == ref.nn_scale
    print(f"  2 workers: {took:.0f} s ({base / took:.2f}x); the same map: {ok}; peak memory per worker "
          + ", ".join(f"{p:,.0f} MB" for p in peaks))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000, help="rows to place (adult resampled with jitter)")
    ap.add_argument("--chunk", type=int, default=25_000, help="rows_per_chunk of the distributed placement")
    ap.add_argument("--real-rows", type=int, default=0, help="also fit the map of this many real rows")
    args = ap.parse_args()
    import synthkit as sk
    from synthkit.projection import Map
    from synthkit.scale.resample import write_resampled

    print(f"start: {load()}")
    adult = sk.load("adult")
    m = Map.fit(adult, random_state=0)
    with tempfile.TemporaryDirectory() as tmp:
        write_resampled(adult, args.rows, tmp, random_state=1, rows_per_file=50_000)
        import polars as pl

        frame = pl.read_parquet(os.path.join(tmp, "*.parquet"))
        print(f"\nplacing {args.rows:,} resampled adult rows into adult's map ({len(adult):,} real rows, "
              f"exact search), rows_per_chunk={args.chunk:,}")
        place(m, frame, tmp, [1, 2], args.chunk)
    if args.real_rows:
        fit(args.real_rows)
    print(f"\nend: {load()}")


if __name__ == "__main__":
    main()
