"""Recursive generation: fit, sample, (curate), refit on the output, and measure.

Generation convention
---------------------
Generation 0 is the real rows the first model is fitted on (its metrics are
"real against real": a standard-deviation ratio of 1, about 2 % tail mass,
every category). Generation ``g >= 1`` holds the rows sampled from the g-th
fitted model: under ``replace`` model ``g + 1`` is fitted on generation ``g``'s
rows only. In the notation of :mod:`synthkit.collapse.theory` (which counts the
fit on the real rows as fit 1) generation ``g``'s rows come from model ``g`` and
are what model ``g + 1`` is fitted on, so e.g. the expected standard-deviation
ratio of generation ``g`` is ``c4(M) ** g``.

Regimes (``N`` = ``n_per_generation`` rows sampled each generation)
--------------------------------------------------------------------
- ``replace``: model ``g + 1`` is fitted on generation ``g`` only.
- ``accumulate``: model ``g + 1`` is fitted on the real rows plus every
  generation so far (Gerstgrasser et al. 2024).
- ``fresh``: the real rows are split once per seed into a seed of ``N`` rows
  (default: half of them) that the first model is fitted on and a held-out pool;
  generation 0 (what is measured and kept) is still all the real rows, as in every
  regime. Each later model is fitted on
  ``round(real_fraction * N)`` rows drawn new from the pool plus the rest from
  the last generation. When the pool is used up it is reshuffled and rows
  repeat (recorded in ``notes``).
- ``keep_real``: a fixed random subset of ``round(real_fraction * N)`` of the
  original real rows (drawn once per seed) is part of every training set, the
  rest comes from the last generation. With ``redraw_real=True`` the subset is
  drawn anew for every training set, as in Shumailov et al. 2024's "10 % of the
  original data preserved" (a random 10 % sampled at each generation).

With ``curate`` the callable sees each generation's rows and returns the ones
to keep. As in a real curation step, more rows are drawn from the same fitted
model (up to ``MAX_CURATE_ROUNDS`` batches) until ``n_per_generation`` rows are
kept, so curation never shrinks the training set; the metrics describe the
kept rows (what is published and trained on next), and ``kept_share`` records
the share of drawn rows that survived.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import polars as pl
from sklearn.base import clone

from .._checks import check_bool, check_int, check_random_state, check_sequence
from ..data import ROW_ID, Dataset, Schema, as_dataset, conform, with_row_ids
from ..encode import Encoder
from ..errors import DataError, GeneratorError, SchemaError, SynthkitError
from ..generators import Generator, make
from ..generators._columns import numeric_matrix
from . import _fast

__all__ = ["simulate", "CollapseResult", "CollapseError", "CurateContext", "METRICS", "REGIMES"]

REGIMES = ("replace", "accumulate", "fresh", "keep_real")
#: metric families; ``metrics=None`` computes every one that applies except the opt-in ones
#: (``minority_share`` also records ``group_share`` of every group of each sensitive column;
#: ``recognised``, see :mod:`synthkit.collapse.recognised`, must be asked for by name; ``text`` adds
#: perplexity, vocabulary, missing_words, distinct_2 and mean_length per text column, see
#: :mod:`synthkit.collapse.text`)
METRICS = ("std_ratio", "tail_mass", "categories", "minority_share", "coverage", "utility", "recognised", "text")
#: metrics computed only when named in ``metrics=``
OPT_IN_METRICS = ("recognised",)
#: rows per side used for precision/recall/density/coverage (k-NN cost grows with n^2)
COVERAGE_ROWS = 2000
#: share of the real rows held out as real test text when a text dataset comes without ``holdout=``
TEXT_HOLDOUT = 0.1
#: with ``curate``, batches drawn per generation (at most) until ``n_per_generation`` rows are kept
MAX_CURATE_ROUNDS = 20
TABLE_SCHEMA = {"seed": pl.Int64, "generation": pl.Int64, "metric": pl.String,
                "column": pl.String, "value": pl.Float64}


class CollapseError(SynthkitError, ValueError):
    """A collapse simulation was configured wrongly or produced an unusable generation."""


class _EmptyCuration(CollapseError):
    """A curator kept no row of one batch (retried with new rows inside a simulation)."""


@dataclass
class CurateContext:
    """What a ``curate(rows, context)`` callable may use.

    ``rows`` (the first argument) is the generation's frame with ``row_id`` and the
    schema's columns. ``encode(frame)`` puts rows into the encoded space the map and
    the metrics share; ``real_X`` is the real rows already encoded.
    """

    generation: int
    seed: int
    real: Dataset
    schema: Schema
    encoder: Encoder
    real_X: np.ndarray
    random_state: int

    def encode(self, frame: Any) -> np.ndarray:
        return self.encoder.transform(frame)


# --------------------------------------------------------------------------- result
@dataclass
class CollapseResult:
    """What :func:`simulate` returns.

    ``table``: long polars frame (seed, generation, metric, column, value);
    ``samples``: the kept generations' rows with seed, generation and row_id;
    ``config``: the arguments used; ``notes``: what was skipped or adapted, and why;
    ``words``: for text columns, every real training word each generation lost
    (seed, generation, column, word, real_count; empty without text).
    """

    table: pl.DataFrame
    samples: pl.DataFrame
    config: dict
    schema: Schema
    notes: list[str] = field(default_factory=list)
    words: pl.DataFrame | None = None

    def vanished(self, generation: int | None = None, column: str | None = None, seed: int | None = None,
                 top: int | None = 30) -> pl.DataFrame:
        """The real words a generation no longer uses (default: the last), most frequent first.

        One row per word with its count in the real training text and the number
        of seeds that lost it; ``top`` rows (None: all). Empty without text columns.
        """
        from .text import WORDS_SCHEMA, vanished

        words = self.words if self.words is not None else pl.DataFrame(schema=WORDS_SCHEMA)
        g = int(self.config["generations"]) if generation is None else int(generation)
        return vanished(words, g, column=column, seed=seed, top=top)

    def metrics(self) -> list[str]:
        """Metric names present in ``table``, in a stable order."""
        return self.table["metric"].unique(maintain_order=True).to_list()

    def aggregate(self) -> pl.DataFrame:
        """Mean, standard deviation and 10 %/90 % quantiles across seeds per generation/metric/column."""
        return (
            self.table.with_columns(pl.col("value").fill_nan(None))
            .group_by(["generation", "metric", "column"], maintain_order=True)
            .agg(
                pl.col("value").mean().alias("mean"),
                pl.col("value").std().alias("std"),
                pl.col("value").quantile(0.1, "linear").alias("q10"),
                pl.col("value").quantile(0.9, "linear").alias("q90"),
                pl.len().alias("seeds"),
            )
            .sort(["metric", "column", "generation"], nulls_last=False)
        )

    def summary(self, generations: Iterable[int] | None = None, metrics: Sequence[str] | None = None,
                decimals: int = 3) -> pl.DataFrame:
        """A small wide table: one row per generation, one column per headline metric.

        Numeric metrics are averaged over columns (``std_ratio``, ``tail_mass``),
        ``categories`` is the total number of surviving categories, minority shares
        are per sensitive column; every value is the mean over seeds, rounded.
        ``metrics`` keeps only those metrics (names absent from the run are skipped).
        """
        gmax = int(self.config["generations"])
        if generations is None:
            keep = {0, 1, gmax} | set(range(0, gmax + 1, max(1, gmax // 4)))
        else:
            keep = set(int(g) for g in generations)
        t = self.table.filter(pl.col("generation").is_in(sorted(keep)))
        t = t.filter(pl.col("metric") != "group_share")
        per_seed = t.with_columns(
            pl.when(pl.col("metric") == "minority_share")
            .then(pl.format("minority_share[{}]", pl.col("column")))
            .otherwise(pl.col("metric"))
            .alias("name")
        )
        # NaN (e.g. the std ratio of a column that is constant in the real rows) is left out
        per_seed = per_seed.with_columns(pl.col("value").fill_nan(None))
        agg = per_seed.group_by(["seed", "generation", "name"], maintain_order=True).agg(
            pl.when(pl.col("metric").first() == "categories")
            .then(pl.col("value").sum())
            .otherwise(pl.col("value").mean())
            .alias("value")
        )
        mean = agg.group_by(["generation", "name"], maintain_order=True).agg(pl.col("value").mean())
        order = [n for n in mean["name"].unique(maintain_order=True).to_list()]
        wide = mean.pivot(on="name", index="generation", values="value").sort("generation")
        cols = ["generation", *[c for c in order if c in wide.columns]]
        if metrics is not None:
            cols = ["generation", *[c for c in cols[1:] if c in metrics or c.split("[")[0] in metrics]]
        return wide.select(cols).with_columns(pl.col(pl.Float64).round(decimals))

    def plot(self, metrics: Sequence[str] | None = None, theory: Mapping[str, Any] | None = None):
        """Metrics over generations: the mean across seeds with a 10-90 % band."""
        from ..plots.collapse import collapse_metrics

        return collapse_metrics(self, metrics=metrics, theory=theory)

    def __repr__(self) -> str:
        c = self.config
        return (
            f"CollapseResult(generator={c['generator']!r}, regime={c['regime']!r}, "
            f"generations={c['generations']}, seeds={c['seeds']}, rows per generation="
            f"{c['n_per_generation']}, metrics={self.metrics()})"
        )


# --------------------------------------------------------------------------- metrics
class _Reference:
    """Everything about the real rows the metrics need, computed once."""

    def __init__(self, real: Dataset, metrics: set[str], holdout: Dataset | None,
                 random_state: int, notes: list[str]):
        s = real.schema
        self.schema = s
        self.metrics = metrics
        f = real.features
        self.numeric = list(s.numeric)
        if self.numeric:
            x = _numeric_matrix(f, self.numeric)
            with np.errstate(all="ignore"):
                self.std = np.nanstd(x, axis=0, ddof=1)
            self.q_lo = np.nanquantile(x, 0.01, axis=0)
            self.q_hi = np.nanquantile(x, 0.99, axis=0)
        self.categorical = list(s.categorical)
        self.lookups = {c: {v: i for i, v in enumerate(s.categories.get(c, ()))} for c in self.categorical}
        self.minority: dict[str, Any] = {}
        for c in s.sensitive:
            vc = f[c].drop_nulls().value_counts(sort=True)
            if vc.height >= 2:
                self.minority[c] = vc[c][-1]
        self._real = real
        self._encoder: Encoder | None = None
        self._real_X: np.ndarray | None = None
        self.prdc: Callable | None = None
        if "coverage" in metrics:
            from ..metrics.coverage import prdc

            self.prdc = prdc
            rng = np.random.default_rng([random_state, 7])
            idx = rng.permutation(len(self.real_X))[:COVERAGE_ROWS]
            self.cov_real = self.real_X[np.sort(idx)]
        self.tstr = None
        self.holdout = holdout
        if "utility" in metrics and s.target is not None:
            if holdout is None:
                notes.append("utility skipped: pass holdout= (a share such as 0.2, or held-out real rows) "
                             "to measure train-synthetic-test-real")
            else:
                from ..metrics.utility import tstr

                self.tstr = tstr
        self.text = None  # TextMetrics, set by simulate() for text columns
        self.recogniser = None
        if "recognised" in metrics:
            if s.target is None or s.target not in s.categorical:
                notes.append("recognised skipped: it needs a categorical target (the label a classifier "
                             "trained on the real rows should recognise)")
            else:
                from .recognised import Recogniser

                self.recogniser = Recogniser(real, random_state=random_state)

    @property
    def encoder(self) -> Encoder:
        """The Encoder fitted on the real rows (built on first use: coverage and curation need it)."""
        if self._encoder is None:
            self._encoder = Encoder().fit(self._real)
        return self._encoder

    @property
    def real_X(self) -> np.ndarray:
        if self._real_X is None:
            self._real_X = self.encoder.transform(self._real)
        return self._real_X

    def measure(self, rows: pl.DataFrame, seed: int, generation: int, rng_seed: int,
                out: list[tuple]) -> None:
        def add(metric: str, column: str | None, value: float) -> None:
            out.append((seed, generation, metric, column, float(value)))

        m = self.metrics
        n = rows.height
        if self.text is not None:
            self.text.measure(rows, seed, generation, add)
        if self.numeric and ("std_ratio" in m or "tail_mass" in m):
            self._numeric_metrics(_numeric_matrix(rows, self.numeric), n, add)
        if "categories" in m or "minority_share" in m:
            for c in self.categorical:
                col = rows[c]
                if "categories" in m:
                    add("categories", c, col.drop_nulls().n_unique())
                if "minority_share" in m and c in self.minority:
                    nn = n - col.null_count()
                    add("minority_share", c, (col == self.minority[c]).sum() / nn if nn else np.nan)
                    counts = dict(col.drop_nulls().value_counts().iter_rows())
                    for v in self.schema.categories.get(c, ()):
                        add("group_share", f"{c}={v}", counts.get(v, 0) / nn if nn else np.nan)
        self.measure_models(rows, seed, generation, rng_seed, out)

    def _numeric_metrics(self, x: np.ndarray, n: int, add: Callable) -> None:
        """``std_ratio`` and ``tail_mass`` of the numeric matrix ``x`` (``n`` rows, ``NaN`` = missing)."""
        m = self.metrics
        if "std_ratio" in m:
            with np.errstate(all="ignore"):
                sd = np.nanstd(x, axis=0, ddof=1) if n > 1 else np.zeros(len(self.numeric))
                ratio = np.where(self.std > 0, sd / np.where(self.std > 0, self.std, 1), np.nan)
            for c, v in zip(self.numeric, ratio):
                add("std_ratio", c, v)
        if "tail_mass" in m:
            with np.errstate(invalid="ignore"):
                valid = ~np.isnan(x)
                beyond = ((x < self.q_lo) | (x > self.q_hi)) & valid
                share = beyond.sum(axis=0) / np.maximum(valid.sum(axis=0), 1)
            for c, v in zip(self.numeric, share):
                add("tail_mass", c, v)

    @property
    def needs_rows(self) -> bool:
        """True when a metric needs the rows as a frame (coverage, utility, recognised)."""
        return self.prdc is not None or self.tstr is not None or self.recogniser is not None

    def measure_columns(self, cols: dict[str, np.ndarray], n: int, seed: int, generation: int, rng_seed: int,
                        out: list[tuple], rows: Callable[[], pl.DataFrame]) -> None:
        """:meth:`measure` on numpy columns (numeric float64 with ``NaN``, categorical codes with
        ``-1``): the same rows in the same order and the same values; ``rows()`` builds the
        frame for the metrics that need one (see :attr:`needs_rows`)."""
        def add(metric: str, column: str | None, value: float) -> None:
            out.append((seed, generation, metric, column, float(value)))

        m = self.metrics
        if self.numeric and ("std_ratio" in m or "tail_mass" in m):
            self._numeric_metrics(numeric_matrix(cols, self.numeric), n, add)
        if "categories" in m or "minority_share" in m:
            for c in self.categorical:
                codes = cols[c]
                present = codes[codes >= 0]
                if "categories" in m:
                    add("categories", c, len(np.unique(present)))
                if "minority_share" in m and c in self.minority:
                    nn = len(present)
                    cats = self.schema.categories.get(c, ())
                    counts = np.bincount(present, minlength=len(cats))
                    code = self.lookups[c].get(self.minority[c])
                    add("minority_share", c, int(counts[code]) / nn if nn and code is not None else
                        (0.0 if nn else np.nan))
                    for i, v in enumerate(cats):
                        add("group_share", f"{c}={v}", int(counts[i]) / nn if nn else np.nan)
        if self.needs_rows:
            self.measure_models(rows(), seed, generation, rng_seed, out)

    def measure_models(self, rows: pl.DataFrame, seed: int, generation: int, rng_seed: int,
                       out: list[tuple]) -> None:
        """The metrics that need the rows as a frame: coverage, utility, recognised."""
        def add(metric: str, column: str | None, value: float) -> None:
            out.append((seed, generation, metric, column, float(value)))

        if self.prdc is not None:
            sx = self.encoder.transform(rows)
            if len(sx) > COVERAGE_ROWS:
                sx = sx[np.sort(np.random.default_rng(rng_seed).permutation(len(sx))[:COVERAGE_ROWS])]
            for key, v in self.prdc(self.cov_real, sx, k=5).items():
                add(key, None, v)
        if self.tstr is not None:
            add("utility", None, self.tstr(rows, self.holdout, self.schema, rng_seed))
        if self.recogniser is not None:
            add("recognised", None,
                self.recogniser.real_score if generation == 0 else self.recogniser.score(rows))


def _load(module: str, attr: str) -> Callable | None:
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError):
        return None


def _numeric_matrix(frame: pl.DataFrame, columns: Sequence[str]) -> np.ndarray:
    return frame.select([pl.col(c).cast(pl.Float64) for c in columns]).to_numpy()


# --------------------------------------------------------------------------- checks
def _check_keep(keep_samples: Any) -> set[int]:
    """``keep_samples``: None or whole generation numbers >= 0."""
    if keep_samples is None:
        return set()
    items = check_sequence("keep_samples", keep_samples, what="generation numbers (e.g. (0, 5, 10))",
                           allow_none=True, error=CollapseError)
    return {check_int("keep_samples", g, minimum=0, hint=" (a generation number, e.g. (0, 5, 10))",
                      error=CollapseError) for g in items}


def _check_fraction(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not math.isfinite(value):
        raise CollapseError(f"{name} must be a number between 0 and 1, got {value!r}")
    if not 0.0 <= value <= 1.0:
        raise CollapseError(f"{name}={value} is outside [0, 1]; give the share of real rows, e.g. 0.1")
    return float(value)


def _base_generator(generator: Any, temperature: float) -> Generator:
    if isinstance(generator, str):
        try:
            gen = make(generator)
        except ImportError as exc:
            raise GeneratorError(
                f"generator {generator!r} cannot be loaded ({exc}); choose another, e.g. 'gaussian'"
            ) from None
    elif isinstance(generator, Generator):
        gen = generator
    elif hasattr(generator, "fit") and hasattr(generator, "sample"):
        ext = _load("synthkit.generators.external", "External")
        if ext is None:
            raise GeneratorError("wrap outside generators in a synthkit Generator subclass first")
        gen = ext(generator)
    else:
        raise GeneratorError(
            f"generator must be a registry name ({', '.join(sorted(_registry()))}) or a Generator, "
            f"got {type(generator).__name__}"
        )
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not (
        math.isfinite(temperature) and temperature > 0
    ):
        raise CollapseError(f"temperature={temperature!r} must be a positive number (1.0 = faithful)")
    if temperature != 1.0:
        if "temperature" not in gen.get_params(deep=False):
            raise GeneratorError(
                f"{type(gen).__name__} has no temperature parameter; use temperature=1.0 or a "
                "generator that has one (e.g. 'gaussian')"
            )
        gen = clone(gen).set_params(temperature=float(temperature))
    return gen


def _registry() -> list[str]:
    from ..generators import available

    return available()


def _as_holdout(holdout: Any, real: Dataset, random_state: int) -> tuple[Dataset, Dataset | None]:
    if holdout is None:
        return real, None
    if isinstance(holdout, (float, int)) and not isinstance(holdout, bool):
        h = float(holdout)
        if not 0.0 < h < 1.0:
            raise CollapseError(f"holdout={holdout} must be a share strictly between 0 and 1, or held-out rows")
        train, test = real.split(1.0 - h, random_state=random_state)
        return train, test
    try:
        test = Dataset(getattr(holdout, "name", "holdout"), conform(holdout, real.schema, what="holdout"),
                       real.schema)
    except DataError as exc:  # SchemaError included
        raise CollapseError(f"holdout must be a share such as 0.2 or held-out real rows with the real "
                            f"columns: {exc}") from None
    if test.frame.height < 2:
        raise CollapseError("holdout needs at least 2 rows")
    return real, test


def _check_rows(rows: Any, schema: Schema, n: int, generation: int, gen: Generator) -> pl.DataFrame:
    if not isinstance(rows, pl.DataFrame):
        raise GeneratorError(
            f"{type(gen).__name__}.sample returned {type(rows).__name__} in generation {generation}; "
            "it must return a polars DataFrame"
        )
    cols = [c for c in rows.columns if c != ROW_ID]
    if cols != list(schema.columns):
        missing = [c for c in schema.columns if c not in cols]
        extra = [c for c in cols if c not in schema.columns]
        raise GeneratorError(
            f"{type(gen).__name__} returned the wrong columns in generation {generation}: "
            f"missing {missing}, unexpected {extra}; it must return exactly {list(schema.columns)}"
        )
    if rows.height != n:
        raise GeneratorError(
            f"{type(gen).__name__} returned {rows.height} rows in generation {generation}; asked for {n}"
        )
    if any(rows[c].dtype != schema.polars_dtype(c) for c in schema.columns):
        try:
            rows = conform(rows, schema, what=f"generation {generation} rows")
        except SchemaError as exc:
            raise GeneratorError(str(exc)) from None
    return rows.select(schema.columns)


def _apply_curate(kept: Any, batch: pl.DataFrame, schema: Schema, generation: int, seed: int) -> pl.DataFrame:
    n = batch.height
    if kept is None:
        raise CollapseError(
            f"curate returned None for generation {generation}; return the kept rows (a frame, "
            "a boolean mask or row ids)"
        )
    if isinstance(kept, pl.Series) and kept.dtype == pl.Boolean or (
        isinstance(kept, np.ndarray) and kept.dtype == bool
    ):
        mask = np.asarray(kept, dtype=bool)
        if mask.shape != (n,):
            raise CollapseError(f"curate returned a mask of {mask.shape[0]} values for {n} rows")
        out = batch.filter(pl.Series(mask))
    elif isinstance(kept, pl.DataFrame) or type(kept).__module__.startswith("pandas"):
        frame = pl.from_pandas(kept) if not isinstance(kept, pl.DataFrame) else kept
        if ROW_ID in frame.columns:
            ids = set(frame[ROW_ID].to_list())
            unknown = ids - set(batch[ROW_ID].to_list())
            if unknown:
                raise CollapseError(
                    f"curate returned row ids not in generation {generation}: {sorted(unknown)[:3]}"
                )
            out = batch.filter(pl.col(ROW_ID).is_in(list(ids)))
        else:
            try:
                out = conform(frame, schema, what="curated rows")
            except SchemaError as exc:
                raise CollapseError(str(exc)) from None
            out = out.insert_column(0, pl.Series(ROW_ID, [f"curated:{i}" for i in range(out.height)]))
    elif isinstance(kept, (list, tuple, pl.Series, np.ndarray)):
        ids = [str(v) for v in kept]
        out = batch.filter(pl.col(ROW_ID).is_in(ids))
        if out.height != len(set(ids)):
            raise CollapseError(f"curate returned row ids that are not in generation {generation}")
    else:
        raise CollapseError(
            f"curate returned {type(kept).__name__}; return a frame of kept rows, a boolean mask or row ids"
        )
    if out.height == 0:
        raise _EmptyCuration(
            f"curate dropped every row of generation {generation} (seed {seed}); an empty generation "
            "cannot be fitted: loosen the curator (e.g. a larger distance) or curate less often"
        )
    return out


def _curate_rounds(curate, rows, gen, schema, N, g, s, sample_seed, rng, ds, ref, notes):
    """Curate, drawing more rows from the same fitted model until ``N`` are kept.

    A curation step in a real pipeline generates more and keeps the good rows; it
    does not shrink the training set. At most :data:`MAX_CURATE_ROUNDS` rounds;
    returns the kept rows (at most ``N``) and the kept share of all rows drawn.
    """
    kept, n_kept, n_drawn = [], 0, 0
    for r in range(MAX_CURATE_ROUNDS):
        if r:
            seed_r = int(rng.integers(2**31))
            rows = with_row_ids(_check_rows(gen.sample(N, random_state=seed_r), schema, N, g, gen),
                                f"gen{g}-s{s}", offset=n_drawn)
        else:
            seed_r = sample_seed
        ctx = CurateContext(g, s, ds, schema, ref.encoder, ref.real_X, seed_r)
        n_drawn += rows.height
        try:
            part = _apply_curate(curate(rows, ctx), rows, schema, g, s)
        except _EmptyCuration:
            part = None
        if part is not None:
            kept.append(part)
            n_kept += part.height
        if n_kept >= N:
            break
    if n_kept == 0:
        raise CollapseError(
            f"curate dropped every row of generation {g} (seed {s}) in {MAX_CURATE_ROUNDS} rounds of {N} rows; "
            "an empty generation cannot be fitted: loosen the curator (e.g. a larger distance)"
        )
    if n_kept < N and not any("fewer than" in n for n in notes):
        notes.append(f"curation kept fewer than {N} rows after {MAX_CURATE_ROUNDS} rounds in generation {g} "
                     f"(seed {s}); that generation has {n_kept} rows")
    out = pl.concat(kept, how="vertical").head(N)
    return out, n_kept / n_drawn


# --------------------------------------------------------------------------- main
def simulate(
    real: Any,
    generator: str | Generator = "copula",
    generations: int = 20,
    n_per_generation: int | None = None,
    regime: str = "replace",
    real_fraction: float = 0.0,
    temperature: float = 1.0,
    curate: Callable[[pl.DataFrame, CurateContext], Any] | None = None,
    seeds: int = 1,
    random_state: int = 0,
    keep_samples: Iterable[int] | None = (0, 5, 10, 20),
    progress: bool = True,
    metrics: Iterable[str] | None = None,
    holdout: Any = None,
    redraw_real: bool = False,
    fast: bool = True,
) -> CollapseResult:
    """Train generators on their own output for ``generations`` rounds and measure the drift.

    Parameters
    ----------
    real : the real Dataset (or a frame; its schema is then inferred).
    generator : registry name, Generator instance (cloned for every generation) or
        anything :func:`synthkit.generators.make` accepts.
    generations : number of synthetic generations (1 to 10,000); generation 0 is the real rows.
    n_per_generation : rows sampled per generation (default: the number of real rows;
        for ``fresh`` half of them, the other half being the held-out pool).
    regime : ``"replace"``, ``"accumulate"``, ``"fresh"`` or ``"keep_real"`` (module docstring).
    real_fraction : share of each training set that is real (``fresh`` and ``keep_real``,
        which need it > 0; ``replace`` and ``accumulate`` need it 0).
    temperature : set on generators that have a ``temperature`` parameter (< 1
        sharpens); left as the generator's own when 1.0.
    curate : ``curate(rows, context) -> kept`` with ``kept`` a frame of rows (with
        ``row_id``), a boolean mask or row ids; see :mod:`synthkit.collapse.curators`.
    seeds : independent repetitions (1 to 1,000); ``random_state`` (a whole number from 0 to
        2**32 - 1) seeds them all.
    keep_samples : generation numbers whose rows are kept in ``result.samples`` (None: none).
    metrics : subset of :data:`METRICS` (default: all that apply, except ``recognised``,
        which needs a categorical target and is computed only when named).
    holdout : real rows for train-synthetic-test-real (a share such as 0.2 is split
        off the real rows before anything else, or a frame of held-out rows). For text
        columns they are also the real test text whose perplexity is measured; without
        ``holdout`` a text dataset has ``TEXT_HOLDOUT`` (10 %) of its real rows held out
        for that alone (said in ``notes``).
    redraw_real : ``keep_real`` only: draw the kept real rows anew for every training
        set instead of once per seed (Shumailov et al. 2024 sample a random 10 % of
        the original data at each generation). A fixed small subset drifts like a
        small seed; redrawn subsets bring back, over the generations, the whole real set.
    fast : run the closed-form generators (gaussian, copula, bootstrap) on numpy
        arrays instead of a polars frame per generation, when nothing needs the
        frames (no ``curate``, no image or text columns). The result is the same
        table and samples, from the same random streams; ``False`` forces the
        per-seed frame path (see :mod:`synthkit.collapse._fast`).
    """
    plan = _plan(real, generator, generations, n_per_generation, regime, real_fraction, temperature,
                 curate, seeds, random_state, keep_samples, metrics, holdout)
    plan.redraw_real = check_bool("redraw_real", redraw_real, error=CollapseError)
    if plan.redraw_real and plan.regime != "keep_real":
        raise CollapseError(f"redraw_real=True applies to regime 'keep_real' only, not {plan.regime!r}")
    ref = _Reference(plan.ds, plan.metrics, plan.test, plan.random_state, plan.notes)
    if plan.text_test is not None:
        from .text import TextMetrics

        ref.text = TextMetrics(plan.ds, plan.text_test)
    out = _Output()

    fast = check_bool("fast", fast, error=CollapseError)
    from tqdm.auto import tqdm

    bar = tqdm(total=plan.seeds * plan.generations, disable=not progress, desc="collapse", leave=False)
    try:
        if fast and _fast.fast_path(plan):
            _fast.run(plan, ref, out, bar)
        else:
            for s in range(plan.seeds):
                _run_seed(plan, ref, s, out, bar)
    finally:
        bar.close()
    result = _result(plan, out)
    if ref.text is not None:
        result.words = ref.text.words()
    return result


# --------------------------------------------------------------------------- steps
@dataclass
class _Plan:
    """The checked settings of one :func:`simulate` call."""

    ds: Dataset
    test: Dataset | None
    base: Generator
    generator_name: str
    generations: int
    N: int
    regime: str
    real_fraction: float
    k_real: int
    temperature: float
    curate: Callable | None
    seeds: int
    random_state: int
    keep: set[int]
    metrics: set[str]
    notes: list[str]
    text_test: Dataset | None = None  # the real test text of the text metrics
    redraw_real: bool = False  # keep_real: new real rows for every training set

    @property
    def schema(self) -> Schema:
        return self.ds.schema


@dataclass
class _Output:
    """What the seeds collect: metric rows ``(seed, generation, metric, column, value)`` and kept samples."""

    rows: list[tuple] = field(default_factory=list)
    samples: list[pl.DataFrame] = field(default_factory=list)


@dataclass
class _SeedState:
    """One seed's training set and the real rows its regime mixes in."""

    train: pl.DataFrame
    generation0: pl.DataFrame
    pool: np.ndarray | None = None
    pool_pos: int = 0
    pool_noted: bool = False
    kept_real: pl.DataFrame | None = None
    history: list[pl.DataFrame] | None = None


