"""``recognised``: does a classifier trained on the real rows still recognise the generated rows?

For a dataset with a categorical target (the digit label of ``digits``, the
species of ``penguins``), a logistic regression is fitted once on the real rows
(every other column, in the shared :class:`~synthkit.encode.Encoder` space). For
generated rows, ``recognised`` is the share whose target value (the label the
generator drew together with the row) is the class the real-trained classifier
predicts from the other columns. A generated "3" that the classifier reads as a
3 counts; a blur it reads as an 8, or a 3 labelled 5, does not.

Generation 0 is the real rows; their value is the classifier's
cross-validated accuracy on them (3 folds, seeded; in-sample when a class
has a single row), the level a faithful
generator's rows would reach. Rows that are cleaner than the real ones (e.g.
smoothed images) can score above it.
"""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from ..data import Dataset
from ..encode import Encoder

__all__ = ["Recogniser"]

#: folds for generation 0's cross-validated accuracy
FOLDS = 3


class Recogniser:
    """A classifier of the target fitted on the real rows; ``score(rows)`` is the recognised share."""

    def __init__(self, real: Dataset, random_state: int = 0):
        s = real.schema
        self.target = s.target
        self.encoder = Encoder().fit(real)
        names = self.encoder.feature_names_
        self.keep = np.array([not n.startswith(f"{s.target}=") and n != s.target for n in names])
        x = self.encoder.transform(real)[:, self.keep]
        y = np.asarray([str(v) for v in real.frame[s.target].to_list()])
        self.model = LogisticRegression(max_iter=500)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model.fit(x, y)
            n_folds = min(FOLDS, int(np.unique(y, return_counts=True)[1].min()))
            if n_folds >= 2:
                folds = StratifiedKFold(n_folds, shuffle=True, random_state=random_state)
                pred = cross_val_predict(LogisticRegression(max_iter=500), x, y, cv=folds)
            else:  # a class with a single row: no fold can hold it out, so in-sample accuracy
                pred = self.model.predict(x)
        #: cross-validated accuracy on the real rows (generation 0's value)
        self.real_score = float(np.mean(pred == y))

    def recognised(self, rows: pl.DataFrame) -> np.ndarray:
        """Per row: True when its target is the class the real-trained classifier predicts
        (False for a missing target)."""
        y = rows[self.target]
        ok = ~y.is_null().to_numpy()
        out = np.zeros(rows.height, dtype=bool)
        if ok.any():
            x = self.encoder.transform(rows.filter(pl.Series(ok)))[:, self.keep]
            truth = np.asarray([str(v) for v in y.filter(pl.Series(ok)).to_list()])
            out[np.nonzero(ok)[0]] = self.model.predict(x) == truth
        return out

    def score(self, rows: pl.DataFrame) -> float:
        """Share of ``rows`` (with a target) whose target is the class the real-trained classifier predicts."""
        n = rows.height - rows[self.target].null_count()
        return float(self.recognised(rows).sum() / n) if n else float("nan")
