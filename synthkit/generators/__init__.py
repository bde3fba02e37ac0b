"""Generator families, one module each, and the registry ``generate()`` uses."""

from __future__ import annotations

from .base import Generator
from .bootstrap import Bootstrap
from ..errors import GeneratorError

#: registry name -> class; ``available()`` lists the keys
REGISTRY: dict[str, type[Generator]] = {
    Bootstrap.name: Bootstrap,
}


def available() -> list[str]:
    """Names accepted by ``sk.generate(ds, name, ...)``."""
    return list(REGISTRY)


def make(name: str | Generator, **params) -> Generator:
    """A new unfitted generator from a registry name (or a generator with params set)."""
    if isinstance(name, Generator):
        return name.set_params(**params) if params else name
    if not isinstance(name, str) or name not in REGISTRY:
        raise GeneratorError(f"unknown generator {name!r}; choose one of {available()}")
    cls = REGISTRY[name]
    try:
        return cls(**params)
    except TypeError as exc:
        raise GeneratorError(f"bad parameters for {name!r}: {exc}") from None


__all__ = ["Generator", "Bootstrap", "REGISTRY", "available", "make"]
