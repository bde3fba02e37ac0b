"""Quality gates: the three kinds of rule, Holm's family-wise control, the printed table, errors."""

from __future__ import annotations

import re

import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit.data import Dataset
from synthkit.errors import DataError, QualityGateError, SchemaError
from synthkit.metrics.gate import GATE_SCHEMA, Threshold, parse_rules
from synthkit.metrics.report import Report


def _draw(pop, seed, n=172, kind="perfect"):
    """Two disjoint random samples of ``pop``; the second one broken by ``kind``."""
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(pop))
    real = Dataset(pop.name, pop.frame[np.sort(idx[:n])], pop.schema)
    syn = pop.frame[np.sort(idx[n:2 * n])].drop("row_id")
    if kind == "copies":
        syn = real.frame.drop("row_id")
    elif kind == "shuffled":
        syn = syn.with_columns([syn[c].gather(rng.permutation(syn.height)) for c in pop.schema.columns])
    return real, syn


@pytest.fixture(scope="module")
def good(penguins):
    return sk.evaluate(*_draw(penguins, 0), n_boot=0, random_state=0)


@pytest.fixture(scope="module")
def copies(penguins):
    return sk.evaluate(*_draw(penguins, 0, kind="copies"), n_boot=0, random_state=0)


def test_default_gate_passes_a_perfect_generator(good):
    res = good.gate()
    assert res.passed and bool(res) and res.failed.height == 0
    assert res.table.schema == pl.Schema(GATE_SCHEMA)
    assert set(res.table["rule"]) == {"as real"}
    # trtr describes the real rows only and is never checked
    assert "trtr_macro_f1" not in res.table["metric"].to_list()
    assert res.raise_if_failed() is res
    assert sk.gate(good).table.equals(res.table)


def test_default_gate_fails_exact_copies_and_says_why(copies):
    res = copies.gate()
    assert not res.passed
    failed = res.failed["metric"].to_list()
    assert {"exact_copy_share", "near_copy_share"} <= set(failed)
    with pytest.raises(QualityGateError) as e:
        res.raise_if_failed()
    msg = str(e.value)
    assert msg.startswith(f"quality gate failed: {len(failed)} of {res.table.height} rules")
    for m in failed:
        assert f"- {m} is worse than real" in msg
    assert "Holm-adjusted p" in msg
    assert e.value.result is res
    with pytest.raises(QualityGateError, match="exact_copy_share"):
        copies.gate(enforce=True)
    assert isinstance(e.value, sk.SynthkitError)


def test_printed_table_is_stable_and_rounded(good, copies):
    a, b = repr(copies.gate()), repr(copies.gate())
    assert a == b and a.startswith("quality gate FAILED: ")
    assert not re.search(r"0x[0-9a-f]+|\d\.\d{4,}|seconds|/tmp", a)
    lines = a.splitlines()
    assert lines[1].split() == ["rule", "metric", "value", "limit", "p", "(Holm)", "passed"]
    assert "exact_copy_share" in a and " NO" in a
    html = copies.gate()._repr_html_()
    assert html == copies.gate()._repr_html_() and "sk-bad" in html
    assert repr(good.gate()).startswith("quality gate PASSED: ")


def test_holm_controls_the_family_wise_rate(good):
    """Raw p-values of 0.01 on two metrics flag them one by one, but not after Holm's correction
    over the metrics checked; a p-value of 0.0001 still fails."""
    h = good.gate().table["metric"].to_list()
    m = len(h)
    assert m >= 6

    def with_p(ps: dict) -> Report:
        t = good.table.with_columns(
            pl.when(pl.col("metric").is_in(list(ps)) & pl.col("column").is_null())
            .then(pl.col("metric").replace_strict(ps, default=None, return_dtype=pl.Float64))
            .otherwise(pl.col("p_value")).alias("p_value"),
            # make the matched values worse than the baselines, so only the p-value decides
            pl.when(~pl.col("metric").is_in(list(ps))).then(pl.col("matched"))
            .when(pl.col("better") == "higher").then(pl.col("baseline") - 1).otherwise(pl.col("baseline") + 1)
            .alias("matched"))
        return Report(t, good.rows, good._data, good.inputs)

    res = with_p({"detection_auc": 0.01, "category_shares": 0.01}).gate()
    assert res.passed, res
    p = dict(zip(res.table["metric"], res.table["p_value"]))
    assert p["detection_auc"] == p["category_shares"] == pytest.approx(0.01 * m)  # tied: both m * p
    res = with_p({"detection_auc": 0.0001, "category_shares": 0.01}).gate()
    assert res.failed["metric"].to_list() == ["detection_auc"]
    assert res.table.filter(pl.col("metric") == "detection_auc")["p_value"].item() == pytest.approx(0.0001 * m)
    # a larger alpha lets the second one through as well
    assert with_p({"detection_auc": 0.0001, "category_shares": 0.01}).gate(alpha=0.5).failed.height == 2
    # significant but *better* than real: passes
    auc = pl.col("metric") == "detection_auc"
    t = good.table.with_columns(pl.when(auc).then(0.0).otherwise(pl.col("p_value")).alias("p_value"),
                                pl.when(auc).then(pl.col("baseline") - 0.1).otherwise(pl.col("value")).alias("value"))
    assert Report(t, good.rows, good._data, good.inputs).gate().passed


