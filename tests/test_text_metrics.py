"""Text metrics: formulas on tiny hand-checked inputs, brute-force agreement, perfect vs broken, bad input."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit.data import from_frame
from synthkit.errors import SynthkitError
from synthkit.metrics import text as T
from synthkit.metrics._baseline import halves
from synthkit.text import stats
from synthkit.text.lm import NgramLM
from synthkit.text.tokens import tokenize_all


def _corpus(n: int, seed: int, vocab: int = 300) -> list[list[str]]:
    """Random documents: Zipf-distributed words from a fixed word list, 3-20 words, a full stop."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(vocab)]
    p = 1.0 / np.arange(1, vocab + 1)
    p /= p.sum()
    return [[words[j] for j in rng.choice(vocab, size=rng.integers(3, 21), p=p)] + ["."] for _ in range(n)]


def _brute_longest(doc, refs, max_n):
    best = 0
    for m in range(1, min(len(doc), max_n) + 1):
        grams = {tuple(doc[i:i + m]) for i in range(len(doc) - m + 1)}
        if any(tuple(r[i:i + m]) in grams for r in refs for i in range(len(r) - m + 1)):
            best = m
    return best


# ------------------------------------------------------------------ memorisation
def test_longest_shared_ngram_hand_checked():
    ref = tokenize_all(["the cat sat on the mat", "a dog ran far away", "O Romeo, Romeo!"])
    docs = tokenize_all(["the cat sat on a dog", "dog ran far away today", "nothing here", None,
                         "o romeo, romeo!", "xyz cat"])
    r = T.longest_shared_ngram(docs, ref)
    assert r.length.tolist() == [4, 4, 0, 0, 5, 1]
    assert r.source.tolist() == [0, 1, -1, -1, 2, 0]
    assert r.start.tolist() == [0, 0, -1, -1, 0, 1]
    assert T.exact_copies(docs, ref).tolist() == [False, False, False, False, True, False]
    # capped at max_n
    assert T.longest_shared_ngram(docs, ref, max_n=3).length.tolist() == [3, 3, 0, 0, 3, 1]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_longest_shared_ngram_agrees_with_brute_force(seed):
    rng = np.random.default_rng(seed)
    alphabet = list("abcd")  # a small alphabet: many shared runs of every length
    refs = [[alphabet[i] for i in rng.integers(0, 4, rng.integers(0, 12))] for _ in range(15)]
    docs = [[alphabet[i] for i in rng.integers(0, 4, rng.integers(0, 14))] for _ in range(25)]
    docs += [refs[3][:], refs[5][1:7]]  # a copy and a slice
    r = T.longest_shared_ngram(docs, refs, max_n=9)
    assert r.length.tolist() == [_brute_longest(d, refs, 9) for d in docs]
    for d, L, src, st in zip(docs, r.length, r.source, r.start):
        if L:  # the run named is really in the source document
            run = tuple(d[st:st + L])
            ref = refs[src]
            assert any(tuple(ref[i:i + L]) == run for i in range(len(ref) - L + 1))
        else:
            assert src == -1 and st == -1
    within = T.longest_shared_within(refs, max_n=9)
    assert within.tolist() == [_brute_longest(d, refs[:i] + refs[i + 1:], 9) for i, d in enumerate(refs)]


def test_longest_shared_within_counts_a_repeat_inside_one_document_once():
    docs = [["a", "b", "a", "b"], ["c", "a"]]
    # "a b" repeats inside document 0 only: not shared with another document
    assert T.longest_shared_within(docs).tolist() == [1, 1]


# ------------------------------------------------------------------ repetition
def test_self_similarity_hand_checked():
    # pairs: (0,1) cosine 1, (0,2) 0, (1,2) 0 -> mean 1/3; the document without words is left out
    docs = tokenize_all(["a b", "a b", "c d", "!!"])
    assert T.self_similarity(docs) == pytest.approx(1 / 3)
    # cos("a a b", "a b") = 3 / (sqrt(5) sqrt(2))
    assert T.self_similarity(tokenize_all(["a a b", "a b"])) == pytest.approx(3 / np.sqrt(10))
    assert np.isnan(T.self_similarity(tokenize_all(["only one"])))


