"""Benchmark: synthkit's privacy attacks against the reference, anonymeter, on the same splits.

Adult census rows are split into training rows (the generator's input), control
rows (never seen by the generator) and synthetic rows from a generator fitted
on the training rows. Both implementations attack the same files with the same
number of attacks: singling out (univariate and multivariate), linkability
(the modelled columns split in two halves, ``n_neighbors=1``) and inference of
``income`` from every other column. Each runs ``--repeats`` times (anonymeter's
linkability and inference draw their targets unseeded, so repeats show its
spread); the table gives each side's mean risk, the mean of its interval, and
whether the two sides' intervals overlap. Times are per full run of the three
attacks (wall clock, one process each, after a warm-up run). synthkit runs
singling out with the reference's size correction for the comparison, and
also with its own default (``size_correction="subsample"``), whose rows show
what a perfect generator (``fresh``: real rows never seen) reads under each.

anonymeter pins numpy < 1.27 and numba ~= 0.59, so it lives in its own virtual
environment, created on first use:

    python3 -m venv .benchvenv-anon && .benchvenv-anon/bin/pip install anonymeter==1.1.0

    .venv/bin/python benchmarks/attacks.py [--train 20000 --control 5000 --synthetic 20000
                                            --attacks 2000 --repeats 3 --generators copula bootstrap]
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

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
ANON_VENV = ROOT / ".benchvenv-anon"
ANON_PY = ANON_VENV / "bin" / "python"
MISSING = "(missing)"

ANON_SCRIPT = r"""
import json, sys, time, warnings
import numpy as np, pandas as pd
from anonymeter.evaluators import SinglingOutEvaluator, LinkabilityEvaluator, InferenceEvaluator
warnings.filterwarnings("ignore")
D, n_attacks, seed, aux_a, aux_b, secret = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4]), json.loads(sys.argv[5]), sys.argv[6]
ori = pd.read_parquet(D + "/train.parquet"); syn = pd.read_parquet(D + "/synth.parquet"); ctl = pd.read_parquet(D + "/control.parquet")
np.random.seed(seed)
out = {}
def risk(ev):
    r = ev.risk(); res = ev.results()
    return {"risk": r.value, "ci": list(r.ci), "attack": res.attack_rate.value,
            "control": res.control_rate.value, "baseline": res.baseline_rate.value}
t0 = time.perf_counter()
for mode in ("univariate", "multivariate"):
    t = time.perf_counter()
    ev = SinglingOutEvaluator(ori=ori, syn=syn, control=ctl, n_attacks=n_attacks, seed=seed).evaluate(mode=mode)
    out["singling_out_" + mode] = {**risk(ev), "seconds": time.perf_counter() - t}