def test_coarse_permutation_p_values_are_left_out_and_named(good):
    res = good.gate()
    checked = res.table["metric"].to_list()
    for m in ("column_shapes", "pair_trends", "dcr_median"):
        assert m not in checked
    assert "pair_trends" in res.notes[0] and "n_perm=" in res.notes[0]
    # with fine enough p-values (n_perm large) they are checked too
    data = dict(good._data, n_perm=999)
    res = Report(good.table, good.rows, data, good.inputs).gate()
    assert {"column_shapes", "pair_trends", "dcr_median"} <= set(res.table["metric"]) and not res.notes


def test_family_wise_rate_on_twenty_perfect_draws(penguins):
    """20 seeded perfect draws of 100 penguins vs 100 others: the default gate fails at most
    two (a 5% family-wise rate expects one; checking the same five metrics one by one at 5%
    would fail about a fifth). Deterministic: every step is seeded. The cheap families only
    (the full grid is benchmarks/calibration.py --gate)."""
    fails = 0
    for seed in range(20):
        rep = sk.evaluate(*_draw(penguins, 100 + seed, n=100), n_boot=0, random_state=seed,
                          families=("fidelity", "detection", "subgroup"))
        assert rep.gate().table.height >= 4
        fails += not rep.gate().passed
    assert fails <= 2, fails


# ------------------------------------------------------------------ thresholds
def test_thresholds_pass_and_fail(good):
    res = good.gate({"detection_auc": ("<=", 0.6), "column_shapes": (">=", 0.99)}, baseline=False)
    assert res.table["rule"].to_list() == ["<= limit", ">= limit"]
    assert res.table["passed"].to_list() == [True, False]
    assert res.table["limit"].to_list() == [0.6, 0.99]
    assert res.failures() == [f"column_shapes = {res.table['value'][1]:.3f} should be >= 0.99"]
    with pytest.raises(QualityGateError, match="column_shapes = .* should be >= 0.99"):
        good.gate({"column_shapes": (">=", 0.99)}, enforce=True)


def test_rule_spellings_agree(good):
    forms = [
        {"detection_auc": ("<", 0.6), "coverage": (">", 0.5)},
        [Threshold("detection_auc", "<", 0.6), Threshold("coverage", ">", 0.5)],
        [("detection_auc", "<", 0.6), "coverage>0.5"],
        "detection_auc<0.6, coverage > 0.5",
    ]
    tables = [good.gate(f, baseline=False).table for f in forms]
    assert all(t.equals(tables[0]) for t in tables)
    assert tables[0]["metric"].to_list() == ["detection_auc", "coverage"]  # the metric, not the family


def test_family_rules_expand_to_every_headline_metric_of_the_family(good):
    fam = good.family("coverage")["metric"].to_list()
    res = good.gate({"coverage/*": (">=", 0.0)}, baseline=False)
    assert res.table["metric"].to_list() == fam
    res = good.gate({"fidelity": (">=", 0.0), "privacy/dcr_median": (">=", 100.0)}, baseline=False)
    assert res.table["metric"].to_list()[-1] == "dcr_median" and res.failed.height == 1


def test_unknown_metric_lists_the_known_ones(good):
    with pytest.raises(DataError, match=r"unknown metric 'detectoin_auc'.*column_shapes.*detection_auc"):
        good.gate({"detectoin_auc": ("<=", 0.6)})
    with pytest.raises(DataError, match=r"unknown metric 'pair_trend'.*\['column_shapes'"):
        good.gate("pair_trend>=0.8")


