"""One look for every synthkit figure: colours, legend order, the layout template."""

from __future__ import annotations

import math
import re
from typing import Any, Iterable

import plotly.graph_objects as go
import plotly.io as pio

from ..summary import DIST_MAX, FAR

#: ``dist_to_real`` colours on [0, DIST_MAX]: purple = exact copy, white = the typical
#: real-to-real gap (1), orange = FAR (the middle), red = DIST_MAX or more
DIST_COLORSCALE = [[0.0, "#5e3c99"], [1 / DIST_MAX, "#f7f7f7"], [FAR / DIST_MAX, "#fdb863"], [1.0, "#d7191c"]]

#: real rows are always this muted grey; synthetic sources take COLORS in order
REAL_COLOR = "#9aa0a6"
#: twelve categorical colours, no two alike and none grey: enough for the ten digits
#: (and every other level set the kit ships) without two levels sharing a colour
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
          "#bcbd22", "#800055", "#005f5f", "#1a1a1a"]


def color_for(i: int) -> str:
    """The ``i``-th categorical colour (the palette repeats only after 12 levels)."""
    return COLORS[i % len(COLORS)]


def natural_key(value: Any) -> tuple:
    """Sort key: numbers by value, text with embedded numbers in human order ("2" < "10").

    Missing values sort last.
    """
    if value is None:
        return (2, ())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, (float(value),)) if not math.isnan(value) else (2, ())
    text = str(value)
    try:
        return (0, (float(text),))
    except ValueError:
        pass
    parts = re.split(r"(\d+(?:\.\d+)?)", text.casefold())
    return (1, tuple((0, float(p), "") if i % 2 else (1, 0.0, p) for i, p in enumerate(parts) if p != ""))


def natural_sorted(values: Iterable[Any]) -> list:
    """``values`` in natural order (see :func:`natural_key`), duplicates kept."""
    return sorted(values, key=natural_key)


def integer_ticks(lo: float, hi: float, max_ticks: int = 6) -> list[int]:
    """Whole-number tick positions spanning ``[lo, hi]``: at most ``max_ticks``, step 1, 2, 5, 10, ..."""
    a, b = math.ceil(lo), math.floor(hi)
    if b < a:
        return [int(round((lo + hi) / 2))]
    step = 1
    while (b - a) / step > max_ticks - 1:
        step = _next_step(step)
    first = math.ceil(a / step) * step
    return list(range(int(first), int(b) + 1, int(step)))


def _next_step(step: int) -> int:
    digits = str(step)
    lead, rest = int(digits[0]), len(digits) - 1
    return {1: 2, 2: 5, 5: 10}[lead] * 10 ** rest


def shorten_labels(labels: Iterable[Any], width: int = 12) -> list[str]:
    """Axis labels of at most ``width`` characters, cut with an ellipsis, and still all different.

    Two labels that would be cut to the same text keep a number before the ellipsis
    ("Married-c1…", "Married-c2…"), so plotly never merges their bars.
    """
    labels = [str(v) for v in labels]
    width = max(int(width), 3)
    out = [v if len(v) <= width else v[: width - 1] + "…" for v in labels]
    seen: dict[str, int] = {}
    for v in out:
        seen[v] = seen.get(v, 0) + 1
    count: dict[str, int] = {}
    for i, v in enumerate(out):
        if seen[v] > 1 and v != labels[i]:
            count[v] = count.get(v, 0) + 1
            tag = str(count[v])
            out[i] = labels[i][: width - 1 - len(tag)] + tag + "…"
    return out


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
