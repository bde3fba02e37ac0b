"""Notebook 08's sentences, checked at its settings over several seeds.

Settings: 3,000 adult rows split 2,000 / 1,000 (train / control), 2,000 synthetic rows, 300 attacks
of each kind. A comparison across seeds needs a gap of more than two standard errors.
"""

import numpy as np
import polars as pl
import pytest

import synthkit as sk

SEEDS = range(4)
ATTACKS = ["singling_out_univariate", "singling_out_multivariate", "linkability", "inference",
           "membership_distance", "membership_density"]


@pytest.fixture(scope="module")
def risks():
    adult = sk.load("adult")
    out: dict[tuple[str, str], list[float]] = {}
    for seed in SEEDS:
        train, control = adult.sample(3000, random_state=seed).split(2 / 3, random_state=seed)
        batches = {
            "bootstrap": sk.generate(train, "bootstrap", n=2000, random_state=seed),
            "cart": sk.generate(train, "cart", n=2000, random_state=seed),
            "copula": sk.generate(train, "copula", n=2000, random_state=seed),
            "shuffled": sk.generate(train, sk.generators.ShuffledColumns(), n=2000, random_state=seed),
        }
        rep = sk.evaluate(train, batches["cart"], holdout=control, families=["privacy"], random_state=seed,
                          n_boot=0)
        near = [r for r in sk.suggest(train, batches["cart"], rep) if r.kind == "near-copy"][0]
        batches["curated"] = batches["cart"].without(near)
        for name, batch in batches.items():
            t = sk.privacy_attacks(train, batch, control, n_attacks=300, random_state=seed).table
            for r in t.iter_rows(named=True):
                out.setdefault((name, r["attack"]), []).append(r["risk"])
    return {k: np.array(v) for k, v in out.items()}


def _mean_se(v):
    return v.mean(), v.std(ddof=1) / np.sqrt(v.size)


def test_exact_copies_give_an_attacker_every_kind_of_success_but_one(risks):
    """'Exact copies give an attacker success of every kind but one ... singling out with one column
    ... its risks stay below 0.1 for all four batches.'"""
    for name in ("bootstrap", "cart", "copula", "shuffled"):
        assert risks[(name, "singling_out_univariate")].mean() < 0.1
    for a in ATTACKS[1:]:
        boot = risks[("bootstrap", a)]
        for other in ("cart", "copula", "shuffled"):
            gap = boot - risks[(other, a)]
            m, se = _mean_se(gap)
            assert m > 2 * se and m > 0, (a, other, m, se)
    assert (risks[("bootstrap", "membership_distance")] > 0.5).all()


def test_copula_and_shuffled_columns_give_almost_nothing(risks):
    """'The copula and the shuffled columns give almost nothing: risks at or near 0.'"""
    for name in ("copula", "shuffled"):
        for a in ATTACKS:
            assert risks[(name, a)].mean() < 0.1, (name, a)
        for a in ("linkability", "membership_distance", "membership_density"):
            assert risks[(name, a)].mean() < 0.03, (name, a)


def test_cart_sits_in_between_membership_and_inference_notice(risks):
    """'CART sits in between ... membership and inference attacks notice (0.2 to 0.3), linkability near 0.'"""
    for a in ("membership_distance", "membership_density"):
        cart = risks[("cart", a)]
        m, se = _mean_se(cart - risks[("copula", a)])
        assert m > 2 * se and 0.1 < cart.mean() < 0.35, (a, cart)
        assert (risks[("bootstrap", a)] > cart).all()
    assert risks[("cart", "linkability")].mean() < 0.03


def test_dropping_near_copies_lowers_membership_risk_by_about_a_third_but_not_to_zero(risks):
    """'Dropping the near-copies lowers the membership risk (density ratio) by about a third but does not remove it.'"""
    before, after = risks[("cart", "membership_density")], risks[("curated", "membership_density")]
    m, se = _mean_se(before - after)
    assert m > 2 * se
    assert 0.2 < 1 - after.mean() / before.mean() < 0.55
    assert after.mean() > 0.08
