"""Figures for map (see synthkit.plots)."""

__all__: list[str] = []