def _check_metrics(metrics: Any) -> set[str]:
    if isinstance(metrics, str):
        wanted = {metrics}
    else:
        wanted = set(METRICS) - set(OPT_IN_METRICS) if metrics is None else set(
            check_sequence("metrics", metrics, what=f"metric names from {list(METRICS)}", error=CollapseError))
    unknown = wanted - set(METRICS)
    if unknown:
        raise CollapseError(f"metrics= names unknown metric(s) {sorted(map(str, unknown))}; choose from {list(METRICS)}")
    return wanted


def _check_regime(regime: Any, real_fraction: Any) -> float:
    """The checked ``real_fraction`` for ``regime`` (each regime takes real rows its own way)."""
    if not isinstance(regime, str) or regime not in REGIMES:
        raise CollapseError(f"regime={regime!r} is not one of {list(REGIMES)}")
    real_fraction = _check_fraction("real_fraction", real_fraction)
    if real_fraction > 0 and regime in ("replace", "accumulate"):
        raise CollapseError(
            f"real_fraction={real_fraction} only applies to regime 'fresh' or 'keep_real'; "
            f"regime {regime!r} decides its real rows itself"
        )
    if regime in ("fresh", "keep_real") and real_fraction == 0.0:
        raise CollapseError(
            f"regime {regime!r} mixes real rows into every training set, and real_fraction=0.0 "
            f"would mix in none (that is regime 'replace'); pass real_fraction > 0, e.g. 0.1"
        )
    return real_fraction


