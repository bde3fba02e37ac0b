"""Datasets: the embedded seed sets, the user's own files, and their schema.

A :class:`Dataset` is a polars frame with a stable ``row_id`` column (``real:<n>``)
plus a :class:`Schema` that says what each column is: numeric, categorical or
text, integer or not, the target, the sensitive columns, and for image data the image
shape. Everything else in synthkit takes a Dataset (or a frame it turns into one).
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import os
import warnings
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import polars as pl

from ._categories import MISSING, UNSEEN, category_codes  # noqa: F401 - the one category coding
from ._checks import check_int, check_path, check_sequence
from .errors import DataError, SchemaError, SynthkitWarning

ROW_ID = "row_id"
DATA_DIR_ENV = "SYNTHKIT_DATA"
DATASETS = ("penguins", "digits", "adult", "shakespeare")
#: the embedded datasets with a text column
TEXT_DATASETS = ("shakespeare",)

_NUMERIC_DTYPES = (
    pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64,
    pl.Float32, pl.Float64,
)
_CATEGORICAL_DTYPES = (pl.String, pl.Categorical, pl.Enum, pl.Boolean)
# Integer targets with at most this many distinct values are treated as classes.
MAX_CLASSES_FOR_INT_TARGET = 20


# --------------------------------------------------------------------------- schema
@dataclass(frozen=True)
class Schema:
    """What each column of a dataset is.

    ``columns`` lists the modelled columns in frame order. Each is either in
    ``numeric`` (``integer`` marks the numeric ones that hold whole numbers) or in
    ``categorical`` (``categories`` keeps their real values, in a stable order) or
    in ``text`` (free text: one document per cell, never one-hot encoded).
    ``meta`` columns travel with real rows but are never modelled or generated.
    ``dtypes`` keeps each modelled column's polars dtype as a string, so generated
    rows come back with the same dtypes. ``bounds`` keeps numeric (min, max).
    """

    columns: tuple[str, ...]
    numeric: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()
    integer: tuple[str, ...] = ()
    target: str | None = None
    sensitive: tuple[str, ...] = ()
    meta: tuple[str, ...] = ()
    image_shape: tuple[int, int] | None = None
    image_columns: tuple[str, ...] = ()
    categories: Mapping[str, tuple] = field(default_factory=dict)
    dtypes: Mapping[str, str] = field(default_factory=dict)
    bounds: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    text: tuple[str, ...] = ()

    def kind(self, column: str) -> str:
        """``"numeric"``, ``"categorical"`` or ``"text"`` (``SchemaError`` for other names)."""
        if column in self.numeric:
            return "numeric"
        if column in self.categorical:
            return "categorical"
        if column in self.text:
            return "text"
        raise SchemaError(
            f"column {column!r} is not a modelled column of this schema; "
            f"known columns: {list(self.columns)}"
        )

    @property
    def task(self) -> str | None:
        """``"classification"``, ``"regression"`` or ``None`` (no target)."""
        if self.target is None:
            return None
        return "classification" if self.target in self.categorical else "regression"

    def polars_dtype(self, column: str) -> pl.DataType:
        return _dtype_from_str(self.dtypes[column])

    def to_dict(self) -> dict:
        """JSON-safe form (stored in workspaces; never pickled)."""
        return {
            "columns": list(self.columns),
            "numeric": list(self.numeric),
            "categorical": list(self.categorical),
            "integer": list(self.integer),
            "target": self.target,
            "sensitive": list(self.sensitive),
            "meta": list(self.meta),
            "image_shape": list(self.image_shape) if self.image_shape else None,
            "image_columns": list(self.image_columns),
            "categories": {k: list(v) for k, v in self.categories.items()},
            "dtypes": dict(self.dtypes),
            "bounds": {k: list(v) for k, v in self.bounds.items()},
            "text": list(self.text),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Schema":
        try:
            return cls(
                columns=tuple(d["columns"]),
                numeric=tuple(d["numeric"]),
                categorical=tuple(d["categorical"]),
                integer=tuple(d["integer"]),
                target=d["target"],
                sensitive=tuple(d["sensitive"]),
                meta=tuple(d["meta"]),
                image_shape=tuple(d["image_shape"]) if d["image_shape"] else None,
                image_columns=tuple(d["image_columns"]),
                categories={k: tuple(v) for k, v in d["categories"].items()},
                dtypes=dict(d["dtypes"]),
                bounds={k: tuple(v) for k, v in d["bounds"].items()},
                text=tuple(d.get("text", ())),  # absent in schemas stored before text columns
            )
        except (KeyError, TypeError) as exc:
            raise SchemaError(f"stored schema is incomplete or malformed ({exc!r})") from None

    def _repr_lines(self) -> list[str]:
        lines = [f"Schema: {len(self.columns)} columns"]
        for c in self.columns:
            kind = self.kind(c)
            extra = []
            if c in self.integer:
                extra.append("integer")
            if kind == "categorical":
                extra.append(f"{len(self.categories.get(c, ()))} categories")
            if c == self.target:
                extra.append("target")
            if c in self.sensitive:
                extra.append("sensitive")
            lines.append(f"  {c}: {kind}" + (f" ({', '.join(extra)})" if extra else ""))
        if self.image_shape:
            lines.append(f"  image shape {self.image_shape[0]}x{self.image_shape[1]}")
        if self.meta:
            lines.append(f"  meta (not modelled): {', '.join(self.meta)}")
        return lines

    def __repr__(self) -> str:  # pragma: no cover - cosmetic
        if len(self.columns) > 20:
            return (
                f"Schema({len(self.numeric)} numeric, {len(self.categorical)} categorical, "
                f"target={self.target!r}, sensitive={list(self.sensitive)}, "
                f"image_shape={self.image_shape})"
            )
        return "\n".join(self._repr_lines())


def _dtype_from_str(s: str) -> pl.DataType:
    table = {
        "Int8": pl.Int8, "Int16": pl.Int16, "Int32": pl.Int32, "Int64": pl.Int64,
        "UInt8": pl.UInt8, "UInt16": pl.UInt16, "UInt32": pl.UInt32, "UInt64": pl.UInt64,
        "Float32": pl.Float32, "Float64": pl.Float64, "String": pl.String,
        "Boolean": pl.Boolean,
    }
    if s not in table:
        raise SchemaError(f"unsupported stored dtype {s!r}")
    return table[s]


def _dtype_to_str(dtype: pl.DataType) -> str:
    if isinstance(dtype, (pl.Categorical, pl.Enum)) or dtype == pl.Categorical:
        return "String"
    return str(dtype.base_type()) if hasattr(dtype, "base_type") else str(dtype)


# --------------------------------------------------------------------------- dataset
class RowsMixin:
    """What real and synthetic row sets share: a ``frame`` with ``row_id`` and a ``schema``."""

    frame: pl.DataFrame
    schema: Schema

    def __len__(self) -> int:
        return self.frame.height

    @property
    def features(self) -> pl.DataFrame:
        """The modelled columns only (no ``row_id``, no meta columns)."""
        return self.frame.select(self.schema.columns)

    @property
    def row_ids(self) -> pl.Series:
        return self.frame[ROW_ID]


@dataclass(frozen=True)
class Dataset(RowsMixin):
    """A real seed dataset: ``frame`` (with ``row_id`` first) and its ``schema``."""

    name: str
    frame: pl.DataFrame
    schema: Schema

    @cached_property
    def fingerprint(self) -> str:
        """A content hash of the modelled columns and schema (for caches)."""
        return frame_fingerprint(self.features, extra=json.dumps(self.schema.to_dict(), sort_keys=True))

    def subset(self, rows: pl.DataFrame | Sequence[str] | pl.Series, name: str | None = None) -> "Dataset":
        """The same dataset restricted to some rows (a frame of them, or row ids)."""
        if isinstance(rows, pl.DataFrame):
            frame = rows
        else:
            ids = pl.Series(ROW_ID, list(rows), dtype=pl.String)
            frame = self.frame.filter(pl.col(ROW_ID).is_in(ids.implode()))
        if frame.height == 0:
            raise DataError(f"subset of {self.name!r} is empty; pick at least 2 rows")
        return Dataset(name or self.name, frame, self.schema)

    def split(self, frac: float = 0.5, random_state: int | None = 0) -> tuple["Dataset", "Dataset"]:
        """Two disjoint random parts (e.g. training rows and a holdout)."""
        if not 0.0 < frac < 1.0:
            raise DataError(f"frac={frac!r} must be strictly between 0 and 1")
        rng = np.random.default_rng(random_state)
        perm = rng.permutation(self.frame.height)
        cut = int(round(frac * self.frame.height))
        if cut < 1 or cut >= self.frame.height:
            raise DataError(f"cannot split {self.frame.height} rows at frac={frac}; need more rows")
        a = self.frame[np.sort(perm[:cut])]
        b = self.frame[np.sort(perm[cut:])]
        return Dataset(self.name, a, self.schema), Dataset(f"{self.name}-holdout", b, self.schema)

    def sample(self, n: int, random_state: int | None = 0, replace: bool = False) -> "Dataset":
        """``n`` random real rows (row ids kept)."""
        if n < 1:
            raise DataError(f"n={n} must be at least 1")
        if n > len(self) and not replace:
            raise DataError(f"asked for {n} rows of {self.name!r}, which has {len(self)}; pass replace=True")
        rng = np.random.default_rng(random_state)
        idx = np.sort(rng.choice(len(self), size=n, replace=replace))
        return Dataset(self.name, self.frame[idx], self.schema)

    def with_schema(self, **changes: Any) -> "Dataset":
        """The same rows with schema fields changed (e.g. ``target=...``)."""
        return Dataset(self.name, self.frame, replace(self.schema, **changes))

    def _repr_html_(self) -> str:  # pragma: no cover - cosmetic
        head = self.frame.head(5)._repr_html_()  # polars escapes names and values
        esc = html.escape
        return (
            f"<b>{esc(str(self.name))}</b>: {len(self):,} rows, {len(self.schema.numeric)} numeric"
            + (", " if self.schema.text else " and ")
            + f"{len(self.schema.categorical)} categorical"
            + (f" and {len(self.schema.text)} text" if self.schema.text else "")
            + " columns; target "
            f"<code>{esc(str(self.schema.target))}</code>, sensitive "
            f"<code>{esc(', '.join(map(str, self.schema.sensitive)) or '-')}</code>{head}"
        )

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, {len(self)} rows, {len(self.schema.numeric)} numeric, "
            f"{len(self.schema.categorical)} categorical, "
            + (f"{len(self.schema.text)} text, " if self.schema.text else "")
            + f"target={self.schema.target!r}, "
            f"sensitive={list(self.schema.sensitive)})"
        )


def frame_fingerprint(frame: pl.DataFrame, extra: str = "") -> str:
    """A stable content hash of a frame (column names, dtypes and values)."""
    h = hashlib.sha256()
    h.update(json.dumps([[c, str(t)] for c, t in frame.schema.items()]).encode())
    for c in frame.columns:
        s = frame[c]
        if s.dtype == pl.String:
            h.update("\x1f".join("\x00" if v is None else v for v in s.to_list()).encode())
        else:
            h.update(s.is_null().to_numpy().tobytes())
            h.update(s.fill_null(0).to_numpy().tobytes())
    h.update(str(frame.height).encode())
    h.update(extra.encode())
    return h.hexdigest()[:16]


# --------------------------------------------------------------------------- building
def infer_schema(
    frame: pl.DataFrame,
    *,
    target: str | None = None,
    sensitive: Iterable[str] | str | None = None,
    categorical: Iterable[str] | str | None = None,
    meta: Iterable[str] | str | None = None,
    image_shape: tuple[int, int] | None = None,
    image_columns: Iterable[str] | None = None,
    text: Iterable[str] | str | None = None,
) -> Schema:
    """Decide each column's kind and check that the frame can be modelled.

    Strings, booleans and categoricals are categorical unless named in ``text``
    (free text); numbers are numeric unless named in ``categorical`` (an integer
    target with at most 20 distinct values is treated as classes). ``row_id`` and
    ``meta`` columns are kept aside.
    """
    sensitive = _as_tuple(sensitive, "sensitive")
    categorical = _as_tuple(categorical, "categorical")
    meta = _as_tuple(meta, "meta")
    text = _as_tuple(text, "text")
    if target is not None and not isinstance(target, str):
        raise DataError(f"target={target!r} must be a column name (a string) or None")
    if frame.width == 0 or frame.height == 0:
        raise DataError(
            f"the frame is empty ({frame.height} rows, {frame.width} columns); "
            "give at least 2 rows and 1 column"
        )
    names = [c for c in frame.columns if c != ROW_ID]
    for group, label in ((sensitive, "sensitive"), (categorical, "categorical"), (meta, "meta"),
                         (text, "text")):
        missing = [c for c in group if c not in names]
        if missing:
            raise SchemaError(f"{label} column(s) {missing} not in the frame; columns are {names}")
    if target is not None and target not in names:
        raise SchemaError(f"target column {target!r} not in the frame; columns are {names}")
    if target is not None and target in meta:
        raise SchemaError(f"target column {target!r} cannot also be a meta column")
    for label, group in (("categorical", categorical), ("meta", meta), ("sensitive", sensitive)):
        both = [c for c in text if c in group]
        if both:
            raise SchemaError(f"column(s) {both} are named both in text and in {label}; name each once")
    if target is not None and target in text:
        raise SchemaError(f"target column {target!r} is a text column; a target must be a label or a number")
    columns = tuple(c for c in names if c not in meta)
    if not columns:
        raise DataError("every column is a meta column; leave at least one column to model")

    numeric, cats, integer = [], [], []
    categories: dict[str, tuple] = {}
    dtypes: dict[str, str] = {}
    bounds: dict[str, tuple[float, float]] = {}
    for c in text:  # a text column gets its own message (holds no text, wrong dtype, too long)
        _check_text_column(c, frame[c])
    all_null = [c for c in columns if frame[c].null_count() == frame.height]
    if all_null:
        raise DataError(
            f"column(s) {all_null} hold only missing values; drop them "
            f"(frame.drop({all_null!r})) or fill them before using synthkit"
        )
    texts = []
    for c in columns:
        s = frame[c]
        dt = s.dtype
        if c in text:
            dtypes[c] = _dtype_to_str(pl.String)
            texts.append(c)
            continue
        is_num = isinstance(dt, _NUMERIC_DTYPES) or dt in _NUMERIC_DTYPES
        is_cat = isinstance(dt, _CATEGORICAL_DTYPES) or dt in _CATEGORICAL_DTYPES
        if not (is_num or is_cat):
            raise DataError(
                f"column {c!r} has dtype {dt}, which synthkit cannot model; cast it to a "
                f"number or a string (e.g. pl.col({c!r}).cast(pl.String)), or pass it as meta"
            )
        as_cat = is_cat or c in categorical or (
            c == target and s.dtype.is_integer() and s.n_unique() <= MAX_CLASSES_FOR_INT_TARGET
        )
        if isinstance(dt, (pl.Categorical, pl.Enum)):
            s = s.cast(pl.String)
        dtypes[c] = _dtype_to_str(dt)
        if as_cat and s.dtype == pl.String:
            _refuse_text_as_category(c, s, named=c in categorical or c == target)
        if as_cat:
            cats.append(c)
            categories[c] = tuple(s.drop_nulls().unique().sort().to_list())
        else:
            f = s.cast(pl.Float64)
            bad = int((f.is_nan() | f.is_infinite()).sum())
            if bad:
                raise DataError(
                    f"column {c!r} has {bad} NaN or infinite value(s); replace them with null "
                    f"(pl.col({c!r}).fill_nan(None)) or finite numbers"
                )
            mx = float(f.abs().max())
            if mx > 1e15:
                raise DataError(
                    f"column {c!r} holds values as large as {mx:.3g}; rescale it "
                    "(e.g. to thousands or a log scale) before using synthkit"
                )
            numeric.append(c)
            if dt.is_integer():
                integer.append(c)
            bounds[c] = (float(f.min()), float(f.max()))
    if target is not None:
        if frame[target].null_count() == frame.height:
            raise DataError(f"target column {target!r} holds only missing values")
        if frame[target].drop_nulls().n_unique() < 2:
            raise DataError(
                f"target column {target!r} has a single value; a target needs at least 2 "
                "distinct values (pick another target or pass target=None)"
            )
    for c in sensitive:
        if c not in cats:
            raise SchemaError(
                f"sensitive column {c!r} must be categorical (groups); pass it in categorical=[...]"
            )
    img_cols = tuple(image_columns or ())
    if image_shape is not None and len(img_cols) != image_shape[0] * image_shape[1]:
        raise SchemaError(f"image_shape {image_shape} needs {image_shape[0] * image_shape[1]} image columns")
    return Schema(
        columns=columns,
        numeric=tuple(numeric),
        categorical=tuple(cats),
        integer=tuple(integer),
        target=target,
        sensitive=sensitive,
        meta=meta,
        image_shape=tuple(image_shape) if image_shape else None,
        image_columns=img_cols,
        categories=categories,
        dtypes=dtypes,
        bounds=bounds,
        text=tuple(texts),
    )


#: the longest document a text column may hold, in characters
MAX_TEXT_CHARS = 100_000
#: a string column looks like free text when it has at least this many values ...
TEXT_MIN_VALUES = 20
#: ... more than this share of them distinct ...
TEXT_MIN_DISTINCT = 0.5
#: ... and a median of at least this many words
TEXT_MIN_WORDS = 5


class LooksLikeTextWarning(SynthkitWarning):
    """A string column was taken as categorical although it looks like free text."""


def looks_like_text(s: pl.Series) -> str | None:
    """Why a string column looks like free text (``None`` if it does not).

    It does when it has at least ``TEXT_MIN_VALUES`` values, more than half of
    them distinct, with a median of at least ``TEXT_MIN_WORDS`` words: one-hot
    coding it would give almost every document its own category.
    """
    if s.dtype != pl.String:
        return None
    v = s.drop_nulls()
    if v.len() < TEXT_MIN_VALUES:
        return None
    distinct = v.n_unique()
    words = v.str.strip_chars().str.split(" ").list.len().median()
    if distinct > TEXT_MIN_DISTINCT * v.len() and words is not None and words >= TEXT_MIN_WORDS:
        return f"{distinct:,} of its {v.len():,} values are distinct, with a median of {words:g} words"
    return None


def _refuse_text_as_category(c: str, s: pl.Series, *, named: bool) -> None:
    """A free-text column named as categorical is an error; one inferred as categorical, a warning."""
    why = looks_like_text(s)
    if why is None:
        return
    fix = (f"pass it as text (text=[{c!r}]) so each document is embedded, or as meta (meta=[{c!r}]) "
           "to carry it along unmodelled")
    if named:
        raise SchemaError(
            f"column {c!r} is named as a category (categorical= or target=) but looks like free text: "
            f"{why}, so one-hot coding would give almost every document its own category; {fix}"
        )
    warnings.warn(
        f"column {c!r} looks like free text ({why}) but is treated as categorical, where almost every "
        f"document is its own category; {fix}", LooksLikeTextWarning, stacklevel=4,
    )


def _check_text_column(c: str, s: pl.Series) -> None:
    """A text column holds strings (some may be missing), none of them huge."""
    if s.dtype not in (pl.String, pl.Categorical) and not isinstance(s.dtype, (pl.Categorical, pl.Enum)):
        raise DataError(
            f"text column {c!r} has dtype {s.dtype}; a text column holds strings "
            f"(cast it with pl.col({c!r}).cast(pl.String), or do not name it in text=)"
        )
    s = s.cast(pl.String)
    if s.drop_nulls().str.strip_chars().str.len_chars().sum() == 0:
        raise DataError(
            f"text column {c!r} holds no text (every value is missing or blank); fill it, or drop it "
            f"and leave it out of text="
        )
    longest = s.str.len_chars().max()
    if longest is not None and longest > MAX_TEXT_CHARS:
        raise DataError(
            f"text column {c!r} holds a document of {longest:,} characters; synthkit takes "
            f"documents up to {MAX_TEXT_CHARS:,} characters: split long documents into "
            "paragraphs or sentences, one per row"
        )


def from_frame(
    frame: Any,
    name: str = "data",
    *,
    target: str | None = None,
    sensitive: Iterable[str] | str | None = None,
    categorical: Iterable[str] | str | None = None,
    meta: Iterable[str] | str | None = None,
    image_shape: tuple[int, int] | None = None,
    image_columns: Iterable[str] | None = None,
    min_rows: int = 2,
    text: Iterable[str] | str | None = None,
) -> Dataset:
    """Turn a polars or pandas frame into a :class:`Dataset` (``row_id`` added if absent)."""
    if not isinstance(name, str) or not name.strip():
        raise DataError(f"name={name!r} must be a non-empty string naming the dataset, e.g. 'patients'")
    min_rows = check_int("min_rows", min_rows, minimum=1)
    frame = to_polars(frame)
    bad_names = [c for c in frame.columns if not isinstance(c, str)]
    if bad_names:
        raise DataError(f"column names must be strings; rename column(s) {bad_names[:5]} "
                        "(e.g. frame.columns = [str(c) for c in frame.columns])")
    if frame.height < min_rows:
        raise DataError(
            f"{name!r} has {frame.height} row(s); synthkit needs at least {min_rows} real rows "
            "to learn anything from"
        )
    if len(set(frame.columns)) != frame.width:
        raise DataError("column names must be unique")
    frame = _cast_categoricals(frame)
    schema = infer_schema(
        frame, target=target, sensitive=sensitive, categorical=categorical, meta=meta,
        image_shape=image_shape, image_columns=image_columns, text=text,
    )
    if schema.text:
        frame = frame.with_columns(pl.col(list(schema.text)).cast(pl.String))
    frame = with_row_ids(frame, "real", keep_existing=True, what=f"the {name!r}")
    return Dataset(name, frame, schema)


def with_row_ids(frame: pl.DataFrame, prefix: str, *, offset: int = 0, keep_existing: bool = False,
                 what: str = "the") -> pl.DataFrame:
    """Prepend ``row_id`` = ``<prefix>:<n>`` (n = offset, offset + 1, ...).

    With ``keep_existing`` a ``row_id`` column already present is kept (moved
    first) after checking it holds unique, non-null strings (``DataError``
    naming ``what`` rows otherwise); without it, it is replaced.
    """
    if keep_existing and ROW_ID in frame.columns:
        ids = frame[ROW_ID]
        if ids.dtype != pl.String or ids.null_count() or ids.n_unique() != frame.height:
            raise DataError(f"column {ROW_ID!r} of {what} rows must hold unique, non-null strings; "
                            f"drop it to have synthkit number the rows")
        return frame.select(ROW_ID, pl.all().exclude(ROW_ID))
    n = pl.int_range(pl.len(), dtype=pl.Int64) + offset if offset else pl.int_range(pl.len())
    ids = pl.concat_str([pl.lit(f"{prefix}:"), n.cast(pl.String)])
    return frame.select(ids.alias(ROW_ID), pl.all().exclude(ROW_ID))


def to_polars(frame: Any) -> pl.DataFrame:
    """Accept polars, pandas or anything with ``.frame`` (Dataset, Batch)."""
    if hasattr(frame, "frame") and isinstance(getattr(frame, "frame"), pl.DataFrame):
        return frame.frame
    if isinstance(frame, pl.DataFrame):
        return frame
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    mod = type(frame).__module__
    if mod.startswith("pandas"):
        try:
            return pl.from_pandas(frame)
        except Exception as exc:  # noqa: BLE001 - re-raised with a clear message
            raise DataError(f"could not convert the pandas frame to polars: {exc}{_pandas_culprit(frame)}") from None
    raise DataError(
        f"expected a synthkit Dataset, a Batch, or a polars/pandas DataFrame, got {type(frame).__name__}"
    )


def _pandas_culprit(frame: Any) -> str:
    """`` (column 'x' mixes str and int ...)`` for the first pandas column polars cannot take."""
    for c in getattr(frame, "columns", []):
        try:
            pl.from_pandas(frame[[c]])
        except Exception:  # noqa: BLE001
            kinds = sorted({type(v).__name__ for v in frame[c].dropna().head(10_000)})
            return (f"; column {c!r} mixes value types ({', '.join(kinds)}): make it one type, e.g. "
                    f"frame[{c!r}] = frame[{c!r}].astype(str) for text")
    return ""


def _cast_categoricals(frame: pl.DataFrame) -> pl.DataFrame:
    casts = [
        pl.col(c).cast(pl.String)
        for c, t in frame.schema.items()
        if isinstance(t, (pl.Categorical, pl.Enum))
    ]
    return frame.with_columns(casts) if casts else frame


def _as_tuple(x: Iterable[str] | str | None, name: str = "columns") -> tuple[str, ...]:
    """Column names given as one name, a list of names or None (``DataError`` naming ``name`` otherwise)."""
    if x is None:
        return ()
    if isinstance(x, str):
        return (x,)
    return check_sequence(name, x, item=str, what="column names (strings)")


def as_dataset(data: Any, name: str = "data") -> Dataset:
    """A Dataset as it is; a Batch or frame becomes one with an inferred schema."""
    if isinstance(data, Dataset):
        return data
    schema = getattr(data, "schema", None)
    if isinstance(schema, Schema) and isinstance(getattr(data, "frame", None), pl.DataFrame):
        return Dataset(getattr(data, "id", name), data.frame, schema)
    return from_frame(data, name)


def conform(frame: Any, schema: Schema, *, what: str = "frame") -> pl.DataFrame:
    """Check ``frame`` has the schema's modelled columns with usable dtypes.

    Returns the modelled columns (plus ``row_id`` if present) cast to the schema's
    dtypes. Missing columns, values that cannot be cast, and a text column that
    holds anything but strings raise ``SchemaError``.
    """
    frame = _cast_categoricals(to_polars(frame))
    missing = [c for c in schema.columns if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"{what} lacks column(s) {missing} of the schema; it has {frame.columns}"
        )
    cols = ([ROW_ID] if ROW_ID in frame.columns else []) + list(schema.columns)
    out = frame.select(cols)
    not_text = [c for c in schema.text if out[c].dtype not in (pl.String, pl.Null)]
    if not_text:
        raise SchemaError(
            f"{what}: text column(s) {not_text} hold {[str(out[c].dtype) for c in not_text]} values, not "
            "text; a text column holds strings (one document per cell): check that the columns were not "
            "swapped or parsed as numbers (read a CSV with schema_overrides={...: pl.String})"
        )
    casts = []
    for c in schema.columns:
        want = schema.polars_dtype(c)
        if out[c].dtype != want:
            casts.append(pl.col(c).cast(want, strict=True))
    if casts:
        try:
            out = out.with_columns(casts)
        except Exception as exc:  # noqa: BLE001
            raise SchemaError(f"{what}: could not cast columns to the schema's dtypes ({exc})") from None
    return out


# --------------------------------------------------------------------------- files
def data_dir() -> Path:
    """The folder holding the embedded datasets (``$SYNTHKIT_DATA`` overrides)."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "data"


