"""evaluate(families=["coverage", "privacy"]) in one process vs with engine= (2 local workers), one run.

    python benchmarks/scale_evaluate.py [n_rows]          # default 10000 real and 10000 synthetic rows

Real and synthetic rows: adult resampled with jitter (two seeds). With an engine, the neighbour pass
and the permuted samples behind the size-matched verdicts run on the workers; the two reports must
be equal (checked). Prints wall times and evaluate's own step timings.
"""

from __future__ import annotations

import sys
import time


def main(n: int) -> None:
    import synthkit as sk
    from synthkit.scale import engine_scope
    from synthkit.scale.resample import resampled

    a = sk.load("adult")
    real = resampled(a, n, random_state=0)
    syn = resampled(a, n, random_state=1, prefix="syn")
    fams = ["coverage", "privacy"]
    sk.evaluate(real.frame[:300], syn.frame[:300], n_boot=5, families=fams)  # compile the kernels
    t = time.perf_counter()
    mem = sk.evaluate(real, syn, n_boot=50, families=fams)
    t_mem = time.perf_counter() - t
    with engine_scope("dask", n_workers=2, progress=False) as eng:
        sk.evaluate(real.frame[:600], syn.frame[:600], n_boot=5, families=fams, engine=eng, rows_per_chunk=50)
        t = time.perf_counter()
        dist = sk.evaluate(real, syn, n_boot=50, families=fams, engine=eng)
        t_dist = time.perf_counter() - t
    assert mem.table.equals(dist.table) and mem.rows.equals(dist.rows)
    print(f"{n:,} real x {n:,} synthetic rows, coverage + privacy, n_boot=50, 19 permutations (reports equal: yes)")
    for name, s, rep in (("in memory", t_mem, mem), ("engine, 2 workers", t_dist, dist)):
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in rep.summary["timings"].items())
        print(f"  {name:18s} {s:6.1f} s  x{t_mem / s:.2f}   ({steps})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
