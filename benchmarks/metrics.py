"""Benchmark: synthkit's metrics against what a user would otherwise run.

1. ``sk.evaluate()`` on adult, 32,000 real vs 32,000 synthetic rows, every family
   (with baselines and bootstrap intervals): wall time and peak memory.
2. Precision/recall/density/coverage: ``synthkit.metrics.coverage.prdc`` vs the
   reference ``prdc`` package (Naeem et al.'s code) on the same encoded matrices,
   10,000 x 10,000 (the reference builds full distance matrices); then synthkit
   alone at 32,000 x 32,000.
3. Column shapes and pair trends: synthkit (``families=("fidelity", "pairwise")``)
   vs ``sdmetrics``' ``QualityReport`` on the same frames.
4. (``--only big``) PRDC at 100,000 x 100,000 rows, synthkit alone.

Every task runs in its own fresh process (timed inside it; peak memory = the
process's maximum resident set size minus its size just before the task). The
reference packages live in ``.benchvenv`` (``python3 -m venv .benchvenv &&
.benchvenv/bin/pip install prdc sdmetrics``), so they never enter synthkit's
environment.

    .venv/bin/python benchmarks/metrics.py [--rows 32000] [--prdc-rows 10000] [--only ... big]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_PY = ROOT / ".benchvenv" / "bin" / "python"

PRELUDE = r"""
import json, resource, sys, time
def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
def report(**kw):
    print("RESULT " + json.dumps(kw))
"""

TASKS = {
    "evaluate": r"""
import polars as pl, synthkit as sk
real = sk.from_frame(pl.read_parquet(D + "/real.parquet"), "adult", target="income", sensitive=["sex", "race"])
synth = pl.read_parquet(D + "/synth.parquet")
sk.evaluate(real.sample(300, 0), synth.head(300), n_boot=5)  # compile numba kernels, warm imports
base = rss_mb(); t = time.perf_counter(); c = time.process_time()
rep = sk.evaluate(real, synth, random_state=0)
dt = time.perf_counter() - t
report(seconds=dt, cpu_seconds=time.process_time() - c, peak_mb=rss_mb() - base, timings=rep.summary["timings"],
       headline=rep.headline().select("metric", "value", "baseline").rows())
""",
    "prdc_synthkit": r"""
import numpy as np
from synthkit.metrics.coverage import prdc
R = np.load(D + f"/real_X{J}.npy")[:N]; S = np.load(D + f"/synth_X{J}.npy")[:N]
prdc(R[:200], S[:200])  # compile
base = rss_mb(); t = time.perf_counter()
out = prdc(R, S, k=5)
dt = time.perf_counter() - t
strict = prdc(R, S, k=5, strict=True) if N <= 20000 else None
report(seconds=dt, peak_mb=rss_mb() - base, values=out, strict=strict)
""",
    "prdc_reference": r"""
import numpy as np
from prdc import compute_prdc
R = np.load(D + f"/real_X{J}.npy")[:N]; S = np.load(D + f"/synth_X{J}.npy")[:N]
base = rss_mb(); t = time.perf_counter()
out = compute_prdc(real_features=R, fake_features=S, nearest_k=5)
report(seconds=time.perf_counter() - t, peak_mb=rss_mb() - base, values={k: float(v) for k, v in out.items()})
""",
    "fidelity_synthkit": r"""
import polars as pl, synthkit as sk
real = sk.from_frame(pl.read_parquet(D + "/real.parquet"), "adult", target="income", sensitive=["sex", "race"])
synth = pl.read_parquet(D + "/synth.parquet")
sk.evaluate(real.sample(300, 0), synth.head(300), n_boot=5, families=("fidelity", "pairwise"))
out = {}
for nb in (0, 100):
    base = rss_mb(); t = time.perf_counter()
    rep = sk.evaluate(real, synth, families=("fidelity", "pairwise"), n_boot=nb)
    dt = time.perf_counter() - t
    h = dict(zip(rep.headline()["metric"], rep.headline()["value"]))
    out[nb] = dict(seconds=dt, peak_mb=rss_mb() - base, column_shapes=h["column_shapes"], pair_trends=h["pair_trends"])
