"""Pure functions: data -> plotly figure. Styling only; no metrics, no I/O.

One module per topic (generators, map, metrics, collapse); this package
re-exports their public functions.
"""

from ._style import COLORS, REAL_COLOR, apply_style, use_notebook_renderer
from .generators import *  # noqa: F401,F403
from .map import *  # noqa: F401,F403
from .metrics import *  # noqa: F401,F403
from .collapse import *  # noqa: F401,F403
from .explorer import *  # noqa: F401,F403
