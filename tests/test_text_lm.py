"""The n-gram model and token statistics behind the text metrics."""

import math
from collections import Counter

import numpy as np
import pytest

from synthkit.errors import DataError, NotFittedError
from synthkit.text.lm import BOS, EOS, UNK, NgramLM
from synthkit.text.stats import distinct_n, lengths, missing_share, missing_words, vocabulary_size
from synthkit.text.tokens import detokenize, tokenize, tokenize_all

DOCS = tokenize_all([
    "the cat sat on the mat .",
    "the dog sat on the log .",
    "a cat and a dog met on the mat .",
    "the mat was red .",
    "o romeo , romeo ! wherefore art thou romeo ?",
])


def _reference_prob(train, vocab, order, d, k, context, w):
    """Pure-python interpolated absolute discounting, written from the formula."""
    symbols = list(vocab) + [UNK, EOS]
    padded = [[BOS] * (order - 1) + [t if t in vocab else UNK for t in doc] + [EOS] for doc in train]
    uni = Counter(t for doc in padded for t in doc if t != BOS)
    n = sum(uni.values())
    p = (uni[w] + k) / (n + k * len(symbols))
    for m in range(2, order + 1):
        h = tuple(context[-(m - 1):])
        grams = Counter(tuple(doc[i - m + 1:i + 1]) for doc in padded for i in range(order - 1, len(doc)))
        c_h = sum(c for g, c in grams.items() if g[:-1] == h)
        if c_h == 0:
            continue
        n1 = sum(1 for g in grams if g[:-1] == h)
        p = max(grams[h + (w,)] - d, 0) / c_h + d * n1 / c_h * p
    return p


@pytest.mark.parametrize("order", [1, 2, 3])
@pytest.mark.parametrize("prefix", [[], ["the"], ["the", "cat"], ["on", "the"], ["zebra"], ["zebra", "the"]])
def test_probabilities_match_the_formula_and_sum_to_one(order, prefix):
    lm = NgramLM(order).fit(DOCS)
    symbols = lm.vocabulary_ + [UNK, EOS]
    padded = [BOS] * (order - 1) + [t if t in lm.vocabulary_ else UNK for t in prefix]
    ctx = padded[len(padded) - (order - 1):] if order > 1 else []
    total = 0.0
    for w in symbols:
        doc = list(prefix) if w == EOS else list(prefix) + [w]
        got = math.exp(lm.log_probs([doc])[len(prefix)])
        assert got == pytest.approx(_reference_prob(DOCS, lm.vocabulary_, order, 0.75, 0.1, ctx, w), rel=1e-9)
        total += got
    assert total == pytest.approx(1.0, rel=1e-9)


def test_scores_follow_the_formula_on_held_out_text():
    lm = NgramLM(3).fit(DOCS)
    test = tokenize_all(["the cat sat on the log .", "a zebra sat ."])
    lp = lm.log_probs(test)
    expect = []
    for doc in test:
        padded = [BOS, BOS] + [t if t in lm.vocabulary_ else UNK for t in doc] + [EOS]
        for i in range(2, len(padded)):
            expect.append(math.log(_reference_prob(DOCS, lm.vocabulary_, 3, 0.75, 0.1, padded[i - 2:i], padded[i])))
    np.testing.assert_allclose(lp, expect, rtol=1e-9)
    assert lm.perplexity(test) == pytest.approx(math.exp(-np.mean(expect)))


def test_a_fixed_vocabulary_makes_lost_words_expensive():
    real = DOCS
    vocab = sorted({t for d in real for t in d})
    lossy = [d for d in real if "romeo" not in d]  # the synthetic text lost a word
    full = NgramLM(2, vocabulary=vocab).fit(real)
    lost = NgramLM(2, vocabulary=vocab).fit(lossy)
    test = tokenize_all(["romeo sat on the mat ."])
    assert lost.perplexity(test) > 1.2 * full.perplexity(test)
    assert full.log_probs(test)[0] - lost.log_probs(test)[0] > np.log(10)  # "romeo" itself
    assert len(lost.vocabulary_) == len(full.vocabulary_)


def test_bad_input_and_unfitted():
    with pytest.raises(DataError, match="order"):
        NgramLM(7)
    with pytest.raises(DataError, match="tokenize"):
        NgramLM(2).fit(["the cat sat"])
    with pytest.raises(DataError, match="no tokens"):
        NgramLM(2).fit([[]])
    with pytest.raises(NotFittedError):
        NgramLM(2).perplexity(DOCS)
    with pytest.raises(DataError, match="no tokens"):
        NgramLM(2).fit(DOCS).perplexity([])


def test_token_statistics_on_hand_checked_input():
    docs = tokenize_all(["a b a b", "a b c", ""])
    assert vocabulary_size(docs) == 3
    assert distinct_n(docs, 1) == pytest.approx(3 / 7)
    assert distinct_n(docs, 2) == pytest.approx(3 / 5)  # ab ba ab | ab bc -> {ab, ba, bc}
    assert math.isnan(distinct_n(docs, 5))
    np.testing.assert_array_equal(lengths(tokenize_all(["O Romeo, Romeo!", ""])), [3, 0])
    ref = tokenize_all(["x y y z z z", "w"])
    assert missing_words(ref, tokenize_all(["x"])) == [("z", 3), ("y", 2), ("w", 1)]
    assert missing_share(ref, tokenize_all(["x w"])) == pytest.approx(2 / 4)


def test_tokenizer_keeps_words_and_punctuation():
    assert tokenize("O Romeo, Romeo! Ne'er well-met.") == ["o", "romeo", ",", "romeo", "!", "ne'er", "well-met", "."]
    assert tokenize("O Romeo", lower=False) == ["O", "Romeo"]
    assert tokenize(None) == []
    assert detokenize(["o", "romeo", ",", "romeo", "!"]) == "o romeo, romeo!"
