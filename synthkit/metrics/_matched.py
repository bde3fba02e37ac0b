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
from ._common import table_columns
from ..neighbors import cross_pass, knn
from .fidelity import _ks_stat, _values, within_support
from .pairwise import CONSTANT_RTOL, _codes, _corr, _is_constant
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

    if "pairwise" in families:
        pairs = _pair_stat(ref, pool, schema, skip=skip)
    if "fidelity" in families:
        shapes = _shape_stat(ref, pool, schema)

    def stat(idx: np.ndarray) -> dict:
        out: dict = {}
        if "fidelity" in families:
            for key, v in shapes(idx).items():
                out[key] = v
                better[key] = "higher"
        if "pairwise" in families:
            vals = pairs(idx)
            for key, v in vals.items():
                out[key] = v
                better[key] = "higher"
            if vals:
                out[("pairwise", "pair_trends", None)] = float(np.mean(list(vals.values())))
                better[("pairwise", "pair_trends", None)] = "higher"
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


def _shape_stat(ref: pl.DataFrame, pool: pl.DataFrame, schema: Schema):
    """``shapes(idx)``: per-column KS/TV complement and within-support share of ``pool[idx]``
    vs ``ref``, and their means, as :func:`~synthkit.metrics.fidelity.column_shapes` computes
    them, from value codes computed once."""
    cols = []
    for c in table_columns(schema):
        kind = schema.kind(c)
        inside = np.zeros(pool.height, dtype=bool)
        src = pool[c].fill_nan(None) if pool[c].dtype.is_float() else pool[c]
        present = src.is_not_null().to_numpy()
        inside[present] = within_support(ref[c], src, kind)
        if kind == "numeric":
            a = _values(ref[c])
            pv = pool[c].cast(pl.Float64).fill_null(np.nan).to_numpy()
            ok = ~np.isnan(pv)
            grid = np.unique(np.concatenate([a, pv[ok]]))
            ca = np.bincount(np.searchsorted(grid, a), minlength=grid.size)
            code = np.full(pool.height, -1)
            code[ok] = np.searchsorted(grid, pv[ok])
            cols.append((c, "ks_complement", ca, code, grid.size, inside, present, a.size > 0))
        else:
            both = pl.concat([ref[c], pool[c]]).cast(pl.String).fill_null("\x00missing").to_numpy()
            _, inv = np.unique(both, return_inverse=True)
            size = int(inv.max()) + 1 if inv.size else 1
            ca = np.bincount(inv[: ref.height], minlength=size)
            cols.append((c, "tv_complement", ca, inv[ref.height:], size, inside, present, ref.height > 0))

    def shapes(idx: np.ndarray) -> dict:
        out, scores, supports = {}, [], []
        for c, metric, ca, code, size, inside, present, has_ref in cols:
            cq = code[idx]
            cq = cq[cq >= 0]
            if not has_ref or cq.size == 0:
                value = np.nan
            else:
                cb = np.bincount(cq, minlength=size)
                if metric == "ks_complement":
                    value = float(1.0 - _ks_stat(ca, cb)[0])
                else:
                    value = float(1.0 - 0.5 * np.abs(ca / ca.sum() - cb / cb.sum()).sum())
            out[("fidelity", metric, c)] = value
            if np.isfinite(value):
                scores.append(value)
            pres = present[idx]
            ws = float(inside[idx][pres].mean()) if pres.any() else np.nan
            out[("fidelity", "within_support", c)] = ws
            if np.isfinite(ws):
                supports.append(ws)
        out[("fidelity", "column_shapes", None)] = float(np.mean(scores)) if scores else np.nan
        out[("fidelity", "worst_column_shape", None)] = float(np.min(scores)) if scores else np.nan
        out[("fidelity", "within_support", None)] = float(np.mean(supports)) if supports else np.nan
        return out

    return shapes


