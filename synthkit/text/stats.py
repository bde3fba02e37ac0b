"""Token statistics of a corpus: vocabulary, lost words, distinct n-grams, lengths.

Every function takes tokenized documents (lists of tokens from
:func:`synthkit.text.tokens.tokenize_all`). Only word tokens count as
vocabulary; punctuation is ignored there, but kept in n-grams.
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np

from .tokens import is_word

Docs = Sequence[Sequence[str]]


def word_counts(docs: Docs) -> Counter:
    """How often each word (not punctuation) occurs."""
    return Counter(t for d in docs for t in d if is_word(t))


def vocabulary(docs: Docs) -> set[str]:
    """The distinct words of a corpus."""
    return {t for d in docs for t in d if is_word(t)}


def vocabulary_size(docs: Docs) -> int:
    """The number of distinct words."""
    return len(vocabulary(docs))


def missing_words(reference: Docs, docs: Docs) -> list[tuple[str, int]]:
    """Words of ``reference`` (e.g. real held-out text) that ``docs`` never uses.

    Returns ``(word, count in reference)`` pairs, most frequent first (ties
    alphabetical), so the first entries are the losses a reader notices.
    """
    have = vocabulary(docs)
    lost = [(w, c) for w, c in word_counts(reference).items() if w not in have]
    return sorted(lost, key=lambda wc: (-wc[1], wc[0]))


def missing_share(reference: Docs, docs: Docs) -> float:
    """Share of the distinct words of ``reference`` absent from ``docs`` (0 = none lost)."""
    ref = vocabulary(reference)
    if not ref:
        return float("nan")
    return len(ref - vocabulary(docs)) / len(ref)


def distinct_n(docs: Docs, n: int = 2) -> float:
    """Distinct-n (Li et al. 2016): distinct n-grams / all n-grams, within documents.

    1 means no n-gram repeats; repetitive, generic text scores low. NaN when no
    document is at least ``n`` tokens long.
    """
    if n < 1:
        raise ValueError("n must be >= 1")
    total = 0
    seen: set[tuple[str, ...]] = set()
    for d in docs:
        k = len(d) - n + 1
        if k <= 0:
            continue
        total += k
        seen.update(tuple(d[i:i + n]) for i in range(k))
    return len(seen) / total if total else float("nan")


def lengths(docs: Docs) -> np.ndarray:
    """Words per document (punctuation not counted)."""
    return np.fromiter((sum(1 for t in d if is_word(t)) for d in docs), dtype=np.int64, count=len(docs))