def test_mean_pairwise_cosine_matches_the_pairwise_matrix_and_weights_repeat_rows():
    rng = np.random.default_rng(3)
    U = rng.normal(size=(12, 5))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    C = U @ U.T
    brute = (C.sum() - np.trace(C)) / (12 * 11)
    assert T.mean_pairwise_cosine(U) == pytest.approx(brute)
    w = rng.integers(0, 3, 12).astype(float)
    rep = np.repeat(U, w.astype(int), axis=0)
    assert T.mean_pairwise_cosine(U, w) == pytest.approx(T.mean_pairwise_cosine(rep))
    both = T.mean_pairwise_cosine(U, np.vstack([np.ones(12), w]))
    assert both == pytest.approx([brute, T.mean_pairwise_cosine(rep)])


# ------------------------------------------------------------------ perplexity and lengths
def test_heldout_perplexity_is_the_ngram_model_and_lost_words_raise_it():
    train, test = _corpus(300, 0), _corpus(100, 1)
    vocab = sorted({t for d in test for t in d})
    direct = NgramLM(T.LM_ORDER, vocabulary=vocab).fit(train).perplexity(test)
    assert T.heldout_perplexity(train, test, vocab) == pytest.approx(direct)
    lost = [[t for t in d if t not in ("w5", "w6", "w7")] for d in train]
    assert T.heldout_perplexity(lost, test, vocab) > direct


def test_length_ks_complement_hand_checked():
    a = tokenize_all(["one two", "one two three", "x"])   # lengths 2, 3, 1
    b = tokenize_all(["one two", "a b c d e", "y z"])     # lengths 2, 5, 2
    # F_a at 1, 2, 3, 5: 1/3, 2/3, 1, 1; F_b: 0, 2/3, 2/3, 1 -> D = 1/3
    assert T.length_ks_complement(a, b) == pytest.approx(2 / 3)


# ------------------------------------------------------------------ the family
def _family(real, synth, n_perm=19, n_boot=50, heldout=None):
    split = halves(len(real), len(synth), 0)
    rows, summary = T.text_family("text", real, synth, heldout, split, n_boot=n_boot, n_perm=n_perm,
                                  rng=np.random.default_rng(1), random_state=0)
    return {r["metric"]: r for r in rows}, summary


def _worse(r):
    if r["p_value"] is None or r["p_value"] > 0.05:
        return False
    return r["matched"] < r["baseline"] if r["better"] == "higher" else r["matched"] > r["baseline"]


@pytest.fixture(scope="module")
def corpora():
    real, fresh = _corpus(400, 10), _corpus(400, 12)  # a draw without a chance false flag (about 5% each)
    rng = np.random.default_rng(5)
    return {
        "real": real,
        "perfect": fresh,
        "copies": [list(real[i]) for i in rng.integers(0, 400, 400)],
        "repeated": [list(fresh[i]) for i in rng.integers(0, 15, 400)],
        "truncated": [d[:3] for d in fresh],
    }


def test_family_values_agree_with_the_token_statistics(corpora):
    real, synth = corpora["real"], corpora["perfect"]
    rows, s = _family(real, synth)
    assert rows["vocabulary_size"]["value"] == stats.vocabulary_size(synth)
    split = halves(len(real), len(synth), 0)
    A = [real[i] for i in split.a]
    assert rows["missing_word_share"]["value"] == pytest.approx(stats.missing_share(A, synth))
    assert rows["distinct_2"]["value"] == pytest.approx(stats.distinct_n(synth, 2))
    assert rows["self_similarity"]["value"] == pytest.approx(T.self_similarity(synth))
    assert rows["length_ks_complement"]["value"] == pytest.approx(T.length_ks_complement(real, synth))
    vocab = list(dict.fromkeys(t for d in A for t in d))
    assert rows["perplexity"]["value"] == pytest.approx(T.heldout_perplexity(synth, A, vocab))
    # size-matched: the baseline is B' vs A, the matched value S' vs A
    Bp = [real[i] for i in split.b]
    Sp = [synth[i] for i in split.s]
    assert rows["distinct_2"]["baseline"] == pytest.approx(stats.distinct_n(Bp, 2))
    assert rows["distinct_2"]["matched"] == pytest.approx(stats.distinct_n(Sp, 2))
    assert rows["missing_word_share"]["baseline"] == pytest.approx(stats.missing_share(A, Bp))
    ratio = T.heldout_perplexity(Sp, A, vocab) / T.heldout_perplexity(Bp, A, vocab)
    assert rows["perplexity_ratio"]["value"] == pytest.approx(ratio)
    assert rows["perplexity_ratio"]["baseline"] == 1.0
    # memorisation: the matched pair against half A, the per-row values against all real rows
    assert rows["longest_shared_mean"]["matched"] == pytest.approx(T.longest_shared_ngram(Sp, A).length.mean())
    assert rows["longest_shared_mean"]["baseline"] == pytest.approx(T.longest_shared_ngram(Bp, A).length.mean())
    full = T.longest_shared_ngram(synth, real)
    assert (s["shared_ngram"] == full.length).all() and (s["shared_source"] == full.source).all()
    assert (s["real_shared_ngram"] == T.longest_shared_within(real)).all()
    for r in rows.values():
        if r["ci_low"] is not None:
            assert r["ci_low"] <= r["value"] + 1e-12 <= r["ci_high"] + 2e-12
    assert s["shared_ngram"].shape == (len(synth),)


