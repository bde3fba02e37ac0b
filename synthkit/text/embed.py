"""Documents -> vectors, with a model shipped inside an installed package.

:class:`Embedder` turns each document of a text column into one unit-length
vector, the same way for real and synthetic rows, with nothing downloaded:

- ``"wordllama"`` (the default when the package is installed): the 256-dimension
  static token embeddings that ship in the ``wordllama`` wheel, averaged over a
  document's tokens (what ``WordLlama.embed`` computes), then scaled to unit
  length. The model is read from the package folder with downloads disabled, once
  per process.
- ``"tfidf"``: TF-IDF over the words of :func:`synthkit.text.tokens.tokenize`
  (words hashed into 2**16 buckets, sub-linear term frequency, inverse document
  frequency from the real documents), reduced by a seeded sparse random
  projection to 256 dimensions, then scaled to unit length. Nothing but the
  word weights is learned from the real documents: a truncated SVD fitted on
  them (latent semantic analysis) made real rows stand apart from any new row,
  fresh real lines included (a detector told them apart at AUC 0.8 on 500 vs
  500 shakespeare lines; 0.45-0.52 over 3 seeds with the random projection).
  ``backend="auto"`` falls back to it when wordllama cannot be loaded, warns once
  per process (:class:`TextBackendWarning`) and says so in ``note_``.

Documents are embedded in chunks of ``batch_size``: a document's vector is the
mean of its token vectors, computed as a sparse (documents x vocabulary) count
matrix times the embedding table, so memory grows with the chunk's token count,
never with the longest document times the chunk size. A missing or blank
document (or one with no known token) gets the zero vector. The last few
results are kept (keyed by a hash of the documents), because the map and every
metric encode the same rows.
"""

from __future__ import annotations

import hashlib
import warnings
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import polars as pl

from .._checks import check_int
from ..errors import DataError, DependencyError, NotFittedError, SynthkitWarning
from .tokens import is_word, tokenize

__all__ = ["Embedder", "TextBackendWarning", "BACKENDS", "auto_backend"]

BACKENDS = ("auto", "wordllama", "tfidf")
#: dimensions of the TF-IDF vectors after the random projection
TFIDF_DIMENSIONS = 256
#: hash buckets of the TF-IDF words
TFIDF_BUCKETS = 2**16
#: share of the random projection's entries that are not zero (each word reaches 16 of the 256 dimensions)
TFIDF_DENSITY = 1 / 16


class TextBackendWarning(SynthkitWarning):
    """The shipped embedding model could not be used; TF-IDF took its place."""


_warned: set[str] = set()


@lru_cache(maxsize=1)
def _wordllama() -> tuple[np.ndarray, Any]:
    """(embedding table float32 (vocab, 256), tokenizer without padding), read once per process."""
    try:
        import wordllama
        from wordllama import WordLlama
    except ImportError as exc:
        raise DependencyError(
            f"the text embedding model needs the wordllama package ({exc}); "
            "install it with `pip install wordllama`, or use Embedder(backend='tfidf')"
        ) from None
    folder = Path(wordllama.__file__).resolve().parent
    try:
        model = WordLlama.load(cache_dir=folder, disable_download=True)
    except Exception as exc:  # noqa: BLE001 - any failure to read the shipped files
        raise DependencyError(
            f"the wordllama model shipped in {folder} could not be read ({exc}); reinstall "
            "wordllama, or use Embedder(backend='tfidf')"
        ) from None
    tok = model.tokenizer  # this model object is private to the cache: unpad its tokenizer in place
    tok.no_padding()
    tok.no_truncation()
    return model.embedding, tok


@lru_cache(maxsize=1)
def _table_axes(k: int = 64) -> np.ndarray:
    """(256, k) leading principal axes of wordllama's token table (signs fixed), once per process."""
    table, _tok = _wordllama()
    mean = table.mean(axis=0, dtype=np.float64)
    gram = (table.T @ table).astype(np.float64) - len(table) * np.outer(mean, mean)
    _w, v = np.linalg.eigh(gram)  # ascending
    vt = v[:, ::-1][:, :k].T
    sign = np.sign(vt[np.arange(k), np.abs(vt).argmax(axis=1)])
    return (vt * sign[:, None]).T.astype(np.float32)


