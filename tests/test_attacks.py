"""Privacy attacks: the formulas, the orderings that must hold, the exposure, bad input."""

import math

import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit.errors import DataError, SchemaError
from synthkit.metrics.attacks import (
    Rate, _gower_nearest, _result, attribute_inference, linkability, membership_inference,
    privacy_attacks, singling_out,
)


@pytest.fixture(scope="module")
def adult_split():
    ds = sk.load("adult")
    rows = ds.frame.sample(4000, seed=0)
    train = ds.subset(rows[:1500]["row_id"], name="train")
    control = ds.subset(rows[1500:2500]["row_id"], name="control")
    fresh = rows[2500:]  # real rows of the same population that nobody trained on
    return train, control, fresh


def _independent(train, seed):
    f = train.frame.select(train.schema.columns)
    return f.with_columns([pl.col(c).sample(f.height, with_replacement=True, seed=seed + i)
                           for i, c in enumerate(f.columns)])


def test_rates_and_risk_follow_the_reference_formulas():
    r = Rate(500, 100)
    z = 1.959963984540054
    assert r.value == pytest.approx((100 + z * z / 2) / (500 + z * z))
    assert r.error == pytest.approx(z / (500 + z * z) * math.sqrt(100 * 400 / 500 + z * z / 4))
    res = _result("x", 500, 100, 500, 20, 500, 5)
    a, c = Rate(500, 100), Rate(500, 20)
    risk = (a.value - c.value) / (1 - c.value)
    err = math.sqrt((a.error / (1 - c.value)) ** 2 + (c.error * (a.value - 1) / (1 - c.value) ** 2) ** 2)
    assert res.risk == pytest.approx(risk)
    assert (res.ci_low, res.ci_high) == pytest.approx((risk - err, risk + err))
    assert res.p_value < 1e-6
    assert _result("x", 500, 20, 500, 20, 500, 5).p_value == pytest.approx(0.5)


def test_ties_are_broken_at_random_not_by_row_order():
    q = {"a": np.zeros(200)}
    c = {"a": np.zeros(50)}  # every candidate equally near
    picks = _gower_nearest(q, c, {"a"}, 1, np.random.default_rng(0))[:, 0]
    picks2 = _gower_nearest(q, c, {"a"}, 1, np.random.default_rng(1))[:, 0]
    assert len(set(picks.tolist()) | set(picks2.tolist())) > 1
    # the nearest row is found when there is one, and k nearest are distinct
    c = {"a": np.array([5.0, 1.0, 0.1, 3.0, 0.1])}
    near = _gower_nearest({"a": np.array([0.0])}, c, {"a"}, 3, np.random.default_rng(0))[0]
    assert set(near.tolist()) == {1, 2, 4}


@pytest.mark.parametrize("seed", [0, 1])
def test_exact_copies_are_riskier_than_a_copula_and_independent_columns(adult_split, seed):
    train, control, _ = adult_split
    n = train.frame.height
    boot = privacy_attacks(train, sk.generate(train, "bootstrap", n=n, random_state=seed), control,
                           n_attacks=300, random_state=seed).results
    cop = privacy_attacks(train, sk.generate(train, "copula", n=n, random_state=seed), control,
                          n_attacks=300, random_state=seed).results
    ind = privacy_attacks(train, _independent(train, seed), control, n_attacks=300, random_state=seed).results
    for name in boot:
        # copies are caught by every attack, clearly above both others (univariate predicates are
        # few on a small table: a weaker attack)
        margin = 0.0 if name == "singling_out_univariate" else 0.05
        assert boot[name].ci_low > margin, name
        assert boot[name].risk > max(cop[name].risk, ind[name].risk) + margin, name
    for name in ("linkability", "inference", "membership_distance", "membership_density"):
        # independent columns break every link between columns: nothing to link, infer or recognise
        assert ind[name].ci_low == 0.0, name
        assert cop[name].ci_low == 0.0, name


def test_fresh_real_rows_read_as_no_risk(adult_split):
    """A perfect generator (unseen rows of the same population) must read as no risk."""
    train, control, fresh = adult_split
    res = privacy_attacks(train, fresh, control, n_attacks=300, random_state=3).results
    for name, r in res.items():
        assert r.ci_low == 0.0, (name, r)


def test_the_reference_size_model_flags_fresh_rows_but_subsampling_does_not(adult_split):
    train, control, fresh = adult_split  # 1,500 training vs 1,000 control rows
    big = sk.load("adult").subset(pl.concat([train.frame["row_id"], fresh["row_id"][:1000]]))
    model = [singling_out(big, fresh[1000:], control, mode="multivariate", n_attacks=300, random_state=s,
                          size_correction="model").risk for s in range(3)]
    sub = [singling_out(big, fresh[1000:], control, mode="multivariate", n_attacks=300, random_state=s).risk
           for s in range(3)]
    assert np.mean(sub) < 0.05
    assert np.mean(model) > np.mean(sub) + 0.05


def test_exposure_points_at_the_copied_rows(adult_split):
    train, control, _ = adult_split
    syn = sk.generate(train, "bootstrap", n=train.frame.height, random_state=0)
    r = singling_out(train, syn, control, mode="multivariate", n_attacks=200, random_state=0)
    # one isolated training row and one source synthetic row per successful predicate
    assert r.synthetic_exposed.sum() == r.train_exposed.sum() > 0
    att = privacy_attacks(train, syn, control, attacks=["singling_out"], n_attacks=200, random_state=0)
    ex = att.exposure("synthetic")
    assert ex.height == len(syn) and ex["exposure"].sum() > 0
    assert ex.columns[0] == "row_id" and ex["row_id"].to_list() == syn.frame["row_id"].to_list()