def _plan(real, generator, generations, n_per_generation, regime, real_fraction, temperature, curate,
          seeds, random_state, keep_samples, metrics, holdout) -> _Plan:
    """Check every argument, split off the holdout and size each generation's real share."""
    ds = as_dataset(real)
    generations = check_int("generations", generations, minimum=1, maximum=10_000, error=CollapseError)
    seeds = check_int("seeds", seeds, minimum=1, maximum=1_000, error=CollapseError)
    real_fraction = _check_regime(regime, real_fraction)
    random_state = check_random_state(random_state, allow_generator=False, allow_none=False,
                                      error=CollapseError)
    if curate is not None and not callable(curate):
        raise CollapseError("curate must be a callable(rows, context) returning the rows to keep")
    wanted = _check_metrics(metrics)
    keep = _check_keep(keep_samples)
    base = _base_generator(generator, temperature)
    notes: list[str] = []

    ds, test = _as_holdout(holdout, ds, random_state)
    text_test = test
    if "text" in wanted and ds.schema.text and test is None:
        ds, text_test = ds.split(1.0 - TEXT_HOLDOUT, random_state=random_state)
        notes.append(f"text: {len(text_test)} real rows ({TEXT_HOLDOUT:.0%}) held out as the real test text "
                     "of the perplexity; pass holdout= to choose them")
    if not ds.schema.text:
        text_test = None
        if metrics is not None and "text" in wanted:
            notes.append("text skipped: the data has no text columns")
    n_real = len(ds)
    if n_per_generation is None:
        n_per_generation = n_real // 2 if regime == "fresh" else n_real
    N = check_int("n_per_generation", n_per_generation, minimum=2, maximum=10_000_000,
                  error=CollapseError)
    k_real = int(round(real_fraction * N)) if regime in ("fresh", "keep_real") else 0
    if regime == "fresh":
        if N >= n_real:
            raise CollapseError(
                f"regime 'fresh' needs a held-out pool: n_per_generation={N} leaves none of the "
                f"{n_real} real rows; pass n_per_generation < {n_real} (default: half)"
            )
        if k_real > n_real - N:
            notes.append(f"the fresh pool ({n_real - N} rows) is smaller than one generation's "
                         f"{k_real} fresh rows; rows repeat within a generation")
    if regime == "keep_real" and k_real > n_real:
        notes.append(f"keep_real asks for {k_real} real rows but there are {n_real}; all are kept")
        k_real = n_real
    if k_real >= N and regime in ("fresh", "keep_real"):
        notes.append("real_fraction=1: every training set is real rows only (no recursion)")
    name = generator if isinstance(generator, str) else type(base).__name__
    return _Plan(ds, test, base, name, generations, N, regime, real_fraction, k_real, temperature, curate,
                 seeds, random_state, keep, wanted, notes, text_test if "text" in wanted else None)


