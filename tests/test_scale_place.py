"""Placement in chunks and on Dask workers: the same frame as in-process ``Map.place``, row for row."""

from __future__ import annotations

import dataclasses
import tracemalloc

import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit.encode import Encoder
from synthkit.errors import DataError, SchemaError
from synthkit.metrics.suggest import _cluster, _components
from synthkit.metrics.report import Report
from synthkit.neighbors import KnnIndex
from synthkit.placement import place_rows
from synthkit.projection import Map


def same(a: pl.DataFrame, b: pl.DataFrame) -> bool:
    """Equal frames: columns, row order, ids, and values bit for bit."""
    return a.columns == b.columns and a.height == b.height and all(
        np.array_equal(a[c].to_numpy(), b[c].to_numpy()) for c in a.columns)


def in_chunks(m: Map, frame: pl.DataFrame, size: int) -> pl.DataFrame:
    state, rows = m._place_state(), m._conform(frame)
    return pl.concat([place_rows(state, rows.slice(s, size), offset=s) for s in range(0, rows.height, size)])


@pytest.fixture(scope="module")
def pmap(penguins):
    return Map.fit(penguins, random_state=0)


@pytest.fixture(scope="module")
def amap(adult):
    """The map shipped for adult: UMAP fitted on a seeded 10,000 of the 48,842 rows in-process, the rest placed.

    Its real index is searched by the blocked exact path (5.3 million values).
    """
    m = Map.fit(adult, random_state=0)
    assert m.loaded_from_cache and len(m._fit_real) == 10_000
    return m


@pytest.fixture(scope="module")
def abatch(adult):
    return sk.generate(adult.sample(2000, random_state=1), "copula", n=1500, random_state=1)


def test_chunks_place_exactly_like_one_call(pmap, penguins, amap, abatch):
    pb = sk.generate(penguins, "copula", n=400, random_state=2)
    for m, batch in ((pmap, pb.frame), (amap, abatch.frame.head(300)), (amap, amap.dataset.frame.head(200))):
        whole = m.place(batch)
        for size in (1, 7, 500):
            assert same(in_chunks(m, batch, size), whole), size


def test_text_rows_place_exactly_in_chunks():
    """Documents are embedded one by one (wordllama or TF-IDF): a text map places in chunks exactly too."""
    ds = sk.load("shakespeare")
    m = Map.fit(ds, random_state=0)  # the shipped map
    rows = ds.frame.sample(150, seed=1)
    whole = m.place(rows)
    for size in (1, 7):
        assert same(in_chunks(m, rows, size), whole), size


def test_rows_without_ids_are_numbered_by_their_global_position(pmap, penguins):
    frame = penguins.frame.drop("row_id").head(9)
    whole = pmap.place(frame)
    assert whole["row_id"].to_list() == [f"row:{i}" for i in range(9)]
    assert same(in_chunks(pmap, frame, 4), whole)


def test_pca_projection_is_the_same_in_chunks(penguins):
    m = Map.fit(penguins.subset(penguins.row_ids[:6]), random_state=0)
    assert m.method == "pca"
    assert same(in_chunks(m, penguins.frame.head(200), 3), m.place(penguins.frame.head(200)))


# --------------------------------------------------------------------------- on a 2-worker LocalCluster
def test_distributed_place_equals_in_process(dask_engine, pmap, penguins, amap, abatch):
    pb = sk.generate(penguins, "copula", n=300, random_state=3).frame
    cases = [(pmap, pb, (64,)), (pmap, pb.head(50), (1,)), (amap, abatch.frame.head(40), (1,)),
             (amap, abatch.frame, (7, 600)), (amap, amap.dataset.frame.head(500), (97,))]
    for m, batch, sizes in cases:
        whole = m.place(batch)
        for size in sizes:
            assert same(m.place(batch, engine=dask_engine, rows_per_chunk=size), whole), size


