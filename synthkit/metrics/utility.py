"""Utility: is a model trained on synthetic rows as good as one trained on real rows?

- **TSTR** (train on synthetic, test on real): fit a model on the synthetic rows,
  score it on real rows it never saw (the holdout).
- **TRTR** (train on real, test on real): the same model fitted on real training
  rows, scored on the same holdout. TRTR is the baseline of TSTR: the best a
  model can do with real rows.

The model is scikit-learn's ``HistGradientBoostingClassifier`` /
``HistGradientBoostingRegressor`` (60 trees of at most 15 leaves, learning rate
0.15, no early stopping; native categorical support, missing values handled), chosen by the target's kind (``schema.task``). Scores:
classification = macro-averaged F1 over the real classes (1 = perfect; a model
that always predicts one class of two scores about 0.4 or less);
regression = R^2 (1 = perfect, 0 = predicting the mean, negative = worse).

Without a holdout, ``evaluate`` splits the real rows (seeded, 70/30) into
training rows and a holdout and says so in the report; the synthetic rows were
usually generated from all real rows, holdout included, which flatters TSTR a
little. Intervals resample the holdout rows' predictions (Poisson bootstrap,
``max(20, n_boot // 5)`` replicates); they ignore the refitting variability.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import f1_score, r2_score

from ..data import Schema, to_polars
from ..errors import DataError, SchemaError
from .._categories import category_codes
from ._common import metric_row, ordinal_matrix

__all__ = ["tstr", "trtr", "fit_predict", "score", "utility_rows"]

FAMILY = "utility"
#: the model's settings: small and fixed (no early stopping), so scores are reproducible and quick
_HGB = dict(max_iter=60, learning_rate=0.15, max_leaf_nodes=15, early_stopping=False)


def _features(schema: Schema, target: str, skip: tuple[str, ...] = ()) -> list[str]:
    return [c for c in schema.columns if c != target and c not in skip]


def _target(frame: pl.DataFrame, schema: Schema, target: str, task: str) -> np.ndarray:
    if task == "classification":
        levels = schema.categories.get(target, ())
        raw = category_codes(frame[target], levels)
        codes = raw.astype(np.float64)
        codes[raw < 0] = np.nan  # missing, or a class the real data never had
        return codes
    return frame[target].cast(pl.Float64).fill_null(np.nan).to_numpy()


def fit_predict(train: pl.DataFrame, test: pl.DataFrame, schema: Schema, target: str | None = None,
                random_state: int = 0, skip: tuple[str, ...] = ()) -> tuple[np.ndarray, np.ndarray, str]:
    """Fit on ``train``, predict ``test``: returns ``(y_true, y_pred, task)`` (rows with a target).

    ``skip`` names feature columns left out (the ID-like ones, see ``evaluate``).
    """
    target = target or schema.target
    if target is None or target not in schema.columns:
        raise SchemaError(f"utility needs a target column in the schema; got target={target!r}")
    task = "classification" if target in schema.categorical else "regression"
    feats = _features(schema, target, tuple(skip))
    if not feats:
        raise DataError(f"utility needs at least one feature besides the target {target!r}")
    Xtr, is_cat = ordinal_matrix(train, schema, feats)
    Xte, _ = ordinal_matrix(test, schema, feats)
    ytr, yte = _target(train, schema, target, task), _target(test, schema, target, task)
    ok_tr, ok_te = ~np.isnan(ytr), ~np.isnan(yte)
    if ok_te.sum() == 0:
        raise DataError(f"the test rows have no value in the target column {target!r}")
    Xtr, ytr, Xte, yte = Xtr[ok_tr], ytr[ok_tr], Xte[ok_te], yte[ok_te]
    cat = is_cat if is_cat.any() else None
    if ytr.size == 0:
        pred = np.full(yte.size, np.nan)
    elif task == "classification":
        classes = np.unique(ytr)
        if classes.size == 1:  # one class only: the model can only predict it
            pred = np.full(yte.size, classes[0])
        else:
            m = HistGradientBoostingClassifier(**_HGB, categorical_features=cat, random_state=random_state)
            pred = m.fit(Xtr, ytr.astype(int)).predict(Xte).astype(np.float64)
    else:
        if ytr.size < 2:
            pred = np.full(yte.size, ytr.mean())
        else:
            m = HistGradientBoostingRegressor(**_HGB, categorical_features=cat, random_state=random_state)
            pred = m.fit(Xtr, ytr).predict(Xte)
    return yte, pred, task


def score(y_true: np.ndarray, y_pred: np.ndarray, task: str, weight: np.ndarray | None = None) -> float:
    """Macro F1 over the true classes (classification) or R^2 (regression)."""
    if np.isnan(y_pred).any():
        return np.nan
    if task == "classification":
        labels = np.unique(y_true)
        return float(f1_score(y_true, y_pred, labels=labels, average="macro", sample_weight=weight,
                              zero_division=0))
    return float(r2_score(y_true, y_pred, sample_weight=weight))


def tstr(train, test, schema: Schema, random_state: int = 0, target: str | None = None) -> float:
    """Train on ``train`` (synthetic rows), score on ``test`` (real rows): see the module docstring."""
    y, p, task = fit_predict(to_polars(train), to_polars(test), schema, target, random_state)
    return score(y, p, task)


def trtr(train, test, schema: Schema, random_state: int = 0, target: str | None = None) -> float:
    """Train on real ``train`` rows, score on real ``test`` rows (the baseline of TSTR)."""
    return tstr(train, test, schema, random_state, target)


def utility_rows(train_real: pl.DataFrame, synth: pl.DataFrame, test: pl.DataFrame, schema: Schema,
                 target: str, *, random_state: int = 0, n_boot: int = 100,
                 rng: np.random.Generator | None = None, skip: tuple[str, ...] = ()) -> tuple[list[dict], dict]:
    y_s, p_s, task = fit_predict(synth, test, schema, target, random_state, skip)
    y_r, p_r, _ = fit_predict(train_real, test, schema, target, random_state, skip)
    v_s, v_r = score(y_s, p_s, task), score(y_r, p_r, task)
    reps_s = reps_r = None
    if rng is not None and n_boot:
        nb = max(20, n_boot // 5)
        ws = [rng.poisson(1.0, size=y_s.size) for _ in range(nb)]
        reps_s = np.array([score(y_s, p_s, task, w) for w in ws])
        reps_r = np.array([score(y_r, p_r, task, w) for w in ws])
    name = "macro_f1" if task == "classification" else "r2"
    bounds = (0.0, 1.0) if task == "classification" else (-np.inf, 1.0)
    rows = [
        metric_row(FAMILY, f"tstr_{name}", target, v_s, reps_s, v_r, "higher", bounds),
        metric_row(FAMILY, f"trtr_{name}", target, v_r, reps_r, None, "higher", bounds),
    ]
    summary = {"task": task, "score_name": name, "tstr": v_s, "trtr": v_r,
               "tstr_ci": [rows[0]["ci_low"], rows[0]["ci_high"]],
               "trtr_ci": [rows[1]["ci_low"], rows[1]["ci_high"]],
               "n_train_real": train_real.height, "n_train_synth": synth.height, "n_test": test.height}
    return rows, summary
