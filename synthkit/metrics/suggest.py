"""Candidate problem regions, built from the per-row scores of a report.

``suggest(real, synthetic, rep)`` returns a list of :class:`Region` (frozen):
``kind``, ``row_ids``, a one-line ``reason`` with numbers, and a ``severity``
(share of the affected side's rows, times a kind weight; higher = look first).

- ``off-manifold``: synthetic rows outside the real support (in no real row's
  k-NN ball) *and* with a detection probability of at least
  ``detection_threshold`` (0.7): the classifier also finds them unreal.
  Grouped into clusters (connected components of their own 2k-NN graph).
- ``near-copy``: synthetic rows closer to a real row than 95% of real rows are to
  each other (DCR below the 5th percentile of real-to-real distances), or exact
  copies. One region.
- ``memorised`` (text columns): synthetic rows whose text shares a run of at
  least :data:`~synthkit.metrics.text.MEMORISED_NGRAM` (8) consecutive tokens
  with a real document (:mod:`synthkit.metrics.text`); one region per text
  column. The reason gives the real-vs-real rate of such runs for comparison.
- ``missing-mode``: real rows that no synthetic row covers (no synthetic row in
  their k-NN ball), grouped into clusters: connected components of the real
  uncovered rows' own 2k-NN graph; clusters of fewer than
  ``min_cluster`` rows are dropped. The reason names the values that set the
  cluster apart.
- ``underrepresented`` / ``overrepresented``: a sensitive group (or group x
  target cell) whose share shrank below ``shrink`` times its real share, vanished,
  or grew above ``1 / shrink`` times, and only when the two-sample test of
  :mod:`~synthkit.metrics.fairness` says it is not chance. Row ids: the real rows of a shrunk group,
  the synthetic rows of a grown one.
- ``attack-exposed`` (when the report ran the ``privacy_attacks`` family): the
  synthetic rows through which a singling-out or linkability attack succeeded,
  for each attack whose risk is significant (p <= 0.05): the rows to look at,
  and perhaps to drop, to lower that risk.

Many flagged rows. Clustering is an exact k-NN graph of the flagged rows, whose
cost grows with their number squared. With more than ``CLUSTER_ROWS`` (5,000)
off-manifold or uncovered rows, the clusters are found on a seeded random
``CLUSTER_ROWS`` of them (``random_state``) and every other flagged row joins
the cluster of its nearest sampled row (exact search, ``ASSIGN_CHUNK_ROWS``
rows at a time, so memory stays bounded); the region's reason says so. Each
row's nearest sampled row is the same in this process and on Dask workers
(``engine=``), so the regions are too. Fewer flagged rows are clustered as
before, all of them. The values that describe a cluster compare it with
statistics of the reference rows computed once, not once per cluster.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .._checks import check_float, check_int, check_random_state
from ..data import ROW_ID
from ..errors import DataError
from ..text.tokens import detokenize, tokenize
from ..summary import MISSING
from ._common import fingerprint, prepare
from ..neighbors import knn
from .fairness import SHRINK, group_rows, subgroup_shares

__all__ = ["Region", "suggest", "regions_frame", "KINDS", "CLUSTER_ROWS", "ASSIGN_CHUNK_ROWS"]

KINDS = ("off-manifold", "near-copy", "memorised", "missing-mode", "underrepresented", "overrepresented",
         "attack-exposed")
_WEIGHT = {"off-manifold": 1.0, "near-copy": 1.0, "memorised": 1.0, "missing-mode": 1.0, "underrepresented": 1.0,
           "overrepresented": 0.5, "attack-exposed": 1.0}
#: attacks whose successful synthetic rows make an ``attack-exposed`` region
_EXPOSING = {"singling_out_univariate": "single out", "singling_out_multivariate": "single out",
             "linkability": "link"}
#: with more flagged rows than this, clusters are found on a seeded sample of this many (the rest join them)
CLUSTER_ROWS = 5_000
#: flagged rows per chunk when the rows outside the sample look up their nearest sampled row
ASSIGN_CHUNK_ROWS = 20_000


@dataclass(frozen=True)
class Region:
    """A candidate problem region: a set of row ids, what kind, and why."""

    kind: str
    row_ids: tuple[str, ...]
    reason: str
    severity: float

    def __len__(self) -> int:
        return len(self.row_ids)


def regions_frame(regions: list[Region]) -> pl.DataFrame:
    """One row per region: kind, n_rows, severity, reason, row_ids (list)."""
    return pl.DataFrame(
        [{"kind": r.kind, "n_rows": len(r.row_ids), "severity": r.severity, "reason": r.reason,
          "row_ids": list(r.row_ids)} for r in regions],
        schema={"kind": pl.String, "n_rows": pl.Int64, "severity": pl.Float64, "reason": pl.String,
                "row_ids": pl.List(pl.String)},
    )


def _components(X: np.ndarray, k: int) -> np.ndarray:
    """Connected components of the symmetric k-NN graph of the rows of X."""
    n = X.shape[0]
    if n == 1:
        return np.zeros(1, dtype=int)
    _, idx = knn(X, min(k, n - 1))
    rows = np.repeat(np.arange(n), idx.shape[1])
    g = coo_matrix((np.ones(rows.size), (rows, idx.ravel())), shape=(n, n))
    return connected_components(g, directed=False)[1]


def _cluster(X: np.ndarray, k: int, random_state: int, eng: Any = None) -> tuple[np.ndarray, str]:
    """Cluster labels of the rows of X, and a note when they were found on a sample (see the module docstring)."""
    n = X.shape[0]
    if n <= CLUSTER_ROWS:
        return _components(X, k), ""
    rng = np.random.default_rng(random_state)
    sample = np.sort(rng.choice(n, size=CLUSTER_ROWS, replace=False))
    lab = _components(X[sample], k)
    rest = np.setdiff1d(np.arange(n), sample)
    ref = np.ascontiguousarray(X[sample])
    chunks = [np.ascontiguousarray(X[rest[s : s + ASSIGN_CHUNK_ROWS]]) for s in range(0, rest.size, ASSIGN_CHUNK_ROWS)]
    if eng is None:
        near = [_nearest_sampled(c, ref) for c in chunks]
    else:
        from ..scale.neighbours import _release

        box = eng.broadcast(ref)
        try:
            near = eng.map(_nearest_sampled, chunks, box, desc="nearest sampled rows",
                           labels=[f"flagged rows {s}-{min(rest.size, s + ASSIGN_CHUNK_ROWS) - 1}"
                                   for s in range(0, rest.size, ASSIGN_CHUNK_ROWS)])
        finally:
            _release(eng, box)
    labels = np.empty(n, dtype=lab.dtype)
    labels[sample] = lab
    labels[rest] = lab[np.concatenate(near)]
    return labels, (f"clusters found on a random {CLUSTER_ROWS:,} of the {n:,} rows (seeded); each other row "
                    "joined the cluster of its nearest sampled row")


def _nearest_sampled(rows: np.ndarray, sample: np.ndarray) -> np.ndarray:
    """Position (in ``sample``) of each row's nearest sampled row: exact, ties to the lower position."""
    _, idx = knn(sample, 1, rows)
    return idx[:, 0]


