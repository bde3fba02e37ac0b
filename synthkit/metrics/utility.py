"""Utility: is a model trained on synthetic rows as good as one trained on real rows?

- **TSTR** (train on synthetic, test on real): fit a model on the synthetic rows,
  score it on real rows it never saw (the holdout).
- **TRTR** (train on real, test on real): the same model fitted on real training
  rows, scored on the same holdout: the best a model can do with real rows.
  The table's baseline of TSTR is TRTR at the size-matched training size
  (see the verdict below); it equals TRTR when there are at least as many
  synthetic rows as real training rows.

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

Verdict (:func:`utility_test`). A model trained on fewer rows scores lower, and
two models trained on two samples of the same size differ by chance, so the
verdict compares like with like: ``t = min(n_train_real, M)`` synthetic rows
(the ``matched`` TSTR) against ``t`` real training rows (the ``baseline``),
both scored on the same holdout. How large a difference chance alone makes is
measured by pooling the two training sets and re-splitting them ``n_perm``
times (default 2, each a refit of two models); the p-value is the one-sided
Student t tail of ``difference / rms(permuted differences)`` with ``n_perm``
degrees of freedom. Refitting dominates the cost, hence few permutations and
a t reference instead of the exact permutation count.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import f1_score, r2_score
from scipy.stats import t as student_t

from ..data import Schema, to_polars
from ..errors import DataError, SchemaError
from .._categories import category_codes
from ._common import metric_row, ordinal_matrix

__all__ = ["tstr", "trtr", "fit_predict", "score", "utility_rows", "utility_test", "UTILITY_PERM"]

FAMILY = "utility"
#: the model's settings: small and fixed (no early stopping), so scores are reproducible and quick
_HGB = dict(max_iter=60, learning_rate=0.15, max_leaf_nodes=15, early_stopping=False)
#: re-splits of the pooled training rows in :func:`utility_test` (two refits each)
UTILITY_PERM = 2


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
                random_state: int = 0, skip: tuple[str, ...] = (),
                encoder: Any = None) -> tuple[np.ndarray, np.ndarray, str]:
    """Fit on ``train``, predict ``test``: returns ``(y_true, y_pred, task)`` (rows with a target).

    ``skip`` names feature columns left out (the ID-like ones, see ``evaluate``).
    Text columns are features through ``encoder`` (an Encoder fitted on the real
    rows: the leading principal components of their embeddings) and are left
    out without one.
    """
    target = target or schema.target
    if target is None or target not in schema.columns:
        raise SchemaError(f"utility needs a target column in the schema; got target={target!r}")
    task = "classification" if target in schema.categorical else "regression"
    feats = _features(schema, target, tuple(skip))
    if encoder is None:
        feats = [c for c in feats if c not in schema.text]
    if not feats:
        raise DataError(f"utility needs at least one feature besides the target {target!r}")
    Xtr, is_cat = ordinal_matrix(train, schema, feats, encoder)
    Xte, _ = ordinal_matrix(test, schema, feats, encoder)
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


def utility_test(train_real: pl.DataFrame, synth: pl.DataFrame, test: pl.DataFrame, schema: Schema,
                 target: str, *, random_state: int = 0, n_perm: int = UTILITY_PERM,
                 known: tuple[float, float] | None = None,
                 skip: tuple[str, ...] = (), encoder: Any = None) -> tuple[float, float, float]:
    """``(matched TSTR, matched TRTR, p)`` at equal training sizes (see the module docstring).

    ``known`` = ``(TSTR on all synthetic rows, TRTR on all real training rows)``
    spares the refits when no subsampling is needed.
    """
    cols = list(schema.columns)
    t = min(train_real.height, synth.height)
    rng = np.random.default_rng([random_state, 3])
    sub = lambda f: f if f.height == t else f[np.sort(rng.choice(f.height, t, replace=False))]  # noqa: E731
    s_t, r_t = sub(synth).select(cols), sub(train_real).select(cols)

    def fit_score(frame: pl.DataFrame) -> float:
        y, p, task = fit_predict(frame, test, schema, target, random_state, skip, encoder)
        return score(y, p, task)

    m_s = known[0] if known is not None and t == synth.height else fit_score(s_t)
    m_r = known[1] if known is not None and t == train_real.height else fit_score(r_t)
    diff = m_r - m_s
    pool = pl.concat([s_t, r_t], how="vertical_relaxed")
    null = []
    for _ in range(n_perm if t > 1 and np.isfinite(diff) else 0):
        perm = rng.permutation(2 * t)
        null.append(fit_score(pool[np.sort(perm[t:])]) - fit_score(pool[np.sort(perm[:t])]))
    null = np.asarray(null, dtype=float)
    null = null[np.isfinite(null)]
    if not np.isfinite(diff) or null.size == 0:
        return m_s, m_r, np.nan
    sd = float(np.sqrt(np.mean(null**2)))
    if sd == 0.0:
        p = 1.0 if diff <= 0 else 1.0 / (1 + null.size)
    else:
        p = float(student_t.sf(diff / sd, df=null.size))
    return m_s, m_r, p


def utility_rows(train_real: pl.DataFrame, synth: pl.DataFrame, test: pl.DataFrame, schema: Schema,
                 target: str, *, random_state: int = 0, n_boot: int = 100,
                 rng: np.random.Generator | None = None, n_perm: int = UTILITY_PERM,
                 skip: tuple[str, ...] = (), encoder: Any = None) -> tuple[list[dict], dict]:
    y_s, p_s, task = fit_predict(synth, test, schema, target, random_state, skip, encoder)
    y_r, p_r, _ = fit_predict(train_real, test, schema, target, random_state, skip, encoder)
    v_s, v_r = score(y_s, p_s, task), score(y_r, p_r, task)
    m_s, m_r, p_val = utility_test(train_real, synth, test, schema, target, random_state=random_state,
                                   n_perm=n_perm, known=(v_s, v_r), skip=skip, encoder=encoder)
    reps_s = reps_r = None
    if rng is not None and n_boot:
        nb = max(20, n_boot // 5)
        ws = [rng.poisson(1.0, size=y_s.size) for _ in range(nb)]
        reps_s = np.array([score(y_s, p_s, task, w) for w in ws])
        reps_r = np.array([score(y_r, p_r, task, w) for w in ws])
    name = "macro_f1" if task == "classification" else "r2"
    bounds = (0.0, 1.0) if task == "classification" else (-np.inf, 1.0)
    rows = [
        metric_row(FAMILY, f"tstr_{name}", target, v_s, reps_s, m_r, "higher", bounds, matched=m_s, p_value=p_val),
        metric_row(FAMILY, f"trtr_{name}", target, v_r, reps_r, None, "higher", bounds),
    ]
    summary = {"task": task, "score_name": name, "tstr": v_s, "trtr": v_r,
               "tstr_ci": [rows[0]["ci_low"], rows[0]["ci_high"]],
               "trtr_ci": [rows[1]["ci_low"], rows[1]["ci_high"]],
               "n_train_real": train_real.height, "n_train_synth": synth.height, "n_test": test.height}
    return rows, summary
