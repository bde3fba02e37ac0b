"""Text generators: contract, determinism, temperature, conditions, copies with edits, the LLM adapter."""

from __future__ import annotations

import inspect

import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit.data import Dataset
from synthkit.generators import available, get, make
from synthkit.text.stats import distinct_n, vocabulary
from synthkit.text.tokens import tokenize, tokenize_all

from _textcorpus import dataset, sentences

TEXT_GENS = ["markov", "char"]


@pytest.fixture(scope="module")
def moods() -> sk.Dataset:
    return dataset(600, seed=0)


def words_of(texts) -> set[str]:
    return vocabulary(tokenize_all([t for t in texts if t is not None]))


# ----------------------------------------------------------------- contract
def test_registry_lists_text_families_apart():
    for name in TEXT_GENS:
        assert name in available(text=True) and name not in available()
        cls = get(name)
        assert cls.name == name and cls.summary and cls.__doc__
        assert set(cls.key_params) <= set(inspect.signature(cls.__init__).parameters)
    assert "bootstrap" in available(text=True)


@pytest.mark.parametrize("name", TEXT_GENS + ["bootstrap"])
def test_schema_kept_and_deterministic(moods, name):
    a = sk.generate(moods, name, 120, random_state=4)
    b = sk.generate(moods, name, 120, random_state=4)
    c = sk.generate(moods, name, 120, random_state=5)
    assert a.frame.equals(b.frame) and a.id == b.id
    assert not a.frame.select(moods.schema.columns).equals(c.frame.select(moods.schema.columns))
    assert a.frame.columns == ["row_id", *moods.schema.columns]
    for col in moods.schema.columns:
        assert a.frame[col].dtype == moods.schema.polars_dtype(col)
    assert a.provenance.generator == name and a.provenance.fitted_on == ("real",)
    assert a.frame["text"].null_count() == 0 and (a.frame["text"].str.len_chars() > 0).mean() > 0.95


def test_markov_writes_new_sentences_from_real_words(moods):
    rows = make("markov").fit(moods).sample(400, random_state=0)
    real = set(moods.frame["text"].to_list())
    new = [t for t in rows["text"].to_list() if t not in real]
    assert len(new) > 200  # mostly new sentences ...
    assert words_of(new) <= words_of(real)  # ... made of real words only
    assert all(t[-1] in ".!?" for t in new if len(tokenize(t)) < 28)  # sentences end at a boundary


def test_char_invents_words(moods):
    rows = make("char", state_size=3).fit(moods).sample(400, random_state=0)
    invented = words_of(rows["text"]) - words_of(moods.frame["text"])
    assert len(invented) > 20


def test_max_tokens_caps_length(moods):
    rows = make("markov", max_tokens=4).fit(moods).sample(200, random_state=0)
    assert max(len(tokenize(t)) for t in rows["text"]) <= 4
    rows = make("char", max_tokens=7).fit(moods).sample(200, random_state=0)
    assert rows["text"].str.len_chars().max() <= 7


# ----------------------------------------------------------------- temperature
def _distinct2(name, ds, t, seed=0, n=1500, **kw):
    rows = make(name, temperature=t, **kw).fit(ds).sample(n, random_state=seed)
    return distinct_n(tokenize_all(rows["text"]), 2)


@pytest.mark.parametrize("name", TEXT_GENS)
def test_lower_temperature_repeats_more(moods, name):
    temps = [0.2, 0.5, 1.0]
    for seed in (0, 1):
        d = [_distinct2(name, moods, t, seed) for t in temps]
        assert all(a < b for a, b in zip(d, d[1:])), (name, seed, d)


def test_near_zero_temperature_is_greedy(moods):
    rows = make("markov", temperature=1e-3).fit(moods).sample(300, random_state=0)
    # one chain per mood, each always takes its most frequent continuation (ties at random)
    assert rows["text"].n_unique() < 40
    bad = [0, -1.0, float("nan"), "hot", True]
    for t in bad:
        with pytest.raises(sk.GeneratorError, match="temperature"):
            make("markov", temperature=t).fit(moods)


# ----------------------------------------------------------------- labels
def test_text_follows_its_label(moods):
    storm_words = words_of(moods.frame.filter(pl.col("mood") == "storm")["text"])
    calm_words = words_of(moods.frame.filter(pl.col("mood") == "calm")["text"])
    assert not storm_words & calm_words  # the corpus keeps the moods' words apart
    gen = make("markov").fit(moods)  # by="auto": the categorical target, mood
    rows = gen.sample(300, random_state=1)
    for mood, vocab in (("storm", storm_words), ("calm", calm_words)):
        assert words_of(rows.filter(pl.col("mood") == mood)["text"]) <= vocab
    cond = gen.sample(200, random_state=2, conditions={"mood": "storm"})
    assert (cond["mood"] == "storm").all() and words_of(cond["text"]) <= storm_words
    pooled = make("markov", by=None).fit(moods).sample(300, random_state=1)
    mixed = words_of(pooled.filter(pl.col("mood") == "storm")["text"])
    assert mixed & calm_words  # one pooled chain mixes the moods


