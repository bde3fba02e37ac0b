"""A Batch: synthetic rows plus the record of how they were made.

Batch ids are content-addressed: ``<generator>-<8 hex>``, a hash of the
generator name, its parameters, the seed, the data it was fitted on, the
generation number and the row count. The same request gives the same id (and
the same rows), different requests give different ids, and ids are safe as
file names. Row ids are ``<batch_id>:<n>``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import html
import json
import re
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence

import polars as pl

from ._checks import check_random_state
from .data import ROW_ID, Dataset, RowsMixin, Schema, as_dataset, with_row_ids
from .errors import DataError, GeneratorError
from .generators import make
from .generators.base import Generator, fitted_params

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Provenance:
    """How a batch was made (JSON-safe; stored in workspaces)."""

    generator: str
    params: Mapping[str, Any]
    random_state: int | None
    fitted_on: tuple[str, ...]  # ("real",) or batch ids
    dataset: str
    data_fingerprint: str
    generation: int = 0
    n: int = 0
    created_at: str = ""
    conditions: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "generator": self.generator,
            "params": dict(self.params),
            "random_state": self.random_state,
            "fitted_on": list(self.fitted_on),
            "dataset": self.dataset,
            "data_fingerprint": self.data_fingerprint,
            "generation": self.generation,
            "n": self.n,
            "created_at": self.created_at,
            "conditions": dict(self.conditions),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Provenance":
        try:
            return cls(
                generator=d["generator"], params=dict(d["params"]), random_state=d["random_state"],
                fitted_on=tuple(d["fitted_on"]), dataset=d["dataset"],
                data_fingerprint=d["data_fingerprint"], generation=int(d.get("generation", 0)),
                n=int(d.get("n", 0)), created_at=d.get("created_at", ""),
                conditions=dict(d.get("conditions", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"stored batch provenance is incomplete or malformed ({exc!r})") from None


@dataclass(frozen=True)
class Batch(RowsMixin):
    """Synthetic rows (``frame``, with ``row_id`` first) and their provenance."""

    id: str
    frame: pl.DataFrame
    schema: Schema
    provenance: Provenance

    def as_dataset(self) -> Dataset:
        """These rows as a Dataset (e.g. to fit the next generation on them)."""
        return Dataset(self.id, self.frame, self.schema)

    def without(self, rows: Any, suffix: str = "curated") -> "Batch":
        """A new batch of these rows minus ``rows`` (row ids, a frame with ``row_id``, or a
        suggested Region); its id is ``<id>-<suffix>`` and the rows keep their ids."""
        ids = getattr(rows, "row_ids", rows)
        if isinstance(ids, pl.DataFrame):
            if ROW_ID not in ids.columns:
                raise DataError("without() got a frame without a 'row_id' column")
            ids = ids[ROW_ID]
        if isinstance(ids, str):
            raise DataError("without() takes a list of row ids (or a Region), not a single string; wrap it in a list")
        ids = pl.Series(ROW_ID, list(ids), dtype=pl.String)
        frame = self.frame.filter(~pl.col(ROW_ID).is_in(ids.implode()))
        bid = check_batch_id(f"{self.id[: 63 - len(suffix)]}-{suffix}")
        return Batch(bid, frame, self.schema, replace(self.provenance, n=frame.height))

    def __repr__(self) -> str:
        p = self.provenance
        return (
            f"Batch({self.id!r}, {len(self)} rows, generator={p.generator!r}, "
            f"random_state={p.random_state}, generation={p.generation}, fitted_on={list(p.fitted_on)})"
        )

    def _repr_html_(self) -> str:  # pragma: no cover - cosmetic
        p = self.provenance
        esc = html.escape
        return (
            f"<b>Batch {esc(str(self.id))}</b>: {len(self)} rows from <code>{esc(str(p.generator))}</code> "
            f"(seed {esc(str(p.random_state))}, generation {esc(str(p.generation))}, fitted on "
            f"{esc(', '.join(map(str, p.fitted_on)))}){self.frame.head(5)._repr_html_()}"
        )


def batch_id(generator: str, params: Mapping[str, Any], random_state: Any, fitted_on: Sequence[str],
             data_fingerprint: str, generation: int, n: int, conditions: Mapping[str, Any]) -> str:
    key = json.dumps(
        [generator, dict(params), random_state, list(fitted_on), data_fingerprint, generation, n,
         {k: str(v) for k, v in conditions.items()}],
        sort_keys=True, default=str,
    )
    slug = re.sub(r"[^a-z0-9]+", "", generator.lower())[:20] or "gen"
    return f"{slug}-{hashlib.sha1(key.encode()).hexdigest()[:8]}"


def check_batch_id(bid: str) -> str:
    if not isinstance(bid, str) or not _ID_RE.match(bid):
        raise DataError(f"batch id {bid!r} is not valid: use 1-64 lowercase letters, digits, '-' or '_'")
    return bid


def make_batch(rows: pl.DataFrame, schema: Schema, provenance: Provenance, bid: str | None = None) -> Batch:
    """Wrap generated rows into a Batch (adds ``row_id``; computes the id if not given)."""
    p = provenance
    bid = check_batch_id(bid or batch_id(p.generator, p.params, p.random_state, p.fitted_on,
                                         p.data_fingerprint, p.generation, rows.height, p.conditions))
    frame = with_row_ids(rows.select(schema.columns), bid)
    return Batch(bid, frame, schema, p)


def generate(
    data: Dataset | Batch | Any,
    generator: str | Generator = "copula",
    n: int = 200,
    random_state: int | None = 0,
    *,
    conditions: Mapping[str, Any] | None = None,
    generation: int = 0,
    fitted: bool = False,
    **params: Any,
) -> Batch:
    """Fit a generator on ``data`` and draw a :class:`Batch` of ``n`` rows.

    ``generator`` is a name from ``sk.generators.available()`` (``params`` go to
    its constructor) or a Generator instance (already fitted if ``fitted=True``).
    ``data`` may be the real Dataset or a Batch (recursive generation); the
    provenance records which. When a generator fails part-way and its error
    carries the finished rows (``error.partial``, e.g. the ``llm`` adapter), they
    are also wrapped as ``error.batch`` before the error is raised.
    """
    random_state = check_random_state(random_state)
    if isinstance(data, Batch):
        ds, fitted_on = data.as_dataset(), (data.id,)
    else:
        ds = as_dataset(data)
        fitted_on = ("real",) if not ds.row_ids.str.contains(":").any() or ds.row_ids[0].startswith("real:") else (ds.name,)
    gen = make(generator, **params)
    if not fitted:
        gen.fit(ds)
    def batch_of(rows: pl.DataFrame) -> Batch:
        prov = Provenance(
            generator=gen.name, params=fitted_params(gen), random_state=random_state,
            fitted_on=fitted_on, dataset=ds.name if fitted_on == ("real",) else data_name(data),
            data_fingerprint=ds.fingerprint, generation=generation, n=rows.height,
            created_at=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            conditions=dict(conditions or {}),
        )
        return make_batch(rows, ds.schema, prov)

    try:
        rows = gen.sample(n, random_state=random_state, conditions=conditions)
    except GeneratorError as exc:
        # a generator that stopped part-way (e.g. a failing language model) keeps its finished rows
        partial = getattr(exc, "partial", None)
        if isinstance(partial, pl.DataFrame) and partial.height:
            exc.batch = batch_of(partial)
        raise
    return batch_of(rows)


def data_name(data: Any) -> str:
    if isinstance(data, Batch):
        return data.provenance.dataset
    return getattr(data, "name", "data")