def test_the_map_is_sent_to_the_workers_once_per_engine(dask_engine, pmap, penguins, monkeypatch):
    sent = []
    real = dask_engine.broadcast
    monkeypatch.setattr(dask_engine, "broadcast", lambda obj: sent.append(obj) or real(obj))
    for seed in (5, 6, 7):
        batch = sk.generate(penguins, "copula", n=40, random_state=seed)
        assert same(pmap.place(batch, engine=dask_engine, rows_per_chunk=15), pmap.place(batch))
        if seed == 5:
            assert len(sent) <= 1  # sent now, or by an earlier test
            sent.clear()
    assert sent == []


def test_distributed_place_of_a_parquet_folder(dask_engine, amap, abatch, tmp_path):
    rows = abatch.frame.drop("row_id")
    for j, part in enumerate((rows.slice(0, 700), rows.slice(700, 1), rows.slice(701, 799))):
        part.write_parquet(tmp_path / f"part-{j}.parquet")
    whole = amap.place(rows)  # numbered row:0 ... in order
    assert same(amap.place(str(tmp_path), engine=dask_engine, rows_per_chunk=300), whole)
    assert same(amap.place(str(tmp_path / "*.parquet"), rows_per_chunk=250), whole)  # no engine: chunk by chunk


def test_distributed_fit_places_the_other_real_rows_like_in_process(dask_engine, adult, amap, monkeypatch):
    """Fitting adult's map with an engine gives the map shipped for adult, which was fitted in-process.

    UMAP's layout of the 10,000 sampled rows is taken from the shipped map
    (fitting UMAP again would only take time): what runs on the workers, and is
    compared, is placing the other 38,842 real rows and every real row's
    distance to its nearest other real row.
    """
    def shipped_layout(self, bar=None):
        self._fit_index = KnnIndex(self._fit_X, self.params["metric"], self.params["random_state"])
        self._ab = amap._ab
        return amap._fit_xy.copy()

    monkeypatch.setattr(Map, "_fit_umap", shipped_layout)
    m = Map.fit(adult, random_state=0, shipped=False, engine=dask_engine, rows_per_chunk=10_000)
    assert "random 10,000 of the 48,842" in m.note and np.array_equal(m._fit_real, amap._fit_real)
    assert same(m.real, amap.real) and m.nn_scale == amap.nn_scale
    assert same(m.place(amap.dataset.frame.head(300), engine=dask_engine, rows_per_chunk=100),
                amap.place(amap.dataset.frame.head(300)))


def test_distributed_fit_of_many_repeated_rows_like_in_process(dask_engine, penguins, monkeypatch):
    """Real rows that mostly repeat are measured once per distinct row, on the workers as in-process.

    A fixed layout stands in for UMAP (what is compared are the passes over every real row).
    """
    from synthkit import projection

    def layout(self, bar=None):
        self._fit_index = KnnIndex(self._fit_X, self.params["metric"], self.params["random_state"])
        return self._fit_X[:, :2].astype(np.float64)

    monkeypatch.setattr(Map, "_fit_umap", layout)
    monkeypatch.setattr(projection, "DISTINCT_ABOVE", 1_000)
    p = penguins.frame.drop_nulls().select("species", "bill_length_mm", "body_mass_g")
    rng = np.random.default_rng(4)
    ds = sk.from_frame(pl.concat([p[rng.integers(0, 60, 3_000)], p[200:260]]), name="copies")
    assert projection._distinct(projection._encode(Encoder().fit(ds), ds.frame, "rows")) is not None
    here = Map.fit(ds, random_state=0, max_fit_rows=100, shipped=False)
    there = Map.fit(ds, random_state=0, max_fit_rows=100, shipped=False, engine=dask_engine, rows_per_chunk=700)
    assert same(here.real, there.real) and here.nn_scale == there.nn_scale
    assert (here.real["dist_to_real"] == 0).sum() > 2_900


def test_bad_input(dask_engine, amap, abatch, tmp_path):
    with pytest.raises(DataError, match="refine=True"):
        amap.place(abatch, refine=True, engine=dask_engine)
    with pytest.raises(DataError, match="rows_per_chunk"):
        amap.place(abatch, engine=dask_engine, rows_per_chunk=0)
    with pytest.raises(DataError, match="rows_per_chunk"):
        Map.fit(amap.dataset, random_state=0, engine=dask_engine, rows_per_chunk=-1)
    with pytest.raises(DataError, match="does not exist"):
        amap.place(str(tmp_path / "nowhere"), engine=dask_engine)
    bad = abatch.frame.head(20).with_columns(pl.lit("many").alias("age"))  # a number column holding text
    abatch.frame.head(30).write_parquet(tmp_path / "a.parquet")
    bad.write_parquet(tmp_path / "b.parquet")
    with pytest.raises(SchemaError, match="b.parquet"):
        amap.place(str(tmp_path / "b.parquet"), engine=dask_engine)


