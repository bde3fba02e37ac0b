"""synthkit.neighbors: every fast path gives the answer of a plain float64 brute force."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.neighbors import KDTree, NearestNeighbors

import synthkit as sk
from synthkit import neighbors
from synthkit.collapse import curators
from synthkit.neighbors import TIE_RTOL, ExactIndex, KnnIndex, knn


@pytest.fixture(scope="module")
def mixed(adult_small):
    """Encoded adult rows (one-hot blocks, many equal distances) and shifted copula rows."""
    real, other = adult_small.split(0.6, random_state=0)
    enc = sk.Encoder().fit(real)
    R = enc.transform(real).astype(np.float64)
    S = enc.transform(sk.generate(real, "copula", n=300, random_state=2)).astype(np.float64)
    S[::4, 0] += 0.7  # some rows off the real ages
    return R, S


def brute(R: np.ndarray, Q: np.ndarray, exclude: np.ndarray | None = None) -> np.ndarray:
    D = cdist(Q, R)
    if exclude is not None:
        D[np.arange(len(Q)), exclude] = np.inf
    return D


def test_exact_index_query_is_knn_and_brute_force(mixed):
    R, S = mixed
    index = ExactIndex(R)
    d, i = index.query(S, 4)
    d_knn, i_knn = knn(R, 4, S)
    np.testing.assert_array_equal(i, i_knn)
    np.testing.assert_array_equal(d, d_knn)
    np.testing.assert_allclose(d, np.sort(brute(R, S), axis=1)[:, :4], rtol=1e-12, atol=1e-12)
    # the returned rows are at the returned distances
    np.testing.assert_allclose(np.linalg.norm(R[i] - S[:, None, :], axis=2), d, rtol=1e-12, atol=1e-12)


def test_exact_index_self_query_skips_the_row_itself(mixed):
    R, _ = mixed
    d, i = ExactIndex(R).self_query(2)
    d_knn, i_knn = knn(R, 2)
    np.testing.assert_array_equal(i, i_knn)
    np.testing.assert_array_equal(d, d_knn)
    assert not np.any(i == np.arange(len(R))[:, None])
    D = brute(R, R, exclude=np.arange(len(R)))
    np.testing.assert_allclose(d, np.sort(D, axis=1)[:, :2], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("strict", [False, True])
def test_count_within_matches_brute_force_with_ties(mixed, strict):
    R, S = mixed
    # radii at exact distances to real rows: every query has rows exactly on its boundary
    radius = np.sort(brute(R, S), axis=1)[:, 7]
    got = ExactIndex(R).count_within(S, radius, strict=strict)
    D2 = brute(R, S) ** 2
    r2 = radius[:, None] ** 2
    want = (D2 < r2 * (1 - TIE_RTOL)).sum(axis=1) if strict else (D2 <= r2 * (1 + TIE_RTOL)).sum(axis=1)
    np.testing.assert_array_equal(got, want)
    assert not strict or np.all(got <= 7)
    assert strict or np.all(got >= 8)


def test_queries_outside_the_reference_blocks_are_still_exact(mixed):
    """A query row with two non-zeros in one one-hot block cannot use the reference's blocks."""
    R, S = mixed
    index = ExactIndex(R)
    odd = S[:20].copy()
    odd[:, 5:20] = 0.5  # fills the first one-hot blocks
    d, i = index.query(odd, 3)
    np.testing.assert_allclose(d, np.sort(brute(R, odd), axis=1)[:, :3], rtol=1e-12, atol=1e-12)
    counts = index.count_within(odd, d[:, 2])
    np.testing.assert_array_equal(counts, (brute(R, odd) <= d[:, 2:3] * (1 + 1e-9)).sum(axis=1))


