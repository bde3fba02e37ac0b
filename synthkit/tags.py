"""Tags: what a person says about some rows, and the region they drew.

A tag points at row ids (never at positions on the map), carries a label, a
note, its author and time, and optionally the lasso polygon it was drawn with
plus the hash of the map it was drawn on. This module holds the pure parts:
checking labels, notes, row ids and polygons, and the vectorised
point-in-polygon test behind region rules. Storage lives in
:mod:`synthkit.workspace`.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import polars as pl

from .data import ROW_ID
from .errors import DataError

#: Labels the Explorer suggests; any other non-empty label works too.
SUGGESTED_LABELS = ("off-manifold", "near-copy", "implausible", "missing-mode", "biased", "ok")
#: Labels ``curate`` drops by default.
DEFAULT_DROP = ("off-manifold", "near-copy")
MAX_LABEL_LENGTH = 200
MAX_NOTE_LENGTH = 100_000
MAX_POLYGON_POINTS = 100_000


@dataclass(frozen=True)
class Tag:
    """One stored tag (as :meth:`Workspace.get_tag` returns it)."""

    tag_id: int
    label: str
    note: str
    author: str
    created_at: str
    row_ids: tuple[str, ...]
    polygon: tuple[tuple[float, float], ...] | None = None
    map_hash: str | None = None
    active: bool = True

    def __len__(self) -> int:
        return len(self.row_ids)


# --------------------------------------------------------------------------- checks
def check_label(label: Any) -> str:
    """A label as stored: NFC-normalised, surrounding whitespace removed.

    Any Unicode text works (``"hors-variété"``, ``"🚩"``, ``"a'b\\"c"``); empty
    labels, control characters (newlines, tabs) and labels over 200 characters
    raise :class:`DataError`.
    """
    if not isinstance(label, str):
        raise DataError(f"tag label must be a string such as 'off-manifold', got {type(label).__name__}")
    out = unicodedata.normalize("NFC", label).strip()
    if not out:
        raise DataError(
            "tag label is empty; give a short name such as "
            + ", ".join(repr(s) for s in SUGGESTED_LABELS)
        )
    if len(out) > MAX_LABEL_LENGTH:
        raise DataError(
            f"tag label is {len(out)} characters long; keep it under {MAX_LABEL_LENGTH} "
            "and put longer text in note="
        )
    bad = sorted({repr(ch) for ch in out if unicodedata.category(ch) == "Cc"})
    if bad:
        raise DataError(
            f"tag label {out!r} contains control character(s) {', '.join(bad)}; "
            "use a one-line label and put longer text in note="
        )
    return out


def check_labels(labels: Any, *, what: str = "labels") -> tuple[str, ...]:
    """One label or an iterable of them, checked and de-duplicated (order kept)."""
    if isinstance(labels, str):
        labels = [labels]
    try:
        items = list(labels)
    except TypeError:
        raise DataError(f"{what} must be a label or a list of labels, got {type(labels).__name__}") from None
    return tuple(dict.fromkeys(check_label(x) for x in items))


def check_note(note: Any) -> str:
    """A note is free text (any Unicode, newlines included); ``None`` means empty."""
    if note is None:
        return ""
    if not isinstance(note, str):
        raise DataError(f"tag note must be a string, got {type(note).__name__}")
    if len(note) > MAX_NOTE_LENGTH:
        raise DataError(f"tag note is {len(note)} characters long; keep it under {MAX_NOTE_LENGTH}")
    return unicodedata.normalize("NFC", note)


def check_row_ids(row_ids: Any) -> list[str]:
    """Row ids from a list, set, Series, array, or a frame with a ``row_id`` column.

    Order is kept and duplicates dropped. A single string counts as one row id.
    Empty input, missing values and non-strings raise :class:`DataError`.
    """
    if isinstance(row_ids, str):
        items: list[Any] = [row_ids]
    elif isinstance(row_ids, pl.DataFrame):
        if ROW_ID not in row_ids.columns:
            raise DataError(
                f"the frame given as row ids has no {ROW_ID!r} column (columns: {row_ids.columns}); "
                f"pass frame[{ROW_ID!r}] or a list of row ids"
            )
        items = row_ids[ROW_ID].to_list()
    elif isinstance(row_ids, pl.Series):
        items = row_ids.to_list()
    elif isinstance(row_ids, np.ndarray):
        items = row_ids.ravel().tolist()
    elif hasattr(row_ids, "frame") and isinstance(getattr(row_ids, "frame"), pl.DataFrame):
        items = row_ids.frame[ROW_ID].to_list()  # a Batch or Dataset: all its rows
    else:
        try:
            items = list(row_ids)
        except TypeError:
            raise DataError(
                f"row ids must be a list of strings such as ['real:0', 'copula-1a2b3c4d:5'], "
                f"got {type(row_ids).__name__}"
            ) from None
    if not items:
        raise DataError("no row ids given: select at least one row to tag")
    bad = [x for x in items if not isinstance(x, str)]
    if bad:
        raise DataError(
            f"row ids must be strings such as 'real:0'; got {len(bad)} other value(s), "
            f"e.g. {bad[0]!r} ({type(bad[0]).__name__})"
        )
    return list(dict.fromkeys(items))


def check_polygon(polygon: Any) -> list[list[float]] | None:
    """A lasso polygon as a JSON-safe list of ``[x, y]`` pairs (or ``None``).

    Accepts a list of pairs, an ``(n, 2)`` array, or a dict with ``x`` and ``y``
    lists (plotly's ``lassoPoints``). Needs at least 3 finite points.
    """
    if polygon is None:
        return None
    if isinstance(polygon, dict):
        if "x" not in polygon or "y" not in polygon:
            raise DataError("a polygon given as a dict needs 'x' and 'y' lists of equal length")
        xs, ys = list(polygon["x"]), list(polygon["y"])
        if len(xs) != len(ys):
            raise DataError(f"polygon 'x' has {len(xs)} values but 'y' has {len(ys)}; give one y per x")
        pts: Any = list(zip(xs, ys))
    else:
        pts = polygon
    try:
        arr = np.asarray(pts, dtype=float)
    except (TypeError, ValueError):
        raise DataError("polygon must be a list of [x, y] pairs of numbers") from None
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise DataError(f"polygon must be a list of [x, y] pairs; got an array of shape {arr.shape}")
    if arr.shape[0] < 3:
        raise DataError(f"polygon has {arr.shape[0]} point(s); a region needs at least 3")
    if arr.shape[0] > MAX_POLYGON_POINTS:
        raise DataError(f"polygon has {arr.shape[0]} points; simplify it to under {MAX_POLYGON_POINTS}")
    if not np.isfinite(arr).all():
        raise DataError("polygon has NaN or infinite coordinates; every point must be finite")
    return arr.tolist()


def polygon_to_json(polygon: list[list[float]] | None) -> str | None:
    return None if polygon is None else json.dumps(polygon)


def polygon_from_json(text: str | None) -> tuple[tuple[float, float], ...] | None:
    if text is None:
        return None
    return tuple((float(x), float(y)) for x, y in json.loads(text))


# --------------------------------------------------------------------------- geometry
def points_in_polygon(x: Any, y: Any, polygon: Sequence[Sequence[float]]) -> np.ndarray:
    """Boolean mask: which points ``(x[i], y[i])`` lie inside ``polygon``.

    Even-odd ray casting, vectorised over points (one pass per edge), so it
    handles concave and self-intersecting lasso shapes the way plotly and
    matplotlib fill them. The polygon closes itself (last point joins the
    first). Points with a NaN coordinate are outside.
    """
    px = np.asarray(x, dtype=float).ravel()
    py = np.asarray(y, dtype=float).ravel()
    if px.shape != py.shape:
        raise DataError(f"x has {px.size} values but y has {py.size}")
    poly = np.asarray(polygon, dtype=float)
    if poly.ndim != 2 or poly.shape[1] != 2 or poly.shape[0] < 3:
        raise DataError("polygon must hold at least 3 [x, y] points")
    inside = np.zeros(px.shape, dtype=bool)
    if px.size == 0:
        return inside
    # bounding box first: most points of a map lie outside a small lasso
    lo, hi = poly.min(axis=0), poly.max(axis=0)
    cand = np.flatnonzero((px >= lo[0]) & (px <= hi[0]) & (py >= lo[1]) & (py <= hi[1]))
    if cand.size == 0:
        return inside
    cx, cy = px[cand], py[cand]
    hit = np.zeros(cand.size, dtype=bool)
    xj, yj = poly[-1]
    for xi, yi in poly:
        if yi != yj:
            crosses = (yi > cy) != (yj > cy)
            x_at = xi + (cy - yi) * (xj - xi) / (yj - yi)
            hit ^= crosses & (cx < x_at)
        xj, yj = xi, yi
    inside[cand] = hit
    return inside


def polygon_area(polygon: Sequence[Sequence[float]]) -> float:
    """Absolute shoelace area (for summaries and sanity checks)."""
    p = np.asarray(polygon, dtype=float)
    x, y = p[:, 0], p[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2.0)


__all__ = [
    "Tag",
    "SUGGESTED_LABELS",
    "DEFAULT_DROP",
    "check_label",
    "check_labels",
    "check_note",
    "check_row_ids",
    "check_polygon",
    "points_in_polygon",
    "polygon_area",
]
