"""Ready-made ``curate=`` callables for :func:`synthkit.collapse.simulate`.

Each returns a function ``curate(rows, context) -> boolean mask`` (True = keep).
Distances are measured in the encoded space the map and the metrics share
(:class:`synthkit.Encoder`, fitted on the real rows), so "far from the real
data" means the same thing here as on the map. They are exact (a curator's
verdict depends on them), from :class:`synthkit.neighbors.ExactIndex`.

- :func:`drop_far_from_real`: drop rows whose nearest real row is farther than
  ``max_dist`` (off-manifold rows, implausible combinations).
- :func:`drop_near_copies`: drop rows closer than ``min_dist`` to a real row
  (memorised copies).
- :func:`from_suggest`: drop the rows ``sk.suggest()`` flags with the given
  kinds, or (``method="rules"``) apply the two rules above with data-driven
  thresholds.
- :func:`from_tags`: new rows never share ids with tagged rows, so a tag acts
  as a *region*: a new row is dropped when its nearest neighbour among the
  untagged real rows and the tagged rows is a tagged row ("whatever lands
  next to what a person flagged").
- :func:`match_real_density`: thin the rows where the synthetic density
  exceeds the real one (k-NN density ratio), which keeps the tails a shrinking
  generator under-samples; the curator that holds collapse off.
- :func:`balance_groups`: subsample so a categorical column's group shares
  match the real ones (or given shares): repairs an amplified bias.
- :func:`keep_recognised`: keep the rows whose target a classifier trained on
  the real rows predicts from their other columns (label consistency).
- :func:`drop_memorised`: drop rows whose text shares a run of ``min_ngram``
  or more consecutive tokens with a real text (copied passages; text columns).
- :func:`chain`: apply several curators in turn.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

import numpy as np
import polars as pl
from .._checks import check_int
from ..data import ROW_ID, conform
from ..errors import DataError
from ..neighbors import ExactIndex
from .simulate import CurateContext

__all__ = ["apply", "drop_far_from_real", "drop_near_copies", "from_suggest", "from_tags", "match_real_density",
           "balance_groups", "chain", "keep_recognised", "nearest_real_distance", "drop_memorised"]

Curator = Callable[[pl.DataFrame, CurateContext], np.ndarray]


class _RealIndex:
    """A nearest-neighbour index of the encoded real rows, built once per real set."""

    def __init__(self) -> None:
        self._key: int | None = None
        self._nn: ExactIndex | None = None
        self._real_nn_dist: np.ndarray | None = None

    def get(self, ctx: CurateContext) -> ExactIndex:
        key = id(ctx.real_X)
        if self._key != key:
            self._nn = _real_index(ctx)
            self._real_nn_dist = None
            self._key = key
        return self._nn

    @property
    def real_nn_dist(self) -> np.ndarray:
        """Each real row's distance to its nearest other real row (computed on first use)."""
        if self._real_nn_dist is None:
            assert self._nn is not None
            self._real_nn_dist = self._nn.self_query(1)[0][:, 0]
        return self._real_nn_dist

    def distance(self, rows: pl.DataFrame, ctx: CurateContext) -> np.ndarray:
        d, _ = self.get(ctx).query(ctx.encode(rows), 1)
        return d[:, 0]


def nearest_real_distance(rows: pl.DataFrame, ctx: CurateContext) -> np.ndarray:
    """Distance from each row to its nearest real row (encoded space)."""
    return _RealIndex().distance(rows, ctx)


