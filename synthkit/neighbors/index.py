"""Nearest-neighbour search for the map, with a pickle-free on-disk form.

Small sets (up to ``EXACT_LIMIT`` rows, as UMAP itself does) are searched
exactly by brute force (scikit-learn); rebuilding that index costs nothing.
Larger sets use a pynndescent index (the search UMAP uses): it answers a
thousand queries on ~50k rows in tens of milliseconds, but building it takes
seconds (plus a one-off numba compile in a fresh process). So its state is
saved as plain arrays (``.npz`` without pickle) and JSON, and restored without
rebuilding; if the saved form does not fit the installed pynndescent, the
index is rebuilt from the data instead (same seed, same result).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

#: at or below this many rows the search is exact (brute force)
EXACT_LIMIT = 4096

_SCALARS = (bool, int, float, str, type(None))


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
        self.exact = len(self.data) <= EXACT_LIMIT
        self._nn: Any = None
        self._nnd: Any = nnd  # a prepared pynndescent.NNDescent (e.g. UMAP's own)
        if self.exact:
            from sklearn.neighbors import NearestNeighbors

            self._nn = NearestNeighbors(algorithm="brute", metric=metric).fit(self.data)
        elif self._nnd is None:
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

    def query(self, q: np.ndarray, k: int, *, verify_above: float | None = None,
              exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Indices (int64) and distances (float64) of the ``k`` nearest rows, nearest first.

        Exact for small indexes. For a pynndescent index the search is
        approximate; its distances are recomputed exactly for the candidates
        found, so they can only be too large, never too small. Two repairs make
        the nearest neighbour (column 0) exact where it matters: an exact copy
        of an indexed row is always found (a lookup by the row's bytes), and
        every query whose nearest distance exceeds ``verify_above`` is checked
        by brute force. ``exclude``: per query, one row index to skip (the
        query's own row, when querying the indexed rows themselves).
        """
        q = np.ascontiguousarray(q, dtype=np.float32)
        k = int(min(k, len(self.data) - (exclude is not None)))
        if len(q) == 0 or k < 1:
            return np.zeros((0, max(k, 0)), dtype=np.int64), np.zeros((0, max(k, 0)), dtype=np.float64)
        kk = k + (exclude is not None)
        if self.exact:
            _, i = self._nn.kneighbors(q, n_neighbors=kk)
        else:
            i, _ = self._nnd.query(q, k=kk, epsilon=0.12)
        i = i.astype(np.int64)
        # distances recomputed exactly for the candidates (cheap), so that an
        # exact copy of an indexed row is found at distance 0, then re-sorted
        d = pair_distances(self.data[i], q[:, None, :], self.metric)
        if exclude is not None:
            d = np.where(i == np.asarray(exclude)[:, None], np.inf, d)
        order = np.argsort(d, axis=1, kind="stable")
        i, d = np.take_along_axis(i, order, axis=1)[:, :k], np.take_along_axis(d, order, axis=1)[:, :k]
        if not self.exact:
            self._repair(q, i, d, verify_above, exclude)
        return i, d

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
                      chunk: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """Exact nearest row of each query (index, distance), by brute force.

        Chunked matrix products over all rows. (Pruning with a known upper
        bound per query, via principal-subspace lower bounds, was measured
        slower than the plain product for rows far from the data, the only
        ones checked here.)
        """
        q = np.ascontiguousarray(q, dtype=np.float32)
        idx = np.zeros(len(q), dtype=np.int64)
        for s in range(0, len(q), chunk):
            part = q[s : s + chunk]
            if self.metric == "euclidean":
                sq = getattr(self, "_sq", None)
                if sq is None:
                    sq = self._sq = np.einsum("ij,ij->i", self.data, self.data)
                    self._data_t = np.ascontiguousarray(self.data.T)
                D = part @ self._data_t
                D *= -2.0
                D += sq[None, :]
            else:
                from sklearn.metrics import pairwise_distances

                D = pairwise_distances(part, self.data, metric=self.metric)
            if exclude is not None:
                D[np.arange(len(part)), exclude[s : s + chunk]] = np.inf
            idx[s : s + chunk] = np.argmin(D, axis=1)
        dist = pair_distances(self.data[idx], q, self.metric)
        return idx, dist

    # ------------------------------------------------------------------ storage
    def save(self, folder: Path, name: str) -> None:
        """Write the index next to the data it was built on (arrays + JSON, no pickle)."""
        if self.exact:
            return  # rebuilt from the data on load, instantly
        state = self._nnd.__getstate__()
        arrays: dict[str, np.ndarray] = {}
        manifest: dict[str, Any] = {}
        try:
            for key, value in state.items():
                entry = _encode(key, value, arrays)
                if entry is not None:
                    manifest[key] = entry
        except TypeError:
            return  # a state this code does not know: the index is rebuilt on load
        meta = {"pynndescent": _pynndescent_version(), "state": manifest}
        np.savez(folder / f"{name}.npz", **arrays)
        (folder / f"{name}.json").write_text(json.dumps(meta))

    @classmethod
    def load(cls, folder: Path, name: str, data: np.ndarray, metric: str,
             random_state: int | None) -> "KnnIndex":
        """Restore a saved index; rebuild it from ``data`` if the saved form cannot be used."""
        if len(data) <= EXACT_LIMIT:
            return cls(data, metric, random_state)
        nnd = None
        try:
            nnd = _restore(folder, name)
        except Exception:  # noqa: BLE001 - any mismatch means: rebuild
            nnd = None
        if nnd is not None:
            index = cls(data, metric, random_state, nnd=nnd)
            if index._self_check():
                return index
        return cls(data, metric, random_state)

    def _self_check(self) -> bool:
        """Does the restored search find (most of) its own rows? (it is approximate)"""
        probe = self.data[:: max(1, len(self.data) // 32)][:32]
        try:
            _, d = self._nnd.query(probe, k=1, epsilon=0.12)
        except Exception:  # noqa: BLE001
            return False
        return bool(np.mean(d[:, 0] <= 1e-5) >= 0.75)


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
        arrays[key] = value
        return {"kind": "array"}
    if isinstance(value, np.generic):
        return {"kind": "npscalar", "dtype": value.dtype.name, "value": value.item()}
    if isinstance(value, _SCALARS):
        return {"kind": "scalar", "value": value}
    if tname == "csr_array" or tname == "csr_matrix":
        for part in ("data", "indices", "indptr"):
            arrays[f"{key}.{part}"] = getattr(value, part)
        return {"kind": "csr", "shape": list(value.shape), "array": tname == "csr_array"}
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


def _decode(key: str, entry: dict, arrays: Any) -> Any:
    kind = entry["kind"]
    if kind == "array":
        return arrays[key]
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
        parts = tuple(arrays[f"{key}.{p}"] for p in ("data", "indices", "indptr"))
        return cls(parts, shape=tuple(entry["shape"]))
    if kind == "tuple":
        return tuple(_decode(f"{key}.{j}", sub, arrays) for j, sub in enumerate(entry["items"]))
    raise TypeError(f"unknown stored kind {kind!r}")


def _restore(folder: Path, name: str) -> Any:
    meta = json.loads((folder / f"{name}.json").read_text())
    if meta.get("pynndescent") != _pynndescent_version():
        return None
    import pynndescent

    with np.load(folder / f"{name}.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    state = {key: _decode(key, entry, arrays) for key, entry in meta["state"].items()}
    nnd = pynndescent.NNDescent.__new__(pynndescent.NNDescent)
    nnd.__setstate__(state)
    return nnd