def auto_backend() -> str:
    """The backend ``backend="auto"`` resolves to here: ``"wordllama"`` or ``"tfidf"``."""
    try:
        _wordllama()
    except DependencyError:
        return "tfidf"
    return "wordllama"


def _texts(texts: Any, what: str) -> list[str | None]:
    """A list of documents (str or None) from a list, tuple, numpy array or polars Series."""
    if isinstance(texts, str):
        raise DataError(f"{what} must be a list or column of documents, not one string; wrap it: [text]")
    if isinstance(texts, pl.Series):
        if texts.dtype not in (pl.String, pl.Categorical, pl.Null) and not isinstance(texts.dtype, pl.Enum):
            raise DataError(f"{what} ({texts.name!r}) has dtype {texts.dtype}; documents must be strings")
        return texts.cast(pl.String).to_list()
    try:
        docs = list(texts)
    except TypeError:
        raise DataError(f"{what} must be a list or column of documents, got {type(texts).__name__}") from None
    bad = next((d for d in docs if d is not None and not isinstance(d, str)), None)
    if bad is not None:
        raise DataError(f"{what} holds a {type(bad).__name__} ({bad!r:.40}); documents must be strings or None")
    return docs


#: how many recent transform results an Embedder keeps
_CACHED = 4


def _digest(docs: list[str | None]) -> str:
    h = hashlib.blake2b(digest_size=16)
    for d in docs:
        h.update(b"\x00" if d is None else d.encode("utf-8", "surrogatepass") + b"\x1f")
    return f"{len(docs)}:{h.hexdigest()}"


def _words(doc: str) -> list[str]:
    return [t for t in tokenize(doc) if is_word(t)]


def _unit(x: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norm, out=np.zeros_like(x), where=norm > 0)


