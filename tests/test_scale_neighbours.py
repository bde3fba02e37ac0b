"""The distributed neighbour pass equals the in-memory one exactly, whatever the chunking."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit.errors import DataError
from synthkit.metrics.coverage import prdc_rows
from synthkit.metrics.privacy import exact_copies
from synthkit.neighbors import cross_pass, knn
from synthkit.neighbors import exact as X
from synthkit.scale.neighbours import InProcess, Ref, neighbour_rows, recall_rows, self_chunk

PRDC_FIELDS = ("real_radius", "synth_radius", "real_nn_dist", "real_nn_index", "inside_support", "ball_count",
               "covered", "in_synth_support")
CROSS_FIELDS = ("d1", "d2", "i1", "ball_count", "ref_d1", "ref_i1", "ref_inside", "ref_covered")


@pytest.fixture(scope="module")
def engine(dask_engine):
    """The session's 2-worker local cluster."""
    return dask_engine


def _encoded(real: pl.DataFrame, synth: pl.DataFrame, ds: sk.Dataset):
    enc = sk.Encoder().fit(ds)
    return enc.transform(real).astype(np.float64), enc.transform(synth).astype(np.float64)


@pytest.fixture(scope="module")
def penguin_case(penguins):
    """Real rows with duplicated rows side by side, synthetic rows repeated 3 times in a row (ties everywhere)."""
    cols = list(penguins.schema.columns)
    real = pl.concat([penguins.frame, penguins.frame[::9]]).sort(cols, nulls_last=True, maintain_order=True)
    base = penguins.frame.sample(120, seed=3)
    synth = pl.concat([base, base, base]).sort(cols, nulls_last=True, maintain_order=True)
    assert real.select(cols)[:60].is_duplicated().sum() >= 6  # twins side by side, also in _cut's slice
    R, S = _encoded(real, synth, penguins)
    H = R[::5]
    return real, synth, R, S, H, list(penguins.schema.columns)


def _expected(real, synth, R, S, H, columns, k=5):
    return prdc_rows(R, S, k), exact_copies(real, synth, columns), cross_pass(S, H).d1


def _assert_same(nr, expected) -> None:
    pr, exact, hold = expected
    for f in PRDC_FIELDS:
        assert np.array_equal(getattr(nr.prdc, f), getattr(pr, f)), f
    for f in CROSS_FIELDS:
        assert np.array_equal(getattr(nr.prdc.cross, f), getattr(pr.cross, f)), f
    assert nr.prdc.scores() == pr.scores()
    if exact is not None:
        assert np.array_equal(nr.exact, exact)
    if hold is not None:
        assert np.array_equal(nr.dcr_holdout, hold)


# --------------------------------------------------------------------------- in process: the chunk functions
def test_blocks_merge_from_pieces():
    rng = np.random.default_rng(0)
    for _ in range(300):
        d = int(rng.integers(1, 10))
        A = (rng.random((int(rng.integers(1, 8)), d)) < rng.random()) * rng.normal(size=d)
        B = (rng.random((int(rng.integers(1, 8)), d)) < rng.random()) * rng.normal(size=d)
        pieces = [A[:1], A[1:], B]
        merged = X.blocks_from(np.maximum.reduce([X.block_bounds(p) for p in pieces]))
        want = X.blocks(A, B)
        assert len(merged) == len(want) and all(np.array_equal(a, b) for a, b in zip(merged, want))


def test_self_chunk_excludes_the_row_by_its_global_number():
    R = np.repeat(np.arange(6, dtype=np.float64)[:, None], 3, axis=0)  # groups of 3 equal rows
    d, i = knn(R, 2)
    ref = Ref.build(R, X.blocks(R))
    for size in (1, 2, 4):
        parts = [self_chunk((a, min(len(R), a + size)), ref, k=2) for a in range(0, len(R), size)]
        radius, nn_d, nn_i = (np.concatenate(p) for p in zip(*parts))
        assert np.array_equal(radius, d[:, 1]) and np.array_equal(nn_d, d[:, 0]) and np.array_equal(nn_i, i[:, 0])
        assert (nn_i != np.arange(len(R))).all()  # never the row itself, with its twins in other chunks
    dd, ii = X.ExactIndex(R).self_query(2, rows=slice(4, 11))
    assert np.array_equal(dd, d[4:11]) and np.array_equal(ii, i[4:11])


def _cut(case, size):
    """Chunks of one row on a slice of the case (both sides keep duplicates side by side)."""
    if size != 1:
        return case
    real, synth, R, S, H, cols = case
    return real[:60], synth[:40], R[:60], S[:40], H, cols


@pytest.mark.parametrize("size", [1, 7, 50, None])
def test_in_process_chunks_equal_in_memory(penguin_case, size):
    real, synth, R, S, H, cols = _cut(penguin_case, size)
    nr = neighbour_rows(R, S, 5, real=real, synth=synth, columns=cols, holdout_X=H, rows_per_chunk=size)
    _assert_same(nr, _expected(real, synth, R, S, H, cols))


