"""The generator contract shared by every family.

scikit-learn style: parameters are stored unchanged in ``__init__``; ``fit``
takes a Dataset (or a polars/pandas frame, whose schema is then inferred) and
returns ``self``; learned attributes end in ``_``; ``sample(n, random_state=None,
conditions=None)`` returns a polars frame with the schema's modelled columns and
dtypes. No global random state is touched: every draw comes from
``np.random.default_rng(random_state)``.

Subclasses implement ``_fit(features, schema)`` and ``_sample(n, rng, conditions)``.
A subclass that sets ``exact_conditions = True`` honours ``conditions`` itself;
otherwise the base class draws in rounds and keeps the rows that match
(rejection sampling), and says so clearly when a condition is too rare.
"""

from __future__ import annotations

from typing import Any, ClassVar, Mapping

import numpy as np
import polars as pl
from sklearn.base import BaseEstimator

from .._checks import check_int, check_random_state
from ..data import Dataset, Schema, as_dataset, conform
from ..errors import ConditionError, GeneratorError, NotFittedError, SchemaError
from .._categories import value_key
from ._columns import condition_expr, describe_conditions

MIN_FIT_ROWS = 2


class Generator(BaseEstimator):
    """Base class of synthkit generators (see the module docstring)."""

    #: short registry name, e.g. "copula"
    name: ClassVar[str] = "generator"
    #: one-line description shown in widgets and notebooks
    summary: ClassVar[str] = ""
    #: True when ``_sample`` honours ``conditions`` exactly (no rejection needed)
    exact_conditions: ClassVar[bool] = False
    #: names of ``__init__`` parameters a widget should offer as controls
    key_params: ClassVar[tuple[str, ...]] = ()
    #: True when the family can write (or copy) text columns
    writes_text: ClassVar[bool] = False

    # ------------------------------------------------------------------ public
    def fit(self, data: Dataset | Any) -> "Generator":
        ds = as_dataset(data)
        if len(ds) < MIN_FIT_ROWS:
            raise GeneratorError(
                f"{type(self).__name__} needs at least {MIN_FIT_ROWS} rows to fit; got {len(ds)}"
            )
        if ds.schema.text and not self.writes_text:
            from . import available  # the registry imports this module

            raise GeneratorError(
                f"{type(self).__name__} cannot write the text column(s) {list(ds.schema.text)}; use a "
                f"generator that writes text ({available(text=True)}), or leave the column(s) out "
                "(meta=[...] when loading)"
            )
        self.schema_: Schema = ds.schema
        self.n_rows_: int = len(ds)
        self._fit(ds.features, ds.schema)
        return self

    def sample(
        self,
        n: int,
        random_state: int | np.random.Generator | None = None,
        conditions: Mapping[str, Any] | None = None,
    ) -> pl.DataFrame:
        """``n`` synthetic rows (polars frame with the real rows' columns and dtypes)."""
        self._check_fitted()
        n = check_n(n)
        rng = np.random.default_rng(check_random_state(random_state))
        conditions = self._check_conditions(conditions)
        if conditions and not self.exact_conditions:
            out = self._rejection_sample(n, rng, conditions)
        else:
            out = self._sample(n, rng, conditions or None)
        return finalize(out, self.schema_, conditions)

    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "schema_")

    # ------------------------------------------------------------------ hooks
    def _fit(self, features: pl.DataFrame, schema: Schema) -> None:  # pragma: no cover
        raise NotImplementedError

    def _sample(self, n: int, rng: np.random.Generator, conditions: dict | None) -> pl.DataFrame:  # pragma: no cover
        raise NotImplementedError

    # ------------------------------------------------------------------ helpers
    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call .fit(dataset) before .sample()"
            )

    def _check_conditions(self, conditions: Mapping[str, Any] | None) -> dict:
        if not conditions:
            return {}
        if not isinstance(conditions, Mapping):
            raise ConditionError("conditions must be a dict such as {'species': 'Adelie'}")
        out = {}
        for col, value in conditions.items():
            if col not in self.schema_.columns:
                raise ConditionError(
                    f"cannot condition on {col!r}: not a column; columns are {list(self.schema_.columns)}"
                )
            if col not in self.schema_.categorical:
                raise ConditionError(
                    f"cannot condition on {self.schema_.kind(col)} column {col!r}; conditions take categorical "
                    f"columns ({list(self.schema_.categorical)})"
                )
            cats = self.schema_.categories.get(col, ())
            # matched by value like every category (True is not 1, 1 is 1.0); the category itself is kept
            by_key = {value_key(v): v for v in cats}
            key = value_key(value)
            if key is None or key not in by_key:
                raise ConditionError(
                    f"{col}={value!r} never occurs in the rows this generator was fitted on; "
                    f"choose one of {list(cats)}"
                )
            out[col] = by_key[key]
        return out

    def _rejection_sample(self, n: int, rng: np.random.Generator, conditions: dict) -> pl.DataFrame:
        kept: list[pl.DataFrame] = []
        have = 0
        drawn = 0
        batch = max(4 * n, 256)
        budget = max(200 * n, 20_000)
        mask_expr = condition_expr(conditions)
        while have < n and drawn < budget:
            rows = self._sample(batch, rng, None)
            drawn += batch
            hit = rows.filter(mask_expr)
            if hit.height:
                kept.append(hit)
                have += hit.height
        if have < n:
            rate = have / max(drawn, 1)
            cond = describe_conditions(conditions)
            raise ConditionError(
                f"{type(self).__name__} produced only {have} of {n} rows with {cond} in "
                f"{drawn} draws (acceptance {rate:.4%}); this combination is too rare for "
                "this generator: relax the conditions, ask for fewer rows, or use a "
                "generator with exact conditioning (cart, bootstrap)"
            )
        return pl.concat(kept).head(n)