def _pair_stat(ref: pl.DataFrame, pool: pl.DataFrame, schema: Schema, bins: int = 10, skip: tuple[str, ...] = ()):
    """``pairs(idx)``: every pair's similarity for ``pool[idx]`` vs ``ref``, as
    :func:`~synthkit.metrics.pairwise.pair_trends` computes it (same codes, bins
    and correlation), with everything that depends on ``ref`` or on a whole
    column computed once, and complete numeric columns handled as one matrix.
    ID-like columns (``skip``) are left out, as pair_trends leaves them out."""
    cols = [c for c in table_columns(schema) if c not in skip]
    num = [c for c in cols if c in schema.numeric]
    nr = {c: ref[c].cast(pl.Float64).fill_null(np.nan).to_numpy() for c in num}
    npool = {c: pool[c].cast(pl.Float64).fill_null(np.nan).to_numpy() for c in num}
    codes = {c: _codes(ref[c], pool[c], schema.kind(c), schema.categories.get(c, ()), bins) for c in cols}
    # numeric pairs with a constant real column are skipped (as pair_trends does)
    live = {c: not _is_constant(nr[c]) for c in num}
    dense = [c for c in num if live[c] and not np.isnan(nr[c]).any() and not np.isnan(npool[c]).any()]
    pos = {c: i for i, c in enumerate(dense)}
    R_ref = _corr_matrix(np.column_stack([nr[c] for c in dense])) if dense else None
    P = np.column_stack([npool[c] for c in dense]) if dense else None
    ref_rho = {}
    for i, a in enumerate(cols):
        for b in cols[i + 1:]:
            if a in nr and b in nr and live[a] and live[b] and not (a in pos and b in pos):
                ref_rho[(a, b)] = _corr(nr[a], nr[b])[0]
    joint_ref = {}
    for i, a in enumerate(cols):
        for b in cols[i + 1:]:
            if not (a in nr and b in nr):
                (cra, _, na), (crb, _, nb) = codes[a], codes[b]
                joint_ref[(a, b)] = np.bincount(cra * nb + crb, minlength=na * nb)

    def pairs(idx: np.ndarray) -> dict:
        out = {}
        R_q = _corr_matrix(P[idx]) if P is not None else None
        for i, a in enumerate(cols):
            for b in cols[i + 1:]:
                key = ("pairwise", None, f"{a}, {b}")
                if a in nr and b in nr:
                    if not (live[a] and live[b]):
                        continue
                    if a in pos and b in pos:
                        r, s = R_ref[pos[a], pos[b]], R_q[pos[a], pos[b]]
                    else:
                        r, s = ref_rho[(a, b)], _corr(npool[a][idx], npool[b][idx])[0]
                    out[("pairwise", "correlation_similarity", key[2])] = float(1.0 - abs(r - s) / 2.0)
                else:
                    (_, csa, na), (_, csb, nb) = codes[a], codes[b]
                    jr = joint_ref[(a, b)]
                    js = np.bincount(csa[idx] * nb + csb[idx], minlength=na * nb)
                    out[("pairwise", "contingency_similarity", key[2])] = float(
                        1.0 - 0.5 * np.abs(jr / jr.sum() - js / js.sum()).sum())
        return out

    return pairs


def _corr_matrix(X: np.ndarray) -> np.ndarray:
    """Pearson correlations of complete columns, with the conventions of ``pairwise._corr``
    (population moments; a constant column correlates 0 with everything)."""
    Xc = X - X.mean(axis=0)  # centred first, as pairwise._corr does (large means lose no precision)
    v = (Xc * Xc).mean(axis=0)
    C = (Xc.T @ Xc) / X.shape[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        R = C / np.sqrt(np.outer(v, v))
    const = np.sqrt(v) <= CONSTANT_RTOL * np.abs(X).max(axis=0)
    R[const, :] = 0.0
    R[:, const] = 0.0
    return np.clip(R, -1.0, 1.0)
