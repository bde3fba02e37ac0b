"""External: plug any object with ``fit``/``sample`` into synthkit.

For example an SDV synthesizer, or a few lines of your own code. The wrapped
object is fitted on the real rows' modelled columns, as a polars frame if it
accepts one, else as a pandas frame (pandas is then imported; synthkit itself
does not need it). ``sample(n, random_state)`` passes a seed derived from
``random_state`` to the object's ``sample`` when its signature accepts
``random_state`` (or ``seed``); otherwise the object's own randomness decides
and the rows are not reproducible by seed (``seeded_`` says which). The rows it
returns must have exactly the schema's columns; they are then cast to the
schema like every other generator's rows. Conditions are met by rejection.
"""

from __future__ import annotations

import inspect
from typing import Any

import polars as pl

from ..data import Schema, to_polars
from ..errors import DataError, DependencyError, GeneratorError
from .base import Generator

_SEED_NAMES = ("random_state", "seed")


def _import_pandas() -> None:
    try:
        import pandas  # noqa: F401, PLC0415 - optional, only for objects that need it
    except ImportError:
        raise DependencyError(
            "the wrapped object does not accept a polars frame and pandas is not installed; "
            "run `pip install pandas` to pass it a pandas frame"
        ) from None


class External(Generator):
    """Wraps any object that has ``fit(frame)`` and ``sample(n)`` (an SDV synthesizer, your own model) so synthkit can use it like its own generators.

    synthkit hands it the real rows, checks the rows it returns against the
    real schema, and records it in batch provenance like any other generator.
    """

    writes_text = True  # copies or writes text columns
    name = "external"
    summary = "any object with fit/sample (for example an SDV synthesizer), checked against the schema"
    key_params = ()

    def __init__(self, obj: Any, name: str = "external"):
        self.obj = obj
        self.name = name

    def _fit(self, features: pl.DataFrame, schema: Schema) -> None:
        for method in ("fit", "sample"):
            if not callable(getattr(self.obj, method, None)):
                raise GeneratorError(
                    f"External needs an object with fit() and sample() methods; "
                    f"{type(self.obj).__name__} has no {method}()"
                )
        if not isinstance(self.name, str) or not self.name:
            raise GeneratorError(f"name={self.name!r} must be a non-empty string")
        try:
            self.obj.fit(features)
            self.frame_kind_ = "polars"
        except Exception as polars_exc:  # noqa: BLE001 - retried with pandas, then reported
            _import_pandas()
            try:
                self.obj.fit(features.to_pandas())
            except Exception as exc:  # noqa: BLE001
                raise GeneratorError(
                    f"{type(self.obj).__name__}.fit failed on a polars frame ({polars_exc!r}) "
                    f"and on a pandas frame ({exc!r})"
                ) from exc
            self.frame_kind_ = "pandas"
        self.seed_param_ = _seed_parameter(self.obj.sample)
        self.seeded_ = self.seed_param_ is not None

    def _sample(self, n, rng, conditions):
        kwargs = {}
        if self.seed_param_ is not None:
            kwargs[self.seed_param_] = int(rng.integers(0, 2**31 - 1))
        try:
            rows = self.obj.sample(n, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the object's own failure, named
            raise GeneratorError(f"{type(self.obj).__name__}.sample({n}) failed: {exc!r}") from exc
        try:
            rows = to_polars(rows)
        except DataError:
            raise GeneratorError(
                f"{type(self.obj).__name__}.sample returned {type(rows).__name__}; "
                "it must return a polars or pandas DataFrame"
            ) from None
        want = list(self.schema_.columns)
        missing = [c for c in want if c not in rows.columns]
        extra = [c for c in rows.columns if c not in want]
        if missing or extra:
            raise GeneratorError(
                f"{type(self.obj).__name__}.sample returned columns that differ from the real "
                f"schema: missing {missing}, extra {extra}; it must return exactly {want}"
            )
        if rows.height != n:
            raise GeneratorError(f"{type(self.obj).__name__}.sample({n}) returned {rows.height} rows")
        return rows


def _seed_parameter(method: Any) -> str | None:
    """The keyword the method takes a seed by (``random_state``/``seed``), or None."""
    try:
        params = inspect.signature(method).parameters
    except (TypeError, ValueError):
        return None
    for name in _SEED_NAMES:
        if name in params:
            return name
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return "random_state"
    return None


__all__ = ["External"]