def _start_seed(plan: _Plan, rng: np.random.Generator) -> _SeedState:
    """Generation 0 and the first training set (``fresh`` splits off its pool here)."""
    ds, feats, N = plan.ds, plan.ds.features, plan.N
    if plan.regime == "fresh":
        perm = rng.permutation(len(ds))
        seed_idx = np.sort(perm[:N])
        # generation 0 is the real rows in every regime; only the first model sees just the seed part
        state = _SeedState(train=feats[seed_idx], generation0=ds.frame, pool=perm[N:])
    else:
        state = _SeedState(train=feats, generation0=ds.frame)
    if plan.regime == "keep_real" and plan.k_real:
        state.kept_real = feats[np.sort(rng.choice(len(ds), size=plan.k_real, replace=False))]
    if plan.regime == "accumulate":
        state.history = [feats]
    return state


def _fit_generation(plan: _Plan, train: pl.DataFrame, g: int, s: int) -> Generator:
    """A fresh clone of the generator fitted on ``train`` (a failure names the generation)."""
    gen = clone(plan.base)
    try:
        # one chunk: a polars reduction in a fit (the bootstrap's standard deviations) then gives
        # the same bits whichever regime glued the training set together (and as the numpy path)
        gen.fit(Dataset(plan.ds.name, train.rechunk(), plan.schema))
    except SynthkitError:
        raise
    except Exception as exc:  # noqa: BLE001 - name the generation and re-raise clearly
        raise GeneratorError(
            f"{type(gen).__name__} failed to fit generation {g} (seed {s}) on {train.height} rows: {exc}"
        ) from exc
    return gen


