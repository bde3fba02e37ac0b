"""Figures for generators: real and synthetic marginals overlaid (see synthkit.plots).

``marginals(real, *synthetic)`` draws one small panel per column in a grid:
numeric columns as histograms on shared bins (the real rows as grey bars,
each synthetic source as a coloured outline), categorical columns as grouped
bars of category shares (missing values shown as "(missing)"). Heights are
shares of each source's rows, so batches of any size compare directly.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from ..summary import MISSING, category_labels, category_shares, frames, pick_columns, source_names
from ._style import COLORS, REAL_COLOR, apply_style, integer_ticks, shorten_labels

__all__: list[str] = ["marginals", "default_columns"]

OTHER = "(other)"

MAX_PANELS = 24


def default_columns(schema: Any, real: pl.DataFrame, max_pixels: int = 5) -> list[str]:
    """The columns worth a panel: every non-image column, plus the most varied pixels.

    For image data (64 pixel columns in digits) only the ``max_pixels`` pixels
    with the largest real variance are shown, in image order.
    """
    cols = [c for c in schema.columns if c not in schema.image_columns and c not in schema.text]
    if schema.image_columns:
        var = real.select(schema.image_columns).cast(pl.Float64).var().row(0)
        top = sorted(np.argsort(np.nan_to_num(np.array(var, dtype=float)))[::-1][:max_pixels])
        cols += [schema.image_columns[i] for i in top]
    return cols[:MAX_PANELS]


def marginals(
    real: Any,
    *synthetic: Any,
    names: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    ncols: int = 3,
    bins: int = 24,
    title: str | None = None,
    height: int | None = None,
    max_levels: int = 12,
) -> go.Figure:
    """Real vs synthetic marginal distributions, one panel per column.

    ``real``: the real Dataset (or frame); ``synthetic``: Batches, Datasets or
    frames with the same columns; ``names`` label them (default: each Batch's
    generator). ``columns`` picks and orders the panels (default:
    :func:`default_columns`, at most 24). A categorical column with more than
    ``max_levels`` categories shows its most frequent real ones and groups the
    rest as "(other)"; long category names are shortened on the axis.
    """
    schema, rf, fakes = frames(real, synthetic)
    labels = source_names(synthetic, names)
    columns = default_columns(schema, rf) if columns is None else pick_columns(schema, columns)
    ncols = max(1, min(int(ncols), len(columns)))
    nrows = math.ceil(len(columns) / ncols)
    height = height or 70 + 260 * nrows
    gap_px = 95  # room for slanted category labels and the next row's titles
    fig = make_subplots(rows=nrows, cols=ncols, subplot_titles=list(columns),
                        horizontal_spacing=0.06,
                        vertical_spacing=min(gap_px / height, 0.9 / max(nrows - 1, 1)))
    colours = [COLORS[i % len(COLORS)] for i in range(len(fakes))]
    for i, c in enumerate(columns):
        r, k = divmod(i, ncols)
        pos = dict(row=r + 1, col=k + 1)
        first = i == 0
        if c in schema.numeric:
            _numeric_panel(fig, c, rf, fakes, labels, colours, bins, first, pos, c in schema.integer)
        else:
            _categorical_panel(fig, c, _levels(rf[c], schema.categories[c], max_levels), rf, fakes,
                               labels, colours, first, pos)
            fig.update_xaxes(tickangle=-35, tickfont_size=10, **pos)
        fig.update_yaxes(tickformat=".0%", **pos)
    fig.update_layout(barmode="group", bargap=0.15, bargroupgap=0.05)
    fig.update_annotations(font_size=12)
    fig = apply_style(fig, title=title, height=height)
    # legend on the top line, right-aligned (the title, if any, sits on the left)
    fig.update_layout(legend=dict(orientation="h", yref="container", y=0.995, yanchor="top",
                                  x=1.0, xanchor="right"),
                      margin=dict(t=60))
    return fig


def _numeric_panel(fig, c, rf, fakes, labels, colours, bins, first, pos, integer) -> None:
    values = [f[c].drop_nulls().cast(pl.Float64).to_numpy() for f in [rf, *fakes]]
    present = [v for v in values if len(v)]
    if not present:
        return
    lo = min(float(v.min()) for v in present)
    hi = max(float(v.max()) for v in present)
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    if integer:  # bins of whole numbers, so no bin holds more integers than its neighbours
        step = max(1, math.ceil((hi - lo + 1) / bins))
        edges = lo - 0.5 + step * np.arange(math.ceil((hi - lo + 1) / step) + 1)
    else:
        edges = np.linspace(lo, hi, bins + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    width = float(edges[1] - edges[0])
    n_real = max(rf.height, 1)
    fig.add_trace(go.Bar(x=centres, y=np.histogram(values[0], edges)[0] / n_real, width=width,
                         marker=dict(color=REAL_COLOR, line_width=0), opacity=0.7, name="real",
                         legendgroup="real", showlegend=first, offsetgroup="real",
                         hovertemplate=f"real<br>{c} %{{x:.4g}}<br>%{{y:.1%}}<extra></extra>"), **pos)
    for v, f, lab, col in zip(values[1:], fakes, labels, colours):
        h = np.histogram(v, edges)[0] / max(f.height, 1)
        xs = np.repeat(edges, 2)[1:-1]
        ys = np.repeat(h, 2)
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color=col, width=2), name=lab,
                                 legendgroup=lab, showlegend=first,
                                 hovertemplate=f"{lab}<br>{c} %{{x:.4g}}<br>%{{y:.1%}}<extra></extra>"),
                      **pos)
    if integer and hi - lo <= 50:  # whole-number ticks: never "2,007.5" for a year
        ticks = integer_ticks(lo, hi)
        fig.update_xaxes(tickmode="array", tickvals=ticks, ticktext=[str(t) for t in ticks], **pos)


def _levels(real: pl.Series, categories: tuple, max_levels: int) -> list[str]:
    """Category labels to show: all, or the ``max_levels - 1`` most frequent real ones + other."""
    levels = [str(v) for v in categories]
    if len(levels) <= max_levels:
        return levels
    counts = real.cast(pl.String).drop_nulls().value_counts(sort=True)
    top = set(counts[real.name].head(max(1, max_levels - 1)).to_list())
    return [lev for lev in levels if lev in top] + [OTHER]


def _categorical_panel(fig, c, levels, rf, fakes, labels, colours, first, pos) -> None:
    frames_ = [rf, *fakes]
    if any(f[c].null_count() for f in frames_):
        levels = levels + [MISSING]
    shown = set(levels)
    ticks = shorten_labels(levels, 14)  # all different, so no two categories share a bar
    for f, lab, col in zip(frames_, ["real", *labels], [REAL_COLOR, *colours]):
        s = category_labels(f[c])
        if OTHER in shown:
            s = pl.select(pl.when(s.is_in(list(shown))).then(s).otherwise(pl.lit(OTHER)).alias(c)).to_series()
        shares = category_shares(s)
        y = [shares.get(lev, 0.0) for lev in levels]
        fig.add_trace(go.Bar(x=ticks, y=y, name=lab, marker=dict(color=col, line_width=0),
                             customdata=levels,
                             opacity=0.7 if lab == "real" else 0.9, legendgroup=lab,
                             showlegend=first, offsetgroup=lab,
                             hovertemplate=f"{lab}<br>{c}=%{{customdata}}<br>%{{y:.1%}}<extra></extra>"),
                      **pos)