class _Reference:
    """Statistics of the reference rows a cluster is compared with, computed once per column."""

    def __init__(self, ref: pl.DataFrame) -> None:
        self.ref, self._shares, self._moments = ref, {}, {}

    def share(self, c: str, v: str) -> float:
        if c not in self._shares:
            col = self.ref[c].cast(pl.String).fill_null(MISSING).rename("v")  # any name, 'count' too
            vc = col.value_counts(name="n")
            self._shares[c] = (dict(zip(vc["v"].to_list(), vc["n"].to_list())), col.len())
        counts, n = self._shares[c]
        return counts.get(v, 0) / n if n else float("nan")

    def moments(self, c: str) -> tuple[int, float | None, float | None]:
        if c not in self._moments:
            r = self.ref[c].cast(pl.Float64).drop_nulls()
            self._moments[c] = (r.len(), r.mean(), r.std())
        return self._moments[c]


def _describe(cluster: pl.DataFrame, ref: "pl.DataFrame | _Reference", schema, top: int = 2) -> str:
    """The values that set ``cluster`` apart from ``ref``: dominant categories, shifted numerics."""
    ref = ref if isinstance(ref, _Reference) else _Reference(ref)
    bits = []
    for c in schema.categorical:
        vc = Counter(cluster[c].cast(pl.String).fill_null(MISSING).to_list())
        v, n = vc.most_common(1)[0]
        share = n / cluster.height
        base = ref.share(c, v)
        if share >= 0.6 and share > 1.5 * base:
            bits.append((share / max(base, 1e-9), f"{c}={v} ({share:.0%} vs {base:.0%} overall)"))
    for c in schema.numeric:
        a = cluster[c].cast(pl.Float64).drop_nulls()
        r_len, r_mean, r_std = ref.moments(c)
        if a.len() == 0 or r_len < 2 or not r_std:
            continue
        z = (a.mean() - r_mean) / r_std
        if abs(z) >= 1.0:
            bits.append((abs(z), f"{c} mean {a.mean():.3g} vs {r_mean:.3g}"))
    bits.sort(key=lambda b: -b[0])
    return "; ".join(b[1] for b in bits[:top])


