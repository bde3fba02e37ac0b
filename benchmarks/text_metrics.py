"""Benchmark: the text family of ``evaluate()`` against the same metrics computed by hand.

Data: the embedded ``shakespeare`` lines, 5,000 real lines against 5,000 other
lines (a perfect generator), split at random (seeded).

1. ``sk.evaluate(real, synthetic, families=("text",))`` with 100 bootstrap
   replicates and 19 permutations: every text metric with its size-matched
   real-vs-real baseline, interval and verdict.
2. The same metric values computed once by hand, as a user would with
   scikit-learn and scipy: ``CountVectorizer`` vocabularies and n-gram counts
   (vocabulary size, missing words, distinct-1/2), the kit's embeddings
   (``synthkit.text.embed.Embedder``, as the Encoder uses them) and
   ``cosine_similarity`` for self-similarity (a 5,000 x 5,000 matrix),
   ``scipy.stats.ks_2samp`` for lengths, ``CountVectorizer(ngram_range=(8, 8))``
   for memorised rows, a set of token tuples for exact copies, and a plain
   ``collections.Counter`` bigram model with the same interpolated absolute
   discounting for perplexity. No baselines, no intervals, no verdicts.
3. (optional, ``--full``) ``sk.evaluate`` with every family, when the Encoder
   embeds text columns.

The values of 1 and 2 must agree (printed side by side); the timings go into
BENCHMARKS.md ("Text metrics").

    .venv/bin/python benchmarks/text_metrics.py [--rows 5000] [--full]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

import synthkit as sk  # noqa: E402
from synthkit.data import Dataset  # noqa: E402
from synthkit.metrics._baseline import halves  # noqa: E402
from synthkit.metrics.text import LM_ORDER, MEMORISED_NGRAM  # noqa: E402
from synthkit.text.tokens import is_word, tokenize  # noqa: E402


def by_hand(real_text: list[str], synth_text: list[str], heldout_text: list[str]) -> dict:
    """The text metrics' values, one pass, with scikit-learn, scipy and the standard library."""
    from scipy.stats import ks_2samp
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    from synthkit.text.embed import Embedder

    out = {}
    cv = dict(tokenizer=tokenize, lowercase=False, token_pattern=None)
    words = CountVectorizer(**cv).fit(synth_text)
    vs = {w for w in words.vocabulary_ if is_word(w)}
    vh = {w for w in CountVectorizer(**cv).fit(heldout_text).vocabulary_ if is_word(w)}
    out["vocabulary_size"] = len(vs)
    out["missing_word_share"] = len(vh - vs) / len(vh)
    for n in (1, 2):
        X = CountVectorizer(**cv, ngram_range=(n, n)).fit_transform(synth_text)
        out[f"distinct_{n}"] = X.shape[1] / X.sum()
    E = Embedder().fit(real_text).transform(synth_text)
    live = np.linalg.norm(E, axis=1) > 0
    C = cosine_similarity(E[live])
    m = C.shape[0]
    out["self_similarity"] = (C.sum() - np.trace(C)) / (m * (m - 1))
    len_r = [sum(map(is_word, tokenize(t))) for t in real_text]
    len_s = [sum(map(is_word, tokenize(t))) for t in synth_text]
    out["length_ks_complement"] = 1.0 - ks_2samp(len_r, len_s).statistic
    real_docs = {tuple(tokenize(t)) for t in real_text}
    out["exact_document_share"] = float(np.mean([len(d) > 0 and tuple(d) in real_docs
                                                 for d in map(tokenize, synth_text)]))
    long = CountVectorizer(**cv, ngram_range=(MEMORISED_NGRAM, MEMORISED_NGRAM)).fit(real_text)
    out["memorised_share"] = float((long.transform(synth_text).getnnz(axis=1) > 0).mean())
    out["perplexity"] = counter_bigram_perplexity([tokenize(t) for t in synth_text],
                                                  [tokenize(t) for t in heldout_text])
    return out


