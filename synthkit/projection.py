"""The map: UMAP of the real rows in Encoder space, and fast placement of batches.

    m = sk.Map.fit(ds, random_state=0, cache_dir=ws.cache_dir)
    m.real                      # row_id, x, y, dist_to_real of the real rows
    xy = m.place(batch)         # row_id, x, y, dist_to_real, nearest_real

Modes
    ``anchored`` (default): UMAP is fitted on the real rows only; each batch is
    placed into that fixed map, so the picture stays the same from batch to
    batch. ``joint``: UMAP is fitted on the real rows plus the given batches'
    rows, so synthetic rows shape the map too (a later batch is placed like in
    anchored mode, against all fitted rows).

Placement
    ``place`` looks up each new row's ``PLACE_K`` (5) nearest real rows in
    Encoder space and puts it at the inverse-distance-weighted mean of their
    map coordinates (weights 1/d^2); a row identical to a real row lands
    exactly on it. The same search gives ``dist_to_real`` and
    ``nearest_real``, so placing costs one neighbour query. (A joint map uses
    all the rows it was fitted on as anchors instead.) ``refine=True`` runs
    UMAP's own transform (its neighbour graph and a short optimisation against
    the fixed map), slower but what umap-learn itself would do.

Distance to the real data
    Placement puts every row near its nearest real neighbours, even a row that
    lies far off the real data. So every placed row also gets
    ``dist_to_real``: its distance to the closest real row in Encoder space,
    divided by ``nn_scale`` (the median distance from a real row to its nearest
    other real row). About 1 means "as close as real rows are to each other";
    much more than 1 means off the real data, whatever the map shows. 0 means
    an exact copy of a real row. The search is exact for every euclidean map
    of up to 16 million encoded values (``neighbors.BLAS_LIMIT``; adult's 48,842
    rows x 109 columns are 5.3 million): blocked matrix products with a
    certified re-check (about 0.3 s of one core per 1,000 rows placed into
    adult; nothing to compile in a fresh process).
    Larger maps and other metrics use pynndescent's approximate search, which
    can only overestimate a distance; exact copies are always found, and every
    row it finds more than ``VERIFY_ABOVE`` (4) units away is checked by brute
    force, so a value above 4 is exact and a smaller one is an upper bound.

Large data
    With more real rows than ``max_fit_rows`` (default ``MAX_FIT_ROWS`` =
    10,000), UMAP is fitted on a seeded random subsample of that size and the
    other real rows are placed into it like a batch; ``note`` says so. Fitting
    UMAP on all 48,842 adult rows took 1.5-3 minutes on two cores (seeded UMAP
    runs single-threaded), the default subsample about 40 s (BENCHMARKS.md).
    Pass ``max_fit_rows=None`` to fit on every row. ``fit(..., engine="dask")``
    places the other real rows and measures every real row's distance to the
    others on Dask workers, and ``place(rows, engine=...)`` places any number
    of rows there (a parquet folder or glob too), with the in-process result
    (:mod:`synthkit.placement`). Above ``DISTINCT_ABOVE``
    (100,000) real rows of which at most half are distinct (measured data
    repeats), the other real rows are placed, and their distances to each
    other measured, once per distinct row: the same numbers, found faster.

Too few rows
    With fewer than ``n_neighbors + 2`` (distinct) rows to fit, UMAP is not meaningful:
    the map falls back to the first two principal components (``method`` is
    ``"pca"`` and ``note`` explains); placement is then the exact PCA
    projection.

Cache
    ``fit(..., cache_dir=folder)`` stores the fitted map in
    ``folder/<hash>/`` (JSON, parquet and ``.npy``/``.npz`` arrays, never
    pickle, so opening someone else's cache cannot run code) and a second fit
    with the same data and parameters loads it instead of refitting. The hash
    covers the real data's fingerprint, the parameters, the batch ids of a
    joint map and the versions of the storage format and umap-learn. A loaded
    map places rows exactly like the fitted one: an exact neighbour index is
    rebuilt from the data (instantly), an approximate one restored from its
    stored arrays at its first query (or rebuilt, seeded, if the installed
    pynndescent differs), and ``refine=True`` needs no UMAP object because the
    transform is recomputed from the stored embedding with umap-learn's own
    functions (see ``_umap_transform``). Nothing is refitted after a load.

Shipped maps
    The map of every embedded dataset (``sk.load``) at the default parameters
    ships with synthkit in ``data/maps/`` (built by ``tools/build_data.py
    --maps``), in the cache's format minus the data itself, so the first map
    of an embedded dataset opens in about a second instead of fitting UMAP.
    ``fit`` finds it by the data's fingerprint, its row ids, the parameters,
    ``FORMAT_VERSION`` and, for text, the embedding in use (not the umap-learn version: the shipped layout is
    a valid map whatever UMAP is installed); anything different, such as a
    subsample, other parameters or a joint map, is fitted as before.
    ``shipped=False`` fits anyway. A shipped map that cannot be read is
    skipped with a warning and the map is fitted.

Progress
    Fitting UMAP on more than ``PROGRESS_ROWS`` (5,000) rows takes from tens
    of seconds to minutes; ``fit`` then shows a progress bar (tqdm: its steps,
    and UMAP's epochs). ``progress=True`` / ``False`` shows it always / never.
    ``m.fit_seconds`` is the time the fit took (0 for a shipped map).

Seeds
    ``random_state`` seeds UMAP (which then runs single-threaded and gives the
    same coordinates every time), the subsample and the neighbour index.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import shutil
import tempfile
import time
import warnings
from importlib.metadata import version as _version
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import polars as pl

from ._checks import check_int, check_path, check_random_state, check_sequence
from .neighbors import EXACT_LIMIT, KnnIndex
from .data import ROW_ID, Dataset, Schema, as_dataset, conform, data_dir, frame_fingerprint, to_polars
from .encode import Encoder
from .errors import DataError, SchemaError, SynthkitError, SynthkitWarning
from .text.embed import auto_backend

__all__ = ["Map", "MAX_FIT_ROWS", "MODES", "METRICS", "PROGRESS_ROWS", "ship", "shipped_dir"]

#: the most UMAP epochs Map.fit accepts (UMAP's own default is 200 to 500)
MAX_EPOCHS = 10_000
MODES = ("anchored", "joint")
#: metrics that UMAP, pynndescent and the exact search all support
METRICS = ("euclidean", "manhattan", "chebyshev", "cosine")
#: default cap on the rows UMAP is fitted on (the rest are placed into the map)
MAX_FIT_ROWS = 10_000
#: bump when the stored layout or the placement rule changes (invalidates caches and shipped maps);
#: 2: exact neighbour search up to neighbors.BLAS_LIMIT values, compact stored indexes
FORMAT_VERSION = 2
#: the folder, inside the embedded data folder, of the maps that ship with synthkit
SHIPPED_DIR = "maps"
#: Map.fit shows a progress bar (by default) when UMAP fits more rows than this
PROGRESS_ROWS = 5_000
_IDW_POWER = 2.0
#: fast placement averages this many nearest fitted rows (fewer than UMAP's
#: n_neighbors: on penguins and digits 3-5 neighbours agree best with umap's transform)
PLACE_K = 5
#: where the neighbour search is approximate (pynndescent: it can only
#: overestimate a distance), rows it finds farther than this many nn_scale units
#: from the real data (the top of the colour scale) are checked by brute force,
#: so no row is flagged as far off by mistake; exact copies are always found
VERIFY_ABOVE = 4.0
_DEFAULT = object()


def _umap_version() -> str:
    return _version("umap-learn")


class Map:
    """A 2-D map of the real rows; place synthetic batches into it.

    Build it with :meth:`Map.fit` (or :meth:`Map.load`). Attributes:
    ``mode``, ``method`` ("umap" or "pca"), ``note``, ``hash``, ``encoder``,
    ``real`` (polars: row_id, x, y, dist_to_real), ``nn_scale``, ``params``.
    """

    def __init__(self) -> None:  # use Map.fit or Map.load
        self.mode: str = "anchored"
        self.method: str = "umap"
        self.note: str = ""
        self.hash: str = ""
        self.params: dict[str, Any] = {}
        self.nn_scale: float = 1.0
        self.encoder: Encoder
        self.dataset: Dataset
        self.real: pl.DataFrame
        self.fit_seconds: float = 0.0
        self.loaded_from_cache: bool = False
        # fitted rows: real subsample (or all real rows) then joint batch rows
        self._fit_X: np.ndarray
        self._fit_xy: np.ndarray
        self._fit_ids: list[str] = []
        self._fit_real: np.ndarray  # positions (into real) of the real rows in the fit
        self._extra: pl.DataFrame | None = None  # joint batch rows (row_id + features)
        self._extra_pos: dict[str, int] = {}
        self._real_X: np.ndarray
        self._fit_index: KnnIndex | None = None
        self._real_index: KnnIndex | None = None
        self._ab: tuple[float, float] = (1.0, 1.0)
        self._pca: tuple[np.ndarray, np.ndarray] | None = None  # (mean, components)
        self._umap: Any = None  # the live umap.UMAP right after fitting (not after load)

    # ================================================================== fit
    @classmethod
    def fit(
        cls,
        data: Dataset | Any,
        *,
        mode: str = "anchored",
        batches: Iterable[Any] = (),
        n_neighbors: int = 15,
        min_dist: float = 0.1,
        metric: str = "euclidean",
        random_state: int | None = 0,
        cache_dir: str | os.PathLike | None = None,
        max_fit_rows: int | None | object = _DEFAULT,
        n_epochs: int | None = None,
        shipped: bool = True,
        progress: bool | None = None,
        engine: Any = None,
        scheduler: str | None = None,
        rows_per_chunk: int | None = None,
    ) -> "Map":
        """Fit a map of the real rows of ``data`` (a Dataset).

        ``mode="joint"`` also fits on the rows of ``batches`` (Batches, or
        frames with ``row_id`` and the schema's columns). ``max_fit_rows``
        (default ``MAX_FIT_ROWS``; ``None`` = all rows) caps the rows UMAP is
        fitted on. ``n_epochs`` is passed to UMAP (``None``: its default).
        With ``cache_dir``, a map fitted before with the same data and
        parameters is loaded from disk instead of refitted. Otherwise an
        embedded dataset at the default parameters opens the map that ships
        with synthkit (``shipped=False``: fit it anyway). ``progress``: show a
        progress bar while fitting (``None``: when UMAP fits more than
        ``PROGRESS_ROWS`` rows). ``engine`` / ``scheduler`` (as for
        :meth:`place`) run the passes over every real row on Dask workers,
        ``rows_per_chunk`` rows at a time: placing the real rows left out of
        the subsample, and each real row's distance to its nearest other real
        row; the map is the same as fitted in-process.
        """
        ds = _check_dataset(data)
        if mode not in MODES:
            raise DataError(f"unknown map mode {mode!r}; use one of {list(MODES)}")
        n_neighbors = check_int("n_neighbors", n_neighbors, minimum=2, maximum=200, hint=" (UMAP's default is 15)")
        if not isinstance(min_dist, (int, float)) or not 0.0 <= float(min_dist) <= 1.0:
            raise DataError(f"min_dist={min_dist!r} must be a number between 0 and 1")
        if metric not in METRICS:
            raise DataError(f"metric={metric!r} is not supported; use one of {list(METRICS)}")
        if max_fit_rows is _DEFAULT:
            max_fit_rows = MAX_FIT_ROWS
        max_fit_rows = check_int("max_fit_rows", max_fit_rows, minimum=2, allow_none=True,
                                 hint=" (None: fit on all rows)")
        n_epochs = check_int("n_epochs", n_epochs, minimum=1, maximum=MAX_EPOCHS, allow_none=True,
                             hint=" (None: UMAP's default, 200 to 500)")
        random_state = check_random_state(random_state, allow_generator=False)
        from .placement import PLACE_CHUNK_ROWS

        rows_per_chunk = check_int("rows_per_chunk", PLACE_CHUNK_ROWS if rows_per_chunk is None else rows_per_chunk,
                                   minimum=1, hint=" (real rows per chunk of the passes over every real row)")
        if not isinstance(shipped, bool):
            raise DataError(f"shipped={shipped!r} must be True (use the map shipped for an embedded dataset) "
                            "or False (always fit)")
        if progress is not None and not isinstance(progress, bool):
            raise DataError(f"progress={progress!r} must be True, False or None (a bar for large fits only)")
        if cache_dir is not None:
            cache_dir = check_path("cache_dir", cache_dir, kind="dir")
            try:
                cache_dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DataError(f"cache_dir={str(cache_dir)!r} cannot be created ({exc.strerror or exc}); "
                                "pass a writable folder, or cache_dir=None") from None
        batch_list = list(check_sequence("batches", batches, allow_none=True, what="Batches (or frames of rows)")
                          or ())
        if mode == "anchored" and batch_list:
            raise DataError("batches are only used by mode='joint'; in anchored mode, place them with m.place(batch)")
        if mode == "joint" and not batch_list:
            raise DataError("mode='joint' needs batches=[...] to fit on together with the real rows")
        extra, batch_keys = _joint_rows(batch_list, ds.schema)

        params = {
            "mode": mode, "n_neighbors": int(n_neighbors), "min_dist": float(min_dist), "metric": metric,
            "random_state": None if random_state is None else int(random_state),
            "max_fit_rows": None if max_fit_rows is None else int(max_fit_rows),
            "n_epochs": None if n_epochs is None else int(n_epochs),
        }
        key = _hash(ds, params, batch_keys)
        if cache_dir is not None:
            folder = Path(cache_dir) / key
            if (folder / "map.json").exists():
                try:
                    return cls.load(cache_dir, key)
                except Exception as exc:  # noqa: BLE001 - refit and rewrite the broken entry
                    warnings.warn(f"the cached map in {folder} could not be read ({exc}); refitting it",
                                  SynthkitWarning, stacklevel=2)
        if shipped and mode == "anchored":
            found = cls._open_shipped(ds, params)
            if found is not None:
                return found
        m = cls._fit_new(ds, params, extra, key, progress, run=(engine, scheduler, rows_per_chunk))
        if cache_dir is not None:
            m.save(cache_dir)
        return m

    @classmethod
    def _open_shipped(cls, ds: Dataset, params: dict) -> "Map | None":
        """The map shipped for this data and these parameters, or None (then the caller fits)."""
        folder = shipped_folder(ds, params)
        if folder is None:
            return None
        try:
            return cls._read(folder, dataset=ds, shipped_key=_shipped_key(ds, params))
        except Exception as exc:  # noqa: BLE001 - a broken shipped map must never stop a fit
            warnings.warn(f"the map shipped with synthkit in {folder} could not be read ({exc}); "
                          "fitting the map instead", SynthkitWarning, stacklevel=3)
            return None

    @classmethod
    def _fit_new(cls, ds: Dataset, params: dict, extra: pl.DataFrame | None, key: str,
                 progress: bool | None = None, run: tuple = (None, None, None)) -> "Map":
        t0 = time.perf_counter()
        m = cls()
        m.mode, m.params, m.hash, m.dataset = params["mode"], params, key, ds
        n_rows = len(ds) + (0 if extra is None else extra.height)
        cap = params["max_fit_rows"]
        n_umap = n_rows if cap is None else min(n_rows, cap + (0 if extra is None else extra.height))
        show = (n_umap > PROGRESS_ROWS) if progress is None else progress
        with _Steps(show, f"Fitting the map of {ds.name!r} ({n_umap:,} rows)") as steps:
            m._fit_steps(ds, params, extra, steps, run)
        m.fit_seconds = time.perf_counter() - t0
        return m

    def _fit_steps(self, ds: Dataset, params: dict, extra: pl.DataFrame | None, steps: "_Steps",
                   run: tuple = (None, None, None)) -> None:
        m = self
        steps.next("encoding")
        m.encoder = Encoder().fit(ds)
        m._real_X = _encode(m.encoder, ds.frame, "the real data")
        n_real = len(m._real_X)
        notes = []
        cap = params["max_fit_rows"]
        if cap is not None and n_real > cap:
            rng = np.random.default_rng(params["random_state"])
            m._fit_real = np.sort(rng.choice(n_real, size=cap, replace=False))
            notes.append(
                f"UMAP was fitted on a random {cap:,} of the {n_real:,} real rows (max_fit_rows); "
                "the other real rows were placed into that map like a batch"
            )
        else:
            m._fit_real = np.arange(n_real)
        real_ids = ds.row_ids.to_list()
        m._set_fit_rows(real_ids, extra)

        n_fit = len(m._fit_X)
        k = params["n_neighbors"]
        n_distinct = len(np.unique(m._fit_X, axis=0)) if n_fit <= 20_000 else n_fit
        if n_distinct < k + 2:
            m.method = "pca"
            m._fit_xy = m._fit_pca()
            rows = f"{n_fit} rows" if n_distinct == n_fit else (
                f"{n_distinct} distinct row{'s' if n_distinct != 1 else ''} (of {n_fit})")
            notes.insert(0, f"only {rows} to fit, too few for UMAP with n_neighbors={k} (it needs at least "
                            f"{k + 2}); the map shows the first two principal components instead")
            m._fit_index = KnnIndex(m._fit_X, params["metric"], params["random_state"])
        else:
            m.method = "umap"
            steps.next("UMAP")
            m._fit_xy = m._fit_umap(steps.umap_bar())
        m.note = "; ".join(notes) + ("." if notes else "")

        # the real rows: fitted ones keep their coordinates, the rest are placed
        from .placement import RealParts, engine_for, maybe_broadcast, real_coords_chunk, run_chunks

        real_xy = np.zeros((n_real, 2), dtype=np.float64)
        in_fit = np.zeros(n_real, dtype=bool)
        in_fit[m._fit_real] = True
        real_xy[m._fit_real] = m._fit_xy[: len(m._fit_real)]
        rest = np.nonzero(~in_fit)[0]
        if m.mode == "anchored" and len(m._fit_real) == n_real:
            m._real_index = m._fit_index
        else:
            if len(rest):
                steps.next("indexing the real rows")
            m._real_index = KnnIndex(m._real_X, params["metric"], params["random_state"])
        engine, scheduler, chunk = run
        with engine_for(engine, scheduler) as eng:
            parts = RealParts(m._real_index, m._fit_index, m._fit_xy, m._pca, m.params)
            box = maybe_broadcast(eng, parts)
            if len(rest):
                steps.next("placing the other real rows")
                if eng is None:  # once per distinct row when many repeat (each row's answer is its own)
                    real_xy[rest] = _per_distinct(m._coords, m._real_X[rest])
                else:
                    chunks = [rest[s : s + chunk] for s in range(0, len(rest), chunk)]
                    real_xy[rest] = np.vstack(run_chunks(eng, real_coords_chunk, chunks, parts, box,
                                                         "placing real rows"))
            steps.next("distances between real rows")
            own = m._real_self_distance(eng, parts, box, chunk)
        pos = own[own > 0]
        if np.median(own) > 0:
            m.nn_scale = float(np.median(own))
        else:
            m.nn_scale = float(np.median(pos)) if len(pos) else 1.0
            m.note += (" " if m.note else "") + (
                "Most real rows have an exact duplicate, so dist_to_real is in units of the median distance "
                "between distinct real rows." if len(pos) else
                "All real rows are identical, so dist_to_real is in Encoder units.")
        m.real = pl.DataFrame({
            ROW_ID: real_ids, "x": real_xy[:, 0], "y": real_xy[:, 1], "dist_to_real": own / m.nn_scale,
        })

    def _set_fit_rows(self, real_ids: list[str], extra: pl.DataFrame | None) -> None:
        """The rows the map is fitted on: the real rows ``_fit_real``, then the joint batches' rows."""
        self._fit_ids = [real_ids[i] for i in self._fit_real]
        fit_X = self._real_X[self._fit_real]
        if extra is not None:
            self._extra = extra
            extra_ids = extra[ROW_ID].to_list()
            self._extra_pos = {rid: len(self._fit_ids) + j for j, rid in enumerate(extra_ids)}
            self._fit_ids += extra_ids
            fit_X = np.vstack([fit_X, _encode(self.encoder, extra, "the joint batches")])
        self._fit_X = np.ascontiguousarray(fit_X, dtype=np.float32)

    def _fit_umap(self, bar: dict | None = None) -> np.ndarray:
        try:
            import umap
        except ImportError as exc:  # pragma: no cover - umap-learn is a dependency
            from .errors import DependencyError

            raise DependencyError("the map needs umap-learn: pip install umap-learn") from exc
        p = self.params
        k = p["n_neighbors"]
        precomputed = None
        if len(self._fit_X) <= EXACT_LIMIT:
            # small data: hand UMAP the exact neighbour graph (what it would compute
            # itself); this skips compiling umap's brute-force k-NN kernel, about
            # half of the numba warm-up a fresh process pays before its first map
            self._fit_index = KnnIndex(self._fit_X, p["metric"], p["random_state"])
            idx, d = self._fit_index.self_knn(k)
            idx, d = _self_first(idx, d)
            precomputed = (idx, d.astype(np.float32), None)
        reducer = umap.UMAP(
            n_neighbors=k, min_dist=p["min_dist"], metric=p["metric"],
            random_state=p["random_state"], n_epochs=p["n_epochs"], n_jobs=1,
            precomputed_knn=precomputed if precomputed is not None else (None, None, None),
            tqdm_kwds=bar,
        )
        with warnings.catch_warnings():
            # umap's notes on seeds/threads and on spectral init are not the user's concern
            warnings.filterwarnings("ignore", category=UserWarning, module=r"umap\..*")
            warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"umap\..*")
            try:
                emb = reducer.fit_transform(self._fit_X)
            except Exception as exc:  # noqa: BLE001 - say what failed, in synthkit's words
                raise SynthkitError(
                    f"UMAP could not fit the map on {len(self._fit_X)} rows ({type(exc).__name__}: {exc}); "
                    "try a smaller n_neighbors or check the data for constant or duplicated rows"
                ) from exc
        if not np.all(np.isfinite(emb)):
            raise SynthkitError("UMAP returned non-finite coordinates; check the data for extreme values")
        self._umap = reducer
        self._ab = (float(reducer._a), float(reducer._b))
        if precomputed is not None:
            # keep umap's own transform usable on this object, as after a fit that
            # found the neighbours itself: small data is searched exactly
            reducer._small_data = True
            if getattr(reducer, "_knn_search_index", 0) is None:
                del reducer._knn_search_index
        else:
            nnd = getattr(reducer, "_knn_search_index", None)
            self._fit_index = KnnIndex(self._fit_X, p["metric"], p["random_state"], nnd=nnd)
        return emb.astype(np.float64)

    def _fit_pca(self) -> np.ndarray:
        X = self._fit_X.astype(np.float64)
        mean = X.mean(axis=0)
        centred = X - mean
        # SVD is deterministic; fix each component's sign so the map does not flip
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        comps = np.zeros((2, X.shape[1]))
        r = min(2, vt.shape[0])
        comps[:r] = vt[:r]
        for j in range(r):
            big = np.argmax(np.abs(comps[j]))
            if comps[j, big] < 0:
                comps[j] = -comps[j]
        self._pca = (mean, comps)
        return centred @ comps.T

    def _real_self_distance(self, eng: Any = None, parts: Any = None, box: Any = None,
                            chunk: int | None = None) -> np.ndarray:
        """Each real row's distance to its nearest OTHER real row (Encoder space).

        In this process (``eng`` None) or on an engine, ``chunk`` rows at a
        time (``parts``: the broadcast ``placement.RealParts``, ``box`` its
        handle); each row's answer is the same either way. Large real
        data with many exact duplicates (more than ``DISTINCT_ABOVE``
        rows, at most half of them distinct) is searched once per distinct row:
        a row with a copy is 0 away from it, and a row without one is as far
        from the other real rows as from the nearest other distinct row.
        """
        from .placement import RealParts

        assert self._real_index is not None
        distinct = _distinct(self._real_X)
        if distinct is not None:
            uniq, first, _inverse, counts = distinct
            own = np.zeros(len(self._real_X), dtype=np.float64)
            lone = np.nonzero(counts == 1)[0]
            if len(lone):
                index = KnnIndex(uniq, self.params["metric"], self.params["random_state"])
                own[first[lone]] = _nearest_other(index, lone, eng, chunk)
            return own
        if parts is None:
            parts = RealParts(self._real_index, self._fit_index, self._fit_xy, self._pca, self.params)
        return _nearest_other(self._real_index, np.arange(len(self._real_X)), eng, chunk, parts, box)

    # ================================================================== place
    def place(self, batch_or_frame: Any, refine: bool = False, *, engine: Any = None,
              scheduler: str | None = None, rows_per_chunk: int | None = None) -> pl.DataFrame:
        """Map coordinates of new rows: row_id, x, y, dist_to_real, nearest_real.

        A Batch, Dataset or frame with the real data's columns (and ``row_id``;
        without it rows are numbered ``row:<n>``), or a parquet file, folder or
        glob of such rows. Rows a joint map was fitted on keep their fitted
        coordinates. ``refine=True`` places the other rows with UMAP's own
        transform instead of the fast neighbour average (same result after
        loading the map from a cache: no refit needed).

        ``engine`` (``"dask"``, a ``synthkit.scale.Engine`` or a
        ``distributed.Client``; or ``scheduler="tcp://..."``) places the rows
        on Dask workers, ``rows_per_chunk`` (default ``PLACE_CHUNK_ROWS``) at a
        time, after sending them the map once: the same frame as in-process
        placement, row for row and value for value (:mod:`synthkit.placement`).
        A parquet source without an engine is placed here, chunk by chunk.
        """
        from .placement import PLACE_CHUNK_ROWS, is_source, place_rows, place_source

        if engine is None and scheduler is None and not is_source(batch_or_frame):
            if rows_per_chunk is not None:
                check_int("rows_per_chunk", rows_per_chunk, minimum=1)
            return place_rows(self._place_state(), self._conform(batch_or_frame), refine=refine)
        if not hasattr(self, "_sent"):
            self._sent: dict = {}
        return place_source(self._place_state(), batch_or_frame, refine=refine, engine=engine, scheduler=scheduler,
                            rows_per_chunk=PLACE_CHUNK_ROWS if rows_per_chunk is None else rows_per_chunk,
                            sent=self._sent)

    def _place_state(self) -> Any:
        """What placing needs from this map (a ``placement.PlaceState``), built once."""
        from .placement import PlaceState

        cached = getattr(self, "_state_cache", None)
        if cached is not None and cached[0] is self.real:
            return cached[1]
        if self._real_index is None:
            self._real_index = KnnIndex(self._real_X, self.params["metric"], self.params["random_state"])
        state = PlaceState(
            name=self.dataset.name, schema=self.dataset.schema, encoder=self.encoder, mode=self.mode,
            params=dict(self.params), nn_scale=float(self.nn_scale), real_ids=self.real[ROW_ID],
            real_xy=self._real_xy(), real_index=self._real_index, fit_xy=self._fit_xy, fit_index=self._fit_index,
            extra_pos=dict(self._extra_pos), pca=self._pca, ab=tuple(self._ab),
        )
        self._state_cache = (self.real, state)
        return state

    def _real_xy(self) -> np.ndarray:
        cached = getattr(self, "_real_xy_cache", None)
        if cached is None or cached[0] is not self.real:
            cached = (self.real, self.real.select("x", "y").to_numpy().astype(np.float64))
            self._real_xy_cache = cached
        return cached[1]

    def nearest_real(self, frame: Any, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest real rows of each row of ``frame``.

        Returns ``(indices, distances)``, both of shape (n_rows, k), nearest
        first: indices into ``m.real`` (and the Dataset), distances in Encoder
        space (not divided by ``nn_scale``).
        """
        k = check_int("k", k, minimum=1, hint=" (neighbours to return, e.g. 1)")
        if k > len(self._real_X):
            raise DataError(f"k={k} is more than the {len(self._real_X)} real rows")
        X = _encode(self.encoder, self._conform(frame), "the rows to look up")
        return self._query_real(X, int(k))

    def _query_real(self, X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if self._real_index is None:
            self._real_index = KnnIndex(self._real_X, self.params["metric"], self.params["random_state"])
        return self._real_index.query(X, k, verify_above=VERIFY_ABOVE * self.nn_scale)

    def _conform(self, data: Any) -> pl.DataFrame:
        from .placement import conform_rows

        return conform_rows(data, self.dataset.schema, self.dataset.name)

    def _project(self, X: np.ndarray) -> np.ndarray:
        return _project(X, self._pca)

    def _coords(self, X: np.ndarray) -> np.ndarray:
        """Fast placement among the fitted rows: weighted mean of the nearest ones' coordinates."""
        from .placement import fit_coords

        return fit_coords(X, self._fit_index, self._fit_xy, self._pca, self.params)

    # ================================================================== refine (UMAP transform)
    def _refine(self, X: np.ndarray) -> np.ndarray:
        if self._pca is not None:
            return self._project(X)
        assert self._fit_index is not None
        idx, d = self._fit_index.query(X, self.params["n_neighbors"])
        return _umap_transform(idx, d, self._fit_xy, self._ab, self.params)

    # ================================================================== storage
    def save(self, cache_dir: str | os.PathLike) -> Path:
        """Write the map to ``cache_dir/<hash>/`` (no pickle); returns the folder.

        Written to a temporary folder first and renamed into place, so a crash
        leaves either the whole map or nothing.
        """
        root = Path(cache_dir)
        root.mkdir(parents=True, exist_ok=True)
        final = root / self.hash
        if (final / "map.json").exists():
            return final
        tmp = Path(tempfile.mkdtemp(prefix=f".{self.hash}-", dir=root))
        try:
            self._write(tmp)
            try:
                os.replace(tmp, final)
            except OSError:
                if not (final / "map.json").exists():  # someone else's half-written folder: replace it
                    shutil.rmtree(final, ignore_errors=True)
                    os.replace(tmp, final)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return final

    def _write(self, folder: Path, *, shipped_key: str | None = None) -> None:
        """The stored form of the map in ``folder`` (JSON, parquet, ``.npy``/``.npz``; never pickle).

        A shipped map (``shipped_key`` given) leaves out the real rows' values
        (the embedded dataset holds them) and the fit time, so that building
        it twice writes the same bytes.
        """
        opts: dict[str, Any] = {} if shipped_key is None else {
            "compression": "zstd", "compression_level": 19, "statistics": False}
        if shipped_key is None:
            self.dataset.frame.write_parquet(folder / "real_frame.parquet")
        self.real.write_parquet(folder / "real.parquet", **opts)
        if self._extra is not None:
            self._extra.write_parquet(folder / "extra.parquet")
        np.save(folder / "fit_xy.npy", self._fit_xy, allow_pickle=False)
        np.save(folder / "fit_real.npy", self._fit_real, allow_pickle=False)
        if self._pca is not None:
            np.save(folder / "pca_mean.npy", self._pca[0], allow_pickle=False)
            np.save(folder / "pca_components.npy", self._pca[1], allow_pickle=False)
        indexes = {}
        if self._fit_index is not None and not self._fit_index.exact:
            self._fit_index.save(folder, "fit_index")
            indexes["fit"] = True
        if self._real_index is not None and self._real_index is not self._fit_index and not self._real_index.exact:
            self._real_index.save(folder, "real_index")
            indexes["real"] = True
        meta = {
            "format": FORMAT_VERSION, "hash": self.hash, "params": self.params, "mode": self.mode,
            "method": self.method, "note": self.note, "nn_scale": self.nn_scale, "ab": list(self._ab),
            "dataset": self.dataset.name, "schema": self.dataset.schema.to_dict(),
            "umap_learn": _umap_version(), "indexes": indexes,
            "shared_index": self._real_index is self._fit_index,
        }
        if shipped_key is None:
            meta["fit_seconds"] = self.fit_seconds
        else:
            meta["shipped_key"] = shipped_key
            meta["data"] = self.dataset.fingerprint
        (folder / "map.json").write_text(json.dumps(meta, indent=1))

    @classmethod
    def load(cls, cache_dir: str | os.PathLike, key: str) -> "Map":
        """Open a map saved by :meth:`save` (or ``fit(cache_dir=...)``) without refitting."""
        folder = Path(cache_dir) / str(key)
        if not (folder / "map.json").exists():
            raise SynthkitError(f"no cached map {key!r} in {cache_dir}; fit one with Map.fit(data, cache_dir=...)")
        return cls._read(folder, key=str(key))

    @classmethod
    def _read(cls, folder: Path, *, key: str | None = None, dataset: Dataset | None = None,
              shipped_key: str | None = None) -> "Map":
        """Open a stored map: a cache entry (``key``: its hash), or a shipped one (``dataset`` + ``shipped_key``)."""
        try:
            meta = json.loads((folder / "map.json").read_text())
        except (OSError, ValueError) as exc:
            raise SynthkitError(f"the cached map {folder} is unreadable ({exc}); delete the folder to refit") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT_VERSION or (
                key is not None and meta.get("hash") != key) or (
                shipped_key is not None and meta.get("shipped_key") != shipped_key):
            raise SynthkitError(f"the cached map {folder} has another format or hash; delete the folder to refit")
        try:
            m = cls()
            if dataset is None:
                schema = Schema.from_dict(meta["schema"])
                m.dataset = Dataset(meta["dataset"], pl.read_parquet(folder / "real_frame.parquet", glob=False), schema)
            else:
                m.dataset = dataset
            m.params, m.mode, m.method, m.note = meta["params"], meta["mode"], meta["method"], meta["note"]
            m.hash, m.nn_scale, m._ab = meta["hash"], float(meta["nn_scale"]), tuple(meta["ab"])
            m.fit_seconds = float(meta.get("fit_seconds", 0.0))
            m.encoder = Encoder().fit(m.dataset)
            m._real_X = _encode(m.encoder, m.dataset.frame, "the real data")
            m.real = pl.read_parquet(folder / "real.parquet", glob=False)
            m._fit_xy = np.load(folder / "fit_xy.npy", allow_pickle=False)
            m._fit_real = np.load(folder / "fit_real.npy", allow_pickle=False)
            extra = pl.read_parquet(folder / "extra.parquet", glob=False) if (folder / "extra.parquet").exists() else None
            m._set_fit_rows(m.dataset.row_ids.to_list(), extra)
            if m.method == "pca":
                m._pca = (np.load(folder / "pca_mean.npy", allow_pickle=False),
                          np.load(folder / "pca_components.npy", allow_pickle=False))
            metric, seed = m.params["metric"], m.params["random_state"]
            m._fit_index = KnnIndex.load(folder, "fit_index", m._fit_X, metric, seed)
            if meta.get("shared_index"):
                m._real_index = m._fit_index
            else:
                m._real_index = KnnIndex.load(folder, "real_index", m._real_X, metric, seed)
        except SynthkitError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise SynthkitError(f"the cached map {folder} is damaged ({type(exc).__name__}: {exc}); "
                                "delete the folder to refit") from None
        if (m.real.height != len(m._real_X) or len(m._fit_xy) != len(m._fit_X)
                or m.real.columns != [ROW_ID, "x", "y", "dist_to_real"]
                or not m.real[ROW_ID].equals(m.dataset.row_ids.rename(ROW_ID))
                or not np.all(np.isfinite(m._fit_xy))):
            raise SynthkitError(f"the cached map {folder} does not match its stored data; delete the folder to refit")
        m.loaded_from_cache = True
        return m

    # ================================================================== display
    def __repr__(self) -> str:
        return (f"Map({self.dataset.name!r}, {self.mode}, {self.method}, {self.real.height} real rows, "
                f"n_neighbors={self.params.get('n_neighbors')}, hash={self.hash[:10]!r})")

    def _repr_html_(self) -> str:  # pragma: no cover - cosmetic
        note = f"<br><i>{html.escape(str(self.note))}</i>" if self.note else ""
        return (f"<b>Map</b> of <code>{html.escape(str(self.dataset.name))}</code>: "
                f"{html.escape(self.method.upper())}, {html.escape(self.mode)} mode, "
                f"{self.real.height:,} real rows, nn_scale {self.nn_scale:.3g}{note}")


# ====================================================================== helpers
def _check_dataset(data: Any) -> Dataset:
    if data is None:
        raise DataError("Map.fit needs the real data (a Dataset from sk.load or sk.read), got None")
    try:
        ds = as_dataset(data)
    except SynthkitError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise DataError(f"Map.fit could not read the data ({exc})") from None
    if len(ds) == 0:
        raise DataError(f"the data {ds.name!r} has no rows; a map needs at least 2 real rows")
    if len(ds) < 2:
        raise DataError(f"the data {ds.name!r} has 1 row; a map needs at least 2 real rows")
    return ds


def _encode(encoder: Encoder, frame: Any, what: str) -> np.ndarray:
    X = encoder.transform(frame)
    if not np.all(np.isfinite(X)):
        bad = np.nonzero(~np.all(np.isfinite(X), axis=0))[0]
        names = [encoder.feature_names_[j] for j in bad[:5]]
        raise DataError(f"{what} encode to non-finite values in column(s) {names}; check for huge values")
    return np.ascontiguousarray(X, dtype=np.float32)


def _joint_rows(batches: Sequence[Any], schema: Schema) -> tuple[pl.DataFrame | None, list[str]]:
    """Rows of the joint batches (row_id + schema columns) and a key per batch for the hash."""
    if not batches:
        return None, []
    frames, keys = [], []
    for b in batches:
        frame = to_polars(b)
        if ROW_ID not in frame.columns:
            raise DataError("each joint batch needs a row_id column (pass Batch objects from sk.generate)")
        try:
            f = conform(frame, schema, what=f"joint batch {getattr(b, 'id', '')}".strip())
        except SchemaError as exc:
            raise SchemaError(f"{exc}; a joint batch must have the real data's columns") from None
        if f.height == 0:
            raise DataError(f"joint batch {getattr(b, 'id', '')!r} has no rows")
        frames.append(f)
        keys.append(getattr(b, "id", None) or frame_fingerprint(f))
    extra = pl.concat(frames, how="vertical")
    dup = extra[ROW_ID].is_duplicated()
    if dup.any():
        raise DataError(f"joint batches share row ids (e.g. {extra[ROW_ID].filter(dup)[0]!r}); pass each batch once")
    return extra, keys


def _hash(ds: Dataset, params: dict, batch_keys: list[str]) -> str:
    content = {
        "format": FORMAT_VERSION, "umap": _umap_version(), "data": ds.fingerprint,
        "row_ids": frame_fingerprint(ds.frame.select(ROW_ID)), "params": params, "batches": batch_keys,
    }
    if ds.schema.text:  # the documents' vectors depend on the embedding the Encoder will use
        content["text_backend"] = auto_backend()
    payload = json.dumps(content, sort_keys=True)
    return "map-" + hashlib.sha256(payload.encode()).hexdigest()[:16]


def _shipped_key(ds: Dataset, params: dict) -> str:
    """What a shipped map is found by: the data, its row ids, the parameters and the format version."""
    content = {
        "format": FORMAT_VERSION, "data": ds.fingerprint,
        "row_ids": frame_fingerprint(ds.frame.select(ROW_ID)), "params": params,
    }
    if ds.schema.text:  # documents are encoded by the embedding found here (wordllama, or TF-IDF without it)
        content["text_backend"] = auto_backend()
    payload = json.dumps(content, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def shipped_dir() -> Path:
    """The folder of the maps that ship with synthkit (``data/maps``, under ``$SYNTHKIT_DATA`` if set)."""
    return data_dir() / SHIPPED_DIR


def shipped_folder(ds: Dataset, params: dict) -> Path | None:
    """The shipped map for ``ds`` fitted with ``params`` (a folder ``<name>-<key>``), or None."""
    root = shipped_dir()
    if not root.is_dir():
        return None
    key = _shipped_key(ds, params)
    hits = sorted(f for f in root.glob(f"*-{key}") if f.is_dir())
    return hits[0] if hits else None


def ship(ds: Dataset, root: str | os.PathLike, **fit_params: Any) -> Path:
    """Fit the map of ``ds`` (default parameters unless given) and write it as a shipped map under ``root``.

    The folder is ``<root>/<name>-<key>``; other shipped maps of the same
    dataset name are removed. Used by ``tools/build_data.py --maps``.
    """
    m = Map.fit(ds, shipped=False, **fit_params)
    key = _shipped_key(ds, m.params)
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"{ds.name}-{key}"
    tmp = Path(tempfile.mkdtemp(prefix=f".{ds.name}-", dir=root))
    try:
        m._write(tmp, shipped_key=key)
        for old in root.glob(f"{ds.name}-*"):
            if old.is_dir():
                shutil.rmtree(old)
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final


class _Steps:
    """A progress bar (tqdm) over the steps of a fit, with UMAP's epochs as a second bar; or nothing."""

    def __init__(self, show: bool, title: str) -> None:
        self.show, self.title, self._bar = show, title, None

    def __enter__(self) -> "_Steps":
        if self.show:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=None, desc=self.title, bar_format="{desc} [{elapsed}]")
        return self

    def next(self, step: str) -> None:
        if self._bar is not None:
            self._bar.set_description_str(f"{self.title}: {step}")

    def umap_bar(self) -> dict | None:
        """tqdm keywords for UMAP's own bar over its epochs (None: no bar)."""
        if self._bar is None:
            return None
        return {"disable": False, "desc": "UMAP epochs", "leave": False}

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.set_description_str(f"{self.title}: {'done' if exc[0] is None else 'failed'}")
            self._bar.close()


#: above this many rows, real rows that are mostly exact duplicates are placed and searched
#: once per distinct row (see ``_distinct``)
DISTINCT_ABOVE = 100_000


def _distinct(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """``(distinct rows, first index of each, inverse, counts)`` when searching per distinct row pays.

    None below ``DISTINCT_ABOVE`` rows or when more than half the rows are
    distinct (then the plain search is as fast and nothing changes).
    """
    if len(X) <= DISTINCT_ABOVE:
        return None
    uniq, first, inverse, counts = np.unique(X, axis=0, return_index=True, return_inverse=True,
                                             return_counts=True)
    if len(uniq) > len(X) // 2:
        return None
    return uniq, first, inverse.ravel(), counts


def _per_distinct(fn: Any, X: np.ndarray) -> np.ndarray:
    """``fn(X)`` for a row-wise ``fn``, computed once per distinct row when that pays."""
    distinct = _distinct(X)
    if distinct is None:
        return fn(X)
    uniq, _first, inverse, _counts = distinct
    return fn(uniq)[inverse]


def _nearest_other(index: KnnIndex, rows: np.ndarray, eng: Any = None, chunk: int | None = None,
                   parts: Any = None, box: Any = None) -> np.ndarray:
    """Distance from each indexed row ``rows`` to its nearest other row of ``index``.

    In this process (``eng`` None) or on the engine, ``chunk`` rows at a time
    (``parts``/``box``: a broadcast ``placement.RealParts`` holding ``index``;
    sent here otherwise). Each row's answer is its own, so both are equal.
    """
    from .placement import RealParts, exact_nearest_chunk, maybe_broadcast, run_chunks, self_distance_chunk

    if parts is None or parts.real_index is not index:
        parts = RealParts(index, None, np.zeros((0, 2)), None, {})
        box = maybe_broadcast(eng, parts)
    step = len(rows) if eng is None or chunk is None else chunk
    chunks = [rows[s : s + step] for s in range(0, len(rows), step)]
    own = np.concatenate(run_chunks(eng, self_distance_chunk, chunks, parts, box, "distances between real rows"))
    if not index.exact:
        # the approximate search can only overestimate: check the far ones exactly
        scale = float(np.median(own)) or 1.0
        far = np.nonzero(own > VERIFY_ABOVE * scale)[0]
        if len(far):
            far_rows = rows[far]
            chunks = [far_rows[s : s + step] for s in range(0, len(far_rows), step)]
            bd = np.concatenate(run_chunks(eng, exact_nearest_chunk, chunks, parts, box,
                                           "exact check of far real rows"))
            own[far] = np.minimum(own[far], bd)
    return own


def _self_first(idx: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """k-NN of the indexed rows themselves with each row first (as UMAP expects).

    With exact duplicates a row's twin can come first at the same distance 0;
    swap the row itself to the front (the order by distance is unchanged).
    """
    idx, d = idx.copy(), d.copy()
    rows = np.arange(len(idx))
    for i in np.nonzero(idx[:, 0] != rows)[0]:
        hit = np.nonzero(idx[i] == i)[0]
        j = hit[0] if len(hit) else len(idx[i]) - 1
        idx[i, 1 : j + 1] = idx[i, :j].copy()
        d[i, 1 : j + 1] = d[i, :j].copy()
        idx[i, 0], d[i, 0] = i, 0.0
    return idx, d


def _idw(idx: np.ndarray, d: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Inverse-distance-weighted mean (weights 1/d^2) of the neighbours' coordinates.

    A row at distance 0 from a neighbour lands exactly on that neighbour (the
    nearest one, if several are at distance 0).
    """
    with np.errstate(divide="ignore"):
        w = 1.0 / np.maximum(d, 1e-300) ** _IDW_POWER
    w = np.where(np.isfinite(w), w, 0.0)
    out = np.einsum("ij,ijk->ik", w, xy[idx]) / np.maximum(w.sum(axis=1, keepdims=True), 1e-300)
    exact = d[:, 0] <= 0.0
    if exact.any():
        out[exact] = xy[idx[exact, 0]]
    return out


def _project(X: np.ndarray, pca: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """The exact PCA projection of rows ``X`` (mean, components).

    Each coordinate is the sum over the columns of one row, the same whatever
    the other rows (a matrix product's rounding can depend on how many rows it
    multiplies), so rows placed in chunks land exactly where they land at once.
    """
    mean, comps = pca
    centred = X.astype(np.float64) - mean
    return (centred[:, None, :] * comps[None, :, :]).sum(axis=2)


def _umap_transform(idx: np.ndarray, d: np.ndarray, emb: np.ndarray, ab: tuple[float, float],
                    params: dict) -> np.ndarray:
    """UMAP's ``transform`` computed from stored parts (no fitted UMAP object needed).

    The same steps and umap-learn functions as ``umap.UMAP.transform``
    (umap-learn 0.5): fuzzy membership of each new row to its ``n_neighbors``
    nearest fitted rows, initial position at their membership-weighted mean,
    then a short optimisation of the new points only, with the fitted map
    fixed, seeded like umap-learn (``transform_seed=42``). Given the same
    neighbours, it returns what the fitted UMAP object's ``transform`` returns.
    """
    import scipy.sparse
    from sklearn.utils import check_random_state
    from umap.umap_ import (
        INT32_MAX,
        INT32_MIN,
        compute_membership_strengths,
        init_graph_transform,
        make_epochs_per_sample,
        optimize_layout_euclidean,
        smooth_knn_dist,
    )

    n_neighbors = params["n_neighbors"]
    n_fit = len(emb)
    rng_state = check_random_state(42).randint(INT32_MIN, INT32_MAX, 3).astype(np.int64)
    dists = np.ascontiguousarray(d, dtype=np.float32)
    indices = np.ascontiguousarray(idx, dtype=np.int32)
    sigmas, rhos = smooth_knn_dist(dists, float(n_neighbors), local_connectivity=0.0)
    rows, cols, vals, _ = compute_membership_strengths(indices, dists, sigmas, rhos, bipartite=True)
    graph = scipy.sparse.coo_matrix((vals, (rows, cols)), shape=(len(idx), n_fit))
    csr = graph.tocsr()
    csr.eliminate_zeros()
    fixed = emb.astype(np.float32)
    embedding = init_graph_transform(csr, fixed)
    if params["n_epochs"] is None:
        n_epochs = 100 if graph.shape[0] <= 10000 else 30
    else:
        n_epochs = int(params["n_epochs"] // 3.0)
    if n_epochs < 1 or graph.data.size == 0:
        return embedding.astype(np.float64)
    graph.data[graph.data < (graph.data.max() / float(n_epochs))] = 0.0
    graph.eliminate_zeros()
    epochs_per_sample = make_epochs_per_sample(graph.data, n_epochs)
    a, b = ab
    embedding = optimize_layout_euclidean(
        embedding, fixed.copy(), graph.row, graph.col, n_epochs, graph.shape[1], epochs_per_sample,
        a, b, rng_state, 1.0, 1.0 / 4.0, 5, False, verbose=False,
    )
    return np.asarray(embedding, dtype=np.float64)
