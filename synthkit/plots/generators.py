"""Figures for generators (see synthkit.plots)."""

__all__: list[str] = []
