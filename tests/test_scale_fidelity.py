"""Fidelity and pair trends of partitioned synthetic rows equal the in-memory values exactly.

Every comparison is ``==`` on the report rows (floats to the last bit) and
``DataFrame.equals`` on the summaries: the partitioned path adds integer counts
and exact (integer) moment sums, so no tolerance is needed anywhere.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit.data import Dataset, from_frame
from synthkit.errors import DataError, SchemaError
from synthkit.metrics._exact import SCALE, exact_sums, moments
from synthkit.metrics.evaluate import _families, _fidelity, _inputs, _pairwise
from synthkit.scale.fidelity import (
    fidelity_from_stats, fidelity_partitioned, fidelity_plan, merge_stats, partition_stats,
)


def _in_memory(real: Dataset, synth: pl.DataFrame):
    """evaluate()'s fidelity and pairwise steps with n_boot=0: rows and summaries."""
    run = _inputs(real, synth, None, None, None, 0, 5, 0, 0, _families(["fidelity", "pairwise"]))
    _fidelity(run)
    _pairwise(run)
    return run


def _split(frame: pl.DataFrame, size: int) -> list[pl.DataFrame]:
    return [frame.slice(i, size) for i in range(0, frame.height, size)]


def _assert_same(rows, summary, run) -> None:
    assert rows == run.rows
    assert summary["marginals"] == run.summary["marginals"]
    assert summary["fidelity"]["columns"].equals(run.summary["fidelity"]["columns"])
    if "category_shares" in run.summary["fidelity"]:
        assert summary["fidelity"]["category_shares"].equals(run.summary["fidelity"]["category_shares"])
    assert summary["pairwise"]["pairs"].equals(run.summary["pairwise"]["pairs"])


