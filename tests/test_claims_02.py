"""Evidence for the sentences of notebooks/02_quality_report.ipynb, at the notebook's own settings.

Each test is named after the notebook's section and quotes the sentence it backs.
"""

from __future__ import annotations

import polars as pl
import pytest

import synthkit as sk


@pytest.fixture(scope="module")
def reports():
    penguins = sk.load("penguins")
    copula = sk.generate(penguins, "copula", n=300, random_state=1)
    copies = sk.generate(penguins, "bootstrap", n=300, random_state=1)
    rep = sk.evaluate(penguins, copula, random_state=0)
    rep_copies = sk.evaluate(penguins, copies, random_state=0)
    return penguins, copies, rep, rep_copies


def _h(rep) -> dict:
    return {r["metric"]: r for r in rep.headline().iter_rows(named=True)}


@pytest.mark.slow
def test_memorising_generator_scores_as_well_as_real_on_fidelity_pairs_precision_coverage(reports):
    """"Fidelity, pair trends, precision, coverage: the copies score as well as or better than real data"."""
    _, _, _, rep_copies = reports
    h = _h(rep_copies)
    for m in ("column_shapes", "pair_trends", "precision", "coverage"):
        assert h[m]["value"] >= h[m]["baseline"] - 0.01, m
        assert h[m]["status"] != "worse than real", m


@pytest.mark.slow
def test_memorising_generator_privacy_gives_it_away(reports):
    """"exact_copy_share and near_copy_share are 1.0 ... against a real-vs-real baseline of a few percent;
    dcr_median is 0"; "Detection AUC is below 0.5"; "Utility equals TRTR"."""
    _, _, _, rep_copies = reports
    h = _h(rep_copies)
    assert h["exact_copy_share"]["value"] == 1.0 and h["near_copy_share"]["value"] == 1.0
    assert h["near_copy_share"]["baseline"] < 0.1 and h["dcr_median"]["value"] == 0.0
    assert h["exact_copy_share"]["status"] == h["near_copy_share"]["status"] == "worse than real"
    assert h["detection_auc"]["value"] < 0.5
    assert h["tstr_macro_f1"]["value"] == pytest.approx(h["trtr_macro_f1"]["value"], abs=0.02)


@pytest.mark.slow
def test_suggest_finds_exactly_one_problem_in_the_copies(reports):
    """"For the copies, it finds exactly one problem" (near-copies)."""
    penguins, copies, _, rep_copies = reports
    regions = sk.suggest(penguins, copies, rep_copies)
    assert [r.kind for r in regions] == ["near-copy"] and len(regions[0].row_ids) == 300


@pytest.mark.slow
def test_a_generator_without_gentoo_is_one_missing_mode_of_gentoo_from_biscoe():
    """"caught as a missing mode ... all Gentoo from Biscoe island, and the Gentoo groups vanish"."""
    penguins = sk.load("penguins")
    no_gentoo = penguins.frame.filter(pl.col("species") != "Gentoo").drop("row_id")
    rep = sk.evaluate(penguins, no_gentoo, families=("coverage", "privacy", "subgroup"), random_state=0)
    regions = sk.suggest(penguins, no_gentoo, rep)
    modes = [r for r in regions if r.kind == "missing-mode"]
    assert len(modes) == 1
    rows = penguins.frame.filter(pl.col("row_id").is_in(list(modes[0].row_ids)))
    assert set(rows["species"]) == {"Gentoo"} and set(rows["island"]) == {"Biscoe"}
    vanished = [r.reason for r in regions if r.kind == "underrepresented"]
    assert vanished and all("Gentoo vanished" in v for v in vanished)