class _Reversed(InProcess):
    """Merges chunk results out of order (what the exactness tests must catch)."""

    def map(self, fn, chunks, *broadcast, **kwargs):
        return super().map(fn, chunks, *broadcast, **kwargs)[::-1]


def test_results_merged_out_of_order_are_caught(penguin_case):
    real, synth, R, S, H, cols = penguin_case
    with pytest.raises(AssertionError):
        _assert_same(neighbour_rows(R, S, 5, real=real, synth=synth, columns=cols, holdout_X=H, rows_per_chunk=50,
                                    engine=_Reversed()),
                     _expected(real, synth, R, S, H, cols))


def test_recall_sample_is_seeded_and_in_row_order(penguin_case):
    real, synth, R, S, H, cols = penguin_case
    assert np.array_equal(recall_rows(10, 20), np.arange(10))
    a, b = recall_rows(1000, 100, 3), recall_rows(1000, 100, 3)
    assert np.array_equal(a, b) and a.size == 100 and (np.diff(a) > 0).all()
    assert not np.array_equal(a, recall_rows(1000, 100, 4))
    nr = neighbour_rows(R, S, 5, recall_sample=100, random_state=2, rows_per_chunk=64)
    sample = recall_rows(S.shape[0], 100, 2)
    assert np.array_equal(nr.recall_rows, sample)
    full, sub = prdc_rows(R, S, 5), prdc_rows(R, S[sample], 5)
    assert np.array_equal(nr.prdc.cross.d1, full.cross.d1) and np.array_equal(nr.prdc.ball_count, full.ball_count)
    assert np.array_equal(nr.prdc.in_synth_support, sub.in_synth_support)
    assert np.array_equal(nr.prdc.covered, sub.covered)
    assert np.array_equal(nr.prdc.cross.ref_i1, sample[sub.cross.ref_i1])


def test_bad_input_is_named(penguin_case):
    real, synth, R, S, H, cols = penguin_case
    with pytest.raises(DataError, match="rows_per_chunk"):
        neighbour_rows(R, S, 5, rows_per_chunk=0)
    with pytest.raises(DataError, match="recall_sample"):
        neighbour_rows(R, S, 5, recall_sample=3)
    with pytest.raises(DataError, match="columns="):
        neighbour_rows(R, S, 5, real=real)
    with pytest.raises(DataError, match="holdout_X"):
        neighbour_rows(R, S, 5, holdout_X=H[:, :3])


# --------------------------------------------------------------------------- on the 2-worker cluster
@pytest.mark.parametrize("size", [1, 7, 64, None])
def test_cluster_equals_in_memory_penguins(engine, penguin_case, size):
    real, synth, R, S, H, cols = _cut(penguin_case, size)
    nr = neighbour_rows(R, S, 5, engine=engine, real=real, synth=synth, columns=cols, holdout_X=H,
                        rows_per_chunk=size)
    _assert_same(nr, _expected(real, synth, R, S, H, cols))


@pytest.fixture(scope="module")
def adult_case(adult):
    """20,000 real adult rows (with their duplicates) and 20,000 resampled, partly jittered ones."""
    real = adult.frame.sample(20_000, seed=0)
    rng = np.random.default_rng(1)
    synth = real.sample(20_000, with_replacement=True, seed=1)
    jitter = rng.random(synth.height) < 0.5
    synth = synth.with_columns(pl.when(pl.Series(jitter)).then(pl.col("age") + 1).otherwise(pl.col("age"))
                               .alias("age"))
    R, S = _encoded(real, synth, sk.Dataset("adult", real, adult.schema))
    return real, synth, R, S, R[:2000], list(adult.schema.columns)


def test_cluster_equals_in_memory_adult(engine, adult_case):
    real, synth, R, S, H, cols = adult_case
    expected = _expected(real, synth, R, S, H, cols)
    for size in (4_999, None):
        nr = neighbour_rows(R, S, 5, engine=engine, real=real, synth=synth, columns=cols, holdout_X=H,
                            rows_per_chunk=size)
        _assert_same(nr, expected)
    assert 0 < expected[1].sum() < S.shape[0]  # some exact copies, not all


def test_evaluate_refuses_an_unknown_engine(engine, penguins):
    with pytest.raises(DataError, match="engine='spark'"):
        sk.evaluate(penguins, penguins.frame[:50], engine="spark", families="privacy")


