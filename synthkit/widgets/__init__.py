"""Widgets: the Explorer and its parts, one widget a module.

``Explorer`` composes ``Controls`` (data + Generate), ``MapView`` (the map, drawn
with plotly.js in the browser), ``SelectionView`` (selected rows, thumbnails) and
``TagPanel`` (label, note, Tag, Undo, counts, suggestions). ``CollapseControls``
runs the collapse simulator from sliders; it loads (with the collapse
simulator and its numba kernels) only when first asked for, so opening an
Explorer does not pay for it.
"""

import importlib
from typing import Any

from .controls import Controls
from .explorer import Explorer
from .mapview import MapView
from .selection import SelectionView
from .tagpanel import TagPanel


def __getattr__(name: str) -> Any:
    if name == "CollapseControls":
        return importlib.import_module(".collapse", __name__).CollapseControls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["Explorer", "MapView", "Controls", "SelectionView", "TagPanel", "CollapseControls"]
