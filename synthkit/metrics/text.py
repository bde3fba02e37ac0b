"""Text metrics: vocabulary, repetition, perplexity, lengths and memorisation of text columns.

Every function takes tokenized documents (lists of tokens from
:func:`synthkit.text.tokens.tokenize_all`: lower-cased words and punctuation
marks). Per text column, ``evaluate()`` reports (family ``text``):

- **vocabulary_size**: distinct words of the synthetic documents (higher =
  richer; :func:`synthkit.text.stats.vocabulary_size`).
- **missing_word_share**: share of the distinct words of real held-out text
  that no synthetic document uses (the tails lost;
  :func:`synthkit.text.stats.missing_share`). Lower is better.
- **distinct_1**, **distinct_2**: distinct n-grams / all n-grams
  (:func:`synthkit.text.stats.distinct_n`). Low = repetitive, generic text.
- **self_similarity**: mean cosine similarity over all pairs of different
  synthetic documents, of their embeddings (the Encoder's text model,
  :mod:`synthkit.text.embed`) in ``evaluate()``, or of their bag-of-words
  vectors (word counts, :func:`self_similarity`); documents without words are
  left out. High = the documents say the same things. It is computed in
  closed form, ``(|sum_i u_i|^2 - n) / (n (n - 1))`` for unit vectors ``u_i``.
- **perplexity**: perplexity of real held-out text under an interpolated
  bigram model (:class:`synthkit.text.lm.NgramLM`) trained on the synthetic
  documents, its vocabulary fixed to the real training tokens, so a word the
  synthetic text lost raises it. **perplexity_ratio**: that perplexity divided
  by the perplexity of the same model trained on as many real documents
  (1 = as good as real text; above 1 = the synthetic text predicts real text
  worse).
- **length_ks_complement**: ``1 - `` the KS statistic of the words per document
  (as :func:`synthkit.metrics.fidelity.ks_complement`).
- **exact_document_share**: share of synthetic documents equal, token for
  token, to a real document (:func:`exact_copies`).
- **memorised_share**: share of synthetic documents that share a run of at
  least :data:`MEMORISED_NGRAM` (8) consecutive tokens with some real document
  (:func:`longest_shared_ngram`); **longest_shared_mean**: the mean length of
  the longest such run.

Real held-out text, the baseline and the verdict follow the pattern of every
other family (:mod:`synthkit.metrics._baseline`): the real rows are split into
a reference half A and a half B; S' (synthetic) and B' (real) rows of equal
size are each compared with A, and a permutation test of S' against B' gives
the p-value. A is the real held-out text of ``missing_word_share`` and
``perplexity`` (a ``holdout``, when given, takes its place for perplexity), and
the training text of the memorisation metrics. The ``value`` compares all
synthetic with all real rows (perplexity: scored on the held-out text).
Intervals: Poisson bootstrap of the synthetic documents (perplexity: of the
held-out documents).

Why 8 tokens: on the embedded ``shakespeare`` lines, a fresh real line shares a
run of 8 or more tokens with the lines of another half of the data in 0.08% of
cases (5,000 vs 5,000 lines; 0.2% of all 10,000 lines share one with another
line: quotations and refrains), against 2.6% for 6 tokens and 35% for 4
("i pray you, my lord"). A copied line of 8 tokens or more always shares its
whole length. ``memorised_share``'s real-vs-real baseline shows the rate on
the data at hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from ..errors import DataError
from ..text import stats
from ..text.lm import NgramLM, _check_docs
from ..text.tokens import _TOKEN, is_word

__all__ = [
    "MAX_NGRAM", "MEMORISED_NGRAM", "LM_ORDER", "HEADLINE", "SharedNgrams", "exact_copies",
    "longest_shared_ngram", "longest_shared_within", "bag_of_words", "mean_pairwise_cosine",
    "self_similarity", "heldout_perplexity", "length_ks_complement", "token_spans", "find_run",
]

FAMILY = "text"
#: the longest shared run of tokens measured (longer runs count as this long)
MAX_NGRAM = 32
#: a synthetic document is memorised when it shares this many consecutive tokens with a real one
MEMORISED_NGRAM = 8
#: order of the n-gram model behind perplexity (bigrams: stable on a few thousand short documents)
LM_ORDER = 2
#: the text metrics shown in the headline (per text column)
HEADLINE = ("missing_word_share", "distinct_2", "perplexity_ratio", "length_ks_complement", "memorised_share")

Docs = Sequence[Sequence[str]]


# ------------------------------------------------------------------ hashing of n-grams
# An n-gram's key is a polynomial hash of its tokens modulo 2**64 (numpy's uint64
# arithmetic wraps): key(t_i..t_{i+m-1}) = sum_j v(t_j) * B**-(j - i), with v a
# mixed token id and B odd (so invertible modulo 2**64). With prefix sums
# S[i] = sum_{j<i} v(t_j) * B**-j, key = (S[i+m] - S[i]) * B**i: one step per
# n-gram of any length, and the key does not depend on where the n-gram sits.
_B = 0x9E3779B97F4A7C15
_BINV = pow(_B, -1, 2**64)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 of token ids (spreads small ids over 64 bits)."""
    z = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _powers(base: int, n: int) -> np.ndarray:
    out = np.empty(n, dtype=np.uint64)
    if n:
        out[0] = 1
        out[1:] = np.cumprod(np.full(n - 1, base, dtype=np.uint64))
    return out