class Embedder:
    """Fit on real documents, then ``transform`` any documents to unit vectors.

    ``backend``: ``"auto"`` (wordllama, else TF-IDF with a warning),
    ``"wordllama"`` or ``"tfidf"``. ``batch_size``: documents per chunk.
    ``random_state`` seeds the random projection of the TF-IDF backend.

    Learned: ``backend_`` (the backend used), ``dim_`` (vector length),
    ``note_`` (a sentence saying what embeds the documents).
    """

    def __init__(self, backend: str = "auto", *, batch_size: int = 1024, random_state: int | None = 0) -> None:
        if backend not in BACKENDS:
            raise DataError(f"backend={backend!r} must be one of {list(BACKENDS)}")
        self.backend = backend
        self.batch_size = check_int("batch_size", batch_size, minimum=1)
        self.random_state = check_int("random_state", random_state, minimum=0, allow_none=True)

    # ------------------------------------------------------------------ fit
    def fit(self, texts: Iterable[str | None] | pl.Series) -> "Embedder":
        docs = _texts(texts, "texts")
        if not any(d and d.strip() for d in docs):
            raise DataError("the real documents hold no text (every one is missing or blank)")
        backend = self.backend
        reason = ""
        if backend in ("auto", "wordllama"):
            try:
                table, _tok = _wordllama()
                backend = "wordllama"
            except DependencyError as exc:
                if backend == "wordllama":
                    raise
                backend, reason = "tfidf", str(exc)
        if backend == "wordllama":
            self.dim_ = int(table.shape[1])
            self.note_ = (f"documents embedded with wordllama's shipped {self.dim_}-dimension "
                          "token vectors (mean over tokens, unit length)")
        else:
            self._fit_tfidf(docs)
            self.note_ = (f"documents embedded with TF-IDF (word weights from the real documents) and a "
                          f"seeded random projection to {self.dim_} dimensions")
            if reason:
                self.note_ += f", because wordllama could not be used: {reason}"
                if "tfidf-fallback" not in _warned:
                    _warned.add("tfidf-fallback")
                    warnings.warn(f"text columns: {self.note_}", TextBackendWarning, stacklevel=2)
        self.backend_ = backend
        return self

    def _fit_tfidf(self, docs: list[str | None]) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
        from sklearn.random_projection import SparseRandomProjection

        hasher = HashingVectorizer(analyzer=_words, n_features=TFIDF_BUCKETS, alternate_sign=False,
                                   norm=None, dtype=np.float32)
        counts = hasher.transform([d or "" for d in docs])
        if counts.nnz == 0:
            raise DataError("the real documents hold no words to embed")
        self.hasher_ = hasher
        self.tfidf_ = TfidfTransformer(sublinear_tf=True).fit(counts)
        self.projection_ = SparseRandomProjection(TFIDF_DIMENSIONS, density=TFIDF_DENSITY,
                                                  dense_output=True, random_state=self.random_state)
        self.projection_.fit(counts[:1])  # only the input width is read
        self.dim_ = TFIDF_DIMENSIONS

    # ------------------------------------------------------------------ transform
    def transform(self, texts: Iterable[str | None] | pl.Series) -> np.ndarray:
        """(n, ``dim_``) float32, unit rows; zero rows for missing, blank or unknown-word documents."""
        if not hasattr(self, "backend_"):
            raise NotFittedError("this Embedder is not fitted yet; call .fit(real_texts) first")
        docs = _texts(texts, "texts")
        key = _digest(docs)
        cache = self.__dict__.setdefault("_cache", OrderedDict())
        if key in cache:
            cache.move_to_end(key)
            return cache[key].copy()
        out = np.zeros((len(docs), self.dim_), dtype=np.float32)
        for start in range(0, len(docs), self.batch_size):
            chunk = docs[start : start + self.batch_size]
            out[start : start + len(chunk)] = self._chunk(chunk)
        cache[key] = out.copy()
        while len(cache) > _CACHED:
            cache.popitem(last=False)
        return out

    def fit_transform(self, texts: Iterable[str | None] | pl.Series) -> np.ndarray:
        return self.fit(texts).transform(texts)

    def _chunk(self, docs: list[str | None]) -> np.ndarray:
        if self.backend_ == "tfidf":
            x = self.tfidf_.transform(self.hasher_.transform([d or "" for d in docs]))
            return _unit(np.asarray(self.projection_.transform(x), dtype=np.float32))
        from scipy import sparse

        table, tok = _wordllama()
        keep = [i for i, d in enumerate(docs) if d and d.strip()]
        out = np.zeros((len(docs), table.shape[1]), dtype=np.float32)
        if not keep:
            return out
        encs = tok.encode_batch([docs[i] for i in keep], add_special_tokens=False)
        lengths = np.fromiter((len(e.ids) for e in encs), dtype=np.int64, count=len(encs))
        ids = np.fromiter((t for e in encs for t in e.ids), dtype=np.int64, count=int(lengths.sum()))
        np.clip(ids, 0, table.shape[0] - 1, out=ids)
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        counts = sparse.csr_matrix((np.ones(len(ids), dtype=np.float32), ids, indptr),
                                   shape=(len(keep), table.shape[0]))
        summed = np.asarray(counts @ table, dtype=np.float32)
        out[keep] = _unit(summed / np.maximum(lengths, 1)[:, None].astype(np.float32))
        return out

    def axes(self, k: int) -> np.ndarray:
        """(``dim_``, <= k) orthonormal directions that do not depend on the real documents.

        For wordllama, the leading principal axes of its token table (document
        vectors are means of token vectors, so they vary most along these); for
        TF-IDF, the first ``k`` coordinates of its random projection. Axes fitted on the real
        documents instead would overfit them: real rows would reach further along
        those axes than any new row, and a classifier would tell them apart by
        that alone.
        """
        if not hasattr(self, "backend_"):
            raise NotFittedError("this Embedder is not fitted yet; call .fit(real_texts) first")
        k = int(min(k, self.dim_))
        if self.backend_ == "tfidf":
            return np.eye(self.dim_, k, dtype=np.float32)
        return _table_axes()[:, :k]

    def __repr__(self) -> str:
        if not hasattr(self, "backend_"):
            return f"Embedder(backend={self.backend!r}, unfitted)"
        return f"Embedder({self.backend_}, {self.dim_} dimensions)"
