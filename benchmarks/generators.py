"""Generators: fit + sample time, peak memory and marginal quality, side by side.

    .venv/bin/python benchmarks/generators.py            # everything (a few minutes)
    .venv/bin/python benchmarks/generators.py --quick    # penguins only, no SDV

1. Every registered generator on penguins (344 rows, sample 1,000) and on the
   adult training split (32,561 rows, sample 10,000): wall time of fit + sample
   (best of ``--repeats`` runs), peak traced memory (tracemalloc, a separate run
   so tracing does not slow the timed one) and the shape score (1 - mean KS/TV
   distance per column, ``synthkit.summary.shape_score``).
2. SDV's GaussianCopulaSynthesizer on the same adult rows, run in the separate
   benchmark environment ``.benchvenv`` (``python -m venv .benchvenv &&
   .benchvenv/bin/pip install sdv``) through a subprocess, timed and traced the
   same way; its rows are scored here with the same function as ours, and both
   outputs are also scored by SDMetrics' own QualityReport (Column Shapes,
   Column Pair Trends) when sdmetrics is available there.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import textwrap
import time
import tracemalloc
from pathlib import Path

import polars as pl

import synthkit as sk
from synthkit.data import Dataset
from synthkit.summary import shape_score

ROOT = Path(__file__).resolve().parent.parent
BENCH_PY = ROOT / ".benchvenv" / "bin" / "python"

SDV_SCRIPT = textwrap.dedent("""
    import json, sys, time, tracemalloc, warnings
    warnings.filterwarnings("ignore")
    import pandas as pd
    from sdv.metadata import Metadata
    from sdv.single_table import GaussianCopulaSynthesizer
    real = pd.read_parquet(sys.argv[1])
    n, repeats = int(sys.argv[3]), int(sys.argv[4])
    if hasattr(Metadata, "detect_from_dataframes"):  # SDV >= 1.16 (and 2.x)
        metadata = Metadata.detect_from_dataframes({"adult": real})
    else:
        metadata = Metadata.detect_from_dataframe(real, table_name="adult")
    def fit_sample():
        syn = GaussianCopulaSynthesizer(metadata)
        try:
            syn.fit(real)
        except Exception:  # SDV 2.x takes {table name: frame} and returns the same
            syn.fit({"adult": real})
        out = syn.sample(n)
        return out["adult"] if isinstance(out, dict) else out
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fake = fit_sample()
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    fit_sample()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    fake.to_parquet(sys.argv[2])
    import sdv
    print(json.dumps({"seconds": min(times), "peak_mb": peak / 2**20, "version": sdv.__version__}))
""")

SDMETRICS_SCRIPT = textwrap.dedent("""
    import json, sys, warnings
    warnings.filterwarnings("ignore")
    import pandas as pd
    from sdv.metadata import Metadata
    from sdmetrics.reports import QualityReport
    real = pd.read_parquet(sys.argv[1])
    if hasattr(Metadata, "detect_from_dataframes"):
        meta = Metadata.detect_from_dataframes({"adult": real})
    else:
        meta = Metadata.detect_from_dataframe(real, table_name="adult")
    meta = meta.to_dict()
    out = {}
    for name, path in zip(sys.argv[2::2], sys.argv[3::2]):
        fake = pd.read_parquet(path)
        for col in real.columns:  # same dtypes as the real rows (ints may come back as floats)
            if str(real[col].dtype).startswith("int") and fake[col].notna().all():
                fake[col] = fake[col].astype(real[col].dtype)
        rep = QualityReport()
        try:  # sdmetrics >= 0.2x: {table: frame} and the whole metadata
            rep.generate({"adult": real}, {"adult": fake}, meta, verbose=False)
        except (ValueError, TypeError):  # older sdmetrics: one table's frame and metadata
            rep.generate(real, fake, meta["tables"]["adult"], verbose=False)
        props = rep.get_properties().set_index("Property")["Score"].to_dict()
        out[name] = {k: float(v) for k, v in props.items()}
    print(json.dumps(out))
