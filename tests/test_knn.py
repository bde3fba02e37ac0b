"""The exact blocked search (above 4,096 rows): the same neighbours as brute force, nothing compiled."""

from __future__ import annotations

import numpy as np
import pytest

from synthkit.neighbors import index as _knn
from synthkit.neighbors import KnnIndex


def brute(data: np.ndarray, q: np.ndarray, k: int, exclude=None) -> tuple[np.ndarray, np.ndarray]:
    X, Q = data.astype(np.float64), q.astype(np.float64)
    D = np.sqrt(((Q[:, None, :] - X[None, :, :]) ** 2).sum(-1))
    if exclude is not None:
        D[np.arange(len(Q)), exclude] = np.inf
    idx = np.array([np.lexsort((np.arange(len(X)), row))[:k] for row in D])
    return idx, np.take_along_axis(D, idx, axis=1)


@pytest.fixture(scope="module")
def data():
    """One-hot blocks and integer-valued columns, as encoded tables are: many exact ties."""
    rng = np.random.default_rng(0)
    n = 5000
    onehot = np.eye(6, dtype=np.float32)[rng.integers(0, 6, n)]
    nums = rng.integers(0, 4, (n, 3)).astype(np.float32) * 0.5
    big = rng.normal(50, 10, (n, 1)).astype(np.float32)
    return np.ascontiguousarray(np.hstack([onehot, nums, big]))


def test_blocked_search_is_exact_with_ties_copies_and_exclusion(data):
    index = KnnIndex(data)
    assert index.blas and index.exact
    rng = np.random.default_rng(1)
    q = np.vstack([data[:40], data[100:140] + rng.normal(0, 0.3, (40, data.shape[1])).astype(np.float32),
                   np.full((3, data.shape[1]), 1e3, np.float32)])  # copies, near rows, far rows
    for k in (1, 5, 40):
        i, d = index.query(q, k)
        bi, bd = brute(data, q, k)
        np.testing.assert_allclose(d, bd, rtol=0, atol=1e-9)
        assert np.array_equal(i, bi)  # ties go to the lower row index
    assert (index.query(data[:40], 1)[1][:, 0] == 0).all()
    rows = np.arange(60)
    i, d = index.query(data[:60], 3, exclude=rows)
    bi, bd = brute(data, data[:60], 3, exclude=rows)
    assert np.array_equal(i, bi) and np.allclose(d, bd, atol=1e-9)
    assert not (i == rows[:, None]).any()


def test_blocked_search_small_blocks_and_many_neighbours(data, monkeypatch):
    monkeypatch.setattr(_knn, "_BLOCK_VALUES", 1)  # one query row per block
    index = KnnIndex(data)
    q = data[::500] + np.float32(0.01)
    i, d = index.query(q, 30)  # more neighbours than runs of 256 rows hold minima for: 20 runs
    bi, bd = brute(data, q, 30)
    assert np.array_equal(i, bi) and np.allclose(d, bd, atol=1e-9)


def test_which_search(data):
    assert not KnnIndex(data[:4096]).blas and KnnIndex(data[:4096]).exact  # scikit-learn's brute force
    assert not _knn._use_blas((5000, 10), "manhattan")  # other metrics: pynndescent
    assert not _knn._use_blas((_knn.BLAS_LIMIT, 2), "euclidean")
    assert _knn._use_blas((5000, 10), "euclidean")


def test_no_numba_compile_on_the_first_query(data):
    """The blocked search is numpy only: no pynndescent index is built or restored."""
    index = KnnIndex(data)
    index.query(data[:10], 5)
    assert index._nnd is None and index.restored


# --------------------------------------------------------------------------- each row answered alone
def _per_row(fn, q):
    parts = [fn(q[j : j + 1]) for j in range(len(q))]
    return tuple(np.concatenate([p[n] for p in parts]) for n in range(len(parts[0])))


def _queries(data):
    rng = np.random.default_rng(2)
    return np.vstack([data[:150], data[150:300] + np.float32(0.25),  # copies (with their twins), near rows
                      data[300:450] + rng.normal(0, 0.5, (150, data.shape[1])).astype(np.float32),
                      np.full((3, data.shape[1]), 50, np.float32)]).astype(np.float32)  # far rows


@pytest.mark.parametrize("metric,n", [("euclidean", 3000), ("euclidean", 5000), ("manhattan", 3000),
                                      ("cosine", 3000)])
def test_exact_searches_answer_each_row_alone(data, metric, n):
    """Rows queried one by one, in odd chunks or after pickling get the same neighbours as all at once."""
    import pickle

    index = KnnIndex(data[:n], metric)
    assert index.exact
    q = _queries(data)
    whole = index.query(q, 5)
    alone = _per_row(lambda x: index.query(x, 5), q)
    copy = pickle.loads(pickle.dumps(index)).query(q, 5)
    for got in (alone, copy):
        assert np.array_equal(got[0], whole[0]) and np.array_equal(got[1], whole[1])
    if metric == "euclidean":
        assert np.array_equal(whole[0], brute(data[:n], q, 5)[0])  # exact, ties to the lower row index
    near = index.exact_nearest(q)
    near_alone = _per_row(lambda x: index.exact_nearest(x), q)
    assert np.array_equal(near[0], near_alone[0]) and np.array_equal(near[1], near_alone[1])
    assert np.array_equal(near[0], whole[0][:, 0]) and np.array_equal(near[1], whole[1][:, 0])


@pytest.mark.slow
def test_pynndescent_search_answers_each_row_alone(data):
    """pynndescent's own batch answers depend on the other rows of the batch; the index's never do."""
    import pickle

    data = np.ascontiguousarray(data[:, :9])  # one-hot and integer columns only: rows on the trees' hyperplanes
    index = KnnIndex(data, "manhattan")  # pynndescent (numba compiles it: tens of seconds)
    assert not index.exact
    q = _queries(data)
    whole = index.query(q, 5, verify_above=3.0)
    alone = _per_row(lambda x: index.query(x, 5, verify_above=3.0), q)
    reverse = index.query(q[::-1], 5, verify_above=3.0)
    copy = pickle.loads(pickle.dumps(index)).query(q, 5, verify_above=3.0)
    for got in (alone, (reverse[0][::-1], reverse[1][::-1]), copy):
        assert np.array_equal(got[0], whole[0]) and np.array_equal(got[1], whole[1])
    assert (whole[1][:150, 0] == 0).all()  # copies found
    near = index.exact_nearest(q[-3:])
    assert np.array_equal(whole[1][-3:, 0], near[1])  # far rows: checked exactly