def _draw_generation(plan: _Plan, ref: _Reference, gen: Generator, g: int, s: int, sample_seed: int,
                     rng: np.random.Generator, out: _Output) -> pl.DataFrame:
    """Generation ``g``'s rows: sampled, curated when asked (recording ``kept_share``), kept when asked."""
    schema, N = plan.schema, plan.N
    rows = _check_rows(gen.sample(N, random_state=sample_seed), schema, N, g, gen)
    if plan.curate is not None or g in plan.keep:
        rows = with_row_ids(rows, f"gen{g}-s{s}")
    if plan.curate is not None:
        rows, share = _curate_rounds(plan.curate, rows, gen, schema, N, g, s, sample_seed, rng, plan.ds, ref,
                                     plan.notes)
        out.rows.append((s, g, "kept_share", None, share))
    if g in plan.keep:
        out.samples.append(_tag(rows, s, g))
    return rows.select(schema.columns) if ROW_ID in rows.columns else rows


class _FrameRows:
    """Row operations on polars frames (the numpy-column path has its own, in :mod:`._fast`)."""

    take = staticmethod(lambda rows, idx: rows[idx])
    head = staticmethod(lambda rows, k: rows.head(k))
    concat = staticmethod(lambda parts: pl.concat(parts, how="vertical"))
    count = staticmethod(lambda rows: rows.height)


