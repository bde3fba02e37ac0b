"""Copy-with-edits: real rows copied, each text changed by a few random word edits.

A deliberately bad generator: every row is a near-copy of a real row, close
enough that a person would call it copied, different enough that an exact-match
check misses it. It is here to exercise near-copy and memorisation detection
(the longest shared n-gram, distance to the closest real row).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import polars as pl

from .._checks import check_int
from ..data import Schema
from ..errors import GeneratorError
from ..text.tokens import detokenize, is_word, tokenize
from ._columns import condition_expr
from .base import Generator, require_matches

#: the edits, each applied to one word chosen at random
EDITS = ("swap", "delete", "duplicate", "replace")


class CopyEdit(Generator):
    """Copy a random real row and apply ``edits`` random word edits to each of its texts.

    An edit picks one word of the document and either swaps it with the next word
    (the last word with the first), deletes it, duplicates it, or replaces it with a real word (drawn by its
    frequency in the real texts of that column). Only the edits named in ``kinds``
    are used; one that cannot apply (a swap in a one-word document, a delete of
    its only word) becomes a replace. Documents without words are copied as they
    are, and ``edits=0`` copies every text unchanged. The other columns are
    copied from the same real row, so ``conditions`` are met exactly.
    """

    writes_text = True  # copies or writes text columns

    name = "copy_edit"
    summary = "copies real rows and changes a few words of each text: near-copies, to test copy detection"
    exact_conditions = True
    key_params = ("edits",)

    def __init__(self, edits: int = 2, kinds: tuple[str, ...] = EDITS):
        self.edits = edits
        self.kinds = kinds

    def _fit(self, features: pl.DataFrame, schema: Schema) -> None:
        if not schema.text:
            raise GeneratorError(
                "CopyEdit edits text columns and this data has none; name them with "
                "sk.from_frame(frame, text=['column']), or use 'bootstrap' to copy rows"
            )
        check_int("edits", self.edits, minimum=0, maximum=1000, error=GeneratorError,
                  hint=" (word edits per document)")
        kinds = (self.kinds,) if isinstance(self.kinds, str) else self.kinds
        if not isinstance(kinds, (tuple, list)) or not kinds or any(k not in EDITS for k in kinds):
            raise GeneratorError(f"kinds={self.kinds!r} must name one or more edits from {list(EDITS)}")
        self.kinds_ = tuple(kinds)
        self.rows_ = features
        self.words_ = {}
        for c in schema.text:
            counts = Counter(t for d in features[c].drop_nulls().to_list()
                             for t in tokenize(d, lower=False) if is_word(t))
            words = sorted(counts)  # none when no document has a word: then every text is copied as it is
            freq = np.array([counts[w] for w in words], dtype=float)
            self.words_[c] = (words, np.cumsum(freq) / freq.sum())

    def _sample(self, n, rng, conditions):
        rows = self.rows_
        if conditions:
            rows = rows.filter(condition_expr(conditions))
            require_matches(rows.height, conditions, type(self).__name__)
        out = rows[rng.integers(0, rows.height, size=n)]
        if self.edits == 0:
            return out
        edited = {}
        for c in self.schema_.text:
            words, cum = self.words_[c]
            edited[c] = pl.Series(c, [None if d is None else self._edit(d, words, cum, rng)
                                      for d in out[c].to_list()], dtype=pl.String)
        return out.with_columns(**edited)

    def _edit(self, doc: str, words: list[str], cum: np.ndarray, rng: np.random.Generator) -> str:
        toks = tokenize(doc, lower=False)
        if not any(is_word(t) for t in toks):
            return doc
        for _ in range(self.edits):
            pos = [i for i, t in enumerate(toks) if is_word(t)]
            i = pos[int(rng.integers(len(pos)))]
            kind = self.kinds_[int(rng.integers(len(self.kinds_)))]
            if kind == "swap" and len(pos) > 1:
                j = pos[(pos.index(i) + 1) % len(pos)]
                toks[i], toks[j] = toks[j], toks[i]
            elif kind == "delete" and len(pos) > 1:
                del toks[i]
            elif kind == "duplicate":
                toks.insert(i + 1, toks[i])
            else:  # replace, or an edit that cannot apply here
                w = words[min(int(np.searchsorted(cum, rng.random(), side="right")), len(words) - 1)]
                if w == toks[i] and len(words) > 1:
                    w = words[(words.index(w) + 1) % len(words)]
                toks[i] = w
        return detokenize(toks)
