"""Text embeddings (shipped model, TF-IDF fallback) and the Encoder's text block."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit.errors import DataError, DependencyError, NotFittedError
from synthkit.text import embed as embed_mod
from synthkit.text.embed import Embedder, TextBackendWarning


@pytest.fixture(scope="module")
def shakespeare() -> sk.Dataset:
    return sk.load("shakespeare")


@pytest.fixture(scope="module")
def lines(shakespeare) -> list[str]:
    return shakespeare.frame["text"].head(400).to_list()


@pytest.fixture()
def no_wordllama(monkeypatch):
    """wordllama cannot be loaded (as when it is not installed); the warning may fire again."""
    def fail():
        raise DependencyError("wordllama is not installed (simulated)")
    monkeypatch.setattr(embed_mod, "_wordllama", fail)
    monkeypatch.setattr(embed_mod, "_warned", set())


# ----------------------------------------------------------------- the shipped model
def test_wordllama_vectors_equal_the_reference(lines):
    wordllama = pytest.importorskip("wordllama")
    ref = wordllama.WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)
    e = Embedder().fit(lines)
    assert e.backend_ == "wordllama" and e.dim_ == 256 and "wordllama" in e.note_
    ours = e.transform(lines)
    assert ours.dtype == np.float32 and ours.shape == (len(lines), 256)
    np.testing.assert_allclose(ours, ref.embed(lines, norm=True), atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_wordllama_loads_with_the_network_blocked(monkeypatch, lines):
    pytest.importorskip("wordllama")

    def refuse(*_a, **_k):
        raise AssertionError("the embedding model tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    embed_mod._wordllama.cache_clear()
    try:
        x = Embedder("wordllama").fit(lines).transform(lines[:5])
    finally:
        embed_mod._wordllama.cache_clear()
    assert x.shape == (5, 256)


def test_chunks_do_not_change_the_vectors(lines):
    big = Embedder(batch_size=1000).fit(lines).transform(lines)
    small = Embedder(batch_size=7).fit(lines).transform(lines)
    np.testing.assert_allclose(big, small, atol=1e-6)


def test_missing_and_blank_documents_are_zero_vectors(lines):
    e = Embedder().fit(lines)
    x = e.transform([None, "", "   ", lines[0]])
    assert not x[:3].any() and np.isclose(np.linalg.norm(x[3]), 1.0)
    assert e.transform(pl.Series(["a", None])).shape == (2, e.dim_)


def test_a_long_document_embeds_in_chunks_of_tokens():
    doc = "the quality of mercy is not strained " * 5000  # ~35k tokens
    e = Embedder().fit([doc, "a short line"])
    x = e.transform([doc])
    assert x.shape == (1, 256) and np.isclose(np.linalg.norm(x), 1.0)


# ----------------------------------------------------------------- the TF-IDF fallback
def test_tfidf_backend_is_seeded_unit_and_bounded(lines):
    a = Embedder("tfidf", random_state=3).fit(lines)
    b = Embedder("tfidf", random_state=3).fit(lines)
    assert a.backend_ == "tfidf" and a.dim_ == 256
    xa, xb = a.transform(lines), b.transform(lines)
    np.testing.assert_array_equal(xa, xb)
    np.testing.assert_allclose(np.linalg.norm(xa, axis=1), 1.0, atol=1e-5)
    # a document with no word (only punctuation) has no direction
    assert not a.transform(["... !"]).any()
    # nothing but the word weights comes from the real documents: another seed, other axes
    c = Embedder("tfidf", random_state=4).fit(lines)
    assert not np.allclose(c.transform(lines[:3]), xa[:3])
    # similar lines are closer than unrelated ones
    q = a.transform(["O Romeo, Romeo, wherefore art thou Romeo?", "Romeo, wherefore art thou?",
                     "Give me my sword, soldiers"])
    assert q[0] @ q[1] > q[0] @ q[2]


def test_auto_falls_back_to_tfidf_warns_once_and_says_so(no_wordllama, lines):
    with pytest.warns(TextBackendWarning, match="TF-IDF"):
        e = Embedder().fit(lines)
    assert e.backend_ == "tfidf" and "wordllama could not be used" in e.note_
    again = Embedder().fit(lines)  # no second warning (it would be an error in the tests)
    assert again.backend_ == "tfidf"
    with pytest.raises(DependencyError, match="wordllama"):
        Embedder("wordllama").fit(lines)
    assert embed_mod.auto_backend() == "tfidf"


def test_encoder_uses_the_fallback_and_notes_it(no_wordllama, shakespeare):
    real = shakespeare.sample(300, random_state=0)
    with pytest.warns(TextBackendWarning):
        enc = sk.Encoder().fit(real)
    assert enc.embedders_["text"].backend_ == "tfidf"
    assert any("TF-IDF" in n for n in enc.notes_)
    X = enc.transform(real)
    assert np.isfinite(X).all()


def test_embedder_bad_input(lines):
    with pytest.raises(DataError, match="backend"):
        Embedder("bert")
    with pytest.raises(DataError, match="batch_size"):
        Embedder(batch_size=0)
    with pytest.raises(NotFittedError):
        Embedder().transform(lines)
    with pytest.raises(DataError, match="one string"):
        Embedder().fit("just one document")
    with pytest.raises(DataError, match="int"):
        Embedder().fit(["a line", 3])
    with pytest.raises(DataError, match="no text"):
        Embedder().fit([None, " "])
    with pytest.raises(DataError, match="dtype"):
        Embedder().fit(pl.Series("n", [1, 2]))


# ----------------------------------------------------------------- the Encoder's text block
def test_encoder_text_block_names_order_and_scale(shakespeare):
    real = shakespeare.sample(2000, random_state=0)
    enc = sk.Encoder().fit(real)
    X = enc.transform(real)
    n_onehot = len(enc.levels_["play"]) + len(enc.levels_["genre"])
    assert enc.text_ == ["text"] and X.shape == (2000, n_onehot + 256) == (2000, enc.n_features_)
    assert enc.feature_names_[:n_onehot] == [f"play={v}" for v in enc.levels_["play"]] + \
        [f"genre={v}" for v in enc.levels_["genre"]]
    assert enc.feature_names_[n_onehot:] == [f"text:{i}" for i in range(256)]
    block = X[:, n_onehot:].astype(np.float64)
    # centred on the real mean, total variance 1: like one standardised numeric column
    np.testing.assert_allclose(block.mean(axis=0), 0.0, atol=1e-4)
    assert (block**2).sum(axis=1).mean() == pytest.approx(1.0, rel=1e-4)
    rng = np.random.default_rng(0)
    i, j = rng.integers(0, 2000, 3000), rng.integers(0, 2000, 3000)
    rms = np.sqrt(((block[i] - block[j]) ** 2).sum(axis=1).mean())
    assert rms == pytest.approx(np.sqrt(2.0), rel=0.05)
    assert "1 text" in repr(enc)


def test_encoder_missing_document_sits_at_the_real_mean(shakespeare):
    real = shakespeare.sample(200, random_state=1)
    enc = sk.Encoder().fit(real)
    rows = real.frame.head(3).with_columns(pl.Series("text", [None, "", "O, woe!"]))
    X = enc.transform(rows)
    block = X[:, -256:]
    assert not block[:2].any() and block[2].any()
    tc = enc.text_components(rows, "text")
    assert tc.shape == (3, 16) and np.isnan(tc[:2]).all() and np.isfinite(tc[2]).all()
    with pytest.raises(DataError, match="not a text column"):
        enc.text_components(rows, "play")


def test_mixed_table_concatenates_numeric_onehot_and_text(shakespeare):
    f = shakespeare.sample(500, random_state=3).frame
    frame = pl.DataFrame({
        "words": f["text"].str.split(" ").list.len().cast(pl.Int64),
        "genre": f["genre"],
        "line": f["text"],
    })
    ds = sk.from_frame(frame, "mixed", text=["line"], target="genre")
    enc = sk.Encoder().fit(ds)
    X = enc.transform(ds)
    assert enc.feature_names_[0] == "words"
    assert enc.feature_names_[1:4] == ["genre=comedy", "genre=history", "genre=tragedy"]
    assert enc.feature_names_[4:] == [f"line:{i}" for i in range(256)]
    w = frame["words"].to_numpy().astype(float)
    np.testing.assert_allclose(X[:, 0], (w - w.mean()) / w.std(), atol=1e-5)
    np.testing.assert_allclose(X[:, 1:4].sum(axis=1), 1 / np.sqrt(2), atol=1e-6)
    # the text block alone carries the documents: same words, same vector
    again = enc.transform(frame.with_columns(pl.lit(7).alias("words")))
    np.testing.assert_array_equal(again[:, 4:], X[:, 4:])


def test_encoder_tfidf_backend_on_request(shakespeare):
    real = shakespeare.sample(300, random_state=2)
    enc = sk.Encoder(text_backend="tfidf", random_state=1).fit(real)
    assert enc.embedders_["text"].backend_ == "tfidf"
    assert enc.transform(real).shape[1] == enc.n_features_
    with pytest.raises(DataError, match="text_backend"):
        sk.Encoder(text_backend="gpt")
