"""One tokenizer for every text feature of synthkit.

Generators, metrics, language models and collapse all count the same tokens:
lower-cased words (letters, digits and inner apostrophes or hyphens) and single
punctuation marks. ``"O Romeo, Romeo!"`` -> ``["o", "romeo", ",", "romeo", "!"]``.
Missing documents (``None``) tokenize to an empty list.
"""

from __future__ import annotations

import re
from typing import Iterable

import polars as pl

_TOKEN = re.compile(r"[^\W_]+(?:['\u2019\-][^\W_]+)*|[^\w\s]", re.UNICODE)
_WORD = re.compile(r"^[^\W_]")


def tokenize(text: str | None, lower: bool = True) -> list[str]:
    """The tokens of one document (words and punctuation marks).

    Metrics count lower-cased tokens (the default); generators keep the case
    (``lower=False``) so that what they write reads like the seed.
    """
    if text is None:
        return []
    return _TOKEN.findall(text.lower() if lower else text)


def tokenize_all(texts: Iterable[str | None] | pl.Series, lower: bool = True) -> list[list[str]]:
    """The tokens of every document, in order."""
    return [tokenize(t, lower) for t in texts]


def is_word(token: str) -> bool:
    """True for a word token, False for punctuation."""
    return token[:1].isalnum()  # the same test as _WORD (a letter or digit first), several times faster


def detokenize(tokens: list[str]) -> str:
    """Join tokens back into readable text (no space before closing punctuation)."""
    out: list[str] = []
    for tok in tokens:
        if out and (tok in ",.;:!?)]}'\u2019" or not is_word(tok) and tok not in "([{\"'"):
            out[-1] += tok
        else:
            out.append(tok)
    return " ".join(out)