def test_perfect_reads_as_real_and_broken_generators_are_caught(corpora):
    real = corpora["real"]
    perfect, _ = _family(real, corpora["perfect"])
    assert not any(_worse(perfect[m]) for m in T.HEADLINE)
    copies, s = _family(real, corpora["copies"])
    assert _worse(copies["memorised_share"]) and _worse(copies["exact_document_share"])
    assert copies["exact_document_share"]["value"] == 1.0
    assert s["memorised"].mean() == pytest.approx((s["shared_ngram"] >= T.MEMORISED_NGRAM).mean())
    # the memorised rows name the real document they copy
    i = s["most_shared"][0]
    assert corpora["copies"][i] == real[s["shared_source"][i]] or s["shared_ngram"][i] == T.MAX_NGRAM
    repeated, _ = _family(real, corpora["repeated"])
    for m in ("distinct_2", "missing_word_share", "perplexity_ratio"):
        assert _worse(repeated[m]), m
    assert repeated["self_similarity"]["matched"] > perfect["self_similarity"]["matched"]
    truncated, _ = _family(real, corpora["truncated"])
    assert _worse(truncated["length_ks_complement"]) and _worse(truncated["missing_word_share"])
    # ordering: the broken corpora are further from real than the perfect one
    assert repeated["distinct_2"]["value"] < perfect["distinct_2"]["value"]
    assert repeated["perplexity_ratio"]["value"] > perfect["perplexity_ratio"]["value"]


def test_memorised_rows_found_in_a_mixed_batch(corpora):
    real = corpora["real"]
    mixed = corpora["perfect"][:380] + [list(real[i]) for i in range(20) if len(real[i]) >= T.MEMORISED_NGRAM]
    _, s = _family(real, mixed, n_perm=0, n_boot=0)
    flagged = set(np.nonzero(s["memorised"])[0].tolist())
    assert set(range(380, len(mixed))) <= flagged
    assert len(flagged - set(range(380, len(mixed)))) <= 2  # fresh documents rarely share 8 tokens


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("call", [
    lambda: T.longest_shared_ngram("a text, not tokens", [["a"]]),
    lambda: T.longest_shared_ngram([["a"]], [["a"]], max_n=0),
    lambda: T.longest_shared_within(["abc", "def"]),
    lambda: T.exact_copies([["a"]], "ref"),
    lambda: T.self_similarity(["not", "tokenized"]),
    lambda: T.heldout_perplexity([[]], [["a"]], ["a"]),
])
def test_bad_input_raises_a_synthkit_error(call):
    with pytest.raises(SynthkitError, match="token|max_n|no tokens"):
        call()


# ------------------------------------------------------------------ evaluate
def _frame(docs, seed, label=True):
    rng = np.random.default_rng(seed)
    out = {"text": [" ".join(d) for d in docs]}
    if label:
        out["mood"] = rng.choice(["calm", "angry"], len(docs)).tolist()
    return pl.DataFrame(out)