class _Flat:
    """Documents as one array of token ids, with prefix hashes for n-gram keys."""

    def __init__(self, docs: Docs, index: dict[str, int]):
        self.lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
        n = int(self.lengths.sum())
        self.starts = np.zeros(len(docs), dtype=np.int64)
        if len(docs) > 1:
            self.starts[1:] = np.cumsum(self.lengths)[:-1]
        ids = np.fromiter((index.setdefault(t, len(index)) for d in docs for t in d), dtype=np.int64, count=n)
        self.S = np.zeros(n + 1, dtype=np.uint64)
        self.S[1:] = np.cumsum(_mix(ids) * _powers(_BINV, n))
        self.P = _powers(_B, n + 1)
        self.members: np.ndarray | None = None  # the documents whose n-grams the sets hold (None: all)
        self._sets: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._shared: dict[int, np.ndarray] = {}

    def restrict(self, members: np.ndarray) -> "_Flat":
        """The same documents, with n-gram sets of ``members`` only (a reference subset)."""
        out = object.__new__(_Flat)
        out.lengths, out.starts, out.S, out.P = self.lengths, self.starts, self.S, self.P
        out.members = np.asarray(members, dtype=np.int64)
        out._sets, out._shared = {}, {}
        return out

    def positions(self, rows: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
        """Start positions of every m-gram of ``rows`` (each row at least m long), and each one's row slot."""
        counts = self.lengths[rows] - m + 1
        slot = np.repeat(np.arange(rows.size), counts)
        first = np.zeros(rows.size, dtype=np.int64)
        if rows.size > 1:
            first[1:] = np.cumsum(counts)[:-1]
        pos = self.starts[rows][slot] + np.arange(slot.size) - first[slot]
        return pos, slot

    def keys(self, pos: np.ndarray, m: int) -> np.ndarray:
        return (self.S[pos + m] - self.S[pos]) * self.P[pos]

    def gram_set(self, m: int) -> tuple[np.ndarray, np.ndarray]:
        """Sorted keys of every m-gram, and the document holding each (cached)."""
        if m not in self._sets:
            rows = np.nonzero(self.lengths >= m)[0]
            if self.members is not None:
                rows = np.intersect1d(rows, self.members)
            pos, slot = self.positions(rows, m)
            k = self.keys(pos, m)
            order = np.argsort(k, kind="stable")
            self._sets[m] = (k[order], rows[slot[order]])
        return self._sets[m]

    def shared_set(self, m: int) -> np.ndarray:
        """Sorted keys of the m-grams that occur in at least two different documents (cached)."""
        if m not in self._shared:
            k, doc = self.gram_set(m)
            if k.size == 0:
                self._shared[m] = k
            else:
                new_key = np.r_[True, k[1:] != k[:-1]]
                first_doc = doc[np.maximum.accumulate(np.where(new_key, np.arange(k.size), 0))]
                other = ~new_key & (doc != first_doc)  # a second document holds this key
                self._shared[m] = np.unique(k[other])
        return self._shared[m]


def _member(sorted_keys: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which query keys are in ``sorted_keys``, and where."""
    if sorted_keys.size == 0:
        return np.zeros(q.size, dtype=bool), np.zeros(q.size, dtype=np.int64)
    i = np.minimum(np.searchsorted(sorted_keys, q), sorted_keys.size - 1)
    return sorted_keys[i] == q, i


def _binary_search(query: _Flat, max_n: int, lookup, docs: np.ndarray | None = None) -> np.ndarray:
    """Per query document (of ``docs``; default all), the largest m <= max_n such that
    ``lookup(keys, m)`` finds one of its m-grams.

    Sharing an m-gram implies sharing every shorter one, so the answer is found
    by a binary search per document, all documents at once (grouped by m).
    """
    docs = np.arange(query.lengths.size) if docs is None else np.asarray(docs, dtype=np.int64)
    lo = np.zeros(docs.size, dtype=np.int64)
    hi = np.minimum(query.lengths[docs], max_n)
    while True:
        act = lo < hi
        if not act.any():
            return lo
        mid = (lo + hi + 1) // 2
        for m in np.unique(mid[act]):
            rows = np.nonzero(act & (mid == m))[0]
            pos, slot = query.positions(docs[rows], int(m))
            hit = lookup(query.keys(pos, int(m)), int(m))
            ok = np.zeros(rows.size, dtype=bool)
            ok[slot[hit]] = True
            lo[rows[ok]] = m
            hi[rows[~ok]] = m - 1


@dataclass(frozen=True)
class SharedNgrams:
    """Per document: the longest run of tokens it shares with a reference document.

    ``length`` is that run's length in tokens (capped at ``max_n``; 0 = not even
    one token in common), ``source`` the index of a reference document holding
    it and ``start`` the run's first token in the document (both -1 when
    ``length`` is 0).
    """

    length: np.ndarray
    source: np.ndarray
    start: np.ndarray


def _check_max_n(max_n: int) -> int:
    if not isinstance(max_n, (int, np.integer)) or isinstance(max_n, bool) or max_n < 1:
        raise DataError(f"max_n={max_n!r} must be a whole number >= 1 (the longest run of tokens measured)")
    return int(max_n)


def longest_shared_ngram(docs: Docs, reference: Docs, max_n: int = MAX_NGRAM) -> SharedNgrams:
    """For each document of ``docs``: the longest n-gram (run of tokens) it shares with any ``reference`` one.

    All n-grams of the reference documents are hashed (64-bit keys, one set per
    length), and each document's longest shared length is found by a binary
    search over lengths up to ``max_n``. See :class:`SharedNgrams`.
    """
    docs, reference = _check_docs(docs, "docs"), _check_docs(reference, "reference")
    max_n = _check_max_n(max_n)
    index: dict[str, int] = {}
    ref, q = _Flat(reference, index), _Flat(docs, index)
    return _longest(q, ref, max_n)


def _longest(q: _Flat, ref: _Flat, max_n: int, docs: np.ndarray | None = None) -> SharedNgrams:
    """:func:`longest_shared_ngram` of the query documents ``docs`` (default all) against ``ref``'s sets."""
    docs = np.arange(q.lengths.size) if docs is None else np.asarray(docs, dtype=np.int64)
    length = _binary_search(q, max_n, lambda k, m: _member(ref.gram_set(m)[0], k)[0], docs)
    source = np.full(docs.size, -1, dtype=np.int64)
    start = np.full(docs.size, -1, dtype=np.int64)
    for m in np.unique(length[length > 0]):
        rows = np.nonzero(length == m)[0]
        pos, slot = q.positions(docs[rows], int(m))
        keys, doc = ref.gram_set(int(m))
        hit, at = _member(keys, q.keys(pos, int(m)))
        hits = np.nonzero(hit)[0]
        _, at_first = np.unique(slot[hits], return_index=True)  # every row has a hit: its first one
        first = hits[at_first]
        source[rows] = doc[at[first]]
        start[rows] = pos[first] - q.starts[docs[rows]]
    return SharedNgrams(length, source, start)


