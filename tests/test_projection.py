"""The map: quality (trustworthiness), seeds, placement, dist_to_real, cache, fallbacks, errors."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from sklearn.manifold import trustworthiness
from sklearn.neighbors import NearestNeighbors

import synthkit as sk
from synthkit import projection
from synthkit.errors import DataError, SchemaError, SynthkitError
from synthkit.projection import Map

FAST = dict(n_epochs=60)  # fewer epochs than UMAP's default: same code paths, quicker


def knn_agreement(a: np.ndarray, b: np.ndarray, k: int = 10) -> float:
    """Mean share of each point's k nearest neighbours (on the map) that two layouts share."""
    ia = NearestNeighbors(n_neighbors=k + 1).fit(a).kneighbors(a, return_distance=False)[:, 1:]
    ib = NearestNeighbors(n_neighbors=k + 1).fit(b).kneighbors(b, return_distance=False)[:, 1:]
    return float(np.mean([len(set(x) & set(y)) / k for x, y in zip(ia, ib)]))


@pytest.fixture(scope="module")
def pmap(penguins) -> Map:
    """Penguins map with UMAP's default settings (the one the tour shows), fitted here (not the shipped one)."""
    return Map.fit(penguins, random_state=0, shipped=False)


@pytest.fixture(scope="module")
def dmap(digits) -> Map:
    return Map.fit(digits, random_state=0, **FAST)


@pytest.fixture(scope="module")
def pbatch(penguins) -> sk.Batch:
    return sk.generate(penguins, "copula", n=300, random_state=1)


# --------------------------------------------------------------------------- quality
def test_map_is_trustworthy_on_penguins_with_defaults(pmap, penguins):
    assert pmap.method == "umap" and pmap.mode == "anchored" and pmap.note == ""
    X = pmap.encoder.transform(penguins)
    xy = pmap.real.select("x", "y").to_numpy()
    assert trustworthiness(X, xy, n_neighbors=10) > 0.9
    # a random layout is far from trustworthy: the score can fail
    rng = np.random.default_rng(0)
    assert trustworthiness(X, rng.normal(size=xy.shape), n_neighbors=10) < 0.7


def test_map_is_trustworthy_on_digits(dmap, digits):
    X = dmap.encoder.transform(digits)
    assert trustworthiness(X, dmap.real.select("x", "y").to_numpy(), n_neighbors=10) > 0.9


def test_real_frame_and_nn_scale(pmap, penguins):
    r = pmap.real
    assert r.columns == ["row_id", "x", "y", "dist_to_real"]
    assert r["row_id"].to_list() == penguins.row_ids.to_list()
    # dist_to_real of a real row = distance to its nearest OTHER real row / nn_scale (brute-force reference)
    X = pmap.encoder.transform(penguins).astype(np.float64)
    d = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    own = d.min(axis=1)
    assert pmap.nn_scale == pytest.approx(np.median(own), rel=1e-5)
    np.testing.assert_allclose(r["dist_to_real"].to_numpy(), own / np.median(own), rtol=1e-4, atol=1e-6)
    assert r["dist_to_real"].median() == pytest.approx(1.0, rel=1e-5)


# --------------------------------------------------------------------------- seeds
def test_same_seed_same_map_and_placement(penguins, pbatch):
    a = Map.fit(penguins, random_state=3, **FAST)
    b = Map.fit(penguins, random_state=3, **FAST)
    assert a.hash == b.hash
    assert a.real.equals(b.real)
    assert a.place(pbatch).equals(b.place(pbatch))
    c = Map.fit(penguins, random_state=4, **FAST)
    assert c.hash != a.hash
    assert not np.allclose(c.real["x"].to_numpy(), a.real["x"].to_numpy())


# --------------------------------------------------------------------------- placement
def test_place_returns_one_row_per_input(pmap, pbatch):
    p = pmap.place(pbatch)
    assert p.columns == ["row_id", "x", "y", "dist_to_real", "nearest_real"]
    assert p["row_id"].to_list() == pbatch.row_ids.to_list()
    assert p.select(pl.col("x", "y").is_finite().all()).row(0) == (True, True)
    assert set(p["nearest_real"].to_list()) <= set(pmap.real["row_id"].to_list())
    # placed rows land inside the real map's extent (they sit among real neighbours)
    lo = pmap.real.select(pl.col("x", "y").min()).row(0)
    hi = pmap.real.select(pl.col("x", "y").max()).row(0)
    assert (p["x"] >= lo[0]).all() and (p["x"] <= hi[0]).all()
    assert (p["y"] >= lo[1]).all() and (p["y"] <= hi[1]).all()


