"""Nearest-neighbour search for the map, with a pickle-free on-disk form.

Small sets (up to ``EXACT_LIMIT`` rows, as UMAP itself does) are searched
exactly by brute force; rebuilding that index costs nothing. Euclidean sets of
up to ``BLAS_LIMIT`` values (rows x columns), and every small euclidean set, are
searched by blocked float32 matrix products with a certified candidate bound
and an exact re-check (``KnnIndex._blas_query``): numpy only, so a fresh
process compiles nothing before its first query. Small sets under the other
metrics get the same certified re-check over scikit-learn's distances
(``KnnIndex._certified_query``). A small map's UMAP graph is scikit-learn's
brute-force k-NN (``KnnIndex.self_knn``), what UMAP computes itself.
Larger sets, and other metrics, use a pynndescent index (the search UMAP uses): it answers a
thousand queries on ~50k rows in tens of milliseconds, but building it takes
seconds (plus a one-off numba compile in a fresh process). So its state is
saved as plain arrays (compressed ``.npz`` without pickle) and JSON, and
restored without rebuilding; if the saved form does not fit the installed
pynndescent, the index is rebuilt from the data instead (same seed, same
result). The saved form leaves out what the search does not need or what the
caller already holds: the indexed rows themselves (given back on load, in
pynndescent's order) and the k-NN graph the search graph was pruned from.

Every query answers each row from that row alone (ties go to the lower row
index; pynndescent is asked one row at a time), so a batch placed in chunks,
on any number of workers, gets exactly the answer it gets in one call. An index
pickles (to be sent to workers) without its caches, a saved one restored first.

Restoring is lazy: :meth:`KnnIndex.load` only notes where the index is, and
the first query restores it. Restoring installs pynndescent's search function,
which numba compiles in a process whose numba cache is empty (tens of seconds
on two cores), so a map opened only to be drawn never pays it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

#: at or below this many rows the search is exact (brute force, scikit-learn)
EXACT_LIMIT = 4096
#: above EXACT_LIMIT rows, a euclidean index of at most this many values (rows x columns) is
#: still searched exactly, by blocked matrix products (see ``_blas_query``); larger ones and
#: other metrics use pynndescent
BLAS_LIMIT = 16_000_000

_SCALARS = (bool, int, float, str, type(None))
_PENDING = object()  # stands in for a pynndescent index until the first query restores it


#: the exact search takes the minimum of each run of this many indexed rows (see _blas_query)
_RUN = 256
#: ... in an index of at most EXACT_LIMIT rows (short runs: few candidates to re-check)
_SMALL_RUN = 16
#: query rows per block of the exact search: at most this many distances in memory at once
_BLOCK_VALUES = 4_000_000


def _use_blas(shape: tuple[int, ...], metric: str) -> bool:
    return metric == "euclidean" and shape[0] > EXACT_LIMIT and shape[0] * max(1, shape[1]) <= BLAS_LIMIT


def _pynndescent_version() -> str:
    from importlib.metadata import version

    return version("pynndescent")


class KnnIndex:
    """k-nearest-neighbour search over the rows of ``data`` (float32 matrix)."""

    def __init__(self, data: np.ndarray, metric: str = "euclidean", random_state: int | None = 0,
                 *, nnd: Any = None) -> None:
        self.data = np.ascontiguousarray(data, dtype=np.float32)
        self.metric = metric
        self.random_state = random_state
        self.blas = _use_blas(self.data.shape, metric)
        self.exact = len(self.data) <= EXACT_LIMIT or self.blas
        self._nnd: Any = nnd  # a prepared pynndescent.NNDescent (e.g. UMAP's own)
        self._stored: tuple[Path, str] | None = None  # (folder, name) of a saved state not restored yet
        if not self.exact and self._nnd is None:
            self._build()

    def _build(self) -> None:
        import pynndescent

        n_trees = min(64, 5 + int(round((self.data.shape[0]) ** 0.5 / 20.0)))
        n_iters = max(5, int(round(np.log2(self.data.shape[0]))))
        self._nnd = pynndescent.NNDescent(
            self.data, metric=self.metric, n_neighbors=15, n_trees=n_trees, n_iters=n_iters,
            max_candidates=60, low_memory=True, random_state=self.random_state, n_jobs=1,
        )
        self._nnd.prepare()

    def __len__(self) -> int:
        return len(self.data)

    @property
    def restored(self) -> bool:
        """False while a saved approximate index waits for its first query (see :meth:`load`)."""
        return self._stored is None

    def _ensure(self) -> None:
        """Restore a saved pynndescent index (or rebuild it) before its first use."""
        if self._stored is None:
            return
        folder, name = self._stored
        self._stored = None
        try:
            nnd = _restore(folder, name, self.data)
        except Exception:  # noqa: BLE001 - any mismatch means: rebuild
            nnd = None
        self._nnd = nnd
        if nnd is None or not self._self_check():
            self._nnd = None
            self._build()

    def query(self, q: np.ndarray, k: int, *, verify_above: float | None = None,
              exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Indices (int64) and distances (float64) of the ``k`` nearest rows, nearest first.

        Exact for small indexes and euclidean ones up to ``BLAS_LIMIT`` values,
        ties going to the lower row index. For a pynndescent index the search is
        approximate; its distances are recomputed exactly for the candidates
        found, so they can only be too large, never too small. Two repairs make
        the nearest neighbour (column 0) exact where it matters: an exact copy
        of an indexed row is always found (a lookup by the row's bytes), and
        every query whose nearest distance exceeds ``verify_above`` is checked
        by brute force. ``exclude``: per query, one row index to skip (the
        query's own row, when querying the indexed rows themselves).

        Each row's answer depends on that row alone, never on the other rows
        queried with it: placing rows in chunks, on any worker, gives the same
        result as placing them at once (see ``_nnd_rows`` for the approximate
        search).
        """
        q = np.ascontiguousarray(q, dtype=np.float32)
        k = int(min(k, len(self.data) - (exclude is not None)))
        if len(q) == 0 or k < 1:
            return np.zeros((0, max(k, 0)), dtype=np.int64), np.zeros((0, max(k, 0)), dtype=np.float64)
        if self.exact:
            if self.metric == "euclidean":
                return self._blas_query(q, k, exclude)
            return self._certified_query(q, k, exclude)
        self._ensure()
        i = self._nnd_rows(q, k + (exclude is not None))
        # distances recomputed exactly for the candidates (cheap), so that an
        # exact copy of an indexed row is found at distance 0, then re-sorted
        d = pair_distances(self.data[i], q[:, None, :], self.metric)
        if exclude is not None:
            d = np.where(i == np.asarray(exclude)[:, None], np.inf, d)
        order = np.lexsort((i, d))  # by distance, ties to the lower row index
        i, d = np.take_along_axis(i, order, axis=1)[:, :k], np.take_along_axis(d, order, axis=1)[:, :k]
        self._repair(q, i, d, verify_above, exclude)
        return i, d

    def _nnd_rows(self, q: np.ndarray, kk: int) -> np.ndarray:
        """pynndescent's candidates for each query row, one row at a time.

        pynndescent's search draws random tie-breaks (a point on a tree's
        hyperplane, random starting points) from one generator that runs on
        across the rows of a call, so a row's candidates would depend on the
        rows queried before it. Queried alone, each row starts from the same
        generator state: its answer depends on the row only. (Measured: about
        15 microseconds a row, against 10 in one call.)
        """
        out = np.empty((len(q), kk), dtype=np.int64)
        nnd = self._nnd
        for r in range(len(q)):
            out[r] = nnd.query(q[r : r + 1], k=kk, epsilon=0.12)[0][0]
        return out

    def self_knn(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest indexed rows of every indexed row, by scikit-learn's brute force.

        The k-NN graph a small map's UMAP is fitted on (what UMAP computes
        itself for small data); distances recomputed exactly, nearest first.
        """
        from sklearn.neighbors import NearestNeighbors

        k = int(min(k, len(self.data)))
        _, i = NearestNeighbors(algorithm="brute", metric=self.metric).fit(self.data).kneighbors(
            self.data, n_neighbors=k)
        i = i.astype(np.int64)
        d = pair_distances(self.data[i], self.data[:, None, :], self.metric)
        order = np.argsort(d, axis=1, kind="stable")
        return np.take_along_axis(i, order, axis=1), np.take_along_axis(d, order, axis=1)

    def _certified_query(self, q: np.ndarray, k: int,
                         exclude: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Exact k-NN for the other metrics of a small index (brute force, blocks of queries).

        scikit-learn's float64 distances to every row pick the candidates: every
        row within a rounding tolerance of the k-th smallest; their distances are
        recomputed by :func:`pair_distances` and the k nearest kept, ties going
        to the lower row index (as ``_blas_query`` does).
        """
        from sklearn.metrics import pairwise_distances

        n, dim = self.data.shape
        data64 = getattr(self, "_data64", None)
        if data64 is None:
            data64 = self._data64 = self.data.astype(np.float64)
        m = len(q)
        out_i = np.zeros((m, k), dtype=np.int64)
        out_d = np.full((m, k), np.inf, dtype=np.float64)
        block = max(1, _BLOCK_VALUES // max(1, n))
        for s in range(0, m, block):
            part = q[s : s + block]
            b = len(part)
            D = pairwise_distances(part.astype(np.float64), data64, metric=self.metric)
            if exclude is not None:
                D[np.arange(b), exclude[s : s + b]] = np.inf
            t = np.partition(D, k - 1, axis=1)[:, k - 1]
            # both are float64 sums of the same terms in another order: far below this tolerance
            limit = t + 1e-9 * (1.0 + np.abs(t)) * (dim + 1)
            rows, cols = np.nonzero(D <= limit[:, None])
            dist = pair_distances(self.data[cols], part[rows], self.metric)
            _keep_k(rows, cols, dist, exclude, s, k, out_i, out_d)
        return out_i, out_d

    def _blas_query(self, q: np.ndarray, k: int, exclude: np.ndarray | None,
                    block: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Exact euclidean k-NN by blocked matrix products, without an N x M matrix in memory.

        Per block of queries: squared distances up to a per-query constant,
        ``|x|^2 - 2 q.x``, in float32 (one BLAS product); the minimum of each
        run of ``_RUN`` indexed rows (``_SMALL_RUN`` in a small index); the
        k-th smallest of those minima, ``t``, bounds the k-th nearest distance
        from above (k different runs each
        hold a row at most ``t`` away). Every row within ``t`` plus twice a
        bound on the float32 rounding error is a candidate; the candidates'
        distances are recomputed exactly (float64) and the k nearest kept,
        ties going to the lower row index. So the result is the exact k-NN,
        whatever the rounding, at the cost of one product and a few passes
        over each block. No numba: nothing to compile in a fresh process.
        """
        n, d = self.data.shape
        prep = getattr(self, "_blas_prep", None)
        if prep is None:
            run = _RUN if n > EXACT_LIMIT else _SMALL_RUN
            runs = -(-n // run)
            data_t = np.zeros((d, runs * run), dtype=np.float32)
            data_t[:, :n] = self.data.T
            data_t *= -2.0  # exact in float32: one product gives -2 q.x
            sq64 = np.einsum("ij,ij->i", self.data.astype(np.float64), self.data.astype(np.float64))
            sq = np.full(runs * run, np.inf, dtype=np.float32)
            sq[:n] = sq64
            prep = self._blas_prep = (data_t, sq, run, runs, float(np.sqrt(sq64.max(initial=0.0))))
        data_t, sq, run, runs, xmax = prep
        m = len(q)
        out_i = np.zeros((m, k), dtype=np.int64)
        out_d = np.full((m, k), np.inf, dtype=np.float64)
        qn = np.sqrt(np.einsum("ij,ij->i", q.astype(np.float64), q.astype(np.float64)))
        # float32 error of |x|^2 - 2 q.x: at most (d + 4) units in the last place of (|q| + |x|)^2
        slack = 2.0 * (d + 4) * np.finfo(np.float32).eps * (qn + xmax) ** 2 + 1e-30
        if block is None:
            block = max(1, _BLOCK_VALUES // (runs * run))
        width = min(k, runs)
        # one buffer for the blocks' products: a fresh 16 MB array per block costs page faults
        # (about 20% of the search where the allocator hands large blocks back at once, as Dask's workers do)
        buf = np.empty((min(block, m), runs * run), dtype=np.float32)
        for s in range(0, m, block):
            part = q[s : s + block]
            b = len(part)
            D = np.matmul(part, data_t, out=buf[:b])
            D += sq
            if exclude is not None:
                D[np.arange(b), exclude[s : s + b]] = np.inf
            runs_D = D.reshape(b, runs, run)
            mins = runs_D.min(axis=2)
            t = np.partition(mins, width - 1, axis=1)[:, width - 1]
            if width < k:  # fewer runs than k: every row is a candidate
                t = np.full(b, np.inf, dtype=np.float32)
            limit = (t + slack[s : s + b]).astype(np.float32)
            # candidates sit in the few runs whose minimum is within the limit: look only there
            rr, cc = np.nonzero(mins <= limit[:, None])
            hit, off = np.nonzero(runs_D[rr, cc] <= limit[rr, None])
            rows, cols = rr[hit], cc[hit] * run + off
            inside = cols < n  # not the padding of the last run
            rows, cols = rows[inside], cols[inside]
            dist = pair_distances(self.data[cols], part[rows], self.metric)
            _keep_k(rows, cols, dist, exclude, s, k, out_i, out_d)
        return out_i, out_d

    def _copies(self) -> dict[bytes, list[int]]:
        table = getattr(self, "_copy_table", None)
        if table is None:
            table = {}
            for j, row in enumerate(self.data):
                table.setdefault(row.tobytes(), []).append(j)
            self._copy_table = table
        return table

    def _repair(self, q: np.ndarray, i: np.ndarray, d: np.ndarray, verify_above: float | None,
                exclude: np.ndarray | None) -> None:
        """Make column 0 exact for copies and for far rows (in place)."""
        table = self._copies()
        for r in np.nonzero(d[:, 0] > 0)[0]:
            hits = table.get(q[r].tobytes())
            if hits:
                hits = [h for h in hits if exclude is None or h != exclude[r]]
                if hits:
                    i[r, 0], d[r, 0] = hits[0], 0.0
        if verify_above is None:
            return
        far = np.nonzero(d[:, 0] > verify_above)[0]
        if len(far):
            bi, bd = self.exact_nearest(q[far], None if exclude is None else np.asarray(exclude)[far])
            better = bd < d[far, 0]
            i[far[better], 0] = bi[better]
            d[far[better], 0] = bd[better]

    def exact_nearest(self, q: np.ndarray, exclude: np.ndarray | None = None,
                      chunk: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Exact nearest row of each query (index, distance), by brute force.

        Matrix products over all rows, ``chunk`` queries at a time (default:
        at most ``_BLOCK_VALUES`` distances in memory at once), with the
        certified candidate bound of ``_blas_query`` (euclidean) or
        ``_certified_query``: the nearest row by exact distance, ties going to
        the lower row index, whatever the chunk. (Pruning with a
        known upper bound per query was measured no faster than the plain
        product for rows far from the data, the only ones checked here:
        principal-subspace lower bounds, and cells of rows sharing their
        one-hot part; see BENCHMARKS.md, Placement.)
        """
        q = np.ascontiguousarray(q, dtype=np.float32)
        if len(q) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        exclude = None if exclude is None else np.asarray(exclude)
        if self.metric == "euclidean":
            i, d = self._blas_query(q, 1, exclude, block=chunk)
        else:
            i, d = self._certified_query(q, 1, exclude)
        return i[:, 0], d[:, 0]

    def __getstate__(self) -> dict:
        """What a copy needs (e.g. one sent to a worker): a saved index restored first, caches left out."""
        self._ensure()
        state = self.__dict__.copy()
        for cache in ("_blas_prep", "_copy_table", "_data64"):
            state.pop(cache, None)
        return state

    # ------------------------------------------------------------------ storage
    def save(self, folder: Path, name: str) -> None:
        """Write the index next to the data it was built on (arrays + JSON, no pickle).

        Leaves out the indexed rows (the caller passes them back to
        :meth:`load`) and pynndescent's k-NN graph (the search uses the
        pruned search graph only); integer arrays are stored in 32 bits when
        their values fit, and restored to their dtype.
        """
        if self.exact:
            return  # rebuilt from the data on load, instantly
        if self._stored is not None:  # never restored: copy the saved files as they are
            src, src_name = self._stored
            for ext in ("npz", "json"):
                (folder / f"{name}.{ext}").write_bytes((src / f"{src_name}.{ext}").read_bytes())
            return
        state = self._nnd.__getstate__()
        arrays: dict[str, np.ndarray] = {}
        manifest: dict[str, Any] = {}
        try:
            for key, value in state.items():
                if key == "_raw_data" and _same_rows(value, self.data):
                    manifest[key] = {"kind": "rows"}
                    continue
                order = state.get("_vertex_order")
                if key == "_raw_data" and isinstance(order, np.ndarray) and len(order) == len(self.data) \
                        and _same_rows(value, self.data[order]):
                    manifest[key] = {"kind": "rows", "order": "_vertex_order"}  # pynndescent sorts its copy
                    continue
                if key == "_neighbor_graph":
                    manifest[key] = {"kind": "omitted"}
                    continue
                entry = _encode(key, value, arrays)
                if entry is not None:
                    manifest[key] = entry
        except TypeError:
            return  # a state this code does not know: the index is rebuilt on load
        meta = {"pynndescent": _pynndescent_version(), "state": manifest}
        savez(folder / f"{name}.npz", arrays)
        (folder / f"{name}.json").write_text(json.dumps(meta))

    @classmethod
    def load(cls, folder: Path, name: str, data: np.ndarray, metric: str,
             random_state: int | None) -> "KnnIndex":
        """An index over ``data`` restored from ``folder`` at its first query.

        Nothing is read here (see the module docstring: restoring compiles
        pynndescent's search in a fresh process); if the saved form turns out
        unusable, the first query rebuilds the index from ``data`` instead.
        """
        if len(data) <= EXACT_LIMIT or _use_blas(np.shape(data), metric):
            return cls(data, metric, random_state)
        index = cls(data, metric, random_state, nnd=_PENDING)
        index._nnd = None
        index._stored = (Path(folder), name)
        return index

    def _self_check(self) -> bool:
        """Does the restored search find (most of) its own rows? (it is approximate)"""
        probe = self.data[:: max(1, len(self.data) // 32)][:32]
        try:
            _, d = self._nnd.query(probe, k=1, epsilon=0.12)
        except Exception:  # noqa: BLE001
            return False
        return bool(np.mean(d[:, 0] <= 1e-5) >= 0.75)


def _keep_k(rows: np.ndarray, cols: np.ndarray, dist: np.ndarray, exclude: np.ndarray | None, s: int, k: int,
            out_i: np.ndarray, out_d: np.ndarray) -> None:
    """The k nearest candidates of each query row (``s + rows``), ties to the lower row index, into the outputs."""
    if exclude is not None:
        dist[cols == exclude[s + rows]] = np.inf
    order = np.lexsort((cols, dist, rows))
    rows, cols, dist = rows[order], cols[order], dist[order]
    rank = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left")
    keep = rank < k
    out_i[s + rows[keep], rank[keep]] = cols[keep]
    out_d[s + rows[keep], rank[keep]] = dist[keep]


def pair_distances(a: np.ndarray, b: np.ndarray, metric: str) -> np.ndarray:
    """Row-wise distances between broadcast arrays ``a`` and ``b`` (last axis = features)."""
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    if metric == "euclidean":
        diff = a - b
        return np.sqrt(np.einsum("...k,...k->...", diff, diff))
    if metric == "manhattan":
        return np.abs(a - b).sum(axis=-1)
    if metric == "chebyshev":
        return np.abs(a - b).max(axis=-1)
    if metric == "cosine":
        num = np.einsum("...k,...k->...", a, b)
        den = np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            sim = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
        return np.clip(1.0 - sim, 0.0, 2.0)
    raise ValueError(f"unsupported metric {metric!r}")


# ---------------------------------------------------------------------- pickle-free state
_SKIP_TYPES = ("CPUDispatcher", "ufunc", "function", "builtin_function_or_method")


def _encode(key: str, value: Any, arrays: dict[str, np.ndarray]) -> dict | None:
    """One state attribute -> a JSON entry (arrays go to ``arrays``); None = restored by pynndescent."""
    tname = type(value).__name__
    if tname in _SKIP_TYPES:
        return None
    if key == "_input_dtype":
        return {"kind": "dtype", "value": np.dtype(value).name}
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise TypeError(f"object array in index state ({key})")
        return {"kind": "array", **_put(arrays, key, value)}
    if isinstance(value, np.generic):
        return {"kind": "npscalar", "dtype": value.dtype.name, "value": value.item()}
    if isinstance(value, _SCALARS):
        return {"kind": "scalar", "value": value}
    if tname == "csr_array" or tname == "csr_matrix":
        dtypes = {part: _put(arrays, f"{key}.{part}", getattr(value, part)).get("dtype")
                  for part in ("data", "indices", "indptr")}
        return {"kind": "csr", "shape": list(value.shape), "array": tname == "csr_array", "dtypes": dtypes}
    if isinstance(value, np.random.RandomState):
        name, keys, pos, has_gauss, cached = value.get_state(legacy=True)
        arrays[key] = keys
        return {"kind": "randomstate", "name": name, "pos": int(pos), "has_gauss": int(has_gauss),
                "cached": float(cached)}
    if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, _SCALARS) for k, v in value.items()):
        return {"kind": "dict", "value": value}
    if isinstance(value, tuple):
        items = []
        for j, item in enumerate(value):
            sub = _encode(f"{key}.{j}", item, arrays)
            if sub is None:
                raise TypeError(f"cannot store {key}[{j}] of type {type(item).__name__}")
            items.append(sub)
        return {"kind": "tuple", "items": items}
    raise TypeError(f"cannot store index attribute {key} of type {tname}")


def _put(arrays: dict[str, np.ndarray], key: str, value: np.ndarray) -> dict:
    """Store an array, 64-bit integers in 32 bits when their values fit; says the dtype to restore."""
    if value.dtype == np.int64 and value.size and np.iinfo(np.int32).min <= value.min() \
            and value.max() <= np.iinfo(np.int32).max:
        arrays[key] = value.astype(np.int32)
        return {"dtype": "int64"}
    arrays[key] = value
    return {}


def _get(arrays: Any, key: str, dtype: str | None) -> np.ndarray:
    return arrays[key].astype(dtype) if dtype else arrays[key]


def _decode(key: str, entry: dict, arrays: Any) -> Any:
    kind = entry["kind"]
    if kind == "array":
        return _get(arrays, key, entry.get("dtype"))
    if kind in ("scalar", "dict"):
        return entry["value"]
    if kind == "npscalar":
        return np.dtype(entry["dtype"]).type(entry["value"])
    if kind == "randomstate":
        rs = np.random.RandomState()
        rs.set_state((entry["name"], arrays[key], entry["pos"], entry["has_gauss"], entry["cached"]))
        return rs
    if kind == "dtype":
        return np.dtype(entry["value"]).type
    if kind == "csr":
        import scipy.sparse as sp

        cls = sp.csr_array if entry["array"] else sp.csr_matrix
        dtypes = entry.get("dtypes") or {}
        parts = tuple(_get(arrays, f"{key}.{p}", dtypes.get(p)) for p in ("data", "indices", "indptr"))
        return cls(parts, shape=tuple(entry["shape"]))
    if kind == "tuple":
        return tuple(_decode(f"{key}.{j}", sub, arrays) for j, sub in enumerate(entry["items"]))
    raise TypeError(f"unknown stored kind {kind!r}")


def savez(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """``np.savez_compressed`` with fixed member times and order, so equal arrays give equal bytes."""
    import io
    import zipfile

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asanyarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())


def _same_rows(value: Any, data: np.ndarray) -> bool:
    return (isinstance(value, np.ndarray) and value.dtype == data.dtype and value.shape == data.shape
            and bool(np.array_equal(value, data)))


def _restore(folder: Path, name: str, data: np.ndarray) -> Any:
    meta = json.loads((folder / f"{name}.json").read_text())
    if meta.get("pynndescent") != _pynndescent_version():
        return None
    import pynndescent

    with np.load(folder / f"{name}.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    state = {}
    for key, entry in meta["state"].items():
        if entry["kind"] == "rows":
            state[key] = np.ascontiguousarray(data[arrays[entry["order"]]]) if "order" in entry else data
        elif entry["kind"] == "omitted":
            state[key] = None
        else:
            state[key] = _decode(key, entry, arrays)
    nnd = pynndescent.NNDescent.__new__(pynndescent.NNDescent)
    nnd.__setstate__(state)
    return nnd
