"""Text rows through the shared paths: the map, evaluate's families, summaries, workspaces."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit.batch import Provenance, make_batch
from synthkit.errors import SchemaError

MODERN = [
    "The quarterly revenue report shows strong growth in cloud computing services.",
    "Please restart your router and check the network cable before calling support.",
    "Our new smartphone app lets you track deliveries and pay invoices online.",
    "The software update fixes a bug that drained the laptop battery overnight.",
    "Click the link in the email to reset your password within twenty four hours.",
    "The airline cancelled the flight because of a technical fault with the engine.",
]


@pytest.fixture(scope="module")
def seed() -> tuple[sk.Dataset, sk.Dataset]:
    """400 real lines to fit on, and 200 other real lines (a perfect generator's output)."""
    ds = sk.load("shakespeare")
    fit, rest = ds.sample(600, random_state=4).split(2 / 3, random_state=0)
    return fit, rest


def _batch(real: sk.Dataset, rows: pl.DataFrame, name: str) -> sk.Batch:
    prov = Provenance(generator=name, params={}, random_state=0, fitted_on=("real",), dataset=real.name,
                      data_fingerprint=real.fingerprint, n=rows.height)
    return make_batch(rows.select(real.schema.columns), real.schema, prov)


@pytest.fixture(scope="module")
def batches(seed):
    real, rest = seed
    pick = rest.sample(120, random_state=0).frame  # rows are stored in play order: draw at random
    fresh = _batch(real, pick, "fresh")
    rng = np.random.default_rng(0)
    modern = pick.with_columns(
        pl.Series("text", [MODERN[i] for i in rng.integers(0, len(MODERN), 120)]))
    return fresh, _batch(real, modern, "modern"), sk.generate(real, "bootstrap", n=120, random_state=0)


@pytest.fixture(scope="module")
def text_map(seed):
    return sk.Map.fit(seed[0], random_state=0, n_epochs=60)


def test_map_places_text_rows_by_their_words(text_map, batches):
    fresh, modern, copies = batches
    d_fresh = text_map.place(fresh)["dist_to_real"].to_numpy()
    d_modern = text_map.place(modern)["dist_to_real"].to_numpy()
    d_copies = text_map.place(copies)
    # static embeddings of short lines: nearest-neighbour distances concentrate, so the gap is modest
    assert np.median(d_modern) > np.quantile(d_fresh, 0.75)
    assert (d_copies["dist_to_real"] < 1e-4).all()
    # a copy's nearest real row is the row it copies
    real_text = dict(text_map.dataset.frame.select("row_id", "text").iter_rows())
    copied = dict(copies.frame.select("row_id", "text").iter_rows())
    assert all(real_text[n] == copied[r] for r, n in d_copies.select("row_id", "nearest_real").iter_rows())


def test_evaluate_skips_text_in_per_column_families_and_uses_it_elsewhere(seed, batches):
    real, _ = seed
    fresh, modern, _ = batches
    good = sk.evaluate(real, fresh, n_boot=0, n_perm=0)
    bad = sk.evaluate(real, modern, n_boot=0, n_perm=0)
    t = good.table
    per_column = t.filter(pl.col("family").is_in(["fidelity", "pairwise"]))["column"].drop_nulls().to_list()
    assert per_column and not any("text" in c.split(", ") for c in per_column)
    value = lambda rep, m: rep.table.filter(pl.col("metric") == m)["value"].item()  # noqa: E731
    # detection and coverage see the documents (through the embeddings)
    assert value(bad, "detection_auc") > 0.9 > 0.7 > value(good, "detection_auc")
    assert value(bad, "precision") < value(good, "precision")
    # utility runs with the text as a feature (16 components) next to the play
    assert good.table.filter(pl.col("family") == "utility").height == 2


def test_evaluate_privacy_sees_copied_documents(seed, batches):
    real, _ = seed
    copies = batches[2]
    rep = sk.evaluate(real, copies, n_boot=0, n_perm=0, families=["privacy"])
    assert rep.table.filter(pl.col("metric") == "exact_copy_share")["value"].item() == 1.0


def test_evaluate_with_only_shared_columns_keeps_the_text_kind(seed, batches):
    real, _ = seed
    fresh = batches[0]
    rep = sk.evaluate(real, fresh.frame.drop("play"), n_boot=0, n_perm=0, families=["coverage", "fidelity"])
    assert rep.table.height > 0


def test_summaries_leave_text_out_and_say_why(seed, batches):
    real, _ = seed
    fresh = batches[0]
    table = sk.summary.compare(real, fresh)
    assert "text" not in table["column"].to_list() and "genre" in table["column"].to_list()
    assert "text" not in sk.summary.column_shapes(real, fresh)["column"].to_list()
    with pytest.raises(SchemaError, match="'text' holds text"):
        sk.summary.compare(real, fresh, columns=["text"])
    from synthkit.plots.generators import default_columns, marginals

    assert default_columns(real.schema, real.frame) == ["play", "genre"]
    fig = marginals(real, fresh)
    assert len(fig.data) > 0


def test_workspace_stores_and_reopens_text_rows(tmp_path, seed, batches):
    real, _ = seed
    fresh = batches[0]
    path = tmp_path / "ws"
    with sk.Workspace.create(path, real) as ws:
        ws.add(fresh)
    with sk.Workspace.open(path) as again:
        assert again.dataset.schema == real.schema and again.dataset.schema.text == ("text",)
        assert again.dataset.frame.equals(real.frame)
        b = again.batch(fresh.id)
        assert b.frame.equals(fresh.frame) and b.schema.text == ("text",)
        rows = again.rows([fresh.frame["row_id"][0], real.frame["row_id"][0]])
        assert rows["text"].null_count() == 0


@pytest.mark.parametrize("backend", ["wordllama", "tfidf"])
def test_fresh_real_lines_are_not_told_apart_from_the_real_ones(backend):
    """The text features do not depend on the real rows (else real rows stand out)."""
    from synthkit.metrics._common import ordinal_matrix
    from synthkit.metrics.detection import _auc, detection_probabilities

    ds = sk.load("shakespeare")
    a, b = ds.sample(1000, random_state=0).split(0.5, random_state=0)
    enc = sk.Encoder(text_backend=backend).fit(a)
    other = sk.Encoder(text_backend=backend).fit(b)
    np.testing.assert_array_equal(enc.text_axes_["text"], other.text_axes_["text"])
    Xa, is_cat = ordinal_matrix(a.frame, a.schema, ["text"], enc)
    Xb, _ = ordinal_matrix(b.frame, a.schema, ["text"], enc)
    pa, pb = detection_probabilities(Xa, Xb, is_cat, random_state=0)
    auc = _auc(np.r_[np.zeros(pa.size), np.ones(pb.size)], np.r_[pa, pb])
    # axes fitted on the real rows gave 0.65-0.70 here, a TF-IDF + SVD fitted on them 0.80
    assert abs(auc - 0.5) < 0.08


def test_a_tabular_generator_on_text_says_which_generators_write_text(seed):
    real, _ = seed
    for name in ("copula", "cart", "gaussian"):
        with pytest.raises(sk.errors.GeneratorError, match=r"cannot write the text column\(s\) \['text'\].*markov"):
            sk.generate(real, name, n=10, random_state=0)
    assert len(sk.generate(real, "bootstrap", n=10, random_state=0)) == 10
    assert len(sk.generate(real, "markov", n=10, random_state=0)) == 10
