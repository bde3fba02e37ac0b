"""Figures for collapse (see synthkit.plots): data in, plotly figure out; no metrics computed here."""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from ..errors import DataError
from ._style import COLORS, REAL_COLOR, apply_style, color_for, natural_key

__all__: list[str] = ["collapse_metrics", "regime_comparison", "group_shares", "generation_maps",
                      "digit_thumbnails"]

_LABELS = {
    "std_ratio": "std ratio (synthetic / real)",
    "tail_mass": "tail mass (beyond real 1%/99%)",
    "categories": "categories surviving",
    "minority_share": "minority-group share",
    "group_share": "group share",
    "precision": "precision", "recall": "recall", "density": "density", "coverage": "coverage",
    "utility": "utility (train synthetic, test real)",
    "kept_share": "share kept by curation",
}


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i: i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _band(fig, x, mean, lo, hi, color, name, row=None, col=None, show_legend=True, group=None, dash=None):
    kw = dict(row=row, col=col) if row is not None else {}
    if lo is not None and np.any(np.asarray(hi) != np.asarray(lo)):
        # mode="lines": with fewer than 20 vertices plotly would also mark every corner of the band
        fig.add_trace(go.Scatter(x=np.r_[x, x[::-1]], y=np.r_[hi, lo[::-1]], mode="lines", fill="toself",
                                 fillcolor=_rgba(color, 0.15), line=dict(width=0), hoverinfo="skip",
                                 showlegend=False, legendgroup=group or name), **kw)
    fig.add_trace(go.Scatter(x=x, y=mean, mode="lines", name=name, line=dict(color=color, width=2, dash=dash),
                             legendgroup=group or name, showlegend=show_legend), **kw)


def _aggregate(table: pl.DataFrame) -> pl.DataFrame:
    return (
        table.with_columns(pl.col("value").fill_nan(None))
        .group_by(["generation", "metric", "column"], maintain_order=True)
        .agg(pl.col("value").mean().alias("mean"),
             pl.col("value").quantile(0.1, "linear").alias("q10"),
             pl.col("value").quantile(0.9, "linear").alias("q90"))
        .sort("generation")
    )


#: whole-table metrics (precision, recall, ...: no column) share one neutral line
WHOLE_TABLE = "whole table"
WHOLE_TABLE_COLOR = "#555555"
OTHER_COLUMNS_COLOR = "#c7c7c7"


def _series_styles(agg: pl.DataFrame) -> tuple[dict, dict]:
    """Colour and legend name per ``column`` value (None = a whole-table metric).

    One series only: it is "simulated". Otherwise each column keeps one palette colour in
    every panel; whole-table metrics are one neutral "whole table" line (their panel title
    names the metric), and columns beyond the palette share a light grey "other columns".
    """
    keys = agg["column"].unique(maintain_order=True).to_list()
    if len(keys) == 1:
        return {keys[0]: COLORS[0]}, {keys[0]: "simulated"}
    columns = [k for k in keys if k is not None]
    colors: dict = {None: WHOLE_TABLE_COLOR}
    names: dict = {None: WHOLE_TABLE}
    for i, k in enumerate(columns):
        if i < len(COLORS):
            colors[k], names[k] = color_for(i), k
        else:
            colors[k], names[k] = OTHER_COLUMNS_COLOR, f"other columns ({len(columns) - len(COLORS)})"
    return colors, names