#: characters of a document quoted in a region's reason
QUOTE_CHARS = 60


def _quote(text: str | None) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"


def _example(cluster: pl.DataFrame, schema) -> str:
    """For text data: one document of the cluster, quoted (``""`` otherwise)."""
    for c in schema.text:
        docs = cluster[c].drop_nulls()
        if docs.len():
            return f'e.g. {c} "{_quote(docs[0])}"'
    return ""


def suggest(real: Any, synthetic: Any, rep: Any = None, *, detection_threshold: float = 0.7,
            min_cluster: int = 3, shrink: float = SHRINK, random_state: int = 0, engine: Any = None,
            scheduler: str | None = None) -> list[Region]:
    """Candidate problem regions, most severe first.

    ``rep`` is a report of ``evaluate(real, synthetic)``; it must come from these
    very inputs (checked by content: a ``DataError`` otherwise). Without one,
    the families suggestions need (detection, coverage, privacy, subgroup, text) are
    evaluated here without bootstrap intervals or verdicts. ``random_state``
    also seeds the sample that clusters are found on when more than
    ``CLUSTER_ROWS`` rows are flagged; ``engine`` (``"dask"``, an Engine or a
    ``distributed.Client``; or ``scheduler="tcp://..."``) runs the search of
    the other flagged rows' nearest sampled row on Dask workers (same regions),
    and the evaluation, when there is no ``rep``, with ``evaluate(..., engine=)``.
    """
    from ..placement import engine_for

    with engine_for(engine, scheduler) as eng:
        return _suggest(real, synthetic, rep, detection_threshold, min_cluster, shrink, random_state, eng)


