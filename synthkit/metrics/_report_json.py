"""Reports as JSON: what :meth:`Report.save` writes and :func:`load_report` reads.

One JSON object (strict JSON: no NaN literals), keys:

- ``format`` (``"synthkit-report"``) and ``format_version`` (:data:`FORMAT_VERSION`);
  a file with a higher version was written by a newer synthkit and is refused;
- ``synthkit_version``: the version that wrote it;
- ``dataset``: name, content ``fingerprint`` of the real rows, ``columns`` and
  their ``kinds``: a previous report is only compared with a report of the same data;
- ``inputs_fingerprint``: the hash of the real and synthetic rows (``Report.inputs.fingerprint``);
- ``table``: the tidy metric table (values, intervals, baselines, matched values, p-values);
- ``headline``: the headline rows with their status (kept for readers of the file;
  a loaded report recomputes them from ``table``, with equal results);
- ``summary``: the plain data behind the figures and the configuration (``k``,
  ``n_boot``, ``n_perm``, ``random_state``, families, target, sensitive columns,
  notes); timings are left out, so the same evaluation writes the same file;
- ``rows``: the per-row scores (``Report.rows``: distance to the closest real row,
  nearest real row id, support, detection probability, coverage).

Frames are stored column by column with their dtypes, arrays with their dtype;
non-finite floats as the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``. The
real and synthetic rows themselves are not stored: a loaded report has
``inputs = None``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ..errors import DataError, SynthkitError

__all__ = ["FORMAT_VERSION", "FORMAT", "encode", "decode", "read_text"]

FORMAT = "synthkit-report"
#: bumped whenever a reader of the previous version could not read the file correctly
FORMAT_VERSION = 1

_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _float(v: float) -> Any:
    if math.isfinite(v):
        return v
    return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")


def _unfloat(v: Any) -> Any:
    return _NONFINITE[v] if isinstance(v, str) else v


def _frame(f: pl.DataFrame) -> dict:
    cols = {}
    for c, dt in f.schema.items():
        vals = f[c].to_list()
        if dt.is_float():
            vals = [None if v is None else _float(v) for v in vals]
        cols[c] = vals
    return {"__frame__": {"schema": {c: str(dt) for c, dt in f.schema.items()}, "columns": cols}}


def _unframe(d: dict) -> pl.DataFrame:
    """A frame from :func:`_frame`'s dict: simple dtypes (String, Float64, Int64, Boolean...) are
    restored exactly; nested ones (lists, structs) are inferred from the values."""
    schema = {}
    for c, name in d["schema"].items():
        dt = getattr(pl, name, None) if name.isidentifier() else None
        if dt is not None and not (isinstance(dt, type) and issubclass(dt, pl.DataType)):
            raise SynthkitError(f"the report file stores column {c!r} with dtype {name!r}, which is not a "
                                "polars dtype; the file is corrupt, save it again with rep.save(path)")
        schema[c] = dt
    data = {}
    for c, vals in d["columns"].items():
        dt = schema[c]
        data[c] = [None if v is None else _unfloat(v) for v in vals] if dt is not None and dt.is_float() else vals
    frame = pl.DataFrame(data, schema_overrides={c: dt for c, dt in schema.items() if dt is not None})
    return frame.select(list(schema))


def encode(obj: Any) -> Any:
    """Plain JSON-ready data from nested dicts, lists, numbers, arrays and polars frames."""
    if isinstance(obj, pl.DataFrame):
        return _frame(obj)
    if isinstance(obj, dict):
        return {str(k): encode(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [encode(v) for v in obj]
    if isinstance(obj, np.ndarray):
        vals = obj.tolist()
        if obj.dtype.kind == "f":
            vals = np.vectorize(_float, otypes=[object])(obj).tolist() if obj.size else []
        return {"__array__": {"dtype": obj.dtype.str, "shape": list(obj.shape), "data": vals}}
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return v if math.isfinite(v) else {"__float__": _float(v)}
    if obj is None or isinstance(obj, str):
        return obj
    raise SynthkitError(f"cannot store a {type(obj).__name__} in a report file")


def decode(obj: Any) -> Any:
    """The inverse of :func:`encode` (tuples come back as lists)."""
    if isinstance(obj, dict):
        if "__frame__" in obj:
            return _unframe(obj["__frame__"])
        if "__array__" in obj:
            a = obj["__array__"]
            dt = np.dtype(a["dtype"])
            data = a["data"]
            if dt.kind == "f":
                data = np.vectorize(_unfloat, otypes=[float])(np.array(data, dtype=object)) if data else []
            return np.asarray(data, dtype=dt).reshape(a["shape"])
        if "__float__" in obj:
            return _NONFINITE[obj["__float__"]]
        return {k: decode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [decode(v) for v in obj]
    return obj


def read_text(path: str | Path) -> tuple[str, Path]:
    """The text of a report file, with clear errors for a missing or unreadable one."""
    p = Path(path).expanduser()
    if not p.exists():
        raise DataError(f"report file {str(p)!r} does not exist; save one with rep.save(path) first")
    if p.is_dir():
        raise DataError(f"report path {str(p)!r} is a folder; pass the .json file written by rep.save(path)")
    try:
        return p.read_text(encoding="utf-8"), p
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"cannot read report file {str(p)!r} ({e}); pass a file written by rep.save(path)") from e


def parse(text: str, where: str) -> dict:
    """The checked top-level object of a report file (``where`` names it in errors)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise SynthkitError(f"{where} is not a synthkit report: invalid JSON ({e.msg} at line {e.lineno}); "
                            "it may be truncated or corrupt, save it again with rep.save(path)") from e
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise SynthkitError(f"{where} is not a synthkit report (no \"format\": \"{FORMAT}\" field); "
                            "pass a file written by rep.save(path)")
    version = doc.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise SynthkitError(f"{where} has no valid format_version; it is corrupt, save it again with rep.save(path)")
    if version > FORMAT_VERSION:
        raise SynthkitError(
            f"{where} was written by a newer synthkit ({doc.get('synthkit_version', 'unknown')}, report format "
            f"{version}); this synthkit reads format {FORMAT_VERSION} and older: upgrade synthkit to read it")
    missing = [k for k in ("dataset", "table", "summary") if k not in doc]
    if missing:
        raise SynthkitError(f"{where} is corrupt: it lacks {missing}; save it again with rep.save(path)")
    return doc
