"""Benchmark: are ``evaluate()``'s "worse than real" verdicts calibrated, and do they catch breakage?

Perfect generators are fresh draws from the same population: the "real" rows
and the "synthetic" rows are two disjoint random samples of one embedded data
set (each draw seeded). Sizes:

- adult (48,842 rows): n = 200, 1,000 and 5,000 real rows vs as many other rows;
- digits-sized (1,797 rows): n = 200 and 898 (two disjoint halves);
- penguins-sized (344 rows): n = 172 (two disjoint halves).

Broken generators start from such a fresh draw and break it:

- ``shuffled``: every column permuted independently (marginals kept, dependence gone);
- ``copies``: the synthetic rows are the real rows themselves (exact copies);
- ``shift``: one numeric column shifted by one population standard deviation;
- ``dropped``: every row of one category removed (about 10-35% of the rows).

Text (``shakespeare``, 10,000 lines; the ``text`` family, with a holdout of
``n`` more fresh lines so that perplexity is scored on text no generator saw):
n = 500 and 2,000 real lines. Perfect: ``n`` fresh lines. Broken:

- ``text_copies``: the real lines drawn with replacement (bootstrap copies);
- ``text_repeated``: every line is one of 20 fresh lines (a degenerate generator);
- ``text_markov_cold``: the word-level Markov generator (``markov``, state size
  2) fitted on the real lines, sampled at temperature 0.3;
- ``text_truncated``: fresh lines cut to their first 5 words.

For the perfect generator the table gives each headline metric's false flags
("worse than real") per data set and size; the nominal level is 5%, and a
count above the 95% quantile of Binomial(draws, 0.05) is marked as beyond
sampling slack. For
each broken generator it gives the rate at which the family meant to catch it
flags it (any headline metric of that family "worse than real").

**Gate mode** (``--gate``) measures the default quality gate (``rep.gate()``, Holm
over the headline metrics it checks, family-wise alpha = 0.05) at the sizes a
regression-test notebook uses: adult 300 real vs 300 synthetic rows, penguins
172 vs 172 (two disjoint halves; the set has 344 rows). Every family is
evaluated (the gate checks all headline metrics). For the perfect generator it
counts the draws the gate passes (the goal: at least 95%), for each broken one
the draws it fails (the goal: at least 95%), and, side by side, what the naive
rule "every headline metric as real at 5%" (any status "worse than real") would
have done.

Runs single-threaded (``OMP_NUM_THREADS=1``, ``NUMBA_NUM_THREADS=1``) with
``n_boot=0`` (intervals are not needed for verdicts). Results are appended as
JSON lines to ``--out`` as they come, then summarised in Markdown.

    .venv/bin/python benchmarks/calibration.py [--draws 50] [--big-draws 20] [--data adult penguins digits shakespeare]
        [--only perfect|broken] [--out calibration.jsonl] [--summarise]
    .venv/bin/python benchmarks/calibration.py --gate [--draws 50] [--data adult penguins]
        [--kinds ...] [--only perfect|broken] [--out gate.jsonl] [--summarise]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
from scipy.stats import binom  # noqa: E402

import synthkit as sk  # noqa: E402
from synthkit.data import Dataset  # noqa: E402

#: data set -> (sizes, shifted numeric column, (categorical column, dropped category))
SETUP = {
    "adult": ((200, 1000, 5000), "age", ("relationship", "Husband")),
    "penguins": ((172,), "flipper_length_mm", ("species", "Chinstrap")),
    "digits": ((200, 898), "px_3_3", ("label", "3")),
}
#: broken generator -> the family meant to catch it
CATCH = {"shuffled": "pairwise", "copies": "privacy", "shift": "fidelity", "dropped": "coverage"}
#: the families that can claim a catch (a dropped category is also a fidelity defect: category_shares)
CATCHERS = {"shuffled": ("pairwise", "detection"), "copies": ("privacy",), "shift": ("fidelity",),
            "dropped": ("coverage", "fidelity")}
CHEAP = ("fidelity", "pairwise", "coverage", "privacy", "subgroup")
#: text data set -> sizes n (perfect and broken runs use the text family)
TEXT_SETUP = {"shakespeare": (500, 2000)}
TEXT_KINDS = ("text_copies", "text_repeated", "text_markov_cold", "text_truncated")
CATCHERS.update({k: ("text",) for k in TEXT_KINDS})


def draw(pop: Dataset, n: int, kind: str, seed: int) -> tuple[Dataset, pl.DataFrame]:
    """One (real, synthetic) pair: disjoint random samples of ``pop``, the synthetic one broken by ``kind``."""
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(pop))
    real = Dataset(pop.name, pop.frame[np.sort(idx[:n])], pop.schema)
    fresh = pop.frame[np.sort(idx[n:2 * n])].drop("row_id")
    _, shift_col, (cat_col, cat) = SETUP[pop.name]
    if kind == "perfect":
        syn = fresh
    elif kind == "shuffled":
        syn = fresh.with_columns([fresh[c].gather(rng.permutation(n)) for c in pop.schema.columns])
    elif kind == "copies":
        syn = real.frame.drop("row_id").sample(fraction=1.0, shuffle=True, seed=seed)
    elif kind == "shift":
        sd = float(pop.frame[shift_col].cast(pl.Float64).std())
        dtype = fresh[shift_col].dtype
        shifted = pl.col(shift_col).cast(pl.Float64).fill_nan(None) + sd
        syn = fresh.with_columns((shifted.round(0) if dtype.is_integer() else shifted).cast(dtype).alias(shift_col))
    elif kind == "dropped":
        syn = fresh.filter(pl.col(cat_col).cast(pl.String) != cat)
    else:
        raise ValueError(kind)
    return real, syn


def draw_text(pop: Dataset, n: int, kind: str, seed: int) -> tuple[Dataset, pl.DataFrame, pl.DataFrame]:
    """(real, synthetic, holdout): three disjoint samples of ``n`` lines, the synthetic one broken by ``kind``."""
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(pop))
    real = Dataset(pop.name, pop.frame[np.sort(idx[:n])], pop.schema)
    hold = pop.frame[np.sort(idx[n:2 * n])]
    fresh = pop.frame[np.sort(idx[2 * n:3 * n])].drop("row_id")
    col = pop.schema.text[0]
    if kind == "perfect":
        syn = fresh
    elif kind == "text_copies":
        syn = real.frame.drop("row_id")[rng.integers(0, n, n)]
    elif kind == "text_repeated":
        syn = fresh.with_columns(fresh[col].gather(rng.integers(0, 20, n)))
    elif kind == "text_markov_cold":
        syn = sk.generate(real, "markov", n=n, temperature=0.3, random_state=seed).frame.drop("row_id")
    elif kind == "text_truncated":
        syn = fresh.with_columns(pl.col(col).str.split(" ").list.head(5).list.join(" "))
    else:
        raise ValueError(kind)
    return real, syn, hold


def run_one_text(pop: Dataset, n: int, kind: str, seed: int) -> dict:
    real, syn, hold = draw_text(pop, n, kind, seed)
    t = time.perf_counter()
    rep = sk.evaluate(real, syn, holdout=hold, random_state=seed, n_boot=0, families=("text",))
    h = rep.headline()
    return {"data": pop.name, "n": n, "kind": kind, "seed": seed, "seconds": time.perf_counter() - t,
            "flags": {f"{r['family']}/{r['metric']}": r["status"] == "worse than real" for r in h.iter_rows(named=True)
                      if r["status"]}}


def run_one(pop: Dataset, n: int, kind: str, seed: int, families) -> dict:
    real, syn = draw(pop, n, kind, seed)
    t = time.perf_counter()
    rep = sk.evaluate(real, syn, random_state=seed, n_boot=0, families=families)
    h = rep.headline()
    return {"data": pop.name, "n": n, "kind": kind, "seed": seed, "seconds": time.perf_counter() - t,
            "flags": {f"{r['family']}/{r['metric']}": r["status"] == "worse than real" for r in h.iter_rows(named=True)
                      if r["status"]}}


#: data set -> rows per side in gate mode (penguins: two disjoint halves of 344 rows)
GATE_SIZES = {"adult": 300, "penguins": 172, "digits": 300}


def run_gate(pop: Dataset, n: int, kind: str, seed: int) -> dict:
    """One draw in gate mode: every family, the default gate and the naive per-metric rule."""
    real, syn = draw(pop, n, kind, seed)
    t = time.perf_counter()
    rep = sk.evaluate(real, syn, random_state=seed, n_boot=0)
    res = rep.gate()
    h = rep.headline()
    return {"mode": "gate", "data": pop.name, "n": n, "kind": kind, "seed": seed,
            "seconds": time.perf_counter() - t, "gate_passed": res.passed,
            "gate_failed": res.failed["metric"].to_list(), "checked": res.table["metric"].to_list(),
            "naive_failed": [r["metric"] for r in h.iter_rows(named=True) if r["status"] == "worse than real"]}


def summarise_gate(results: list[dict]) -> str:
    groups = defaultdict(list)
    for r in results:
        groups[(r["data"], r["n"], r["kind"])].append(r)
    order = ["perfect", *CATCH]
    out = ["| data | n | generator | draws | default gate fails | goal | met | naive rule fails | "
           "metrics failing the gate most often |", "|---|---|---|---|---|---|---|---|---|"]
    for (d, n, kind), rs in sorted(groups.items(), key=lambda g: (g[0][0], g[0][1], order.index(g[0][2]))):
        k = sum(not r["gate_passed"] for r in rs)
        naive = sum(bool(r["naive_failed"]) for r in rs)
        rate = k / len(rs)
        goal, met = ("pass >= 95%", 1 - rate >= 0.95) if kind == "perfect" else ("fail >= 95%", rate >= 0.95)
        top = defaultdict(int)
        for r in rs:
            for m in r["gate_failed"]:
                top[m] += 1
        tops = ", ".join(f"{m} {c}" for m, c in sorted(top.items(), key=lambda x: (-x[1], x[0]))[:3]) or "-"
        out.append(f"| {d} | {n} | {kind} | {len(rs)} | {k}/{len(rs)} ({rate:.0%}) | {goal} | "
                   f"{'yes' if met else '**no**'} | {naive}/{len(rs)} ({naive / len(rs):.0%}) | {tops} |")
    checked = sorted({len(r["checked"]) for r in results})
    secs = [r["seconds"] for r in results]
    out.append(f"\nMetrics the default gate checked per draw: {checked[0]}-{checked[-1]}; evaluate() per draw "
               f"(all families, n_boot=0): median {np.median(secs):.1f} s.")
    return "\n".join(out)


def slack(n: int) -> int:
    """The most false flags a 5% rate gives in ``n`` draws, 95% of the time."""
    return int(binom.ppf(0.95, n, 0.05))


def summarise(results: list[dict]) -> str:
    out = []
    perfect = [r for r in results if r["kind"] == "perfect"]
    if perfect:
        groups = defaultdict(list)
        for r in perfect:
            groups[(r["data"], r["n"])].append(r)
        metrics = sorted({m for r in perfect for m in r["flags"]}, key=lambda m: list(
            perfect[0]["flags"]).index(m) if m in perfect[0]["flags"] else 99)
        cols = sorted(groups)
        out.append("### Perfect generator: false flags (flagged / draws; bold = above the 95% quantile of "
                   "Binomial(draws, 0.05), i.e. more than a 5% rate plus sampling slack)\n")
        out.append("| metric | " + " | ".join(f"{d} n={n}" for d, n in cols) + " |")
        out.append("|---|" + "---|" * len(cols))
        for m in metrics:
            cells = []
            for c in cols:
                rs = [r for r in groups[c] if m in r["flags"]]
                k = sum(r["flags"][m] for r in rs)
                cells.append(("-" if not rs else f"**{k}/{len(rs)}**" if k > slack(len(rs)) else f"{k}/{len(rs)}"))
            out.append(f"| {m} | " + " | ".join(cells) + " |")
        cells = []
        for c in cols:
            rs, nm = groups[c], len(groups[c][0]["flags"])
            k = sum(sum(r["flags"].values()) for r in rs)
            cells.append(f"{k / max(1, nm * len(rs)):.1%}")
        out.append("| **all headline metrics** | " + " | ".join(cells) + " |")
        secs = [r["seconds"] for r in perfect if np.isfinite(r["seconds"])]
        if secs:
            out.append(f"\nevaluate() per perfect draw (n_boot=0): median {np.median(secs):.1f} s.\n")
    broken = [r for r in results if r["kind"] != "perfect"]
    if broken:
        groups = defaultdict(list)
        for r in broken:
            groups[(r["kind"], r["data"], r["n"])].append(r)
        out.append("### Broken generators: detection rate (draws flagged by the family meant to catch it)\n")
        out.append("| broken generator | family | data | n | caught | by any family |")
        out.append("|---|---|---|---|---|---|")
        for (kind, d, n), rs in sorted(groups.items()):
            fams = CATCHERS[kind]
            fam = " or ".join(fams)
            k = sum(any(v for m, v in r["flags"].items() if m.split("/")[0] in fams) for r in rs)
            anyk = sum(any(r["flags"].values()) for r in rs)
            out.append(f"| {kind} | {fam} | {d} | {n} | {k}/{len(rs)} ({k / len(rs):.0%}) | {anyk}/{len(rs)} |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=50)
    ap.add_argument("--big-draws", type=int, default=20, help="draws at the slow sizes (adult 5000, digits 898)")
    ap.add_argument("--out", default="calibration.jsonl")
    ap.add_argument("--only", choices=["perfect", "broken"], default=None)
    ap.add_argument("--families", nargs="+", default=None, help="families of the perfect runs (default: all)")
    ap.add_argument("--broken-families", nargs="+", default=list(CHEAP),
                    help="families of the broken runs (default: all but detection and utility)")
    ap.add_argument("--kinds", nargs="+", choices=list(CATCH) + list(TEXT_KINDS), default=list(CATCH) + list(TEXT_KINDS),
                    help="broken generators to run")
    ap.add_argument("--sizes", nargs="+", type=int, default=None, help="only these sizes n")
    ap.add_argument("--data", nargs="+", choices=list(SETUP) + list(TEXT_SETUP),
                    default=list(SETUP) + list(TEXT_SETUP), help="data sets to run")
    ap.add_argument("--summarise", action="store_true", help="only summarise an existing --out file")
    ap.add_argument("--gate", action="store_true",
                    help="measure the default quality gate (rep.gate()) at adult n=300 and penguins n=172")
    args = ap.parse_args()
    path = Path(args.out)
    if args.gate:
        return main_gate(args, path)
    if not args.summarise:
        pops = {name: sk.load(name) for name in list(SETUP) + list(TEXT_SETUP) if name in args.data or name == "penguins"}
        sk.evaluate(pops["penguins"], pops["penguins"].frame.drop("row_id").head(100), n_boot=0)  # warm-up
        t0 = time.perf_counter()
        with path.open("a") as fh:
            for name, (sizes, _, _) in SETUP.items():
                for n in sizes if name in args.data else ():
                    if args.sizes and n not in args.sizes:
                        continue
                    draws = args.big_draws if n >= 5000 or (name == "digits" and n > 200) else args.draws
                    jobs = []
                    if args.only in (None, "perfect"):
                        jobs.append(("perfect", args.families))
                    if args.only in (None, "broken") and n < 5000:
                        jobs += [(kind, tuple(args.broken_families)) for kind in args.kinds if kind in CATCH]
                    for kind, fams in jobs:
                        for i in range(draws):
                            r = run_one(pops[name], n, kind, 1000 * n + i, fams)
                            fh.write(json.dumps(r) + "\n")
                            fh.flush()
                        print(f"{name} n={n} {kind}: {draws} draws, {time.perf_counter() - t0:.0f} s so far",
                              flush=True)
            for name, sizes in TEXT_SETUP.items():
                for n in sizes if name in args.data else ():
                    if args.sizes and n not in args.sizes:
                        continue
                    draws = args.big_draws if n >= 2000 else args.draws
                    jobs = (["perfect"] if args.only in (None, "perfect") else []) + (
                        [k for k in args.kinds if k in TEXT_KINDS] if args.only in (None, "broken") and n < 2000 else [])
                    for kind in jobs:
                        for i in range(draws):
                            fh.write(json.dumps(run_one_text(pops[name], n, kind, 1000 * n + i)) + "\n")
                            fh.flush()
                        print(f"{name} n={n} {kind}: {draws} draws, {time.perf_counter() - t0:.0f} s so far",
                              flush=True)
    results = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    print(summarise(results))


def main_gate(args, path: Path) -> None:
    if not args.summarise:
        names = [d for d in args.data if d in GATE_SIZES]
        pops = {name: sk.load(name) for name in names}
        sk.evaluate(pops[names[0]], pops[names[0]].frame.drop("row_id").head(100), n_boot=0)  # warm-up
        kinds = (["perfect"] if args.only in (None, "perfect") else []) + \
                ([k for k in args.kinds if k in CATCH] if args.only in (None, "broken") else [])
        t0 = time.perf_counter()
        with path.open("a") as fh:
            for name in names:
                for n in args.sizes or (GATE_SIZES[name],):
                    for kind in kinds:
                        for i in range(args.draws):
                            r = run_gate(pops[name], n, kind, 7000 + 1000 * n + i)
                            fh.write(json.dumps(r) + "\n")
                            fh.flush()
                        print(f"gate {name} n={n} {kind}: {args.draws} draws, {time.perf_counter() - t0:.0f} s so far",
                              flush=True)
    results = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    print(summarise_gate([r for r in results if r.get("mode") == "gate"]))


if __name__ == "__main__":
    main()
