"""synthkit: look hard at synthetic data before anyone trains on it.

    import synthkit as sk
    ds = sk.load("penguins")
    batch = sk.generate(ds, "copula", n=200, random_state=1)

Every part (data, generators, the map, metrics, widgets, collapse) loads on
first use, so ``import synthkit`` costs almost nothing and the command line and
the pytest plugin pay only for what they use.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from .errors import (
    ConditionError,
    DataError,
    DependencyError,
    GeneratorError,
    NotFittedError,
    QualityGateError,
    EngineError,
    SchemaError,
    SynthkitError,
    SynthkitWarning,
    WorkspaceError,
)

__version__ = "0.1.0"

# name -> (module, attribute or None for the module itself)
_LAZY = {
    "generators": ("synthkit.generators", None),
    "Batch": ("synthkit.batch", "Batch"),
    "Provenance": ("synthkit.batch", "Provenance"),
    "generate": ("synthkit.batch", "generate"),
    "Dataset": ("synthkit.data", "Dataset"),
    "Schema": ("synthkit.data", "Schema"),
    "from_frame": ("synthkit.data", "from_frame"),
    "load": ("synthkit.data", "load"),
    "read": ("synthkit.data", "read"),
    "Encoder": ("synthkit.encode", "Encoder"),
    "Map": ("synthkit.projection", "Map"),
    "Workspace": ("synthkit.workspace", "Workspace"),
    "Explorer": ("synthkit.widgets", "Explorer"),
    "evaluate": ("synthkit.metrics", "evaluate"),
    "suggest": ("synthkit.metrics", "suggest"),
    "Report": ("synthkit.metrics", "Report"),
    "load_report": ("synthkit.metrics", "load_report"),
    "gate": ("synthkit.metrics", "gate"),
    "GateResult": ("synthkit.metrics", "GateResult"),
    "Threshold": ("synthkit.metrics", "Threshold"),
    "privacy_attacks": ("synthkit.metrics.attacks", "privacy_attacks"),
    "collapse": ("synthkit.collapse", None),
    "metrics": ("synthkit.metrics", None),
    "plots": ("synthkit.plots", None),
    "summary": ("synthkit.summary", None),
    "widgets": ("synthkit.widgets", None),
    "projection": ("synthkit.projection", None),
    "use_notebook_renderer": ("synthkit.plots", "use_notebook_renderer"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        mod_name, attr = _LAZY[name]
        mod = importlib.import_module(mod_name)
        value = mod if attr is None else getattr(mod, attr)
        globals()[name] = value
        return value
    if not name.startswith("__") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f"{__name__}.{name}")  # a submodule, e.g. sk.data
    raise AttributeError(f"module 'synthkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "SynthkitError", "DataError", "SchemaError", "NotFittedError",
    "GeneratorError", "ConditionError", "WorkspaceError", "DependencyError", "QualityGateError", "EngineError",
    "SynthkitWarning",
    *_LAZY,
]
