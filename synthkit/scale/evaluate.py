"""``evaluate()`` of synthetic rows that stay in their files: a parquet folder, a glob, Partitions.

    rep = sk.evaluate(real, "synthetic/", engine="dask")       # 10 million rows in 20 files

The real rows (and a holdout) sit in this process; the synthetic rows are
read, conformed and encoded piece by piece on the workers and never gathered
here. What runs, and how each number relates to the in-memory ``evaluate``:

- **fidelity and pairwise** from per-partition counts merged by addition
  (:mod:`synthkit.scale.fidelity`): the same values as in memory;
- **privacy** (DCR, near and exact copies, NNDR, closer-to-train with a
  holdout) and **precision / density** from every synthetic row against the
  real rows broadcast once (:mod:`synthkit.scale.neighbours`): exact;
- **recall / coverage** on a seeded sample of ``recall_sample`` synthetic rows
  (all of them when there are fewer), as Naeem et al. do.

- **size-matched verdicts** (``n_perm``): they compare the real half B with
  the synthetic rows S' the seeded split draws (as many as B), so only those
  rows are gathered from the files; the matched values, baselines and
  p-values equal the in-memory ones, and their cost grows with the real rows,
  not the synthetic ones.

Not at this scale: detection, utility, subgroup balance and text need the
synthetic rows in one place (evaluate a seeded sample for them), and the
bootstrap intervals are left out (``n_boot`` is 0; a note says so). Per-row
scores keep the input order: real rows first, then the synthetic rows
partition by partition.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any, Iterable

import numpy as np
import polars as pl

from ..data import ROW_ID, conform, with_row_ids
from ..encode import Encoder
from ..errors import DataError, SchemaError
from .sources import Partitions

__all__ = ["evaluate_partitioned", "is_partitioned", "SCALE_FAMILIES"]

#: the families that run on partitioned synthetic rows
SCALE_FAMILIES = ("fidelity", "pairwise", "coverage", "privacy")


def is_partitioned(synthetic: Any) -> bool:
    """True for inputs that name files (a folder, a glob, parquet paths) or are Partitions."""
    import os

    if isinstance(synthetic, Partitions):
        return True
    if isinstance(synthetic, (str, os.PathLike)):
        return True
    return isinstance(synthetic, (list, tuple)) and bool(synthetic) and \
        all(isinstance(s, (str, os.PathLike)) for s in synthetic)


def _nulls(n: int, dtype: Any) -> pl.Series:
    return pl.repeat(None, n, dtype=dtype, eager=True)


def _numbered(part: Any, f: pl.DataFrame) -> pl.DataFrame:
    """Partition ``part``'s rows ``f`` with row ids: their own, or ``synthetic:<n>`` by global row number
    (as ``evaluate`` numbers rows in memory)."""
    return f if ROW_ID in f.columns else with_row_ids(f, "synthetic", offset=part.offset)


def _check_chunk(part: Any, schema: Any) -> tuple[pl.Series, bytes, dict[str, int]]:
    """One partition's row ids, a content digest and null counts per column; ``DataError`` for what
    ``evaluate`` refuses in memory."""
    from ..metrics._common import refuse_nan

    f = part.read()
    if ROW_ID in f.columns:
        ids = f[ROW_ID]
        if ids.dtype != pl.String or ids.null_count() or ids.n_unique() != f.height:
            raise DataError(f"column {ROW_ID!r} must hold unique, non-null strings; drop it from every file to "
                            "have synthkit number the rows")
    ids = _numbered(part, f)[ROW_ID]
    digest = hashlib.sha256(f.hash_rows(seed=0).to_numpy().tobytes()).digest()
    c = conform(f, schema, what="the synthetic rows")
    refuse_nan(c, schema)
    return ids, digest, {col: c[col].null_count() for col in schema.columns}


def _checked(parts: Partitions, engine: Any, schema: Any, real_ids: pl.Series, k: int) -> tuple[pl.Series, list]:
    """Every partition checked as ``evaluate`` checks rows in memory: the ids in row order and the digests."""
    from ..metrics._common import all_null_message

    got = _on(engine).map(_check_chunk, list(parts), schema, desc="checks", labels=[p.label for p in parts])
    ids = pl.concat([g[0] for g in got])
    n = ids.len()
    if n < k + 1:
        raise DataError(f"the synthetic files hold {n} rows; evaluate() needs at least {k + 1} "
                        "(k nearest neighbours need k + 1 rows)")
    dup = ids.is_duplicated()
    if dup.any():
        first = ids.filter(dup)[0]
        where = sorted({parts[i].label for i in range(len(parts))
                        if first in got[i][0].to_list()})
        raise DataError(f"row id {first!r} appears more than once (in {', '.join(where)}); row ids must be unique "
                        "across the files: fix them, or drop the row_id column from every file to have synthkit "
                        "number the rows")
    clash = ids.filter(ids.is_in(real_ids.implode()))
    if clash.len():
        raise DataError(f"{clash.len()} synthetic row id(s) equal real row ids (e.g. {clash.head(3).to_list()}); "
                        "give the synthetic rows their own ids, or drop the row_id column from the files")
    nulls = {c: sum(g[2][c] for g in got) for c in schema.columns}
    all_null = [c for c in schema.columns if nulls[c] == n]
    if all_null:
        raise DataError(all_null_message(all_null, " in every file"))
    return ids, [g[1] for g in got]


def _rows_at(item: tuple[Any, np.ndarray]) -> pl.DataFrame:
    """The rows ``item[1]`` (numbers inside the partition) of partition ``item[0]``, with their row ids."""
    part, local = item
    return _numbered(part, part.read())[local]


def _gather(parts: Partitions, rows: np.ndarray, engine: Any) -> pl.DataFrame:
    """The synthetic rows at the sorted global numbers ``rows``, read where the partitions are."""
    items = [(p, rows[(rows >= p.offset) & (rows < p.offset + p.n_rows)] - p.offset) for p in parts]
    items = [it for it in items if it[1].size]
    got = _on(engine).map(_rows_at, items, desc="matched sample", labels=[p.label for p, _ in items])
    return pl.concat(got, how="vertical_relaxed")


def _on(engine: Any) -> Any:
    """The engine, or this process (which names a failing partition the same way)."""
    from .neighbours import InProcess

    return engine if engine is not None else InProcess()


def _meta(inp: Any, digests: list[bytes]) -> dict:
    """The report's identity (as Report.meta): the real rows' fingerprint and one over every partition."""
    from .. import __version__
    from ..metrics._common import fingerprint

    real = inp.real.frame.drop(ROW_ID) if ROW_ID in inp.real.frame.columns else inp.real.frame
    h = hashlib.sha256(fingerprint(inp.real.frame).encode())
    for d in digests:
        h.update(d)
    cols = list(inp.schema.columns)
    return {"dataset": {"name": str(inp.real.name), "fingerprint": fingerprint(real), "columns": cols,
                        "kinds": {c: inp.schema.kind(c) for c in cols}},
            "inputs_fingerprint": h.hexdigest()[:16], "synthkit_version": __version__}


def evaluate_partitioned(real: Any, synthetic: Any, holdout: Any, target: Any, sensitive: Any, *, engine: Any,
                         families: Iterable[str] | None, k: int, random_state: int, rows_per_chunk: int | None,
                         recall_sample: int, n_boot: int, n_perm: int) -> Any:
    """The body of ``evaluate(real, <files>, engine=...)`` (see the module docstring)."""
    from ..metrics._common import ROWS_SCHEMA, prepare, rows_frame
    from ..metrics.coverage import coverage_rows
    from ..metrics.privacy import privacy_rows
    from ..metrics.report import Report
    from ..metrics._baseline import halves
    from ..metrics.evaluate import size_matched
    from .fidelity import fidelity_partitioned
    from .neighbours import neighbour_rows

    fams = SCALE_FAMILIES if families is None else tuple(
        [families] if isinstance(families, str) else families)
    other = [f for f in fams if f not in SCALE_FAMILIES]
    if other:
        raise DataError(
            f"families {other} need the synthetic rows in memory; on files synthkit runs {list(SCALE_FAMILIES)}. "
            "For the others evaluate a seeded sample: sk.evaluate(real, sk.scale.Partitions.open(path)"
            ".read_all().sample(50_000, seed=0))")
    fams = tuple(f for f in SCALE_FAMILIES if f in fams)
    if not fams:
        raise DataError(f"no metric family to run; choose from {list(SCALE_FAMILIES)}")
    try:
        parts = Partitions.open(synthetic, rows_per_chunk=rows_per_chunk or 100_000)
    except SchemaError:
        raise
    except DataError as exc:  # a path that is not there: say which argument it was
        raise DataError(f"synthetic data: {exc} (pass a Batch or frame, or a parquet folder or glob)") from None
    t0 = time.perf_counter()
    first = parts[0].read()
    inp = prepare(real, first, holdout, target, sensitive, min_rows=k + 1, piece=True)
    missing = [c for c in inp.schema.columns if c not in parts.columns]
    if missing:  # pragma: no cover - prepare already reduces to the shared columns of the first piece
        raise SchemaError(f"the synthetic files lack column(s) {missing}")
    rf, schema, n = inp.real.frame, inp.schema, parts.n_rows
    ids, digests = _checked(parts, engine, schema, rf[ROW_ID], k)
    notes = list(inp.notes)
    timings: dict[str, float] = {}
    rows: list[dict] = []
    summary: dict[str, Any] = {
        "n_real": rf.height, "n_synthetic": n, "columns": list(schema.columns), "target": inp.target,
        "sensitive": list(inp.sensitive), "k": k, "n_boot": 0, "n_perm": 0, "random_state": random_state,
        "families": list(fams), "notes": notes, "synthetic_name": str(parts.source), "dataset": inp.real.name,
        "holdout": None if inp.holdout is None else inp.holdout.height,
        "partitions": len(parts), "engine": repr(engine),
    }
    if n_boot:
        notes.append(f"synthetic rows read from {len(parts)} partitions: no bootstrap intervals at this scale "
                     "(they resample every row in memory); evaluate a seeded sample for them")
    if "fidelity" in fams or "pairwise" in fams:
        t = time.perf_counter()
        frows, fsum = fidelity_partitioned(rf, parts, schema, engine, skip=inp.id_like, random_state=random_state)
        rows += [r for r in frows if r["family"] in fams]
        summary.update({key: v for key, v in fsum.items() if key != "pairwise" or "pairwise" in fams})
        if "fidelity" not in fams:
            summary.pop("fidelity", None), summary.pop("marginals", None)
        timings["fidelity"] = time.perf_counter() - t
    per_synth: dict[str, Any] = {"dcr": np.full(n, np.nan), "nearest_real": _nulls(n, pl.String),
                                 "inside_support": _nulls(n, pl.Boolean)}
    per_real: dict[str, Any] = {"dcr": np.full(rf.height, np.nan), "nearest_real": _nulls(rf.height, pl.String),
                                "covered": _nulls(rf.height, pl.Boolean)}
    if "coverage" in fams or "privacy" in fams:
        t = time.perf_counter()
        enc = Encoder().fit(inp.real)
        X_real = enc.transform(rf).astype(np.float64)
        holdout_X = None
        if "privacy" in fams and inp.holdout is not None:
            holdout_X = enc.transform(inp.holdout).astype(np.float64)
        privacy = "privacy" in fams
        nr = neighbour_rows(X_real, list(parts), k, engine=engine, real=rf if privacy else None,
                            columns=list(schema.columns) if privacy else None, holdout_X=holdout_X,
                            encoder=enc, recall_sample=recall_sample, random_state=random_state,
                            rows_per_chunk=rows_per_chunk)
        pr = nr.prdc
        real_ids = rf[ROW_ID]
        per_synth["dcr"], per_synth["nearest_real"] = pr.cross.d1, real_ids.gather(pr.cross.i1)
        per_real["dcr"], per_real["nearest_real"] = pr.real_nn_dist, real_ids.gather(pr.real_nn_index)
        if "coverage" in fams:
            r, summary["coverage"] = coverage_rows(pr, 0, None)
            rows += r
            per_synth["inside_support"] = pl.Series(pr.inside_support, dtype=pl.Boolean)
            per_real["covered"] = pl.Series(pr.covered, dtype=pl.Boolean)
            if nr.recall_rows.size < n:
                notes.append(f"recall and coverage use a seeded sample of {nr.recall_rows.size:,} of the {n:,} "
                             "synthetic rows (recall_sample=); precision, density and the privacy metrics use "
                             "all rows")
        if privacy:
            hold_kw = {} if holdout_X is None else {"holdout_X": holdout_X, "dcr_holdout": nr.dcr_holdout}
            exact = nr.exact if nr.exact is not None else np.zeros(n, dtype=bool)
            r, s = privacy_rows(dcr=pr.cross.d1, d2=pr.cross.d2, exact=exact, real_nn_dist=pr.real_nn_dist,
                                n_boot=0, rng=None, **hold_kw)
            rows += r
            summary["privacy"] = {**s, "dcr": pr.cross.d1}
        timings["neighbours"] = time.perf_counter() - t
    if n_perm:  # the verdicts need only the synthetic rows S' of the split: gather those
        t = time.perf_counter()
        sp = halves(rf.height, n, random_state)
        summary.update(n_perm=n_perm, matched_size=sp.size, reference_size=sp.a.size)
        synth_s = conform(_gather(parts, sp.s, engine), schema, what="the synthetic rows")
        size_matched(rows, summary, inp, rf, synth_s, sp, fams, k=k, n_perm=n_perm, random_state=random_state,
                     engine=engine)
        if sp.size < n:
            notes.append(f"the size-matched verdicts compare {sp.size:,} synthetic rows drawn with the seed (as "
                         f"many as the real half B) with B; the values use all {n:,}")
        timings["verdicts"] = time.perf_counter() - t
    summary["timings"] = {**timings, "total": time.perf_counter() - t0}
    synth_rows = pl.DataFrame({
        ROW_ID: ids, "source": pl.repeat("synthetic", n, dtype=pl.String, eager=True),
        "dcr": per_synth["dcr"], "nearest_real": per_synth["nearest_real"],
        "inside_support": per_synth["inside_support"], "detection_prob": _nulls(n, pl.Float64),
        "covered": _nulls(n, pl.Boolean),
    }, schema=ROWS_SCHEMA)
    real_rows = pl.DataFrame({
        ROW_ID: rf[ROW_ID], "source": pl.repeat("real", rf.height, dtype=pl.String, eager=True),
        "dcr": per_real["dcr"], "nearest_real": per_real["nearest_real"],
        "inside_support": _nulls(rf.height, pl.Boolean), "detection_prob": _nulls(rf.height, pl.Float64),
        "covered": per_real["covered"],
    }, schema=ROWS_SCHEMA)
    per_row = pl.concat([real_rows, synth_rows]).with_columns(pl.col("dcr").fill_nan(None))
    return Report(rows_frame(rows), per_row, summary, None, meta=_meta(inp, digests))
