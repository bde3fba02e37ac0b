"""Shared plumbing for the metric families: inputs, bootstrap, table rows.

Bootstrap. Confidence intervals use the Poisson bootstrap: every row gets a
weight drawn from Poisson(1), which is the usual fast stand-in for resampling
rows with replacement (same mean and variance of each row's multiplicity).
Because a weight per row is all it needs, a statistic that is a sum over rows
(a share, a mean, a frequency table, a correlation's moments) is resampled
from its per-row or per-value summaries, never by refitting: for a frequency
table of counts ``c_v`` the resampled counts are Poisson(``c_v``). Intervals are
``value +- 1.96`` bootstrap standard errors, clipped to the metric's range
(see :func:`metric_row`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any, Iterable

import numpy as np
import polars as pl

from .._categories import MISSING, UNSEEN, category_codes
from .._checks import check_sequence
from ..data import ROW_ID, Dataset, Schema, as_dataset, conform, to_polars, with_row_ids
from ..errors import DataError, SchemaError

#: columns of ``Report.table``
TABLE_SCHEMA = {
    "family": pl.String,
    "metric": pl.String,
    "column": pl.String,
    "value": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "baseline": pl.Float64,
    "better": pl.String,
    "matched": pl.Float64,
    "p_value": pl.Float64,
}
#: columns of ``Report.rows`` (per-row scores; text columns add their own)
ROWS_SCHEMA = {
    ROW_ID: pl.String, "source": pl.String, "dcr": pl.Float64, "nearest_real": pl.String,
    "inside_support": pl.Boolean, "detection_prob": pl.Float64, "covered": pl.Boolean,
}
#: a categorical column with more distinct values than this ...
ID_LIKE_MIN_LEVELS = 50
#: ... and more than this share of the real row count is ID-like (see :func:`id_like_columns`)
ID_LIKE_SHARE = 0.5


def metric_row(family: str, metric: str, column: str | None, value: float, reps: np.ndarray | None,
               baseline: float | None, better: str, bounds: tuple[float, float] = (0.0, 1.0), *,
               matched: float | None = None, p_value: float | None = None) -> dict:
    """One row of the tidy table; ``reps`` are bootstrap replicates of ``value``.

    ``matched`` is the size-matched value that ``baseline`` is compared with and
    ``p_value`` the one-sided test of "worse than real" (see
    :mod:`synthkit.metrics._baseline`); both may be filled in later.

    The interval is ``value +- 1.96 * sd(replicates)`` clipped to the metric's
    ``bounds``: a normal-approximation interval from the bootstrap standard
    error. (Percentile intervals of similarity scores are biased: resampling
    both sides adds noise that always lowers a similarity, so they can miss the
    value itself.)
    """
    lo = hi = None
    if reps is not None and value is not None and np.isfinite(value):
        reps = np.asarray(reps, dtype=float)
        reps = reps[np.isfinite(reps)]
        if reps.size > 1:
            se = float(reps.std(ddof=1))
            lo = float(max(bounds[0], value - 1.96 * se))
            hi = float(min(bounds[1], value + 1.96 * se))
    return {
        "family": family, "metric": metric, "column": column,
        "value": None if value is None or not np.isfinite(value) else float(value),
        "ci_low": lo, "ci_high": hi,
        "baseline": None if baseline is None or not np.isfinite(baseline) else float(baseline),
        "better": better,
        "matched": _num(matched),
        "p_value": _num(p_value),
    }


def _num(v: Any) -> float | None:
    return None if v is None or not np.isfinite(v) else float(v)


def fingerprint(*frames: pl.DataFrame) -> str:
    """A short content hash of frames (values, columns and order), to recognise the same inputs."""
    h = hashlib.sha256()
    for f in frames:
        h.update(repr((f.columns, [str(t) for t in f.dtypes], f.height)).encode())
        h.update(f.hash_rows(seed=0).to_numpy().tobytes() + f.hash_rows(seed=1).to_numpy().tobytes())
    return h.hexdigest()[:16]


def rows_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=TABLE_SCHEMA) if rows else pl.DataFrame(schema=TABLE_SCHEMA)


# ------------------------------------------------------------------ bootstrap
def poisson_counts(counts: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Poisson-bootstrap replicates of a count vector: shape (n_boot, len(counts))."""
    counts = np.asarray(counts, dtype=np.float64)
    return rng.poisson(np.broadcast_to(counts, (n_boot, counts.size)))