def collapse_metrics(result: Any, metrics: Sequence[str] | None = None,
                     theory: Mapping[str, Any] | None = None, title: str | None = None,
                     height: int | None = None) -> go.Figure:
    """One panel per metric: the mean over seeds per column, with a 10-90 % band.

    A column keeps its colour in every panel; metrics of the whole table (no column) are
    one grey "whole table" line; a run with a single series calls it "simulated".

    ``result`` is a :class:`~synthkit.collapse.CollapseResult` (or its ``table``).
    ``theory`` maps a metric to expected values per generation (an array indexed by
    generation, or a callable ``g -> value``), drawn as a dashed black line.
    """
    table = result.table if hasattr(result, "table") else result
    present = [m for m in table["metric"].unique(maintain_order=True).to_list() if m != "group_share"]
    metrics = present if metrics is None else [m for m in metrics if m in present]
    agg = _aggregate(table.filter(pl.col("metric").is_in(metrics)))
    ncols = 1 if len(metrics) == 1 else 2
    nrows = max(1, math.ceil(len(metrics) / ncols))
    fig = make_subplots(rows=nrows, cols=ncols, subplot_titles=[_LABELS.get(m, m) for m in metrics],
                        horizontal_spacing=0.1, vertical_spacing=0.14 if nrows > 1 else 0.1)
    colors, names = _series_styles(agg)
    seen: set[str] = set()
    for i, m in enumerate(metrics):
        r, c = i // ncols + 1, i % ncols + 1
        sub = agg.filter(pl.col("metric") == m)
        for column in sub["column"].unique(maintain_order=True).to_list():
            part = sub.filter(pl.col("column").is_null() if column is None else pl.col("column") == column)
            name, color = names[column], colors[column]
            _band(fig, part["generation"].to_numpy(), part["mean"].to_numpy(), part["q10"].to_numpy(),
                  part["q90"].to_numpy(), color, name, row=r, col=c, show_legend=name not in seen)
            seen.add(name)
        if theory and m in theory:
            gens = np.arange(int(agg["generation"].max()) + 1)
            th = theory[m]
            y = np.asarray([th(g) for g in gens]) if callable(th) else np.asarray(th)[: len(gens)]
            fig.add_trace(go.Scatter(x=gens[: len(y)], y=y, mode="lines", name="theory",
                                     line=dict(color="black", dash="dash", width=2),
                                     showlegend="theory" not in seen, legendgroup="theory"), row=r, col=c)
            seen.add("theory")
        fig.update_xaxes(title_text="generation" if r == nrows else None, row=r, col=c)
    if title is None and hasattr(result, "config"):
        cfg = result.config
        title = (f"{cfg['dataset']}: {cfg['generator']}, {cfg['regime']}, {cfg['n_per_generation']} rows "
                 f"per generation, {cfg['seeds']} seed(s)")
    return apply_style(fig, title=title or "collapse over generations", height=height or 260 * nrows + 80)


def _per_generation(res: Any, metric: str, column: str | None) -> pl.DataFrame:
    """``metric`` per generation: the mean over seeds (each seed averaged over columns) and its 10-90 % range."""
    table = res.table if hasattr(res, "table") else res
    t = table.filter(pl.col("metric") == metric)
    if column is not None:
        t = t.filter(pl.col("column") == column)
    per_seed = t.with_columns(pl.col("value").fill_nan(None)).group_by(["seed", "generation"]).agg(
        pl.col("value").mean())
    return (per_seed.group_by("generation").agg(
        pl.col("value").mean().alias("mean"), pl.col("value").quantile(0.1, "linear").alias("q10"),
        pl.col("value").quantile(0.9, "linear").alias("q90")).sort("generation"))


BASELINE_COLOR = "#7f7f7f"


def regime_comparison(results: Mapping[str, Any], metric: str = "std_ratio", column: str | None = None,
                      title: str | None = None, theory: Any = None, *,
                      baseline: Mapping[str, Any] | None = None, reference: float | str | None = None,
                      y_range: Sequence[float] | None = None) -> go.Figure:
    """One line per labelled result (e.g. per regime): ``metric`` averaged over columns, band over seeds.

    ``column`` picks one column instead of the average; ``theory`` (array or callable
    of the generation) adds a dashed reference line. ``baseline`` results (label ->
    result) are drawn as grey dotted mean lines without a band, to compare against;
    ``reference`` draws a horizontal dotted line at a value, or with
    ``reference="generation 0"`` at the first result's generation-0 value (the real
    rows). ``y_range`` fixes the y axis (otherwise plotly fits it to the data).
    """
    fig = go.Figure()
    gmax = 0
    start: float | None = None
    for label, res in (baseline or {}).items():
        agg = _per_generation(res, metric, column)
        if agg.height == 0:
            continue
        gmax = max(gmax, int(agg["generation"].max()))
        fig.add_trace(go.Scatter(x=agg["generation"], y=agg["mean"], mode="lines", name=label,
                                 line=dict(color=BASELINE_COLOR, width=1.5, dash="dot")))
    for i, (label, res) in enumerate(results.items()):
        agg = _per_generation(res, metric, column)
        if agg.height == 0:
            continue
        gmax = max(gmax, int(agg["generation"].max()))
        if start is None and int(agg["generation"].min()) == 0:
            start = agg["mean"][0]
        _band(fig, agg["generation"].to_numpy(), agg["mean"].to_numpy(), agg["q10"].to_numpy(),
              agg["q90"].to_numpy(), color_for(i), label)
    if theory is not None:
        g = np.arange(gmax + 1)
        y = np.asarray([theory(x) for x in g]) if callable(theory) else np.asarray(theory)[: gmax + 1]
        fig.add_trace(go.Scatter(x=g[: len(y)], y=y, mode="lines", name="theory",
                                 line=dict(color="black", dash="dash")))
    if isinstance(reference, str):
        if reference != "generation 0":
            raise DataError(f"reference={reference!r}: give a number or 'generation 0'")
        ref, ref_name = start, "real rows (generation 0)"
    else:
        ref, ref_name = reference, "reference"
    if ref is not None and np.isfinite(ref):
        fig.add_trace(go.Scatter(x=[0, max(gmax, 1)], y=[ref, ref], mode="lines", name=ref_name,
                                 line=dict(color=REAL_COLOR, width=1.5, dash="dash"), hoverinfo="skip"))
    label = _LABELS.get(metric, metric) + (f" [{column}]" if column else "")
    fig.update_layout(xaxis_title="generation", yaxis_title=label)
    if y_range is not None:
        fig.update_yaxes(range=list(y_range), autorange=False)
    return apply_style(fig, title=title or label, height=380)


