"""Text metrics of a collapse simulation: how each generation's text predicts and covers real text.

For each text column and each generation (generation 0 is the real training text):

- ``perplexity``: held-out perplexity of **real test text** (rows the generators
  never see) under an :class:`~synthkit.text.lm.NgramLM` of order ``LM_ORDER``
  trained on the generation's text, with the vocabulary fixed to the real
  training words, so every generation's model spreads its probability over the
  same words and a word the generation lost costs what it should. It rises as
  the text drifts from real text (Shumailov et al. 2024 measure the same thing
  with a neural model).
- ``vocabulary``: distinct words in the generation's text.
- ``missing_words``: share of the real training words the generation never uses
  (the tails lost); the words themselves are listed in ``CollapseResult.words``.
- ``distinct_2``: distinct word pairs / all word pairs (repetition, genericness).
- ``mean_length``: words per document.

All counts use the lower-cased tokens of :func:`synthkit.text.tokens.tokenize`.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import polars as pl

from ..data import Dataset
from ..text import stats
from ..text.lm import NgramLM
from ..text.tokens import tokenize_all

#: the n-gram order of the perplexity model
LM_ORDER = 2
#: the metric names this module adds to the collapse table
TEXT_METRICS = ("perplexity", "vocabulary", "missing_words", "distinct_2", "mean_length")
WORDS_SCHEMA = {"seed": pl.Int64, "generation": pl.Int64, "column": pl.String, "word": pl.String,
                "real_count": pl.Int64}


class TextMetrics:
    """The real text every generation is compared with, tokenized once."""

    def __init__(self, real: Dataset, test: Dataset):
        self.columns = list(real.schema.text)
        self.train = {c: tokenize_all(real.frame[c].drop_nulls()) for c in self.columns}
        self.test = {c: tokenize_all(test.frame[c].drop_nulls()) for c in self.columns}
        self.counts = {c: stats.word_counts(self.train[c]) for c in self.columns}
        self.vocab = {c: sorted({t for d in self.train[c] for t in d}) for c in self.columns}
        self.n_test = {c: sum(len(d) + 1 for d in self.test[c]) for c in self.columns}
        #: (seed, generation, column, word, count in the real training text) of every lost word
        self.lost: list[tuple] = []

    def measure(self, rows: pl.DataFrame, seed: int, generation: int,
                add: Callable[[str, str | None, float], None]) -> None:
        for c in self.columns:
            docs = tokenize_all(rows[c].drop_nulls())
            add("perplexity", c, self.perplexity(c, docs))
            have = stats.vocabulary(docs)
            add("vocabulary", c, len(have))
            counts = self.counts[c]
            lost = [w for w in counts if w not in have]
            add("missing_words", c, len(lost) / len(counts) if counts else np.nan)
            self.lost.extend((seed, generation, c, w, counts[w]) for w in lost)
            add("distinct_2", c, stats.distinct_n(docs, 2))
            lengths = stats.lengths(docs)
            add("mean_length", c, float(lengths.mean()) if lengths.size else np.nan)

    def perplexity(self, column: str, docs: list[list[str]]) -> float:
        """Perplexity of the real test text under a model trained on ``docs`` (NaN without tokens)."""
        if not self.n_test[column] or not any(docs):
            return float("nan")
        lm = NgramLM(LM_ORDER, vocabulary=self.vocab[column]).fit(docs)
        return lm.perplexity(self.test[column])

    def words(self) -> pl.DataFrame:
        """Every lost word per seed, generation and column, most frequent in the real text first."""
        frame = pl.DataFrame(self.lost, schema=WORDS_SCHEMA, orient="row")
        return frame.sort(["seed", "generation", "column", "real_count", "word"],
                          descending=[False, False, False, True, False])


def vanished(words: pl.DataFrame, generation: int, column: str | None = None, seed: int | None = None,
             top: int | None = 30) -> pl.DataFrame:
    """The real words absent from ``generation`` (in every seed when ``seed`` is None).

    One row per word: its count in the real training text and in how many seeds
    it was lost; most frequent first, the first ``top`` (None: all).
    """
    w = words.filter(pl.col("generation") == generation)
    if column is not None:
        w = w.filter(pl.col("column") == column)
    if seed is not None:
        w = w.filter(pl.col("seed") == seed)
    out = (w.group_by(["column", "word"]).agg(pl.col("real_count").first(), pl.len().alias("seeds"))
           .sort(["seeds", "real_count", "word"], descending=[True, True, False]))
    return out if top is None else out.head(top)
