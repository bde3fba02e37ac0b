"""Widgets: the Explorer and its parts, one widget a module.

``Explorer`` composes ``Controls`` (data + Generate), ``MapView`` (the map, drawn
with plotly.js in the browser), ``SelectionView`` (selected rows, thumbnails) and
``TagPanel`` (label, note, Tag, Undo, counts, suggestions). ``CollapseControls``
runs the collapse simulator from sliders.
"""

from .collapse import CollapseControls
from .controls import Controls
from .explorer import Explorer
from .mapview import MapView
from .selection import SelectionView
from .tagpanel import TagPanel

__all__ = ["Explorer", "MapView", "Controls", "SelectionView", "TagPanel", "CollapseControls"]
