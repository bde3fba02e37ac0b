"""The neighbour pass of evaluate() in one process vs on a 2-worker local Dask cluster, same data, one run.

    python benchmarks/scale_neighbours.py [n_real] [n_synthetic]     # default 20000 40000

Real rows: adult resampled with jitter; synthetic rows: another seeded
resample, written as parquet partitions. Three ways, side by side:

1. in memory: ``prdc_rows`` + ``exact_copies`` (what evaluate() runs without an engine);
2. ``neighbour_rows`` on the cluster with the encoded synthetic rows sent in chunks;
3. ``neighbour_rows`` on the cluster with parquet partitions read and encoded on the workers.

All three must agree exactly (checked); the script prints wall times and synthetic rows per second.
"""

from __future__ import annotations

import sys
import tempfile
import time

import numpy as np


def main(n_real: int, n_synth: int) -> None:
    import synthkit as sk
    from synthkit.metrics.coverage import prdc_rows
    from synthkit.metrics.privacy import exact_copies
    from synthkit.scale import Partitions, engine_scope
    from synthkit.scale.neighbours import neighbour_rows
    from synthkit.scale.resample import resampled, write_resampled

    adult = sk.load("adult")
    real = resampled(adult, n_real, random_state=0)
    cols = list(real.schema.columns)
    enc = sk.Encoder().fit(real)
    R = enc.transform(real.frame).astype(np.float64)
    with tempfile.TemporaryDirectory() as tmp:
        write_resampled(adult, n_synth, tmp, random_state=1, rows_per_file=max(1, n_synth // 8))
        parts = Partitions.open(tmp, rows_per_chunk=max(1, n_synth // 8))
        synth = parts.read_all()
        S = enc.transform(synth).astype(np.float64)
        prdc_rows(R[:50], S[:50], 5)  # compile the kernels outside the timings

        t = time.perf_counter()
        pr = prdc_rows(R, S, 5)
        ex = exact_copies(real.frame, synth, cols)
        t_mem = time.perf_counter() - t
        with engine_scope("dask", n_workers=2, progress=False) as eng:
            neighbour_rows(R[:400], S[:400], 5, engine=eng, rows_per_chunk=50)  # compile on every worker
            t = time.perf_counter()
            a = neighbour_rows(R, S, 5, engine=eng, real=real.frame, synth=synth, columns=cols)
            t_chunks = time.perf_counter() - t
            t = time.perf_counter()
            b = neighbour_rows(R, parts, 5, engine=eng, encoder=enc, real=real.frame, columns=cols)
            t_parts = time.perf_counter() - t
    for nr in (a, b):
        assert np.array_equal(nr.dcr, pr.cross.d1) and np.array_equal(nr.nearest_real, pr.cross.i1)
        assert np.array_equal(nr.prdc.ball_count, pr.ball_count) and np.array_equal(nr.exact, ex)
        assert np.array_equal(nr.prdc.covered, pr.covered) and np.array_equal(nr.prdc.in_synth_support,
                                                                             pr.in_synth_support)
    print(f"{n_real:,} real x {n_synth:,} synthetic rows, k=5 (equal in all three: yes)")
    for name, s in (("in memory (prdc_rows + exact_copies)", t_mem), ("2 workers, encoded chunks", t_chunks),
                    ("2 workers, parquet partitions", t_parts)):
        print(f"  {name:40s} {s:8.1f} s  {n_synth / s:10,.0f} synthetic rows/s  x{t_mem / s:.2f}")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*(args + [20_000, 40_000][len(args):]))