def _suggest(real: Any, synthetic: Any, rep: Any, detection_threshold: float, min_cluster: int, shrink: float,
             random_state: int, eng: Any) -> list[Region]:
    from .evaluate import evaluate
    from .report import Report

    check_int("min_cluster", min_cluster, minimum=1, hint=" (the fewest rows a region may have, e.g. 3)")
    check_float("detection_threshold", detection_threshold, minimum=0.0, maximum=1.0,
                hint=" (a probability, e.g. 0.7)")
    check_float("shrink", shrink, minimum=0.0, maximum=1.0, strict_minimum=True,
                hint=" (a share ratio below 1, e.g. 0.8)")
    check_random_state(random_state, allow_generator=False, allow_none=False)
    if rep is None:
        rep = evaluate(real, synthetic, random_state=random_state, n_boot=0, n_perm=0,
                       families=("detection", "coverage", "privacy", "subgroup", "text"), engine=eng)
    elif not isinstance(rep, Report):
        raise DataError(f"rep must be the Report of evaluate(real, synthetic), got {type(rep).__name__}; "
                        "or pass rep=None to evaluate here")
    elif rep.inputs is None:
        raise DataError("rep was loaded from a file and holds no real or synthetic rows; pass the report of "
                        "evaluate(real, synthetic) computed in this session, or rep=None to evaluate here")
    else:
        inp = prepare(real, synthetic, None, None, None, min_rows=1)
        if fingerprint(inp.real.frame, inp.synthetic) != rep.inputs.fingerprint:
            raise DataError(
                "rep was computed from other data than these real and synthetic rows; pass the report "
                "of evaluate(real, synthetic) for exactly these inputs, or rep=None to evaluate here")
    ri = rep.inputs
    rf, sf, schema = ri.real, ri.synthetic, ri.schema
    data = rep.summary
    rows = rep.rows
    k = ri.k
    out: list[Region] = []
    ref = _Reference(rf)
    srows = rows.filter(pl.col("source") == "synthetic")
    rrows = rows.filter(pl.col("source") == "real")
    n_s, n_r = srows.height, rrows.height

    # off-manifold synthetic rows
    if srows["inside_support"].null_count() < n_s and srows["detection_prob"].null_count() < n_s:
        mask = (~srows["inside_support"].fill_null(True) &
                (srows["detection_prob"].fill_null(0.0) >= detection_threshold)).to_numpy()
        idx = np.nonzero(mask)[0]
        if idx.size:
            labels, sampled = (_cluster(ri.X_synth[idx], 2 * k, random_state, eng) if idx.size >= min_cluster
                               else (np.zeros(idx.size, int), ""))
            for lab in np.unique(labels):
                members = idx[labels == lab]
                if members.size < min(min_cluster, idx.size):
                    continue
                ids = tuple(srows[ROW_ID].to_numpy()[members])
                probs = srows["detection_prob"].to_numpy()[members]
                what = "; ".join(x for x in (_describe(sf[members], ref, schema), _example(sf[members], schema),
                                             sampled) if x)
                out.append(Region(
                    "off-manifold", ids,
                    f"{members.size} synthetic rows ({members.size / n_s:.1%}) lie outside every real row's "
                    f"{k}-NN ball and the detector calls them synthetic (mean p = {probs.mean():.2f})"
                    + (f"; {what}" if what else ""),
                    _WEIGHT["off-manifold"] * members.size / n_s))
    # near copies
    if "privacy" in data:
        near, exact = data["privacy"]["near_copy"], data["privacy"]["exact"]
        idx = np.nonzero(near)[0]
        if idx.size:
            thr = data["privacy"]["dcr_threshold"]
            out.append(Region(
                "near-copy", tuple(srows[ROW_ID].to_numpy()[idx]),
                f"{idx.size} synthetic rows ({idx.size / n_s:.1%}; about 5% expected by chance) are closer to a "
                f"real row than 95% of real rows are to each other (DCR < {thr:.3g}); {int(exact.sum())} are "
                "exact copies",
                _WEIGHT["near-copy"] * idx.size / n_s))
    # memorised text
    for c, ts in data.get("text", {}).get("columns", {}).items():
        idx = np.nonzero(ts["memorised"])[0]
        if idx.size:
            runs = ts["shared_ngram"][idx]
            top = int(idx[np.argmax(runs)])
            run = tokenize(sf[c][top], lower=False)[ts["shared_start"][top]:ts["shared_start"][top] + runs.max()]
            out.append(Region(
                "memorised", tuple(srows[ROW_ID].to_numpy()[idx]),
                f"{idx.size} synthetic rows ({idx.size / n_s:.1%}) share a run of at least {ts['threshold']} "
                f"consecutive tokens of {c!r} with a real document (median run {int(np.median(runs))} tokens; "
                f"{int(ts['exact'][idx].sum())} exact copies); {ts['real_memorised_share']:.1%} of real rows "
                f'share such a run with another real row; e.g. "{_quote(detokenize(run))}"',
                _WEIGHT["memorised"] * idx.size / n_s))
    # missing modes
    if rrows["covered"].null_count() < n_r:
        unc = np.nonzero(~rrows["covered"].fill_null(True).to_numpy())[0]
        if unc.size >= min_cluster:
            labels, sampled = _cluster(ri.X_real[unc], 2 * k, random_state, eng)
            # clusters that the same values describe are one region to a person: merge them
            merged: dict[str, np.ndarray] = {}
            for lab in np.unique(labels):
                members = unc[labels == lab]
                what = _describe(rf[members], ref, schema)
                key = what or f"\x00{lab}"
                merged[key] = np.sort(np.concatenate([merged[key], members])) if key in merged else members
            for key, members in merged.items():
                if members.size < min_cluster:
                    continue
                what = "; ".join(x for x in ("" if key.startswith("\x00") else key, _example(rf[members], schema),
                                             sampled) if x)
                out.append(Region(
                    "missing-mode", tuple(rrows[ROW_ID].to_numpy()[members]),
                    f"{members.size} real rows ({members.size / n_r:.1%}) have no synthetic row within their "
                    f"{k}-NN radius" + (f"; {what}" if what else ""),
                    _WEIGHT["missing-mode"] * members.size / n_r))
    # sensitive groups (flags decided in fairness.subgroup_shares)
    if "subgroup" in data:
        shares = data["subgroup"]["shares"]
        if shrink != SHRINK:
            shares = subgroup_shares(rf, sf, ri.sensitive, ri.target, ri.target in schema.categorical,
                                     shrink=shrink)
        for r in shares.filter(pl.col("flag") != "").iter_rows(named=True):
            ratio = r["ratio"]
            if r["flag"] in ("shrunk", "vanished"):
                ids = tuple(group_rows(rf, r["columns"], r["group"])[ROW_ID].to_list())
                word = "vanished" if r["flag"] == "vanished" else "shrank"
                out.append(Region(
                    "underrepresented", ids,
                    f"group {r['group']} {word}: {r['share_synth']:.1%} of synthetic rows vs "
                    f"{r['share_real']:.1%} of real rows (ratio {ratio:.2f}, p = {r['p_value']:.2g})",
                    _WEIGHT["underrepresented"] * r["share_real"] * (1 - min(ratio, 1.0))))
            else:
                ids = tuple(group_rows(sf, r["columns"], r["group"])[ROW_ID].to_list())
                out.append(Region(
                    "overrepresented", ids,
                    f"group {r['group']} grew: {r['share_synth']:.1%} of synthetic rows vs "
                    f"{r['share_real']:.1%} of real rows (ratio {ratio:.2f}, p = {r['p_value']:.2g})",
                    _WEIGHT["overrepresented"] * (r["share_synth"] - r["share_real"])))
    # rows that let an attacker single out or link real people
    if "privacy_attacks" in data:
        table = data["privacy_attacks"]["table"]
        exposure = data["privacy_attacks"]["synthetic_exposure"]
        for r in table.iter_rows(named=True):
            verb = _EXPOSING.get(r["attack"])
            if verb is None or r["p_value"] is None or r["p_value"] > 0.05 or r["attack"] not in exposure.columns:
                continue
            hit = exposure.filter(pl.col(r["attack"]) > 0)
            if hit.height == 0:
                continue
            out.append(Region(
                "attack-exposed", tuple(hit[ROW_ID].to_list()),
                f"{hit.height} synthetic rows ({hit.height / n_s:.1%}) let an attacker {verb} real people "
                f"({r['attack'].replace('_', ' ')}: risk {r['risk']:.2f}, "
                f"{r['attack_rate']:.1%} of attacks succeed on training rows vs {r['control_rate']:.1%} on unseen rows)",
                _WEIGHT["attack-exposed"] * hit.height / n_s))
    out.sort(key=lambda g: -g.severity)
    return out

