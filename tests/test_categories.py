"""One category coding, matched by value, used by the Encoder, the generators and every metric."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

import synthkit as sk
from synthkit._categories import MISSING, UNSEEN, category_codes, category_levels
from synthkit.data import from_frame
from synthkit.encode import OTHER
from synthkit.errors import DataError
from synthkit.generators._columns import cat_codes
from synthkit.metrics.fidelity import ks_complement, tv_complement
from synthkit.metrics.pairwise import contingency_similarity, correlation_similarity, pair_trends


def _value(rep, metric, column=None):
    t = rep.table.filter(pl.col("metric") == metric)
    t = t.filter(pl.col("column").is_null()) if column is None else t.filter(pl.col("column") == column)
    assert t.height == 1, (metric, column, t)
    return t.row(0, named=True)["value"]


# ------------------------------------------------------------------ the coding itself
def test_codes_match_by_value_and_keep_missing_apart_from_unseen():
    assert category_codes(pl.Series([True, None, False]), [False, True]).tolist() == [1, MISSING, 0]
    assert category_codes(pl.Series(["a", None, "zz", "A"]), ["A", "a"]).tolist() == [1, MISSING, UNSEEN, 0]
    assert category_codes(pl.Series([1, 2, None]), [1.0, 2.0]).tolist() == [0, 1, MISSING]
    assert category_codes(np.array([1.0, np.nan, 3.0]), [1, 2]).tolist() == [0, MISSING, UNSEEN]
    # a boolean is never the number 1, and a number is never its text
    assert category_codes([True, 1, "1"], [1]).tolist() == [UNSEEN, 0, UNSEEN]
    enum = pl.Series(["b", None, "a"], dtype=pl.Enum(["a", "b"]))
    assert category_codes(enum, ["a", "b"]).tolist() == [1, MISSING, 0]
    cat = pl.Series(["b", "a", None], dtype=pl.Categorical)
    assert category_codes(cat, ["a", "b"]).tolist() == [1, 0, MISSING]
    pcat = pd.Series(["b", None, "a"], dtype="category")
    assert category_codes(pcat, ["a", "b"]).tolist() == [1, MISSING, 0]


def test_levels_are_the_union_by_value():
    assert category_levels([1, 2], [2.0, 3]) == [1, 2, 3]
    assert category_levels(["b", None], ["a", "B"]) == ["B", "a", "b"]
    assert category_levels([True, None], [False]) == [False, True]


def test_generators_count_unseen_as_missing():
    assert cat_codes(pl.Series(["a", "zz", None]), ["a"]).tolist() == [0, MISSING, MISSING]


# ------------------------------------------------------------------ the boolean case of the issue
def _flag_frames(n=600, seed=0):
    rng = np.random.default_rng(seed)
    g = rng.choice(["a", "b", "c"], size=n)
    x = rng.normal(size=n)
    real = pl.DataFrame({"g": g, "x": x, "flag": g == "a"})
    g2 = rng.choice(["a", "b", "c"], size=n)
    synth = pl.DataFrame({"g": g2, "x": rng.normal(size=n), "flag": g2 != "a"})
    return real, synth


def test_boolean_column_counts_in_pairwise_detection_and_utility():
    real, synth = _flag_frames()
    ds = from_frame(real, "flags", target="flag")
    assert ds.schema.categories["flag"] == (False, True)
    rep = sk.evaluate(ds, synth, random_state=0, n_boot=0,
                      families=("pairwise", "detection", "utility"))
    cs = _value(rep, "contingency_similarity", "g, flag")
    assert cs < 0.5
    assert cs == pytest.approx(contingency_similarity(real.select("g", "flag"), synth.select("g", "flag")))
    assert _value(rep, "detection_auc") > 0.9
    tstr = _value(rep, "tstr_macro_f1", "flag")
    trtr = _value(rep, "trtr_macro_f1", "flag")
    assert trtr > 0.95 and tstr < 0.2  # the synthetic rows teach the opposite rule


def test_the_same_generator_on_flags_reads_as_real():
    real, _ = _flag_frames(seed=1)
    other, _ = _flag_frames(seed=2)
    rep = sk.evaluate(from_frame(real, "flags"), other, random_state=0, n_boot=0, families=("pairwise",))
    assert _value(rep, "contingency_similarity", "g, flag") > 0.9


def test_encoder_one_hots_booleans():
    real, _ = _flag_frames(n=50)
    ds = from_frame(real, "flags")
    enc = sk.Encoder().fit(ds)
    X = enc.transform(ds)
    j = enc.feature_names_.index("flag=True")
    assert np.array_equal(X[:, j] > 0, real["flag"].to_numpy())


# ------------------------------------------------------------------ 2b: cases that disagreed with SDMetrics
def _schema_of(frame):
    return from_frame(frame, "t").schema


def test_missing_and_unseen_are_different_categories_in_pair_trends():
    real = pl.DataFrame({"c": ["a", "a", None, None], "d": ["x", "x", "x", "x"]})
    synth = pl.DataFrame({"c": ["a", "a", "zz", "zz"], "d": ["x", "x", "x", "x"]})
    rows, _ = pair_trends(real, synth, _schema_of(real), n_boot=0)
    table = {r["metric"]: r["value"] for r in rows}
    assert table["contingency_similarity"] == pytest.approx(0.5)
    assert contingency_similarity(real, synth) == pytest.approx(0.5)


def test_large_mean_columns_are_not_constant():
    rng = np.random.default_rng(0)
    t = 1.7e9 + rng.normal(0, 100, 500)
    noise = rng.normal(0, 9, 500)
    ra, rb = t, t + noise
    sa, sb = t, 2 * 1.7e9 - t + noise
    r_real = np.corrcoef(ra, rb)[0, 1]
    assert r_real > 0.99
    expected = 1 - abs(r_real - np.corrcoef(sa, sb)[0, 1]) / 2
    assert correlation_similarity(ra, rb, sa, sb) == pytest.approx(expected, abs=1e-6)
    assert expected < 0.01
    real = pl.DataFrame({"a": ra, "b": rb})
    rows, _ = pair_trends(real, pl.DataFrame({"a": sa, "b": sb}), _schema_of(real), n_boot=0)
    assert rows[-1]["value"] == pytest.approx(expected, abs=1e-6)


def test_constant_real_column_is_skipped_by_both_paths():
    real = pl.DataFrame({"a": [1.0, 1.0, 1.0, 1.0], "b": [1.0, 2.0, 3.0, 4.0]})
    synth = pl.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [1.0, 2.0, 3.0, 4.0]})
    assert np.isnan(correlation_similarity(real["a"], real["b"], synth["a"], synth["b"]))
    rows, _ = pair_trends(real, synth, _schema_of(real), n_boot=0)
    assert rows == []


def test_tv_complement_treats_nan_as_missing():
    assert tv_complement([1.0, np.nan], [1.0, np.nan]) == 1.0
    assert tv_complement(np.array([1.0, np.nan]), np.array([1.0, 1.0])) == pytest.approx(0.5)
    a = pd.Series(["x", np.nan, "y"])
    assert tv_complement(a, a.copy()) == 1.0
    assert tv_complement(a, pd.Series(["x", "y", "y"])) == pytest.approx(2 / 3)
    with pytest.raises(DataError):
        tv_complement([], ["a"])


def test_ks_complement_rounds_before_comparing():
    assert ks_complement([0.1, 0.2], [0.09999999999999999, 0.2]) == 1.0
    assert ks_complement(pd.Series([1.0, np.nan]), np.array([1.0])) == 1.0


def test_contingency_int_and_float_one_are_one_category():
    real = pd.DataFrame({"a": [1, 2, 1, 2], "b": ["x", "y", "x", "y"]})
    synth = pd.DataFrame({"a": [1.0, 2.0, 1.0, 2.0], "b": ["x", "y", "x", "y"]})
    assert contingency_similarity(real, synth) == 1.0
    assert tv_complement(real["a"], synth["a"]) == 1.0


# ------------------------------------------------------------------ the Encoder's one-hot cap
def test_encoder_caps_one_hot_levels():
    rng = np.random.default_rng(0)
    ids = [f"id{i}" for i in range(300)]
    frame = pl.DataFrame({"id": ids, "common": rng.choice(["u", "v"], 300), "x": rng.normal(size=300)})
    frame = frame.with_columns(pl.when(pl.int_range(300) < 50).then(pl.lit("id0")).otherwise(pl.col("id")).alias("id"))
    ds = from_frame(frame, "ids")
    enc = sk.Encoder(max_levels=10).fit(ds)
    names = [n for n in enc.feature_names_ if n.startswith("id=")]
    assert len(names) == 10 and names[-1] == f"id={OTHER}" and "id=id0" in names
    X = enc.transform(ds)
    block = X[:, [enc.feature_names_.index(n) for n in names]]
    assert np.allclose((block > 0).sum(axis=1), 1)  # every real row lands in exactly one column
    unseen = enc.transform(frame.head(1).with_columns(pl.lit("new").alias("id")))
    assert not (unseen[0, [enc.feature_names_.index(n) for n in names]] > 0).any()
    with pytest.raises(DataError, match="max_levels"):
        sk.Encoder(max_levels=1)


# ------------------------------------------------------------------ high cardinality
def _peak_mb(fn):
    import tracemalloc

    tracemalloc.start()
    try:
        out = fn()
        return out, tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def test_pairs_of_many_level_columns_are_counted_sparsely():
    from synthkit.metrics.pairwise import _pair_scores

    rng = np.random.default_rng(0)
    n = 8000
    real = pl.DataFrame({"a": [f"a{i}" for i in rng.permutation(n) % 4000],
                         "b": [f"b{i}" for i in rng.permutation(n) % 4000]})
    synth = real.sample(2000, seed=1)
    schema = from_frame(real, "wide").schema
    # a dense 4002 x 4002 table of int64 counts is 128 MB per side
    pairs, peak = _peak_mb(lambda: _pair_scores(real, synth, schema, 10, 0, None))
    assert len(pairs) == 1 and 0 < pairs[0]["value"] < 1
    assert peak < 40, peak


@pytest.mark.slow
def test_a_50000_level_column_runs_in_bounded_memory_with_a_note():
    rng = np.random.default_rng(0)
    n, m = 50_000, 2_000
    real = pl.DataFrame({"id": [f"u{i}" for i in range(n)], "g": rng.choice(["a", "b", "c"], n),
                         "x": rng.normal(size=n)})
    synth = pl.DataFrame({"id": [f"u{i}" for i in rng.integers(0, 2 * n, m)], "g": rng.choice(["a", "b", "c"], m),
                          "x": rng.normal(size=m)})
    ds = from_frame(real, "ids", target="g")
    # the encoder alone would need 50,000 one-hot columns x 52,000 rows (10 GB) without its cap
    rep, peak = _peak_mb(lambda: sk.evaluate(ds, synth, random_state=0, n_boot=0,
                                             families=("fidelity", "pairwise", "detection", "utility")))
    assert peak < 600, peak
    assert any("ID-like" in note and "'id'" in note for note in rep.notes)
    assert "ID-like" in rep._repr_html_()
    assert rep.table.filter(pl.col("column").str.contains("id, |, id")).height == 0  # no pair with the ID column
    assert _value(rep, "tv_complement", "id") < 0.1
    assert _value(rep, "contingency_similarity", "g, x") > 0.9


def test_summary_tables_count_booleans():
    from synthkit.summary import compare, tv_distance

    real = pl.DataFrame({"f": [True, False, True, None], "x": [1.0, 2.0, 3.0, 4.0]})
    table = compare(from_frame(real, "flags"), real.with_columns(pl.lit(True).alias("f")))
    shares = {r["statistic"]: (r["real"], r["synthetic 1"]) for r in table.iter_rows(named=True) if r["column"] == "f"}
    assert shares == {"share False": (0.25, 0.0), "share True": (0.5, 1.0), "share (missing)": (0.25, 0.0)}
    assert tv_distance(real["f"], pl.Series([True] * 4)) == pytest.approx(1 - tv_complement(real["f"], [True] * 4))


@pytest.mark.parametrize("method", ["bootstrap", "cart", "copula"])
def test_generator_conditions_match_by_value(method):
    from synthkit.errors import ConditionError

    real, _ = _flag_frames(n=200)
    ds = from_frame(real.with_columns(pl.Series("k", np.arange(200) % 3)), "flags", categorical=["k"])
    batch = sk.generate(ds, method, n=30, random_state=0, conditions={"flag": True, "k": 1.0})
    assert batch.frame["flag"].to_list() == [True] * 30
    assert batch.frame["k"].to_list() == [1] * 30
    for bad in ({"flag": 1}, {"flag": "True"}, {"k": "1"}, {"k": None}):
        with pytest.raises(ConditionError, match="never occurs"):
            sk.generate(ds, method, n=5, random_state=0, conditions=bad)


def test_missing_and_unseen_in_evaluate_table():
    real = pl.DataFrame({"c": ["a", "a", None, None] * 3, "d": ["x"] * 12})
    synth = pl.DataFrame({"c": ["a", "a", "zz", "zz"] * 3, "d": ["x"] * 12})
    rep = sk.evaluate(from_frame(real, "t"), synth, random_state=0, n_boot=0, k=2, families=("pairwise",))
    assert _value(rep, "contingency_similarity", "c, d") == pytest.approx(0.5)


def test_id_like_columns_are_skipped_with_a_note():
    rng = np.random.default_rng(0)
    n = 200
    real = pl.DataFrame({"id": [f"r{i}" for i in range(n)], "g": rng.choice(["a", "b"], n), "x": rng.normal(size=n)})
    synth = pl.DataFrame({"id": [f"s{i}" for i in range(n)], "g": rng.choice(["a", "b"], n), "x": rng.normal(size=n)})
    rep = sk.evaluate(from_frame(real, "ids", target="g"), synth, random_state=0, n_boot=0,
                      families=("pairwise", "detection", "utility"))
    assert any("ID-like column(s) ['id']" in note for note in rep.notes)
    assert "ID-like" in rep._repr_html_()
    assert rep.table.filter(pl.col("column").str.contains("id")).height == 0
    # every synthetic id is new, yet detection does not see it: the column is skipped
    assert _value(rep, "detection_auc") < 0.8
    # below the thresholds (50 levels, half the rows) a column is kept
    few = real.with_columns((pl.lit("r") + (pl.int_range(n) % 40).cast(pl.String)).alias("id"))
    rep = sk.evaluate(from_frame(few, "ids"), synth, random_state=0, n_boot=0, families=("pairwise",))
    assert not any("ID-like" in note for note in rep.notes)
    assert rep.table.filter(pl.col("column") == "id, g").height == 1


def test_public_functions_name_bad_inputs():
    with pytest.raises(DataError, match="^a must be one column"):
        tv_complement(pd.DataFrame({"c": [1]}), [1])
    with pytest.raises(DataError, match="^b must hold numbers"):
        ks_complement([1.0], pd.Series(["x"]))


def test_marginals_show_at_most_max_bars():
    from synthkit.metrics.fidelity import MAX_BARS, marginals

    real = pl.DataFrame({"c": [f"v{i % 300}" for i in range(900)] + ["v0"] * 100})
    ds = from_frame(real, "many")
    m = marginals(ds.frame, real.head(50), ds.schema)["c"]
    assert len(m["categories"]) == MAX_BARS and m["categories"][-1] == OTHER
    assert "v0" in m["categories"]
    assert sum(m["real"]) == pytest.approx(1.0) and sum(m["synthetic"]) == pytest.approx(1.0)