def _next_training_set(plan: _Plan, state: Any, real: Any, synth: Any, g: int, s: int,
                       rng: np.random.Generator, ops: Any = _FrameRows) -> Any:
    """What model ``g + 1`` is fitted on, by regime (module docstring).

    ``real`` and ``synth`` are rows in whatever form ``ops`` works on (frames, or
    numpy columns on the fast path), so both paths make the same draws in the
    same order.
    """
    N, k_real = plan.N, plan.k_real
    if plan.regime == "replace":
        train = synth
    elif plan.regime == "accumulate":
        state.history.append(synth)
        train = ops.concat(state.history)
    elif plan.regime == "fresh":
        take, state.pool_pos, wrapped = _draw_pool(state.pool, state.pool_pos, k_real, rng)
        if wrapped and not state.pool_noted:
            state.pool_noted = True
            plan.notes.append(f"seed {s}: the fresh pool was used up by generation {g}; "
                              "real rows repeat after that")
        train = ops.concat([ops.take(real, take), ops.head(synth, N - k_real)]) if k_real else synth
    else:  # keep_real
        if plan.redraw_real and k_real:
            state.kept_real = ops.take(real, np.sort(rng.choice(ops.count(real), size=k_real, replace=False)))
        train = ops.concat([state.kept_real, ops.head(synth, N - k_real)]) if k_real else synth
    if ops.count(train) < 2:
        raise CollapseError(
            f"generation {g} (seed {s}) left {ops.count(train)} training row(s); "
            "at least 2 are needed to fit the next generation"
        )
    return train


