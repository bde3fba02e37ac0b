"""CART: synthpop-style sequential decision trees.

Columns are visited in order. The first is drawn from its real distribution.
Each next column gets a decision tree fitted on the columns before it
(classification tree for a categorical column, regression tree for a numeric
one); a new row walks down that tree with the values it already has and takes
one of the real values observed in the leaf it lands in. Missing values:
predictors keep them (scikit-learn trees route missing values), a categorical
column treats "missing" as a value of its own, and a numeric column with
missing values first gets a small tree for "is it missing?".

Conditions are exact: the conditioned columns are visited first and fixed to
their values, and the trees for that visit order are fitted on first use.

Temperature ``t``: category probabilities in each leaf are sharpened
(``p ** (1/t)``), and numeric draws are pulled towards their leaf's mean
(``mean + sqrt(t) * (value - mean)``), so ``t < 1`` gives more typical rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from .._checks import check_int
from ..errors import GeneratorError
from ..data import Schema
from .base import Generator, check_temperature, require_matches, sharpen
from ._columns import build_frame, cat_codes, condition_mask, decode_codes, numeric_array


@dataclass
class _Leaves:
    """The real values each leaf of a tree saw, grouped by leaf (node id)."""

    values: np.ndarray  # training target values sorted by leaf
    start: np.ndarray  # per node: first index into values
    count: np.ndarray  # per node: number of values
    mean: np.ndarray  # per node: mean of the non-missing values (numeric targets)

    @classmethod
    def build(cls, leaf: np.ndarray, y: np.ndarray, n_nodes: int) -> "_Leaves":
        order = np.argsort(leaf, kind="stable")
        values = y[order]
        count = np.bincount(leaf, minlength=n_nodes)
        start = np.concatenate([[0], np.cumsum(count)[:-1]])
        ok = ~np.isnan(y) if y.dtype.kind == "f" else np.ones(len(y), bool)
        sums = np.bincount(leaf[ok], weights=y[ok].astype(float), minlength=n_nodes)
        cnt = np.bincount(leaf[ok], minlength=n_nodes)
        mean = np.divide(sums, cnt, out=np.zeros(n_nodes), where=cnt > 0)
        return cls(values, start, count, mean)

    def draw(self, leaf: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        pick = self.start[leaf] + np.floor(rng.random(len(leaf)) * self.count[leaf]).astype(np.int64)
        return self.values[pick]


@dataclass
class _Step:
    """How one column is generated from the columns visited before it."""

    column: str
    kind: str  # "numeric" or "categorical"
    tree: object | None = None  # None: drawn from the marginal
    leaves: _Leaves | None = None  # numeric values per leaf
    class_counts: np.ndarray | None = None  # categorical: per node, counts of code+1
    missing_tree: object | None = None  # numeric with missing values: "is missing?" tree
    missing_rate: np.ndarray | None = None  # per node of missing_tree: share missing


class CART(Generator):
    """Generates one column at a time, each from a decision tree that looks at the columns already generated.

    It captures interactions and non-linear relations well, and because it
    resamples values seen in small leaves it can sit close to real rows.
    """

    name = "cart"
    summary = "synthpop-style: each column drawn from a decision tree fitted on the previous columns"
    exact_conditions = True
    key_params = ("max_depth", "min_samples_leaf", "temperature")

    def __init__(self, max_depth: int | None = None, min_samples_leaf: int = 5,
                 temperature: float = 1.0, random_state: int | None = 0):
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.temperature = temperature
        self.random_state = random_state

    # ------------------------------------------------------------------ fit
    def _fit(self, features: pl.DataFrame, schema: Schema) -> None:
        check_temperature(self.temperature)
        check_int("max_depth", self.max_depth, minimum=1, allow_none=True, error=GeneratorError)
        check_int("min_samples_leaf", self.min_samples_leaf, minimum=1, error=GeneratorError)
        # every column as floats: numbers as they are, categories as codes; NaN = missing
        self.matrix_ = np.column_stack([
            numeric_array(features, c) if c in schema.numeric
            else np.where((k := cat_codes(features[c], schema.categories[c])) < 0, np.nan, k)
            for c in schema.columns
        ])
        self.rows_ = features.select(schema.categorical)
        self.steps_: dict[tuple[str, ...], list[_Step]] = {}
        self._steps_for(tuple(schema.columns))

    def _steps_for(self, order: tuple[str, ...]) -> list[_Step]:
        """The fitted steps for a visit order (fitted once, then kept)."""
        if order in self.steps_:
            return self.steps_[order]
        schema = self.schema_
        index = {c: i for i, c in enumerate(schema.columns)}
        steps = []
        for pos, c in enumerate(order):
            kind = schema.kind(c)
            y = self.matrix_[:, index[c]]
            step = _Step(c, kind)
            if pos == 0:
                steps.append(step)
                continue
            x = self.matrix_[:, [index[p] for p in order[:pos]]]
            if kind == "categorical":
                codes = np.where(np.isnan(y), -1, y).astype(np.int64)
                tree = self._classifier().fit(x, codes)
                leaf = tree.apply(x)
                counts = np.zeros((tree.tree_.node_count, len(schema.categories[c]) + 1))
                np.add.at(counts, (leaf, codes + 1), 1.0)
                step.tree, step.class_counts = tree, counts
            else:
                miss = np.isnan(y)
                if miss.any():
                    mt = self._classifier().fit(x, miss)
                    leaf = mt.apply(x)
                    n_nodes = mt.tree_.node_count
                    tot = np.bincount(leaf, minlength=n_nodes)
                    hit = np.bincount(leaf[miss], minlength=n_nodes)
                    step.missing_tree = mt
                    step.missing_rate = np.divide(hit, tot, out=np.zeros(n_nodes), where=tot > 0)
                ok = ~miss
                if ok.sum() >= 1:
                    tree = self._regressor().fit(x[ok], y[ok])
                    step.tree = tree
                    step.leaves = _Leaves.build(tree.apply(x[ok]), y[ok], tree.tree_.node_count)
            steps.append(step)
        self.steps_[order] = steps
        return steps

    def _classifier(self) -> DecisionTreeClassifier:
        return DecisionTreeClassifier(max_depth=self.max_depth, min_samples_leaf=self.min_samples_leaf,
                                      random_state=self.random_state)

    def _regressor(self) -> DecisionTreeRegressor:
        return DecisionTreeRegressor(max_depth=self.max_depth, min_samples_leaf=self.min_samples_leaf,
                                     random_state=self.random_state)

    # ------------------------------------------------------------------ sample
    def _sample(self, n, rng, conditions):
        t = check_temperature(self.temperature)
        schema = self.schema_
        conditions = conditions or {}
        if conditions:
            require_matches(int(condition_mask(self.rows_, conditions).sum()), conditions,
                            type(self).__name__)
        first = [c for c in schema.columns if c in conditions]
        order = tuple(first + [c for c in schema.columns if c not in conditions])
        steps = self._steps_for(order)
        index = {c: i for i, c in enumerate(schema.columns)}
        out = np.full((n, len(order)), np.nan)  # columns in visit order
        for pos, step in enumerate(steps):
            c = step.column
            if c in conditions:
                out[:, pos] = schema.categories[c].index(conditions[c])
                continue
            x = out[:, :pos]
            real = self.matrix_[:, index[c]]
            if step.kind == "categorical":
                if step.tree is None:  # marginal
                    codes = np.where(np.isnan(real), -1, real).astype(np.int64)
                    # one row, broadcast against the n uniform draws below
                    p = np.bincount(codes + 1, minlength=len(schema.categories[c]) + 1)[None, :]
                else:
                    p = step.class_counts[step.tree.apply(x)]
                p = sharpen(p, t)
                u = rng.random(n)[:, None]
                k = np.minimum((np.cumsum(p, axis=1) < u).sum(axis=1), p.shape[1] - 1)
                out[:, pos] = np.where(k == 0, np.nan, k - 1)
            else:
                if step.tree is None and step.leaves is None:  # marginal
                    vals = real[rng.integers(0, len(real), size=n)]
                    centre = np.nanmean(real)
                    out[:, pos] = centre + np.sqrt(t) * (vals - centre)
                    continue
                leaf = step.tree.apply(x)
                vals = step.leaves.draw(leaf, rng)
                centre = step.leaves.mean[leaf]
                vals = centre + np.sqrt(t) * (vals - centre)
                if step.missing_tree is not None:
                    rate = step.missing_rate[step.missing_tree.apply(x)]
                    vals = np.where(rng.random(n) < rate, np.nan, vals)
                out[:, pos] = vals
        cols: dict = {}
        for pos, c in enumerate(order):
            v = out[:, pos]
            if c in schema.numeric:
                cols[c] = v
            else:
                cols[c] = decode_codes(np.where(np.isnan(v), -1, v).astype(np.int64), c, schema)
        return build_frame(cols, schema)