def test_evaluate_runs_the_attacks_as_an_opt_in_family(adult_split):
    ds = sk.load("penguins")
    train, hold = ds.split(0.7, random_state=0)
    syn = sk.generate(train, "bootstrap", n=200, random_state=0)
    rep = sk.evaluate(train, syn, holdout=hold, families=["privacy_attacks"], random_state=0)
    t = rep.table.filter(pl.col("family") == "privacy_attacks")
    assert t.height == 6 and (t["value"] >= t["ci_low"]).all()
    assert "privacy_attacks" not in sk.evaluate(train, syn, holdout=hold, random_state=0, n_boot=0).families
    assert rep.rows.filter(pl.col("source") == "synthetic")["attack_exposure"].sum() > 0
    with pytest.raises(DataError, match="control set"):
        sk.evaluate(train, syn, families=["privacy_attacks"])


def test_bad_input_gets_a_clear_error(adult_split):
    train, control, fresh = adult_split
    syn = fresh[:500]
    with pytest.raises(DataError, match="control set"):
        singling_out(train, syn, None)
    with pytest.raises(DataError, match="also an auxiliary column"):
        attribute_inference(train, syn, control, secret="income", aux_cols=["age", "income"])
    with pytest.raises(SchemaError, match="lack column"):
        linkability(train, syn.drop("age"), control, (["age", "sex"], ["race"]))
    with pytest.raises(DataError, match="row_id"):
        membership_inference(train, syn, train.frame[:300])
    copies = train.frame[:400].drop("row_id")
    with pytest.raises(DataError, match="equal a training row"):
        singling_out(train, syn, copies)
    with pytest.raises(DataError, match="disjoint"):
        linkability(train, syn, control, (["age", "sex"], ["sex"]))
    with pytest.raises(DataError, match="unknown attack"):
        privacy_attacks(train, syn, control, attacks=["guessing"])


def test_suggest_proposes_the_rows_that_enable_singling_out():
    ds = sk.load("penguins")
    train, hold = ds.split(0.7, random_state=0)
    syn = sk.generate(train, "bootstrap", n=200, random_state=0)
    rep = sk.evaluate(train, syn, holdout=hold, random_state=0, n_boot=0,
                      families=["detection", "coverage", "privacy", "privacy_attacks"])
    regions = [r for r in sk.suggest(train, syn, rep) if r.kind == "attack-exposed"]
    assert regions and all(set(r.row_ids) <= set(syn.frame["row_id"].to_list()) for r in regions)
    assert "single out" in regions[0].reason or "link" in regions[0].reason
    # without the attacks family there is no such region
    rep = sk.evaluate(train, syn, holdout=hold, random_state=0, n_boot=0,
                      families=["detection", "coverage", "privacy"])
    assert not [r for r in sk.suggest(train, syn, rep) if r.kind == "attack-exposed"]


def test_the_compiled_nearest_row_equals_the_array_path():
    from synthkit.metrics import attacks as A

    rng = np.random.default_rng(0)
    q = {"a": rng.integers(0, 3, 300).astype(float), "b": rng.normal(size=300), "c": rng.integers(0, 2, 300).astype(float)}
    c = {"a": rng.integers(0, 3, 500).astype(float), "b": rng.normal(size=500), "c": rng.integers(0, 2, 500).astype(float)}
    q["b"][::7] = np.nan
    c["a"][::11] = np.nan
    for seed in range(3):
        fast = A._gower_nearest(q, c, {"b"}, 1, np.random.default_rng(seed))
        slow = A._gower_nearest(q, c, {"b"}, 1, np.random.default_rng(seed), compiled=False)
        np.testing.assert_array_equal(fast, slow)
    # and it is the nearest row by Gower's distance
    scale = np.nanmax(np.r_[q["b"], c["b"]]) - np.nanmin(np.r_[q["b"], c["b"]])

    def gower(i, j):
        total = 0.0
        for k in q:
            x, y = q[k][i], c[k][j]
            if np.isnan(x) or np.isnan(y):
                total += 0.0 if (np.isnan(x) and np.isnan(y)) else 1.0
            else:
                total += abs(x - y) / scale if k == "b" else float(x != y)
        return total

    for i in range(0, 300, 23):
        assert gower(i, fast[i, 0]) == pytest.approx(min(gower(i, j) for j in range(500)), abs=1e-12)


def test_the_compiled_count_equals_the_row_masks():
    from synthkit.metrics import attacks as A

    rng = np.random.default_rng(1)
    data = {"a": rng.integers(0, 4, 400).astype(float), "b": rng.normal(size=400), "c": rng.integers(0, 3, 400).astype(float)}
    data["a"][::9] = np.nan
    ops = ["==", "<=", ">=", "null", "!=", "<", ">", "notnull"]
    queries = []
    for _ in range(300):
        k = int(rng.integers(1, 4))
        cols = rng.choice(["a", "b", "c"], size=k, replace=False)
        queries.append(A._Query(tuple((c, ops[int(rng.integers(len(ops)))], float(rng.choice(data[c][~np.isnan(data[c])])))
                                      for c in cols)))
    full = np.array([A._match(q, data, 400).sum() for q in queries])
    np.testing.assert_array_equal(A._count(queries, data, 400, cap=10**9), full)
    np.testing.assert_array_equal(A._count(queries, data, 400), np.minimum(full, 2))