def _check_dist(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value < 0:
        raise DataError(f"{name}={value!r} must be a finite distance >= 0 (in encoded units)")
    return float(value)


def drop_far_from_real(max_dist: float) -> Curator:
    """Keep rows within ``max_dist`` of their nearest real row (encoded units).

    One encoded unit is about one real standard deviation of a numeric column, or
    one changed category. Typical values: 1-3.
    """
    max_dist = _check_dist("max_dist", max_dist)
    index = _RealIndex()

    def curate(rows: pl.DataFrame, ctx: CurateContext) -> np.ndarray:
        return index.distance(rows, ctx) <= max_dist

    curate.__name__ = f"drop_far_from_real({max_dist:g})"
    return curate


def drop_near_copies(min_dist: float) -> Curator:
    """Keep rows at least ``min_dist`` away from every real row (drops memorised copies)."""
    min_dist = _check_dist("min_dist", min_dist)
    index = _RealIndex()

    def curate(rows: pl.DataFrame, ctx: CurateContext) -> np.ndarray:
        return index.distance(rows, ctx) >= min_dist

    curate.__name__ = f"drop_near_copies({min_dist:g})"
    return curate


def from_suggest(kinds: Sequence[str] = ("off-manifold", "near-copy"), quantile: float = 0.99,
                 method: str = "suggest") -> Curator:
    """Drop the rows ``sk.suggest(real, rows)`` flags with one of ``kinds``.

    ``method="suggest"`` runs :func:`synthkit.suggest` on every generation (thorough:
    a detection model, coverage, privacy and subgroup checks; a few seconds per
    call). ``method="rules"`` finds the two basic kinds by rule, in milliseconds:
    *off-manifold* = farther from the real rows than the ``quantile`` of the real
    rows' own nearest-neighbour distances; *near-copy* = closer to a real row than
    1e-6 (an exact copy). Use the rules inside long simulations.
    """
    if method not in ("suggest", "rules"):
        raise DataError(f"method={method!r} must be 'suggest' or 'rules'")
    kinds = tuple(kinds)
    if not kinds:
        raise DataError("from_suggest needs at least one kind, e.g. ('off-manifold', 'near-copy')")
    if not 0.5 <= quantile < 1.0:
        raise DataError(f"quantile={quantile} must be in [0.5, 1)")
    index = _RealIndex()

    def curate(rows: pl.DataFrame, ctx: CurateContext) -> np.ndarray:
        if method == "suggest":
            return ~rows[ROW_ID].is_in(list(_suggested_ids(rows, ctx, kinds))).to_numpy()
        d = index.distance(rows, ctx)
        keep = np.ones(rows.height, dtype=bool)
        if "off-manifold" in kinds:
            keep &= d <= np.quantile(index.real_nn_dist, quantile)
        if "near-copy" in kinds:
            keep &= d > 1e-6
        return keep

    curate.__name__ = f"from_suggest({', '.join(kinds)}; {method})"
    return curate


def _suggested_ids(rows: pl.DataFrame, ctx: CurateContext, kinds: Sequence[str]) -> set[str]:
    from ..metrics import suggest

    return {rid for region in suggest(ctx.real, rows, random_state=ctx.random_state) if region.kind in kinds
            for rid in region.row_ids}


def from_tags(source: Any, labels: Iterable[str] | str = ("off-manifold", "near-copy")) -> Curator:
    """Drop new rows that land next to tagged rows (a tag used as a region rule).

    ``source`` is a Workspace (its tags with one of ``labels`` are used), a
    sequence of tags, or directly a frame of tagged rows (the schema's columns).
    A new row is dropped when its nearest neighbour among the untagged real rows
    and the tagged rows is a tagged row; this works although the new rows' ids
    never match the tagged ones.
    """
    labels = (labels,) if isinstance(labels, str) else tuple(labels)
    state: dict[str, Any] = {}

    def curate(rows: pl.DataFrame, ctx: CurateContext) -> np.ndarray:
        if state.get("key") != id(ctx.real_X):
            tagged = _tagged_rows(source, labels, ctx)
            if tagged.height == 0:
                raise DataError(f"no tagged rows with labels {list(labels)}; tag some rows first")
            tagged_ids = set(tagged[ROW_ID].to_list()) if ROW_ID in tagged.columns else set()
            real_ids = ctx.real.frame[ROW_ID]
            clean = ~real_ids.is_in(list(tagged_ids)).to_numpy()
            ref = np.vstack([ctx.real_X[clean], ctx.encode(tagged)])
            is_tag = np.r_[np.zeros(int(clean.sum()), bool), np.ones(tagged.height, bool)]
            state.update(key=id(ctx.real_X), nn=ExactIndex(ref), is_tag=is_tag)
        _, idx = state["nn"].query(ctx.encode(rows), 1)
        return ~state["is_tag"][idx[:, 0]]

    curate.__name__ = f"from_tags({', '.join(labels)})"
    return curate


def _tagged_rows(source: Any, labels: Sequence[str], ctx: CurateContext) -> pl.DataFrame:
    if isinstance(source, pl.DataFrame):
        return conform(source, ctx.schema, what="tagged rows")
    if hasattr(source, "rows_tagged") and hasattr(source, "rows"):  # a Workspace
        ids = sorted(source.rows_tagged(list(labels)))
        if not ids:
            return pl.DataFrame(schema={ROW_ID: pl.String})
        return conform(source.rows(ids), ctx.schema, what="tagged rows")
    tags = source
    for name in ("tags", "list_tags"):
        if hasattr(source, name) and callable(getattr(source, name)):
            tags = getattr(source, name)()
            break
    if isinstance(tags, pl.DataFrame):
        tags = tags.to_dicts()
    ids: list[str] = []
    for t in tags:
        label = t.get("label") if isinstance(t, dict) else getattr(t, "label", None)
        active = t.get("active", True) if isinstance(t, dict) else getattr(t, "active", True)
        if label in labels and active:
            rid = t.get("row_ids") if isinstance(t, dict) else getattr(t, "row_ids", ())
            ids.extend(str(r) for r in rid or ())
    ids = list(dict.fromkeys(ids))
    real = ctx.real.frame.filter(pl.col(ROW_ID).is_in(ids))
    others = [i for i in ids if i not in set(real[ROW_ID].to_list())]
    frames = [real.select([ROW_ID, *ctx.schema.columns])]
    if others:
        getter = next((getattr(source, n) for n in ("rows", "get_rows") if hasattr(source, n)), None)
        if getter is None:
            raise DataError("tags point at synthetic rows but the source cannot look rows up; "
                            "pass a Workspace or a frame of the tagged rows")
        got = conform(getter(others), ctx.schema, what="tagged rows")
        if ROW_ID not in got.columns:
            got = got.insert_column(0, pl.Series(ROW_ID, others[: got.height]))
        frames.append(got.select([ROW_ID, *ctx.schema.columns]))
    return pl.concat(frames, how="vertical")


def match_real_density(k: int = 10) -> Curator:
    """Keep each row with probability ``min(1, real density / synthetic density)``.

    The densities are k-nearest-neighbour estimates in the encoded space: around
    each synthetic row, the radius holding its ``k`` nearest synthetic neighbours
    is found and the real rows inside it are counted. Where a collapsing generator
    piles rows up (the centre, the common groups) the ratio is below 1 and rows
    are thinned; where it under-samples (tails, rare groups) every row is kept.
    The kept rows are therefore closer to the real distribution than the drawn
    ones (rejection sampling with an estimated density ratio).
    """
    k = check_int("k", k, minimum=1, hint=" (neighbours, e.g. 5)")

    def curate(rows: pl.DataFrame, ctx: CurateContext) -> np.ndarray:
        xs = ctx.encode(rows)
        n_s, n_r = len(xs), len(ctx.real_X)
        kk = min(k, n_s - 1)
        if kk < 1:
            return np.ones(n_s, dtype=bool)
        d, _ = ExactIndex(xs).self_query(kk)
        radius = d[:, -1]
        counts = _real_index(ctx).count_within(xs, radius)
        ratio = (counts / n_r) / (kk / n_s)
        rng = np.random.default_rng([ctx.random_state, 17])
        return rng.random(n_s) < np.minimum(1.0, ratio)

    curate.__name__ = f"match_real_density(k={k})"
    return curate


def _real_index(ctx: CurateContext) -> ExactIndex:
    """The exact index of the encoded real rows, built once per real set (kept on the encoder)."""
    cache = getattr(ctx.encoder, "_collapse_real_nn", None)
    if cache is None or cache[0] is not ctx.real_X:
        cache = (ctx.real_X, ExactIndex(ctx.real_X))
        ctx.encoder._collapse_real_nn = cache
    return cache[1]


def balance_groups(column: str, shares: dict | None = None) -> Curator:
    """Subsample so ``column``'s group shares match ``shares`` (default: the real shares).

    Keeps as many rows as possible: the most over-represented groups are thinned,
    no row is invented. Groups missing from a generation cannot be brought back
    (sample them explicitly with ``generator.sample(n, conditions={column: group})``).
    """
    if not isinstance(column, str):
        raise DataError(f"column must be a column name, got {column!r}")

    def curate(rows: pl.DataFrame, ctx: CurateContext) -> np.ndarray:
        if column not in ctx.schema.categorical:
            raise DataError(f"balance_groups needs a categorical column; {column!r} is not one "
                            f"(categorical columns: {list(ctx.schema.categorical)})")
        want = shares
        if want is None:
            vc = ctx.real.frame[column].drop_nulls().value_counts()
            want = dict(zip(vc[column].to_list(), (vc["count"] / vc["count"].sum()).to_list()))
        vals = rows[column].to_numpy()
        have = {g: int((vals == g).sum()) for g in want}
        present = {g: s for g, s in want.items() if have[g] > 0 and s > 0}
        if not present:
            return np.ones(rows.height, dtype=bool)
        total = sum(present.values())
        scale = min(have[g] / (s / total) for g, s in present.items())
        rng = np.random.default_rng([ctx.random_state, 23])
        keep = np.ones(rows.height, dtype=bool)
        for g, s in present.items():
            idx = np.nonzero(vals == g)[0]
            n_keep = int(round(scale * s / total))
            if n_keep < len(idx):
                keep[rng.choice(idx, size=len(idx) - n_keep, replace=False)] = False
        return keep

    curate.__name__ = f"balance_groups({column})"
    return curate


def keep_recognised() -> Curator:
    """Keep the rows whose target is the class a classifier trained on the real rows predicts.

    The classifier (:class:`synthkit.collapse.recognised.Recogniser`, a logistic
    regression on every other column) is fitted once on the real rows the
    simulation started from. A row whose label disagrees with its measurements,
    as judged by the real rows, is dropped. This checks the relation between the
    target and the other columns, which distance and density rules do not see;
    it brings knowledge of the real rows into every generation, so it is a
    repair with real information, not a self-correction. Needs a categorical target.
    """
    cache: dict[int, Any] = {}

    def curate(rows: pl.DataFrame, ctx: CurateContext) -> np.ndarray:
        from .recognised import Recogniser

        s = ctx.schema
        if s.target is None or s.target not in s.categorical:
            raise DataError("keep_recognised needs a categorical target; this dataset has "
                            f"{'none' if s.target is None else 'a numeric one'}; choose another curator")
        key = id(ctx.real)
        if key not in cache:
            cache.clear()
            cache[key] = Recogniser(ctx.real, random_state=0)
        return cache[key].recognised(rows)

    curate.__name__ = "keep_recognised"
    return curate


def drop_memorised(min_ngram: int = 8, columns: Sequence[str] | None = None) -> Curator:
    """Drop rows whose text shares ``min_ngram`` or more consecutive tokens with a real text.

    The memorisation test of ``evaluate()``'s text family (``memorised_share``, 8 tokens by
    default) used as a filter: a copied or near-copied passage is dropped before it is
    trained on. ``columns``: the text columns to check (default: every text column); a row
    is dropped when any of them shares such a run.
    """
    min_ngram = check_int("min_ngram", min_ngram, minimum=1, hint=" (tokens in a run shared with a real text)")
    cache: dict[tuple[int, str], list] = {}

    def curate(rows: pl.DataFrame, ctx: CurateContext) -> np.ndarray:
        from ..metrics.text import longest_shared_ngram
        from ..text.tokens import tokenize_all

        cols = list(columns) if columns is not None else list(ctx.schema.text)
        if not cols:
            raise DataError("drop_memorised checks text columns and this dataset has none; choose another curator")
        bad = [c for c in cols if c not in ctx.schema.text]
        if bad:
            raise DataError(f"drop_memorised: column(s) {bad} are not text columns; the text columns are "
                            f"{list(ctx.schema.text)}")
        keep = np.ones(rows.height, dtype=bool)
        for c in cols:
            key = (id(ctx.real), c)
            if key not in cache:
                if len(cache) > 8:
                    cache.clear()
                cache[key] = tokenize_all(ctx.real.frame[c].drop_nulls())
            shared = longest_shared_ngram(tokenize_all(rows[c]), cache[key], max_n=min_ngram)
            keep &= shared.length < min_ngram
        return keep

    curate.__name__ = f"drop_memorised({min_ngram})"
    return curate


def chain(*curators: Curator) -> Curator:
    """Apply curators one after another (a row must pass all of them)."""
    if not curators:
        raise DataError("chain needs at least one curator")

    def curate(rows: pl.DataFrame, ctx: CurateContext) -> np.ndarray:
        keep = np.ones(rows.height, dtype=bool)
        for c in curators:
            keep &= np.asarray(c(rows, ctx), dtype=bool)
        return keep

    curate.__name__ = " + ".join(getattr(c, "__name__", "curate") for c in curators)
    return curate


def apply(curator: Curator, rows: Any, real: Any, random_state: int = 0) -> pl.DataFrame:
    """Run a curator once, outside a simulation: the rows of ``rows`` it keeps.

    ``rows`` is a Batch or a frame of the real rows' columns; ``real`` the real Dataset.
    Lets a person inspect what a curator would drop before putting it in the loop.
    """
    from ..data import as_dataset, with_row_ids
    from ..encode import Encoder
    from .simulate import _apply_curate

    ds = as_dataset(real)
    frame = conform(rows, ds.schema, what="rows to curate")
    if ROW_ID not in frame.columns:
        frame = with_row_ids(frame, "rows")
    enc = Encoder().fit(ds)
    ctx = CurateContext(0, 0, ds, ds.schema, enc, enc.transform(ds), random_state)
    return _apply_curate(curator(frame, ctx), frame, ds.schema, 0, 0)
