"""Evidence for the sentences of notebooks/00_tour.ipynb, at the tour's own settings.

Each test is named after the tour's section and quotes the sentence it backs.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit.summary import FAR


@pytest.fixture(scope="module")
def tour_map():
    ds = sk.load("penguins")
    m = sk.Map.fit(ds, mode="anchored", random_state=0)  # what sk.Explorer(ws) fits
    return ds, m


def _clumps(xy: np.ndarray) -> np.ndarray:
    from sklearn.cluster import DBSCAN

    span = float(np.ptp(xy, axis=0).max())
    return DBSCAN(eps=0.02 * span, min_samples=3).fit_predict(xy)


@pytest.mark.slow
def test_3_real_penguins_fall_into_clumps_of_one_species_and_mostly_one_year(tour_map):
    """"The real penguins fall into a dozen or more small clumps rather than three species. Almost
    every clump holds one species, and most hold one species in one year"."""
    ds, m = tour_map
    pts = m.real.join(ds.frame, on="row_id")
    lab = _clumps(pts.select("x", "y").to_numpy())
    pts = pts.with_columns(clump=pl.Series(lab)).filter(pl.col("clump") >= 0)
    per = pts.group_by("clump").agg(pl.col("species").n_unique().alias("species"),
                                    pl.struct("species", "year").n_unique().alias("species_year"))
    assert per.height >= 12, f"{per.height} clumps"
    assert (per["species"] == 1).mean() >= 0.9
    assert (per["species_year"] == 1).mean() > 0.5


@pytest.mark.slow
def test_4_most_copula_rows_are_far_and_every_bootstrap_row_is_a_copy(tour_map):
    """"Every bootstrap row is a copy" and "Most copula rows sit further from the nearest real penguin
    than twice the typical distance (far); a few real penguins do too"."""
    ds, m = tour_map
    copula = m.place(sk.generate(ds, "copula", n=200, random_state=1))
    boot = m.place(sk.generate(ds, "bootstrap", n=200, random_state=2))
    assert (boot["dist_to_real"] == 0).all()
    assert (copula["dist_to_real"] > FAR).mean() > 0.5
    real_far = (m.real["dist_to_real"] > FAR).mean()
    assert 0 < real_far < 0.2
