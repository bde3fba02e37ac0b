"""Fidelity of partitioned synthetic data: every statistic is a sum over partitions.

``evaluate()``'s fidelity and pairwise families (column shapes, within
support, category shares, marginals, pair trends; see
:mod:`synthkit.metrics.fidelity` and :mod:`synthkit.metrics.pairwise`) are
functions of counts. Each partition of the synthetic rows is reduced to
those counts (:func:`partition_stats`, on a worker), the counts are added up
(:func:`merge_stats`: integer sums, maxima and minima, so the order of the
partitions and of the merges does not matter), and the metrics are computed
from the totals by the same code the in-memory path uses
(:func:`~synthkit.metrics.fidelity.shapes_from_counts`,
:func:`~synthkit.metrics.pairwise.trend_rows`, ...). The results equal the
in-memory ones exactly, float for float.

Per partition and column (the real rows decide every cut, and are sent to
the workers once in a :class:`FidelityPlan`):

- **numeric, KS**: counts of the rounded values at each distinct real value
  and in each gap between two consecutive real values. The KS statistic's
  maximum over all values is attained at one of those points (between two real
  values the real CDF is flat), so it is exactly the in-memory statistic, with
  memory bounded by the real distinct values, not the synthetic ones;
- **categorical, TV**: each category's count, matched by value (unseen
  categories and missing included), so memory grows with the synthetic
  distinct values of the column (an ID-like column holds one per row);
- **within support**: values inside the real range / category set, and all
  present values;
- **pairs**: the occurring cells of the contingency table (codes and bins of
  :func:`~synthkit.metrics.pairwise.pair_coder`, cut on the real values), and
  for numeric pairs the exact moment sums of Pearson's correlation
  (:mod:`synthkit.metrics._exact`: Python integers, no rounding);
- **category shares**: each category's row count, labelled as
  :func:`~synthkit.metrics.fairness.group_counts` does;
- **marginals**: the synthetic minimum and maximum; a second pass counts the
  histogram bins of the numeric columns shown (edges from both sides' range).

Intervals: none (``n_boot=0``): the rows carry no ``ci_low`` / ``ci_high``,
as ``evaluate(..., n_boot=0)``. The ``category_shares`` baseline compares the
two real halves of ``evaluate``'s split (:func:`~synthkit.metrics._baseline.halves`,
seeded by ``random_state``), in memory, as ``evaluate`` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import polars as pl

from .._categories import aligned_key_counts, as_series, key_counts, merge_key_counts
from ..data import Schema, conform, to_polars
from ..errors import DataError, SynthkitError
from ..metrics._common import all_null_message, id_like_columns, table_columns
from ..metrics._exact import Moments, moments
from ..metrics.fairness import group_counts, shares_from_counts, subgroup_shares
from ..metrics.fidelity import (
    ColumnCounts, _values, categorical_marginal, category_shares_row, marginal_edges, numeric_marginal,
    shapes_from_counts, within_support,
)
from ..metrics.pairwise import (
    _contingency_pair, _correlation_from_moments, _floats, aligned_cells, cell_counts,
    merge_cells, pair_code, pair_coder, pair_columns, trend_rows,
)
from .neighbours import _release

__all__ = ["FidelityPlan", "FidelityStats", "fidelity_plan", "partition_stats", "merge_stats",
           "fidelity_from_stats", "fidelity_partitioned"]

#: marginal plots of this many columns (the worst column shapes), as ``evaluate``
MARGINAL_COLUMNS = 12
#: bins of a numeric marginal, as :func:`synthkit.metrics.fidelity.marginals`
MARGINAL_BINS = 30


@dataclass(frozen=True)
class FidelityPlan:
    """What every partition is counted against, decided on the real rows alone (broadcast once)."""

    schema: Schema
    columns: tuple[str, ...]  # per-column statistics (every table column)
    pairs: tuple[tuple[str, str], ...]  # scored pairs (ID-like columns left out)
    share_columns: tuple[str, ...]  # categorical columns of category_shares
    ks_points: dict[str, np.ndarray]  # sorted distinct rounded real values per numeric column
    support: dict[str, pl.Series]  # real [min, max] (numeric) or real values (categorical)
    coders: dict[str, tuple]  # contingency codes per pair column
    pairwise: bool = True  # the pairwise family is asked for

    def kind(self, c: str) -> str:
        return self.schema.kind(c)


def fidelity_plan(real: pl.DataFrame, schema: Schema, *, skip: Iterable[str] | None = None,
                  bins: int = 10, pairwise: bool = True) -> FidelityPlan:
    """The :class:`FidelityPlan` of a real frame (conformed to ``schema``).

    ``skip``: columns left out of the pairs and of category shares (default:
    the ID-like columns of ``real``, as ``evaluate``); ``bins``: bins of a numeric
    column in a mixed pair (10, as :func:`~synthkit.metrics.pairwise.pair_trends`);
    ``pairwise=False``: no pair is counted.
    """
    skip = id_like_columns(real, schema) if skip is None else tuple(skip)
    cols = tuple(table_columns(schema))
    pairs = tuple(pair_columns(schema, skip)) if pairwise else ()
    ks, support = {}, {}
    for c in cols:
        s = real[c]
        if schema.kind(c) == "numeric":
            ks[c] = np.unique(_values(s))
            v = as_series(s).drop_nulls().cast(pl.Float64)
            support[c] = pl.Series(c, [v.min(), v.max()] if v.len() else [], dtype=pl.Float64)
        else:
            support[c] = as_series(s).drop_nulls().unique(maintain_order=True)
    pair_cols = {c for p in pairs for c in p}
    coders = {c: pair_coder(real[c], schema.kind(c), schema.categories.get(c, ()), bins)
              for c in cols if c in pair_cols}
    shares = tuple(c for c in schema.categorical if c not in skip)
    return FidelityPlan(schema, cols, pairs, shares, ks, support, coders, pairwise)


@dataclass
class FidelityStats:
    """The sufficient statistics of some rows (see the module docstring); add them with :func:`merge_stats`."""

    n_rows: int = 0
    nulls: dict[str, int] = field(default_factory=dict)
    ks: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # sparse slot counts
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)  # min, max of rounded values
    categories: dict[str, dict] = field(default_factory=dict)  # key_counts
    inside: dict[str, tuple[int, int]] = field(default_factory=dict)  # inside the real support, present
    cells: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    moments: dict[tuple[str, str], Moments] = field(default_factory=dict)
    groups: dict[str, dict[str, int]] = field(default_factory=dict)


def _slots(values: np.ndarray, points: np.ndarray) -> np.ndarray:
    """KS slot of each value: ``2 i + 1`` at ``points[i]``, ``2 i`` in the gap just below it, ``2 L`` above all."""
    idx = np.searchsorted(points, values, side="left")
    at = np.zeros(values.size, dtype=bool)
    inner = idx < points.size
    at[inner] = points[idx[inner]] == values[inner]
    return 2 * idx.astype(np.int64) + at


def partition_stats(frame: pl.DataFrame, plan: FidelityPlan, *, what: str = "partition") -> FidelityStats:
    """The :class:`FidelityStats` of one frame of rows (conformed to the plan's schema first)."""
    frame = conform(frame, plan.schema, what=what)
    st = FidelityStats(n_rows=frame.height)
    for c in plan.columns:
        s = frame[c]
        kind = plan.kind(c)
        st.nulls[c] = int(s.null_count())
        ws = within_support(plan.support[c], s, kind)
        st.inside[c] = (int(ws.sum()), int(ws.size))
        if kind == "numeric":
            if s.dtype.is_float() and (s.is_nan().any() or s.is_infinite().any()):
                raise DataError(f"{what}: column {c!r} holds NaN or infinite values; replace them with null "
                                f"(pl.col({c!r}).fill_nan(None)) before evaluating")
            v = _values(s)
            st.ks[c] = cell_counts(_slots(v, plan.ks_points[c]), 0, 1)
            st.ranges[c] = (float(v.min()), float(v.max())) if v.size else (np.nan, np.nan)
        else:
            st.categories[c] = key_counts(s, c)
    codes = {c: pair_code(frame[c], coder) for c, coder in plan.coders.items()}
    floats = {c: _floats(frame[c]) for c in plan.coders if plan.kind(c) == "numeric"}
    alone = {c: moments(v) for c, v in floats.items()}
    for a, b in plan.pairs:
        if a in floats and b in floats:
            st.moments[(a, b)] = moments(floats[a], floats[b], alone=(alone[a], alone[b]))
        else:
            (ca, _), (cb, width) = codes[a], codes[b]
            st.cells[(a, b)] = cell_counts(ca, cb, width)
    for c in plan.share_columns:
        st.groups[c] = group_counts(frame, [c])
    return st


def merge_stats(*stats: FidelityStats) -> FidelityStats:
    """The statistics of all the rows of ``stats`` (associative, and the same in any order)."""
    out = FidelityStats()
    if not stats:
        return out
    first = stats[0]
    out.n_rows = sum(s.n_rows for s in stats)
    out.nulls = {c: sum(s.nulls[c] for s in stats) for c in first.nulls}
    out.inside = {c: (sum(s.inside[c][0] for s in stats), sum(s.inside[c][1] for s in stats)) for c in first.inside}
    out.ks = {c: merge_cells(*(s.ks[c] for s in stats)) for c in first.ks}
    with np.errstate(invalid="ignore"):
        out.ranges = {c: (float(np.nanmin([s.ranges[c][0] for s in stats])) if _any_value(stats, c) else np.nan,
                          float(np.nanmax([s.ranges[c][1] for s in stats])) if _any_value(stats, c) else np.nan)
                      for c in first.ranges}
    out.categories = {c: merge_key_counts(*(s.categories[c] for s in stats)) for c in first.categories}
    out.cells = {p: merge_cells(*(s.cells[p] for s in stats)) for p in first.cells}
    out.moments = {p: _sum_moments(s.moments[p] for s in stats) for p in first.moments}
    out.groups = {c: _sum_counts(s.groups[c] for s in stats) for c in first.groups}
    return out


def _any_value(stats: Sequence[FidelityStats], c: str) -> bool:
    return any(not np.isnan(s.ranges[c][0]) for s in stats)


def _sum_moments(ms: Iterable[Moments]) -> Moments:
    out = Moments()
    for m in ms:
        out = out + m
    return out


def _sum_counts(ds: Iterable[dict]) -> dict:
    out: dict = {}
    for d in ds:
        for k, n in d.items():
            out[k] = out.get(k, 0) + n
    return out


def _dense(sparse: tuple[np.ndarray, np.ndarray], size: int) -> np.ndarray:
    out = np.zeros(size, dtype=np.int64)
    out[sparse[0]] = sparse[1]
    return out


def fidelity_from_stats(real: pl.DataFrame, real_stats: FidelityStats, synth_stats: FidelityStats,
                        plan: FidelityPlan, *, random_state: int = 0,
                        histograms: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]] | None = None,
                        fidelity: bool = True) -> tuple[list[dict], dict]:
    """``evaluate``'s fidelity and pairwise rows and summaries (``n_boot=0``) from merged statistics.

    ``real`` is the real frame (for the real-halves baseline of category shares
    and the real histograms); ``histograms(edges)`` counts the synthetic values
    of each numeric column in ``edges`` (a second pass over the partitions); without
    it the numeric marginals are left out of ``summary["marginals"]``. ``fidelity=False``:
    only the pairwise rows and summary; the pairwise family comes only with a plan
    made with ``pairwise=True``.
    """
    rows, out = [], {}
    if fidelity:
        rows, out = _fidelity_rows(real, real_stats, synth_stats, plan, random_state, histograms)
    if plan.pairwise:
        prows, out["pairwise"] = _pairwise_rows(real, real_stats, synth_stats, plan)
        rows = rows + prows
    return rows, out