def test_evaluate_with_engine_equals_in_memory(engine, penguins):
    train, hold = penguins.split(0.8, random_state=0)
    synth = sk.generate(train, "bootstrap", n=300, random_state=1)
    ref = sk.evaluate(train, synth, holdout=hold, n_boot=30)
    for eng, size in ((engine, 37), (InProcess(), 5)):
        rep = sk.evaluate(train, synth, holdout=hold, n_boot=30, engine=eng, rows_per_chunk=size)
        assert rep.table.equals(ref.table)
        assert rep.rows.equals(ref.rows)
        for key in ("coverage", "privacy"):
            for name, value in ref.summary[key].items():
                got = rep.summary[key][name]
                assert (np.array_equal(got, value) if isinstance(value, np.ndarray) else got == value), name
    nndr = ref.summary["privacy"]["nndr"]  # per synthetic row, in row order
    assert nndr.shape == (len(synth),) and ((nndr >= 0) & (nndr <= 1)).all()


class _Piece:
    """A partition held in memory (read() on the worker)."""

    def __init__(self, frame: pl.DataFrame, offset: int) -> None:
        self.frame, self.offset, self.n_rows = frame, offset, frame.height
        self.label = f"piece {offset}"

    def read(self) -> pl.DataFrame:
        return self.frame


def _pieces(frame: pl.DataFrame, sizes) -> list:
    out, at = [], 0
    for n in sizes:
        out.append(_Piece(frame[at:at + n], at))
        at += n
    assert at == frame.height
    return out


def test_partitions_encoded_on_the_workers_equal_in_memory(penguins, penguin_case):
    real, synth, R, S, H, cols = penguin_case
    enc = sk.Encoder().fit(penguins)
    expected = _expected(real, synth, R, S, H, cols)
    for sizes in ([synth.height], [1, 2, 100, synth.height - 103]):
        nr = neighbour_rows(R, _pieces(synth, sizes), 5, encoder=enc, real=real, columns=cols, holdout_X=H,
                            rows_per_chunk=64)
        _assert_same(nr, expected)
    sub = neighbour_rows(R, _pieces(synth, [100, synth.height - 100]), 5, encoder=enc, recall_sample=50,
                         random_state=1)
    assert np.array_equal(sub.prdc.in_synth_support, prdc_rows(R, S[recall_rows(S.shape[0], 50, 1)], 5).in_synth_support)
    with pytest.raises(DataError, match="encoder="):
        neighbour_rows(R, _pieces(synth, [synth.height]), 5)


def test_a_partition_with_a_column_of_the_wrong_type_is_named(engine, penguins):
    from synthkit.scale import Partitions

    enc = sk.Encoder().fit(penguins)
    R = enc.transform(penguins.frame)
    bad = penguins.frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 150).then(pl.lit("long"))
        .otherwise(pl.col("bill_length_mm").cast(pl.String)).alias("bill_length_mm"))
    parts = Partitions.open(bad, rows_per_chunk=100)
    for eng in (engine, InProcess()):
        with pytest.raises(sk.SchemaError, match=r"rows 100-199: .*bill_length_mm"):
            neighbour_rows(R, parts, 5, encoder=enc, engine=eng)


def test_permutations_computed_elsewhere_give_the_same_verdicts():
    from synthkit.metrics._baseline import permutation_test

    rng = np.random.default_rng(0)
    x = np.r_[rng.normal(0.3, 1, 40), rng.normal(0, 1, 40)]
    better: dict = {}

    def stat(idx):
        better["mean"] = "lower"
        return {"mean": float(x[idx].mean())}

    here = permutation_test(stat, 40, better, n_perm=19, random_state=3)
    calls = []

    def elsewhere(idx_list):
        calls.append(len(idx_list))
        return InProcess().map(lambda i: stat(i), idx_list)

    assert permutation_test(stat, 40, better, n_perm=19, random_state=3, map_stat=elsewhere) == here
    assert calls == [39]  # S' stays here, B' and 19 pairs go out
    backwards = permutation_test(stat, 40, better, n_perm=19, random_state=3,
                                 map_stat=lambda idx_list: [stat(i) for i in idx_list][::-1])
    assert backwards != here  # results put back out of order would show


def test_exact_copies_in_partitions_of_other_dtypes(penguins, tmp_path):
    from synthkit.scale import Partitions

    enc = sk.Encoder().fit(penguins)
    R = enc.transform(penguins.frame).astype(np.float64)
    synth = penguins.frame.sample(200, with_replacement=True, seed=2)
    odd = synth.with_columns(pl.col("body_mass_g").cast(pl.Float32), pl.col("species").cast(pl.Categorical))
    odd[:100].write_parquet(tmp_path / "a.parquet")
    odd[100:].write_parquet(tmp_path / "b.parquet")
    cols = list(penguins.schema.columns)
    nr = neighbour_rows(R, list(Partitions.open(tmp_path)), 5, encoder=enc, real=penguins.frame, columns=cols)
    want = exact_copies(penguins.frame, synth, cols)
    assert want.all() and np.array_equal(nr.exact, want)
