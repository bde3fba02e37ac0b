"""A small n-gram language model for held-out perplexity, on numpy.

``NgramLM(order=3).fit(train_docs)`` counts n-grams of tokenized documents
(lists of tokens, see :mod:`synthkit.text.tokens`); ``.perplexity(test_docs)``
is the perplexity of other documents under it. It measures how well a corpus
(real or synthetic) predicts real held-out text: train it on synthetic text,
score real text, and compare with the same model trained on real text.

The model is interpolated absolute discounting (discount ``D``, Ney et al.
1994) down to an add-``k`` unigram over a **fixed vocabulary**:

    P(w | h) = max(c(h, w) - D, 0) / c(h) + D * N1+(h, .) / c(h) * P(w | h')

where ``h'`` drops the oldest word of ``h``; when ``c(h) = 0`` the model backs
off to ``P(w | h')`` entirely. The unigram is ``(c(w) + k) / (N + k |V|)``.

The vocabulary is what makes perplexities comparable across corpora: pass
the real training vocabulary (``vocabulary=``) and every model, whatever text
it was trained on, spreads its mass over the same words. A word the synthetic
text has lost keeps only the ``k`` pseudo-count, so losing the tails raises
the perplexity of real text, as it does for a neural model. Tokens outside the
vocabulary become ``<unk>``; every document is padded with ``order - 1``
start symbols and closed with ``</s>``, which is predicted like a word.
"""

from __future__ import annotations

from itertools import chain, repeat
from typing import Iterable, Sequence

import numpy as np

from ..errors import DataError

BOS, EOS, UNK = "<s>", "</s>", "<unk>"
#: the largest order supported (keys of order-grams must fit in int64)
MAX_ORDER = 4