def load(name: str) -> Dataset:
    """One of the embedded seed datasets: ``"penguins"``, ``"digits"``, ``"adult"`` or ``"shakespeare"``.

    - penguins: 344 rows, mixed numeric/categorical with missing values;
      target ``species``, sensitive ``sex``.
    - digits: scikit-learn's 1,797 8x8 handwritten digits, 64 pixel columns
      ``px_<row>_<col>`` (0-16) and ``label``; image shape (8, 8).
    - adult: 48,842 census rows (train + test, column ``split``); target
      ``income``, sensitive ``sex`` and ``race``; ``fnlwgt`` (a survey weight)
      and ``split`` are meta columns.
    - shakespeare: 10,000 lines of dialogue (5 to 40 words each: a speech, or a
      group of its sentences) drawn from 37 plays; text column ``text``,
      categorical ``play``, target ``genre`` (comedy, history or tragedy, as the
      First Folio sorts the plays); ``speaker`` is a meta column.
    """
    if not isinstance(name, str) or name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; choose one of {list(DATASETS)} or use sk.read(path)")
    path = data_dir() / f"{name}.parquet"
    if not path.exists():
        raise DataError(
            f"embedded dataset file {path} is missing; reinstall synthkit from its repository "
            f"or set {DATA_DIR_ENV} to the folder holding {name}.parquet"
        )
    frame = pl.read_parquet(path, glob=False)
    if name == "penguins":
        return from_frame(frame, "penguins", target="species", sensitive=["sex"], categorical=None)
    if name == "digits":
        px = [c for c in frame.columns if c.startswith("px_")]
        return from_frame(
            frame, "digits", target="label", categorical=["label"],
            image_shape=(8, 8), image_columns=px,
        )
    if name == "shakespeare":
        return from_frame(frame, "shakespeare", target="genre", text=["text"], meta=["speaker"])
    return from_frame(
        frame, "adult", target="income", sensitive=["sex", "race"], meta=["split", "fnlwgt"],
    )