def _run_seed(plan: _Plan, ref: _Reference, s: int, out: _Output, bar: Any) -> None:
    """One independent repetition: measure generation 0, then fit, draw, measure and refit."""
    rng = np.random.default_rng([plan.random_state, s])
    schema = plan.schema
    state = _start_seed(plan, rng)
    ref.measure(state.generation0.select(schema.columns), s, 0, int(rng.integers(2**31)), out.rows)
    if 0 in plan.keep:
        out.samples.append(_tag(state.generation0.select([ROW_ID, *schema.columns]), s, 0))
    for g in range(1, plan.generations + 1):
        gen = _fit_generation(plan, state.train, g, s)
        sample_seed = int(rng.integers(2**31))
        synth = _draw_generation(plan, ref, gen, g, s, sample_seed, rng, out)
        ref.measure(synth, s, g, sample_seed, out.rows)
        state.train = _next_training_set(plan, state, plan.ds.features, synth, g, s, rng)
        bar.update(1)


def _result(plan: _Plan, out: _Output) -> CollapseResult:
    table = pl.DataFrame(out.rows, schema=TABLE_SCHEMA, orient="row")
    samples = (pl.concat(out.samples, how="vertical") if out.samples
               else pl.DataFrame(schema={"seed": pl.Int64, "generation": pl.Int64, ROW_ID: pl.String}))
    c = plan.curate
    config = dict(
        generator=plan.generator_name,
        generator_params={k: v for k, v in plan.base.get_params(deep=False).items()
                          if isinstance(v, (int, float, str, bool, type(None)))},
        generations=plan.generations, n_per_generation=plan.N, regime=plan.regime,
        real_fraction=plan.real_fraction, temperature=plan.temperature,
        curate=getattr(c, "__name__", None) if c else None, seeds=plan.seeds, random_state=plan.random_state,
        keep_samples=sorted(plan.keep), redraw_real=plan.redraw_real, dataset=plan.ds.name, n_real=len(plan.ds), n_real_kept=plan.k_real,
        holdout_rows=len(plan.test) if plan.test is not None else 0,
    )
    return CollapseResult(table, samples, config, plan.schema, plan.notes)


def _tag(frame: pl.DataFrame, seed: int, generation: int) -> pl.DataFrame:
    return frame.select(
        pl.lit(seed, dtype=pl.Int64).alias("seed"), pl.lit(generation, dtype=pl.Int64).alias("generation"),
        pl.all(),
    )


def _draw_pool(pool: np.ndarray, pos: int, k: int, rng: np.random.Generator) -> tuple[np.ndarray, int, bool]:
    """The next ``k`` rows of the (shuffled) pool; reshuffles when it runs out."""
    if k == 0:
        return pool[:0], pos, False
    out, wrapped = [], False
    while k > 0:
        if pos >= len(pool):
            rng.shuffle(pool)
            pos, wrapped = 0, True
        take = pool[pos: pos + k]
        out.append(take)
        pos += len(take)
        k -= len(take)
    return np.sort(np.concatenate(out)), pos, wrapped