""")


def timed(gen_name: str, ds: Dataset, n: int, repeats: int) -> tuple[float, pl.DataFrame]:
    best, rows = float("inf"), None
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        gen = sk.generators.make(gen_name).fit(ds)
        rows = gen.sample(n, random_state=0)
        best = min(best, time.perf_counter() - t0)
    return best, rows


def traced(gen_name: str, ds: Dataset, n: int) -> float:
    gc.collect()
    tracemalloc.start()
    sk.generators.make(gen_name).fit(ds).sample(n, random_state=0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def run_ours(ds: Dataset, n: int, repeats: int, names: list[str]) -> list[dict]:
    out = []
    for name in names:
        sk.generators.make(name).fit(ds.sample(50, random_state=0)).sample(10)  # imports, warm caches
        secs, rows = timed(name, ds, n, repeats)
        out.append({"dataset": ds.name, "generator": name, "rows": len(ds), "n": n,
                    "seconds": secs, "peak_mb": traced(name, ds, n),
                    "shape_score": shape_score(ds, rows)})
        print(f"  {ds.name:<9} {name:<12} {secs:8.3f} s  {out[-1]['peak_mb']:8.1f} MB  "
              f"score {out[-1]['shape_score']:.3f}", flush=True)
    return out


def run_sdv(ds: Dataset, n: int, repeats: int, ours: pl.DataFrame) -> dict | None:
    if not BENCH_PY.exists():
        print(f"  SDV skipped: {BENCH_PY} not found (python -m venv .benchvenv && "
              ".benchvenv/bin/pip install sdv)")
        return None
    with tempfile.TemporaryDirectory() as tmp:
        real_path, fake_path, ours_path = (Path(tmp) / f for f in ("real.parquet", "sdv.parquet",
                                                                  "ours.parquet"))
        ds.features.write_parquet(real_path)
        ours.write_parquet(ours_path)
        proc = subprocess.run([str(BENCH_PY), "-c", SDV_SCRIPT, str(real_path), str(fake_path), str(n),
                               str(repeats)], capture_output=True, text=True)
        if proc.returncode != 0:
            print("  SDV failed:\n" + proc.stderr[-2000:])
            return None
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        fake = pl.read_parquet(fake_path)
        res["shape_score"] = shape_score(ds, fake)
        proc = subprocess.run([str(BENCH_PY), "-c", SDMETRICS_SCRIPT, str(real_path),
                               "sdv", str(fake_path), "synthkit", str(ours_path)],
                              capture_output=True, text=True)
        res["sdmetrics"] = (json.loads(proc.stdout.strip().splitlines()[-1])
                            if proc.returncode == 0 else None)
        if proc.returncode != 0:
            print("  sdmetrics report failed:\n" + proc.stderr[-1500:])
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="penguins only, no SDV")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    names = sk.generators.available()
    print(f"synthkit {sk.__version__}, polars {pl.__version__}, python {sys.version.split()[0]}")
    penguins = sk.load("penguins")
    print("fit + sample, best of", args.repeats)
    rows = run_ours(penguins, 1_000, args.repeats, names)
    if not args.quick:
        adult = sk.load("adult")
        train = Dataset("adult-train", adult.frame.filter(pl.col("split") == "train"), adult.schema)
        rows += run_ours(train, 10_000, max(1, args.repeats - 1), names)
        print("SDV GaussianCopulaSynthesizer on the same adult rows (.benchvenv)")
        _secs, ours_rows = timed("copula", train, 10_000, 1)
        sdv = run_sdv(train, 10_000, max(1, args.repeats - 1), ours_rows)
        if sdv:
            ours = next(r for r in rows if r["dataset"] == "adult-train" and r["generator"] == "copula")
            print(f"  sdv {sdv['version']:<8} {sdv['seconds']:8.3f} s  {sdv['peak_mb']:8.1f} MB  "
                  f"score {sdv['shape_score']:.3f}")
            print(f"  speed-up synthkit copula vs SDV: {sdv['seconds'] / ours['seconds']:.1f}x; "
                  f"peak memory ratio {sdv['peak_mb'] / ours['peak_mb']:.1f}x; shape score "
                  f"{ours['shape_score']:.3f} vs {sdv['shape_score']:.3f}")
            if sdv.get("sdmetrics"):
                for who, props in sdv["sdmetrics"].items():
                    print(f"  SDMetrics QualityReport {who:<9} "
                          + ", ".join(f"{k} {v:.3f}" for k, v in props.items()))
    table = pl.DataFrame(rows).with_columns(pl.col("seconds", "peak_mb", "shape_score").round(3))
    with pl.Config(tbl_rows=-1, tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True):
        print(table)


if __name__ == "__main__":
    main()
