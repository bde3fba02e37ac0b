"""synthkit: look hard at synthetic data before anyone trains on it.

    import synthkit as sk
    ds = sk.load("penguins")
    batch = sk.generate(ds, "copula", n=200, random_state=1)

Heavier parts (the map, metrics, widgets, collapse) load on first use, so
``import synthkit`` stays quick.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import generators
from .batch import Batch, Provenance, generate
from .data import Dataset, Schema, from_frame, load, read
from .encode import Encoder
from .errors import (
    ConditionError,
    DataError,
    DependencyError,
    GeneratorError,
    NotFittedError,
    QualityGateError,
    SchemaError,
    SynthkitError,
    SynthkitWarning,
    WorkspaceError,
)

__version__ = "0.1.0"

# name -> (module, attribute or None for the module itself)
_LAZY = {
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
    raise AttributeError(f"module 'synthkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "Batch", "Provenance", "Dataset", "Schema", "Encoder", "generate", "generators", "load",
    "read", "from_frame", "SynthkitError", "DataError", "SchemaError", "NotFittedError",
    "GeneratorError", "ConditionError", "WorkspaceError", "DependencyError", "QualityGateError", "SynthkitWarning",
    *_LAZY,
]
