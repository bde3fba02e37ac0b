"""Text collapse: a Markov chain trained on its own text, as Shumailov et al. (2024) did with OPT-125m.

The qualitative findings, at small settings with seeds enough to stand out of noise:
under ``replace`` the perplexity of real held-out text rises and rare words vanish;
keeping 10 % real text (redrawn each generation) degrades much less; ``accumulate``
stays nearly flat.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit.collapse import CollapseError

from _textcorpus import dataset

G = 8
SEEDS = 4
REGIMES = {
    "replace": {},
    "keep_real": {"real_fraction": 0.1, "redraw_real": True},
    "accumulate": {},
}


@pytest.fixture(scope="module")
def corpus() -> sk.Dataset:
    return dataset(600, seed=1)


@pytest.fixture(scope="module")
def runs(corpus):
    return {name: sk.collapse.simulate(corpus, "markov", generations=G, seeds=SEEDS, regime=name,
                                       metrics=["text"], progress=False, random_state=0, **kw)
            for name, kw in REGIMES.items()}


def per_seed(result, metric: str, generation: int) -> np.ndarray:
    t = result.table.filter((pl.col("metric") == metric) & (pl.col("generation") == generation))
    return t.sort("seed")["value"].to_numpy()


def rise(result, metric: str = "perplexity") -> np.ndarray:
    """Each seed's change from the real text (generation 0) to the last generation."""
    return per_seed(result, metric, G) - per_seed(result, metric, 0)


def clearly_less(a: np.ndarray, b: np.ndarray) -> bool:
    """mean(a) below mean(b) by more than three standard errors of the difference."""
    se = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return b.mean() - a.mean() > 3 * se


def test_text_metrics_per_generation(runs, corpus):
    res = runs["replace"]
    assert {"perplexity", "vocabulary", "missing_words", "distinct_2", "mean_length"} <= set(res.metrics())
    assert res.table["generation"].max() == G and res.table["seed"].n_unique() == SEEDS
    assert any("held out" in n for n in res.notes)
    g0 = res.summary(generations=[0]).row(0, named=True)
    assert g0["missing_words"] == 0.0  # generation 0 is the real training text itself
    # perplexity of real held-out text is finite and far below the vocabulary size at the start
    assert 1 < g0["perplexity"] < g0["vocabulary"]


def test_replace_collapses(runs):
    res = runs["replace"]
    p = rise(res)
    assert (p > 0).all() and p.mean() > per_seed(res, "perplexity", 0).mean()  # more than doubles
    lost = per_seed(res, "missing_words", G)
    assert (lost > 0.15).all()
    assert clearly_less(per_seed(res, "distinct_2", G), per_seed(res, "distinct_2", 0))
    assert clearly_less(per_seed(res, "vocabulary", G), per_seed(res, "vocabulary", 0))


def test_rare_words_vanish_first(runs, corpus):
    res = runs["replace"]
    gone = res.vanished(top=None)
    assert gone.height > 0 and set(gone.columns) == {"column", "word", "real_count", "seeds"}
    top = gone.head(20)  # most seeds first, then most frequent in the real text
    ordered = top.sort(["seeds", "real_count"], descending=True, maintain_order=True)
    assert ordered["word"].to_list() == top["word"].to_list()
    # the words lost are the rare ones
    words = res.words.filter(pl.col("generation") == G)
    from synthkit.text.stats import word_counts
    from synthkit.text.tokens import tokenize_all

    counts = word_counts(tokenize_all(corpus.frame["text"]))
    rare = [w for w, c in counts.items() if c <= 2]
    common = [w for w, c in counts.items() if c >= 10]
    rates = []  # per seed: the share of rare and of common words lost by the last generation
    for s in range(SEEDS):
        lost = set(words.filter(pl.col("seed") == s)["word"].to_list())
        rates.append([sum(w in lost for w in ws) / len(ws) for ws in (rare, common)])
    rare_rate, common_rate = np.mean(rates, axis=0)
    assert rare_rate > 0.5 and rare_rate > 4 * common_rate
    # and they stay lost: under replace a word absent from one generation never returns
    w = res.words.filter(pl.col("seed") == 0)
    for g in range(1, G):
        now = set(w.filter(pl.col("generation") == g)["word"].to_list())
        later = set(w.filter(pl.col("generation") == g + 1)["word"].to_list())
        assert now <= later
    assert res.vanished(1, seed=0, top=5).height <= 5


def test_real_data_holds_collapse_off(runs):
    replace, keep, acc = (rise(runs[k]) for k in ("replace", "keep_real", "accumulate"))
    assert clearly_less(keep, replace) and keep.mean() < 0.75 * replace.mean()
    assert clearly_less(acc, keep) and acc.mean() < 0.3 * replace.mean()
    lost = {k: per_seed(runs[k], "missing_words", G) for k in REGIMES}
    assert clearly_less(lost["keep_real"], lost["replace"])
    assert clearly_less(lost["accumulate"], lost["keep_real"])


