"""``evaluate()``: every metric family, with baselines and intervals, in one call.

Steps (all seeded by ``random_state``):

1. Check and align the inputs (``SynthkitError`` with a clear message otherwise).
2. Fit one :class:`~synthkit.encode.Encoder` on the real rows; every
   distance-based metric (coverage, privacy, the per-row scores) works in its
   space, the same space the map uses.
3. Split the real rows into two random halves A and B; every metric is also
   computed with A as "real" and B as "synthetic": the **real-vs-real
   baseline**, the value a perfect generator would get on data this small.
4. Bootstrap intervals (95%, Poisson bootstrap of per-row or per-value
   statistics, ``n_boot`` replicates; detection and utility use
   ``max(20, n_boot // 5)``).
"""

from __future__ import annotations

import time
from typing import Any, Iterable

import numpy as np
import polars as pl

from ..data import ROW_ID
from ..encode import Encoder
from ..errors import DataError
from ._common import boot_mean, check_whole, metric_row, ordinal_matrix, prepare, rows_frame
from .coverage import K_HINT, prdc_rows
from .detection import _auc, detection_probabilities, detection_rows
from .fairness import SHRINK, subgroup_rows, subgroup_shares
from .fidelity import column_shapes, marginals
from .pairwise import pair_trends
from .privacy import exact_copies, privacy_rows
from .report import Report
from .utility import utility_rows

__all__ = ["evaluate", "FAMILIES"]

FAMILIES = ("fidelity", "pairwise", "detection", "coverage", "privacy", "utility", "subgroup")
ROWS_SCHEMA = {
    ROW_ID: pl.String, "source": pl.String, "dcr": pl.Float64, "nearest_real": pl.String,
    "inside_support": pl.Boolean, "detection_prob": pl.Float64, "covered": pl.Boolean,
}


def _families(families: Iterable[str] | str | None) -> tuple[str, ...]:
    if families is None:
        return FAMILIES
    fams = tuple(families) if isinstance(families, (list, tuple, set, frozenset)) else (families,)
    bad = [f for f in fams if f not in FAMILIES]
    if bad or not fams:
        raise DataError(f"unknown metric families {bad or fams!r}; choose from {list(FAMILIES)}")
    return tuple(f for f in FAMILIES if f in fams)


