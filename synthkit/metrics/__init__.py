"""Measure synthetic data honestly: one module per metric family.

- :mod:`~synthkit.metrics.fidelity`: one column at a time (KS / TV complement, support)
- :mod:`~synthkit.metrics.pairwise`: column pairs (correlation / contingency similarity)
- :mod:`~synthkit.metrics.detection`: a classifier separating real from synthetic
- :mod:`~synthkit.metrics.coverage`: precision, recall, density, coverage (Naeem et al. 2020)
- :mod:`~synthkit.metrics.privacy`: DCR, near and exact copies, NNDR, memorisation
- :mod:`~synthkit.metrics.utility`: train synthetic, test real (TSTR) vs TRTR
- :mod:`~synthkit.metrics.fairness`: subgroup balance of sensitive groups
- :mod:`~synthkit.metrics.text`: text columns (vocabulary, repetition, perplexity, lengths, memorisation)

:func:`evaluate` runs them all with size-matched real-vs-real baselines,
calibrated "worse than real" verdicts (:mod:`~synthkit.metrics._baseline`) and bootstrap
intervals and returns a :class:`Report` (saved and loaded as JSON, checked by
quality gates: :func:`gate`); :func:`suggest` turns its per-row
scores into candidate problem regions.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

# name -> submodule that defines it. Loaded on first use, so reading a saved report or
# gating it does not import the classifiers (scikit-learn) or the numba neighbour kernels.
_LAZY = {
    "prdc": "coverage",
    "FAMILIES": "evaluate", "evaluate": "evaluate",
    "ks_complement": "fidelity", "tv_complement": "fidelity",
    "GateResult": "gate", "Threshold": "gate", "gate": "gate",
    "FORMULAS": "report", "METRIC_HELP": "report", "Report": "report", "compare": "report",
    "load_report": "report",
    "KINDS": "suggest", "Region": "suggest", "regions_frame": "suggest", "suggest": "suggest",
    "trtr": "utility", "tstr": "utility",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    if not name.startswith("__") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f"{__name__}.{name}")  # a family module, e.g. metrics.coverage
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


#: functions named like the submodule that defines them
_SHADOWED = ("evaluate", "gate", "suggest")


class _Package(types.ModuleType):
    """This package, keeping ``metrics.evaluate`` (and ``gate``, ``suggest``) the function.

    Loading a submodule makes Python set the package attribute of the same name
    to the submodule; for these three names the function it defines is bound instead.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SHADOWED and isinstance(value, types.ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__all__ = [
    "evaluate", "suggest", "compare", "Report", "load_report", "gate", "GateResult", "Threshold", "Region", "regions_frame", "FAMILIES", "KINDS", "FORMULAS",
    "METRIC_HELP", "prdc", "tstr", "trtr", "ks_complement", "tv_complement",
    "coverage", "detection", "fairness", "fidelity", "pairwise", "privacy", "text", "utility",
]