def read(
    path: str | os.PathLike,
    *,
    target: str | None = None,
    sensitive: Iterable[str] | str | None = None,
    categorical: Iterable[str] | str | None = None,
    meta: Iterable[str] | str | None = None,
    name: str | None = None,
    text: Iterable[str] | str | None = None,
    **read_options: Any,
) -> Dataset:
    """Read the user's CSV or parquet file into a :class:`Dataset`.

    ``text=["review"]`` marks free-text columns (one document per cell).
    ``NA``, ``NaN``, ``?`` and empty cells in a CSV are read as missing values.
    Extra keyword arguments go to ``polars.read_csv`` / ``polars.read_parquet``.
    """
    p = check_path("path", path)
    frame = read_frame(p, **read_options)
    return from_frame(
        frame, name or p.stem, target=target, sensitive=sensitive, categorical=categorical, meta=meta,
        text=text,
    )


def read_frame(path: str | os.PathLike, **read_options: Any) -> pl.DataFrame:
    """The rows of a CSV or parquet file as a polars frame, read as :func:`read` reads them
    (no schema, no ``row_id`` added); ``DataError`` naming the file when it cannot be read."""
    p = check_path("path", path)
    if not p.exists():
        raise DataError(f"file {str(p)!r} does not exist (paths are relative to {Path.cwd()})")
    suffix = p.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            frame = pl.read_parquet(p, **{"glob": False, **read_options})
        elif suffix in (".csv", ".tsv", ".txt"):
            opts = {"null_values": ["NA", "NaN", "nan", "?", ""], "infer_schema_length": 10000}
            if suffix == ".tsv":
                opts["separator"] = "\t"
            opts.update(read_options)
            frame = pl.read_csv(p, **opts)
        else:
            raise DataError(f"cannot read {p.name!r}: use a .csv, .tsv or .parquet file")
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - polars/arrow errors become one clear error
        if "utf-8" in str(exc).lower() or "utf8" in str(exc).lower():
            raise DataError(_not_utf8(p, opts)) from None
        raise DataError(f"could not read {str(p)!r}: {exc}") from None
    return frame


