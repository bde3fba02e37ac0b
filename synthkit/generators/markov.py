"""Markov chains that write text: word level (``markov``) and character level (``char``).

Both fit :class:`synthkit.text.chain.NgramChain` on the real documents (one chain
per label, see :mod:`synthkit.generators._text`) and walk it from the document
start to the end mark. Words are the tokens of :func:`synthkit.text.tokens.tokenize`
with their case kept, joined back with :func:`~synthkit.text.tokens.detokenize`.

Neither rejects documents that repeat a real one word for word: with a small
seed or a long state many generated documents are copies, which is what
near-copy and memorisation checks are there to find. Pass ``reject_copies=True``
to redraw exact copies (up to ``COPY_ROUNDS`` times, after which copies are kept).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import check_bool, check_int
from ..errors import GeneratorError
from ..text.chain import NgramChain
from ..text.tokens import detokenize, tokenize
from ._text import TextGenerator
from .base import check_temperature

#: redraws of exact copies with ``reject_copies=True``
COPY_ROUNDS = 10


class _Fitted:
    """A chain, how to write each of its tokens after the previous one, and (for ``reject_copies``)
    the real documents it was fitted on as token tuples."""

    def __init__(self, chain: NgramChain, glue: np.ndarray, seen: set[tuple[str, ...]] | None):
        self.chain = chain
        self.glue = glue
        self.seen = seen


class _ChainGenerator(TextGenerator):
    key_params = ("state_size", "temperature", "by")
    #: glued tokens start with a space that the first token of a document drops
    _spaced = True

    def _glue(self, token: str) -> str:  # pragma: no cover
        """The token as written after another one (e.g. with a space before it)."""
        raise NotImplementedError

    def _check_params(self) -> None:
        check_int("state_size", self.state_size, minimum=1, maximum=50, error=GeneratorError,
                  hint=" (tokens of context the next one depends on)")
        check_temperature(self.temperature)
        check_int("max_tokens", self.max_tokens, minimum=1, allow_none=True, error=GeneratorError,
                  hint=" (the longest document written; None: twice the longest real one)")
        check_bool("reject_copies", self.reject_copies, error=GeneratorError)

    def _fit_text(self, docs: list, key=()) -> _Fitted:
        chain = NgramChain(int(self.state_size)).fit(docs)
        glue = np.array([self._glue(t) for t in chain.tokens_], dtype=object)
        return _Fitted(chain, glue, {tuple(t) for t in docs} if self.reject_copies else None)

    def _write(self, model: _Fitted, n: int, rng: np.random.Generator, key=()) -> list[str]:
        chain = model.chain
        draw = lambda k: chain.sample_ids(k, rng, float(self.temperature), self.max_tokens)  # noqa: E731
        docs = draw(n)
        if model.seen is not None:
            for _ in range(COPY_ROUNDS):
                again = [i for i, d in enumerate(docs) if tuple(chain.tokens_[d]) in model.seen]
                if not again:
                    break
                for i, d in zip(again, draw(len(again))):
                    docs[i] = d
        glue = model.glue
        out = []
        for ids in docs:
            text = "".join(glue[ids].tolist())
            out.append(text[1:] if self._spaced and text[:1] == " " else text)  # none before the first token
        return out


class Markov(_ChainGenerator):
    """Word-level Markov chain: each word drawn given the ``state_size`` words before it.

    ``temperature`` rescales next-word probabilities as ``p ** (1 / T)`` (below 1
    sharpens towards the most frequent continuation; near 0 it is greedy).
    ``by`` picks the label whose values get a chain of their own (``"auto"``:
    the target when categorical); labels with fewer than ``min_docs`` real
    documents use the pooled chain. ``tabular`` draws the label columns
    (``"bootstrap"`` copies real label combinations). ``max_tokens`` caps a
    document's length (None: twice the longest real one). ``reject_copies``
    redraws documents identical to a real one (off by default).
    """

    name = "markov"
    summary = "word-level Markov chain (numpy): new sentences stitched from real word sequences"

    def __init__(self, state_size: int = 2, temperature: float = 1.0, by: Any = "auto", min_docs: int = 50,
                 tabular: str = "bootstrap", max_tokens: int | None = None, reject_copies: bool = False):
        self.state_size = state_size
        self.temperature = temperature
        self.by = by
        self.min_docs = min_docs
        self.tabular = tabular
        self.max_tokens = max_tokens
        self.reject_copies = reject_copies

    def _prepare(self, doc: str) -> list[str]:
        return tokenize(doc, lower=False)

    def _glue(self, token: str) -> str:
        # as synthkit.text.tokens.detokenize: no space before closing punctuation
        return token if detokenize(["a", token]) == "a" + token else " " + token


class CharMarkov(_ChainGenerator):
    """Character-level Markov chain: each character drawn given the ``state_size`` before it.

    Writes new words as well as new sentences (a word-level chain only reuses
    real words). Parameters as for :class:`Markov`, with ``max_tokens`` counted in
    characters.
    """

    name = "char"
    summary = "character-level Markov chain: invents words and spellings as well as sentences"

    def __init__(self, state_size: int = 6, temperature: float = 1.0, by: Any = "auto", min_docs: int = 50,
                 tabular: str = "bootstrap", max_tokens: int | None = None, reject_copies: bool = False):
        self.state_size = state_size
        self.temperature = temperature
        self.by = by
        self.min_docs = min_docs
        self.tabular = tabular
        self.max_tokens = max_tokens
        self.reject_copies = reject_copies

    def _prepare(self, doc: str) -> str:
        return doc  # the chain reads a string's characters as its tokens

    _spaced = False

    def _glue(self, token: str) -> str:
        return token
