"""MapView: the Explorer's map as a small anywidget that renders with plotly.js.

Why not a plotly ``FigureWidget``: its hover, unhover and selection events all
travel through one synced field, and ipywidgets merges queued changes while the
kernel is busy, so the unhover fired at mouse-up overwrites the lasso before
Python reads it (measured: 3 of 17 lassos arrived with hover on). Here

* hover stays in the browser: plotly's own hover labels, built from compact
  columns sent once per data update, never synced back;
* a lasso or box selection writes its row ids (``selection``), the drawn
  polygon in map coordinates (``selection_polygon``), the data version it saw
  (``selection_version``) and a counter (``selection_count``, so repeating the
  same selection still fires) into this widget's own traits, in one save;
* coordinates and colour values travel as float32 binary buffers; plotly.js
  comes from the installed ``plotly`` package (no network), sent to the page
  once on request over a custom message and loaded as a script, so it never
  enters widget state or notebook outputs.

Large maps: :meth:`MapView.set_density` replaces the real rows by a density
image (:mod:`synthkit.plots.density`) drawn under the points. Each zoom, pan or
autoscale, once the view has been still for 150 ms, sends the visible extent
and the plot's size to Python as a custom message; Python renders that extent
and sends the new image back (``density_png`` over ``density_extent``). Two
invisible points at the corners of every real row's extent make autoscale and
double-click return to the whole map. The image has no hover; the batches drawn
as points on top keep theirs.

Python sets ``selection``/``selection_polygon`` to highlight a programmatic
selection; the browser redraws with ``Plotly.react``. Selections travel as row
ids, which never change, so a selection stays valid across redraws.

Proof: ``tests/e2e/test_tour_lasso.py`` drags five mouse lassos over the tour's
map in JupyterLab (headless Chromium), each after a hover label has shown, and
finds every one stored as a tag with exactly the rows inside the lasso. After a
lasso the map redraws once, so plotly's editable selection outline, which
swallows hover events inside it, no longer blocks hovering the selected points.
``tests/e2e/test_bigmap_browser.py`` does the same over a million real rows drawn as a
density image, and zooms.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Sequence

import anywidget
import numpy as np
import polars as pl
import traitlets as t

from ..errors import DataError
from ..plots.density import DensityLayer

__all__ = ["MapView", "hover_columns", "plotly_js"]

_HERE = Path(__file__).parent


@functools.lru_cache(maxsize=1)
def plotly_js() -> bytes:
    """The plotly.js bundle shipped inside the installed ``plotly`` package."""
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    return path.read_bytes()


def _f32(values: Any) -> bytes:
    return np.ascontiguousarray(np.asarray(values, dtype="<f4")).tobytes()


#: a document's characters shown on hover (the rest cut, with an ellipsis)
HOVER_TEXT_CHARS = 120
#: hover lines of a document are wrapped at about this many characters
HOVER_TEXT_WRAP = 60


def shorten(s: pl.Series, chars: int = HOVER_TEXT_CHARS) -> pl.Series:
    """Documents cut to ``chars`` characters (ending in an ellipsis when cut); missing stays missing."""
    s = s.cast(pl.String)
    long = s.str.len_chars() > chars
    cut = s.str.slice(0, chars - 1).str.strip_chars_end() + "\u2026"
    return pl.select(pl.when(long).then(cut).otherwise(s).alias(s.name)).to_series()


def hover_columns(frame: pl.DataFrame, columns: Sequence[str], decimals: int = 3,
                  text: Sequence[str] = ()) -> list[dict]:
    """Compact hover columns for the browser: numbers as float32, labels as codes + levels.

    Columns named in ``text`` (documents) show their first ``HOVER_TEXT_CHARS``
    characters, wrapped by the browser at about ``HOVER_TEXT_WRAP`` characters.
    The browser escapes every value.
    """
    out = []
    for name in columns:
        s = frame[name]
        if name in text:
            s = shorten(s)
        if s.dtype.is_numeric():
            vals = s.cast(pl.Float64).fill_null(float("nan")).to_numpy()
            out.append({"name": name, "kind": "num", "decimals": decimals, "data": _f32(vals)})
        else:
            s = s.cast(pl.String)
            levels = s.drop_nulls().unique(maintain_order=True)
            codes = s.replace_strict(levels, pl.int_range(levels.len(), eager=True, dtype=pl.Int32),
                                     default=-1, return_dtype=pl.Int32).fill_null(-1)
            col = {"name": name, "kind": "cat", "levels": levels.to_list(),
                   "data": codes.to_numpy().astype("<i4").tobytes()}
            if name in text:
                col["wrap"] = HOVER_TEXT_WRAP
            out.append(col)
    return out


class MapView(anywidget.AnyWidget):
    """A lasso-able scatter map. Browser -> Python: ``selection`` + ``selection_polygon``."""

    _esm = (_HERE / "mapview.js").read_text()
    _css = """
    .synthkit-map { width: 100%; min-width: 320px; }
    .synthkit-map-note { color: #777; font: 12px sans-serif; padding: 8px; }
    """

    # the points, in a fixed order; sent again only when they change (points_version)
    row_ids = t.List().tag(sync=True)  # str; no per-item trait validation (50k ids cost 70 ms)
    x = t.Bytes(b"").tag(sync=True)
    y = t.Bytes(b"").tag(sync=True)
    hover_columns = t.List(t.Dict()).tag(sync=True)
    points_version = t.Int(0).tag(sync=True)
    # the colour layers: `order` (int32) lists point indices layer by layer, `value` (float32)
    # holds continuous colour values in that order; data_version changes last, in the same message
    order = t.Bytes(b"").tag(sync=True)
    value = t.Bytes(b"").tag(sync=True)
    layers = t.List(t.Dict()).tag(sync=True)
    data_version = t.Int(0).tag(sync=True)
    title = t.Unicode("").tag(sync=True)
    height = t.Int(520).tag(sync=True)

    # the density image of the real rows on large maps (empty bytes: none)
    density_png = t.Bytes(b"").tag(sync=True)
    density_extent = t.List(t.Float()).tag(sync=True)  # x0, x1, y0, y1 the image covers
    density_full = t.List(t.Float()).tag(sync=True)  # the extent of every row (for autoscale)
    density_note = t.Unicode("").tag(sync=True)
    density_version = t.Int(0).tag(sync=True)
    views = t.Int(0)  # how many zoom/pan views the browser asked for (not synced)

    # selection (both ways)
    selection = t.List(t.Unicode()).tag(sync=True)
    selection_polygon = t.List(t.List(t.Float()), allow_none=True, default_value=None).tag(sync=True)
    selection_version = t.Int(0).tag(sync=True)
    selection_count = t.Int(0).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._density: DensityLayer | None = None
        self.on_msg(self._on_custom_msg)

    def _on_custom_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        if content.get("type") == "need-plotly":
            self.send({"type": "plotly-js"}, buffers=[plotly_js()])
        elif content.get("type") == "view" and self._density is not None:
            try:
                self.show_extent(content.get("extent"), width=content.get("width", 800),
                                 height=content.get("height", self.height))
            except DataError:
                return  # a degenerate view (e.g. zoomed to nothing): keep the image shown
            self.views += 1

    def set_density(self, layer: DensityLayer | None, note: str = "") -> None:
        """Draw ``layer`` (the real rows) as a density image under the points; ``None``: no image.

        ``note`` is shown above the map (e.g. how many rows the image holds).
        """
        self._density = layer
        with self.hold_sync():
            if layer is None:
                self.density_png, self.density_extent, self.density_full, self.density_note = b"", [], [], ""
            else:
                img = layer.render(width=800, height=self.height)
                self.density_png, self.density_extent = img.png, list(img.extent)
                self.density_full, self.density_note = list(layer.extent), note
            self.density_version = self.density_version + 1

    def show_extent(self, extent: Any, *, width: float = 800, height: float = 520) -> None:
        """Render the density image of ``extent`` = (x0, x1, y0, y1) for a plot of ``width`` x ``height`` px."""
        if self._density is None:
            raise DataError("this map has no density image (set_density was not called)")
        img = self._density.render(extent, width=width, height=height)
        with self.hold_sync():
            self.density_png, self.density_extent = img.png, list(img.extent)
            self.density_version = self.density_version + 1

    def set_points(self, points: pl.DataFrame, order: Sequence[int], layers: list[dict], hover: list[dict],
                   value: Sequence[float] | None = None) -> None:
        """Draw ``points`` (row_id, x, y) coloured by ``layers``.

        ``order`` lists indices into ``points`` layer by layer (each layer's
        ``start:stop`` is a range of it); ``value`` holds the continuous colour
        values in the same order. Unchanged points are not sent again, so a
        colour change sends only the order, the values and the layers.
        """
        n = points.height
        order_arr = np.asarray(order, dtype="<i4")
        if order_arr.shape != (n,) or (n and not np.array_equal(np.sort(order_arr), np.arange(n))):
            raise DataError(f"order must be a permutation of the {n} points")
        x, y = _f32(points["x"].to_numpy()), _f32(points["y"].to_numpy())
        ids = points["row_id"].to_list()
        changed = x != self.x or y != self.y or ids != self.row_ids or hover != self.hover_columns
        vals = np.zeros(n) if value is None else np.asarray(value, dtype=float)
        with self.hold_sync():
            if changed:
                self.row_ids, self.x, self.y, self.hover_columns = ids, x, y, hover
                self.points_version = self.points_version + 1
            self.order = order_arr.tobytes()
            self.value = _f32(vals)
            self.layers = [_jsonable(layer) for layer in layers]
            self.data_version = self.data_version + 1

    def show_selection(self, row_ids: Sequence[str], polygon: Sequence[Sequence[float]] | None = None) -> None:
        """Highlight ``row_ids`` (and draw ``polygon``) as if they had been lassoed."""
        with self.hold_sync():
            self.selection = [str(r) for r in row_ids]
            self.selection_polygon = None if polygon is None else [[float(a), float(b)] for a, b in polygon]
            self.selection_version = self.data_version


def _jsonable(layer: dict) -> dict:
    out = {}
    for k, v in layer.items():
        if isinstance(v, (np.floating, np.integer)):
            v = v.item()
        out[k] = v
    return out
