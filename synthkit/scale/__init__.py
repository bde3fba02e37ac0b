"""Beyond one process: synthkit's metrics and placement on a Dask cluster.

    with sk.scale.engine_scope("dask") as eng:        # a LocalCluster synthkit starts and stops
        parts = sk.scale.Partitions.open("synthetic/")  # a parquet folder, a glob or a frame
        ...

:class:`Engine` runs per-chunk functions on the workers (results in chunk
order, a progress bar, clear errors naming the partition or the scheduler);
:class:`Partitions` splits the input into labelled pieces that polars reads on
the worker. The distributed steps themselves live beside the in-memory ones
they reproduce.
"""

from __future__ import annotations

from .engine import Engine, engine_scope
from .sources import Partition, Partitions

__all__ = ["Engine", "engine_scope", "Partition", "Partitions"]
