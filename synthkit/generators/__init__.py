"""Generator families, one module each, and the registry ``generate()`` uses.

Classes load on first use (``sk.generators.GaussianCopula``), so importing
synthkit does not import every family's dependencies.
"""

from __future__ import annotations

import importlib
from typing import Any

from ..errors import GeneratorError
from .base import Generator

#: registry name -> (module, class); ``available()`` lists the names
REGISTRY: dict[str, tuple[str, str]] = {
    "copula": ("synthkit.generators.copula", "GaussianCopula"),
    "gmm": ("synthkit.generators.mixture", "GaussianMixture"),
    "pca_gmm": ("synthkit.generators.pca_mixture", "PCAMixture"),
    "cart": ("synthkit.generators.cart", "CART"),
    "interpolate": ("synthkit.generators.interpolate", "Interpolate"),
    "bootstrap": ("synthkit.generators.bootstrap", "Bootstrap"),
    "gaussian": ("synthkit.generators.gaussian", "Gaussian"),
    "markov": ("synthkit.generators.markov", "Markov"),
    "char": ("synthkit.generators.markov", "CharMarkov"),
    "copy_edit": ("synthkit.generators.copy_edit", "CopyEdit"),
    "llm": ("synthkit.generators.llm", "LLMGenerator"),
}

#: the families that write text columns (``available(text=True)``); bootstrap copies any row
TEXT: tuple[str, ...] = ("markov", "char", "copy_edit", "llm")

#: class name -> module, for attribute access (includes families not in REGISTRY)
_CLASSES: dict[str, str] = {cls: mod for mod, cls in REGISTRY.values()}
_CLASSES["External"] = "synthkit.generators.external"
_CLASSES["LLMError"] = "synthkit.generators.llm"
_CLASSES["RemixModel"] = "synthkit.generators.llm"
_CLASSES["ShuffledColumns"] = "synthkit.generators.shuffled"


def __getattr__(name: str) -> Any:
    if name in _CLASSES:
        value = getattr(importlib.import_module(_CLASSES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'synthkit.generators' has no attribute {name!r}")


def available(text: bool = False) -> list[str]:
    """Names accepted by ``sk.generate(ds, name, ...)``.

    The tabular families by default; ``text=True`` lists those that write text
    columns (plus ``bootstrap``, which copies any row).
    """
    if text:
        return [*TEXT, "bootstrap"]
    return [name for name in REGISTRY if name not in TEXT]


def get(name: str) -> type[Generator]:
    """The generator class registered under ``name``."""
    if not isinstance(name, str) or name not in REGISTRY:
        raise GeneratorError(f"unknown generator {name!r}; choose one of {available()} "
                             f"(or, for text columns, {available(text=True)})")
    mod, cls = REGISTRY[name]
    return getattr(importlib.import_module(mod), cls)


def make(name: str | Generator, **params: Any) -> Generator:
    """A new unfitted generator from a registry name (or a generator with params set)."""
    if isinstance(name, Generator):
        return name.set_params(**params) if params else name
    cls = get(name)
    try:
        return cls(**params)
    except TypeError as exc:
        raise GeneratorError(f"bad parameters for {name!r}: {exc}") from None


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_CLASSES))


__all__ = ["Generator", "REGISTRY", "TEXT", "available", "get", "make", *_CLASSES]