def group_shares(result: Any, column: str, title: str | None = None, stacked: bool = False,
                 cols: int = 5) -> go.Figure:
    """Share of every group of a sensitive ``column`` per generation.

    One small panel per group (largest at generation 0 first), each with its own y
    axis from 0, so a group holding 1 % of the rows is as readable as one holding
    85 %: the line is the mean over seeds, the band the 10-90 % range, the dashed
    grey line the group's share at generation 0. ``stacked=True`` draws the older
    stacked area of the mean shares on a 0-1 scale instead (where small groups are
    thin slivers).
    """
    table = result.table if hasattr(result, "table") else result
    t = table.filter((pl.col("metric") == "group_share") & pl.col("column").str.starts_with(f"{column}="))
    agg = (t.with_columns(pl.col("value").fill_nan(None)).group_by(["generation", "column"])
           .agg(pl.col("value").mean().alias("mean"), pl.col("value").quantile(0.1, "linear").alias("q10"),
                pl.col("value").quantile(0.9, "linear").alias("q90"))
           .sort(["column", "generation"]))
    start = agg.filter(pl.col("generation") == agg["generation"].min()) if agg.height else agg
    first = dict(zip(start["column"], start["mean"]))
    groups = sorted(agg["column"].unique().to_list(), key=lambda g: (-(first.get(g) or 0.0), natural_key(g)))
    label = {g: g.split("=", 1)[1] for g in groups}
    if stacked:
        fig = go.Figure()
        for i, grp in enumerate(groups):
            part = agg.filter(pl.col("column") == grp)
            fig.add_trace(go.Scatter(x=part["generation"], y=part["mean"], mode="lines", stackgroup="one",
                                     name=label[grp], line=dict(color=color_for(i), width=0.5)))
        fig.update_layout(xaxis_title="generation", yaxis_title=f"share of rows by {column}", yaxis_range=[0, 1])
        return apply_style(fig, title=title or f"{column} groups over generations", height=340)
    n = max(len(groups), 1)
    ncols = max(1, min(int(cols), n))
    nrows = math.ceil(n / ncols)
    titles = [f"{label[g]} (gen 0: {first.get(g) or 0.0:.1%})" for g in groups]
    fig = make_subplots(rows=nrows, cols=ncols, subplot_titles=titles, shared_xaxes=True,
                        horizontal_spacing=0.06, vertical_spacing=0.2 / nrows if nrows > 1 else 0.1)
    for i, grp in enumerate(groups):
        r, c = i // ncols + 1, i % ncols + 1
        part = agg.filter(pl.col("column") == grp)
        x = part["generation"].to_numpy()
        _band(fig, x, part["mean"].to_numpy(), part["q10"].to_numpy(), part["q90"].to_numpy(), color_for(i),
              label[grp], row=r, col=c, show_legend=False)
        start_share = first.get(grp) or 0.0
        fig.add_trace(go.Scatter(x=[x.min(), x.max()], y=[start_share, start_share], mode="lines",
                                 line=dict(color=REAL_COLOR, dash="dash", width=1), name="share at generation 0",
                                 legendgroup="generation 0", showlegend=i == 0, hoverinfo="skip"), row=r, col=c)
        top = float(np.nanmax(np.r_[part["q90"].to_numpy(), start_share])) if part.height else 1.0
        fig.update_yaxes(range=[0, min(max(top, 1e-3) * 1.15, 1.05)], tickformat=".1%" if top < 0.05 else ".0%", row=r, col=c)
        fig.update_xaxes(title_text="generation" if r == nrows else None, row=r, col=c)
    fig.update_annotations(font_size=12)
    fig = apply_style(fig, title=title or f"{column} groups over generations (each on its own scale)",
                      height=110 + 230 * nrows)
    fig.update_layout(legend=dict(orientation="h", yref="container", y=0.0, yanchor="bottom", x=0.0),
                      margin=dict(b=60))
    return fig