t = time.perf_counter()
ev = LinkabilityEvaluator(ori=ori, syn=syn, control=ctl, n_attacks=n_attacks, aux_cols=(aux_a, aux_b), n_neighbors=1).evaluate(n_jobs=1)
out["linkability"] = {**risk(ev), "seconds": time.perf_counter() - t}
t = time.perf_counter()
aux = [c for c in ori.columns if c != secret]
ev = InferenceEvaluator(ori=ori, syn=syn, control=ctl, aux_cols=aux, secret=secret, n_attacks=n_attacks).evaluate(n_jobs=1)
out["inference"] = {**risk(ev), "seconds": time.perf_counter() - t}
out["total_seconds"] = time.perf_counter() - t0
print("RESULT " + json.dumps(out))
"""


def ensure_anon_venv() -> None:
    if ANON_PY.exists():
        return
    print("creating", ANON_VENV, "(anonymeter in its own environment)", flush=True)
    subprocess.run(["python3", "-m", "venv", str(ANON_VENV)], check=True)
    subprocess.run([str(ANON_PY), "-m", "pip", "install", "-q", "anonymeter==1.1.0"], check=True)


def make_splits(n_train: int, n_control: int, n_synth: int, generator: str, folder: Path, seed: int = 0):
    """Write train / control / synthetic parquet files; returns the synthkit Datasets and frame."""
    import synthkit as sk

    ds = sk.load("adult")
    need = n_train + n_control
    if need > len(ds):
        raise SystemExit(f"adult has {len(ds)} rows; ask for at most that many training + control rows")
    rows = ds.frame.sample(need, seed=seed, shuffle=True)
    train = ds.subset(rows[:n_train]["row_id"], name="adult-train")
    control = ds.subset(rows[n_train:]["row_id"], name="adult-control")
    if generator == "fresh":  # a perfect generator: real rows of the same population, never seen
        rest = ds.frame.filter(~pl.col("row_id").is_in(rows["row_id"].implode()))
        synth = rest.sample(n_synth, seed=seed + 1)
    else:
        synth = sk.generate(train, generator, n=n_synth, random_state=seed)
    cols = list(ds.schema.columns)
    synth_frame = synth.frame if hasattr(synth, "frame") else synth
    for name, frame in (("train", train.frame), ("control", control.frame), ("synth", synth_frame)):
        f = frame.select(cols).with_columns(pl.col(c).fill_null(MISSING) for c in ds.schema.categorical)
        f.write_parquet(folder / f"{name}.parquet")
    return train, control, synth_frame


def run_synthkit(train, control, synth, n_attacks: int, seed: int, aux) -> dict:
    from synthkit.metrics.attacks import attribute_inference, linkability, singling_out

    out = {}
    for mode in ("univariate", "multivariate"):
        t = time.perf_counter()
        r = singling_out(train, synth, control, mode=mode, n_attacks=n_attacks, random_state=seed,
                         size_correction="model")  # the reference's correction, to compare like with like
        out["singling_out_" + mode] = _pack(r, time.perf_counter() - t)
        r = singling_out(train, synth, control, mode=mode, n_attacks=n_attacks, random_state=seed)
        out["singling_out_" + mode + "_subsample"] = _pack(r, 0.0)
    t = time.perf_counter()
    r = linkability(train, synth, control, aux, n_attacks=n_attacks, random_state=seed)
    out["linkability"] = _pack(r, time.perf_counter() - t)
    t = time.perf_counter()
    r = attribute_inference(train, synth, control, secret="income", n_attacks=n_attacks, random_state=seed)
    out["inference"] = _pack(r, time.perf_counter() - t)
    # the same four attacks as the reference (the extra subsample runs are not counted)
    out["total_seconds"] = sum(out[a]["seconds"] for a in
                               ("singling_out_univariate", "singling_out_multivariate", "linkability", "inference"))
    return out


def _pack(r, seconds: float) -> dict:
    return {"risk": r.risk, "ci": [r.ci_low, r.ci_high], "attack": r.attack_rate, "control": r.control_rate,
            "baseline": r.baseline_rate, "seconds": seconds}


def run_anonymeter(folder: Path, n_attacks: int, seed: int, aux) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "2"}
    p = subprocess.run([str(ANON_PY), "-c", ANON_SCRIPT, str(folder), str(n_attacks), str(seed),
                        json.dumps(aux[0]), json.dumps(aux[1]), "income"],
                       capture_output=True, text=True, env=env)
    line = [x for x in p.stdout.splitlines() if x.startswith("RESULT ")]
    if not line:
        raise SystemExit(f"anonymeter failed:\n{p.stderr[-3000:]}")
    return json.loads(line[-1][7:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", type=int, default=20000)
    ap.add_argument("--control", type=int, default=5000)
    ap.add_argument("--synthetic", type=int, default=20000)
    ap.add_argument("--attacks", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--generators", nargs="+", default=["fresh", "copula", "bootstrap"],
                    help="fresh = real rows never seen (a perfect generator); others: synthkit generators")
    ap.add_argument("--out", type=Path, default=None, help="write the raw results as JSON")
    args = ap.parse_args()
    ensure_anon_venv()
    from synthkit.metrics.attacks import _split_aux

    print(f"load: {os.getloadavg()[0]:.2f} (1-min average)  sizes: train {args.train}, control {args.control}, "
          f"synthetic {args.synthetic}, {args.attacks} attacks, {args.repeats} repeats", flush=True)
    raw = {}
    for gen in args.generators:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            train, control, synth = make_splits(args.train, args.control, args.synthetic, gen, folder)
            aux = _split_aux([c for c in train.schema.columns])
            # the same (null-filled) frames for both sides
            import synthkit as sk

            tr = sk.from_frame(pl.read_parquet(folder / "train.parquet"), "train", target="income")
            ct = pl.read_parquet(folder / "control.parquet")
            sy = pl.read_parquet(folder / "synth.parquet")
            run_synthkit(tr, ct, sy, min(200, args.attacks), 99, aux)  # warm up (numba, imports)
            from synthkit.metrics.attacks import privacy_attacks

            t = time.perf_counter()
            privacy_attacks(tr, sy, ct, n_attacks=args.attacks, random_state=0)
            all_four = time.perf_counter() - t
            print(f"  {gen}: synthkit, all four attacks (6 variants) with {args.attacks} attacks each: "
                  f"{all_four:.1f} s", flush=True)
            sk_runs, an_runs = [], []
            for rep in range(args.repeats):
                sk_runs.append(run_synthkit(tr, ct, sy, args.attacks, rep, aux))
                an_runs.append(run_anonymeter(folder, args.attacks, rep, aux))
                print(f"  {gen} repeat {rep}: synthkit {sk_runs[-1]['total_seconds']:.1f} s, "
                      f"anonymeter {an_runs[-1]['total_seconds']:.1f} s", flush=True)
            raw[gen] = {"synthkit": sk_runs, "anonymeter": an_runs, "all_four_seconds": all_four}
    if args.out:
        args.out.write_text(json.dumps(raw, indent=1))
    print(summarise(raw))


def summarise(raw: dict) -> str:
    attacks = ["singling_out_univariate", "singling_out_multivariate", "linkability", "inference"]
    lines = ["| generator | attack | synthkit risk [95% CI] | anonymeter risk [95% CI] | overlap | synthkit s | anonymeter s |",
             "|---|---|---|---|---|---|---|"]
    for gen, runs in raw.items():
        for a in attacks:
            s = [r[a] for r in runs["synthkit"]]
            n = [r[a] for r in runs["anonymeter"]]
            sr, slo, shi = (float(np.mean([x["risk"] for x in s])), float(np.mean([x["ci"][0] for x in s])),
                            float(np.mean([x["ci"][1] for x in s])))
            nr, nlo, nhi = (float(np.mean([x["risk"] for x in n])), float(np.mean([x["ci"][0] for x in n])),
                            float(np.mean([x["ci"][1] for x in n])))
            overlap = "yes" if slo <= nhi and nlo <= shi else "NO"
            lines.append(f"| {gen} | {a} | {sr:.3f} [{slo:.3f}, {shi:.3f}] | {nr:.3f} [{nlo:.3f}, {nhi:.3f}] | "
                         f"{overlap} | {np.mean([x['seconds'] for x in s]):.2f} | {np.mean([x['seconds'] for x in n]):.2f} |")
        for a in ("singling_out_univariate_subsample", "singling_out_multivariate_subsample"):
            s = [r[a] for r in runs["synthkit"]]
            lines.append(f"| {gen} | {a} (synthkit's default) | {np.mean([x['risk'] for x in s]):.3f} "
                         f"[{np.mean([x['ci'][0] for x in s]):.3f}, {np.mean([x['ci'][1] for x in s]):.3f}] | | | | |")
        st = np.mean([r["total_seconds"] for r in runs["synthkit"]])
        at = np.mean([r["total_seconds"] for r in runs["anonymeter"]])
        lines.append(f"| {gen} | **all three** | | | | **{st:.1f}** | **{at:.1f}** ({at / st:.0f}x) |")
        if "all_four_seconds" in runs:
            lines.append(f"| {gen} | all four (+ membership, 6 variants) | | | | {runs['all_four_seconds']:.1f} | - |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