def _synthetic(ds: Dataset, n: int, seed: int) -> pl.DataFrame:
    """Rows drawn from ``ds`` with jitter on the numbers and a few unseen categories."""
    rng = np.random.default_rng(seed)
    f = ds.frame.drop("row_id")
    out = f[rng.integers(0, f.height, n)]
    cols = []
    for c in ds.schema.numeric:
        x = out[c].cast(pl.Float64).to_numpy()
        moved = pl.Series(c, x + rng.normal(0, 0.1 * np.nanstd(f[c].cast(pl.Float64).to_numpy()), n),
                          nan_to_null=True)
        cols.append(moved.round().cast(f[c].dtype) if f[c].dtype.is_integer() else moved)
    for c in ds.schema.categorical[:1]:
        v = out[c].cast(pl.String).to_list()
        v[: max(1, n // 50)] = ["never seen"] * max(1, n // 50)
        cols.append(pl.Series(c, v, dtype=pl.String))
    out = out.with_columns(cols)
    return out.with_columns(pl.Series("row_id", [f"s{i}" for i in range(n)]))


@pytest.fixture(scope="module")
def penguins():
    ds = sk.load("penguins")
    return ds, _synthetic(ds, 150, 1)


@pytest.fixture(scope="module")
def adult():
    ds = sk.load("adult")
    real = Dataset(ds.name, ds.frame.head(3000), ds.schema)
    return real, _synthetic(real, 2000, 2)


@pytest.fixture(scope="module")
def odd():
    """Nulls, a constant and an all-null column, booleans, unseen levels and odd column names."""
    rng = np.random.default_rng(3)
    n = 80

    def frame(n, shift, levels):
        x = rng.normal(shift, 1, n)
        x[rng.random(n) < 0.2] = np.nan
        return pl.DataFrame({
            "a b": pl.Series(x, nan_to_null=True),
            "count": pl.Series(rng.integers(0, 5, n)).cast(pl.Float64).to_list(),
            "v": rng.choice(levels, n).tolist(),
            "n": [None if i % 7 == 0 else bool(i % 3) for i in range(n)],
            "même/ü": [1e12 + 1e-3 * i for i in range(n)],  # large mean, small spread
            "flat": [2.5] * n,
            "empty": pl.Series([None] * n, dtype=pl.Float64),
            "len": [None if i % 5 == 0 else str(i % 4) for i in range(n)],
        })

    f = frame(n, 0.0, ["x", "y", "z"])
    ds = from_frame(f.with_columns(pl.Series("empty", [0.0] + [None] * (n - 1))), "odd",
                    categorical=["v", "n", "len"])
    real = Dataset("odd", ds.frame.with_columns(f["empty"]), ds.schema)  # a real column of nulls only
    synth = frame(60, 0.3, ["x", "y", "q", "r"]).with_columns(
        pl.Series("empty", [None] * 59 + [1.0]), pl.Series("flat", [2.5] * 30 + [3.0] * 30),
        pl.Series("row_id", [f"s{i}" for i in range(60)]))
    return real, synth


@pytest.mark.parametrize("size", [1, 7, 64, 150])
def test_penguins_partitions_equal_in_memory(penguins, size):
    real, synth = penguins
    run = _in_memory(real, synth)
    parts = _split(synth, size) + [synth.clear()]  # an empty partition adds nothing
    rows, summary = fidelity_partitioned(real, parts, run.inp.schema)
    _assert_same(rows, summary, run)
    assert any(r["metric"] == "correlation_similarity" for r in rows)
    assert any(r["metric"] == "category_shares" for r in rows)


@pytest.mark.parametrize("size", [333, 2000])
def test_adult_partitions_equal_in_memory(adult, size):
    real, synth = adult
    run = _in_memory(real, synth)
    rows, summary = fidelity_partitioned(run.real, _split(synth, size), run.inp.schema)
    _assert_same(rows, summary, run)


@pytest.mark.parametrize("size", [1, 13, 60])
def test_nulls_constants_unseen_and_odd_names(odd, size):
    real, synth = odd
    run = _in_memory(real, synth)
    rows, summary = fidelity_partitioned(run.real, _split(synth, size), run.inp.schema)
    _assert_same(rows, summary, run)
    metrics = {r["column"]: r["value"] for r in rows if r["metric"] == "within_support"}
    assert metrics["v"] < 1.0  # unseen levels are outside the real category set
    assert metrics["empty"] == 0.0  # no real value: nothing is inside
    pairs = summary["pairwise"]["pairs"]
    assert "flat" not in pairs.filter(pl.col("metric") == "correlation_similarity")["a"].to_list()


def test_one_family_at_a_time(penguins):
    real, synth = penguins
    run = _in_memory(real, synth)
    n_fid = sum(r["family"] == "fidelity" for r in run.rows)
    rows, summary = fidelity_partitioned(real, synth, run.inp.schema, families="fidelity")
    assert rows == run.rows[:n_fid] and set(summary) == {"fidelity", "marginals"}
    rows, summary = fidelity_partitioned(real, synth, run.inp.schema, families=["pairwise"])
    assert rows == run.rows[n_fid:] and set(summary) == {"pairwise"}
    with pytest.raises(DataError, match="families"):
        fidelity_partitioned(real, synth, run.inp.schema, families=["coverage"])


def test_merge_order_and_grouping_do_not_matter(adult):
    real, synth = adult
    run = _in_memory(real, synth)
    plan = fidelity_plan(run.real, run.inp.schema, skip=run.inp.id_like)
    parts = [partition_stats(p, plan) for p in _split(synth, 1)[:5] + _split(synth[5:], 399)]
    rng = np.random.default_rng(0)
    shuffled = merge_stats(*[parts[i] for i in rng.permutation(len(parts))])
    tree = merge_stats(merge_stats(*parts[:3]), merge_stats(parts[3], merge_stats(*parts[4:][::-1])))
    real_stats = partition_stats(run.real, plan)
    results = [fidelity_from_stats(run.real, real_stats, s, plan) for s in (merge_stats(*parts), shuffled, tree)]
    for rows, summary in results:
        assert rows == run.rows
        assert summary["pairwise"]["pairs"].equals(run.summary["pairwise"]["pairs"])
        assert summary["marginals"].keys() <= run.summary["marginals"].keys()  # no histograms pass here


def test_exact_sums_and_moments_are_exact_and_mergeable():
    from fractions import Fraction

    rng = np.random.default_rng(4)
    x = rng.normal(size=500) * 10.0 ** rng.integers(-320, 300, 500)
    x[:3] = [0.0, 5e-324, -1.7e308]
    y = rng.normal(size=500)
    assert Fraction(exact_sums([x])[0], SCALE) == sum(Fraction(v) for v in x)
    m = moments(x, y)
    assert Fraction(m.sxy, SCALE**2) == sum(Fraction(a) * Fraction(b) for a, b in zip(x, y))
    assert moments(x[:200], y[:200]) + moments(x[200:], y[200:]) == m
    big = np.full(50, 1e12) + 1e3 * np.arange(50)  # large mean, small spread: not constant
    assert not moments(big).is_constant("x", 1e-10)
    assert moments(np.full(9, 3.3)).is_constant("x", 1e-10)
    assert moments(big, 2 * big).correlation(1e-10) == 1.0


def test_bad_partitions_are_named(penguins):
    real, synth = penguins
    run = _in_memory(real, synth)
    bad = synth.slice(100, 50).with_columns(pl.lit("heavy").alias("body_mass_g"))
    with pytest.raises(SchemaError, match="rows 100-149"):
        fidelity_partitioned(run.real, [synth.slice(0, 100), bad], run.inp.schema)
    with pytest.raises(DataError, match="no partition"):
        fidelity_partitioned(run.real, [], run.inp.schema)
    nan = synth.with_columns(pl.lit(float("nan")).alias("bill_depth_mm"))
    with pytest.raises(DataError, match="rows 0-149: .*'bill_depth_mm' holds NaN"):
        fidelity_partitioned(run.real, [nan], run.inp.schema)
    with pytest.raises(DataError, match="only missing values"):
        fidelity_partitioned(run.real, [synth.with_columns(pl.lit(None, dtype=pl.Float64).alias("year"))],
                             run.inp.schema)


def test_engine_over_parquet_partitions(dask_engine, adult, tmp_path):
    from synthkit.scale import Partitions

    real, synth = adult
    run = _in_memory(real, synth)
    for i, p in enumerate(_split(synth, 700)):
        p.write_parquet(tmp_path / f"part-{i}.parquet")
    parts = Partitions.open(str(tmp_path), rows_per_chunk=300)
    assert len(parts) > 3
    rows, summary = fidelity_partitioned(run.real, parts, run.inp.schema, dask_engine, batch=4)
    _assert_same(rows, summary, run)


def test_engine_names_a_partition_of_the_wrong_type(dask_engine, penguins, tmp_path):
    from synthkit.scale import Partitions

    real, synth = penguins
    synth.with_columns(pl.lit("heavy").alias("body_mass_g")).write_parquet(tmp_path / "bad-part.parquet")
    with pytest.raises(SchemaError, match="bad-part.parquet.*body_mass_g"):
        fidelity_partitioned(real, Partitions.open(str(tmp_path)), real.schema, dask_engine)
