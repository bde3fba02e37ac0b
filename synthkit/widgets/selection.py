"""SelectionView: the selected rows as a table, and for image data, thumbnails beside their nearest real images.

For text data the table shows each selected document (its first
``TABLE_TEXT_CHARS`` characters) beside the document of its nearest real row.
"""

from __future__ import annotations

import html
from typing import Sequence

import ipywidgets as w
import numpy as np
import polars as pl

from ..data import Schema, image_array
from .mapview import shorten

__all__ = ["SelectionView", "selection_html", "thumbnail_svg"]

MAX_TABLE_ROWS = 50
MAX_THUMBNAILS = 12
#: a document's characters shown in the selection table
TABLE_TEXT_CHARS = 120
_FIRST = ("row_id", "source", "dist_to_real")
NEAREST = "nearest real "  # + the text column's name: the document of the nearest real row


def _fmt(v: object) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return "–" if v != v else f"{v:.3g}" if abs(v) >= 1e4 or (v and abs(v) < 1e-2) else f"{v:.2f}".rstrip("0").rstrip(".")
    return html.escape(str(v))


def selection_html(sel: pl.DataFrame, columns: Sequence[str], *, max_rows: int = MAX_TABLE_ROWS,
                   stamp: int = 0, text: Sequence[str] = ()) -> str:
    """Heading with counts, then the first ``max_rows`` selected rows.

    ``stamp`` (the map's selection counter) is kept in a ``data-stamp``
    attribute, so a page can tell which lasso the table shows. Columns named
    in ``text`` hold documents: cut to ``TABLE_TEXT_CHARS`` characters, in
    cells that wrap.
    """
    if sel.height == 0:
        return (f"<div class='synthkit-small' data-stamp='{stamp}'>nothing selected: "
                "drag a lasso (or a box) on the map</div>")
    n_real = int((sel["source"] == "real").sum())
    by_source = sel.filter(pl.col("source") != "real").group_by("source", maintain_order=True).len()
    parts = [f"{n_real} real"] + [f"{n} {html.escape(str(s))}" for s, n in by_source.iter_rows()]
    head = f"<div class='synthkit-h' data-stamp='{stamp}'>{sel.height} rows selected <span class='synthkit-small'>({', '.join(parts)})</span></div>"
    cols = [c for c in _FIRST if c in sel.columns] + [c for c in columns if c in sel.columns and c not in _FIRST]
    th = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    shown = sel.head(max_rows).select(cols)
    shown = shown.with_columns([shorten(shown[c], TABLE_TEXT_CHARS) for c in cols if c in text])
    cls = ["<td class='synthkit-text'>" if c in text else "<td>" for c in cols]
    rows = "".join("<tr>" + "".join(f"{td}{_fmt(v)}</td>" for td, v in zip(cls, r)) + "</tr>"
                   for r in shown.iter_rows())
    more = (f"<div class='synthkit-small'>… and {sel.height - max_rows} more (all of them in "
            f"<code>ex.selection</code>)</div>" if sel.height > max_rows else "")
    return (f"{head}<div class='synthkit-scroll'><table class='synthkit-table'><tr>{th}</tr>{rows}</table></div>{more}")


def with_nearest_text(sel: pl.DataFrame, real: pl.DataFrame, schema: Schema) -> pl.DataFrame:
    """``sel`` with a ``nearest real <column>`` column per text column, after that column.

    It holds the document of the row's nearest real row (``nearest_real``),
    left empty for a real row (its own nearest).
    """
    if not schema.text or "nearest_real" not in sel.columns:
        return sel
    out = sel
    for c in schema.text:
        if c not in sel.columns or c not in real.columns:
            continue
        name = NEAREST + c
        lookup = real.select(pl.col("row_id").alias("nearest_real"), pl.col(c).alias(name)).unique("nearest_real")
        out = out.join(lookup, on="nearest_real", how="left", maintain_order="left").with_columns(
            pl.when(pl.col("nearest_real") == pl.col("row_id")).then(None).otherwise(pl.col(name)).alias(name))
        order = list(out.columns)
        order.remove(name)
        order.insert(order.index(c) + 1, name)
        out = out.select(order)
    return out


