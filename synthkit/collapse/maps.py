"""Place kept generations into one map anchored on the real rows (for small multiples).

Uses :class:`synthkit.Map` (``Map.fit(real).place(frame)``): every generation
lands in the *same* map, so a cloud that shrinks on the map has shrunk in the data.
"""

from __future__ import annotations

from typing import Any, Sequence

import polars as pl

from ..data import Dataset, as_dataset

__all__ = ["place_generations"]


def place_generations(result: Any, real: Any, generations: Sequence[int] | None = None, seed: int = 0,
                      random_state: int = 0) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(points, real_points)``: map coordinates of the kept generations' rows and of the real rows.

    ``points`` has ``generation`` plus what ``Map.place`` returns (``row_id``, ``x``, ``y``,
    ``dist_to_real``, ``nearest_real``) for one seed of the simulation; ``real_points``
    is the map's real rows (``row_id``, ``x``, ``y``, ...).
    """
    ds: Dataset = as_dataset(real)
    s = result.samples.filter(pl.col("seed") == seed)
    gens = sorted(s["generation"].unique().to_list()) if generations is None else list(generations)
    s = s.filter(pl.col("generation").is_in(gens))
    from ..projection import Map  # the map loads UMAP: only when placing

    m = Map.fit(ds, random_state=random_state)
    placed = m.place(s.select(["row_id", *ds.schema.columns]))
    return pl.concat([s.select("generation"), placed], how="horizontal"), m.real
