"""Subgroup balance: do sensitive groups keep their share in the synthetic rows?

For each sensitive column and each group g (missing is a group):
``share_real(g) = n_real(g) / N``, ``share_synth(g) = n_synth(g) / M`` and
``ratio = share_synth / share_real``; likewise for every group x target cell
when the target is categorical. The table reports
``representation = min(ratio, 1 / ratio)`` (1 = same share as in the real
rows, 0 = the group vanished or appeared from nothing) with the ratio itself in
the summary. A group is flagged ``shrunk`` when ``ratio < shrink`` (default
0.8), ``vanished`` when it has real rows but no synthetic row, and ``grown``
when ``ratio > 1 / shrink`` -- in each case only if a one-sided binomial test
says the synthetic count is unlikely under the real share (``p_value < alpha``,
0.05; ``n_synth ~ Binomial(M, share_real)``), so that small groups are not
flagged for noise, and only for groups with at least ``min_real`` (5) real rows
(a group absent from the real rows is ``grown`` when it has at least 5
synthetic rows). Baseline: the same ratio between the two
real halves. Intervals: Poisson bootstrap of the group counts.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import polars as pl
from scipy.stats import binom

from ..summary import MISSING
from ._common import metric_row

__all__ = ["subgroup_shares", "subgroup_rows", "group_rows", "SHRINK", "MIN_REAL"]

FAMILY = "subgroup"
SHRINK = 0.8
MIN_REAL = 5
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


def subgroup_shares(real: pl.DataFrame, synth: pl.DataFrame, sensitive: tuple[str, ...],
                    target: str | None = None, categorical_target: bool = True, *,
                    shrink: float = SHRINK, min_real: int = MIN_REAL, alpha: float = ALPHA) -> pl.DataFrame:
    """One row per group (and group x target cell): counts, shares, ratio and flag."""
    out = []
    specs = [[s] for s in sensitive]
    if target is not None and categorical_target:
        specs += [[s, target] for s in sensitive]
    for cols in specs:
        lr, ls = _labels(real, cols), _labels(synth, cols)
        cr, cs = Counter(lr), Counter(ls)
        for g in sorted(set(cr) | set(cs)):
            nr, ns = cr.get(g, 0), cs.get(g, 0)
            sr, ss = nr / max(len(lr), 1), ns / max(len(ls), 1)
            ratio = ss / sr if sr > 0 else (np.inf if ss > 0 else 1.0)
            m = len(ls)
            if ratio < 1:
                p = float(binom.cdf(ns, m, sr))
            elif ratio > 1 and sr > 0:
                p = float(binom.sf(ns - 1, m, sr))
            else:
                p = 1.0 if sr > 0 else 0.0
            flag = ""
            if nr >= min_real and p < alpha:
                if ns == 0:
                    flag = "vanished"
                elif ratio < shrink:
                    flag = "shrunk"
                elif ratio > 1.0 / shrink:
                    flag = "grown"
            elif nr == 0 and ns >= min_real:
                flag = "grown"
            out.append({"columns": ", ".join(cols), "group": g, "n_real": nr, "n_synth": ns,
                        "share_real": sr, "share_synth": ss, "ratio": float(ratio), "p_value": p,
                        "flag": flag})
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
                               None if b is None else float(_representation(b)), "higher"))
    return rows

