"""Subgroup balance: do sensitive groups keep their share in the synthetic rows?

For each sensitive column and each group g (missing is a group):
``share_real(g) = n_real(g) / N``, ``share_synth(g) = n_synth(g) / M`` and
``ratio = share_synth / share_real``; likewise for every group x target cell
when the target is categorical. The table reports
``representation = min(ratio, 1 / ratio)`` (1 = same share as in the real
rows, 0 = the group vanished or appeared from nothing) with the ratio itself in
the summary.

Flags come from a **two-sample test**, because the real share is an estimate
too: for every group, Fisher's exact test (two-sided) of the 2 x 2 table
``[[n_synth(g), M - n_synth(g)], [n_real(g), N - n_real(g)]]``, with Holm's
correction across all groups and cells of one report (``p_value`` is the
Holm-adjusted p-value). A group is flagged only when ``p_value < alpha``
(0.05), and then ``vanished`` (real rows, no synthetic row), ``shrunk``
(``ratio < shrink``, default 0.8) or ``grown`` (``ratio > 1 / shrink``, or a
group absent from the real rows). So a perfect generator flags some group in
at most about 5% of runs, whatever the group sizes. Baseline: the same ratio
between the two real halves. Intervals: Poisson bootstrap of the group counts.
"""

from __future__ import annotations


import numpy as np
import polars as pl
from scipy.stats import fisher_exact

from ..summary import MISSING
from ._common import metric_row

__all__ = ["subgroup_shares", "subgroup_rows", "group_rows", "group_counts", "shares_from_counts", "holm",
           "SHRINK", "ALPHA"]

FAMILY = "subgroup"
SHRINK = 0.8
ALPHA = 0.05


def _label(cols: list[str]) -> pl.Expr:
    """Each row's group label over ``cols``: ``"a=x & b=y"`` (missing values as ``(missing)``)."""
    return pl.concat_str([pl.concat_str([pl.lit(f"{c}="), pl.col(c).cast(pl.String).fill_null(MISSING)])
                          for c in cols], separator=" & ")


def _labels(frame: pl.DataFrame, cols: list[str]) -> list[str]:
    return frame.select(_label(cols)).to_series().to_list()


def group_rows(frame: pl.DataFrame, columns: str, group: str) -> pl.DataFrame:
    """The rows of ``frame`` in one group of :func:`subgroup_shares` (its ``columns`` and ``group``)."""
    return frame.filter(_label(columns.split(", ")) == group)


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error rate)."""
    p = np.asarray(p, dtype=float)
    m = p.size
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adj
    return out


def subgroup_shares(real: pl.DataFrame, synth: pl.DataFrame, sensitive: tuple[str, ...],
                    target: str | None = None, categorical_target: bool = True, *,
                    shrink: float = SHRINK, alpha: float = ALPHA) -> pl.DataFrame:
    """One row per group (and group x target cell): counts, shares, ratio, Holm-adjusted p and flag."""
    specs = [[s] for s in sensitive]
    if target is not None and categorical_target:
        specs += [[s, target] for s in sensitive]
    counts = [(cols, group_counts(real, cols), group_counts(synth, cols), real.height, synth.height)
              for cols in specs]
    return shares_from_counts(counts, shrink=shrink, alpha=alpha)


def group_counts(frame: pl.DataFrame, cols: list[str]) -> dict[str, int]:
    """Each group's row count over ``cols`` (groups labelled as :func:`subgroup_shares` does)."""
    vc = frame.select(_label(cols).alias("g")).to_series().value_counts(name="n")
    return dict(zip(vc["g"].to_list(), vc["n"].to_list()))


def shares_from_counts(counts: list[tuple[list[str], dict, dict, int, int]], *,
                       shrink: float = SHRINK, alpha: float = ALPHA) -> pl.DataFrame:
    """:func:`subgroup_shares` from group counts: per spec ``(cols, real counts, synthetic counts,
    real rows, synthetic rows)``, the counts as :func:`group_counts` gives them (they add up over parts)."""
    out = []
    for cols, cr, cs, n, m in counts:
        for g in sorted(set(cr) | set(cs)):
            nr, ns = cr.get(g, 0), cs.get(g, 0)
            sr, ss = nr / max(n, 1), ns / max(m, 1)
            ratio = ss / sr if sr > 0 else (np.inf if ss > 0 else 1.0)
            p = float(fisher_exact([[ns, m - ns], [nr, n - nr]])[1])
            out.append({"columns": ", ".join(cols), "group": g, "n_real": nr, "n_synth": ns,
                        "share_real": sr, "share_synth": ss, "ratio": float(ratio), "p_value": p})
    adj = holm(np.array([r["p_value"] for r in out]))
    for r, p in zip(out, adj):
        r["p_value"] = float(p)
        flag = ""
        if p < alpha:
            if r["n_real"] > 0 and r["n_synth"] == 0:
                flag = "vanished"
            elif r["ratio"] < shrink:
                flag = "shrunk"
            elif r["ratio"] > 1.0 / shrink:
                flag = "grown"
        r["flag"] = flag
    return pl.DataFrame(out, schema={"columns": pl.String, "group": pl.String, "n_real": pl.Int64,
                                     "n_synth": pl.Int64, "share_real": pl.Float64,
                                     "share_synth": pl.Float64, "ratio": pl.Float64, "p_value": pl.Float64,
                                     "flag": pl.String})


def _representation(ratio):
    r = np.asarray(ratio, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rep = np.where(r > 0, np.minimum(r, 1.0 / r), 0.0)
    return np.where(np.isfinite(r), rep, 0.0)


def subgroup_rows(shares: pl.DataFrame, base: pl.DataFrame | None, n_real: int, n_synth: int, *,
                  n_boot: int = 100, rng: np.random.Generator | None = None) -> list[dict]:
    rows = []
    bmap = {}
    if base is not None:
        bmap = dict(zip(base["group"].to_list(), base["ratio"].to_list()))
    for r in shares.iter_rows(named=True):
        reps = None
        if rng is not None and n_boot:
            nr = rng.poisson(r["n_real"], size=n_boot) / max(n_real, 1)
            ns = rng.poisson(r["n_synth"], size=n_boot) / max(n_synth, 1)
            with np.errstate(divide="ignore", invalid="ignore"):
                reps = _representation(np.where(nr > 0, ns / nr, np.where(ns > 0, np.inf, 1.0)))
        b = bmap.get(r["group"])
        rows.append(metric_row(FAMILY, "representation", r["group"], float(_representation(r["ratio"])), reps,
                               None if b is None else float(_representation(b)), "higher",
                               p_value=r["p_value"]))
    return rows