def require_matches(count: int, conditions: Mapping[str, Any], who: str) -> None:
    """ConditionError when no fitted row meets every condition together."""
    if count == 0:
        raise ConditionError(
            f"{who} samples conditions from matching real rows, and no row it was fitted on has "
            f"{describe_conditions(conditions)} together; relax or change the conditions"
        )


def check_n(n: Any) -> int:
    """The number of rows to draw: a whole number from 1 to 10,000,000."""
    return check_int("n", n, minimum=1, maximum=10_000_000, hint=" (the number of rows to generate)",
                     error=GeneratorError)


def finalize(frame: pl.DataFrame, schema: Schema, conditions: Mapping[str, Any] | None = None) -> pl.DataFrame:
    """Make generated rows respect the schema.

    Columns in schema order; integer columns rounded; image pixels clipped to the
    real range; categorical values outside the real categories rejected; dtypes
    cast to the real ones.
    """
    missing = [c for c in schema.columns if c not in frame.columns]
    if missing:
        raise GeneratorError(f"generated rows lack column(s) {missing}; expected {list(schema.columns)}")
    exprs = []
    img = set(schema.image_columns)
    for c in schema.columns:
        e = pl.col(c)
        if c in schema.numeric:
            e = e.cast(pl.Float64)
            if c in img:
                lo, hi = schema.bounds[c]
                e = e.clip(lo, hi)
            if c in schema.integer:
                e = e.round(0)
            e = e.fill_nan(None)
        exprs.append(e.alias(c))
    out = frame.select(exprs)
    try:
        out = conform(out, schema, what="generated rows")
    except SchemaError as exc:
        raise GeneratorError(str(exc)) from None
    for c in schema.categorical:
        allowed = set(schema.categories.get(c, ()))
        vals = set(out[c].drop_nulls().unique().to_list())
        if not vals <= allowed:
            raise GeneratorError(
                f"generated column {c!r} holds values {sorted(map(str, vals - allowed))[:5]} that are not "
                "among the real categories"
            )
    return out


# ---------------------------------------------------------------- shared maths
def sharpen(p: np.ndarray, temperature: float) -> np.ndarray:
    """Category probabilities at a temperature: p**(1/t), renormalised.

    ``t = 1`` keeps ``p``; ``t < 1`` sharpens towards the most likely category;
    ``t > 1`` flattens. Works along the last axis.
    """
    check_temperature(temperature)
    p = np.asarray(p, dtype=float)
    if temperature == 1.0:
        return p / p.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore"):
        logp = np.log(np.clip(p, 0, None)) / temperature
    logp -= logp.max(axis=-1, keepdims=True)
    q = np.exp(logp)
    return q / q.sum(axis=-1, keepdims=True)


def check_temperature(temperature: Any) -> float:
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.floating)):
        raise GeneratorError(f"temperature must be a positive number, got {temperature!r}")
    if not np.isfinite(temperature) or temperature <= 0:
        raise GeneratorError(f"temperature={temperature!r} must be > 0 (1.0 = faithful, < 1 sharpens)")
    return float(temperature)


def null_rates(features: pl.DataFrame) -> dict[str, float]:
    h = max(features.height, 1)
    return {c: features[c].null_count() / h for c in features.columns}


def apply_nulls(frame: pl.DataFrame, rates: Mapping[str, float], rng: np.random.Generator,
                keep: Mapping[str, Any] | None = None) -> pl.DataFrame:
    """Blank out values at each column's real missing rate (independently)."""
    keep = keep or {}
    exprs = []
    for c, r in rates.items():
        if r <= 0 or c in keep or c not in frame.columns:
            continue
        mask = pl.Series(rng.random(frame.height) < r)
        exprs.append(pl.when(mask).then(None).otherwise(pl.col(c)).alias(c))
    return frame.with_columns(exprs) if exprs else frame


def fitted_params(gen: Generator) -> dict:
    """``get_params()`` made JSON-safe (objects become their repr, or their type name when the
    repr is the default one with a memory address, so batch ids do not change between sessions)."""
    out = {}
    for k, v in gen.get_params(deep=False).items():
        if v is None or isinstance(v, (bool, int, float, str)):
            out[k] = v
        elif isinstance(v, (list, tuple)) and all(isinstance(x, (bool, int, float, str)) for x in v):
            out[k] = list(v)
        else:
            text = repr(v)
            # a default repr holds a memory address: keep the type so batch ids stay stable
            out[k] = f"{type(v).__module__}.{type(v).__qualname__}" if " at 0x" in text else text
    return out
