"""A Markov chain over tokens on numpy: the next token given the previous ``state_size``.

The core of the word-level (``markov``) and character-level (``char``) generators.
Each document is read as ``state_size`` begin marks, its tokens, and an end mark;
a state is the tuple of the last ``state_size`` tokens. Fitting counts every
(state, next token) pair; sampling walks the chain from the all-begin state
until it draws the end mark (or reaches ``max_tokens``).

Everything is integer-coded and stored as flat arrays (one segment of
transitions per state, each transition knowing the state it leads to), so a
batch of documents is drawn in lock-step: one vectorised draw per position for
all documents still open, instead of one Python step per token.

Temperature rescales each state's next-token probabilities as ``p ** (1 / T)``
(renormalised): ``T < 1`` sharpens towards the most frequent continuation,
``T -> 0`` is greedy (ties drawn at random), ``T > 1`` flattens.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

BEGIN, END = 0, 1
#: below this many possible (context, next token) pairs they are numbered as one int64 key each
DIRECT_KEYS = 2**62


class NgramChain:
    """A token Markov chain fitted on token lists (see the module docstring)."""

    def __init__(self, state_size: int = 2):
        if not isinstance(state_size, int) or isinstance(state_size, bool) or state_size < 1:
            raise ValueError(f"state_size={state_size!r} must be a whole number >= 1")
        self.state_size = state_size

    # ------------------------------------------------------------------ fit
    def fit(self, docs: Sequence[Sequence[str]]) -> "NgramChain":
        """Count transitions in ``docs``: token lists, or strings whose characters are the tokens.

        An empty document counts as one that ends at once.
        """
        k = self.state_size
        docs = list(docs)
        if not docs:
            raise ValueError("no documents to fit")
        ids, lengths, tokens = _encode(docs)
        self.tokens_ = np.array(["<begin>", "<end>", *tokens], dtype=object)
        V = len(self.tokens_)
        # the padded sequence: k begin marks, the document, an end mark, for every document
        starts = np.concatenate([[0], np.cumsum(lengths + k + 1)[:-1]])
        s = np.zeros(int((lengths + k + 1).sum()), dtype=np.int64)
        doc_of = np.repeat(np.arange(len(docs)), lengths)
        within = np.arange(ids.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        s[starts[doc_of] + k + within] = ids
        s[starts + k + lengths] = END
        longest = int(lengths.max())
        n_docs = len(docs)
        pos = np.flatnonzero(s != BEGIN)  # positions whose token is predicted from the k before
        tok = s[pos]
        if V ** (k + 1) < DIRECT_KEYS:  # a (context, next token) pair fits one int64 key: one sort does it all
            ctx_key = np.zeros(pos.size, dtype=np.int64)
            for j in range(k):
                ctx_key = ctx_key * V + s[pos - k + j]
            order = np.argsort(ctx_key * V + tok)
            pair = ctx_key[order] * V + tok[order]
            new_pair = np.empty(pair.size, dtype=bool)
            new_pair[0] = True
            new_pair[1:] = pair[1:] != pair[:-1]
            new_state = np.empty(pair.size, dtype=bool)
            new_state[0] = True
            new_state[1:] = ctx_key[order][1:] != ctx_key[order][:-1]
            ctx = np.empty(pos.size, dtype=np.int64)
            ctx[order] = np.cumsum(new_state) - 1  # each position's state, numbered in sorted order
            first = order[new_pair]
            counts = np.diff(np.append(np.flatnonzero(new_pair), pair.size))
        else:  # rank the contexts one token at a time (no overflow for any k or vocabulary)
            ctx = np.zeros(pos.size, dtype=np.int64)
            for j in range(k):
                ctx = np.unique(ctx * V + s[pos - k + j], return_inverse=True)[1].astype(np.int64).ravel()
            _, first, counts = np.unique(ctx * V + tok, return_index=True, return_counts=True)
        # the state after a transition is the context of the next predicted position (none after END)
        dest = np.empty(pos.size, dtype=np.int64)
        dest[:-1] = ctx[1:]
        dest[tok == END] = -1
        self.state_of_ = ctx[first]  # sorted by state: one segment per state
        self.next_ = tok[first]
        self.dest_ = dest[first]
        self.counts_ = counts.astype(np.float64)
        n_states = int(ctx.max()) + 1
        self.starts_ = np.searchsorted(self.state_of_, np.arange(n_states + 1))
        self.start_state_ = int(ctx[0])
        self.longest_ = longest
        self.n_docs_ = n_docs
        self._cum: dict[float, np.ndarray] = {}
        return self

    @property
    def n_states(self) -> int:
        return len(self.starts_) - 1

    @property
    def vocabulary(self) -> list[str]:
        """The tokens the chain can write (begin and end marks excluded)."""
        return list(self.tokens_[2:])

    # ------------------------------------------------------------------ sample
    def _cumulative(self, temperature: float) -> np.ndarray:
        """Per transition: its state's index plus the cumulative probability within the state."""
        cached = self._cum.get(temperature)
        if cached is not None:
            return cached
        starts = self.starts_[:-1]
        seg = self.state_of_
        logc = np.log(self.counts_)
        top = np.maximum.reduceat(logc, starts)
        w = np.exp((logc - top[seg]) / temperature)  # p ** (1/T) up to the state's constant
        cs = np.cumsum(w)
        before = cs[starts] - w[starts]
        total = np.add.reduceat(w, starts)
        within = (cs - before[seg]) / total[seg]
        within[self.starts_[1:] - 1] = 1.0
        g = seg + within
        if len(self._cum) > 8:
            self._cum.clear()
        self._cum[temperature] = g
        return g

    def sample_ids(self, n: int, rng: np.random.Generator, temperature: float = 1.0,
                   max_tokens: int | None = None) -> list[np.ndarray]:
        """``n`` documents as arrays of token ids (drawn together, one position at a time)."""
        cap = max_tokens if max_tokens is not None else self.default_max_tokens
        g = self._cumulative(float(temperature))
        out = np.full((n, cap), -1, dtype=np.int64)
        length = np.full(n, cap, dtype=np.int64)
        state = np.full(n, self.start_state_, dtype=np.int64)
        active = np.arange(n)
        for step in range(cap):
            if active.size == 0:
                break
            st = state[active]
            j = np.searchsorted(g, st + rng.random(active.size), side="right")
            j = np.minimum(j, self.starts_[st + 1] - 1)  # rounding at the top of a segment
            tok = self.next_[j]
            done = tok == END
            length[active[done]] = step
            keep = ~done
            active, j, tok = active[keep], j[keep], tok[keep]
            out[active, step] = tok
            state[active] = self.dest_[j]
        return [out[i, : length[i]] for i in range(n)]

    def sample(self, n: int, rng: np.random.Generator, temperature: float = 1.0,
               max_tokens: int | None = None) -> list[list[str]]:
        """``n`` documents as token lists."""
        toks = self.tokens_
        return [toks[ids].tolist() for ids in self.sample_ids(n, rng, temperature, max_tokens)]

    @property
    def default_max_tokens(self) -> int:
        """Twice the longest fitted document (at least 10 tokens)."""
        return max(10, 2 * self.longest_)


def _encode(docs: list) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Token ids (from 2 on), document lengths and the token list of each id."""
    lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
    if all(isinstance(d, str) for d in docs):  # characters: code points, no Python loop per character
        cp = np.frombuffer("".join(docs).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        if cp.size == 0:
            return np.zeros(0, dtype=np.int64), lengths, []
        seen = np.zeros(int(cp.max()) + 1, dtype=bool)
        seen[cp] = True
        uniq = np.flatnonzero(seen)
        code = np.cumsum(seen) - 1  # code point -> rank among the code points present
        return code[cp].astype(np.int64) + 2, lengths, [chr(c) for c in uniq.tolist()]
    vocab: dict[str, int] = {}
    flat = [vocab.setdefault(t, len(vocab) + 2) for d in docs for t in d]  # faster than numpy or polars here
    return np.asarray(flat, dtype=np.int64), lengths, list(vocab)
