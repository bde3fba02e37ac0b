"""Place kept generations into one map anchored on the real rows (for small multiples).

Uses :class:`synthkit.Map` when it is available (``Map.fit(real).place(frame)``);
otherwise a UMAP fitted on the encoded real rows and its ``transform``, which is
what an anchored map is. Either way every generation lands in the *same* map, so
a cloud that shrinks on the map has shrunk in the data.
"""

from __future__ import annotations

from typing import Any, Sequence

import polars as pl

from ..data import Dataset, as_dataset
from ..encode import Encoder

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
    try:
        from ..projection import Map
    except ImportError:  # pragma: no cover - the map module ships with synthkit
        Map = None
    if Map is not None:
        m = Map.fit(ds, random_state=random_state)
        real_points = m.real
        placed = m.place(s.select(["row_id", *ds.schema.columns]))
        points = pl.concat([s.select("generation"), placed], how="horizontal")
    else:  # pragma: no cover
        import umap

        enc = Encoder().fit(ds)
        model = umap.UMAP(n_neighbors=15, min_dist=0.1, random_state=random_state, n_jobs=1)
        real_xy = model.fit_transform(enc.transform(ds))
        xy = model.transform(enc.transform(s.select(ds.schema.columns)))
        points = s.select("generation", "row_id").with_columns(pl.Series("x", xy[:, 0]), pl.Series("y", xy[:, 1]))
        real_points = ds.frame.select("row_id").with_columns(pl.Series("x", real_xy[:, 0]),
                                                             pl.Series("y", real_xy[:, 1]))
    return points, real_points