class NgramLM:
    """Interpolated absolute-discounting n-gram model (see the module docstring).

    ``order``: 1 (unigram) to 4; ``discount``: D in (0, 1); ``add_k``: the
    unigram pseudo-count (> 0); ``vocabulary``: the fixed word list (default:
    the training tokens).
    """

    def __init__(self, order: int = 3, *, vocabulary: Iterable[str] | None = None,
                 discount: float = 0.75, add_k: float = 0.1) -> None:
        if not isinstance(order, (int, np.integer)) or isinstance(order, bool) or not 1 <= order <= MAX_ORDER:
            raise DataError(f"order={order!r} must be a whole number from 1 to {MAX_ORDER}")
        if not (isinstance(discount, (int, float)) and 0 < discount < 1):
            raise DataError(f"discount={discount!r} must be a number strictly between 0 and 1")
        if not (isinstance(add_k, (int, float)) and add_k > 0):
            raise DataError(f"add_k={add_k!r} must be a positive number")
        self.order = int(order)
        self.discount = float(discount)
        self.add_k = float(add_k)
        self._vocabulary = None if vocabulary is None else list(dict.fromkeys(vocabulary))

    # ------------------------------------------------------------------ encoding
    def _ids(self, docs: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        """Padded token ids of all documents, and the positions of predicted tokens.

        Each document becomes ``order - 1`` start symbols, its token ids and
        ``</s>``; one dictionary lookup per token, the layout done by numpy.
        """
        pad = self.order - 1
        index = self.index_
        unk = index[UNK]
        if not docs:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
        n_tok = int(lengths.sum())
        tok = np.fromiter(map(index.get, chain.from_iterable(docs), repeat(unk)), dtype=np.int64, count=n_tok)
        row = lengths + pad + 1
        starts = np.concatenate([[0], np.cumsum(row)[:-1]])
        ids = np.full(int(row.sum()), self.bos_, dtype=np.int64)
        first = np.repeat(starts + pad - (np.cumsum(lengths) - lengths), lengths)
        ids[first + np.arange(n_tok)] = tok
        ids[starts + row - 1] = index[EOS]
        is_pad = np.zeros(ids.size, dtype=bool)
        for k in range(pad):
            is_pad[starts + k] = True
        return ids, np.nonzero(~is_pad)[0]

    def _keys(self, ids: np.ndarray, pos: np.ndarray, m: int) -> np.ndarray:
        """The m-gram ending at each position, as one int64 key (base = symbols)."""
        key = np.zeros(pos.size, dtype=np.int64)
        for k in range(m - 1, -1, -1):
            key = key * self.base_ + ids[pos - k]
        return key

    # ------------------------------------------------------------------ fitting
    def fit(self, docs: Sequence[Sequence[str]]) -> "NgramLM":
        """Count the n-grams of tokenized documents (a list of token lists)."""
        docs = _check_docs(docs, "docs")
        vocab = self._vocabulary
        if vocab is None:
            vocab = list(dict.fromkeys(t for d in docs for t in d))
        vocab = [w for w in vocab if w not in (BOS, EOS, UNK)]
        symbols = vocab + [UNK, EOS]
        self.vocabulary_ = vocab
        self.index_ = {w: i for i, w in enumerate(symbols)}
        self.n_symbols_ = len(symbols)  # the words that can be predicted (<s> cannot)
        self.bos_ = len(symbols)
        self.base_ = len(symbols) + 1
        if self.base_ ** self.order >= 2 ** 62:
            raise DataError(
                f"a vocabulary of {len(vocab):,} words is too large for an order-{self.order} model; "
                "use a lower order"
            )
        if not any(len(d) for d in docs):
            raise DataError("the training documents hold no tokens; give at least one non-empty document")
        ids, pos = self._ids(docs)
        self.n_tokens_ = int(pos.size)
        self.unigram_ = np.bincount(ids[pos], minlength=self.n_symbols_).astype(np.float64)
        # for each order m >= 2: sorted m-gram keys and counts, and per context: count and N1+
        self.grams_: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        for m in range(2, self.order + 1):
            keys, counts = np.unique(self._keys(ids, pos, m), return_counts=True)
            ctx = keys // self.base_
            ctx_keys, first, n_types = np.unique(ctx, return_index=True, return_counts=True)
            ctx_counts = np.add.reduceat(counts, first)
            self.grams_.append((keys, counts.astype(np.float64), ctx_keys, ctx_counts.astype(np.float64),
                                n_types.astype(np.float64)))
        return self

    # ------------------------------------------------------------------ scoring
    def _check(self) -> None:
        if not hasattr(self, "grams_"):
            from ..errors import NotFittedError

            raise NotFittedError("this NgramLM is not fitted yet; call .fit(docs) first")

    def log_probs(self, docs: Sequence[Sequence[str]]) -> np.ndarray:
        """Natural-log probability of every predicted token (words and ``</s>``), in order."""
        self._check()
        docs = _check_docs(docs, "docs")
        ids, pos = self._ids(docs)
        if pos.size == 0:
            return np.zeros(0)
        k = self.add_k
        p = (self.unigram_[ids[pos]] + k) / (self.n_tokens_ + k * self.n_symbols_)
        d = self.discount
        for m, (keys, counts, ctx_keys, ctx_counts, n_types) in zip(range(2, self.order + 1), self.grams_):
            full = self._keys(ids, pos, m)
            ctx = full // self.base_
            c_hw = _lookup(keys, counts, full)
            c_h = _lookup(ctx_keys, ctx_counts, ctx)
            n1 = _lookup(ctx_keys, n_types, ctx)
            seen = c_h > 0
            safe = np.where(seen, c_h, 1.0)
            p = np.where(seen, np.maximum(c_hw - d, 0.0) / safe + d * n1 / safe * p, p)
        return np.log(p)

    def perplexity(self, docs: Sequence[Sequence[str]]) -> float:
        """``exp`` of the mean negative log probability per predicted token."""
        lp = self.log_probs(docs)
        if lp.size == 0:
            raise DataError("the documents to score hold no tokens; give at least one document")
        return float(np.exp(-lp.mean()))

    def __repr__(self) -> str:
        if not hasattr(self, "grams_"):
            return f"NgramLM(order={self.order}, unfitted)"
        return f"NgramLM(order={self.order}, {len(self.vocabulary_):,} words, {self.n_tokens_:,} tokens)"


def _lookup(keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    """``values`` at ``query`` keys (0 where a key is absent); ``keys`` sorted."""
    if keys.size == 0:
        return np.zeros(query.size)
    i = np.searchsorted(keys, query)
    i = np.minimum(i, keys.size - 1)
    return np.where(keys[i] == query, values[i], 0.0)


def _check_docs(docs: Sequence[Sequence[str]], name: str) -> list[Sequence[str]]:
    if isinstance(docs, str) or not isinstance(docs, (list, tuple)):
        raise DataError(
            f"{name} must be a list of tokenized documents (lists of strings); "
            "tokenize them with synthkit.text.tokens.tokenize_all(texts)"
        )
    for d in docs[:5]:
        if isinstance(d, str) or not isinstance(d, (list, tuple)):
            raise DataError(
                f"{name} must be a list of token lists, got an element of type {type(d).__name__}; "
                "tokenize the texts with synthkit.text.tokens.tokenize_all(texts)"
            )
    return list(docs)
