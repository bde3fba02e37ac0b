"""Evidence for the sentences of notebooks/05_curation_loop.ipynb, at the notebook's settings.

Each test is named after the notebook section whose sentence it checks; "A above B" means
by more than two standard errors over the notebook's seeds.
"""

from __future__ import annotations

import numpy as np
import pytest

import synthkit as sk
from synthkit.collapse import curators, per_seed, standard_error

GEN = "copula"


def above(a: np.ndarray, b: np.ndarray) -> bool:
    se = np.hypot(standard_error(a), standard_error(b))
    return float(np.mean(a) - np.mean(b)) > 2 * se


def indistinct(a: np.ndarray, b: np.ndarray) -> bool:
    se = np.hypot(standard_error(a), standard_error(b))
    return abs(float(np.mean(a) - np.mean(b))) < 2 * se


@pytest.fixture(scope="module")
def loops(penguins):
    train, test = penguins.split(0.75, random_state=0)
    loop = dict(generations=5, n_per_generation=100, seeds=3, holdout=test, progress=False)
    curator = curators.chain(curators.from_suggest(method="rules"), curators.match_real_density(10))
    return {
        "plain": sk.collapse.simulate(train, GEN, **loop),
        "curated": sk.collapse.simulate(train, GEN, curate=curator, **loop),
        "curated_real": sk.collapse.simulate(train, GEN, curate=curator, regime="keep_real", real_fraction=0.2,
                                             **loop),
    }


def test_s3_utility_falls_in_every_loop(loops):
    for name, res in loops.items():
        g0 = per_seed(res, "utility", 0)
        g5 = per_seed(res, "utility", 5)
        assert g0.mean() > 0.95, name  # the real rows score about 0.99
        assert g5.mean() + 2 * standard_error(g5) < g0.mean() - 0.2, name  # far below at generation 5


def test_s3_at_generation_1_curation_does_not_help_utility(loops):
    plain = per_seed(loops["plain"], "utility", 1)
    for name in ("curated", "curated_real"):
        assert indistinct(per_seed(loops[name], "utility", 1), plain), name


def test_s3_later_both_curated_loops_score_above_no_curation(loops):
    plain = per_seed(loops["plain"], "utility", 5)
    for name in ("curated", "curated_real"):
        assert above(per_seed(loops[name], "utility", 5), plain), name


def test_s3_keeping_real_rows_adds_no_clear_utility_with_3_seeds(loops):
    assert indistinct(per_seed(loops["curated_real"], "utility", 5), per_seed(loops["curated"], "utility", 5))


def test_s3_curation_about_doubles_coverage_by_generation_5(loops):
    plain = per_seed(loops["plain"], "coverage", 5)
    for name in ("curated", "curated_real"):
        cov = per_seed(loops[name], "coverage", 5)
        assert above(cov, plain), name
        assert 1.5 < cov.mean() / plain.mean() < 2.5, name


def test_s3_curation_draws_extra_rows(loops):
    for name in ("curated", "curated_real"):
        for g in range(1, 6):
            assert per_seed(loops[name], "kept_share", g).mean() < 0.9, (name, g)
