"""Property test: for every kind of categorical column, evaluate()'s table, the public
metric functions and the Encoder agree with each other and with plain counting."""

from __future__ import annotations

from collections import Counter

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import synthkit as sk
from synthkit.data import from_frame
from synthkit.encode import _NULL
from synthkit.metrics.fidelity import tv_complement
from synthkit.metrics.pairwise import contingency_similarity

POOLS = {
    "bool": ([True, False], []),
    "int": ([0, 1, 2, -3, 10], [99]),
    "str": (["a", "A", "b", "B", "ab"], ["zz", "Zz"]),
    "enum": (["a", "A", "b"], ["zz"]),
    "categorical": (["a", "A", "b"], ["zz"]),
}


def _series(name, values, kind, pool):
    if kind == "bool":
        return pl.Series(name, values, dtype=pl.Boolean)
    if kind == "int":
        return pl.Series(name, values, dtype=pl.Int64)
    if kind == "enum":
        return pl.Series(name, values, dtype=pl.Enum(pool))
    if kind == "categorical":
        return pl.Series(name, values, dtype=pl.Categorical)
    return pl.Series(name, values, dtype=pl.String)


@st.composite
def cases(draw):
    kind = draw(st.sampled_from(sorted(POOLS)))
    levels, unseen = POOLS[kind]
    real_vals = st.one_of(st.sampled_from(levels), st.none())
    synth_vals = st.one_of(st.sampled_from(levels + unseen), st.none())
    n_real = draw(st.integers(12, 40))
    n_synth = draw(st.integers(6, 40))
    present = lambda v: any(x is not None for x in v)  # noqa: E731 - a column needs one value
    c_real = draw(st.lists(real_vals, min_size=n_real, max_size=n_real).filter(present))
    c_synth = draw(st.lists(synth_vals, min_size=n_synth, max_size=n_synth).filter(present))
    d = st.one_of(st.sampled_from(["x", "y"]), st.none())
    d_real = draw(st.lists(d, min_size=n_real, max_size=n_real).filter(present))
    d_synth = draw(st.lists(d, min_size=n_synth, max_size=n_synth).filter(present))
    pool = levels + unseen
    real = pl.DataFrame([_series("c", c_real, kind, pool), pl.Series("d", d_real, dtype=pl.String)])
    synth = pl.DataFrame([_series("c", c_synth, kind, pool), pl.Series("d", d_synth, dtype=pl.String)])
    return kind, real, synth


def _counted_tv(a: list, b: list) -> float:
    """Reference: plain counting of Python values (None = missing)."""
    ca, cb = Counter(a), Counter(b)
    return 1 - 0.5 * sum(abs(ca[k] / len(a) - cb[k] / len(b)) for k in set(ca) | set(cb))


def _table(rep, metric, column):
    t = rep.table.filter((pl.col("metric") == metric) & (pl.col("column") == column))
    assert t.height == 1
    return t["value"][0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(cases())
def test_table_public_functions_and_encoder_agree(case):
    kind, real, synth = case
    ds = from_frame(real, "prop", categorical=["c"] if kind == "int" else None)
    assert "c" in ds.schema.categorical
    rep = sk.evaluate(ds, synth, random_state=0, n_boot=0, families=("fidelity", "pairwise"))
    as_values = (lambda s: s.cast(pl.String).to_list()) if kind in ("enum", "categorical") else (lambda s: s.to_list())
    rc, sc = as_values(real["c"]), as_values(synth["c"])

    # column shapes: table == public function == plain counting
    tv = tv_complement(real["c"], synth["c"])
    assert _table(rep, "tv_complement", "c") == pytest.approx(tv, abs=1e-12)
    assert tv == pytest.approx(_counted_tv(rc, sc), abs=1e-12)

    # pair trends: table == public function == plain counting of pairs
    cs = contingency_similarity(real.select("c", "d"), synth.select("c", "d"))
    assert _table(rep, "contingency_similarity", "c, d") == pytest.approx(cs, abs=1e-12)
    pairs_r = list(zip(rc, real["d"].to_list()))
    pairs_s = list(zip(sc, synth["d"].to_list()))
    assert cs == pytest.approx(_counted_tv(pairs_r, pairs_s), abs=1e-12)

    # the Encoder: each row's one-hot column names its own value (unseen: no column)
    enc = sk.Encoder().fit(ds)
    names = [n for n in enc.feature_names_ if n.startswith("c=")]
    cols = [enc.feature_names_.index(n) for n in names]
    levels = enc.levels_["c"]
    for frame, values in ((ds.frame, rc), (synth, sc)):
        block = enc.transform(frame)[:, cols] > 0
        assert (block.sum(axis=1) <= 1).all()
        for row, v in zip(block, values):
            hit = np.flatnonzero(row)
            if v is None:
                assert [levels[i] for i in hit] == ([_NULL] if _NULL in levels else [])
            elif any(v == lv and type(v) is type(lv) for lv in levels):
                assert len(hit) == 1 and levels[hit[0]] == v and type(levels[hit[0]]) is type(v)
            else:
                assert hit.size == 0


@st.composite
def numeric_cases(draw):
    n_real, n_synth = draw(st.integers(12, 40)), draw(st.integers(6, 40))
    offset = draw(st.sampled_from([0.0, 1.7e9, -3e5]))
    scale = draw(st.sampled_from([1.0, 1e-3, 100.0]))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)

    def col(n, missing):
        v = offset + scale * np.round(rng.normal(size=n), draw(st.integers(0, 3)))
        v[1:][rng.random(n - 1) < missing] = np.nan  # the first value is always present
        return v

    miss = draw(st.sampled_from([0.0, 0.2]))
    real = pl.DataFrame({"a": col(n_real, miss), "b": col(n_real, miss)}).fill_nan(None)
    synth = pl.DataFrame({"a": col(n_synth, miss), "b": col(n_synth, miss)}).fill_nan(None)
    if draw(st.booleans()):  # correlated real pair
        real = real.with_columns((pl.col("a") + pl.col("b") - offset).alias("b"))
    return real, synth


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(numeric_cases())
def test_numeric_table_and_public_functions_agree(case):
    from synthkit.metrics.fidelity import ks_complement
    from synthkit.metrics.pairwise import correlation_similarity

    real, synth = case
    ds = from_frame(real, "num")
    rep = sk.evaluate(ds, synth, random_state=0, n_boot=0, families=("fidelity", "pairwise"))
    for c in ("a", "b"):
        assert _table(rep, "ks_complement", c) == pytest.approx(ks_complement(real[c], synth[c]), abs=1e-12)
    public = correlation_similarity(real["a"], real["b"], synth["a"], synth["b"])
    t = rep.table.filter(pl.col("metric") == "correlation_similarity")
    if np.isnan(public):
        assert t.height == 0
    else:
        assert t["value"][0] == pytest.approx(public, abs=1e-12)
