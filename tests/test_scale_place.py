"""Placement in chunks and on Dask workers: the same frame as in-process ``Map.place``, row for row."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit.placement import place_rows
from synthkit.projection import Map


def same(a: pl.DataFrame, b: pl.DataFrame) -> bool:
    """Equal frames: columns, row order, ids, and values bit for bit."""
    return a.columns == b.columns and a.height == b.height and all(
        np.array_equal(a[c].to_numpy(), b[c].to_numpy()) for c in a.columns)


def in_chunks(m: Map, frame: pl.DataFrame, size: int) -> pl.DataFrame:
    state, rows = m._place_state(), m._conform(frame)
    return pl.concat([place_rows(state, rows.slice(s, size), offset=s) for s in range(0, rows.height, size)])


@pytest.fixture(scope="module")
def pmap(penguins):
    return Map.fit(penguins, random_state=0)


@pytest.fixture(scope="module")
def amap(adult):
    """A map of 5,000 adult rows fitted on a seeded 1,000 (the rest placed), searched by the blocked exact path."""
    return Map.fit(adult.sample(5000, random_state=0), random_state=0, max_fit_rows=1000, n_epochs=60, shipped=False)


@pytest.fixture(scope="module")
def abatch(adult):
    return sk.generate(adult.sample(2000, random_state=1), "copula", n=1500, random_state=1)


def test_chunks_place_exactly_like_one_call(pmap, penguins, amap, abatch):
    pb = sk.generate(penguins, "copula", n=400, random_state=2)
    for m, batch in ((pmap, pb.frame), (amap, abatch.frame), (amap, amap.dataset.frame.head(800))):
        whole = m.place(batch)
        for size in (1, 7, 500):
            assert same(in_chunks(m, batch, size), whole), size


def test_rows_without_ids_are_numbered_by_their_global_position(pmap, penguins):
    frame = penguins.frame.drop("row_id").head(9)
    whole = pmap.place(frame)
    assert whole["row_id"].to_list() == [f"row:{i}" for i in range(9)]
    assert same(in_chunks(pmap, frame, 4), whole)


def test_pca_projection_is_the_same_in_chunks(penguins):
    m = Map.fit(penguins.subset(penguins.row_ids[:6]), random_state=0)
    assert m.method == "pca"
    assert same(in_chunks(m, penguins.frame.head(200), 3), m.place(penguins.frame.head(200)))