def generation_maps(points: pl.DataFrame, real: pl.DataFrame, generations: Sequence[int] | None = None,
                    title: str | None = None, max_points: int = 1500) -> go.Figure:
    """Small multiples of one anchored map: real rows in grey, each generation's rows in colour.

    ``points`` has columns ``generation``, ``x``, ``y`` (placed into the map fitted on the
    real rows, e.g. by :func:`synthkit.collapse.place_generations`); ``real`` has ``x``, ``y``.
    All panels share the real rows' axes, so a shrinking cloud is a shrinking cloud, not a
    re-scaled one. Uses the map module's ``small_multiples`` (coloured by distance to
    the nearest real row) when the points carry ``dist_to_real``.
    """
    gens = sorted(points["generation"].unique().to_list()) if generations is None else list(generations)
    if "dist_to_real" in points.columns:
        from .map import small_multiples

        panels = {f"generation {g}": points.filter(pl.col("generation") == g).drop("generation") for g in gens}
        return small_multiples(real, panels, title=title or "the synthetic cloud on the real rows' map",
                               cols=len(gens))
    fig = make_subplots(rows=1, cols=len(gens), subplot_titles=[f"generation {g}" for g in gens],
                        shared_xaxes=True, shared_yaxes=True, horizontal_spacing=0.02)
    rx, ry = real["x"].to_numpy(), real["y"].to_numpy()
    pad_x, pad_y = 0.05 * np.ptp(rx), 0.05 * np.ptp(ry)
    for i, g in enumerate(gens, start=1):
        fig.add_trace(go.Scattergl(x=rx, y=ry, mode="markers", marker=dict(color=REAL_COLOR, size=3, opacity=0.5),
                                   name="real", showlegend=i == 1, legendgroup="real", hoverinfo="skip"),
                      row=1, col=i)
        part = points.filter(pl.col("generation") == g)
        if part.height > max_points:
            part = part.sample(max_points, seed=0)
        fig.add_trace(go.Scattergl(x=part["x"], y=part["y"], mode="markers",
                                   marker=dict(color=COLORS[0], size=3, opacity=0.6), name="synthetic",
                                   showlegend=i == 1, legendgroup="synthetic"), row=1, col=i)
    fig.update_xaxes(range=[rx.min() - pad_x, rx.max() + pad_x], showticklabels=False)
    fig.update_yaxes(range=[ry.min() - pad_y, ry.max() + pad_y], showticklabels=False)
    fig = apply_style(fig, title=title or "the synthetic cloud on the real rows' map", height=320)
    fig.update_layout(legend=dict(orientation="h", y=-0.05))
    return fig


def digit_thumbnails(images: Mapping[int, np.ndarray], title: str | None = None,
                     zmax: float = 16.0) -> go.Figure:
    """A grid of image thumbnails: one row per generation, one column per image.

    ``images`` maps a generation to an array ``(k, h, w)``; all rows are drawn as one
    heatmap mosaic (small output), with a one-pixel gap between thumbnails.
    """
    gens = list(images)
    k = max(len(images[g]) for g in gens)
    h, w = images[gens[0]].shape[1:]
    mosaic = np.full((len(gens) * (h + 1), k * (w + 1)), np.nan)
    for r, g in enumerate(gens):
        for c, img in enumerate(images[g]):
            mosaic[r * (h + 1): r * (h + 1) + h, c * (w + 1): c * (w + 1) + w] = img
    fig = go.Figure(go.Heatmap(z=mosaic, colorscale="Greys", zmin=0, zmax=zmax, showscale=False,
                               hoverinfo="skip"))
    fig.update_yaxes(autorange="reversed", tickvals=[r * (h + 1) + h / 2 - 0.5 for r in range(len(gens))],
                     ticktext=[f"gen {g}" for g in gens], showgrid=False, zeroline=False)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, scaleanchor="y")
    return apply_style(fig, title=title or "digits across generations", height=70 * len(gens) + 80)
