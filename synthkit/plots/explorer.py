"""The Explorer map's look: how placed points are grouped into coloured layers.

``map_layers(points, color_by)`` orders the points and describes one layer per
colour group (real rows first, muted grey, so synthetic rows draw on top);
``map_figure(points, color_by)`` draws the same layers as a static plotly figure.
The Explorer's browser view renders exactly these layers with plotly.js.

Levels of a data column (and tag labels) are listed in natural order ("2" before
"10") and take one colour each from a 12-colour palette. When real rows are
coloured too (by a data column or a tag), a real row and a synthetic row of the
same level share the colour but not the look: real rows are small and faint,
synthetic rows large and solid (the browser map has only size, opacity and
colour per layer), and the static figure also draws real rows as open rings.

``points`` is a polars frame with ``row_id, source, batch, x, y, dist_to_real``
(``source`` is ``"real"`` or the generator's name, ``batch`` is ``"real"`` or the
batch id), an optional ``tag`` column (latest tag label, null when untagged),
and any data columns to colour by.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import plotly.graph_objects as go
import polars as pl

from ..errors import SchemaError
from ..summary import DIST_MAX
from ._style import COLORS, DIST_COLORSCALE, REAL_COLOR, apply_style, color_for, natural_sorted

__all__ = ["map_layers", "map_figure", "DIST_COLORSCALE", "DIST_CMAX", "COLOR_MODES"]

#: colour modes besides the data columns
COLOR_MODES = ("source", "batch", "dist_to_real", "tag")
#: top of the ``dist_to_real`` colour scale (see :data:`synthkit.summary.FAR`)
DIST_CMAX = DIST_MAX
NUMERIC_COLORSCALE = "Viridis"
#: synthetic rows without a tag: a muted sand, unlike every tag colour and the real rows' grey
UNTAGGED_COLOR = "#c9a96e"
#: real rows drawn in a level's colour: open rings in the static figure
REAL_SYMBOL = "circle-open"

# real rows small and faint, synthetic rows large and solid: told apart by size, not shade alone
_REAL = dict(size=4, opacity=0.5)
_SYNTH = dict(size=7, opacity=0.9)


def _is_real(points: pl.DataFrame) -> pl.Series:
    return points["batch"] == "real"


def _check_mode(points: pl.DataFrame, color_by: str) -> None:
    if color_by in ("source", "batch", "dist_to_real"):
        return
    if color_by == "tag" or color_by in points.columns:
        return
    options = list(COLOR_MODES) + [c for c in points.columns if c not in
                                   ("row_id", "source", "batch", "x", "y", "dist_to_real", "tag")]
    raise SchemaError(f"cannot colour the map by {color_by!r}; choose one of {options}")


def _layer(name: str, start: int, stop: int, *, color: str | None, real: bool, **extra: Any) -> dict:
    style = _REAL if real else _SYNTH
    return {"name": name, "start": start, "stop": stop, "color": color, "size": style["size"],
            "opacity": style["opacity"], "continuous": False, "legendgroup": extra.pop("legendgroup", name),
            "showlegend": extra.pop("showlegend", True), **extra}


def _discrete(points: pl.DataFrame, key: pl.Series, *, real_grey: bool,
              order: Callable[[list[str]], list[str]] | None = natural_sorted, none_label: str = "(missing)", none_color: str = "#c7c7c7",
              levels_from: pl.Series | None = None) -> tuple[pl.DataFrame, list[dict]]:
    real = _is_real(points)
    key = key.cast(pl.String).fill_null(none_label)
    if levels_from is None:
        levels = [v for v in dict.fromkeys(key.filter(~real).to_list() + key.filter(real).to_list())
                  if v != none_label]
    else:  # the levels of every row on the map, not only of the points drawn
        levels = [v for v in levels_from.cast(pl.String).drop_nulls().unique(maintain_order=True).to_list()
                  if v != none_label]
    if order is not None:
        levels = order(levels)
    colors = {v: color_for(i) for i, v in enumerate(levels)}
    colors[none_label] = none_color
    parts, layers, start = [], [], 0
    groups: list[tuple[bool, str]] = []
    if real_grey:
        groups.append((True, "real"))
    else:
        groups += [(True, v) for v in levels + [none_label]]
    groups += [(False, v) for v in levels + [none_label]]
    for is_real, level in groups:
        mask = real if is_real and real_grey else (real == is_real) & (key == level)
        part = points.filter(mask)
        if part.height == 0:
            continue
        parts.append(part)
        stop = start + part.height
        if is_real and real_grey:
            layers.append(_layer("real", start, stop, color=REAL_COLOR, real=True))
        else:
            name = level if not is_real else f"{level} (real)"
            layers.append(_layer(name, start, stop, color=colors[level], real=is_real, legendgroup=level,
                                 showlegend=True))
        start = stop
    return _concat(parts, points), layers


def _continuous(points: pl.DataFrame, value: pl.Series, *, title: str, real_grey: bool,
                colorscale: Any, cmin: float | None = None, cmax: float | None = None) -> tuple[pl.DataFrame, list[dict]]:
    real = _is_real(points)
    value = value.cast(pl.Float64)
    finite = value.filter(value.is_finite())
    lo = float(finite.min()) if cmin is None and finite.len() else (cmin if cmin is not None else 0.0)
    hi = float(finite.max()) if cmax is None and finite.len() else (cmax if cmax is not None else 1.0)
    if hi <= lo:
        hi = lo + 1.0
    pts = points.with_columns(value.alias("_value"))
    parts, layers, start = [], [], 0
    for is_real in (True, False):
        part = pts.filter(real == is_real)
        if part.height == 0:
            continue
        parts.append(part)
        stop = start + part.height
        grey = is_real and real_grey
        layer = _layer("real" if is_real else "synthetic", start, stop, color=REAL_COLOR if grey else None,
                       real=is_real)
        if not grey:
            layer.update(continuous=True, colorscale=colorscale, cmin=lo, cmax=hi, colorbar=title,
                         showscale=not is_real)
        layers.append(layer)
        start = stop
    # exactly one colour bar: on the synthetic layer, or on the real one when there is no synthetic
    cont = [l for l in layers if l["continuous"]]
    if cont and not any(l["showscale"] for l in cont):
        cont[-1]["showscale"] = True
    return _concat(parts, pts), layers


def _concat(parts: list[pl.DataFrame], like: pl.DataFrame) -> pl.DataFrame:
    return pl.concat(parts, how="vertical") if parts else like.clear()


def map_layers(points: pl.DataFrame, color_by: str = "source", *,
               categorical: Sequence[str] = (), every: pl.DataFrame | None = None) -> tuple[pl.DataFrame, list[dict]]:
    """Order ``points`` into colour layers for ``color_by``.

    Returns the reordered points (with a ``_value`` column for continuous
    colours) and one dict per layer: ``name, start, stop`` (row range in the
    reordered frame), ``color`` (hex, or None when coloured by ``_value``),
    ``size, opacity, continuous, colorscale, cmin, cmax, colorbar, showscale,
    legendgroup, showlegend``. Columns named in ``categorical`` get one colour
    per value even when they hold numbers (e.g. the digits' label).
    ``every``: all the rows on the map when ``points`` are only some of them
    (the real rows drawn as a density): tags and categories take their colours
    from all the levels there, as they would with every row a point.
    """
    _check_mode(points, color_by)
    every = points if every is None else every
    if color_by in ("source", "batch"):  # batches keep the order they were made in
        return _discrete(points, points[color_by], real_grey=True, order=None)
    if color_by == "dist_to_real":
        return _continuous(points, points["dist_to_real"], title="distance to<br>nearest real<br>(× typical)",
                           real_grey=True, colorscale=DIST_COLORSCALE, cmin=0.0, cmax=DIST_CMAX)
    if color_by == "tag":
        key = _tag_key(points)
        tags = natural_sorted(set(_tag_key(every).to_list()) - {"real", "untagged"})
        order = {v: i for i, v in enumerate(tags)}
        pts, layers = _discrete(points, key, real_grey=False,  # untagged real first, untagged synthetic last
                                order=lambda levels: [v for v in ("real", *tags, "untagged") if v in levels])
        for layer in layers:
            group = layer["legendgroup"]
            if group == "real":
                layer.update(color=REAL_COLOR, name="real, untagged")
            elif group == "untagged":
                layer.update(color=UNTAGGED_COLOR, name="synthetic, untagged")
            else:  # tag colours follow the tags alone, whatever else is on the map
                layer.update(color=color_for(order[group]))
                if layer["size"] == _REAL["size"]:  # a tagged real row: not faint, a little smaller
                    layer.update(size=_SYNTH["size"] - 1, opacity=_SYNTH["opacity"])
        return pts, layers
    col = points[color_by]
    if col.dtype.is_numeric() and color_by not in categorical:
        return _continuous(points, col, title=color_by, real_grey=False, colorscale=NUMERIC_COLORSCALE)
    return _discrete(points, col, real_grey=False, levels_from=None if every is points else every[color_by])


def _tag_key(points: pl.DataFrame) -> pl.Series:
    """Each point's tag; ``real`` / ``untagged`` for untagged real / synthetic points."""
    tag = pl.col("tag").cast(pl.String) if "tag" in points.columns else pl.lit(None, dtype=pl.String)
    return points.select(pl.when(tag.is_not_null()).then(tag)
                         .when(pl.col("batch") == "real").then(pl.lit("real"))
                         .otherwise(pl.lit("untagged")).alias("tag")).to_series()


def map_figure(points: pl.DataFrame, color_by: str = "source", *, categorical: Sequence[str] = (),
               title: str | None = None, height: int = 520) -> go.Figure:
    """A static plotly figure of the Explorer map (same layers as the widget)."""
    pts, layers = map_layers(points, color_by, categorical=categorical)
    fig = go.Figure()
    for layer in layers:
        part = pts.slice(layer["start"], layer["stop"] - layer["start"])
        marker: dict = dict(size=layer["size"], opacity=layer["opacity"])
        real = part.height > 0 and bool((part["batch"] == "real").all())
        if real and not layer["continuous"] and layer["color"] != REAL_COLOR:
            # a real row in a level's colour: an open ring (larger, as rings are thin)
            marker.update(symbol=REAL_SYMBOL, size=max(layer["size"] + 2, 6), line=dict(width=1.2))
        elif not real:
            marker.update(line=dict(width=0.5, color="white"))
        if layer["continuous"]:
            marker.update(color=part["_value"].to_list(), colorscale=layer["colorscale"], cmin=layer["cmin"],
                          cmax=layer["cmax"], showscale=layer["showscale"],
                          colorbar=dict(title=dict(text=layer["colorbar"]), thickness=12))
        else:
            marker["color"] = layer["color"]
        fig.add_trace(go.Scattergl(
            x=part["x"].to_list(), y=part["y"].to_list(), mode="markers", name=layer["name"], marker=marker,
            legendgroup=layer["legendgroup"], showlegend=layer["showlegend"] and not layer["continuous"],
            text=part["row_id"].to_list(), hovertemplate="%{text}<extra>" + layer["name"] + "</extra>",
        ))
    apply_style(fig, title=title, height=height)
    fig.update_xaxes(showticklabels=False, title=None, zeroline=False, showgrid=False)
    fig.update_yaxes(showticklabels=False, title=None, zeroline=False, showgrid=False, scaleanchor=None)
    # the legend under the map, as in the browser: a colour bar or a long legend never narrows the map
    fig.update_layout(dragmode="lasso", legend=dict(itemsizing="constant", orientation="h", x=0, xanchor="left",
                                                    y=-0.01, yanchor="top"))
    return fig
