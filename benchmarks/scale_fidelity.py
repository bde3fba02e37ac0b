"""Benchmark: fidelity and pair trends of a partitioned synthetic parquet folder on a local Dask cluster.

Real rows: ``--real`` adult-like rows (seeded resampling with jitter of the
embedded adult table, :mod:`synthkit.scale.resample`); synthetic rows:
``--synthetic`` rows written as parquet files of ``--rows-per-file`` rows and
read in chunks of ``--rows-per-chunk``. Side by side in one run:

- ``fidelity_partitioned`` on the folder with 1 and 2 workers (wall time,
  synthetic rows per second, peak memory of each worker process);
- the single-process path a user would otherwise run (``column_shapes``,
  ``category_shares``, ``marginals`` and ``pair_trends`` with ``n_boot=0``, the
  steps of ``evaluate()``'s fidelity and pairwise families) on the first
  ``--slice`` synthetic rows, and ``fidelity_partitioned`` on the same slice,
  whose rows are checked to be equal (``==``, floats to the last bit).

    .venv/bin/python benchmarks/scale_fidelity.py [--real 1000000 --synthetic 4000000]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

import synthkit as sk
from synthkit.data import conform
from synthkit.metrics._common import id_like_columns
from synthkit.metrics._baseline import halves
from synthkit.metrics.evaluate import _worst_columns
from synthkit.metrics.fidelity import category_shares, column_shapes, marginals
from synthkit.metrics.pairwise import pair_trends
from synthkit.scale import Partitions, engine_scope
from synthkit.scale.fidelity import fidelity_partitioned
from synthkit.scale.resample import resampled, write_resampled


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def in_memory(real, synth, schema, random_state=0):
    """evaluate()'s fidelity and pairwise steps, n_boot=0 (the rows, in evaluate's order)."""
    skip = id_like_columns(real, schema)
    rows, s = column_shapes(real, synth, schema, n_boot=0)
    sp = halves(real.height, synth.height, random_state)
    row, _ = category_shares(real, synth, schema, base_a=real[sp.a], base_b=real[sp.b], skip=skip)
    if row is not None:
        rows.insert(2, row)
    marginals(real, synth, schema, _worst_columns(s["columns"], 12))
    prows, _ = pair_trends(real, synth, schema, n_boot=0, skip=skip)
    return rows + prows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--real", type=int, default=1_000_000)
    ap.add_argument("--synthetic", type=int, default=4_000_000)
    ap.add_argument("--rows-per-file", type=int, default=500_000)
    ap.add_argument("--rows-per-chunk", type=int, default=100_000)
    ap.add_argument("--slice", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()

    adult = sk.load("adult")
    real = resampled(adult, args.real, random_state=0)
    schema = real.schema
    folder = Path(tempfile.mkdtemp(prefix="synthkit-scale-fidelity-"))
    try:
        t = time.perf_counter()
        write_resampled(adult, args.synthetic, folder, random_state=1, rows_per_file=args.rows_per_file)
        print(f"wrote {args.synthetic:,} synthetic rows in {time.perf_counter() - t:.1f} s", flush=True)
        parts = Partitions.open(str(folder), rows_per_chunk=args.rows_per_chunk)
        print(f"| path | synthetic rows | workers | wall (s) | synthetic rows/s | peak MB per worker |")
        print("|---|---:|---:|---:|---:|---:|")
        for w in args.workers:
            with engine_scope("dask", n_workers=w, progress=False) as eng:
                t = time.perf_counter()
                fidelity_partitioned(real.frame, parts, schema, eng)
                dt = time.perf_counter() - t
                peaks = sorted(eng.client.run(_peak_mb).values())
            print(f"| fidelity_partitioned, Dask | {args.synthetic:,} | {w} | {dt:.1f} | {args.synthetic / dt:,.0f} "
                  f"| {', '.join(f'{p:.0f}' for p in peaks)} |", flush=True)
        n = min(args.slice, args.synthetic)
        one = conform(parts.read_all().head(n), schema)
        t = time.perf_counter()
        expected = in_memory(real.frame, one, schema)
        dt = time.perf_counter() - t
        print(f"| in memory, one process | {n:,} | - | {dt:.1f} | {n / dt:,.0f} | - |", flush=True)
        t = time.perf_counter()
        got, _ = fidelity_partitioned(real.frame, Partitions.open(one, rows_per_chunk=args.rows_per_chunk), schema)
        dt = time.perf_counter() - t
        print(f"| fidelity_partitioned, no engine | {n:,} | - | {dt:.1f} | {n / dt:,.0f} | - |")
        print(f"\nrows equal to the in-memory rows (floats to the last bit): {got == expected} "
              f"({len(got)} rows); real rows: {args.real:,}; this process peaked at {_peak_mb():.0f} MB")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