def longest_shared_within(docs: Docs, max_n: int = MAX_NGRAM) -> np.ndarray:
    """For each document: the longest n-gram it shares with any *other* document of ``docs``.

    The real-vs-real reference of :func:`longest_shared_ngram` (as a real row's
    distance to its nearest other real row is for DCR).
    """
    docs = _check_docs(docs, "docs")
    max_n = _check_max_n(max_n)
    flat = _Flat(docs, {})
    return _binary_search(flat, max_n, lambda k, m: _member(flat.shared_set(m), k)[0])


def exact_copies(docs: Docs, reference: Docs) -> np.ndarray:
    """Per document of ``docs``: equal, token for token, to some ``reference`` document (bool array).

    Empty documents are never copies.
    """
    docs, reference = _check_docs(docs, "docs"), _check_docs(reference, "reference")
    ref = {tuple(d) for d in reference if len(d)}
    return np.fromiter((len(d) > 0 and tuple(d) in ref for d in docs), dtype=bool, count=len(docs))


def token_spans(text: str | None) -> list[tuple[int, int]]:
    """Character span of every token of ``text`` (in the order of :func:`~synthkit.text.tokens.tokenize`).

    The spans index ``text.lower()``, which is ``text``'s length for almost every text.
    """
    if text is None:
        return []
    return [m.span() for m in _TOKEN.finditer(text.lower())]