def counter_bigram_perplexity(train: list[list[str]], test: list[list[str]], d: float = 0.75,
                              k: float = 0.1) -> float:
    """Interpolated absolute-discounting bigram over the test text's vocabulary, with Counters."""
    vocab = set(t for doc in test for t in doc)
    sym = lambda t: t if t in vocab else "<unk>"  # noqa: E731
    uni, big, ctx, types = Counter(), Counter(), Counter(), Counter()
    for doc in train:
        seq = ["<s>"] + [sym(t) for t in doc] + ["</s>"]
        uni.update(seq[1:])
        for a, b in zip(seq, seq[1:]):
            if big[(a, b)] == 0:
                types[a] += 1
            big[(a, b)] += 1
            ctx[a] += 1
    n_tok, n_sym = sum(uni.values()), len(vocab) + 2
    logp, count = 0.0, 0
    for doc in test:
        seq = ["<s>"] + [sym(t) for t in doc] + ["</s>"]
        for a, b in zip(seq, seq[1:]):
            p = (uni[b] + k) / (n_tok + k * n_sym)
            if ctx[a]:
                p = max(big[(a, b)] - d, 0.0) / ctx[a] + d * types[a] / ctx[a] * p
            logp += math.log(p)
            count += 1
    return math.exp(-logp / count)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--full", action="store_true", help="also time evaluate() with every family")
    args = ap.parse_args()
    pop = sk.load("shakespeare")
    n = args.rows
    idx = np.random.default_rng(0).permutation(len(pop))
    real = Dataset(pop.name, pop.frame[np.sort(idx[:n])], pop.schema)
    synth = pop.frame[np.sort(idx[n:2 * n])].drop("row_id")
    sk.evaluate(Dataset(pop.name, pop.frame[:200], pop.schema), pop.frame[200:400].drop("row_id"),
                families=("text",), n_boot=0)  # warm-up (imports)

    t = time.perf_counter()
    rep = sk.evaluate(real, synth, families=("text",), n_boot=100, random_state=0)
    t_ours = time.perf_counter() - t
    ours = {r["metric"]: r["value"] for r in rep.family("text").iter_rows(named=True)}

    split = halves(n, synth.height, 0)
    heldout = real.frame["text"].to_list()
    heldout = [heldout[i] for i in split.a]  # the held-out text evaluate() scores without a holdout: half A
    t = time.perf_counter()
    hand = by_hand(real.frame["text"].to_list(), synth["text"].to_list(), heldout)
    t_hand = time.perf_counter() - t

    print(f"# text metrics, {n:,} real x {synth.height:,} synthetic shakespeare lines (LM order {LM_ORDER})\n")
    print("| metric | evaluate() | by hand |\n|---|---|---|")
    for m, v in hand.items():
        print(f"| {m} | {ours.get(m, float('nan')):.4f} | {v:.4f} |")
    print("\n| task | seconds | ratio |\n|---|---|---|")
    print(f"| by hand: the values once (sklearn + scipy + Counter bigram) | {t_hand:.1f} | 1.0 |")
    print(f"| evaluate(families=('text',)): values, 100 bootstrap replicates, size-matched baselines, "
          f"19 permutations | {t_ours:.1f} | {t_ours / t_hand:.2f} |")
    steps = rep.summary["timings"]
    print(f"\nevaluate() steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items()))
    if args.full:
        t = time.perf_counter()
        try:
            full = sk.evaluate(real, synth, n_boot=100, random_state=0)
            t_full = time.perf_counter() - t
            print(f"\n| evaluate(), every family | {t_full:.1f} | {t_full / t_hand:.2f} |")
            print("steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in full.summary["timings"].items()))
        except Exception as exc:  # noqa: BLE001 - report what stops the full run
            print(f"\nevaluate() with every family failed: {type(exc).__name__}: {exc}")


if __name__ == "__main__":
    main()