def test_map_index_exact_nearest_is_the_brute_force_nearest(mixed):
    R, S = mixed
    index = KnnIndex(R.astype(np.float32), "euclidean", 0)
    R32, S32 = R.astype(np.float32).astype(np.float64), S.astype(np.float32).astype(np.float64)
    i, d = index.exact_nearest(S)
    np.testing.assert_allclose(d, brute(R32, S32).min(axis=1), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(np.linalg.norm(R32[i] - S32, axis=1), d, rtol=1e-12, atol=1e-12)
    own = np.arange(len(R))[:200]
    i, d = index.exact_nearest(R[:200], own)
    assert not np.any(i == own)
    np.testing.assert_allclose(d, brute(R32, R32[:200], exclude=own).min(axis=1), rtol=1e-9, atol=1e-9)


def test_map_index_query_agrees_with_the_exact_kernels(mixed):
    """The map's small-data search and the metrics' kernels: same distances, same nearest distance."""
    R, S = mixed
    index = KnnIndex(R.astype(np.float32), "euclidean", 0)
    assert index.exact
    i, d = index.query(S, 5)
    d_exact, _ = ExactIndex(R.astype(np.float32)).query(S.astype(np.float32), 5)
    np.testing.assert_allclose(d, d_exact, rtol=1e-6, atol=1e-6)


def test_neighbors_is_the_one_front_door():
    from synthkit.metrics import _neighbors

    # the metrics' historical module name is the same module object as synthkit.neighbors.exact
    assert _neighbors is neighbors.exact or _neighbors.knn is neighbors.knn
    assert neighbors.KnnIndex is KnnIndex


# --------------------------------------------------------------------------- curators
@pytest.fixture(scope="module")
def curate_case(penguins):
    train, _ = penguins.split(0.75, random_state=0)
    batch = sk.generate(train, "copula", n=400, random_state=1)
    enc = sk.Encoder().fit(train)
    return train, batch, enc.transform(train).astype(np.float64), enc.transform(batch).astype(np.float64)


def test_curator_distances_are_scikit_learns(curate_case):
    train, batch, R, S = curate_case
    d_ref, _ = NearestNeighbors(n_neighbors=1, algorithm="brute").fit(R).kneighbors(S)
    ids = np.asarray(batch.frame["row_id"].to_list())
    for curator, keep in ((curators.drop_far_from_real(1.0), d_ref[:, 0] <= 1.0),
                          (curators.drop_near_copies(0.3), d_ref[:, 0] >= 0.3)):
        kept = curators.apply(curator, batch, train, random_state=0)
        assert kept["row_id"].to_list() == list(ids[keep])


def test_match_real_density_counts_are_scikit_learns(curate_case):
    train, batch, R, S = curate_case
    k = 10
    d, _ = NearestNeighbors(n_neighbors=k + 1, algorithm="brute").fit(S).kneighbors(S)
    radius = d[:, -1]
    # per-row radii: what the curator asked scikit-learn before (its tree search takes them)
    want = KDTree(R).query_radius(S, r=radius, count_only=True)
    d_ours, _ = ExactIndex(S).self_query(k)
    np.testing.assert_allclose(d_ours[:, -1], radius, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(ExactIndex(R).count_within(S, d_ours[:, -1]), want)


def test_dense_text_block_is_searched_exactly():
    """Encoded text is a dense block (one column per embedding dimension): still exact."""
    ds = sk.load("shakespeare").sample(700, random_state=0)
    real, other = ds.split(0.7, random_state=0)
    enc = sk.Encoder().fit(real)
    R, S = enc.transform(real).astype(np.float64), enc.transform(other).astype(np.float64)
    assert R.shape[1] > 200  # the embedding columns
    d, i = ExactIndex(R).query(S, 3)
    np.testing.assert_allclose(d, np.sort(brute(R, S), axis=1)[:, :3], rtol=1e-9, atol=1e-9)
    radius = d[:, 2]
    np.testing.assert_array_equal(ExactIndex(R).count_within(S, radius),
                                  (brute(R, S) ** 2 <= radius[:, None] ** 2 * (1 + TIE_RTOL)).sum(axis=1))
    index = KnnIndex(R.astype(np.float32), "euclidean", 0)
    _, dn = index.exact_nearest(S)
    R32, S32 = R.astype(np.float32).astype(np.float64), S.astype(np.float32).astype(np.float64)
    np.testing.assert_allclose(dn, brute(R32, S32).min(axis=1), rtol=1e-6, atol=1e-6)