def test_evaluate_runs_the_text_family_per_text_column(corpora):
    real = from_frame(_frame(corpora["real"], 0), "texts", text=["text"])
    rep = sk.evaluate(real, _frame(corpora["copies"], 1), families=["text", "fidelity"], n_boot=20)
    assert "text" in rep.families
    t = rep.family("text")
    assert set(t["metric"]) == set(T.METRICS) and set(t["column"]) == {"text"}
    head = rep.headline().filter(pl.col("family") == "text")
    assert head["metric"].to_list() == list(T.HEADLINE)
    assert head.filter(pl.col("metric") == "memorised_share")["status"].item() == "worse than real"
    rows = rep.rows
    assert rows.columns[-2:] == ["shared_ngram", "memorised"]
    synth = rows.filter(pl.col("source") == "synthetic")
    long_docs = np.array([len(d) >= T.MEMORISED_NGRAM for d in corpora["copies"]])
    assert synth["memorised"].to_numpy().tolist() == long_docs.tolist()  # every copy of 8+ tokens
    assert rows.filter(pl.col("source") == "real")["memorised"].null_count() == len(real)


def test_evaluate_without_text_columns_drops_the_family():
    frame = pl.DataFrame({"x": np.arange(40.0), "y": ["a", "b"] * 20})
    real = from_frame(frame, "tab")
    rep = sk.evaluate(real, frame.with_columns(pl.col("x") + 0.5), families=["fidelity", "text"], n_boot=0)
    assert rep.families == ["fidelity"] and any("no text column" in n for n in rep.notes)
    assert "shared_ngram" not in rep.rows.columns
    rep = sk.evaluate(real, frame.with_columns(pl.col("x") + 0.5), families=None, n_boot=0, n_perm=0)
    assert "text" not in rep.families and not any("no text column" in n for n in rep.notes)


def test_report_text_section_marks_the_shared_run_and_escapes(corpora):
    real = from_frame(_frame(corpora["real"], 0), "texts", text=["text"])
    copies = [d + ["<b>", "x"] for d in corpora["real"][:60]] + corpora["perfect"][:340]
    synth = _frame(copies, 1).with_columns(pl.col("text").str.replace_all("< b >", "<b>", literal=True))
    rep = sk.evaluate(real, synth, families=["text"], n_boot=0, n_perm=0)
    page = rep.html(include_plotlyjs=False)
    assert "Text column <code>text</code>" in page and "Words lost." in page and "Memorised rows." in page
    assert page.count("<mark>") == 10  # five rows shown, the run marked in the synthetic and the real text
    assert "<b>" not in page.split("Memorised rows.")[1].split("</table>")[0].replace("<b>Memorised", "")
    assert "&lt;b&gt;" in page
    assert "text_lengths:text" in rep.figures()
    lengths = rep.figures()["text_lengths:text"]
    assert sum(lengths.data[0].y) == pytest.approx(1.0) and sum(lengths.data[1].y) == pytest.approx(1.0)


def test_marked_cuts_long_text_and_handles_missing():
    from synthkit.metrics.report import CONTEXT_CHARS, _marked

    text = "word " * 200 + "the run is here" + " tail" * 200
    start = 200
    out = _marked(text, start, 4)
    assert "<mark>the run is here</mark>" in out and out.startswith("…") and out.endswith("…")
    assert len(out) < 2 * CONTEXT_CHARS + 60
    assert _marked(None, 0, 1) == "<i>(missing)</i>"
    assert _marked("<script>", 0, 1) == "<mark>&lt;</mark>script&gt;"


def test_suggest_finds_the_memorised_rows(corpora):
    real = from_frame(_frame(corpora["real"], 0), "texts", text=["text"])
    copied = [list(d) for d in corpora["real"][:40] if len(d) >= T.MEMORISED_NGRAM]
    synth = _frame(corpora["perfect"][:360] + copied, 1)
    rep = sk.evaluate(real, synth, families=["text"], n_boot=0, n_perm=0)
    regions = [g for g in sk.suggest(real, synth, rep) if g.kind == "memorised"]
    assert len(regions) == 1
    ids = set(regions[0].row_ids)
    assert {f"synthetic:{i}" for i in range(360, 360 + len(copied))} <= ids
    assert len(ids) <= len(copied) + 2
    assert f"{len(ids)} synthetic rows" in regions[0].reason and "'text'" in regions[0].reason
    assert "e.g. \"w" in regions[0].reason  # the longest shared run, quoted