def test_redraw_real(corpus):
    fixed = sk.collapse.simulate(corpus, "markov", generations=2, regime="keep_real", real_fraction=0.1,
                                 metrics=["text"], progress=False)
    redrawn = sk.collapse.simulate(corpus, "markov", generations=2, regime="keep_real", real_fraction=0.1,
                                   metrics=["text"], progress=False, redraw_real=True)
    assert redrawn.config["redraw_real"] and not fixed.config["redraw_real"]
    # generation 1 comes from the same first model; the second training set differs
    t = [r.table.filter(pl.col("metric") == "perplexity")["value"].to_list() for r in (fixed, redrawn)]
    assert t[0][:2] == t[1][:2] and t[0][2] != t[1][2]
    with pytest.raises(CollapseError, match="redraw_real"):
        sk.collapse.simulate(corpus, "markov", generations=1, redraw_real=True, progress=False)
    with pytest.raises(CollapseError, match="redraw_real"):
        sk.collapse.simulate(corpus, "markov", generations=1, regime="keep_real", real_fraction=0.1,
                             redraw_real="yes", progress=False)


def test_redraw_real_on_a_table(penguins):
    args = dict(generations=3, regime="keep_real", real_fraction=0.2, metrics=["std_ratio"], progress=False)
    a = sk.collapse.simulate(penguins, "gaussian", **args)
    b = sk.collapse.simulate(penguins, "gaussian", redraw_real=True, **args)
    last = [r.table.filter(pl.col("generation") == 3)["value"].to_numpy() for r in (a, b)]
    assert not np.allclose(*last)


def test_fresh_regime_and_curation_in_the_loop(corpus):
    res = sk.collapse.simulate(corpus, "markov", generations=2, regime="fresh", real_fraction=0.2,
                               metrics=["text"], progress=False)
    assert res.table.filter(pl.col("metric") == "perplexity").height == 3

    def long_only(rows, ctx):  # a curator that keeps documents of at least 8 words
        return (rows["text"].str.count_matches(r"\S+") >= 8).to_numpy()

    kw = dict(generations=2, metrics=["text"], progress=False, keep_samples=(2,))
    plain = sk.collapse.simulate(corpus, "markov", **kw)
    curated = sk.collapse.simulate(corpus, "markov", curate=long_only, **kw)
    assert "kept_share" in curated.metrics() and per_seed(curated, "kept_share", 1)[0] < 0.9
    assert (curated.samples["text"].str.count_matches(r"\S+") >= 8).all()
    assert per_seed(curated, "mean_length", 2)[0] > per_seed(plain, "mean_length", 2)[0] + 2


def test_holdout_is_the_test_text(corpus):
    train, test = corpus.split(0.8, random_state=3)
    res = sk.collapse.simulate(train, "markov", generations=1, metrics=["text"], holdout=test, progress=False)
    assert not any("held out" in n for n in res.notes) and res.config["n_real"] == len(train)
    tab = sk.collapse.simulate(sk.load("penguins"), "gaussian", generations=1, progress=False)
    assert "perplexity" not in tab.metrics() and tab.vanished().height == 0
    assert not any(n.startswith("text") for n in tab.notes)
    tab = sk.collapse.simulate(sk.load("penguins"), "gaussian", generations=1, metrics=["text"], progress=False)
    assert tab.table.height == 0 and tab.notes == ["text skipped: the data has no text columns"]


def test_temperature_and_other_text_generators_in_the_loop(corpus):
    small = corpus.sample(200, random_state=0)
    kw = dict(generations=1, metrics=["text"], progress=False, seeds=2)
    cold = sk.collapse.simulate(small, "markov", temperature=0.3, **kw)
    warm = sk.collapse.simulate(small, "markov", **kw)
    assert clearly_less(per_seed(cold, "distinct_2", 1), per_seed(warm, "distinct_2", 1))
    for gen in ("char", "copy_edit", sk.generators.LLMGenerator(lambda p: p.splitlines()[1][2:])):
        res = sk.collapse.simulate(small, gen, generations=2, metrics=["text"], progress=False)
        assert res.table.filter(pl.col("metric") == "perplexity")["value"].is_finite().all()


def test_collapse_widget_on_text(corpus):
    from synthkit.widgets.collapse import CollapseControls

    small = corpus.sample(200, random_state=0)
    ctl = CollapseControls(small, generations=2, seeds=1)
    assert ctl.w_generator.value == "markov" and "llm" not in ctl.w_generator.options
    assert ctl.metric == "perplexity" and "perplexity" in ctl.result.metrics()
    res = ctl.run(generator="char")
    assert res.config["generator"] == "char"
    with pytest.raises(sk.SynthkitError, match="copula"):
        CollapseControls(small, generator="copula")


def test_drop_memorised_curator(corpus, penguins):
    from synthkit.collapse import curators
    from synthkit.metrics.text import longest_shared_ngram
    from synthkit.text.tokens import tokenize_all

    real = tokenize_all(corpus.frame["text"])
    batch = sk.generate(corpus, "copy_edit", 200, random_state=0, edits=1)
    kept = curators.apply(curators.drop_memorised(6), batch, corpus)
    assert 0 < kept.height < 100  # one edit leaves most copies with a long shared run
    assert (longest_shared_ngram(tokenize_all(kept["text"]), real, max_n=6).length < 6).all()
    res = sk.collapse.simulate(corpus, sk.generators.make("copy_edit", edits=1), generations=2,
                               metrics=["text"], progress=False, curate=curators.drop_memorised(6),
                               keep_samples=(2,))
    assert per_seed(res, "kept_share", 1)[0] < 0.5
    assert (longest_shared_ngram(tokenize_all(res.samples["text"]), real, max_n=6).length < 6).all()
    with pytest.raises(sk.DataError, match="not text columns"):
        curators.apply(curators.drop_memorised(columns=["mood"]), batch, corpus)
    with pytest.raises(sk.DataError, match="has none"):
        curators.apply(curators.drop_memorised(), sk.generate(penguins, "bootstrap", 5), penguins)