def _fidelity_rows(real: pl.DataFrame, real_stats: FidelityStats, synth_stats: FidelityStats,
                   plan: FidelityPlan, random_state: int, histograms: Callable | None) -> tuple[list[dict], dict]:
    from ..metrics._baseline import halves
    from ..metrics.evaluate import _worst_columns

    counts = {}
    for c in plan.columns:
        kind = plan.kind(c)
        inside, present = synth_stats.inside[c]
        if kind == "numeric":
            size = 2 * plan.ks_points[c].size + 1
            ca, cb = _dense(real_stats.ks[c], size), _dense(synth_stats.ks[c], size)
            ks = (ca, cb) if ca.sum() and cb.sum() else None
            counts[c] = ColumnCounts(kind, ks=ks, inside=inside, present=present)
        else:
            cats = aligned_key_counts(real_stats.categories[c], synth_stats.categories[c])
            counts[c] = ColumnCounts(kind, categories=cats, inside=inside, present=present)
    rows, fsum = shapes_from_counts(counts)
    n_real, n_synth = real_stats.n_rows, synth_stats.n_rows
    if plan.share_columns and n_real and n_synth:
        shares = shares_from_counts([([c], real_stats.groups[c], synth_stats.groups[c], n_real, n_synth)
                                     for c in plan.share_columns])
        sp = halves(n_real, n_synth, random_state)
        ba, bb = real[sp.a], real[sp.b]
        base = subgroup_shares(ba, bb, plan.share_columns) if ba.height and bb.height else None
        rows.insert(2, category_shares_row(shares, base))  # after column_shapes and worst_column_shape
        fsum["category_shares"] = shares
    # marginals of the worst columns, as evaluate draws them
    marg: dict[str, dict] = {}
    show = _worst_columns(fsum["columns"], MARGINAL_COLUMNS)
    edges, real_values = {}, {}
    for c in show:
        if plan.kind(c) == "numeric":
            a = real_values[c] = _values(real[c])
            rlo, rhi = (float(a.min()), float(a.max())) if a.size else (np.nan, np.nan)
            slo, shi = synth_stats.ranges[c]
            if a.size or not np.isnan(slo):
                edges[c] = marginal_edges(rlo, rhi, slo, shi, MARGINAL_BINS)
    hist = histograms(edges) if histograms is not None and edges else {}
    for c in show:
        if plan.kind(c) == "categorical":
            marg[c] = categorical_marginal(*counts[c].categories)
        elif c in hist:
            a = real_values[c]
            marg[c] = numeric_marginal(edges[c], np.histogram(a, edges[c])[0], a.size, hist[c],
                                       int(synth_stats.ks[c][1].sum()))
    return rows, {"fidelity": fsum, "marginals": marg}