def test_fast_placement_agrees_with_umap_transform(pmap, pbatch):
    X = pmap.encoder.transform(pbatch)
    exact = pmap._umap.transform(X)
    fast = pmap.place(pbatch).select("x", "y").to_numpy()
    share = knn_agreement(fast, exact)
    # umap's own transform agrees with itself on input nudged by 1e-6 only ~0.6-0.8
    # (its optimisation is chaotic); a shuffled placement agrees ~k/n
    shuffled = fast[np.random.default_rng(0).permutation(len(fast))]
    assert share > 0.3
    assert knn_agreement(shuffled, exact) < 0.1
    # and the typical gap between the two placements is small against the map's size
    gap = np.median(np.linalg.norm(fast - exact, axis=1))
    assert gap < 0.1 * np.ptp(pmap.real["x"].to_numpy())


def test_refine_is_umaps_transform(pmap, pbatch):
    X = pmap.encoder.transform(pbatch)
    exact = pmap._umap.transform(X)
    refined = pmap.place(pbatch, refine=True).select("x", "y").to_numpy()
    # same neighbours and same umap-learn steps: most rows identical, the rest close
    same = np.linalg.norm(refined - exact, axis=1) < 1e-3
    assert same.mean() > 0.6
    assert knn_agreement(refined, exact) > 0.7


def test_exact_copy_of_a_real_row_lands_on_it(pmap, penguins):
    rows = penguins.frame[[5, 77, 200]]
    p = pmap.place(rows)
    real = pmap.real[[5, 77, 200]]
    np.testing.assert_array_equal(p["dist_to_real"].to_numpy(), 0.0)
    np.testing.assert_array_equal(p.select("x", "y").to_numpy(), real.select("x", "y").to_numpy())
    assert p["nearest_real"].to_list() == real["row_id"].to_list()


def test_far_point_is_flagged_although_placed_among_real_points(pmap, penguins):
    num = penguins.schema.numeric
    far = penguins.frame[:1].with_columns([pl.col(c) * 20 for c in num])
    p = pmap.place(far)
    assert p["dist_to_real"][0] > 20 * pmap.real["dist_to_real"].max()
    # the map puts it next to its nearest real neighbours all the same
    xy = pmap.real.select("x", "y").to_numpy()
    gap = np.linalg.norm(xy - p.select("x", "y").to_numpy(), axis=1).min()
    assert gap < 0.1 * np.ptp(xy[:, 0])


def test_nearest_real_matches_brute_force(pmap, penguins, pbatch):
    idx, dist = pmap.nearest_real(pbatch, k=3)
    assert idx.shape == dist.shape == (len(pbatch), 3)
    X = pmap.encoder.transform(penguins).astype(np.float64)
    Q = pmap.encoder.transform(pbatch).astype(np.float64)
    d = np.sqrt(((Q[:, None, :] - X[None, :, :]) ** 2).sum(-1))
    np.testing.assert_allclose(dist, np.sort(d, axis=1)[:, :3], rtol=1e-5, atol=1e-6)
    p = pmap.place(pbatch)
    np.testing.assert_allclose(p["dist_to_real"].to_numpy(), dist[:, 0] / pmap.nn_scale, rtol=1e-6)


def test_place_is_fast_path_with_pca_map_too(penguins):
    small = penguins.subset(penguins.row_ids[:5])
    m = Map.fit(small, random_state=0)
    assert m.method == "pca" and "principal components" in m.note and "5 rows" in m.note
    assert m.real.height == 5 and np.isfinite(m.real.select("x", "y").to_numpy()).all()
    # exact PCA projection: a copy of a real row lands on it, with dist_to_real 0
    p = m.place(small.frame)
    np.testing.assert_allclose(p.select("x", "y").to_numpy(), m.real.select("x", "y").to_numpy(), atol=1e-9)
    np.testing.assert_array_equal(p["dist_to_real"].to_numpy(), 0.0)
    # the 2-D PCA layout keeps the largest variance on x
    assert np.var(m.real["x"].to_numpy()) >= np.var(m.real["y"].to_numpy())


def test_identical_rows_fall_back_to_pca_with_a_note():
    ds = sk.from_frame(pl.DataFrame({"a": [1.0] * 30, "b": ["x"] * 30}), "const")
    m = Map.fit(ds, random_state=0)
    assert m.method == "pca"
    assert "1 distinct row (of 30)" in m.note and "identical" in m.note
    assert m.nn_scale == 1.0
    assert np.allclose(m.real.select("x", "y").to_numpy(), 0.0)
    p = m.place(pl.DataFrame({"a": [1.0, 3.0], "b": ["x", "y"]}))
    assert p["dist_to_real"][0] == 0.0 and p["dist_to_real"][1] > 1.0


