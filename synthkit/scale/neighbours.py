"""The distance families of ``evaluate()`` chunk by chunk: DCR, NNDR, near and exact copies, PRDC.

The real side is put in compact form once (:mod:`synthkit.neighbors.exact`)
and broadcast; the synthetic rows go to the workers in chunks (encoded rows
sent from here, or :class:`~synthkit.scale.Partitions` that each worker reads
and encodes with the real rows' Encoder). Every per-row
number comes from the same exact kernels as the in-memory path, for the same
pairs of rows, in the same order, so the results are the same bit for bit
whatever the chunking:

1. **real radii**: each real row's k nearest *other* real rows, chunked over
   real rows against the broadcast real rows (a row is excluded by its global
   number), giving the k-NN radius, the nearest other real row and its distance;
2. **synthetic rows** (one pass per chunk against the broadcast real rows): the
   distance to the nearest real row (DCR), which one, the second-nearest
   distance (NNDR = DCR / d2), the number of real k-NN balls holding the row
   (density; precision: at least one), exact copies (by row hashes of the real
   rows, confirmed by a join) and, with a holdout, the distance to the nearest
   holdout row;
3. **recall and coverage** (Naeem et al. 2020) on a seeded sample of at most
   ``recall_sample`` synthetic rows (all of them when there are fewer; then
   they equal the in-memory values): the sample's own k-NN radii, then a pass
   chunked over real rows against the broadcast sample.

Column blocks. The kernels sum distances block by block, and the blocks depend
on the rows (:func:`~synthkit.neighbors.exact.blocks`): the blocks of the
synthetic and real rows together are merged from per-piece bounds
(:func:`~synthkit.neighbors.exact.block_bounds`), so every chunk uses the
blocks the in-memory pass uses and distances agree to the last bit.

Near-copy flags need the 5th percentile of all real-to-real distances; they are
computed from the merged per-row arrays by :func:`synthkit.metrics.privacy.near_copy_stats`,
as in memory. Memory per worker: the compact real rows (a few numbers per row
and column block), their distinct rows and hashes for exact copies, one chunk,
and a few numbers per real row and kernel thread; nothing grows with synthetic
x real rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import polars as pl

from .._checks import check_int
from ..data import conform
from ..errors import DataError, SynthkitError
from ..metrics.coverage import PRDCRows, _check
from ..metrics.privacy import dcr_threshold, exact_copies, near_copy_stats
from ..neighbors import exact as _x

__all__ = ["RECALL_SAMPLE", "ROWS_PER_CHUNK", "InProcess", "NeighbourRows", "Ref", "Copies", "Rows",
           "neighbour_rows", "recall_rows", "self_chunk", "cross_chunk", "support_chunk", "bounds_chunk",
           "sample_chunk"]

#: synthetic rows behind recall and coverage (a seeded sample when there are more)
RECALL_SAMPLE = 100_000
#: the largest chunk, in rows
ROWS_PER_CHUNK = 50_000


class InProcess:
    """Runs the chunks one after another in this process (same results as a cluster; a synthkit
    error names the chunk, as :meth:`synthkit.scale.Engine.map` does)."""

    n_workers = 1

    def broadcast(self, obj: Any) -> Any:
        return obj

    def release(self, *boxes: Any) -> None:
        """Nothing to drop: the objects stay where they are."""

    def map(self, fn: Callable, chunks: Sequence[Any], *broadcast: Any, desc: str = "chunks",
            labels: Sequence[str] | None = None, **kwargs: Any) -> list[Any]:
        out = []
        for i, c in enumerate(chunks):
            try:
                out.append(fn(c, *broadcast, **kwargs))
            except SynthkitError as exc:
                label = labels[i] if labels is not None else getattr(c, "label", f"chunk {i}")
                raise type(exc)(f"{label}: {exc}") from None
        return out


# --------------------------------------------------------------------------- broadcast sides
@dataclass
class Ref:
    """Reference rows in compact form for fixed column blocks, with optional ball radii.

    ``r2`` holds the squared radii moved by the tie tolerance
    (:func:`~synthkit.neighbors.exact.boundary`)."""

    groups: list[np.ndarray]
    cT: np.ndarray
    vT: np.ndarray
    r2: np.ndarray | None = None

    @classmethod
    def build(cls, X: np.ndarray, groups: list[np.ndarray], r2: np.ndarray | None = None) -> "Ref":
        c, v = _x.compact(_x.as_matrix(X), groups)
        cT, vT = _x._T(c, v)
        return cls(groups, cT, vT, None if r2 is None else np.ascontiguousarray(r2, dtype=np.float64))

    def __len__(self) -> int:
        return self.cT.shape[1]

    def rows(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows ``lo..hi-1`` in compact row-major form (as query rows)."""
        return np.ascontiguousarray(self.cT[:, lo:hi].T), np.ascontiguousarray(self.vT[:, lo:hi].T)

    def compact(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Other rows (e.g. a synthetic chunk) in this reference's blocks."""
        return _x.compact(_x.as_matrix(X), self.groups)


@dataclass
class Copies:
    """What exact-copy detection needs of the real rows: their hashes and their distinct rows."""

    columns: list[str]
    hashes: pl.Series
    rows: pl.DataFrame

    @classmethod
    def build(cls, real: pl.DataFrame, columns: list[str]) -> "Copies":
        sel = real.select(columns)
        return cls(list(columns), sel.hash_rows(seed=0), sel.unique(maintain_order=True))


@dataclass
class Rows:
    """A chunk of synthetic rows: its first global row number, encoded rows and (for exact copies) columns."""

    offset: int
    X: np.ndarray
    frame: pl.DataFrame | None = None

    @property
    def label(self) -> str:
        return f"synthetic rows {self.offset}-{self.offset + self.X.shape[0] - 1}"


# --------------------------------------------------------------------------- per-chunk functions (pure)
def _n_chunks(m: int) -> int:
    import numba

    _worker_threads()
    return max(1, min(4 * numba.get_num_threads(), m // _x._TQ))


def _worker_threads() -> None:
    """One numba thread per worker thread (see :func:`synthkit.scale.engine.worker_threads`)."""
    import numba  # noqa: F401 - imported before the kernels run, so the setting applies to them

    from .engine import worker_threads

    worker_threads()


def self_chunk(span: tuple[int, int], ref: Ref, *, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows ``span[0]..span[1]-1`` of ``ref`` against all of ``ref`` (a row is not its own neighbour):
    the distance to the k-th nearest other row, to the nearest one, and its index."""
    lo, hi = span
    _worker_threads()
    qc, qv = ref.rows(lo, hi)
    kk = min(k, len(ref) - 1)
    D, I = _x._topk_kernel(qc, qv, ref.cT, ref.vT, kk, True, lo)
    D = np.sqrt(D)
    return D[:, kk - 1].copy(), D[:, 0].copy(), I[:, 0].copy()


def _load(chunk: Any, encoder: Any, columns: Sequence[str] | None) -> tuple[np.ndarray, pl.DataFrame | None]:
    """The encoded rows of a chunk (and its modelled columns when ``columns``): a :class:`Rows` as it is,
    a partition (anything with ``read()``, e.g. :class:`~synthkit.scale.Partition`) read and encoded here."""
    if isinstance(chunk, Rows):
        return chunk.X, chunk.frame
    if encoder is None:
        raise DataError("partitions of synthetic rows need encoder= (the Encoder fitted on the real rows)")
    # the schema's columns and dtypes (as the real rows have them), so that row hashes compare alike
    frame = conform(chunk.read(), encoder.schema_, what="the synthetic rows")
    X = _x.as_matrix(encoder.transform(frame))
    return X, (frame.select(list(columns)) if columns else None)


def bounds_chunk(chunk: Any, encoder: Any = None) -> np.ndarray:
    """The column-block bounds of a chunk's encoded rows (:func:`~synthkit.neighbors.exact.block_bounds`)."""
    return _x.block_bounds(_load(chunk, encoder, None)[0])


def sample_chunk(item: tuple[Any, np.ndarray], encoder: Any = None) -> np.ndarray:
    """The encoded rows ``item[1]`` (numbers inside the chunk) of the chunk ``item[0]``."""
    chunk, local = item
    return _load(chunk, encoder, None)[0][local]


def cross_chunk(rows: Any, real: Ref, copies: Copies | None = None, holdout: Ref | None = None,
                encoder: Any = None, *, strict: bool = False) -> dict[str, np.ndarray]:
    """Per synthetic row of the chunk: ``d1`` (DCR), ``i1`` (nearest real row), ``d2``, ``ball_count``
    (real balls holding it), ``exact`` (with ``copies``) and ``dcr_holdout`` (with ``holdout``).

    ``rows``: a :class:`Rows`, or a partition that ``encoder`` encodes here."""
    X, frame = _load(rows, encoder, None if copies is None else copies.columns)
    qc, qv = real.compact(X)
    m = qc.shape[0]
    d1, d2, i1, cnt, *_ = _x._cross_kernel(qc, qv, real.cT, real.vT, real.r2, np.zeros(m), True, False,
                                           strict, _n_chunks(m))
    out = {"d1": np.sqrt(d1), "d2": np.sqrt(d2), "i1": i1, "ball_count": cnt}
    if copies is not None:
        out["exact"] = exact_copies(copies.rows, frame, copies.columns, real_hashes=copies.hashes)
    if holdout is not None:
        hc, hv = holdout.compact(X)
        h1 = _x._cross_kernel(hc, hv, holdout.cT, holdout.vT, np.zeros(len(holdout)), np.zeros(m), False, False,
                              False, _n_chunks(m))[0]
        out["dcr_holdout"] = np.sqrt(h1)
    return out


def support_chunk(span: tuple[int, int], real: Ref, sample: Ref, *, strict: bool = False) -> dict[str, np.ndarray]:
    """Real rows ``span`` against the synthetic sample: ``inside`` (in some sample ball: recall),
    ``covered`` (a sample row inside the real row's own ball: coverage), the nearest sample row and distance."""
    lo, hi = span
    qc, qv = real.rows(lo, hi)
    m = hi - lo
    e1, _, j1, cnt, *_ = _x._cross_kernel(qc, qv, sample.cT, sample.vT, sample.r2, np.zeros(m), True, False,
                                          strict, _n_chunks(m))
    r2 = real.r2[lo:hi]
    return {"inside": cnt > 0, "covered": e1 < r2 if strict else e1 <= r2, "d1": np.sqrt(e1), "i1": j1}


# --------------------------------------------------------------------------- result
@dataclass
class NeighbourRows:
    """Per-row results of :func:`neighbour_rows`.

    ``prdc`` is what :func:`synthkit.metrics.coverage.prdc_rows` returns (its
    ``synth_radius``, ``in_synth_support``, ``covered`` and the per-real-row
    nearest synthetic row come from the ``recall_rows`` sample); ``exact`` and
    ``dcr_holdout`` are None unless asked for.
    """

    prdc: PRDCRows
    recall_rows: np.ndarray
    exact: np.ndarray | None = None
    dcr_holdout: np.ndarray | None = None

    @property
    def dcr(self) -> np.ndarray:
        return self.prdc.cross.d1

    @property
    def nearest_real(self) -> np.ndarray:
        return self.prdc.cross.i1

    def privacy_flags(self) -> dict[str, np.ndarray]:
        """Per synthetic row: ``near_copy``, ``exact`` and ``nndr`` (as :func:`~synthkit.metrics.privacy.near_copy_stats`)."""
        exact = np.zeros(self.dcr.size, dtype=bool) if self.exact is None else self.exact
        return near_copy_stats(self.dcr, self.prdc.cross.d2, exact, dcr_threshold(self.prdc.real_nn_dist))


# --------------------------------------------------------------------------- driver
def recall_rows(n_synthetic: int, recall_sample: int = RECALL_SAMPLE, random_state: int = 0) -> np.ndarray:
    """The synthetic rows behind recall and coverage: all of them, or a seeded sample in row order."""
    if n_synthetic <= recall_sample:
        return np.arange(n_synthetic)
    rng = np.random.default_rng([random_state, 14])
    return np.sort(rng.choice(n_synthetic, size=recall_sample, replace=False))


def _spans(n: int, size: int) -> list[tuple[int, int]]:
    return [(a, min(n, a + size)) for a in range(0, n, size)]


def _chunk_size(n: int, rows_per_chunk: int | None, eng: Any) -> int:
    if rows_per_chunk is not None:
        return rows_per_chunk
    workers = max(1, int(getattr(eng, "n_workers", 1) or 1))
    return int(min(ROWS_PER_CHUNK, max(2_000, -(-n // (4 * workers)))))


def _release(eng: Any, *boxes: Any) -> None:
    """Drop broadcast objects from the workers once a step no longer needs them (no engine: nothing)."""
    if eng is not None:
        eng.release(*boxes)


def _self_knn(eng: Any, X: np.ndarray, k: int, size: int, what: str) -> tuple[np.ndarray, ...]:
    ref = Ref.build(X, _x.blocks(X))
    box = eng.broadcast(ref)
    spans = _spans(X.shape[0], size)
    out = eng.map(self_chunk, spans, box, desc=f"{what} neighbours",
                  labels=[f"{what} rows {a}-{b - 1}" for a, b in spans], k=k)
    _release(eng, box)
    return tuple(np.concatenate(parts) for parts in zip(*out))


def _is_partitions(x: Any) -> bool:
    return not isinstance(x, np.ndarray) and isinstance(x, Sequence) and len(x) > 0 and \
        all(hasattr(p, "read") and hasattr(p, "offset") and hasattr(p, "n_rows") for p in x)


def _real_matrix(real_X: Any, k: int) -> np.ndarray:
    check_int("k", k, minimum=1, hint=" (5 is the published default)")
    R = _x.as_matrix(real_X)
    if R.ndim != 2 or R.shape[0] <= k:
        raise DataError(f"real_X must be a 2-D matrix with more than k={k} rows; got shape {R.shape}")
    if not np.isfinite(R).all():
        raise DataError("real_X holds NaN or infinite values; encode rows with sk.Encoder")
    return R


def neighbour_rows(
    real_X: Any,
    synth_X: Any,
    k: int = 5,
    *,
    engine: Any = None,
    strict: bool = False,
    real: pl.DataFrame | None = None,
    synth: pl.DataFrame | None = None,
    columns: Sequence[str] | None = None,
    holdout_X: Any = None,
    encoder: Any = None,
    recall_sample: int = RECALL_SAMPLE,
    random_state: int = 0,
    rows_per_chunk: int | None = None,
) -> NeighbourRows:
    """The neighbour pass of ``evaluate()`` run chunk by chunk on ``engine``.

    ``real_X``: the encoded real rows. ``synth_X``: the encoded synthetic rows
    (same Encoder), or :class:`~synthkit.scale.Partitions` of synthetic rows
    that the workers read and encode with ``encoder`` (the Encoder fitted on
    the real rows; the synthetic rows then never sit in this process).
    ``engine``: an :class:`~synthkit.scale.Engine` (or None: :class:`InProcess`).
    ``real`` and ``columns`` (the real frame behind ``real_X`` and the modelled
    columns; with an encoded ``synth_X`` also ``synth``, the frame behind it)
    turn on exact copies; ``holdout_X`` the distance to the nearest holdout
    row. ``recall_sample``: at most this many synthetic rows (seeded by
    ``random_state``) behind recall and coverage. ``rows_per_chunk``: rows per
    chunk of an encoded ``synth_X`` and of the real rows (default: a few chunks
    per worker, at most :data:`ROWS_PER_CHUNK`). Equal to
    :func:`~synthkit.metrics.coverage.prdc_rows`,
    :func:`~synthkit.metrics.privacy.exact_copies` and the holdout distances
    in memory whenever the synthetic rows are at most ``recall_sample``.
    """
    parts = _is_partitions(synth_X)
    if parts:
        R = _real_matrix(real_X, k)
        if encoder is None:
            raise DataError("partitions of synthetic rows need encoder= (the Encoder fitted on the real rows, "
                            "which encodes each partition on its worker)")
        if synth is not None:
            raise DataError("synth= is for encoded synthetic rows; with partitions the workers read the rows")
        m = int(sum(p.n_rows for p in synth_X))
        if m <= k:
            raise DataError(f"the synthetic partitions hold {m} rows; k={k} needs at least {k + 1}")
        S = None
    else:
        R, S = _check(real_X, synth_X, k)
        m = S.shape[0]
    recall_sample = check_int("recall_sample", recall_sample, minimum=k + 1,
                              hint=" (synthetic rows behind recall and coverage, e.g. 100_000)")
    if rows_per_chunk is not None:
        rows_per_chunk = check_int("rows_per_chunk", rows_per_chunk, minimum=1, hint=" (e.g. 50_000)")
    want_copies = real is not None or synth is not None
    if want_copies and (real is None or columns is None or (synth is None and not parts)):
        raise DataError("exact copies need real= and columns= (and synth= with encoded synthetic rows): the "
                        "frames behind real_X and synth_X, and the modelled columns")
    if want_copies and (real.height != R.shape[0] or (synth is not None and synth.height != m)):
        raise DataError(f"real= has {real.height} rows and synth= {None if synth is None else synth.height}, but "
                        f"real_X has {R.shape[0]} and synth_X {m}: pass the frames the matrices were encoded from")
    H = None if holdout_X is None else _x.as_matrix(holdout_X)
    if H is not None and (H.ndim != 2 or H.shape[1] != R.shape[1] or H.shape[0] == 0):
        raise DataError(f"holdout_X must be a non-empty matrix with {R.shape[1]} columns; got {H.shape}")
    eng = InProcess() if engine is None else engine
    n = R.shape[0]

    # 1. real radii: real rows chunked against all real rows (the blocks of the real rows alone, as knn(R))
    real_r, real_nn_d, real_nn_i = _self_knn(eng, R, k, _chunk_size(n, rows_per_chunk, eng), "real")

    # 2. synthetic rows against the real rows, in the blocks of both
    enc_box = eng.broadcast(encoder) if parts else None
    if parts:
        chunks, labels = list(synth_X), [p.label for p in synth_X]
        b_synth = np.maximum.reduce(eng.map(bounds_chunk, chunks, enc_box, desc="column blocks", labels=labels))
    else:
        size = _chunk_size(m, rows_per_chunk, eng)
        chunks = [Rows(a, S[a:b], synth[a:b].select(columns) if want_copies else None) for a, b in _spans(m, size)]
        labels = [c.label for c in chunks]
        b_synth = _x.block_bounds(S)
    groups = _x.blocks_from(np.maximum(_x.block_bounds(R), b_synth))
    boxes = [eng.broadcast(Ref.build(R, groups, _x.boundary(real_r, strict))),
             eng.broadcast(Copies.build(real, list(columns))) if want_copies else None,
             eng.broadcast(Ref.build(H, _x.blocks_from(np.maximum(b_synth, _x.block_bounds(H)))))
             if H is not None else None]
    out = eng.map(cross_chunk, chunks, *boxes, enc_box, desc="synthetic neighbours", labels=labels, strict=strict)
    _release(eng, *boxes[1:])
    cat = {key: np.concatenate([o[key] for o in out]) for key in out[0]}

    # 3. recall and coverage on the synthetic sample
    sample = recall_rows(m, recall_sample, random_state)
    if parts:
        items = [(p, sample[(sample >= p.offset) & (sample < p.offset + p.n_rows)] - p.offset) for p in synth_X]
        items = [it for it in items if it[1].size]
        Ssub = np.concatenate(eng.map(sample_chunk, items, enc_box, desc="recall sample",
                                      labels=[p.label for p, _ in items]))
    else:
        Ssub = S[sample]
    _release(eng, enc_box)
    synth_r = _self_knn(eng, Ssub, k, _chunk_size(sample.size, rows_per_chunk, eng), "synthetic sample")[0]
    sample_box = eng.broadcast(Ref.build(Ssub, groups, _x.boundary(synth_r, strict)))
    spans = _spans(n, _chunk_size(n, rows_per_chunk, eng))
    sup = eng.map(support_chunk, spans, boxes[0], sample_box, desc="recall and coverage",
                  labels=[f"real rows {a}-{b - 1}" for a, b in spans], strict=strict)
    _release(eng, boxes[0], sample_box)
    inside, covered = np.concatenate([s["inside"] for s in sup]), np.concatenate([s["covered"] for s in sup])
    cross = _x.CrossStats(
        d1=cat["d1"], d2=cat["d2"], i1=cat["i1"], ball_count=cat["ball_count"],
        ref_d1=np.concatenate([s["d1"] for s in sup]), ref_i1=sample[np.concatenate([s["i1"] for s in sup])],
        ref_inside=inside, ref_covered=covered)
    prdc = PRDCRows(k=k, real_radius=real_r, synth_radius=synth_r, real_nn_dist=real_nn_d, real_nn_index=real_nn_i,
                    inside_support=cross.ball_count > 0, ball_count=cross.ball_count, covered=covered,
                    in_synth_support=inside, cross=cross)
    return NeighbourRows(prdc=prdc, recall_rows=sample, exact=cat.get("exact"), dcr_holdout=cat.get("dcr_holdout"))
