"""Benchmark: the ``synthkit`` command line from a cold process, against sdmetrics.

On penguins-sized files (344 real rows as CSV, 344 copula rows as CSV), every
command runs in a fresh process and is timed from outside (wall clock, the
median of ``--repeats`` runs):

1. ``import synthkit`` (and ``python -X importtime``'s own total), and which heavy
   modules ``synthkit evaluate`` loads (it must not load umap, plotly, ipywidgets);
2. ``synthkit --help``;
3. ``synthkit evaluate REAL SYN -o report.json``: every family with baselines,
   intervals and verdicts, then ``--gate``, then ``--html``;
4. ``synthkit evaluate ... --families fidelity pairwise``: the scope of sdmetrics'
   QualityReport (column shapes, column-pair trends);
5. ``python -c "import sdmetrics"`` and a script that imports sdmetrics, reads the
   same two files with pandas and runs ``QualityReport.generate``;
6. ``synthkit evaluate`` with an empty numba cache (``NUMBA_CACHE_DIR`` set to a
   new folder): the very first run after installing, when the neighbour kernels
   compile.

sdmetrics lives in ``.benchvenv`` (``python3 -m venv .benchvenv &&
.benchvenv/bin/pip install sdmetrics``), the same environment ``benchmarks/metrics.py``
uses, so it never enters synthkit's environment.

    .venv/bin/python benchmarks/cli.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_PY = ROOT / ".benchvenv" / "bin" / "python"
HEAVY = ("umap", "numba", "plotly", "pynndescent", "ipywidgets", "sklearn", "scipy", "wordllama")

SDMETRICS_SCRIPT = r"""
import sys
import pandas as pd
from sdmetrics.reports.single_table import QualityReport
real = pd.read_csv(sys.argv[1]); synth = pd.read_csv(sys.argv[2])[real.columns]
meta = {"columns": {c: {"sdtype": "numerical" if str(real[c].dtype).startswith(("int", "float")) else "categorical"}
                    for c in real.columns}}
