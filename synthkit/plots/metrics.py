"""Figures for metrics (see synthkit.plots)."""

__all__: list[str] = []
