"""``evaluate()``: every metric family, with baselines, verdicts and intervals, in one call.

Steps (all seeded by ``random_state``), one function each below:

1. :func:`_inputs`: check and align the inputs (``SynthkitError`` with a clear
   message otherwise) and fingerprint them (:class:`~synthkit.metrics.report.ReportInputs`).
2. :func:`_encode`: fit one :class:`~synthkit.encode.Encoder` on the real rows;
   every distance-based metric (coverage, privacy, the per-row scores) works in
   its space, the same space the map uses.
3. One step per family (:func:`_fidelity`, :func:`_pairwise`, :func:`_detection`,
   :func:`_neighbours` for coverage and privacy, :func:`_utility`,
   :func:`_subgroup`, :func:`_text` for text columns): the **value** of each metric on all real and all
   synthetic rows, with a bootstrap interval (95%, Poisson bootstrap of per-row
   or per-value statistics, ``n_boot`` replicates; detection and utility use
   ``max(20, n_boot // 5)``).
4. :func:`_verdicts`: the **size-matched baseline** and the **p-value** of
   "worse than real" for fidelity, pairwise, coverage and privacy: the real
   rows are split into a reference half A and a half B, synthetic and B are
   subsampled to the same size, both are compared with A (in the space of an
   Encoder fitted on A, with A's category levels), and a permutation test decides
   (see :mod:`synthkit.metrics._baseline`; shares of per-row flags use its exact
   limit, the hypergeometric test, :func:`~synthkit.metrics._baseline.share_test`). Detection, utility and
   subgroup balance carry their own calibrated tests; the text family runs the
   same size-matched permutation test on its own statistics
   (:mod:`synthkit.metrics.text`).
5. :func:`_per_row`: per-row scores of every real and synthetic row (with text
   columns also ``shared_ngram``, the longest run of tokens shared with a real
   document, another one for real rows, and ``memorised`` for synthetic rows).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

import numpy as np
import polars as pl

from ..data import ROW_ID, Dataset, Schema
from .._categories import category_codes
from .._checks import check_int
from ..encode import Encoder
from ..errors import DataError
from ._baseline import N_PERM, SHARE_METRICS, Halves, halves, permutation_test, share_test
from ._common import ROWS_SCHEMA, Inputs, boot_mean, fingerprint, metric_row, ordinal_matrix, prepare, rows_frame
from ._matched import matched_stat
from .coverage import K_HINT, coverage_rows, prdc_rows
from .detection import _auc, detection_probabilities, detection_rows
from .fairness import SHRINK, subgroup_rows, subgroup_shares
from .fidelity import category_shares, column_shapes, marginals
from .pairwise import pair_trends
from .attacks import ATTACKS
from .privacy import exact_copies, privacy_rows
from .text import text_family
from .report import Report, ReportInputs
from .utility import UTILITY_PERM, utility_rows

__all__ = ["evaluate", "FAMILIES"]

FAMILIES = ("fidelity", "pairwise", "detection", "coverage", "privacy", "utility", "subgroup", "text")
#: families that run only when named in ``families=`` (slower, or needing a holdout)
OPTIONAL_FAMILIES = ("privacy_attacks",)
#: per-row columns added when text columns are measured (see :mod:`synthkit.metrics.text`)
TEXT_ROWS_SCHEMA = {"shared_ngram": pl.Int64, "memorised": pl.Boolean}


def _families(families: Iterable[str] | str | None) -> tuple[str, ...]:
    if families is None:
        return FAMILIES
    fams = tuple(families) if isinstance(families, (list, tuple, set, frozenset)) else (families,)
    known = FAMILIES + OPTIONAL_FAMILIES
    bad = [f for f in fams if f not in known]
    if bad or not fams:
        raise DataError(f"unknown metric families {bad or fams!r}; choose from {list(known)}")
    return tuple(f for f in known if f in fams)


@dataclass
class _Run:
    """Everything one ``evaluate`` call builds up, step by step."""

    inp: Inputs
    fams: tuple[str, ...]
    k: int
    n_boot: int
    n_perm: int
    random_state: int
    split: Halves
    boot_rng: np.random.Generator
    rows: list[dict] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    per_synth: dict[str, Any] = field(default_factory=dict)
    per_real: dict[str, Any] = field(default_factory=dict)
    enc: Encoder | None = None
    X_real: np.ndarray | None = None
    X_synth: np.ndarray | None = None
    #: the distributed neighbour pass: {"engine", "rows_per_chunk", "recall_sample"} (None: in memory)
    dist: dict[str, Any] | None = None

    @property
    def real(self) -> pl.DataFrame:
        return self.inp.real.frame

    @property
    def synth(self) -> pl.DataFrame:
        return self.inp.synthetic

    def timed(self, name: str, step, *args) -> None:
        t = time.perf_counter()
        step(self, *args)
        self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - t


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
    n_perm: int = N_PERM,
    engine: Any = None,
    scheduler: Any = None,
    rows_per_chunk: int | None = None,
    recall_sample: int = 100_000,
) -> Report:
    """Measure ``synthetic`` rows against ``real`` ones; returns a :class:`Report`.

    ``real``, ``synthetic`` and ``holdout`` may be Datasets, Batches or frames
    (the synthetic rows must have the real columns). ``target`` and
    ``sensitive`` default to the real schema's. ``holdout`` holds real rows the
    generator never saw: utility tests on them, and privacy adds a memorisation
    check; without one, utility tests on a seeded 30% of the real rows.
    ``k`` is the neighbourhood size of precision/recall/density/coverage,
    ``n_boot`` the number of bootstrap replicates (0 = no intervals),
    ``families`` a subset of :data:`FAMILIES` (``text`` runs only when the data has
    text columns), or names ``"privacy_attacks"`` too (singling out, linkability,
    attribute inference and membership inference against the holdout as control
    set; needs ``holdout``; see :mod:`synthkit.metrics.attacks`), ``n_perm`` the number of
    permutations behind each "worse than real" verdict (19: the smallest
    p-value is 0.05; 0 = no verdicts for the permutation-tested families).

    ``engine``: None (everything in this process), ``"dask"`` (a local Dask
    cluster synthkit starts and stops, or the cluster at ``scheduler=
    "tcp://host:port"``), a :class:`synthkit.scale.Engine` or a
    ``distributed.Client``. With an engine the neighbour pass of coverage and
    privacy (DCR, NNDR, near and exact copies, precision, density, the holdout
    distances) runs on the cluster in chunks of ``rows_per_chunk`` synthetic or
    real rows against real rows broadcast once (see
    :mod:`synthkit.scale.neighbours`), and so do the permutations behind the
    size-matched verdicts (one task per permuted sample); the report is the
    same as without one.
    Recall and coverage then use a seeded sample of ``recall_sample`` synthetic
    rows when there are more (a note says so).

    ``synthetic`` may also name parquet files (a folder, a glob, a list of
    paths or :class:`synthkit.scale.Partitions`): the rows stay in their files
    and are measured partition by partition (fidelity, pairwise, coverage and
    privacy; the size-matched verdicts read back only the rows they compare;
    no bootstrap intervals). See :mod:`synthkit.scale.evaluate`.
    """
    fams = _families(families)
    check_int("n_boot", n_boot, minimum=0, maximum=100_000, hint=" (bootstrap replicates, e.g. 100)")
    check_int("k", k, minimum=1, hint=K_HINT)
    check_int("random_state", random_state, minimum=0, maximum=2**32 - 1, hint=" (a seed such as 0)")
    check_int("n_perm", n_perm, minimum=0, hint=" (19 permutations give a smallest p-value of 0.05)")
    from ..scale.evaluate import is_partitioned

    if is_partitioned(synthetic):  # synthetic rows that stay in their files
        from ..scale.evaluate import evaluate_partitioned

        scope = contextlib.nullcontext(None) if engine is None and scheduler is None else \
            _engine_scope(engine, scheduler)
        with scope as eng:
            return evaluate_partitioned(real, synthetic, holdout, "schema" if target is None else target,
                                        "schema" if sensitive is None else sensitive, engine=eng,
                                        families=families, k=k, random_state=random_state,
                                        rows_per_chunk=rows_per_chunk, recall_sample=recall_sample,
                                        n_boot=n_boot, n_perm=n_perm)
    if engine is None and scheduler is None:
        return _evaluate(real, synthetic, holdout, target, sensitive, random_state, k, n_boot, families, n_perm,
                         fams, None)
    check_int("recall_sample", recall_sample, minimum=k + 1,
              hint=" (synthetic rows behind recall and coverage, e.g. 100_000)")
    if rows_per_chunk is not None:
        check_int("rows_per_chunk", rows_per_chunk, minimum=1, hint=" (e.g. 50_000)")
    with _engine_scope(engine, scheduler) as eng:
        dist = {"engine": eng, "rows_per_chunk": rows_per_chunk, "recall_sample": recall_sample}
        return _evaluate(real, synthetic, holdout, target, sensitive, random_state, k, n_boot, families, n_perm,
                         fams, dist)


def _engine_scope(engine: Any, scheduler: Any):
    """The engine of the neighbour pass (``engine="dask"`` when only ``scheduler`` is given)."""
    from ..scale import neighbours

    if isinstance(engine, neighbours.InProcess):
        return contextlib.nullcontext(engine)
    from ..scale import engine_scope

    return engine_scope("dask" if engine is None else engine, scheduler=scheduler)


def _evaluate(real, synthetic, holdout, target, sensitive, random_state, k, n_boot, families, n_perm, fams,
              dist) -> Report:
    run = _inputs(real, synthetic, holdout, target, sensitive, random_state, k, n_boot, n_perm, fams)
    run.dist = dist
    _text_or_not(run, asked=families is not None)
    run.timed("encode", _encode)
    if "fidelity" in fams:
        run.timed("fidelity", _fidelity)
    if "pairwise" in fams:
        run.timed("pairwise", _pairwise)
    if "detection" in fams:
        run.timed("detection", _detection)
    if "coverage" in fams or "privacy" in fams:
        run.timed("neighbours", _neighbours)
    if "utility" in fams:
        run.timed("utility", _utility)
    if "subgroup" in fams:
        run.timed("subgroup", _subgroup)
    if "text" in run.fams:
        run.timed("text", _text)
    if "privacy_attacks" in fams:
        run.timed("privacy_attacks", _privacy_attacks)
    run.timed("verdicts", _verdicts)
    run.summary["timings"] = run.timings
    inputs = ReportInputs(
        real=run.real, synthetic=run.synth, holdout=run.inp.holdout, schema=run.inp.schema,
        target=run.inp.target, sensitive=tuple(run.inp.sensitive), k=k, random_state=random_state,
        encoder=run.enc, X_real=run.X_real, X_synth=run.X_synth,
        fingerprint=fingerprint(run.real, run.synth),
    )
    return Report(rows_frame(run.rows), _per_row(run), run.summary, inputs)


# ---------------------------------------------------------------------------- steps
def _inputs(real, synthetic, holdout, target, sensitive, random_state, k, n_boot, n_perm, fams) -> _Run:
    """Step 1: validated, aligned inputs, the A/B split and an empty run."""
    inp = prepare(real, synthetic, holdout, "schema" if target is None else target,
                  "schema" if sensitive is None else sensitive, min_rows=k + 1)
    rf, sf = inp.real.frame, inp.synthetic
    run = _Run(inp=inp, fams=fams, k=k, n_boot=n_boot, n_perm=n_perm, random_state=random_state,
               split=halves(rf.height, sf.height, random_state),
               boot_rng=np.random.default_rng([random_state, 1]))
    run.summary.update({
        "n_real": rf.height, "n_synthetic": sf.height, "columns": list(inp.schema.columns),
        "target": inp.target, "sensitive": list(inp.sensitive), "k": k, "n_boot": n_boot, "n_perm": n_perm,
        "random_state": random_state, "families": list(fams), "notes": list(inp.notes),
        "synthetic_name": inp.synthetic_name, "dataset": inp.real.name,
        "holdout": None if inp.holdout is None else inp.holdout.height,
        "matched_size": run.split.size, "reference_size": run.split.a.size,
    })
    run.per_synth = {"dcr": np.full(sf.height, np.nan), "nearest_real": [None] * sf.height,
                     "inside_support": [None] * sf.height, "detection_prob": np.full(sf.height, np.nan)}
    run.per_real = {"dcr": np.full(rf.height, np.nan), "nearest_real": [None] * rf.height,
                    "detection_prob": np.full(rf.height, np.nan), "covered": [None] * rf.height}
    return run


def _text_or_not(run: _Run, asked: bool) -> None:
    """The text family runs only on text columns: without any it is dropped (with a note if asked for)."""
    if "text" not in run.fams or run.inp.schema.text:
        return
    run.fams = tuple(f for f in run.fams if f != "text")
    run.summary["families"] = list(run.fams)
    if asked:
        run.summary["notes"].append("text metrics skipped: the data has no text column "
                                    "(read it with text=[...] to measure free text)")


def _encode(run: _Run) -> None:
    """Step 2: one Encoder fitted on the real rows; both sides in its space."""
    run.enc = Encoder().fit(run.inp.real)
    run.X_real = run.enc.transform(run.real).astype(np.float64)
    run.X_synth = run.enc.transform(run.synth).astype(np.float64)


def _fidelity(run: _Run) -> None:
    r, s = column_shapes(run.real, run.synth, run.inp.schema, n_boot=run.n_boot, rng=run.boot_rng)
    sp = run.split
    shares_row, shares = category_shares(run.real, run.synth, run.inp.schema, base_a=run.real[sp.a],
                                         base_b=run.real[sp.b], skip=run.inp.id_like)
    if shares_row is not None:
        r.insert(2, shares_row)  # after column_shapes and worst_column_shape
        s["category_shares"] = shares
    run.rows += r
    run.summary["fidelity"] = s
    run.summary["marginals"] = marginals(run.real, run.synth, run.inp.schema, _worst_columns(s["columns"], 12))


def _pairwise(run: _Run) -> None:
    r, s = pair_trends(run.real, run.synth, run.inp.schema, n_boot=run.n_boot, rng=run.boot_rng,
                       skip=run.inp.id_like)
    run.rows += r
    run.summary["pairwise"] = s


def _detection(run: _Run) -> None:
    """All real vs all synthetic rows (per-row probabilities); baseline: A vs B'.

    ID-like columns are skipped (see the notes)."""
    cols = [c for c in run.inp.schema.columns if c not in run.inp.id_like]
    Xr, is_cat = ordinal_matrix(run.real, run.inp.schema, cols, run.enc)
    Xs, _ = ordinal_matrix(run.synth, run.inp.schema, cols, run.enc)
    p_real, p_synth, folds = detection_probabilities(Xr, Xs, is_cat, random_state=run.random_state,
                                                     return_folds=True)
    sp = run.split
    pa, pb = detection_probabilities(Xr[sp.a], Xr[sp.b], is_cat, random_state=run.random_state)
    base_auc = _auc(np.r_[np.zeros(pa.size), np.ones(pb.size)], np.r_[pa, pb])
    r, s = detection_rows(p_real, p_synth, base_auc, n_boot=run.n_boot, rng=run.boot_rng, folds=folds)
    run.rows += r
    run.summary["detection"] = s
    run.per_synth["detection_prob"], run.per_real["detection_prob"] = p_synth, p_real


def _neighbours(run: _Run) -> None:
    """Coverage and privacy from one nearest-neighbour pass of all synthetic vs all real rows."""
    k, n_boot, rng = run.k, run.n_boot, run.boot_rng
    columns = list(run.inp.schema.columns)
    holdout_X = None
    if "privacy" in run.fams and run.inp.holdout is not None:
        holdout_X = run.enc.transform(run.inp.holdout).astype(np.float64)
    exact = dcr_holdout = None
    if run.dist is None:
        pr = prdc_rows(run.X_real, run.X_synth, k)
    else:
        from ..scale.neighbours import neighbour_rows

        privacy = "privacy" in run.fams
        nr = neighbour_rows(run.X_real, run.X_synth, k, engine=run.dist["engine"],
                            real=run.real if privacy else None, synth=run.synth if privacy else None,
                            columns=columns if privacy else None, holdout_X=holdout_X,
                            recall_sample=run.dist["recall_sample"], random_state=run.random_state,
                            rows_per_chunk=run.dist["rows_per_chunk"])
        pr, exact, dcr_holdout = nr.prdc, nr.exact, nr.dcr_holdout
        if nr.recall_rows.size < run.synth.height and "coverage" in run.fams:
            run.summary["notes"].append(
                f"recall and coverage use a seeded sample of {nr.recall_rows.size} of the {run.synth.height} "
                "synthetic rows (recall_sample=); precision, density and the privacy metrics use all rows")
    real_ids = run.real[ROW_ID].to_numpy()
    run.per_synth["dcr"] = pr.cross.d1
    run.per_synth["nearest_real"] = list(real_ids[pr.cross.i1])
    run.per_real["dcr"] = pr.real_nn_dist
    run.per_real["nearest_real"] = list(real_ids[pr.real_nn_index])
    if "coverage" in run.fams:
        r, run.summary["coverage"] = coverage_rows(pr, n_boot, rng)
        run.rows += r
        run.per_synth["inside_support"] = list(pr.inside_support)
        run.per_real["covered"] = list(pr.covered)
    if "privacy" in run.fams:
        if exact is None:
            exact = exact_copies(run.real, run.synth, columns)
        hold_kw = {}
        if holdout_X is not None:
            hold_kw = {"holdout_X": holdout_X, "synth_X": run.X_synth, "dcr_holdout": dcr_holdout}
        r, s = privacy_rows(dcr=pr.cross.d1, d2=pr.cross.d2, exact=exact, real_nn_dist=pr.real_nn_dist,
                            n_boot=n_boot, rng=rng, **hold_kw)
        run.rows += r
        run.summary["privacy"] = {**s, "dcr": pr.cross.d1}


def _utility(run: _Run) -> None:
    inp, n_real = run.inp, run.real.height
    if inp.target is None:
        run.summary["notes"].append("utility skipped: the data has no target column (pass target=...)")
        return
    if inp.holdout is not None:
        train, test = run.real, inp.holdout
    else:
        cut = int(round(0.7 * n_real))
        p2 = np.random.default_rng([run.random_state, 2]).permutation(n_real)
        train, test = run.real[np.sort(p2[:cut])], run.real[np.sort(p2[cut:])]
        run.summary["notes"].append(
            f"no holdout given: utility tests on a seeded random 30% of the real rows ({test.height} rows) "
            f"and TRTR trains on the other 70% ({train.height}); the synthetic rows may have been "
            "generated from all real rows, which flatters TSTR"
        )
    r, s = utility_rows(train, run.synth, test, inp.schema, inp.target, random_state=run.random_state,
                        n_boot=run.n_boot, rng=run.boot_rng, n_perm=min(run.n_perm, UTILITY_PERM),
                        skip=run.inp.id_like, encoder=run.enc)
    run.rows += r
    run.summary["utility"] = s


def _subgroup(run: _Run) -> None:
    inp = run.inp
    if not inp.sensitive:
        run.summary["notes"].append("subgroup balance skipped: no sensitive column (pass sensitive=[...])")
        return
    cat_target = inp.target is not None and inp.target in inp.schema.categorical
    shares = subgroup_shares(run.real, run.synth, inp.sensitive, inp.target, cat_target)
    sp = run.split
    base = subgroup_shares(run.real[sp.a], run.real[sp.b], inp.sensitive, inp.target, cat_target)
    run.rows += subgroup_rows(shares, base, run.real.height, run.synth.height, n_boot=run.n_boot, rng=run.boot_rng)
    run.summary["subgroup"] = {"shares": shares, "shrink": SHRINK}


def _privacy_attacks(run: _Run) -> None:
    """Attacks on the training rows, with the holdout as the control set (see :mod:`.attacks`)."""
    from .attacks import privacy_attacks

    inp = run.inp
    if inp.holdout is None:
        raise DataError(
            "the privacy_attacks family needs a control set: pass holdout= (real rows the generator "
            "never saw, e.g. train, holdout = ds.split(0.8) before generating)"
        )
    secret = inp.target if inp.target is not None else (inp.sensitive[0] if inp.sensitive else None)
    real = Dataset(inp.real.name, run.real, inp.schema)
    att = privacy_attacks(real, run.synth, inp.holdout, secret=secret,
                          attacks=ATTACKS if secret is not None else tuple(a for a in ATTACKS if a != "inference"),
                          random_state=run.random_state)
    for r in att.results.values():
        row = metric_row("privacy_attacks", f"{r.attack}_risk", None, r.risk, None, 0.0, "lower",
                         matched=r.risk, p_value=r.p_value)
        row["ci_low"], row["ci_high"] = r.ci_low, r.ci_high
        run.rows.append(row)
    run.summary["privacy_attacks"] = {"table": att.table, "train_exposure": att.exposure("train"),
                                      "synthetic_exposure": att.exposure("synthetic")}
    run.per_synth["attack_exposure"] = att.exposure("synthetic")["exposure"].to_numpy()
    run.per_real["attack_exposure"] = att.exposure("train")["exposure"].to_numpy()


def _text(run: _Run) -> None:
    """Per text column: vocabulary, repetition, perplexity, lengths and memorisation (one size-matched test)."""
    from ..text.tokens import tokenize_all

    inp = run.inp
    n_s, n_r = run.synth.height, run.real.height
    shared, memorised = np.zeros(n_s, dtype=np.int64), np.zeros(n_s, dtype=bool)
    real_shared = np.zeros(n_r, dtype=np.int64)
    columns = {}
    for c in inp.schema.text:
        hold = tokenize_all(inp.holdout[c]) if inp.holdout is not None else None
        emb = getattr(run.enc, "embedders_", {}).get(c)  # the Encoder's text model (it keeps recent results)
        vectors = None if emb is None else (emb.transform(run.real[c]), emb.transform(run.synth[c]))
        r, s = text_family(c, tokenize_all(run.real[c]), tokenize_all(run.synth[c]), hold, run.split,
                           n_boot=run.n_boot, n_perm=run.n_perm, rng=run.boot_rng, random_state=run.random_state,
                           vectors=vectors)
        run.rows += r
        columns[c] = s
        shared = np.maximum(shared, s["shared_ngram"])
        memorised |= s["memorised"]
        real_shared = np.maximum(real_shared, s["real_shared_ngram"])
    run.summary["text"] = {"columns": columns}
    if inp.holdout is None:
        run.summary["notes"].append(
            "text: no holdout given, so perplexity and missing words are scored on the reference half A of the "
            "real rows; a generator trained on them has seen that text, and copying it then looks good there "
            "(memorised_share still shows it). Pass holdout= (real rows kept from the generator) for a true "
            "held-out perplexity")
    run.per_synth.update(shared_ngram=shared, memorised=memorised)
    run.per_real.update(shared_ngram=real_shared)


def _verdicts(run: _Run) -> None:
    """Step 4: size-matched values, baselines and permutation p-values (fidelity to privacy)."""
    sp = run.split
    size_matched(run.rows, run.summary, run.inp, run.real, run.synth[sp.s], sp, run.fams, k=run.k,
                 n_perm=run.n_perm, random_state=run.random_state,
                 engine=None if run.dist is None else run.dist["engine"])


def size_matched(rows: list[dict], summary: dict, inp: Inputs, real: pl.DataFrame, synth_s: pl.DataFrame,
                 sp: Halves, fams: Iterable[str], *, k: int, n_perm: int, random_state: int,
                 engine: Any = None) -> None:
    """Fill ``matched``, ``baseline`` and ``p_value`` of the fidelity-to-privacy ``rows``.

    ``synth_s`` holds the synthetic rows S' of the split ``sp`` (``synth[sp.s]``,
    in that order): the verdicts need no other synthetic row, so rows that stay
    in their files are gathered for them alone. ``engine``: run the permuted
    samples on a cluster.
    """
    fams = tuple(f for f in ("fidelity", "pairwise", "coverage", "privacy") if f in fams)
    if not fams or sp.size < k + 1 or sp.a.size < k + 1:
        if fams:
            summary["notes"].append(
                f"no size-matched verdicts: half of the real rows ({sp.a.size}) or the matched sample "
                f"({sp.size}) has fewer than k + 1 = {k + 1} rows")
        return
    cols = [ROW_ID, *inp.schema.columns]
    pool = pl.concat([synth_s.select(cols), real[sp.b].select(cols)], how="vertical_relaxed")
    ref = real[sp.a]
    # S' and B' must be treated alike: the encoder and the category levels come from A alone, so a
    # category B' shares with no A row is "unseen" exactly like a category only S' has
    schema_a = _levels_seen_in(inp.schema, ref)
    enc_a = Encoder().fit(Dataset(inp.real.name, ref, schema_a))
    X_ref, X_pool = enc_a.transform(ref).astype(np.float64), enc_a.transform(pool).astype(np.float64)
    stat, better = matched_stat(ref, pool, X_ref, X_pool, schema_a, fams, k, skip=inp.id_like)
    map_stat = None if engine is None else _on_engine(engine, stat)
    res = permutation_test(stat, sp.size, better, n_perm=n_perm, random_state=random_state,
                           map_stat=map_stat)
    exact = {key: share_test(*res[key][:2], sp.size, better[key]) for key in SHARE_METRICS if key in res}
    summary["permutation_metrics"] = sorted({key[1] for key in res if key[2] is None and key not in exact})
    for r in rows:
        key = (r["family"], r["metric"], r["column"])
        if key in res:
            m, b, p = res[key]
            p = exact.get(key, p)
            r["matched"] = m if np.isfinite(m) else None
            r["baseline"] = b if np.isfinite(b) else None
            r["p_value"] = p if np.isfinite(p) and n_perm else None


def _stat_of(idx: np.ndarray, stat) -> dict:
    from ..scale.neighbours import _worker_threads

    _worker_threads()  # as many kernel threads as the worker has
    return stat(idx)


def _on_engine(eng: Any, stat):
    """``[stat(idx) for idx in ...]`` on the engine's workers (``stat`` sent once), in order."""
    def run(idx_list: list[np.ndarray]) -> list[dict]:
        from ..scale.neighbours import _release

        box = eng.broadcast(stat)
        try:
            return eng.map(_stat_of, idx_list, box, desc="permutations",
                           labels=[f"matched sample {i + 1}" for i in range(len(idx_list))])
        finally:
            _release(eng, box)
    return run


