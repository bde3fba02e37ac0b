"""Shared fixtures: small seeded datasets, loaded once per session."""

from __future__ import annotations

import pytest

import synthkit as sk


@pytest.fixture(scope="session")
def penguins() -> sk.Dataset:
    return sk.load("penguins")


@pytest.fixture(scope="session")
def digits() -> sk.Dataset:
    return sk.load("digits")


@pytest.fixture(scope="session")
def adult() -> sk.Dataset:
    return sk.load("adult")


@pytest.fixture(scope="session")
def adult_small(adult) -> sk.Dataset:
    """2,000 seeded adult rows: enough for every code path, fast to fit."""
    return adult.sample(2000, random_state=0)


@pytest.fixture(scope="session")
def dask_engine():
    """A 2-worker local Dask cluster (processes, one thread each), shared by the scale tests."""
    from synthkit.scale import engine_scope

    with engine_scope("dask", n_workers=2, progress=False) as eng:
        yield eng
