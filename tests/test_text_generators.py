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


# ----------------------------------------------------------------- copy with edits
def test_copy_edit_makes_near_copies(moods):
    real = moods.frame["text"].to_list()
    rows = sk.generate(moods, "copy_edit", 300, random_state=0, edits=2).frame
    assert sk.generate(moods, "copy_edit", 300, random_state=0, edits=2).frame.equals(rows)
    assert rows["text"].is_in(real).mean() < 0.05  # hardly any exact copy ...
    real_sets = [set(tokenize(t)) for t in real]
    long = rows.filter(pl.col("length") >= 8)["text"].head(60).to_list()
    for t in long:  # ... but each shares most words with a real text
        toks = set(tokenize(t))
        assert max(len(toks & r) / len(toks | r) for r in real_sets) >= 0.5
    assert sk.generate(moods, "copy_edit", 100, random_state=0, edits=0).frame["text"].is_in(real).all()


@pytest.mark.parametrize("kind, change", [("delete", -3), ("duplicate", 3), ("swap", 0), ("replace", 0)])
def test_copy_edit_each_edit(moods, kind, change):
    rows = make("copy_edit", edits=3, kinds=(kind,)).fit(moods).sample(200, random_state=1)
    words = np.array([sum(1 for t in tokenize(x) if t[0].isalpha()) for x in rows["text"].to_list()])
    # the row's other columns are copied with it, and ``length`` counts the real text's words
    expect = rows["length"].to_numpy() + change
    if kind == "delete":  # a document keeps at least one word
        expect = np.maximum(expect, 1)
    assert np.array_equal(words, expect)
    if kind != "replace":  # no new word comes in
        assert words_of(rows["text"]) <= words_of(moods.frame["text"])


def test_copy_edit_conditions_and_bad_input(moods, penguins):
    rows = make("copy_edit").fit(moods).sample(50, random_state=0, conditions={"mood": "calm"})
    assert (rows["mood"] == "calm").all()
    with pytest.raises(sk.GeneratorError, match="text columns"):
        make("copy_edit").fit(penguins)
    for params, word in [({"edits": -1}, "edits"), ({"kinds": ("swap", "shout")}, "kinds"), ({"kinds": ()}, "kinds")]:
        with pytest.raises(sk.GeneratorError, match=word):
            make("copy_edit", **params).fit(moods)


