"""A small seeded text table for the text tests: Zipf-distributed pseudo-words, two moods."""

from __future__ import annotations

import numpy as np
import polars as pl

import synthkit as sk

_ONSETS = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "st", "tr", "pl"]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ou"]


def words(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct pronounceable pseudo-words."""
    rng = np.random.default_rng(seed)
    out: dict[str, None] = {}
    while len(out) < n:
        k = int(rng.integers(1, 4))
        w = "".join(_ONSETS[rng.integers(len(_ONSETS))] + _VOWELS[rng.integers(len(_VOWELS))] for _ in range(k))
        out.setdefault(w, None)
    return list(out)


def sentences(n: int, seed: int = 0, vocab: int = 600, moods: tuple[str, ...] = ("calm", "storm"),
              zipf: float = 1.1) -> pl.DataFrame:
    """``n`` rows: ``text`` (a sentence of 3-14 words ending in . ! or ?), ``mood`` and ``length``.

    Each word is drawn from a Zipf law given the word before (a first-order chain whose
    rankings are shuffled per previous word), so there is structure to learn and a long
    tail of rare words. The moods use disjoint halves of the vocabulary.
    """
    rng = np.random.default_rng(seed)
    lex = words(vocab, seed)
    half = vocab // len(moods)
    ranks = np.arange(1, half + 1, dtype=float) ** -zipf
    p = ranks / ranks.sum()
    perms = [rng.permutation(half) for _ in range(50)]
    rows = []
    for i in range(n):
        m = int(rng.integers(len(moods)))
        base = m * half
        length = int(rng.integers(3, 15))
        prev = 0
        toks = []
        for _ in range(length):
            w = int(perms[prev % len(perms)][rng.choice(half, p=p)])
            toks.append(lex[base + w])
            prev = w
        toks[0] = toks[0].capitalize()
        rows.append((" ".join(toks) + ".!?"[int(rng.integers(3))], moods[m], length))
    return pl.DataFrame(rows, schema={"text": pl.String, "mood": pl.String, "length": pl.Int64}, orient="row")


def dataset(n: int = 600, seed: int = 0, **kw) -> sk.Dataset:
    return sk.from_frame(sentences(n, seed, **kw), "moods", text=["text"], target="mood")