def find_run(doc: Sequence[str], run: Sequence[str]) -> int:
    """The first position of the token run ``run`` in ``doc`` (-1 if absent)."""
    m = len(run)
    for i in range(len(doc) - m + 1):
        if list(doc[i:i + m]) == list(run):
            return i
    return -1


# ------------------------------------------------------------------ repetition
def bag_of_words(docs: Docs, index: dict[str, int] | None = None) -> sp.csr_matrix:
    """Word-count vectors of the documents, each scaled to length 1 (rows of zeros for no words).

    ``index`` maps words to columns and grows with new words (a shared index
    puts several corpora in one space).
    """
    docs = _check_docs(docs, "docs")
    index = {} if index is None else index
    rows, cols = [], []
    for i, d in enumerate(docs):
        for t in d:
            if is_word(t):
                rows.append(i)
                cols.append(index.setdefault(t, len(index)))
    return _unit_rows(np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64), len(docs), len(index))


def _unit_rows(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int) -> sp.csr_matrix:
    """The count matrix of (row, column) occurrences, each row scaled to length 1."""
    M = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n_rows, max(n_cols, 1)))
    M.sum_duplicates()
    norm = np.sqrt(np.asarray(M.multiply(M).sum(axis=1)).ravel())
    scale = np.divide(1.0, norm, out=np.zeros_like(norm), where=norm > 0)
    return sp.csr_matrix(sp.diags(scale) @ M)


