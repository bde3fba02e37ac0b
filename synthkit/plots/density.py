"""The real rows of a large map as a density image: counts on a grid, coloured, as PNG bytes.

Above :data:`synthkit.widgets.explorer.DENSITY_ABOVE` real rows the Explorer no
longer sends each real row to the browser; it sends one image of how many
real rows fall in each cell of a grid laid over the visible part of the map
(the "extent"), and draws the synthetic batches as points on top. Zooming asks
for a new image of the new extent, so detail grows as one zooms in.

Everything here is numpy and pure: ``full_extent`` (the extent that holds
every row), ``density_counts`` (rows per cell), ``density_rgba`` (log-scaled
counts through a light grey-blue ramp, transparent where a cell is empty) and
``png_bytes`` (a PNG encoder on ``zlib``, no imaging library). A
:class:`DensityLayer` keeps the coordinates and renders any extent::

    layer = DensityLayer(x, y)
    img = layer.render(layer.extent, width=800, height=520)
    img.png, img.extent, img.counts.sum()      # PNG bytes, (x0, x1, y0, y1), rows shown

Cells: row 0 of ``counts`` is the TOP of the extent (largest y), as in an
image; a row exactly on the right or top edge counts in the last cell. Rows
with a NaN or infinite coordinate are never counted.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import DataError

__all__ = ["DensityImage", "DensityLayer", "full_extent", "density_counts", "density_rgba", "png_bytes",
           "DENSITY_COLORS", "MAX_CELLS_PER_SIDE"]

#: the ramp from the sparsest to the densest cell: light to dark neutral grey (the colour of the real
#: rows everywhere else), so every batch colour on top stands out, blue included
DENSITY_COLORS = ((0xe4, 0xe4, 0xe4), (0xbf, 0xbf, 0xbf), (0x8c, 0x8c, 0x8c), (0x55, 0x55, 0x55))
#: opacity of the sparsest and the densest cell (0-255); empty cells are fully transparent
DENSITY_ALPHA = (150, 235)
#: a grid is at most this many cells wide or high, whatever size the browser asks for
MAX_CELLS_PER_SIDE = 2048
#: the extent around every row is widened by this share of its span on each side
PAD = 0.02


def _finite_xy(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    px = np.asarray(x, dtype=float).ravel()
    py = np.asarray(y, dtype=float).ravel()
    if px.shape != py.shape:
        raise DataError(f"x has {px.size} values but y has {py.size}; give one y per x")
    return px, py


def check_extent(extent: Any) -> tuple[float, float, float, float]:
    """``(x0, x1, y0, y1)`` as floats with x0 < x1 and y0 < y1; DataError otherwise."""
    try:
        x0, x1, y0, y1 = (float(v) for v in extent)
    except (TypeError, ValueError):
        raise DataError(f"extent must be (x0, x1, y0, y1), four numbers; got {extent!r}") from None
    if not all(np.isfinite([x0, x1, y0, y1])):
        raise DataError(f"extent {extent!r} has a NaN or infinite bound; give four finite numbers")
    if not (x0 < x1 and y0 < y1):
        raise DataError(f"extent {extent!r} is empty; it needs x0 < x1 and y0 < y1")
    if not (np.isfinite(x1 - x0) and np.isfinite(y1 - y0)):
        raise DataError(f"extent {extent!r} is too wide to draw (its width overflows); zoom in")
    return x0, x1, y0, y1


def full_extent(x: Any, y: Any, pad: float = PAD) -> tuple[float, float, float, float]:
    """The extent ``(x0, x1, y0, y1)`` holding every finite point, widened by ``pad`` of its span.

    A constant coordinate (one point, or all on a line) gets a span of 1
    around it; no finite point at all gives ``(0, 1, 0, 1)``.
    """
    px, py = _finite_xy(x, y)
    ok = np.isfinite(px) & np.isfinite(py)
    if not ok.any():
        return 0.0, 1.0, 0.0, 1.0
    out: list[float] = []
    for v in (px[ok], py[ok]):
        lo, hi = float(v.min()), float(v.max())
        span = hi - lo
        if span <= 0 or not np.isfinite(span):
            out += [lo - 0.5, lo + 0.5]
        else:
            out += [lo - pad * span, hi + pad * span]
    return out[0], out[1], out[2], out[3]


def density_counts(x: Any, y: Any, extent: Any, shape: tuple[int, int]) -> np.ndarray:
    """Rows per cell of a ``shape = (rows, cols)`` grid over ``extent``; row 0 is the top.

    Points outside the extent (or with a NaN coordinate) are not counted; a
    point on the right or top edge counts in the last cell, so every point of
    ``full_extent`` is counted exactly once.
    """
    x0, x1, y0, y1 = check_extent(extent)
    ny, nx = (int(v) for v in shape)
    if nx < 1 or ny < 1:
        raise DataError(f"shape {shape!r} must be at least (1, 1) cells")
    px, py = _finite_xy(x, y)
    inside = (px >= x0) & (px <= x1) & (py >= y0) & (py <= y1)
    px, py = px[inside], py[inside]
    ix = np.minimum(((px - x0) * (nx / (x1 - x0))).astype(np.int64), nx - 1)
    iy = np.minimum(((y1 - py) * (ny / (y1 - y0))).astype(np.int64), ny - 1)  # from the top
    np.clip(ix, 0, nx - 1, out=ix)
    np.clip(iy, 0, ny - 1, out=iy)
    return np.bincount(iy * nx + ix, minlength=nx * ny).reshape(ny, nx)


def density_rgba(counts: np.ndarray, vmax: float | None = None) -> np.ndarray:
    """Counts as an RGBA image (uint8, shape rows x cols x 4): log-scaled, transparent where 0.

    ``vmax``: the count that takes the darkest colour (default: the largest count).
    """
    c = np.asarray(counts, dtype=float)
    if c.ndim != 2:
        raise DataError(f"counts must be a 2-d grid, got shape {c.shape}")
    top = float(c.max()) if vmax is None and c.size else float(vmax or 1.0)
    # log scale: one row gives the lightest colour, `top` rows the darkest
    t = np.log1p(np.maximum(c - 1, 0)) / np.log1p(max(top - 1, 1.0))
    t = np.clip(t, 0.0, 1.0)
    ramp = np.asarray(DENSITY_COLORS, dtype=float)
    pos = t * (len(ramp) - 1)
    k = np.minimum(pos.astype(np.int64), len(ramp) - 2)
    f = (pos - k)[..., None]
    rgb = ramp[k] * (1 - f) + ramp[k + 1] * f
    alpha = DENSITY_ALPHA[0] + t * (DENSITY_ALPHA[1] - DENSITY_ALPHA[0])
    out = np.empty(c.shape + (4,), dtype=np.uint8)
    out[..., :3] = np.rint(rgb).astype(np.uint8)
    out[..., 3] = np.where(c > 0, np.rint(alpha), 0).astype(np.uint8)
    return out


def png_bytes(rgba: np.ndarray) -> bytes:
    """An RGBA uint8 image (rows x cols x 4) as PNG bytes (8-bit RGBA, no filter, zlib level 6)."""
    img = np.asarray(rgba)
    if img.ndim != 3 or img.shape[2] != 4 or img.dtype != np.uint8:
        raise DataError(f"png_bytes needs a uint8 array of shape (rows, cols, 4), got {img.dtype} {img.shape}")
    h, w = img.shape[:2]
    raw = np.zeros((h, 1 + 4 * w), dtype=np.uint8)  # each scanline: filter byte 0, then the pixels
    raw[:, 1:] = img.reshape(h, 4 * w)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
            + chunk(b"IEND", b""))


@dataclass(frozen=True)
class DensityImage:
    """One rendered image: ``png`` bytes covering ``extent`` = (x0, x1, y0, y1), and the ``counts`` grid."""

    png: bytes
    extent: tuple[float, float, float, float]
    counts: np.ndarray

    @property
    def shown(self) -> int:
        """How many rows the image counts (those inside its extent)."""
        return int(self.counts.sum())


class DensityLayer:
    """The coordinates of many points, rendered as a density image of any extent.

    ``cell`` is the size of a grid cell in screen pixels (2: a 800 x 520
    plot gets a 400 x 260 grid), so a lone row stays visible.
    """

    def __init__(self, x: Any, y: Any, *, cell: int = 2) -> None:
        px, py = _finite_xy(x, y)
        self.x = px
        self.y = py
        self.cell = max(1, int(cell))
        self.extent = full_extent(px, py)

    def __len__(self) -> int:
        return int(self.x.size)

    def grid_shape(self, width: float, height: float) -> tuple[int, int]:
        """``(rows, cols)`` of the grid for a plot of ``width`` x ``height`` pixels."""
        try:
            w, h = float(width), float(height)
        except (TypeError, ValueError):
            raise DataError(f"width and height must be numbers of pixels, got {width!r} x {height!r}") from None
        if not (np.isfinite(w) and np.isfinite(h)) or w < 1 or h < 1:
            raise DataError(f"the plot size {width!r} x {height!r} must be at least 1 x 1 pixels")
        cols = int(min(MAX_CELLS_PER_SIDE, max(1, round(w / self.cell))))
        rows = int(min(MAX_CELLS_PER_SIDE, max(1, round(h / self.cell))))
        return rows, cols

    def render(self, extent: Any = None, *, width: float = 800, height: float = 520) -> DensityImage:
        """The density image of ``extent`` (default: every row) for a plot of ``width`` x ``height`` pixels."""
        ext = self.extent if extent is None else check_extent(extent)
        counts = density_counts(self.x, self.y, ext, self.grid_shape(width, height))
        return DensityImage(png_bytes(density_rgba(counts)), ext, counts)