def _not_utf8(p: Path, opts: dict) -> str:
    """The message for a CSV whose bytes are not UTF-8: which columns, which first row, what to do."""
    where = ""
    try:
        lossy = pl.read_csv(p, **{**opts, "encoding": "utf8-lossy"})
        bad = {c: lossy[c].cast(pl.String).str.contains("\ufffd", literal=True).fill_null(False)
               for c in lossy.columns}
        cols = [c for c, m in bad.items() if m.any()]
        if cols:
            first = int(bad[cols[0]].arg_true()[0])
            where = f" in column(s) {cols} (first at data row {first + 1} of column {cols[0]!r})"
    except Exception:  # noqa: BLE001 - the message is still useful without the column
        pass
    return (
        f"file {str(p)!r} is not UTF-8 text: it holds bytes that are not UTF-8{where}. Save it as UTF-8, "
        "or pass its encoding, e.g. sk.read(path, encoding='latin-1') (or encoding='utf8-lossy' to "
        "replace the bad bytes with \ufffd)"
    )


def image_array(frame: pl.DataFrame, schema: Schema) -> np.ndarray:
    """Rows of an image dataset as an (n, h, w) float array."""
    if not schema.image_shape:
        raise SchemaError("this dataset has no image columns")
    h, w = schema.image_shape
    return frame.select(schema.image_columns).to_numpy().astype(float).reshape(-1, h, w)


def is_missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))