def _levels_seen_in(schema: Schema, frame: pl.DataFrame) -> Schema:
    """``schema`` with each categorical column's levels cut to those present in ``frame``."""
    cats = {}
    for c, levels in schema.categories.items():
        codes = category_codes(frame[c], levels) if c in frame.columns else np.empty(0, dtype=np.int64)
        seen = set(np.unique(codes[codes >= 0]).tolist())  # matched by value, as everywhere
        cats[c] = tuple(v for i, v in enumerate(levels) if i in seen)
    return replace(schema, categories=cats)


def _per_row(run: _Run) -> pl.DataFrame:
    """Step 5: one row per real and synthetic row (distances, support, detection)."""
    sf, rf = run.synth, run.real
    ps, pr = run.per_synth, run.per_real
    per = pl.DataFrame({
        ROW_ID: sf[ROW_ID], "source": ["synthetic"] * sf.height, "dcr": ps["dcr"],
        "nearest_real": ps["nearest_real"], "inside_support": ps["inside_support"],
        "detection_prob": ps["detection_prob"], "covered": [None] * sf.height,
    }, schema=ROWS_SCHEMA)
    rr = pl.DataFrame({
        ROW_ID: rf[ROW_ID], "source": ["real"] * rf.height, "dcr": pr["dcr"],
        "nearest_real": pr["nearest_real"], "inside_support": [None] * rf.height,
        "detection_prob": pr["detection_prob"], "covered": pr["covered"],
    }, schema=ROWS_SCHEMA)
    if "text" in run.fams:  # the longest run of tokens shared with a real document (another one, for real rows)
        per = per.with_columns(pl.Series("shared_ngram", ps["shared_ngram"], dtype=pl.Int64),
                               pl.Series("memorised", ps["memorised"], dtype=pl.Boolean))
        rr = rr.with_columns(pl.Series("shared_ngram", pr["shared_ngram"], dtype=pl.Int64),
                             pl.lit(None, dtype=pl.Boolean).alias("memorised"))
    if "privacy_attacks" in run.fams:  # successful attacks through each synthetic row / on each real row
        per = per.with_columns(pl.Series("attack_exposure", ps["attack_exposure"], dtype=pl.Int64))
        rr = rr.with_columns(pl.Series("attack_exposure", pr["attack_exposure"], dtype=pl.Int64))
    return pl.concat([rr, per]).with_columns(pl.col("dcr").fill_nan(None), pl.col("detection_prob").fill_nan(None))


def _worst_columns(cols: pl.DataFrame, n: int) -> list[str]:
    if cols.height <= n:
        return cols["column"].to_list()
    return cols.sort("score", nulls_last=True)["column"].head(n).to_list()
