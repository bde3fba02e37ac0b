"""Figures for collapse (see synthkit.plots)."""

__all__: list[str] = []
