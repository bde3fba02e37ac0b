"""Static map figures: real rows in muted grey, placed batches in colour.

    fig = sk.plots.placement_map(m.real, {"copula": m.place(b1), "bootstrap": m.place(b2)})
    fig = sk.plots.placement_map(m.real, m.place(b1), color_by="dist_to_real")
    fig = sk.plots.small_multiples(m.real, {f"generation {g}": m.place(b) for g, b in ...})

``map_figure`` is the same function as ``placement_map`` (``sk.plots.map_figure``
is the Explorer's figure of a points frame; import this one from
``synthkit.plots.map`` under either name).
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from ..errors import DataError
from ..summary import DIST_MAX
from ._style import COLORS, DIST_COLORSCALE, REAL_COLOR, apply_style

__all__ = ["placement_map", "small_multiples", "DIST_SCALE_MAX"]

#: the dist_to_real colour scale tops out here, as on the Explorer (see :data:`synthkit.summary.FAR`)
DIST_SCALE_MAX = DIST_MAX
_REAL_SIZE, _SIZE = 5, 6


def _frame(x: Any, what: str) -> pl.DataFrame:
    if isinstance(x, pl.DataFrame):
        f = x
    elif hasattr(x, "real") and isinstance(getattr(x, "real"), pl.DataFrame):
        f = x.real  # a Map
    else:
        raise DataError(f"{what} must be a polars frame with x and y (from Map.place or m.real), got {type(x).__name__}")
    missing = [c for c in ("x", "y") if c not in f.columns]
    if missing:
        raise DataError(f"{what} lacks column(s) {missing}; pass the frame Map.place(...) or m.real returns")
    return f


def _placed(placed: Any) -> dict[str, pl.DataFrame]:
    if placed is None:
        return {}
    if isinstance(placed, pl.DataFrame):
        return {"synthetic": _frame(placed, "placed")}
    if isinstance(placed, Mapping):
        return {str(k): _frame(v, f"placed[{k!r}]") for k, v in placed.items()}
    raise DataError(f"placed must be a frame or a dict of name -> frame, got {type(placed).__name__}")


def _hover(f: pl.DataFrame, cols: Sequence[str]) -> tuple[list[list], str]:
    cols = [c for c in cols if c in f.columns]
    if not cols:
        return [], ""
    data = [[v if v is None or isinstance(v, str) else (round(v, 3) if isinstance(v, float) else v)
             for v in row] for row in f.select(cols).iter_rows()]
    tmpl = "<br>".join(f"{c}: %{{customdata[{i}]}}" for i, c in enumerate(cols))
    return data, tmpl


def _traces(real: pl.DataFrame, groups: dict[str, pl.DataFrame], *, color_by: str | None,
            hover: Sequence[str], showlegend: bool, showscale: bool, cmax: float,
            counts: bool = True) -> list[go.Scattergl]:
    out = []
    cd, tmpl = _hover(real, hover)
    out.append(go.Scattergl(
        x=real["x"].to_list(), y=real["y"].to_list(), mode="markers", name=f"real ({real.height:,})",
        marker=dict(color=REAL_COLOR, size=_REAL_SIZE, opacity=0.6), legendgroup="real",
        showlegend=showlegend, customdata=cd or None,
        hovertemplate=(f"real<br>{tmpl}<extra></extra>" if tmpl else "real<extra></extra>"),
    ))
    for i, (name, f) in enumerate(groups.items()):
        cd, tmpl = _hover(f, hover)
        if color_by == "dist_to_real":
            if "dist_to_real" not in f.columns:
                raise DataError(f"placed[{name!r}] has no dist_to_real column; use the frame Map.place returns")
            marker = dict(color=f["dist_to_real"].to_list(), colorscale=DIST_COLORSCALE, cmin=0.0, cmax=cmax,
                          size=_SIZE, opacity=0.85, line=dict(width=0.4, color="white"),
                          symbol=["circle", "diamond", "square", "triangle-up", "cross", "x"][i % 6],
                          showscale=showscale and i == 0,
                          colorbar=dict(title=dict(text="distance to<br>real data"), thickness=12, len=0.7,
                                        tickvals=[0, 1, 2, 3, 4][: int(cmax) + 1],
                                        ticktext=["0 (copy)", "1 (typical)", "2", "3", f"≥{cmax:g}"][: int(cmax) + 1]))
        else:
            marker = dict(color=COLORS[i % len(COLORS)], size=_SIZE, opacity=0.8, line=dict(width=0.4, color="white"))
        out.append(go.Scattergl(
            x=f["x"].to_list(), y=f["y"].to_list(), mode="markers",
            name=f"{name} ({f.height:,})" if counts else name,
            marker=marker, legendgroup=name, showlegend=showlegend, customdata=cd or None,
            hovertemplate=(f"{name}<br>{tmpl}<extra></extra>" if tmpl else f"{name}<extra></extra>"),
        ))
    return out


def placement_map(
    real_xy: Any,
    placed: Mapping[str, pl.DataFrame] | pl.DataFrame | None = None,
    *,
    color_by: str | None = None,
    hover: Sequence[str] = ("row_id", "dist_to_real", "nearest_real"),
    title: str | None = None,
    height: int = 480,
    dist_max: float = DIST_SCALE_MAX,
) -> go.Figure:
    """A static map: real rows (``m.real`` or any frame with x, y) in grey, batches on top.

    ``placed``: one frame from ``m.place(batch)`` or a dict name -> frame (one
    colour per batch). ``color_by="dist_to_real"`` colours placed rows by their
    distance to the real data instead (purple = a copy, white = as close as
    real rows are to each other, orange = ``FAR`` (2) typical gaps, red =
    ``dist_max`` or more: off the real data, however close the map shows them). ``hover``: columns shown on
    hover (missing ones are skipped); pass frames joined with the batch's
    values to show them too.
    """
    if color_by not in (None, "batch", "dist_to_real"):
        raise DataError(f"color_by={color_by!r}: use None/'batch' (one colour per batch) or 'dist_to_real'")
    real = _frame(real_xy, "real_xy")
    groups = _placed(placed)
    fig = go.Figure(_traces(real, groups, color_by=color_by, hover=hover, showlegend=True, showscale=True,
                            cmax=dist_max))
    _axes(fig)
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0.0, itemsizing="constant"))
    return apply_style(fig, title=title, height=height)


map_figure = placement_map


def small_multiples(
    real_xy: Any,
    placed_by_panel: Mapping[str, pl.DataFrame | Mapping[str, pl.DataFrame]],
    *,
    color_by: str | None = "dist_to_real",
    cols: int | None = None,
    hover: Sequence[str] = ("row_id", "dist_to_real", "nearest_real"),
    title: str | None = None,
    panel_height: int = 260,
    dist_max: float = DIST_SCALE_MAX,
) -> go.Figure:
    """A grid of maps sharing axes: the same real rows in every panel, one panel's batches each.

    ``placed_by_panel``: panel title -> a frame from ``m.place`` (or a dict of
    them), e.g. one panel per generation of a collapse run. Colour by
    ``dist_to_real`` (default, one shared colour bar) or by batch. Each panel's
    title gives its number of placed rows; the shared legend names the batches.
    """
    if not isinstance(placed_by_panel, Mapping) or not placed_by_panel:
        raise DataError("placed_by_panel must be a non-empty dict of panel title -> frame from Map.place")
    if color_by not in (None, "batch", "dist_to_real"):
        raise DataError(f"color_by={color_by!r}: use None/'batch' or 'dist_to_real'")
    real = _frame(real_xy, "real_xy")
    n = len(placed_by_panel)
    cols = cols or min(n, 4)
    if cols < 1:
        raise DataError(f"cols={cols} must be at least 1")
    rows = math.ceil(n / cols)
    names = list(placed_by_panel)
    panels = {name: _placed(placed_by_panel[name]) for name in names}
    # the legend is drawn once for all panels, so it names the batches without row counts;
    # each panel's title says how many rows it holds
    titles = [f"{name} ({sum(f.height for f in panels[name].values()):,} rows)" for name in names]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, shared_xaxes="all", shared_yaxes="all",
                        horizontal_spacing=0.02, vertical_spacing=0.08 if rows > 1 else 0.0)
    for p, name in enumerate(names):
        groups = panels[name]
        r, c = divmod(p, cols)
        for t in _traces(real, groups, color_by=color_by, hover=hover, showlegend=(p == 0), showscale=(p == 0),
                         cmax=dist_max, counts=False):
            fig.add_trace(t, row=r + 1, col=c + 1)
    _axes(fig)
    for ann in fig.layout.annotations:
        ann.font = dict(size=12)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.02, x=0.0, itemsizing="constant"))
    fig = apply_style(fig, title=title, height=panel_height * rows + (90 if title else 60))
    fig.update_layout(margin=dict(l=20, r=20))
    return fig


def _axes(fig: go.Figure) -> None:
    # UMAP coordinates have no units: hide ticks, keep the aspect ratio square
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, title=None)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, title=None, scaleanchor="x",
                     scaleratio=1)