# ------------------------------------------------------------------ calibration (benchmarks/calibration.py, small)
def _text_draw(pop, n, seed, kind):
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(pop))
    real = sk.data.Dataset(pop.name, pop.frame[np.sort(idx[:n])], pop.schema)
    hold = pop.frame[np.sort(idx[n:2 * n])]
    fresh = pop.frame[np.sort(idx[2 * n:3 * n])].drop("row_id")
    if kind == "copies":
        fresh = real.frame.drop("row_id")[rng.integers(0, n, n)]
    elif kind == "repeated":
        fresh = fresh.with_columns(fresh["text"].gather(rng.integers(0, 20, n)))
    elif kind == "truncated":
        fresh = fresh.with_columns(pl.col("text").str.split(" ").list.head(5).list.join(" "))
    return real, fresh, hold


def _text_flags(pop, n, seed, kind):
    real, syn, hold = _text_draw(pop, n, seed, kind)
    h = sk.evaluate(real, syn, holdout=hold, families=["text"], n_boot=0, random_state=seed).headline()
    return {r["metric"]: r["status"] == "worse than real" for r in h.iter_rows(named=True)}


def test_text_verdicts_are_calibrated_and_catch_broken_generators():
    from scipy.stats import binom

    pop = sk.load("shakespeare")
    draws = 20
    flags = [_text_flags(pop, 150, 100 + i, "perfect") for i in range(draws)]
    slack = int(binom.ppf(0.95, draws, 0.05))
    for m in T.HEADLINE:
        assert sum(f[m] for f in flags) <= slack, m
    for kind, metric in (("copies", "memorised_share"), ("repeated", "distinct_2"),
                         ("truncated", "length_ks_complement")):
        caught = [_text_flags(pop, 150, 200 + i, kind)[metric] for i in range(4)]
        assert all(caught), kind


def test_self_similarity_uses_the_embeddings_when_given(corpora):
    real, synth = corpora["real"], corpora["repeated"]
    rng = np.random.default_rng(0)
    e_real = rng.normal(size=(len(real), 8))
    e_synth = rng.normal(size=(len(synth), 8))
    e_real /= np.linalg.norm(e_real, axis=1, keepdims=True)
    e_synth /= np.linalg.norm(e_synth, axis=1, keepdims=True)
    split = halves(len(real), len(synth), 0)
    rows, s = T.text_family("text", real, synth, None, split, n_boot=0, n_perm=2, rng=None, random_state=0,
                            vectors=(e_real, e_synth))
    row = {r["metric"]: r for r in rows}["self_similarity"]
    assert row["value"] == pytest.approx(T.mean_pairwise_cosine(e_synth))
    assert row["baseline"] == pytest.approx(T.mean_pairwise_cosine(e_real[split.b]))
    assert s["self_similarity_space"] == "embeddings"
    with pytest.raises(SynthkitError, match="one row per document"):
        T.text_family("text", real, synth, None, split, n_boot=0, n_perm=0, rng=None, random_state=0,
                      vectors=(e_real[:5], e_synth))


def test_every_family_on_text_rows_and_copy_edits_are_found_memorised():
    pop = sk.load("shakespeare")
    real = sk.data.Dataset(pop.name, pop.frame[:300], pop.schema)
    batch = sk.generate(real, "copy_edit", n=150, random_state=0)
    rep = sk.evaluate(real, batch, n_boot=0, random_state=0)
    assert {"coverage", "privacy", "text"} <= set(rep.families)
    assert rep.table.filter(pl.col("family").is_in(["fidelity", "pairwise"]) & (pl.col("column") == "text")).height == 0
    head = rep.headline().filter(pl.col("family") == "text")
    assert head.filter(pl.col("metric") == "memorised_share")["status"].item() == "worse than real"
    synth = rep.rows.filter(pl.col("source") == "synthetic")
    regions = {g.kind: g for g in sk.suggest(real, batch, rep)}
    memorised = set(synth.filter(pl.col("memorised"))["row_id"])
    assert memorised and set(regions["memorised"].row_ids) == memorised
    assert (synth.filter(pl.col("memorised"))["shared_ngram"] >= T.MEMORISED_NGRAM).all()
