"""Biased seeds for "garbage in, garbage out" experiments."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from ..data import Dataset, as_dataset
from ..errors import DataError

__all__ = ["undersample", "group_shares"]


def undersample(data: Any, column: str, group: Any, keep: float, random_state: int = 0) -> Dataset:
    """The same dataset with only a share ``keep`` of the rows where ``column == group``.

    Row ids are kept, so the biased seed's rows can be traced to the full data.
    """
    ds = as_dataset(data)
    if column not in ds.schema.categorical:
        raise DataError(f"column {column!r} must be a categorical column; got one of {list(ds.schema.categorical)}")
    if group not in ds.schema.categories.get(column, ()):
        raise DataError(f"{column}={group!r} does not occur; groups are {list(ds.schema.categories[column])}")
    if not 0.0 <= keep <= 1.0:
        raise DataError(f"keep={keep} must be a share in [0, 1]")
    hit = (ds.frame[column] == group).fill_null(False).to_numpy()
    rng = np.random.default_rng(random_state)
    drop = hit & (rng.random(len(hit)) >= keep)
    frame = ds.frame.filter(pl.Series(~drop))
    return Dataset(f"{ds.name}-biased", frame, ds.schema)


def group_shares(data: Any, column: str) -> dict:
    """``{group: share}`` of a categorical column (missing values left out)."""
    ds = as_dataset(data)
    vc = ds.frame[column].drop_nulls().value_counts(sort=True)
    total = vc["count"].sum()
    return {k: round(v / total, 6) for k, v in vc.iter_rows()}