qr = QualityReport(); qr.generate(real, synth, meta, verbose=False)
print(qr.get_properties().to_string())
"""


def _env(**extra: str) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(extra)
    return env


def timed(cmd: list[str], repeats: int, env: dict | None = None, ok: tuple[int, ...] = (0,)) -> dict:
    """Median wall time and CPU time (user + system) of ``repeats`` fresh runs of ``cmd``."""
    times, cpus = [], []
    for _ in range(repeats):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True, env=env or _env(), cwd=ROOT)
        times.append(time.perf_counter() - t)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
        if p.returncode not in ok:
            raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()[-800:]}")
    return {"median": statistics.median(times), "min": min(times), "max": max(times),
            "cpu": statistics.median(cpus), "stdout": p.stdout,
            "stderr": p.stderr}


def imported(cmd: list[str]) -> tuple[float, set[str]]:
    """(``-X importtime`` total of the top-level imports in seconds, heavy top-level packages imported)."""
    p = subprocess.run([cmd[0], "-X", "importtime", *cmd[1:]], capture_output=True, text=True, env=_env(), cwd=ROOT)
    total, heavy = 0.0, set()
    for line in p.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if not m:
            continue
        if len(m.group(2)) == 1:  # a top-level import
            total += int(m.group(1)) / 1e6
        root = m.group(3).split(".")[0]
        if root in HEAVY:
            heavy.add(root)
    return total, heavy


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    py = sys.executable
    sk_cli = [py, "-m", "synthkit"]
    with tempfile.TemporaryDirectory() as d:
        real, syn = os.path.join(d, "real.csv"), os.path.join(d, "syn.csv")
        subprocess.run([*sk_cli, "generate", "penguins", "-n", "344", "-o", syn, "--random-state", "1"],
                       check=True, env=_env(), capture_output=True)
        subprocess.run([py, "-c", "import synthkit as sk, sys; sk.load('penguins').frame.drop('row_id')"
                        ".write_csv(sys.argv[1])", real], check=True, env=_env())
        evaluate = [*sk_cli, "evaluate", real, syn, "-o", os.path.join(d, "rep.json")]
        subprocess.run(evaluate, env=_env(), capture_output=True)  # numba cache warm, as after the first run
        rows: list[tuple[str, dict | None, str]] = []
        imp_total, _ = imported([py, "-c", "import synthkit"])
        _, heavy_eval = imported(evaluate)
        rows.append(("python -c 'import synthkit'", timed([py, "-c", "import synthkit"], args.repeats),
                     f"importtime total {imp_total:.3f} s"))
        rows.append(("synthkit --help", timed([*sk_cli, "--help"], args.repeats), ""))
        rows.append(("synthkit evaluate REAL SYN -o rep.json", timed(evaluate, args.repeats),
                     f"loads {', '.join(sorted(heavy_eval))}; not {', '.join(sorted(set(HEAVY) - heavy_eval))}"))
        rows.append(("... --gate", timed([*evaluate, "--gate"], args.repeats, ok=(0, 1)), ""))
        rows.append(("... --html rep.html", timed([*evaluate, "--html", os.path.join(d, "rep.html")],
                                                  args.repeats), "adds plotly"))
        rows.append(("synthkit report rep.json --html rep.html",
                     timed([*sk_cli, "report", os.path.join(d, "rep.json"), "--html", os.path.join(d, "r2.html")],
                           args.repeats), "no data read"))
        rows.append(("synthkit evaluate ... --families fidelity pairwise",
                     timed([*evaluate, "--families", "fidelity", "pairwise"], args.repeats),
                     "the QualityReport's scope"))
        with tempfile.TemporaryDirectory() as cache:
            first = timed(evaluate, 1, env=_env(NUMBA_CACHE_DIR=cache))
        rows.append(("synthkit evaluate, empty numba cache (first run)", first, "kernels compile once"))
        if BENCH_PY.exists():
            rows.append(("python -c 'import sdmetrics'", timed([str(BENCH_PY), "-c", "import sdmetrics"],
                                                               args.repeats), ".benchvenv"))
            qr = timed([str(BENCH_PY), "-c", SDMETRICS_SCRIPT, real, syn], args.repeats)
            rows.append(("sdmetrics QualityReport script (import + read + generate)", qr, ".benchvenv"))
        else:
            print(f"(no {BENCH_PY}: sdmetrics rows skipped; see the module docstring)")
    load = os.getloadavg()[0]
    print(f"penguins: 344 real rows, 344 copula rows, CSV; median of {args.repeats} cold runs (min-max); "
          f"{os.cpu_count()} cores, load average {load:.1f} at the end\n")
    print("| command | wall s | min-max s | CPU s (user+sys) | note |")
    print("|---|---:|---:|---:|---|")
    for name, r, note in rows:
        print(f"| `{name}` | {r['median']:.2f} | {r['min']:.2f}-{r['max']:.2f} | {r['cpu']:.2f} | {note} |")
    ev = dict((n, r) for n, r, _ in rows)
    sd = ev.get("sdmetrics QualityReport script (import + read + generate)")
    if sd:
        full = ev["synthkit evaluate REAL SYN -o rep.json"]["median"]
        same = ev["synthkit evaluate ... --families fidelity pairwise"]["median"]
        cf = ev["synthkit evaluate REAL SYN -o rep.json"]["cpu"]
        cs = ev["synthkit evaluate ... --families fidelity pairwise"]["cpu"]
        print(f"\nratios to the sdmetrics script, wall (CPU): full evaluate {full / sd['median']:.2f} "
              f"({cf / sd['cpu']:.2f}); same scope (fidelity + pairwise) {same / sd['median']:.2f} "
              f"({cs / sd['cpu']:.2f})")


if __name__ == "__main__":
    main()
