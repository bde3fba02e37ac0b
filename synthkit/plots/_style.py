"""One look for every synthkit figure."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

#: real rows are always this muted grey; synthetic sources take COLORS in order
REAL_COLOR = "#9aa0a6"
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


def apply_style(fig: go.Figure, *, title: str | None = None, height: int | None = None) -> go.Figure:
    """The synthkit look: white template, compact margins, readable fonts."""
    fig.update_layout(
        template="plotly_white",
        font=dict(family="Inter, Helvetica, Arial, sans-serif", size=12),
        margin=dict(l=50, r=20, t=50 if title else 20, b=40),
        legend=dict(bgcolor="rgba(255,255,255,0.7)"),
    )
    if title:
        fig.update_layout(title=dict(text=title, x=0.01, xanchor="left"))
    if height:
        fig.update_layout(height=height)
    return fig


def use_notebook_renderer() -> None:
    """Show figures with plotly's mimetype renderer (small notebooks, no bundled plotly.js).

    Called once at the top of each synthkit notebook; JupyterLab renders the
    ``application/vnd.plotly.v1+json`` output with plotly's own extension.
    """
    pio.renderers.default = "plotly_mimetype"