def mean_pairwise_cosine(U, weights: np.ndarray | None = None) -> float | np.ndarray:
    """Mean of ``u_i . u_j`` over all pairs ``i != j`` of the non-zero rows of ``U`` (rows of length 1).

    ``(|sum_i w_i u_i|^2 - W) / (W^2 - W)`` with ``W = sum_i w_i``: O(n d), no
    pairwise matrix. Whole-number weights ``w`` (default 1; a bootstrap gives
    Poisson weights) count row i ``w_i`` times, as if it were repeated (copies
    of one row are different documents with cosine 1). ``weights`` of shape
    (r, n) give r values at once. NaN with fewer than two non-zero rows.
    """
    n = U.shape[0]
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    if sp.issparse(U):
        U = U.tocsr()
        live = np.diff(U.indptr) > 0
    else:
        U = np.asarray(U, dtype=np.float64)
        live = np.abs(U).sum(axis=1) > 0
    W = np.atleast_2d(w) * live
    tot = W.sum(axis=1)
    sq = tot  # sum_i w_i |u_i|^2
    den = tot * tot - sq
    S = np.asarray(U.T @ W.T).T  # (r, d)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(den > 0, ((S * S).sum(axis=1) - sq) / np.where(den > 0, den, 1.0), np.nan)
    return float(out[0]) if np.ndim(w) == 1 else out


def self_similarity(docs: Docs) -> float:
    """Mean cosine similarity of the bag-of-words vectors of all pairs of different documents."""
    return mean_pairwise_cosine(bag_of_words(docs))


# ------------------------------------------------------------------ perplexity and lengths
def heldout_perplexity(train: Docs, test: Docs, vocabulary: Sequence[str], order: int = LM_ORDER) -> float:
    """Perplexity of ``test`` documents under an :class:`~synthkit.text.lm.NgramLM` trained on ``train``.

    ``vocabulary`` fixes the words every model spreads its mass over (the real
    training tokens), so models trained on different corpora are comparable.
    """
    return NgramLM(order, vocabulary=vocabulary).fit(_check_docs(train, "train")).perplexity(
        _check_docs(test, "test"))


def length_ks_complement(a: Docs, b: Docs) -> float:
    """``1 - `` the two-sample KS statistic of the words per document of ``a`` and ``b``."""
    from .fidelity import ks_complement

    return ks_complement(stats.lengths(_check_docs(a, "a")), stats.lengths(_check_docs(b, "b")))


# ------------------------------------------------------------------ the evaluate family
class _Corpus:
    """Documents as flat arrays of token, word and bigram ids, so that every count
    statistic of any weighted subset of documents (0/1 weights: a subset; Poisson
    weights: a bootstrap replicate) is one ``bincount``."""

    def __init__(self, docs: Docs, index: dict[str, int]):
        n_docs = len(docs)
        lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=n_docs)
        ids = np.fromiter((index.setdefault(t, len(index)) for d in docs for t in d), dtype=np.int64,
                          count=int(lengths.sum()))
        doc = np.repeat(np.arange(n_docs), lengths)
        self.size = len(index)
        word_of = np.fromiter((is_word(t) for t in index), dtype=bool, count=self.size)  # ids in insertion order
        self.word_of = word_of
        self.uni, self.uni_doc = ids, doc
        same = doc[1:] == doc[:-1] if ids.size else np.zeros(0, dtype=bool)
        pair = ids[:-1][same] * self.size + ids[1:][same] if ids.size else np.zeros(0, dtype=np.int64)
        self.bi_doc = doc[:-1][same] if ids.size else np.zeros(0, dtype=np.int64)
        _, self.bi = np.unique(pair, return_inverse=True)
        self.n_bi = int(self.bi.max()) + 1 if self.bi.size else 0
        isw = word_of[ids]
        self.words, self.words_doc = ids[isw], doc[isw]
        self.n_words = np.bincount(self.words_doc, minlength=n_docs)
        self.U = _unit_rows(self.words_doc, self.words, n_docs, self.size)

    def present(self, w: np.ndarray) -> np.ndarray:
        """Which token ids the weighted documents use (as words)."""
        return np.bincount(self.words, weights=w[self.words_doc], minlength=self.size) > 0

    def distinct(self, w: np.ndarray, n: int) -> float:
        g, gd, size = (self.uni, self.uni_doc, self.size) if n == 1 else (self.bi, self.bi_doc, self.n_bi)
        wg = w[gd]
        tot = wg.sum()
        return float(np.count_nonzero(np.bincount(g, weights=wg, minlength=size)) / tot) if tot > 0 else np.nan