@pytest.mark.parametrize("rules, match", [
    ({"detection_auc": ("=<", 0.6)}, "operator"),
    ({"detection_auc": ("<=", "high")}, "limit"),
    ({"detection_auc": ("<=", float("nan"))}, "limit"),
    ({"detection_auc": 0.6}, r"\(op, limit\)"),
    ("detection_auc is small", "METRIC<=NUMBER"),
    (42, "not understood"),
])
def test_bad_rules(good, rules, match):
    with pytest.raises(DataError, match=match):
        good.gate(rules)


def test_bad_parameters(good):
    with pytest.raises(DataError, match="alpha"):
        good.gate(alpha=0)
    with pytest.raises(DataError, match="tolerance"):
        good.gate(previous=good, tolerance=-1)
    with pytest.raises(DataError, match="Report"):
        sk.gate(good.table)
    assert parse_rules(None) == []


# ------------------------------------------------------------------ previous report
def test_previous_report_same_data_passes_and_worse_data_fails(good, copies, tmp_path):
    path = good.save(tmp_path / "accepted.json")
    res = good.gate(previous=path, baseline=False)
    assert res.passed and set(res.table["rule"]) == {"vs previous"}
    assert (res.table["value"] - res.table["limit"]).abs().max() == pytest.approx(0.02)
    res = copies.gate(previous=path, baseline=False)
    failed = res.failed["metric"].to_list()
    assert {"exact_copy_share", "near_copy_share", "dcr_median"} <= set(failed)
    # direction-aware limits: lower is better for copies, higher for dcr
    row = {r["metric"]: r for r in res.table.iter_rows(named=True)}
    prev = {r["metric"]: r["value"] for r in good.headline().iter_rows(named=True)}
    assert row["exact_copy_share"]["limit"] == pytest.approx(prev["exact_copy_share"] + 0.02)
    assert row["dcr_median"]["limit"] == pytest.approx(prev["dcr_median"] - 0.02)
    assert "exact_copy_share = 1.000 is worse than in the previous report (0.000): higher by more than the " \
           "tolerance 0.02" in res.failures()
    # a tolerance per metric, with "*" for the rest
    res = copies.gate(previous=good, baseline=False,
                      tolerance={"*": 10.0, "exact_copy_share": 2.0, "dcr_median": 0.0})
    assert res.failed["metric"].to_list() == ["dcr_median"]


def test_previous_report_for_other_data_is_refused(penguins, good, tmp_path):
    other = sk.evaluate(*_draw(penguins, 1), n_boot=0, families=("fidelity",))
    with pytest.raises(SchemaError, match="other data: its real rows"):
        good.gate(previous=other)
    real, syn = _draw(penguins, 0)
    other = sk.evaluate(real.frame.drop("row_id", "year"), syn.drop("year"), n_boot=0, families=("fidelity",))
    with pytest.raises(SchemaError, match="other data: its columns"):
        good.gate(previous=other.save(tmp_path / "narrow.json"))
    with pytest.raises(DataError, match="does not exist"):
        good.gate(previous=tmp_path / "missing.json")


def test_text_metrics_are_named_by_column_and_their_coarse_tests_left_out(tmp_path):
    from tests._textcorpus import sentences

    frame = sentences(240, seed=3).with_columns(pl.col("text").alias("note"))
    ds = sk.from_frame(frame.head(120), "moods", text=["text", "note"], target="mood")
    rep = sk.evaluate(ds, frame.tail(120), families=("text", "detection"), n_boot=0)
    res = rep.gate("distinct_2>=0", baseline=True)
    labels = res.table.filter(pl.col("rule") == ">= limit")["metric"].to_list()
    assert labels == ["distinct_2 (text)", "distinct_2 (note)"]
    assert "perplexity_ratio (note)" in res.notes[0]
    assert "perplexity_ratio (text)" not in res.table["metric"].to_list()
    assert rep.gate({"distinct_2 (note)": (">=", 2.0)}, baseline=False).failed["metric"].to_list() == [
        "distinct_2 (note)"]
    back = sk.load_report(rep.save(tmp_path / "text.json"))
    assert back.table.equals(rep.table) and repr(back.gate(previous=rep)) == repr(rep.gate(previous=back))
    assert "Text column" in back.html()