# --------------------------------------------------------------------------- suggest on many rows
def _blob_table(n: int, modes: list[int], rng) -> pl.DataFrame:
    m = rng.choice(modes, n)
    return pl.DataFrame({"a": rng.normal(m * 4.0, 0.5), "b": rng.normal(-m * 3.0, 0.5), "c": rng.normal(0, 1, n),
                         "g": np.where(m == 2, "z", rng.choice(["x", "y"], n))})


@pytest.fixture(scope="module")
def big_case():
    """12,000 real rows (half in a mode the synthetic rows miss), 200,000 synthetic rows (30,000 off the data).

    The per-row scores are set as a distributed evaluate would hand them over
    (evaluating 200,000 rows in a test would take minutes): the synthetic rows
    of the far blob are outside the support and called synthetic, the real rows
    of the missed mode are uncovered.
    """
    rng = np.random.default_rng(0)
    real = sk.from_frame(pl.concat([_blob_table(6000, [0, 1], rng), _blob_table(6000, [2], rng)]), "big")
    far = _blob_table(30_000, [0], rng).with_columns(pl.col("a") + 40.0)
    syn = pl.concat([_blob_table(170_000, [0, 1], rng), far])
    rep = sk.evaluate(real, syn, n_boot=0, n_perm=0, families=("fidelity",))
    ri = rep.inputs
    off = np.r_[np.zeros(170_000, bool), np.ones(30_000, bool)]
    uncovered = np.r_[np.zeros(6000, bool), np.ones(6000, bool)]
    assert rep.rows["source"].to_list() == ["real"] * 12_000 + ["synthetic"] * 200_000
    rows = rep.rows.with_columns(
        inside_support=pl.Series(np.r_[np.zeros(12_000, bool), ~off]),
        detection_prob=pl.Series(np.r_[np.full(12_000, 0.3), np.where(off, 0.9, 0.4)]),
        covered=pl.Series(np.r_[~uncovered, np.ones(200_000, bool)]),
    ).with_columns(
        inside_support=pl.when(pl.col("source") == "synthetic").then(pl.col("inside_support")),
        covered=pl.when(pl.col("source") == "real").then(pl.col("covered")),
    )
    X = dataclasses.replace(ri, X_real=ri.encoder.transform(ri.real).astype(np.float64),
                            X_synth=ri.encoder.transform(ri.synthetic).astype(np.float64))
    return real, syn, Report(rep.table, rows, rep._data, X, rep._meta)


def test_suggest_on_200k_rows_samples_the_clustering_in_bounded_memory(big_case, dask_engine):
    real, syn, rep = big_case
    tracemalloc.start()
    regions = sk.suggest(real, syn, rep)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    off = [r for r in regions if r.kind == "off-manifold"]
    missing = [r for r in regions if r.kind == "missing-mode"]
    assert sum(len(r) for r in off) == 30_000 and sum(len(r) for r in missing) == 6000  # every flagged row
    assert "random 5,000 of the 30,000 rows (seeded)" in off[0].reason
    assert "random 5,000 of the 6,000 rows (seeded)" in missing[0].reason and "g=z" in missing[0].reason
    # far below a flagged-rows x sample distance matrix (30,000 x 5,000 x 8 bytes = 1.2 GB)
    assert peak < 300e6, peak
    assert sk.suggest(real, syn, rep, engine=dask_engine) == regions  # the same regions on the workers


def test_clusters_of_few_rows_are_unchanged():
    rng = np.random.default_rng(4)
    X = np.vstack([rng.normal(0, 1, (300, 3)), rng.normal(20, 1, (200, 3))])
    labels, note = _cluster(X, 10, 0)
    assert note == "" and np.array_equal(labels, _components(X, 10))
