"""Parameter checks shared by every public entry point.

Each check returns the value in its plain Python form or raises a synthkit error
(``DataError`` unless the caller passes its own ``error`` class) whose message
names the parameter and says what to pass instead.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from collections.abc import Iterator, KeysView, ValuesView
from typing import Any, Sequence

import numpy as np

from .errors import DataError

#: the largest seed numpy's ``default_rng`` and UMAP accept everywhere (2**32 - 1)
MAX_SEED = 2**32 - 1


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_int(name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None,
              allow_none: bool = False, hint: str = "", error: type[Exception] = DataError) -> int | None:
    """A whole number (not a bool) within ``[minimum, maximum]``; ``None`` when ``allow_none``."""
    if value is None and allow_none:
        return None
    none = "None or " if allow_none else ""
    if minimum is not None and maximum is not None:
        span = f"between {minimum} and {maximum}"
    elif minimum is not None:
        span = f">= {minimum}"
    elif maximum is not None:
        span = f"<= {maximum}"
    else:
        span = ""
    want = f"{none}a whole number{' ' + span if span else ''}"
    if not _is_int(value):
        raise error(f"{name}={value!r} must be {want}{hint}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise error(f"{name}={value!r} must be {want}{hint}")
    return int(value)


def check_float(name: str, value: Any, *, minimum: float | None = None, maximum: float | None = None,
                strict_minimum: bool = False, hint: str = "", error: type[Exception] = DataError) -> float:
    """A finite real number (not a bool) within the given bounds."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(float(value)):
        raise error(f"{name}={value!r} must be a finite number{hint}")
    v = float(value)
    low_bad = minimum is not None and (v <= minimum if strict_minimum else v < minimum)
    if low_bad or (maximum is not None and v > maximum):
        lo = "" if minimum is None else (f"> {minimum}" if strict_minimum else f">= {minimum}")
        hi = "" if maximum is None else f"<= {maximum}"
        raise error(f"{name}={value!r} must be {' and '.join(p for p in (lo, hi) if p)}{hint}")
    return v


def check_bool(name: str, value: Any, *, error: type[Exception] = DataError) -> bool:
    """``True`` or ``False`` (numpy booleans accepted)."""
    if not isinstance(value, (bool, np.bool_)):
        raise error(f"{name}={value!r} must be True or False")
    return bool(value)


def check_random_state(value: Any, name: str = "random_state", *, allow_generator: bool = True,
                       allow_none: bool = True, error: type[Exception] = DataError) -> Any:
    """A seed: ``None``, a whole number from 0 to 2**32 - 1, or a ``numpy.random.Generator``."""
    if value is None and allow_none:
        return None
    if allow_generator and isinstance(value, np.random.Generator):
        return value
    if _is_int(value) and 0 <= value <= MAX_SEED:
        return int(value)
    options = ["a whole number from 0 to 2**32 - 1 (e.g. 0)"]
    if allow_none:
        options.append("None for fresh randomness")
    if allow_generator:
        options.append("a numpy.random.Generator")
    raise error(f"{name}={value!r} is not a usable seed; pass {', or '.join(options)}")


def check_path(name: str, value: Any, *, must_exist: bool = False, kind: str | None = None,
               error: type[Exception] = DataError) -> Path:
    """A filesystem path (str or ``os.PathLike``); ``kind`` ``"dir"`` or ``"file"`` if it exists."""
    if isinstance(value, bytes) or not isinstance(value, (str, os.PathLike)):
        raise error(f"{name}={value!r} must be a path (a str or pathlib.Path)")
    if isinstance(value, str) and (not value.strip() or "\x00" in value):
        raise error(f"{name}={value!r} must be a non-empty path without NUL characters")
    p = Path(value).expanduser()
    if must_exist and not p.exists():
        raise error(f"{name}={str(p)!r} does not exist; pass an existing {kind or 'path'}")
    if kind == "dir" and p.exists() and not p.is_dir():
        raise error(f"{name}={str(p)!r} is a file, not a folder; pass a folder path (it is created if absent)")
    if kind == "file" and p.exists() and not p.is_file():
        raise error(f"{name}={str(p)!r} is a folder, not a file; pass the path of a file")
    return p


def check_sequence(name: str, value: Any, *, item: type | tuple[type, ...] | None = None,
                   allow_none: bool = False, what: str = "values",
                   error: type[Exception] = DataError) -> tuple | None:
    """A list, tuple, set, range, array or iterator (not a str) as a tuple; items of type ``item`` if given."""
    if value is None and allow_none:
        return None
    if isinstance(value, (str, bytes, dict)) or not isinstance(
            value, (Sequence, set, frozenset, range, np.ndarray, Iterator, KeysView, ValuesView)):
        none = " or None" if allow_none else ""
        raise error(f"{name}={value!r} must be a list of {what}{none}")
    out = tuple(value.tolist() if isinstance(value, np.ndarray) else value)
    if item is not None:
        bad = [v for v in out if isinstance(v, bool) and item is not bool or not isinstance(v, item)]
        if bad:
            raise error(f"{name} holds {bad[0]!r}, which is not one of the {what} it takes")
    return out


__all__ = ["check_int", "check_float", "check_bool", "check_random_state", "check_path", "check_sequence",
           "MAX_SEED"]