def evaluate(
    real: Any,
    synthetic: Any,
    holdout: Any = None,
    target: str | None = None,
    sensitive: Iterable[str] | str | None = None,
    random_state: int = 0,
    k: int = 5,
    n_boot: int = 100,
    families: Iterable[str] | str | None = None,
) -> Report:
    """Measure ``synthetic`` rows against ``real`` ones; returns a :class:`Report`.

    ``real``, ``synthetic`` and ``holdout`` may be Datasets, Batches or frames
    (the synthetic rows must have the real columns). ``target`` and
    ``sensitive`` default to the real schema's. ``holdout`` holds real rows the
    generator never saw: utility tests on them, and privacy adds a memorisation
    check; without one, utility tests on a seeded 30% of the real rows.
    ``k`` is the neighbourhood size of precision/recall/density/coverage,
    ``n_boot`` the number of bootstrap replicates (0 = no intervals),
    ``families`` a subset of :data:`FAMILIES`.
    """
    fams = _families(families)
    check_whole("n_boot", n_boot, 0, " (bootstrap replicates, e.g. 100)", high=100_000)
    check_whole("k", k, 1, K_HINT)
    check_whole("random_state", random_state, 0, " (a seed such as 0)", high=2**32 - 1)
    inp = prepare(real, synthetic, holdout, "schema" if target is None else target,
                  "schema" if sensitive is None else sensitive, min_rows=k + 1)
    schema, cols = inp.schema, list(inp.schema.columns)
    rf, sf = inp.real.frame, inp.synthetic
    n_real, n_synth = rf.height, sf.height
    rng = np.random.default_rng(random_state)
    perm = rng.permutation(n_real)
    ia, ib = np.sort(perm[: n_real // 2]), np.sort(perm[n_real // 2:])
    fa, fb = rf[ia], rf[ib]
    boot_rng = np.random.default_rng([random_state, 1])
    timings: dict[str, float] = {}
    rows: list[dict] = []
    summary: dict[str, Any] = {
        "n_real": n_real, "n_synthetic": n_synth, "columns": cols, "target": inp.target,
        "sensitive": list(inp.sensitive), "k": k, "n_boot": n_boot, "random_state": random_state,
        "families": list(fams), "notes": list(inp.notes), "synthetic_name": inp.synthetic_name,
        "dataset": inp.real.name, "holdout": None if inp.holdout is None else inp.holdout.height,
    }
    per_row = {
        "dcr": np.full(n_synth, np.nan), "nearest_real": [None] * n_synth,
        "inside_support": [None] * n_synth, "detection_prob": np.full(n_synth, np.nan),
    }
    real_row = {"dcr": np.full(n_real, np.nan), "nearest_real": [None] * n_real,
                "detection_prob": np.full(n_real, np.nan), "covered": [None] * n_real}
    real_ids = rf[ROW_ID].to_numpy()

    t = time.perf_counter()
    enc = Encoder().fit(inp.real)
    X_real, X_synth = enc.transform(rf).astype(np.float64), enc.transform(sf).astype(np.float64)
    timings["encode"] = time.perf_counter() - t
    context: dict[str, Any] = {"real": rf, "synthetic": sf, "schema": schema, "encoder": enc,
                               "X_real": X_real, "X_synth": X_synth}

    if "fidelity" in fams:
        t = time.perf_counter()
        r, s = column_shapes(rf, sf, schema, base_a=fa, base_b=fb, n_boot=n_boot, rng=boot_rng)
        rows += r
        summary["fidelity"] = s
        summary["marginals"] = marginals(rf, sf, schema, _worst_columns(s["columns"], 12))
        timings["fidelity"] = time.perf_counter() - t
    if "pairwise" in fams:
        t = time.perf_counter()
        r, s = pair_trends(rf, sf, schema, base_a=fa, base_b=fb, n_boot=n_boot, rng=boot_rng)
        rows += r
        summary["pairwise"] = s
        timings["pairwise"] = time.perf_counter() - t
    if "detection" in fams:
        t = time.perf_counter()
        Xr, is_cat = ordinal_matrix(rf, schema, cols)
        Xs, _ = ordinal_matrix(sf, schema, cols)
        p_real, p_synth = detection_probabilities(Xr, Xs, is_cat, random_state=random_state)
        pa, pb = detection_probabilities(Xr[ia], Xr[ib], is_cat, random_state=random_state)
        base_auc = _auc(np.r_[np.zeros(pa.size), np.ones(pb.size)], np.r_[pa, pb])
        r, s = detection_rows(p_real, p_synth, base_auc, n_boot=n_boot, rng=boot_rng)
        rows += r
        summary["detection"] = s
        per_row["detection_prob"], real_row["detection_prob"] = p_synth, p_real
        timings["detection"] = time.perf_counter() - t
    if "coverage" in fams or "privacy" in fams:
        t = time.perf_counter()
        pr = prdc_rows(X_real, X_synth, k)
        base = prdc_rows(X_real[ia], X_real[ib], k)
        context["prdc"] = pr
        timings["neighbours"] = time.perf_counter() - t
        per_row["dcr"] = pr.cross.d1
        per_row["nearest_real"] = list(real_ids[pr.cross.i1])
        real_row["dcr"] = pr.real_nn_dist
        real_row["nearest_real"] = list(real_ids[pr.real_nn_index])
        if "coverage" in fams:
            sc, bs = pr.scores(), base.scores()
            flags = {"precision": pr.inside_support, "recall": pr.in_synth_support,
                     "density": pr.ball_count / k, "coverage": pr.covered}
            for name in ("precision", "recall", "density", "coverage"):
                reps = boot_mean(flags[name], n_boot, boot_rng) if n_boot else None
                rows.append(metric_row("coverage", name, None, sc[name], reps, bs[name], "higher",
                                       (0.0, np.inf) if name == "density" else (0.0, 1.0)))
            summary["coverage"] = {"scores": sc, "baseline": bs, "k": k}
            per_row["inside_support"] = list(pr.inside_support)
            real_row["covered"] = list(pr.covered)
        if "privacy" in fams:
            t = time.perf_counter()
            exact = exact_copies(rf, sf, cols)
            base_exact = exact_copies(fa, fb, cols)
            hold_kw = {}
            if inp.holdout is not None:
                hold_kw = {"holdout_X": enc.transform(inp.holdout).astype(np.float64), "synth_X": X_synth}
            r, s = privacy_rows(dcr=pr.cross.d1, d2=pr.cross.d2, exact=exact, real_nn_dist=pr.real_nn_dist,
                                base_dcr=base.cross.d1, base_d2=base.cross.d2, base_exact=base_exact,
                                n_boot=n_boot, rng=boot_rng, **hold_kw)
            rows += r
            summary["privacy"] = {**s, "dcr": pr.cross.d1}
            context["near_copy"] = s["near_copy"]
            context["exact"] = exact
            timings["privacy"] = time.perf_counter() - t
    if "utility" in fams:
        t = time.perf_counter()
        if inp.target is None:
            summary["notes"].append("utility skipped: the data has no target column (pass target=...)")
        else:
            if inp.holdout is not None:
                train, test = rf, inp.holdout
            else:
                cut = int(round(0.7 * n_real))
                p2 = np.random.default_rng([random_state, 2]).permutation(n_real)
                train, test = rf[np.sort(p2[:cut])], rf[np.sort(p2[cut:])]
                summary["notes"].append(
                    f"no holdout given: utility tests on a seeded random 30% of the real rows ({test.height} rows) "
                    f"and TRTR trains on the other 70% ({train.height}); the synthetic rows may have been "
                    "generated from all real rows, which flatters TSTR"
                )
            r, s = utility_rows(train, sf, test, schema, inp.target, random_state=random_state,
                                n_boot=n_boot, rng=boot_rng)
            rows += r
            summary["utility"] = s
        timings["utility"] = time.perf_counter() - t
    if "subgroup" in fams:
        t = time.perf_counter()
        if not inp.sensitive:
            summary["notes"].append("subgroup balance skipped: no sensitive column (pass sensitive=[...])")
        else:
            cat_target = inp.target is not None and inp.target in schema.categorical
            shares = subgroup_shares(rf, sf, inp.sensitive, inp.target, cat_target)
            base_sh = subgroup_shares(fa, fb, inp.sensitive, inp.target, cat_target)
            rows += subgroup_rows(shares, base_sh, n_real, n_synth, n_boot=n_boot, rng=boot_rng)
            summary["subgroup"] = {"shares": shares, "shrink": SHRINK}
        timings["subgroup"] = time.perf_counter() - t
    summary["timings"] = timings

    per = pl.DataFrame({
        ROW_ID: sf[ROW_ID], "source": ["synthetic"] * n_synth, "dcr": per_row["dcr"],
        "nearest_real": per_row["nearest_real"], "inside_support": per_row["inside_support"],
        "detection_prob": per_row["detection_prob"], "covered": [None] * n_synth,
    }, schema=ROWS_SCHEMA)
    rr = pl.DataFrame({
        ROW_ID: rf[ROW_ID], "source": ["real"] * n_real, "dcr": real_row["dcr"],
        "nearest_real": real_row["nearest_real"], "inside_support": [None] * n_real,
        "detection_prob": real_row["detection_prob"], "covered": real_row["covered"],
    }, schema=ROWS_SCHEMA)
    per_rows = pl.concat([rr, per]).with_columns(pl.col("dcr").fill_nan(None),
                                                 pl.col("detection_prob").fill_nan(None))
    return Report(rows_frame(rows), per_rows, summary, context)


def _worst_columns(cols: pl.DataFrame, n: int) -> list[str]:
    if cols.height <= n:
        return cols["column"].to_list()
    return cols.sort("score", nulls_last=True)["column"].head(n).to_list()
