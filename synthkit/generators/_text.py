"""What every text generator shares: the label columns, the per-label text models, the blanks.

A text table has one or more text columns and label columns (categorical or
numeric). A text generator draws each synthetic row in two steps:

1. **Labels.** The other columns are drawn as a tabular generator would:
   with ``tabular="bootstrap"`` (the default) the label values of a random real
   row are copied, so every combination of labels is one that occurs, in its
   real proportion; any other registry name (e.g. ``"cart"``) fits that
   generator on the label columns alone. ``conditions`` are honoured exactly.
2. **Text.** Each text column is written by a text model chosen by the row's
   ``by`` label (``by="auto"``: the target when it is categorical, else none):
   a model fitted on the real documents of that label. A label with fewer than
   ``min_docs`` real documents has no model of its own and its rows use the
   pooled model (fitted on every document). With ``conditions`` the model is
   fitted on the real documents meeting the conditions (and the row's ``by``
   value), again falling back to the conditions alone, then to the pooled model,
   when fewer than ``min_docs`` documents match. The per-label models are fitted
   by ``fit``; the pooled model and the models for conditions are fitted on first
   use (a rare or missing label, ``by=None``, a new condition) and kept.

A text column's missing values are reproduced at its real missing rate.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Hashable

import numpy as np
import polars as pl

from .._checks import check_int
from ..data import Schema
from ..errors import GeneratorError
from ._columns import as_fit_dataset, condition_mask
from .base import Generator, require_matches

#: a model key: the label values its documents share, as sorted (column, value) pairs
Key = tuple[tuple[str, Hashable], ...]


class TextGenerator(Generator):
    """Base class of the generators that write text columns (see the module docstring).

    Subclasses set their own parameters plus ``by``, ``min_docs`` and ``tabular``,
    and implement ``_fit_text(docs, key) -> model`` (``docs``: the non-missing real
    documents with the label values ``key``, at least one, as ``_prepare`` made them) and
    ``_write(model, n, rng, key) -> list[str]`` (``key``: the label values of the
    rows to write, whichever model was fitted for them).
    """

    writes_text = True  # copies or writes text columns
    exact_conditions = True

    # ------------------------------------------------------------------ fit
    def _fit(self, features: pl.DataFrame, schema: Schema) -> None:
        if not schema.text:
            raise GeneratorError(
                f"{type(self).__name__} writes text columns and this data has none; name them with "
                "sk.from_frame(frame, text=['column']) or sk.read(path, text=['column']), or use a tabular "
                "generator such as 'cart'"
            )
        self._check_params()
        self.min_docs_ = check_int("min_docs", self.min_docs, minimum=1, error=GeneratorError,
                                   hint=" (real documents a label needs for a model of its own)")
        self.by_ = self._resolve_by(schema)
        self.rows_ = features
        self.labels_ = [c for c in schema.columns if c not in schema.text]
        self.null_rate_ = {c: features[c].null_count() / max(features.height, 1) for c in schema.text}
        self.models_: dict[tuple[str, Key], Any] = {}
        self.docs_: dict[str, list] = {}
        for c in schema.text:
            docs = features[c].to_list()
            if all(d is None for d in docs):
                raise GeneratorError(
                    f"text column {c!r} holds only missing values in the rows to fit; give rows with text"
                )
            self.docs_[c] = [None if d is None else self._prepare(d) for d in docs]  # e.g. tokenized once
            if self.by_ is None:
                self._model(c, ())
            else:  # the pooled model is fitted only if a rare label needs it
                for value in features[self.by_].drop_nulls().unique().sort().to_list():
                    self._model(c, ((self.by_, value),))
        self.tabular_ = self._fit_labels(features, schema)

    def _check_params(self) -> None:
        """Subclasses check their own parameters here (GeneratorError naming the parameter)."""

    def _resolve_by(self, schema: Schema) -> str | None:
        by = self.by
        if by == "auto":
            return schema.target if schema.target in schema.categorical else None
        if by is None:
            return None
        if not isinstance(by, str) or by not in schema.categorical:
            raise GeneratorError(
                f"by={by!r} must name a categorical column whose values get their own text model "
                f"({list(schema.categorical)}), or be 'auto' or None"
            )
        return by

    def _fit_labels(self, features: pl.DataFrame, schema: Schema) -> Generator | None:
        tab = self.tabular
        if not self.labels_ or tab == "bootstrap":
            return None
        from . import available, make

        if not isinstance(tab, str) or tab not in available():
            raise GeneratorError(
                f"tabular={tab!r} must name a tabular generator that draws the label columns, "
                f"one of {available()}"
            )
        sub = replace(
            schema, columns=tuple(self.labels_), text=(),
            dtypes={c: d for c, d in schema.dtypes.items() if c in self.labels_},
        )
        return make(tab).fit(as_fit_dataset(features.select(self.labels_), sub))

    # ------------------------------------------------------------------ models
    def _docs(self, column: str, key: Key) -> list:
        """The prepared real documents (missing ones left out) of the rows with the label values ``key``."""
        docs = self.docs_[column]
        if not key:
            return [d for d in docs if d is not None]
        mask = condition_mask(self.rows_, dict(key))
        return [docs[i] for i in np.flatnonzero(mask) if docs[i] is not None]

    def _model(self, column: str, key: Key) -> Any:
        """The text model for ``key`` (fitted on first use; rare keys fall back, module docstring)."""
        found = self.models_.get((column, key))
        if found is not None:
            return found
        docs = self._docs(column, key)
        if len(docs) >= self.min_docs_:
            model = self._fit_text(docs, key)
        else:
            shorter = tuple(kv for kv in key if kv[0] != self.by_) if self.by_ in dict(key) else ()
            if shorter == key:
                shorter = ()
            model = self._model(column, shorter)
        self.models_[(column, key)] = model
        return model

    def model_for(self, column: str, **labels: Any) -> Any:
        """The fitted text model that writes ``column`` for rows with these label values."""
        self._check_fitted()
        if column not in self.schema_.text:
            raise GeneratorError(f"{column!r} is not a text column; text columns are {list(self.schema_.text)}")
        return self._model(column, tuple(sorted(labels.items())))

    # ------------------------------------------------------------------ sample
    def _draw_labels(self, n: int, rng: np.random.Generator, conditions: dict | None) -> pl.DataFrame:
        if not self.labels_:  # text columns only: a placeholder column holds the row count
            return pl.DataFrame({"__rows": np.zeros(n)})
        if self.tabular_ is not None:
            return self.tabular_.sample(n, random_state=rng, conditions=conditions)
        rows = self.rows_.select(self.labels_)
        if conditions:
            rows = rows.filter(pl.Series(condition_mask(rows, conditions)))
            require_matches(rows.height, conditions, type(self).__name__)
        return rows[rng.integers(0, rows.height, size=n)]

    def _sample(self, n: int, rng: np.random.Generator, conditions: dict | None) -> pl.DataFrame:
        labels = self._draw_labels(n, rng, conditions)
        cond = tuple(sorted((conditions or {}).items()))
        out = {}
        for c in self.schema_.text:
            texts = self._write_column(c, labels, cond, n, rng)
            rate = self.null_rate_[c]
            if rate > 0:
                blank = rng.random(n) < rate
                texts = [None if b else t for t, b in zip(texts, blank)]
            out[c] = pl.Series(c, texts, dtype=pl.String)
        return labels.with_columns(**out).select(self.schema_.columns)

    def _row_keys(self, labels: pl.DataFrame, cond: Key) -> list[Key]:
        """Each row's model key: the conditions plus its ``by`` value (when it has one)."""
        n = labels.height
        if self.by_ is None or self.by_ in dict(cond):
            return [cond] * n
        return [cond if v is None else tuple(sorted(cond + ((self.by_, v),))) for v in labels[self.by_].to_list()]

    def _write_column(self, column: str, labels: pl.DataFrame, cond: Key, n: int,
                      rng: np.random.Generator) -> list[str | None]:
        """``n`` documents for ``column``, each from the model of its row's labels."""
        texts: list[str | None] = [None] * n
        groups: dict[Key, list[int]] = {}
        for i, key in enumerate(self._row_keys(labels, cond)):
            groups.setdefault(key, []).append(i)
        for key, rows in groups.items():
            docs = self._write(self._model(column, key), len(rows), rng, key)
            for i, d in zip(rows, docs):
                texts[i] = d
        return texts

    # ------------------------------------------------------------------ hooks
    def _prepare(self, doc: str) -> Any:
        """A real document as the text models read it (done once per document; default: unchanged)."""
        return doc

    def _fit_text(self, docs: list, key: Key) -> Any:  # pragma: no cover
        raise NotImplementedError

    def _write(self, model: Any, n: int, rng: np.random.Generator, key: Key) -> list[str]:  # pragma: no cover
        raise NotImplementedError