def tv_complement_counts(ca: np.ndarray, cb: np.ndarray) -> np.ndarray:
    """``1 - TVD`` of two aligned count vectors; rows of 2-D inputs are replicates."""
    ca = np.atleast_2d(ca).astype(float)
    cb = np.atleast_2d(cb).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 1.0 - 0.5 * np.abs(ca / ca.sum(1, keepdims=True) - cb / cb.sum(1, keepdims=True)).sum(1)


def boot_mean(values: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap replicates of ``values.mean()`` from the value counts (cheap for 0/1 flags)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return np.full(n_boot, np.nan)
    u, c = np.unique(values, return_counts=True)
    return boot_mean_counts(u, c, n_boot, rng)


def boot_share(k: int, n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """:func:`boot_mean` of ``n`` flags of which ``k`` are set, from the two counts alone."""
    if n == 0:
        return np.full(n_boot, np.nan)
    u = np.array([0.0, 1.0])
    c = np.array([n - k, k])
    keep = c > 0
    return boot_mean_counts(u[keep], c[keep], n_boot, rng)


def boot_mean_counts(u: np.ndarray, c: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap replicates of the mean of the distinct values ``u`` seen ``c`` times each."""
    w = poisson_counts(c, n_boot, rng).astype(np.float64)
    tot = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, (w @ u) / tot, np.nan)


# ------------------------------------------------------------------ inputs
@dataclass
class Inputs:
    """Validated inputs of ``evaluate``: frames conformed to one schema."""

    real: Dataset
    synthetic: pl.DataFrame  # row_id + schema columns
    holdout: pl.DataFrame | None
    schema: Schema
    target: str | None
    sensitive: tuple[str, ...]
    notes: list[str]
    synthetic_name: str
    #: ID-like categorical columns, skipped by pairwise, detection and utility (see ``id_like_columns``)
    id_like: tuple[str, ...] = ()


def _reduced_schema(schema: Schema, keep: list[str]) -> Schema:
    keep_set = set(keep)
    return replace(
        schema,
        columns=tuple(c for c in schema.columns if c in keep_set),
        numeric=tuple(c for c in schema.numeric if c in keep_set),
        categorical=tuple(c for c in schema.categorical if c in keep_set),
        integer=tuple(c for c in schema.integer if c in keep_set),
        target=schema.target if schema.target in keep_set else None,
        sensitive=tuple(c for c in schema.sensitive if c in keep_set),
        image_shape=schema.image_shape if all(c in keep_set for c in schema.image_columns) else None,
        image_columns=schema.image_columns if all(c in keep_set for c in schema.image_columns) else (),
        categories={k: v for k, v in schema.categories.items() if k in keep_set},
        text=tuple(c for c in schema.text if c in keep_set),
        dtypes={k: v for k, v in schema.dtypes.items() if k in keep_set},
        bounds={k: v for k, v in schema.bounds.items() if k in keep_set},
    )


def _frame_of(x: Any, what: str) -> pl.DataFrame:
    try:
        f = to_polars(x)
    except DataError as exc:
        raise DataError(f"{what}: {exc}") from None
    return f


def refuse_nan(synth: pl.DataFrame, schema: Schema) -> None:
    """``DataError`` when a numeric synthetic column holds NaN or inf (they break every distance)."""
    for c in schema.numeric:
        s = synth[c]
        if s.dtype.is_float() and (s.is_nan().any() or s.is_infinite().any()):
            raise DataError(f"synthetic column {c!r} holds NaN or infinite values; replace them with null "
                            f"(pl.col({c!r}).fill_nan(None)) before evaluating")


def all_null_message(columns: list[str], where: str = "") -> str:
    return (f"synthetic column(s) {columns} hold only missing values{where}; the generator produced nothing "
            "there, so they cannot be compared (fix the generator or drop the column from both)")


def prepare(real: Any, synthetic: Any, holdout: Any = None, target: Any = "schema",
            sensitive: Any = "schema", *, min_rows: int = 6, piece: bool = False) -> Inputs:
    """Check and align the inputs of ``evaluate`` / ``suggest`` (clear errors otherwise).

    ``piece``: ``synthetic`` is one partition of many (:mod:`synthkit.scale.evaluate`): the checks of
    the synthetic rows' contents (how many, all-null columns, NaN, ids) are left to the caller, who
    makes them over every partition."""
    notes: list[str] = []
    ds = as_dataset(real, "real")
    if len(ds) < 2 * min_rows:
        raise DataError(
            f"the real data has {len(ds)} rows; evaluate() needs at least {2 * min_rows} "
            "(it splits them in two halves for the real-vs-real baseline)"
        )
    sframe = _frame_of(synthetic, "synthetic")
    if sframe.height == 0:
        raise DataError("the synthetic data is empty (0 rows); generate some rows first")
    shared = [c for c in ds.schema.columns if c in sframe.columns]
    if not shared:
        raise SchemaError(
            f"the synthetic data shares no column with the real data; real columns are "
            f"{list(ds.schema.columns)}, synthetic columns are {[c for c in sframe.columns if c != ROW_ID]}"
        )
    schema = ds.schema
    if len(shared) < len(ds.schema.columns):
        missing = [c for c in ds.schema.columns if c not in shared]
        explicit_target = target if isinstance(target, str) and target != "schema" else None
        if explicit_target in missing or (target == "schema" and ds.schema.target in missing):
            raise SchemaError(
                f"target column {explicit_target or ds.schema.target!r} is missing from the synthetic "
                "data; generate it too, or pass target=None to skip utility"
            )
        schema = _reduced_schema(ds.schema, shared)
        notes.append(f"only the {len(shared)} shared columns are compared; the synthetic data lacks {missing}")
        ds = Dataset(ds.name, ds.frame, schema)
    # target
    if target == "schema":
        target = schema.target
    if target is not None:
        if not isinstance(target, str) or target not in schema.columns:
            raise SchemaError(
                f"target column {target!r} is not a modelled column of the real data; "
                f"pick one of {list(schema.columns)} or pass target=None"
            )
    # sensitive
    if sensitive == "schema":
        sens = tuple(schema.sensitive)
    elif sensitive is None:
        sens = ()
    else:
        sens = (sensitive,) if isinstance(sensitive, str) else check_sequence("sensitive", sensitive, what="column names")
    for c in sens:
        if c not in schema.columns:
            raise SchemaError(f"sensitive column {c!r} is not a modelled column; pick from {list(schema.columns)}")
        if c not in schema.categorical:
            raise SchemaError(f"sensitive column {c!r} must be categorical (groups), it is numeric")
    synth = conform(sframe, schema, what="synthetic data")
    synth = with_row_ids(synth.drop(ROW_ID, strict=False) if piece else synth, "synthetic", keep_existing=True,
                         what="the synthetic")
    if not piece and synth.height < min_rows:
        raise DataError(
            f"the synthetic data has {synth.height} rows; evaluate() needs at least {min_rows} "
            "(k nearest neighbours need k + 1 rows)"
        )
    all_null = [] if piece else [c for c in schema.columns if synth[c].null_count() == synth.height]
    if all_null:
        raise DataError(all_null_message(all_null))
    clash = set() if piece else set(synth[ROW_ID].to_list()) & set(ds.frame[ROW_ID].to_list())
    if clash:
        raise DataError(
            f"{len(clash)} synthetic row id(s) equal real row ids (e.g. {sorted(clash)[:3]}); "
            "give the synthetic rows their own ids (a Batch does)"
        )
    hold = None
    if holdout is not None:
        hframe = _frame_of(holdout, "holdout")
        if hframe.height < 2:
            raise DataError(f"the holdout has {hframe.height} rows; give at least 2 or pass holdout=None")
        hold = with_row_ids(conform(hframe, schema, what="holdout"), "holdout", keep_existing=True,
                           what="the holdout")
    if not piece:
        refuse_nan(synth, schema)
    name = getattr(synthetic, "id", None) or "synthetic"
    id_like = id_like_columns(ds.frame, schema)
    if id_like_note(id_like):
        notes.append(id_like_note(id_like))
    return Inputs(ds, synth, hold, schema, target, sens, notes, str(name), id_like)


def id_like_columns(real: pl.DataFrame, schema: Schema) -> tuple[str, ...]:
    """The categorical columns with about one category per row (IDs, free text, ...).

    A column is ID-like when its real data holds more than
    :data:`ID_LIKE_MIN_LEVELS` (50) distinct values and more than
    :data:`ID_LIKE_SHARE` (half) as many distinct values as rows. Its pair
    tables, its detection signal and its use as a utility feature say nothing
    about the generator (almost every value is seen once), so those families
    skip it and the report carries a note (:func:`id_like_note`).
    """
    n = real.height
    out = []
    for c in schema.categorical:
        k = real[c].drop_nulls().n_unique()
        if k > ID_LIKE_MIN_LEVELS and k > ID_LIKE_SHARE * n:
            out.append(c)
    return tuple(out)


def id_like_note(columns: Iterable[str]) -> str | None:
    """The report note for the skipped ID-like columns (``None`` if there are none)."""
    columns = list(columns)
    if not columns:
        return None
    return (
        f"ID-like column(s) {columns} (more than {ID_LIKE_MIN_LEVELS} categories and more than "
        f"{ID_LIKE_SHARE:.0%} as many categories as real rows) are skipped by the pairwise, detection and "
        "utility families; column shapes, coverage and privacy still use them (one-hot capped at the "
        "most frequent categories plus '(other)')"
    )


def table_columns(schema: Schema) -> list[str]:
    """The modelled columns that hold one value per cell (every column but the text ones).

    Per-column and per-pair statistics (column shapes, pair trends) are defined
    on these; text columns are compared through their embeddings (coverage,
    privacy, detection, utility) and by the text metrics.
    """
    return [c for c in schema.columns if c not in schema.text]


def ordinal_matrix(frame: pl.DataFrame, schema: Schema, columns: list[str],
                   encoder: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Numeric columns as floats (null -> NaN), categoricals as codes, for
    scikit-learn's HistGradientBoosting with native categorical support.

    A missing category is NaN (the trees' missing branch); a value that is not
    among the schema's categories shares the last code (254) with the
    categories beyond the 254th, which the trees cannot tell apart anyway.
    A text column becomes the leading principal components of its embedding
    (:meth:`synthkit.encode.Encoder.text_components`; a missing document is NaN)
    when an ``encoder`` fitted on the real rows is given, and is left out otherwise.
    """
    text = [c for c in columns if c in schema.text]
    columns = [c for c in columns if c not in schema.text]
    blocks = [encoder.text_components(frame, c) for c in text] if encoder is not None else []
    out = np.empty((frame.height, len(columns)), dtype=np.float64)
    is_cat = np.zeros(len(columns), dtype=bool)
    if blocks:
        out = np.hstack([out, *blocks])
        is_cat = np.r_[is_cat, np.zeros(out.shape[1] - len(columns), dtype=bool)]
    for j, c in enumerate(columns):
        if c in schema.categorical:
            levels = schema.categories.get(c, ())
            raw = category_codes(frame[c], levels)
            codes = raw.astype(np.float64)
            # HistGradientBoosting accepts at most 255 categories: fold the rest together
            codes[(raw > 253) | (raw == UNSEEN)] = 254
            codes[raw == MISSING] = np.nan
            out[:, j] = codes
            is_cat[j] = True
        else:
            out[:, j] = frame[c].cast(pl.Float64).fill_null(np.nan).to_numpy()
    return out, is_cat