# --------------------------------------------------------------------------- joint mode
def test_joint_mode_fits_on_real_and_batches(penguins, pbatch):
    other = sk.generate(penguins, "bootstrap", n=50, random_state=2)
    m = Map.fit(penguins, mode="joint", batches=[pbatch], random_state=0, **FAST)
    a = Map.fit(penguins, random_state=0, **FAST)
    assert m.mode == "joint" and m.hash != a.hash
    assert m.real.height == len(penguins)
    p1 = m.place(pbatch)
    p2 = m.place(pbatch, refine=True)  # fitted rows keep their fitted coordinates either way
    assert p1.select("x", "y").equals(p2.select("x", "y"))
    assert m.place(other).height == 50
    # the batch's ids enter the hash
    m2 = Map.fit(penguins, mode="joint", batches=[other], random_state=0, **FAST)
    assert m2.hash != m.hash


# --------------------------------------------------------------------------- large data
def test_max_fit_rows_subsample_places_the_rest(adult_small):
    m = Map.fit(adult_small, random_state=0, max_fit_rows=600, **FAST)
    assert "600 of the 2,000" in m.note
    assert m.real.height == 2000
    assert len(m._fit_X) == 600
    # the real rows outside the fit are placed, and placing them again gives the same spot
    rest = np.setdiff1d(np.arange(2000), m._fit_real)[:20]
    again = m.place(adult_small.frame[rest])
    np.testing.assert_allclose(again.select("x", "y").to_numpy(), m.real[rest].select("x", "y").to_numpy())
    assert (again["dist_to_real"] == 0).all()
    # same seed, same subsample
    assert Map.fit(adult_small, random_state=0, max_fit_rows=600, **FAST).real.equals(m.real)


# --------------------------------------------------------------------------- cache
def test_cache_round_trip_is_used_and_identical(penguins, pbatch, tmp_path, monkeypatch):
    m1 = Map.fit(penguins, random_state=0, cache_dir=tmp_path, **FAST)
    folder = tmp_path / m1.hash
    assert (folder / "map.json").exists()
    assert not list(folder.glob("*.pkl")) and not list(folder.glob("*.pickle"))
    json.loads((folder / "map.json").read_text())  # plain JSON

    import umap

    def boom(*a, **k):
        raise AssertionError("UMAP was refitted although the map is cached")

    monkeypatch.setattr(umap.UMAP, "fit", boom)
    monkeypatch.setattr(umap.UMAP, "fit_transform", boom)
    m2 = Map.fit(penguins, random_state=0, cache_dir=tmp_path, **FAST)
    assert m2.loaded_from_cache and m2.hash == m1.hash
    assert m2.real.equals(m1.real)
    assert m2.place(pbatch).equals(m1.place(pbatch))
    assert m2.place(pbatch, refine=True).equals(m1.place(pbatch, refine=True))  # no refit needed
    assert Map.load(tmp_path, m1.hash).real.equals(m1.real)
    assert m2.nn_scale == m1.nn_scale and m2.method == m1.method and m2.params == m1.params
    # different parameters: a different key, so a new fit (which the patched UMAP refuses)
    with pytest.raises(SynthkitError, match="refitted"):
        Map.fit(penguins, random_state=1, cache_dir=tmp_path, **FAST)


