"""Figures for metrics (see synthkit.plots): plain summaries in, plotly figures out.

Each function takes pieces of ``Report.summary`` (plain numbers, lists and
polars frames) so it can be tested without running any metric.
"""

from __future__ import annotations

import html
import math
from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._style import COLORS, REAL_COLOR, apply_style, integer_ticks, shorten_labels

__all__ = [
    "marginals_figure", "pair_difference_figure", "dcr_figure", "prdc_figure", "utility_figure",
    "subgroup_figure", "detection_figure", "text_lengths_figure", "attacks_figure", "attacks_comparison_figure",
]

SYNTH_COLOR = COLORS[0]


def _esc(x) -> str:
    """Data text shown by plotly (which reads a few HTML tags): escaped, so values show literally."""
    return html.escape(str(x), quote=False)
BASE_COLOR = REAL_COLOR


#: categorical panels show at most this many bars per side (the rest as "(other)")
MAX_CATEGORIES = 12
#: category labels longer than this are cut with an ellipsis on the axis (hover has them whole)
LABEL_WIDTH = 12
OTHER = "(other)"


def marginals_figure(marginals: Mapping[str, Mapping], *, ncols: int = 3, scores: Mapping[str, float] | None = None,
                     title: str = "Per-column distributions: real vs synthetic",
                     max_categories: int = MAX_CATEGORIES, label_width: int = LABEL_WIDTH) -> go.Figure:
    """Real (grey) and synthetic (blue) shares per column, side by side.

    Categorical columns, and numeric columns that hold whole numbers over a range no
    wider than their number of bins (e.g. a year), are grouped bars: real and synthetic next to each other, never one
    hidden behind the other. Other numeric columns are the real histogram as grey bars
    with the synthetic one as a blue outline. A column counts as whole numbers when its
    marginal says ``"integer": True``, or, without that key, when its bin edges start and
    end on whole numbers and every bin holding real rows holds a whole number. Such
    panels get whole-number ticks (when the range is at most 50 wide; plotly's own
    ticks are whole numbers beyond that). At most ``max_categories`` bars per side are drawn
    (the categories largest on either side; the rest summed as "(other)"), and labels
    longer than ``label_width`` characters are cut with an ellipsis (the hover shows
    them in full).
    """
    names = list(marginals)
    n = max(len(names), 1)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    sub = [_esc(f"{c} ({scores[c]:.2f})" if scores and c in scores and scores[c] is not None else c) for c in names]
    fig = make_subplots(rows=nrows, cols=ncols, subplot_titles=sub, vertical_spacing=0.5 / max(nrows, 1) if nrows > 1 else 0.1,
                        horizontal_spacing=0.06)
    for i, c in enumerate(names):
        m = marginals[c]
        pos = dict(row=i // ncols + 1, col=i % ncols + 1)
        first = i == 0
        if m["kind"] == "numeric":
            e = np.asarray(m["edges"], dtype=float)
            real, synth = np.asarray(m["real"], dtype=float), np.asarray(m["synthetic"], dtype=float)
            integer = m.get("integer")
            integer = _whole_numbers(e, real) if integer is None else bool(integer)
            if integer and e[-1] - e[0] <= len(real):
                values, real, synth = _unit_bins(e, real, synth)
                _grouped_bars(fig, c, values.tolist(), [str(v) for v in values], real, synth, first, pos)
            else:
                _histogram(fig, c, e, real, synth, first, pos)
            if integer and e[-1] - e[0] <= 50:  # wider ranges get whole-number ticks from plotly itself
                ticks = integer_ticks(float(e[0]), float(e[-1]))
                fig.update_xaxes(tickmode="array", tickvals=ticks, ticktext=[str(t) for t in ticks], **pos)
        else:
            cats, real, synth = _top_categories(list(m["categories"]), np.asarray(m["real"], dtype=float),
                                                np.asarray(m["synthetic"], dtype=float), max_categories)
            ticks = [_esc(t) for t in shorten_labels(cats, label_width)]
            _grouped_bars(fig, c, ticks, cats, real, synth, first, pos)
    fig.update_layout(barmode="group", bargap=0.15, bargroupgap=0.0)
    fig.update_yaxes(tickformat=".0%")
    fig.update_xaxes(tickfont=dict(size=9))
    apply_style(fig, title=title, height=max(260, 230 * nrows))
    fig.update_layout(legend=dict(orientation="h", y=1.0 + 40 / max(260, 230 * nrows), yanchor="bottom", x=1,
                                  xanchor="right"))
    fig.update_annotations(font_size=11)
    return fig


def _whole_numbers(edges: np.ndarray, real: np.ndarray) -> bool:
    """Do the real rows look like whole numbers? Edges on whole numbers, no real mass between them."""
    if edges.size < 2 or not np.allclose(edges[[0, -1]], np.round(edges[[0, -1]])):
        return False
    lo, hi = edges[:-1], edges[1:]
    has_int = np.ceil(lo) < hi
    has_int[-1] = np.ceil(lo[-1]) <= hi[-1]  # the last bin includes its right edge
    return bool(np.all(has_int[real > 0]))


def _unit_bins(edges: np.ndarray, real: np.ndarray, synth: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shares re-binned on whole numbers: each bin's share goes to the whole number nearest its centre."""
    at = np.round((edges[:-1] + edges[1:]) / 2).astype(np.int64)
    values = np.arange(int(round(edges[0])), int(round(edges[-1])) + 1)
    idx = np.clip(at - values[0], 0, len(values) - 1)
    r, s = np.zeros(len(values)), np.zeros(len(values))
    np.add.at(r, idx, real)
    np.add.at(s, idx, synth)
    return values, r, s


def _top_categories(cats: list, real: np.ndarray, synth: np.ndarray, k: int) -> tuple[list, np.ndarray, np.ndarray]:
    """At most ``k`` categories: the ``k - 1`` largest on either side, in their order, + "(other)"."""
    if len(cats) <= k:
        return cats, real, synth
    keep = np.sort(np.argsort(-np.maximum(real, synth), kind="stable")[: k - 1])
    rest = np.setdiff1d(np.arange(len(cats)), keep)
    return ([cats[i] for i in keep] + [OTHER], np.r_[real[keep], real[rest].sum()],
            np.r_[synth[keep], synth[rest].sum()])


def _grouped_bars(fig, c, x, labels, real, synth, first, pos) -> None:
    for side, color, y in (("real", REAL_COLOR, real), ("synthetic", SYNTH_COLOR, synth)):
        fig.add_trace(go.Bar(x=x, y=y, name=side, marker_color=color, offsetgroup=side, legendgroup=side,
                             showlegend=first, customdata=[_esc(v) for v in labels],
                             hovertemplate=f"{side}<br>{_esc(c)} = %{{customdata}}: %{{y:.1%}}<extra></extra>"),
                      **pos)


def _histogram(fig, c, e, real, synth, first, pos) -> None:
    x = (e[:-1] + e[1:]) / 2
    bins = [f"{a:.4g} to {b:.4g}" for a, b in zip(e[:-1], e[1:])]
    fig.add_trace(go.Bar(x=x, y=real, width=float(e[1] - e[0]), name="real", marker_color=REAL_COLOR,
                         opacity=0.8, offsetgroup="real", legendgroup="real", showlegend=first,
                         customdata=bins, hovertemplate="real<br>%{customdata}: %{y:.1%}<extra></extra>"), **pos)
    # the synthetic histogram as an outline over the real bars: both stay visible
    fig.add_trace(go.Scatter(x=np.repeat(e, 2), y=np.r_[0.0, np.repeat(synth, 2), 0.0], mode="lines",
                             line=dict(color=SYNTH_COLOR, width=2), name="synthetic", legendgroup="synthetic",
                             showlegend=first, hoverinfo="skip"), **pos)


def pair_difference_figure(pairs, columns: Sequence[str], *,
                           title: str = "Pairwise dependence difference (0 = same as real)") -> go.Figure:
    """Heatmap of ``1 - similarity`` per column pair (correlation or contingency similarity)."""
    idx = {c: i for i, c in enumerate(columns)}
    n = len(columns)
    z = np.full((n, n), np.nan)
    text = [["" for _ in range(n)] for _ in range(n)]
    for p in pairs.iter_rows(named=True):
        i, j = idx[p["a"]], idx[p["b"]]
        d = 1.0 - p["value"]
        z[i, j] = z[j, i] = d
        if p["metric"] == "correlation_similarity":
            t = f"correlation real {p['real_corr']:.2f}, synthetic {p['synth_corr']:.2f}"
        else:
            t = "contingency table difference (TVD)"
        text[i][j] = text[j][i] = t
    fig = go.Figure(go.Heatmap(
        z=z, x=[_esc(c) for c in columns], y=[_esc(c) for c in columns], text=text, zmin=0, zmax=max(0.2, float(np.nanmax(z)) if n > 1 and np.isfinite(z).any() else 0.2),
        colorscale="Reds", colorbar=dict(title="1 - sim."),
        hovertemplate="%{y} x %{x}<br>difference %{z:.3f}<br>%{text}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed")
    side = min(900, max(360, 28 * n + 160))
    return apply_style(fig, title=title, height=side)


def _hist_shares(v: np.ndarray, edges: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    v = v[np.isfinite(v)]
    return np.histogram(np.clip(v, edges[0], edges[-1]), edges)[0] / max(v.size, 1)


def _overlaid_histograms(edges: np.ndarray, *sides: tuple[np.ndarray, str, str]) -> go.Figure:
    """One translucent bar trace per ``(values, name, colour)``: shares of each side's values in ``edges``."""
    x = (edges[:-1] + edges[1:]) / 2
    fig = go.Figure()
    for values, name, color in sides:
        fig.add_trace(go.Bar(x=x, y=_hist_shares(values, edges), name=name, marker_color=color, opacity=0.6))
    return fig


def dcr_figure(dcr: np.ndarray, base_dcr: np.ndarray, threshold: float, *, bins: int = 40,
               title: str = "Distance to closest real row (DCR)") -> go.Figure:
    """Histogram of synthetic DCR against the real rows' distances to their nearest other real row,
    with the near-copy line."""
    both = np.concatenate([np.asarray(dcr, float), np.asarray(base_dcr, float)])
    both = both[np.isfinite(both)]
    hi = float(np.percentile(both, 99.5)) if both.size else 1.0
    edges = np.linspace(0.0, hi if hi > 0 else 1.0, bins + 1)
    fig = _overlaid_histograms(edges, (base_dcr, "real vs real (baseline)", BASE_COLOR),
                               (dcr, "synthetic vs real", SYNTH_COLOR))
    fig.add_vline(x=threshold, line_dash="dash", line_color=COLORS[1],
                  annotation_text=f"near-copy threshold {threshold:.3g}", annotation_position="top right")
    fig.update_layout(barmode="overlay", bargap=0.02, xaxis_title="distance in the encoded space",
                      yaxis_title="share of rows", yaxis_tickformat=".0%")
    return apply_style(fig, title=title, height=340)


def _ci_err(ci: Sequence | None, v: float) -> tuple[float, float]:
    if not ci or ci[0] is None or ci[1] is None:
        return 0.0, 0.0
    return max(0.0, v - ci[0]), max(0.0, ci[1] - v)


def prdc_figure(scores: Mapping[str, float], baseline: Mapping[str, float],
                ci: Mapping[str, Sequence] | None = None, *,
                title: str = "Precision, recall, density, coverage (k-NN balls)") -> go.Figure:
    """Bars for the synthetic rows and the real-vs-real baseline."""
    names = ["precision", "recall", "density", "coverage"]
    ci = ci or {}
    v = [scores[n] for n in names]
    err = [_ci_err(ci.get(n), scores[n]) for n in names]
    base = [baseline.get(n) for n in names]
    fig = go.Figure()
    if all(b is not None for b in base):  # no baseline without size-matched verdicts (n_perm=0)
        fig.add_trace(go.Bar(x=names, y=base, name="real vs real (baseline)",
                             marker_color=BASE_COLOR, texttemplate="%{y:.2f}", textposition="outside"))
    fig.add_trace(go.Bar(x=names, y=v, name="synthetic", marker_color=SYNTH_COLOR,
                         error_y=dict(type="data", symmetric=False, array=[e[1] for e in err],
                                      arrayminus=[e[0] for e in err]),
                         texttemplate="%{y:.2f}", textposition="outside"))
    fig.add_hline(y=1.0, line_dash="dot", line_color="#999")
    fig.update_layout(barmode="group", yaxis_range=[0, max(1.2, max(v + [b for b in base if b is not None]) * 1.15)])
    return apply_style(fig, title=title, height=340)


def utility_figure(tstr: float, trtr: float, tstr_ci: Sequence | None = None, trtr_ci: Sequence | None = None, *,
                   score_name: str = "score", title: str = "Utility: train synthetic / real, test on real") -> go.Figure:
    """TSTR vs TRTR bars with intervals."""
    vals = [trtr, tstr]
    errs = [_ci_err(trtr_ci, trtr), _ci_err(tstr_ci, tstr)]
    fig = go.Figure(go.Bar(
        x=["TRTR (trained on real)", "TSTR (trained on synthetic)"], y=vals,
        marker_color=[BASE_COLOR, SYNTH_COLOR], texttemplate="%{y:.3f}", textposition="outside",
        error_y=dict(type="data", symmetric=False, array=[e[1] for e in errs], arrayminus=[e[0] for e in errs]),
    ))
    lo = min(0.0, min(v for v in vals if v is not None and np.isfinite(v)) - 0.1) if any(
        v is not None and np.isfinite(v) for v in vals) else 0.0
    fig.update_layout(yaxis_title=score_name, yaxis_range=[lo, 1.1], showlegend=False)
    return apply_style(fig, title=title, height=320)


def subgroup_figure(shares, *, title: str = "Sensitive groups: share of rows") -> go.Figure:
    """Grouped bars of each group's share in real vs synthetic rows; flagged groups marked."""
    fig = go.Figure()
    labels = [_esc(g) for g in shares["group"].to_list()]
    flags = shares["flag"].to_list()
    marked = [f"{g} [{f}]" if f else g for g, f in zip(labels, flags)]
    fig.add_trace(go.Bar(x=marked, y=shares["share_real"].to_list(), name="real", marker_color=REAL_COLOR))
    fig.add_trace(go.Bar(x=marked, y=shares["share_synth"].to_list(), name="synthetic", marker_color=SYNTH_COLOR,
                         customdata=shares["ratio"].to_list(),
                         hovertemplate="%{x}<br>share %{y:.1%}<br>ratio to real %{customdata:.2f}<extra></extra>"))
    fig.update_layout(barmode="group", yaxis_tickformat=".0%", xaxis_tickangle=-30)
    return apply_style(fig, title=title, height=380)


def detection_figure(p_real: np.ndarray, p_synth: np.ndarray, auc: float | None = None, *, bins: int = 25,
                     title: str | None = None) -> go.Figure:
    """Histograms of the out-of-fold probability of 'synthetic' for real and synthetic rows."""
    edges = np.linspace(0, 1, bins + 1)
    fig = _overlaid_histograms(edges, (p_real, "real rows", REAL_COLOR), (p_synth, "synthetic rows", SYNTH_COLOR))
    fig.update_layout(barmode="overlay", bargap=0.02, xaxis_title="out-of-fold probability of 'synthetic'",
                      yaxis_tickformat=".0%")
    t = title or (f"Detection: classifier probabilities (AUC {auc:.3f})" if auc is not None else "Detection")
    return apply_style(fig, title=t, height=320)


ATTACK_LABELS = {
    "singling_out_univariate": "singling out (1 column)",
    "singling_out_multivariate": "singling out (3 columns)",
    "linkability": "linkability",
    "inference": "attribute inference",
    "membership_distance": "membership (distance)",
    "membership_density": "membership (density ratio)",
}


def attacks_figure(table, *, title: str = "Privacy attacks: risk beyond what unseen real rows give away") -> go.Figure:
    """One bar per attack: its risk with the 95% interval (0 = no more than the control rows)."""
    names = table["attack"].to_list()
    labels = [ATTACK_LABELS.get(n, n) for n in names]
    risk = table["risk"].to_list()
    lo, hi = table["ci_low"].to_list(), table["ci_high"].to_list()
    fig = go.Figure(go.Bar(
        y=labels, x=risk, orientation="h", marker_color=SYNTH_COLOR, name="risk",
        error_x=dict(type="data", symmetric=False, array=[h - r for r, h in zip(risk, hi)],
                     arrayminus=[r - lo_ for r, lo_ in zip(risk, lo)]),
        customdata=list(zip(table["attack_rate"].to_list(), table["control_rate"].to_list(),
                            table["baseline_rate"].to_list())),
        hovertemplate="%{y}<br>risk %{x:.3f}<br>attack %{customdata[0]:.3f}, control %{customdata[1]:.3f}, "
                      "random guess %{customdata[2]:.3f}<extra></extra>",
    ))
    fig.update_layout(xaxis=dict(range=[0, 1.05], title="risk = (attack - control) / (1 - control)"),
                      yaxis=dict(autorange="reversed"), showlegend=False)
    return apply_style(fig, title=title, height=90 + 40 * len(names))


def attacks_comparison_figure(results: Mapping, *, title: str = "Privacy risk by attack and batch") -> go.Figure:
    """Grouped bars: each attack's risk (95% interval) for each named result of ``privacy_attacks``."""
    fig = go.Figure()
    for i, (name, att) in enumerate(results.items()):
        t = att.table
        labels = [ATTACK_LABELS.get(n, n) for n in t["attack"].to_list()]
        risk, lo, hi = t["risk"].to_list(), t["ci_low"].to_list(), t["ci_high"].to_list()
        fig.add_trace(go.Bar(
            y=labels, x=risk, orientation="h", name=str(name), marker_color=COLORS[i % len(COLORS)],
            error_x=dict(type="data", symmetric=False, array=[h - r for r, h in zip(risk, hi)],
                         arrayminus=[r - x for r, x in zip(risk, lo)], thickness=1),
            hovertemplate=f"{html.escape(str(name))}<br>%{{y}}: risk %{{x:.3f}}<extra></extra>",
        ))
    n = len(results)
    fig.update_layout(barmode="group", xaxis=dict(range=[0, 1.0], title="risk = (attack - control) / (1 - control)"),
                      yaxis=dict(autorange="reversed"), legend=dict(traceorder="normal"))
    return apply_style(fig, title=title, height=140 + 6 * 22 * max(n, 1))


def text_lengths_figure(real: np.ndarray, synth: np.ndarray, *, column: str = "text", max_bins: int = 40,
                        title: str | None = None) -> go.Figure:
    """Words per document, real against synthetic (shares of each side's documents).

    Lengths are whole numbers: one bar per length up to ``max_bins`` lengths,
    wider bins of whole numbers beyond; the longest 0.5% are folded into the last bar.
    """
    real, synth = np.asarray(real, dtype=float), np.asarray(synth, dtype=float)
    both = np.concatenate([real, synth])
    hi = float(np.ceil(np.percentile(both, 99.5))) if both.size else 1.0
    width = max(1.0, float(np.ceil((hi + 1) / max_bins)))
    edges = np.arange(-0.5, hi + width + 0.5, width)
    fig = _overlaid_histograms(edges, (real, "real", REAL_COLOR), (synth, "synthetic", SYNTH_COLOR))
    fig.update_layout(barmode="overlay", bargap=0.05, xaxis_title="words per document",
                      yaxis_title="share of documents", yaxis_tickformat=".0%")
    return apply_style(fig, title=title or f"Document lengths: {_esc(column)}", height=320)