# ----------------------------------------------------------------- LLM adapter
class FakeLLM:
    """A deterministic stand-in for a language model: splices the first and last example it is shown."""

    def __init__(self, fail_at: int | None = None, answer=None):
        self.prompts: list[str] = []
        self.fail_at = fail_at
        self.answer = answer

    def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if self.fail_at is not None and len(self.prompts) == self.fail_at:
            raise TimeoutError("the model server did not answer")
        if self.answer is not None:
            return self.answer
        lines = [ln[2:].split() for ln in prompt.splitlines() if ln.startswith("- ")]
        first, last = lines[0], lines[-1]
        return " ".join(first[: len(first) // 2 + 1] + last[len(last) // 2 + 1:])


def test_llm_prompts_with_rows_of_the_same_label(moods):
    fake = FakeLLM()
    gen = sk.generators.LLMGenerator(fake, examples=4)
    batch = sk.generate(moods, gen, 40, random_state=3)
    assert batch.provenance.generator == "llm" and batch.provenance.params["examples"] == 4
    assert len(fake.prompts) == 40
    for prompt, mood in zip(fake.prompts, batch.frame["mood"].to_list()):
        assert f"(mood = {mood})" in prompt
        shown = [ln[2:] for ln in prompt.splitlines() if ln.startswith("- ")]
        assert len(shown) == 4
        assert set(moods.frame.filter(pl.col("text").is_in(shown))["mood"].to_list()) == {mood}
    # the answers are the fake's splices, words from the label's own texts
    for mood in ("calm", "storm"):
        real_words = words_of(moods.frame.filter(pl.col("mood") == mood)["text"])
        assert words_of(batch.frame.filter(pl.col("mood") == mood)["text"]) <= real_words
    again = FakeLLM()
    assert sk.generate(moods, sk.generators.LLMGenerator(again, examples=4), 40, random_state=3).frame.equals(batch.frame)
    assert again.prompts == fake.prompts
    cond = sk.generate(moods, sk.generators.LLMGenerator(FakeLLM()), 10, random_state=0, conditions={"mood": "calm"})
    assert (cond.frame["mood"] == "calm").all()


def test_llm_failure_keeps_finished_rows(moods):
    fake = FakeLLM(fail_at=6)
    with pytest.raises(sk.generators.LLMError, match=r"FakeLLM raised TimeoutError.*row 6 of 20.*5 row") as info:
        sk.generate(moods, sk.generators.LLMGenerator(fake), 20, random_state=0)
    err = info.value
    assert isinstance(err, sk.GeneratorError) and err.done == 5 and err.asked == 20
    assert err.partial.height == 5 and err.partial.columns == list(moods.schema.columns)
    assert err.batch.frame.height == 5 and err.batch.frame["row_id"][0].startswith("llm-")
    full = sk.generate(moods, sk.generators.LLMGenerator(FakeLLM()), 20, random_state=0).frame
    assert err.partial.equals(full.head(5).drop("row_id"))  # the same rows as an undisturbed run
    with pytest.raises(sk.generators.LLMError, match="no row was finished") as info:
        make("llm", fn=FakeLLM(fail_at=1)).fit(moods).sample(3, random_state=0)
    assert info.value.partial is None and info.value.done == 0


@pytest.mark.parametrize("answer, word", [(42, "returned int"), (None, "returned NoneType"),
                                          (b"bytes", "returned bytes")])
def test_llm_non_string_answer(moods, answer, word):
    def my_model(prompt):
        return answer

    with pytest.raises(sk.generators.LLMError, match=f"my_model {word}.*must return a str"):
        make("llm", fn=my_model).fit(moods).sample(3, random_state=0)


def test_llm_answers_are_cleaned(moods):
    rows = make("llm", fn=FakeLLM(answer='  1. "Bright rain falls."\nAnd a second line\n')).fit(moods).sample(
        3, random_state=0)
    assert rows["text"].to_list() == ["Bright rain falls."] * 3
    with pytest.warns(sk.SynthkitWarning, match="3 empty"):
        rows = make("llm", fn=FakeLLM(answer=" \n - \n")).fit(moods).sample(3, random_state=0)
    assert rows["text"].null_count() == 3


def test_llm_temperature_and_bad_input(moods):
    seen = []

    def model(prompt, temperature=1.0):
        seen.append(temperature)
        return "ok"

    make("llm", fn=model, temperature=0.3).fit(moods).sample(2, random_state=0)
    assert seen == [0.3, 0.3]
    make("llm", fn=model).fit(moods).sample(1, random_state=0)
    assert seen[-1] == 1.0  # temperature=None leaves the callable's own default
    with pytest.raises(sk.GeneratorError, match="takes no temperature"):
        make("llm", fn=FakeLLM(), temperature=0.5).fit(moods)
    with pytest.raises(sk.GeneratorError, match="fn=None must be a callable"):
        make("llm").fit(moods)
    with pytest.raises(sk.GeneratorError, match=r"\{examples\}"):
        make("llm", fn=FakeLLM(), prompt_template="Write a {column}.").fit(moods)
    with pytest.raises(sk.GeneratorError, match="unknown field"):
        make("llm", fn=FakeLLM(), prompt_template="{examples} {tone}").fit(moods)
    with pytest.raises(sk.GeneratorError, match="examples"):
        make("llm", fn=FakeLLM(), examples=0).fit(moods)


def test_markov_writes_what_detokenize_would(moods):
    from synthkit.text.tokens import detokenize

    frame = pl.DataFrame({"text": ["Oh, (he said) 'tis \"so\" -- well... yes!", "A [b] {c}: d; e? f's g-h.",
                                   "' Tis ; odd , spacing !"] * 20})
    ds = sk.from_frame(frame, "p", text=["text"])
    rows = make("markov", state_size=1).fit(ds).sample(200, random_state=0)
    for t in rows["text"].to_list():
        assert t == detokenize(tokenize(t, lower=False))


@pytest.mark.parametrize("state_size", [1, 2, 4])
@pytest.mark.parametrize("chars", [False, True])
def test_chain_counts_alike_on_both_paths(moods, monkeypatch, state_size, chars):
    from collections import Counter

    from synthkit.text import chain as chain_mod

    docs = moods.frame["text"].head(200).to_list()
    docs = docs if chars else [tokenize(d, lower=False) for d in docs]
    fast = chain_mod.NgramChain(state_size).fit(docs)
    monkeypatch.setattr(chain_mod, "DIRECT_KEYS", 0)  # rank the contexts one token at a time instead
    slow = chain_mod.NgramChain(state_size).fit(docs)
    for name in ("state_of_", "next_", "dest_", "counts_", "starts_"):
        assert np.array_equal(getattr(fast, name), getattr(slow, name)), name
    # and the counts are the (context, next token) counts of the documents
    want = Counter()
    for d in docs:
        seq = ["<begin>"] * state_size + list(d) + ["<end>"]
        want.update((tuple(seq[i - state_size:i]), seq[i]) for i in range(state_size, len(seq)))
    assert sorted(fast.counts_.astype(int).tolist()) == sorted(want.values())
    a = fast.sample_ids(50, np.random.default_rng(0))
    b = slow.sample_ids(50, np.random.default_rng(0))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_remix_model_is_a_deterministic_stand_in_for_a_language_model():
    from synthkit.generators.llm import RemixModel

    prompt = "Here are 2 examples of text (genre = comedy):\n- the cat sat on the mat\n- a dog ran far away\nWrite one."
    m = RemixModel(random_state=0)
    out = m(prompt)
    assert out == m(prompt) and out  # same prompt, same answer
    words = set("the cat sat on the mat a dog ran far away".split())
    assert set(out.split()) <= words
    assert {RemixModel(random_state=s)(prompt) for s in range(8)} != {out}  # the seed changes the answer
    assert m("no examples here") == ""
    ds = sk.load("shakespeare").sample(300, random_state=0)
    b = sk.generate(ds, sk.generators.LLMGenerator(RemixModel(0), examples=3), n=20, random_state=0)
    b2 = sk.generate(ds, sk.generators.LLMGenerator(RemixModel(0), examples=3), n=20, random_state=0)
    assert b.frame["text"].to_list() == b2.frame["text"].to_list()


# ----------------------------------------------------------------- odd documents
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

ODD_TEXT = st.one_of(st.none(), st.just(""), st.just("   "), st.just("?!..."), st.text(max_size=40),
                     st.sampled_from(["Ça va? Très bien.", "日本語の文。", "a\nb", "x" * 300, "'Tis so, 'tis."]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(ODD_TEXT, min_size=2, max_size=12), name=st.sampled_from(["markov", "char", "copy_edit"]),
       temperature=st.sampled_from([0.05, 1.0, 3.0]))
def test_odd_documents_never_break_a_generator(texts, name, temperature):
    if all(t is None or not t.strip() for t in texts):
        texts = texts + ["Some words here."]
    frame = pl.DataFrame({"text": texts, "y": ["a", "b"] * (len(texts) // 2) + ["a"] * (len(texts) % 2)},
                         schema={"text": pl.String, "y": pl.String})
    ds = sk.from_frame(frame, "odd", text=["text"])
    params = {} if name == "copy_edit" else {"temperature": temperature, "min_docs": 1, "by": "y"}
    rows = make(name, **params).fit(ds).sample(20, random_state=0)
    assert rows.height == 20 and rows["text"].dtype == pl.String
    assert set(rows["y"].to_list()) <= {"a", "b"}