def test_conditions_on_another_label_get_their_own_model(moods):
    gen = make("markov", min_docs=10).fit(moods)
    real = moods.frame.filter(pl.col("length") == 3)
    with pytest.raises(sk.ConditionError, match="numeric column 'length'"):
        gen.sample(5, conditions={"length": 3})
    ds = sk.from_frame(moods.frame.with_columns(pl.col("length").cast(pl.String)), "m", text=["text"],
                       target="mood")
    gen = make("markov", min_docs=10).fit(ds)
    rows = gen.sample(100, random_state=0, conditions={"length": "3"})
    assert (rows["length"] == "3").all()
    assert words_of(rows["text"]) <= words_of(real["text"])


def test_rare_label_falls_back_to_pooled_model():
    frame = sentences(400, seed=3).vstack(sentences(6, seed=4, moods=("odd",)))
    ds = sk.from_frame(frame, "m", text=["text"], target="mood")
    gen = make("markov", min_docs=20).fit(ds)
    assert gen.model_for("text", mood="odd") is gen.model_for("text")
    assert gen.model_for("text", mood="calm") is not gen.model_for("text")
    rows = gen.sample(50, random_state=0, conditions={"mood": "odd"})
    assert (rows["mood"] == "odd").all()
    odd_words = words_of(frame.filter(pl.col("mood") == "odd")["text"])
    assert words_of(rows["text"]) - odd_words  # written by the pooled chain
    with pytest.raises(sk.GeneratorError, match="not a text column"):
        gen.model_for("mood")


def test_tabular_generator_draws_the_labels(moods):
    gen = make("markov", tabular="cart").fit(moods)
    rows = gen.sample(200, random_state=0, conditions={"mood": "calm"})
    assert (rows["mood"] == "calm").all()
    real_len = moods.frame["length"]
    assert rows["length"].min() >= real_len.min() and rows["length"].max() <= real_len.max()
    with pytest.raises(sk.GeneratorError, match="tabular="):
        make("markov", tabular="markov").fit(moods)


def test_missing_text_kept_at_its_rate():
    frame = sentences(1000, seed=5)
    rng = np.random.default_rng(0)
    frame = frame.with_columns(pl.when(pl.Series(rng.random(1000) < 0.2)).then(None)
                               .otherwise(pl.col("text")).alias("text"))
    ds = sk.from_frame(frame, "m", text=["text"], target="mood")
    for name in TEXT_GENS:
        rows = make(name).fit(ds).sample(2000, random_state=0)
        assert 0.16 < rows["text"].null_count() / 2000 < 0.24


def test_only_text_column():
    frame = sentences(300, seed=6).select("text")
    ds = sk.from_frame(frame, "t", text=["text"])
    rows = make("markov").fit(ds).sample(50, random_state=0)
    assert rows.columns == ["text"] and rows.height == 50


def test_reject_copies(moods):
    small = moods.sample(150, random_state=0)
    real = set(small.frame["text"].to_list())

    def copies(**kw):
        rows = make("markov", by=None, **kw).fit(small).sample(300, random_state=0)
        return sum(t in real for t in rows["text"].to_list())

    assert copies() > 150  # a small seed is mostly copied ...
    assert copies(reject_copies=True) < copies() / 5  # ... unless copies are redrawn


# ----------------------------------------------------------------- bad input
def test_bad_input(moods, penguins):
    with pytest.raises(sk.GeneratorError, match="text columns"):
        make("markov").fit(penguins)
    for params, word in [({"state_size": 0}, "state_size"), ({"min_docs": 0}, "min_docs"),
                         ({"by": "length"}, "by="), ({"by": "text"}, "by="), ({"max_tokens": 0}, "max_tokens"),
                         ({"reject_copies": "yes"}, "reject_copies")]:
        with pytest.raises(sk.GeneratorError, match=word):
            make("markov", **params).fit(moods)
    with pytest.raises(sk.ConditionError, match="text column 'text'"):
        make("markov").fit(moods).sample(5, conditions={"text": "hello"})
    # fit rows whose text is all missing (the schema allows missing values)
    blank = moods.frame.head(20).with_columns(pl.lit(None, dtype=pl.String).alias("text"))
    with pytest.raises(sk.GeneratorError, match="'text' holds only missing values"):
        make("char").fit(Dataset("blank", blank, moods.schema))
    with pytest.raises(sk.DataError, match="text"):
        sk.from_frame(pl.DataFrame({"text": [None, None, None], "y": ["a", "b", "a"]},
                                   schema={"text": pl.String, "y": pl.String}), "x", text=["text"])
