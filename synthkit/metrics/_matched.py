"""The statistics behind the size-matched verdicts of fidelity, pairwise, coverage and privacy.

:func:`matched_stat` returns the ``stat(idx)`` function that
:func:`~synthkit.metrics._baseline.permutation_test` calls: every metric of
these families for a set of pooled rows (S' and B', see
:mod:`~synthkit.metrics._baseline`) against the reference half A. Everything
that depends on A alone (its k-NN radii, its near-copy threshold, which pooled
rows copy an A row) is computed once.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import polars as pl

from ..data import Schema
from ._neighbors import cross_pass, knn
from .fidelity import column_shapes
from .pairwise import pair_trends
from .privacy import NEAR_COPY_QUANTILE, exact_copies, near_copy_stats

__all__ = ["matched_stat"]


def matched_stat(ref: pl.DataFrame, pool: pl.DataFrame, X_ref: np.ndarray, X_pool: np.ndarray,
                 schema: Schema, families: tuple[str, ...], k: int,
                 skip: tuple[str, ...] = ()) -> tuple[Callable[[np.ndarray], dict], dict]:
    """``(stat, better)``: ``stat(idx)`` maps ``(family, metric, column)`` to a value for ``pool[idx]`` vs ``ref``."""
    better: dict = {}
    want_nn = "coverage" in families or "privacy" in families
    if want_nn:
        d_ref, _ = knn(X_ref, k)
        r_ref = d_ref[:, k - 1]
        thr = float(np.percentile(d_ref[:, 0], NEAR_COPY_QUANTILE))
        exact_pool = exact_copies(ref, pool, list(schema.columns)) if "privacy" in families else None

    def stat(idx: np.ndarray) -> dict:
        out: dict = {}
        q = pool[idx]
        if "fidelity" in families:
            rows, _ = column_shapes(ref, q, schema, n_boot=0)
            for r in rows:
                key = ("fidelity", r["metric"], r["column"])
                out[key] = np.nan if r["value"] is None else r["value"]
                better[key] = r["better"]
        if "pairwise" in families:
            rows, _ = pair_trends(ref, q, schema, n_boot=0, skip=skip)
            for r in rows:
                key = ("pairwise", r["metric"], r["column"])
                out[key] = np.nan if r["value"] is None else r["value"]
                better[key] = r["better"]
        if want_nn:
            Xq = X_pool[idx]
            dq, _ = knn(Xq, k)
            cs = cross_pass(Xq, X_ref, r_ref=r_ref, r_query=dq[:, k - 1])
            if "coverage" in families:
                vals = {"precision": float((cs.ball_count > 0).mean()), "recall": float(cs.ref_inside.mean()),
                        "density": float(cs.ball_count.mean() / k), "coverage": float(cs.ref_covered.mean())}
                for m, v in vals.items():
                    out[("coverage", m, None)] = v
                    better[("coverage", m, None)] = "higher"
            if "privacy" in families:
                st = near_copy_stats(cs.d1, cs.d2, exact_pool[idx], thr)
                vals = {"near_copy_share": (float(st["near_copy"].mean()), "lower"),
                        "exact_copy_share": (float(st["exact"].mean()), "lower"),
                        "nndr_mean": (float(st["nndr"].mean()), "higher"),
                        "dcr_median": (float(np.median(cs.d1)), "higher")}
                for m, (v, b) in vals.items():
                    out[("privacy", m, None)] = v
                    better[("privacy", m, None)] = b
        return out

    return stat, better  # ``better`` is filled by the first call
