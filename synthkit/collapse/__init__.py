"""Model collapse: recursive generation, its closed-form theory and curators.

    res = sk.collapse.simulate(ds, "gaussian", generations=20, regime="replace")
    res.table      # seed, generation, metric, column, value
    res.plot()     # metrics over generations

``theory`` holds the closed forms the simulator is checked against;
``curators`` ready-made ``curate=`` callables.
"""

from . import curators, theory
from .bias import group_shares, undersample
from .compare import compare, per_seed, standard_error
from .maps import place_generations
from .simulate import METRICS, REGIMES, CollapseError, CollapseResult, CurateContext, simulate

__all__ = ["simulate", "CollapseResult", "CollapseError", "CurateContext", "theory", "curators",
           "METRICS", "REGIMES", "undersample", "group_shares", "place_generations", "compare", "per_seed",
           "standard_error"]