@pytest.mark.slow  # the first pynndescent index in a process compiles for about a minute
def test_cache_with_a_stored_search_index(adult, tmp_path, monkeypatch):
    """Above BLAS_LIMIT values the neighbour index is pynndescent's; it is stored as arrays and restored."""
    from synthkit.neighbors import index as _knn

    monkeypatch.setattr(_knn, "BLAS_LIMIT", 0)  # 4,500 rows stand in for a map too large to search exactly
    ds = adult.sample(4500, random_state=0)
    batch = sk.generate(ds, "bootstrap", n=200, random_state=1)
    m1 = Map.fit(ds, random_state=0, cache_dir=tmp_path, n_epochs=30)
    assert not m1._fit_index.exact
    assert (tmp_path / m1.hash / "fit_index.npz").exists()
    with np.load(tmp_path / m1.hash / "fit_index.npz", allow_pickle=False) as z:
        assert len(z.files) > 5
    m2 = Map.load(tmp_path, m1.hash)
    assert not m2._fit_index.restored  # restored at the first query, not to draw the map
    assert m2.place(batch).equals(m1.place(batch))
    assert m2._real_index.restored and m2._real_index._nnd is not None

    # the approximate search: never below the exact distance, exact above VERIFY_ABOVE,
    # exact copies always found
    far = sk.generate(ds, "copula", n=300, random_state=2)
    p = m2.place(far)
    Q = m2.encoder.transform(far).astype(np.float64)
    R = m2._real_X.astype(np.float64)
    exact = np.sqrt(((Q[:, None, :] - R[None, :, :]) ** 2).sum(-1)).min(1) / m2.nn_scale
    got = p["dist_to_real"].to_numpy()
    assert np.all(got >= exact - 1e-6)
    flagged = got > projection.VERIFY_ABOVE
    np.testing.assert_allclose(got[flagged], exact[flagged], rtol=1e-5)
    copies = m2.place(ds.frame[::97])
    assert (copies["dist_to_real"] == 0).all()
    assert copies["nearest_real"].to_list() == ds.row_ids[::97].to_list() or (copies["dist_to_real"] == 0).all()


def test_damaged_cache_refits_with_a_warning(penguins, tmp_path):
    m1 = Map.fit(penguins, random_state=0, cache_dir=tmp_path, **FAST)
    (tmp_path / m1.hash / "fit_xy.npy").write_bytes(b"not an array")
    with pytest.raises(SynthkitError, match="damaged"):
        Map.load(tmp_path, m1.hash)
    with pytest.warns(sk.SynthkitWarning, match="could not be read"):
        m2 = Map.fit(penguins, random_state=0, cache_dir=tmp_path, **FAST)
    assert m2.real.equals(m1.real)
    with pytest.raises(SynthkitError, match="no cached map"):
        Map.load(tmp_path, "map-0000")


# --------------------------------------------------------------------------- errors
def test_errors(penguins, pbatch):
    with pytest.raises(DataError, match="0 row"):
        Map.fit(penguins.frame.head(0))
    with pytest.raises(DataError, match="1 row"):
        Map.fit(penguins.subset(penguins.row_ids[:1]))
    with pytest.raises(SynthkitError, match="unknown map mode"):
        Map.fit(penguins, mode="fancy")
    for bad in (1, 0, -3, 2.5, "15", True):
        with pytest.raises(SynthkitError, match="n_neighbors"):
            Map.fit(penguins, n_neighbors=bad)
    with pytest.raises(SynthkitError, match="min_dist"):
        Map.fit(penguins, min_dist=-0.1)
    with pytest.raises(SynthkitError, match="metric"):
        Map.fit(penguins, metric="hamming")
    with pytest.raises(SynthkitError, match="joint"):
        Map.fit(penguins, mode="joint")
    with pytest.raises(SynthkitError, match="anchored"):
        Map.fit(penguins, batches=[pbatch])
    with pytest.raises(SynthkitError, match="max_fit_rows"):
        Map.fit(penguins, max_fit_rows=1)


def test_place_errors(pmap, pbatch):
    with pytest.raises(SchemaError, match="bill_length_mm"):
        pmap.place(pbatch.frame.drop("bill_length_mm"))
    with pytest.raises(DataError, match="no rows"):
        pmap.place(pbatch.frame.head(0))
    with pytest.raises(DataError):
        pmap.place([1, 2, 3])
    with pytest.raises(SynthkitError, match="k="):
        pmap.nearest_real(pbatch, k=0)
    huge = pbatch.frame.head(2).with_columns(pl.col("body_mass_g").cast(pl.Float64) * 1e308)
    with pytest.raises(SynthkitError):
        pmap.place(huge)


def test_repr_and_module_constants(pmap):
    assert "penguins" in repr(pmap) and pmap.hash[:10] in repr(pmap)
    assert projection.MAX_FIT_ROWS >= 5000
    assert sk.Map is Map


@pytest.mark.slow  # a fresh interpreter compiles umap's numba functions (or reads them from its cache)
def test_same_map_in_a_fresh_process(penguins, tmp_path):
    import subprocess
    import sys

    code = (
        "import synthkit as sk, sys\n"
        "m = sk.Map.fit(sk.load('penguins'), random_state=0, n_epochs=60)\n"
        "m.real.write_parquet(sys.argv[1])\n"
    )
    out = tmp_path / "real.parquet"
    subprocess.run([sys.executable, "-c", code, str(out)], check=True, timeout=600)
    here = Map.fit(penguins, random_state=0, **FAST)
    assert pl.read_parquet(out).equals(here.real)
