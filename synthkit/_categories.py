"""Category coding: the one place where categorical values become integer codes.

Every part of synthkit that handles a categorical column (the Encoder, the
generators, every metric) turns it into codes with :func:`category_codes`, so
they all agree on which values are "the same category".

Values are matched **by value**, never through their text:

- a boolean ``True`` matches the level ``True`` (not the text ``"True"``
  or ``"true"``), and never the number ``1``;
- numbers match numerically: the integer ``1`` and the float ``1.0`` are one
  category (Python's ``1 == 1.0``);
- text is matched exactly: ``"a"`` and ``"A"`` are two categories;
- polars ``Categorical`` / ``Enum`` columns (and pandas categoricals) are
  matched by their labels.

Codes: ``0 .. len(levels) - 1`` for the levels, :data:`MISSING` (``-1``) for a
missing value (null, or a float NaN), :data:`UNSEEN` (``-2``) for a present value
that is not among the levels. Missing and unseen never share a code.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Sequence

import numpy as np
import polars as pl

from .errors import DataError

__all__ = ["MISSING", "UNSEEN", "aligned_key_counts", "as_series", "category_codes", "category_counts",
           "category_levels", "key_counts", "merge_key_counts", "value_key"]

#: code of a missing value (null or NaN)
MISSING = -1
#: code of a present value that is not among the levels
UNSEEN = -2


def value_key(v: Any) -> Any:
    """The hashable identity of a category value (``None`` for missing).

    Booleans, numbers and text are kept apart by a tag, so ``True`` never
    equals ``1`` and ``1`` never equals ``"1"``; within numbers ``1 == 1.0``.
    """
    if v is None:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, bool):
        return ("b", v)
    if isinstance(v, (int, float)):
        if isinstance(v, float) and math.isnan(v):
            return None
        return ("n", v)
    if isinstance(v, str):
        return ("s", v)
    try:
        hash(v)
    except TypeError:
        return ("r", repr(v))
    return ("o", v)


def _sort_key(k: Any) -> tuple:
    tag, v = k
    if tag == "n":
        return (tag, v, "")
    if tag == "b":
        return (tag, int(v), "")
    return (tag, 0, v if isinstance(v, str) else repr(v))


def as_series(x: Any, name: str = "x") -> pl.Series:
    """Any column-like input as a polars Series whose missing values are null.

    Accepts a polars or pandas Series, a numpy array or a list (a frame is a
    ``DataError`` naming ``name``). Float NaN
    becomes null; ``Categorical``/``Enum`` columns become their text labels;
    a list of mixed types becomes an object Series (matched value by value).
    """
    if isinstance(x, pl.Series):
        s = x
    elif isinstance(x, (pl.DataFrame, pl.LazyFrame)) or type(x).__name__ == "DataFrame":
        raise DataError(
            f"{name} must be one column (a polars or pandas Series, a numpy array or a list), "
            f"got a {type(x).__name__}; pass one of its columns, e.g. frame[{'column'!r}]"
        )
    elif type(x).__module__.startswith("pandas"):
        try:
            s = pl.from_pandas(x, nan_to_null=True)
        except Exception:  # noqa: BLE001 - mixed pandas objects: handled value by value below
            s = _from_values(list(np.asarray(x, dtype=object).ravel()), name)
    else:
        s = _from_values(list(np.asarray(x, dtype=object).ravel()), name)
    if isinstance(s.dtype, (pl.Categorical, pl.Enum)):
        s = s.cast(pl.String)
    if s.dtype.is_float():
        s = s.fill_nan(None)
    return s


def _from_values(values: list, name: str) -> pl.Series:
    values = [None if value_key(v) is None else (v.item() if isinstance(v, np.generic) else v) for v in values]
    kinds = {type(v) for v in values if v is not None}
    if len(kinds) <= 1 or kinds <= {int, float}:
        try:
            return pl.Series(name, values, strict=False if kinds <= {int, float} else True)
        except Exception:  # noqa: BLE001 - fall back to matching value by value
            pass
    return pl.Series(name, values, dtype=pl.Object)


def category_levels(*columns: Any) -> list:
    """The distinct non-missing values of the columns (matched by value), sorted.

    Numbers sort numerically, text alphabetically; booleans, numbers and text
    are kept in separate groups. ``1`` and ``1.0`` give one level (the first seen).
    """
    seen: dict = {}
    for col in columns:
        s = as_series(col)
        vals = s.drop_nulls().unique(maintain_order=True).to_list() if s.dtype != pl.Object else s.to_list()
        for v in vals:
            k = value_key(v)
            if k is not None and k not in seen:
                seen[k] = v
    return [seen[k] for k in sorted(seen, key=_sort_key)]


def category_codes(series: Any, levels: Sequence | Iterable) -> np.ndarray:
    """Integer codes (``int64``) of a column over ``levels``, matched by value.

    ``i`` for ``levels[i]``, :data:`MISSING` (-1) for null/NaN, :data:`UNSEEN` (-2)
    for a value not among ``levels``. See the module docstring for what matches.
    """
    s = as_series(series)
    lookup: dict = {}
    for i, v in enumerate(levels):
        k = value_key(v)
        if k is not None:
            lookup.setdefault(k, i)
    if s.dtype == pl.Object:
        return np.array([MISSING if (k := value_key(v)) is None else lookup.get(k, UNSEEN) for v in s.to_list()],
                        dtype=np.int64)
    missing = s.is_null().to_numpy()
    uniq = s.drop_nulls().unique()
    if uniq.len() == 0:
        out = np.full(s.len(), UNSEEN, dtype=np.int64)
    else:
        ucodes = pl.Series([lookup.get(value_key(v), UNSEEN) for v in uniq.to_list()], dtype=pl.Int64)
        out = s.replace_strict(uniq, ucodes, default=UNSEEN, return_dtype=pl.Int64).to_numpy().astype(np.int64)
    out[missing] = MISSING
    return out


def key_counts(x: Any, name: str = "x") -> dict:
    """Each category's count, keyed by :func:`value_key` (``None`` = missing): ``{key: [value, count]}``.

    ``value`` is the first value seen with that key. Counts of several parts of
    a column merge with :func:`merge_key_counts` (sums, in any order).
    """
    s = as_series(x, name)
    out: dict = {}
    if s.dtype == pl.Object:
        pairs = ((v, 1) for v in s.to_list())
    else:
        vc = s.rename("v").value_counts(name="n")
        pairs = zip(vc["v"].to_list(), vc["n"].to_list())
    for v, n in pairs:
        k = value_key(v)
        entry = out.get(k)
        if entry is None:
            out[k] = [None if k is None else v, int(n)]
        else:
            entry[1] += int(n)
    return out


def merge_key_counts(*counts: dict) -> dict:
    """The sum of several :func:`key_counts` (the first value seen with a key is kept)."""
    out: dict = {}
    for d in counts:
        for k, (v, n) in d.items():
            entry = out.get(k)
            if entry is None:
                out[k] = [v, n]
            else:
                entry[1] += n
    return out


def aligned_key_counts(a: dict, b: dict) -> tuple[list, np.ndarray, np.ndarray]:
    """Two :func:`key_counts` aligned: the categories of both (sorted as :func:`category_levels`,
    the value of ``a`` first, then ``None`` for missing if either side has a missing value)
    and both count arrays."""
    keys = sorted({k for k in (*a, *b) if k is not None}, key=_sort_key)
    values = [(a.get(k) or b.get(k))[0] for k in keys]
    if None in a or None in b:
        keys.append(None)
        values.append(None)
    ca = np.array([a.get(k, (None, 0))[1] for k in keys], dtype=np.int64)
    cb = np.array([b.get(k, (None, 0))[1] for k in keys], dtype=np.int64)
    return values, ca, cb


def category_counts(a: Any, b: Any, names: tuple[str, str] = ("a", "b")) -> tuple[list, np.ndarray, np.ndarray]:
    """Both sides' count of each category: the categories of both (matched by value,
    sorted as :func:`category_levels`, then ``None`` for missing if either side has
    a missing value) and two aligned count arrays. ``names`` name ``a`` and ``b`` in errors."""
    return aligned_key_counts(key_counts(a, names[0]), key_counts(b, names[1]))