report(**{f"n_boot_{k}": v for k, v in out.items()})
""",
    "prdc_100k": r"""
import numpy as np, synthkit as sk
from synthkit.metrics.coverage import prdc
ds = sk.load("adult")
a = sk.generate(ds, "bootstrap", n=100_000, random_state=1, noise=0.05)
b = sk.generate(ds, "copula", n=100_000, random_state=2)
enc = sk.Encoder().fit(ds); A = enc.transform(a); B = enc.transform(b)
prdc(A[:300], B[:300])
base = rss_mb(); t = time.perf_counter(); c = time.process_time()
out = prdc(A, B)
report(seconds=time.perf_counter() - t, cpu_seconds=time.process_time() - c, peak_mb=rss_mb() - base, values=out)
""",
    "fidelity_sdmetrics": r"""
import pandas as pd
from sdmetrics.reports.single_table import QualityReport
real = pd.read_parquet(D + "/real.parquet").drop(columns=["row_id", "split", "fnlwgt"])
synth = pd.read_parquet(D + "/synth.parquet")[real.columns]
meta = {"columns": {c: {"sdtype": "numerical" if str(real[c].dtype).startswith(("int", "float")) else "categorical"}
                    for c in real.columns}}
base = rss_mb(); t = time.perf_counter()
qr = QualityReport(); qr.generate(real, synth, meta, verbose=False)
dt = time.perf_counter() - t
props = qr.get_properties()
report(seconds=dt, peak_mb=rss_mb() - base, properties=dict(zip(props["Property"], props["Score"])))
""",
}


def run(task: str, python: Path, data: str, n: int = 0, jitter: str = "") -> dict:
    code = PRELUDE + f"D = {data!r}; N = {n}; J = {jitter!r}\n" + TASKS[task]
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    p = subprocess.run([str(python), "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    for line in p.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{task} failed:\n{p.stdout[-2000:]}\n{p.stderr[-4000:]}")


def cpu_share() -> float:
    """Share of one core this process gets right now (other work on the machine lowers it)."""
    t0, c0 = time.perf_counter(), time.process_time()
    s = 0
    for i in range(3_000_000):
        s += i
    return (time.process_time() - c0) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=32000)
    ap.add_argument("--prdc-rows", type=int, default=10000)
    ap.add_argument("--skip-reference", action="store_true")
    ap.add_argument("--only", nargs="+", default=["evaluate", "prdc", "fidelity"],
                    choices=["evaluate", "prdc", "fidelity", "big"],
                    help="parts to run; 'big' (PRDC at 100k x 100k, about a minute) is not run by default")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    import numpy as np
    import synthkit as sk

    ds = sk.load("adult")
    real, _ = ds.split(args.rows / len(ds), random_state=0)
    try:
        batch = sk.generate(real, "copula", n=args.rows, random_state=1)
        gen = "copula"
    except Exception:  # noqa: BLE001 - before the copula exists, jittered resampling stands in
        batch = sk.generate(real, "bootstrap", n=args.rows, random_state=1, noise=0.2)
        gen = "bootstrap(noise=0.2)"
    enc = sk.Encoder().fit(real)
    have_ref = BENCH_PY.exists() and not args.skip_reference
    with tempfile.TemporaryDirectory() as d:
        real.frame.write_parquet(f"{d}/real.parquet")
        batch.features.write_parquet(f"{d}/synth.parquet")
        np.save(f"{d}/real_X.npy", enc.transform(real))
        np.save(f"{d}/synth_X.npy", enc.transform(batch))
        # the same matrices with a little noise (sd 1e-3): no exact ties, where '<' and '<=' agree
        jit = np.random.default_rng(0)
        for name in ("real_X", "synth_X"):
            M = np.load(f"{d}/{name}.npy")
            np.save(f"{d}/{name}_jit.npy", (M + jit.normal(0, 1e-3, M.shape)).astype(np.float32))
        print(f"adult: {len(real):,} real rows vs {len(batch):,} synthetic rows from {gen}; "
              f"encoded width {enc.n_features_}; cpu share of one core now: {cpu_share():.2f}")

        if "evaluate" in args.only:
            ev = run("evaluate", Path(sys.executable), d)
            print(f"\n[1] sk.evaluate(), all families, n_boot=100: {ev['seconds']:.1f} s wall "
                  f"({ev['cpu_seconds']:.1f} s CPU over all threads), peak +{ev['peak_mb']:.0f} MB")
            print("    per family: " + ", ".join(f"{k} {v:.1f} s" for k, v in ev["timings"].items()))
        if "prdc" in args.only:
            prdc_part(args, d, have_ref)
        if "fidelity" in args.only:
            fidelity_part(d, have_ref)
        if "big" in args.only:
            big = run("prdc_100k", Path(sys.executable), d)
            print(f"\n[4] PRDC 100,000 x 100,000 (adult resampled with jitter vs copula rows): {big['seconds']:.1f} s wall "
                  f"({big['cpu_seconds']:.1f} s CPU), peak +{big['peak_mb']:.0f} MB, {_r(big['values'])}; "
                  f"full distance matrices would take {3 * 100_000**2 * 4 / 2**30:.0f} GB")
        print(f"\ncpu share of one core at the end: {cpu_share():.2f}")


def prdc_part(args, d: str, have_ref: bool) -> None:
    n = args.prdc_rows
    for jitter, label in (("", "encoded adult rows (many equal distances)"),
                          ("_jit", "the same + N(0, 1e-3) noise (no ties, no one-hot blocks)")):
        ours = run("prdc_synthkit", Path(sys.executable), d, n, jitter)
        print(f"\n[2] PRDC {n:,} x {n:,}, k=5, {label}")
        print(f"    synthkit : {ours['seconds']:.2f} s, peak +{ours['peak_mb']:.0f} MB, {_r(ours['values'])}")
        if not have_ref:
            continue
        ref = run("prdc_reference", BENCH_PY, d, n, jitter)
        diff = max(abs(ours["strict"][k] - ref["values"][k]) for k in ours["values"])
        print(f"    synthkit strict=True (reference tie rule '<'): {_r(ours['strict'])}")
        print(f"    reference: {ref['seconds']:.2f} s, peak +{ref['peak_mb']:.0f} MB, {_r(ref['values'])}")
        print(f"    speed-up x{ref['seconds'] / ours['seconds']:.1f}, memory x{ref['peak_mb'] / max(ours['peak_mb'], 1):.0f} "
              f"less; max |synthkit strict - reference| = {diff:.2g}")
    big = run("prdc_synthkit", Path(sys.executable), d, args.rows)
    print(f"    synthkit at {args.rows:,} x {args.rows:,}: {big['seconds']:.2f} s, peak +{big['peak_mb']:.0f} MB "
          f"(the reference would need {3 * args.rows**2 * 4 / 2**30:.1f} GB of distance matrices)")


def _r(v: dict) -> dict:
    return {k: round(x, 4) for k, x in v.items()}


def fidelity_part(d: str, have_ref: bool) -> None:
    fid = run("fidelity_synthkit", Path(sys.executable), d)
    print("\n[3] column shapes + pair trends on the same frames")
    for nb in (0, 100):
        r = fid[f"n_boot_{nb}"]
        print(f"    synthkit (n_boot={nb:>3}): {r['seconds']:.2f} s, peak +{r['peak_mb']:.0f} MB, "
              f"column_shapes {r['column_shapes']:.4f}, pair_trends {r['pair_trends']:.4f}")
    if have_ref:
        sd = run("fidelity_sdmetrics", BENCH_PY, d)
        print(f"    sdmetrics QualityReport: {sd['seconds']:.2f} s, peak +{sd['peak_mb']:.0f} MB, {sd['properties']}")
        print(f"    speed-up x{sd['seconds'] / fid['n_boot_0']['seconds']:.1f} (no intervals), "
              f"x{sd['seconds'] / fid['n_boot_100']['seconds']:.1f} (with baselines + 100 bootstrap replicates)")


if __name__ == "__main__":
    main()