def _word_ids(docs: Docs, index: dict[str, int]) -> np.ndarray:
    """The ids of the distinct words of ``docs`` (``index`` grows with new tokens)."""
    return np.array(sorted({index.setdefault(t, len(index)) for d in docs for t in d if is_word(t)}),
                    dtype=np.int64)


def _doc_logprobs(train: Docs, test: Docs, vocabulary: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per test document: the summed log probability of its predicted tokens and their number."""
    lp = NgramLM(LM_ORDER, vocabulary=vocabulary).fit(list(train)).log_probs(list(test))
    n = np.fromiter((len(d) + 1 for d in test), dtype=np.int64, count=len(test))  # words + </s>
    ends = np.cumsum(n)
    sums = np.add.reduceat(lp, ends - n) if lp.size else np.zeros(len(test))
    return sums, n


def _ppl(sums: np.ndarray, n: np.ndarray, w: np.ndarray | None = None) -> float | np.ndarray:
    if w is None:
        return float(np.exp(-sums.sum() / n.sum()))
    return np.exp(-(w @ sums) / (w @ n))


def text_family(column: str, real: Docs, synth: Docs, heldout: Docs | None, split, *, n_boot: int,
                n_perm: int, rng: np.random.Generator | None, random_state: int,
                vectors: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[list[dict], dict]:
    """Table rows and plain summary of the text metrics of one text column.

    ``real``/``synth``/``heldout`` are the tokenized documents of the column
    (``heldout``: a real holdout, or None), ``split`` the
    :class:`~synthkit.metrics._baseline.Halves` of ``evaluate``. ``vectors``
    (real, synthetic): unit-length document embeddings for ``self_similarity``
    (zero rows for empty documents); without them it uses bag-of-words vectors. The summary also
    holds per-row arrays: ``shared_ngram`` / ``memorised`` / ``exact`` per
    synthetic row, ``real_shared_ngram`` per real row (against the other real rows).
    """
    from ._baseline import permutation_test
    from ._common import boot_mean, metric_row, poisson_counts
    from .fidelity import _ks_stat

    A = [real[i] for i in split.a]
    Bp = [real[i] for i in split.b]
    Sp = [synth[i] for i in split.s]
    H = heldout if heldout is not None else A
    size = split.size
    # the language models' vocabulary: the tokens of the held-out text, so that the models trained on S'
    # and on B' (neither of which holds that text) meet unknown tokens alike
    vocab = list(dict.fromkeys(t for d in H for t in d))
    index: dict[str, int] = {}
    h_ids = _word_ids(H, index)  # first, so that the corpus knows the held-out words
    # one corpus of all synthetic documents followed by B': pool row j is S'[j] (j < size) or B'[j - size]
    corpus = _Corpus(list(synth) + Bp, index)
    if vectors is not None:  # self-similarity in the embedding space: the same rows, dense unit vectors
        e_real, e_synth = (np.asarray(v, dtype=np.float64) for v in vectors)
        if e_real.shape[0] != len(real) or e_synth.shape[0] != len(synth):
            raise DataError(f"vectors for text column {column!r} must have one row per document "
                            f"({len(real)} real, {len(synth)} synthetic)")
        corpus.U = np.vstack([e_synth, e_real[split.b]])
    n_s = len(synth)
    pool_at = np.r_[split.s, n_s + np.arange(size)].astype(np.int64)
    len_all = corpus.n_words
    len_real = stats.lengths(real)
    len_a = len_real[split.a]
    top = int(max(len_all.max(initial=0), len_a.max(initial=0), len_real.max(initial=0))) + 1
    ca_ref = np.bincount(len_a, minlength=top)

    def missing(present: np.ndarray) -> float:
        return float(1.0 - present[h_ids].mean()) if h_ids.size else np.nan

    # memorisation: synthetic vs all real (values), pool vs A (verdict), real vs other real (per row);
    # each corpus hashed once
    flat_index: dict[str, int] = {}
    fr, fs = _Flat(real, flat_index), _Flat(synth, flat_index)
    shared = _longest(fs, fr, MAX_NGRAM)
    exact = exact_copies(synth, real)
    pool_docs = Sp + Bp
    fa = fr.restrict(split.a)
    pool_shared = np.r_[_longest(fs, fa, MAX_NGRAM, split.s).length, _longest(fr, fa, MAX_NGRAM, split.b).length]
    pool_exact = exact_copies(pool_docs, A)
    real_shared = _binary_search(fr, MAX_NGRAM, lambda k, m: _member(fr.shared_set(m), k)[0])

    # per held-out document log probabilities under the models trained on S' and on B' (the intervals of
    # perplexity_ratio resample them); the permutation test's first two calls reuse them
    try:
        s_sp, n_h = _doc_logprobs(Sp, H, vocab)
        s_bp, _ = _doc_logprobs(Bp, H, vocab)
        known = {np.arange(size).tobytes(): _ppl(s_sp, n_h), np.arange(size, 2 * size).tobytes(): _ppl(s_bp, n_h)}
    except DataError:  # no tokens to train on or to score
        s_sp = s_bp = None
        known = {}

    def safe_ppl(idx: np.ndarray) -> float:
        key = idx.astype(np.int64).tobytes()
        if key in known:
            return known[key]
        try:
            return heldout_perplexity([pool_docs[i] for i in idx], H, vocab)
        except DataError:  # no tokens to train on or to score
            return np.nan

    def stat(idx: np.ndarray) -> dict:
        w = np.zeros(n_s + size)
        w[pool_at[idx]] = 1.0
        present = corpus.present(w)
        cb = np.bincount(len_all[pool_at[idx]], minlength=top)
        out = {
            "vocabulary_size": float(np.count_nonzero(present)),
            "missing_word_share": missing(present),
            "distinct_1": corpus.distinct(w, 1),
            "distinct_2": corpus.distinct(w, 2),
            "self_similarity": mean_pairwise_cosine(corpus.U, w),
            "perplexity": safe_ppl(idx),
            "length_ks_complement": float(1.0 - _ks_stat(ca_ref, cb)[0]),
            "exact_document_share": float(pool_exact[idx].mean()),
            "memorised_share": float((pool_shared[idx] >= MEMORISED_NGRAM).mean()),
            "longest_shared_mean": float(pool_shared[idx].mean()),
        }
        return {(FAMILY, m, column): v for m, v in out.items()}

    better = {(FAMILY, m, column): b for m, b in BETTER.items()}
    res = {}
    if size > 1 and len(A) > 1:
        res = permutation_test(stat, size, better, n_perm=n_perm, random_state=random_state)

    # values on all synthetic rows, with bootstrap replicates over the synthetic documents
    w_all = np.r_[np.ones(n_s), np.zeros(size)]
    present = corpus.present(w_all)
    boot = rng is not None and n_boot > 0
    W = rng.poisson(1.0, size=(n_boot, n_s)).astype(np.float64) if boot else np.zeros((0, n_s))
    Wf = np.hstack([W, np.zeros((W.shape[0], size))])
    memorised = shared.length >= MEMORISED_NGRAM
    ca_real = np.bincount(len_real, minlength=top)
    cs = np.bincount(len_all[:n_s], minlength=top)
    values = {
        "vocabulary_size": (float(np.count_nonzero(present)),
                            [float(np.count_nonzero(corpus.present(w))) for w in Wf]),
        "missing_word_share": (missing(present), [missing(corpus.present(w)) for w in Wf]),
        "distinct_1": (stats.distinct_n(synth, 1), [corpus.distinct(w, 1) for w in Wf]),
        "distinct_2": (stats.distinct_n(synth, 2), [corpus.distinct(w, 2) for w in Wf]),
        "self_similarity": (mean_pairwise_cosine(corpus.U, w_all),
                            mean_pairwise_cosine(corpus.U, Wf) if boot else None),
        "length_ks_complement": (float(1.0 - _ks_stat(ca_real, cs)[0]),
                                 1.0 - _ks_stat(poisson_counts(ca_real, n_boot, rng), poisson_counts(cs, n_boot, rng))
                                 if boot else None),
        "exact_document_share": (float(exact.mean()), boot_mean(exact, n_boot, rng) if boot else None),
        "memorised_share": (float(memorised.mean()), boot_mean(memorised, n_boot, rng) if boot else None),
        "longest_shared_mean": (float(shared.length.mean()), boot_mean(shared.length, n_boot, rng) if boot else None),
    }
    # perplexity: the model trained on all synthetic rows; the ratio is size-matched (S' vs B' models)
    ppl_rows = {}
    try:
        if s_sp is None:
            raise DataError("no tokens")
        s_all, n_h = _doc_logprobs(synth, H, vocab)
        Wh = rng.poisson(1.0, size=(n_boot, len(H))).astype(np.float64) if boot else None
        ratio = _ppl(s_sp, n_h) / _ppl(s_bp, n_h)
        ppl_rows = {
            "perplexity": (_ppl(s_all, n_h), _ppl(s_all, n_h, Wh) if boot else None),
            "perplexity_ratio": (ratio, _ppl(s_sp, n_h, Wh) / _ppl(s_bp, n_h, Wh) if boot else None),
        }
    except DataError:
        pass
    values.update(ppl_rows)
    rows = []
    for m in METRICS:
        if m not in values:
            continue
        v, reps = values[m]
        key = (FAMILY, m, column)
        matched = base = p = None
        if m == "perplexity_ratio" and (FAMILY, "perplexity", column) in res:
            ms, mb, p = res[(FAMILY, "perplexity", column)]
            matched, base = (ms / mb if mb else np.nan), 1.0
        elif key in res:
            matched, base, p = res[key]
        reps = None if reps is None else np.asarray(reps, dtype=np.float64)
        rows.append(metric_row(FAMILY, m, column, v, reps, base, BETTER[m], BOUNDS.get(m, (0.0, 1.0)),
                               matched=matched, p_value=p if n_perm else None))
    order = np.lexsort((-shared.start, -shared.length))
    lost = stats.missing_words(real, synth)
    summary = {
        "lengths": {"real": len_real, "synthetic": len_all[:n_s]},
        "lost_words": lost[:40],
        "n_lost_words": len(lost),
        "vocabulary_real": stats.vocabulary_size(real),
        "shared_ngram": shared.length, "shared_source": shared.source, "shared_start": shared.start,
        "memorised": memorised, "exact": exact, "real_shared_ngram": real_shared,
        "real_memorised_share": float((real_shared >= MEMORISED_NGRAM).mean()) if len(real) else np.nan,
        "threshold": MEMORISED_NGRAM, "max_n": MAX_NGRAM,
        "most_shared": [int(i) for i in order[: 50] if shared.length[i] >= MEMORISED_NGRAM],
        "heldout": "holdout" if heldout is not None else "reference half A",
        "self_similarity_space": "embeddings" if vectors is not None else "bag of words",
    }
    return rows, summary


#: the text metrics in table order, and which way is better
BETTER = {
    "vocabulary_size": "higher", "missing_word_share": "lower", "distinct_1": "higher", "distinct_2": "higher",
    "self_similarity": "lower", "perplexity": "lower", "perplexity_ratio": "lower",
    "length_ks_complement": "higher", "exact_document_share": "lower", "memorised_share": "lower",
    "longest_shared_mean": "lower",
}
METRICS = tuple(BETTER)
BOUNDS = {"vocabulary_size": (0.0, np.inf), "perplexity": (1.0, np.inf), "perplexity_ratio": (0.0, np.inf),
          "longest_shared_mean": (0.0, float(MAX_NGRAM)), "self_similarity": (-1.0, 1.0)}
