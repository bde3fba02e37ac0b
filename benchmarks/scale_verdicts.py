"""The size-matched verdicts of a report of files: their cost follows the real rows, not the synthetic ones.

    python benchmarks/scale_verdicts.py [n_real] [n_synth ...]   # default 20000 real; 100000 and 400000 synthetic

Real rows and synthetic files: adult resampled with jitter (two seeds; the files hold 50,000 rows each).
On one 2-worker local cluster, for each synthetic size: ``evaluate(real, folder, n_perm=0)`` (values only)
and ``evaluate(real, folder)`` (19 permutations), side by side; the verdicts read back only the matched
sample (as many synthetic rows as the real half B; reading it back passes over the files once) and run
the permuted samples on the workers. Prints wall times, the verdict step's own time, its read-back and
permutation parts (the engine's stats) and the matched sample's size.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

FAMILIES = ["fidelity", "pairwise", "coverage", "privacy"]


def main(n_real: int, sizes: list[int]) -> None:
    import synthkit as sk
    from synthkit.scale import engine_scope
    from synthkit.scale.resample import resampled, write_resampled

    a = sk.load("adult")
    real = resampled(a, n_real, random_state=0)
    print(f"{n_real:,} real rows; families {', '.join(FAMILIES)}; n_boot=0; 2 local workers")
    print(f"{'synthetic rows':>15} {'values only':>12} {'with verdicts':>14} {'verdict step':>13} "
          f"{'read back':>10} {'permutations':>13} {'matched':>9}")
    with tempfile.TemporaryDirectory() as tmp, engine_scope("dask", n_workers=2, progress=False) as eng:
        warm = Path(tmp) / "warm"
        write_resampled(a, 2_000, warm, random_state=3, rows_per_file=1_000)
        sk.evaluate(real.frame[:1_000], warm, families=FAMILIES, n_boot=0, n_perm=2, engine=eng)  # compile
        for n in sizes:
            folder = Path(tmp) / f"s{n}"
            write_resampled(a, n, folder, random_state=1, rows_per_file=50_000)
            t = time.perf_counter()
            sk.evaluate(real, folder, families=FAMILIES, n_boot=0, n_perm=0, engine=eng)
            t_values = time.perf_counter() - t
            before = {k: v["seconds"] for k, v in eng.stats.items()}
            t = time.perf_counter()
            rep = sk.evaluate(real, folder, families=FAMILIES, n_boot=0, engine=eng)
            t_all = time.perf_counter() - t
            step = {k: v["seconds"] - before.get(k, 0.0) for k, v in eng.stats.items()}
            print(f"{n:>15,} {t_values:>10.1f} s {t_all:>12.1f} s {rep.summary['timings']['verdicts']:>11.1f} s "
                  f"{step.get('matched sample', 0.0):>8.1f} s {step.get('permutations', 0.0):>11.1f} s "
                  f"{rep.summary['matched_size']:>9,}")


if __name__ == "__main__":
    args = [int(x) for x in sys.argv[1:]]
    main(args[0] if args else 20_000, args[1:] or [100_000, 400_000])