def thumbnail_svg(image: np.ndarray, *, size: int = 56, title: str = "") -> str:
    """A grey-scale image as a tiny inline SVG (dark = high values, like ink on paper)."""
    img = np.asarray(image, dtype=float)
    h, wd = img.shape
    finite = img[np.isfinite(img)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    scale = (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
    cells = []
    for r in range(h):
        for c in range(wd):
            v = scale[r, c]
            g = 255 if not np.isfinite(v) else int(round(255 * (1 - v)))
            cells.append(f"<rect x='{c}' y='{r}' width='1.02' height='1.02' fill='rgb({g},{g},{g})'/>")
    t = f"<title>{html.escape(title)}</title>" if title else ""
    return (f"<svg width='{size}' height='{size * h // wd}' viewBox='0 0 {wd} {h}' shape-rendering='crispEdges' "
            f"style='border:1px solid #ddd'>{t}{''.join(cells)}</svg>")


def thumbnails_html(sel: pl.DataFrame, real: pl.DataFrame, schema: Schema, *,
                    max_items: int = MAX_THUMBNAILS) -> str:
    """Each selected image (first ``max_items``) beside its nearest real image."""
    if sel.height == 0 or not schema.image_shape:
        return ""
    # synthetic rows first: they are the ones worth comparing with their nearest real image
    shown = sel.sort(pl.col("source") == "real", maintain_order=True).head(max_items)
    imgs = image_array(shown, schema)
    near_ids = shown["nearest_real"].to_list() if "nearest_real" in shown.columns else [None] * shown.height
    lookup = real.filter(pl.col("row_id").is_in([r for r in near_ids if r]))
    near_imgs = dict(zip(lookup["row_id"].to_list(), image_array(lookup, schema))) if lookup.height else {}
    items = []
    for rid, img, near in zip(shown["row_id"].to_list(), imgs, near_ids):
        pair = thumbnail_svg(img, title=rid)
        if near and near in near_imgs and near != rid:
            pair += " " + thumbnail_svg(near_imgs[near], title=f"nearest real: {near}")
            cap = f"{html.escape(rid)}<br>↔ {html.escape(near)}"
        else:
            cap = html.escape(rid)
        items.append(f"<div class='synthkit-thumb'>{pair}<div class='synthkit-small'>{cap}</div></div>")
    return ("<div class='synthkit-h'>Selected images beside their nearest real image</div>"
            f"<div class='synthkit-thumbs'>{''.join(items)}</div>")


class SelectionView(w.VBox):
    """Shows the current selection (table; thumbnails for image datasets)."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.table = w.HTML(selection_html(pl.DataFrame({"source": []}), ()))
        self.table.add_class("synthkit-selection")
        self.thumbs = w.HTML("")
        super().__init__([self.thumbs, self.table], layout=w.Layout(width="100%"))

    def show(self, sel: pl.DataFrame, real: pl.DataFrame | None = None, stamp: int = 0) -> None:
        cols = list(self.schema.columns)
        if self.schema.image_shape:  # 64 pixel columns make a useless table: show the non-pixel ones
            cols = [c for c in cols if c not in set(self.schema.image_columns)]
        text: list[str] = []
        if self.schema.text:  # documents first, each beside the document of its nearest real row
            if real is not None:
                sel = with_nearest_text(sel, real, self.schema)
            for c in reversed(self.schema.text):
                cols.remove(c)
                near = [NEAREST + c] if NEAREST + c in sel.columns else []
                cols = [c, *near, *cols]
                text += [c, *near]
        self.table.value = selection_html(sel, cols, stamp=stamp, text=text)
        self.thumbs.value = thumbnails_html(sel, real, self.schema) if real is not None and self.schema.image_shape else ""