def _pairwise_rows(real: pl.DataFrame, real_stats: FidelityStats, synth_stats: FidelityStats,
                   plan: FidelityPlan) -> tuple[list[dict], dict]:
    col_moments = {c: moments(_floats(real[c])) for c in plan.schema.numeric if c in plan.coders}
    pairs = []
    for a, b in plan.pairs:
        if (a, b) in synth_stats.moments:
            p = _correlation_from_moments(col_moments[a], col_moments[b], real_stats.moments[(a, b)],
                                          synth_stats.moments[(a, b)])
            if p is None:
                continue
            pairs.append({"a": a, "b": b, "metric": "correlation_similarity", **p})
        else:
            jr, js = aligned_cells(real_stats.cells[(a, b)], synth_stats.cells[(a, b)])
            pairs.append({"a": a, "b": b, **_contingency_pair(jr, js, 0, None)})
    return trend_rows(pairs)


# ------------------------------------------------------------------ partitions and the engine
def _read(chunk: Any) -> pl.DataFrame:
    return chunk if isinstance(chunk, pl.DataFrame) else chunk.read()


def _stats_task(chunk: Any, plan: FidelityPlan) -> FidelityStats:
    return partition_stats(_read(chunk), plan, what="synthetic partition")


def _hist_task(chunk: Any, plan: FidelityPlan, edges: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    frame = conform(_read(chunk), plan.schema, what="synthetic partition")
    return {c: np.histogram(_values(frame[c]), e)[0].astype(np.int64) for c, e in edges.items()}


def _chunks(parts: Any) -> tuple[list, list[str]]:
    """The chunks (frames or partitions) and their labels (``rows a-b`` for a frame, as Partitions)."""
    if isinstance(parts, (pl.DataFrame, pl.LazyFrame)) or hasattr(parts, "frame"):  # one frame, Dataset or Batch
        parts = [to_polars(parts)]
    chunks, labels, start = [], [], 0
    for ch in parts:
        n = ch.height if isinstance(ch, pl.DataFrame) else int(ch.n_rows)
        labels.append(getattr(ch, "label", None) or f"rows {start}-{start + n - 1}")
        chunks.append(ch)
        start += n
    return chunks, labels


def _run(engine: Any, fn: Callable, chunks: list, labels: list[str], args: tuple, desc: str) -> list:
    """``fn(chunk, *args)`` per chunk, in chunk order: on the engine's workers (``args`` broadcast
    by :meth:`Engine.broadcast`), or here without an engine (errors named as the engine names them)."""
    if engine is None:
        out = []
        for ch, label in zip(chunks, labels):
            try:
                out.append(fn(ch, *args))
            except SynthkitError as exc:
                raise type(exc)(f"{label}: {exc}") from None
        return out
    return engine.map(fn, chunks, *args, desc=desc, labels=labels)


def _share(engine: Any, obj: Any) -> Any:
    return obj if engine is None else engine.broadcast(obj)


def fidelity_partitioned(real: Any, parts: Any, schema: Schema, engine: Any = None, *,
                         families: Iterable[str] = ("fidelity", "pairwise"), skip: Iterable[str] | None = None,
                         random_state: int = 0, bins: int = 10, batch: int = 64) -> tuple[list[dict], dict]:
    """``evaluate``'s fidelity and pairwise rows (``n_boot=0``) for partitioned synthetic rows.

    ``real``: the real rows in memory (a frame or Dataset, conformed to ``schema``);
    ``parts``: the synthetic rows as :class:`synthkit.scale.Partitions`, a list of
    frames, or one frame, Dataset or Batch; ``engine``: a :class:`synthkit.scale.Engine` whose workers count the
    partitions (``None``: counted here, one partition at a time). Partitions are
    counted ``batch`` at a time and added up, so at most ``batch`` partitions'
    statistics are held at once. ``families``: ``"fidelity"`` and/or ``"pairwise"``.
    ``skip``, ``random_state`` and ``bins`` as in
    ``evaluate`` (ID-like columns of ``real``, the seed of the real halves, 10 bins).

    Returns ``(rows, summary)``: the table rows of the fidelity family (as
    ``evaluate``'s fidelity step) followed by the pairwise family's, and
    ``{"fidelity", "marginals", "pairwise"}`` summaries as in ``Report.summary``
    (those of the families asked for).
    A partition that cannot be read or cast to the schema raises ``SchemaError``
    naming it; no partition's rows are left out silently.
    """
    fams = (families,) if isinstance(families, str) else tuple(families)
    if not fams or not set(fams) <= {"fidelity", "pairwise"}:
        raise DataError(f"families={families!r} must name 'fidelity' and/or 'pairwise'")
    real = conform(real, schema, what="real data")
    chunks, labels = _chunks(parts)
    if not chunks:
        raise DataError("parts holds no partition; pass the synthetic rows as Partitions or a list of frames")
    plan = fidelity_plan(real, schema, skip=skip, bins=bins, pairwise="pairwise" in fams)
    plan_box = _share(engine, plan)
    try:
        return _partitioned(real, chunks, labels, schema, plan, plan_box, engine, fams, random_state, batch)
    finally:
        _release(engine, plan_box)


def _partitioned(real, chunks, labels, schema, plan, plan_box, engine, fams, random_state, batch):
    """The body of :func:`fidelity_partitioned` once the plan is on the workers."""
    total = None
    for start in range(0, len(chunks), batch):
        got = _run(engine, _stats_task, chunks[start:start + batch], labels[start:start + batch], (plan_box,),
                   "fidelity")
        total = merge_stats(*([total] if total is not None else []), *got)
    if total.n_rows == 0:
        raise DataError("the synthetic data is empty (0 rows); generate some rows first")
    all_null = [c for c in schema.columns if total.nulls.get(c, 0) == total.n_rows]
    if all_null:
        raise DataError(all_null_message(all_null))

    def histograms(edges: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        sums = {c: np.zeros(e.size - 1, dtype=np.int64) for c, e in edges.items()}
        edges_box = _share(engine, edges)
        try:
            for start in range(0, len(chunks), batch):
                for h in _run(engine, _hist_task, chunks[start:start + batch], labels[start:start + batch],
                              (plan_box, edges_box), "marginals"):
                    for c in sums:
                        sums[c] += h[c]
        finally:
            _release(engine, edges_box)
        return sums

    real_stats = partition_stats(real, plan, what="real data")
    return fidelity_from_stats(real, real_stats, total, plan, random_state=random_state, histograms=histograms,
                               fidelity="fidelity" in fams)
