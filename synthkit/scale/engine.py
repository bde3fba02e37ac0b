"""The Dask engine: run per-chunk functions on a ``dask.distributed`` cluster.

    with engine_scope("dask") as eng:                 # a LocalCluster synthkit starts and stops
        box = eng.broadcast(real_index)               # sent once to every worker
        out = eng.map(score_chunk, chunks, box, desc="neighbours")   # results in chunk order

``engine_scope`` accepts ``"dask"`` (a ``LocalCluster``: worker processes with
one thread each, no dashboard), ``"dask"`` with ``scheduler="tcp://host:port"``
(an existing cluster), an existing ``distributed.Client`` or an :class:`Engine`
(both borrowed: not closed at the end).

Failures are never silent partial results:

* an unreachable scheduler raises :class:`~synthkit.errors.EngineError` naming
  the address;
* a worker that dies while running a chunk is replaced and the chunk re-run
  (the scheduler's ``allowed-failures``, ``retries`` here); when it keeps
  dying, ``EngineError`` names the partition and the last worker;
* a ``MemoryError`` on a worker raises ``EngineError`` naming the partition;
* a :class:`~synthkit.errors.SynthkitError` raised on a worker comes back as
  the same class, its message prefixed with the partition.

Pending chunks are cancelled after the first failure; nothing the caller
passed in is modified.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import sys
import time
import uuid
import warnings
from typing import Any, Callable, Iterator, Sequence

from .._checks import check_int
from ..errors import DataError, DependencyError, EngineError, SynthkitError

__all__ = ["Engine", "engine_scope", "ENGINES", "CONNECT_TIMEOUT"]

ENGINES = ("dask",)
#: seconds to wait for a remote scheduler before giving up
CONNECT_TIMEOUT = 10
#: how often a chunk is re-run on a fresh worker after its worker died (the scheduler's allowed-failures)
RETRIES = 1
_counter = itertools.count()


def _distributed():
    try:
        import distributed
    except ImportError:  # pragma: no cover - a dependency of synthkit
        raise DependencyError("the Dask engine needs the 'distributed' package: pip install 'dask[array]' distributed") \
            from None
    return distributed


class _Box:
    """A broadcast object in a wrapper: scatter would split a bare dict into its keys."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj


def worker_threads() -> None:
    """On a Dask worker, run numba's kernels on as many threads as the worker has (not one per core:
    the workers share the cores; Dask sets the BLAS/OpenMP variables itself). Results do not depend
    on the number of threads. (Not through the nanny's environment: it would change this process's
    NUMBA_NUM_THREADS too, which numba refuses once its threads run.)"""
    import numba  # once per worker process; the kernels of synthkit need it anyway

    try:
        from distributed import get_worker

        n = get_worker().state.nthreads
    except (ImportError, ValueError, AttributeError):
        return
    if n and numba.get_num_threads() != min(n, numba.config.NUMBA_NUM_THREADS):
        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))


def _call(fn: Callable, chunk: Any, *boxes: Any, **kwargs: Any) -> tuple[Any, float]:
    """Runs on a worker: unwrap the broadcast objects, call ``fn``; returns its result and CPU seconds."""
    worker_threads()
    cpu = time.process_time()
    out = fn(chunk, *[b.obj if isinstance(b, _Box) else b for b in boxes], **kwargs)
    return out, time.process_time() - cpu


class Engine:
    """A ``distributed.Client`` synthkit runs chunks on (owned or borrowed).

    Build one with :func:`engine_scope`. ``progress``: show a progress bar
    (``None``: when there is more than one chunk). ``n_workers`` is the number
    of workers connected now.
    """

    def __init__(self, client: Any, *, cluster: Any = None, owned: bool = False,
                 progress: bool | None = None) -> None:
        self.client = client
        self._cluster = cluster
        self._owned = owned
        self.progress = progress
        self._broadcast: list[Any] = []
        #: per ``desc`` of :meth:`map`: {"chunks", "seconds" (wall), "cpu" (the tasks' CPU seconds on the workers)}
        self.stats: dict[str, dict[str, float]] = {}

    # ------------------------------------------------------------------ lifecycle
    @property
    def address(self) -> str:
        return str(self.client.scheduler.address)

    @property
    def n_workers(self) -> int:
        return len(self.client.scheduler_info(n_workers=-1)["workers"])

    def close(self) -> None:
        """Release broadcast objects; stop the client and cluster if synthkit started them."""
        with contextlib.suppress(Exception):
            if self._broadcast:
                self.client.cancel(self._broadcast, force=True)
        self._broadcast = []
        if self._owned:
            with contextlib.suppress(Exception):
                self.client.close()
            if self._cluster is not None:
                with contextlib.suppress(Exception):
                    self._cluster.close()

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        kind = "local cluster" if self._cluster is not None else "cluster"
        try:
            workers = f", {self.n_workers} workers"
        except Exception:  # noqa: BLE001 - a closed client
            workers = ", closed"
        return f"Engine({kind} at {self.address}{workers})"

    # ------------------------------------------------------------------ work
    def broadcast(self, obj: Any) -> Any:
        """Send ``obj`` once to every worker; pass the result to :meth:`map`."""
        fut = self.client.scatter(_Box(obj), broadcast=True, hash=False)
        self._broadcast.append(fut)
        return fut

    def release(self, *boxes: Any) -> None:
        """Drop broadcast objects from the workers once no step needs them (``None`` is skipped)."""
        boxes = tuple(b for b in boxes if b is not None)
        if not boxes:
            return
        keys = {getattr(b, "key", None) for b in boxes}
        self._broadcast = [b for b in self._broadcast if getattr(b, "key", None) not in keys]
        with contextlib.suppress(Exception):
            self.client.cancel(list(boxes), force=True)

    def map(self, fn: Callable, chunks: Sequence[Any], *broadcast: Any, desc: str = "chunks",
            labels: Sequence[str] | None = None, **kwargs: Any) -> list[Any]:
        """``[fn(chunk, *broadcast_objects, **kwargs) for chunk in chunks]``, run on the workers.

        Results come back in chunk order. ``labels`` name the chunks in errors
        (default: ``chunk i``; a :class:`~synthkit.scale.Partition` names itself).
        """
        chunks = list(chunks)
        if labels is None:
            labels = [getattr(c, "label", f"chunk {i}") for i, c in enumerate(chunks)]
        if len(labels) != len(chunks):
            raise DataError(f"labels has {len(labels)} names for {len(chunks)} chunks")
        if not chunks:
            return []
        distributed = _distributed()
        token = f"synthkit-{desc.replace(' ', '-')}-{next(_counter)}-{uuid.uuid4().hex[:8]}"
        futures = [self.client.submit(_call, fn, c, *broadcast, key=f"{token}-{i}", pure=False, **kwargs)
                   for i, c in enumerate(chunks)]
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[Any] = [None] * len(chunks)
        t0, cpu = time.perf_counter(), 0.0
        show = self.progress if self.progress is not None else len(chunks) > 1
        bar = _bar(len(chunks), desc, show)
        try:
            for fut in distributed.as_completed(futures, loop=self.client.loop):
                i = index[fut.key]
                if fut.status == "error":
                    _raise_for(fut, labels[i])
                if fut.status == "cancelled":
                    raise EngineError(f"{labels[i]}: the work was cancelled on the cluster at {self.address} "
                                      "(was the client closed or the cluster restarted?); run it again")
                results[i], used = fut.result()
                cpu += used
                fut.release()
                bar.update(1)
        except BaseException:
            self.client.cancel(futures, force=True)
            raise
        finally:
            bar.close()
        st = self.stats.setdefault(desc, {"chunks": 0, "seconds": 0.0, "cpu": 0.0})
        st["chunks"] += len(chunks)
        st["seconds"] += time.perf_counter() - t0
        st["cpu"] += cpu
        return results


def _bar(total: int, desc: str, show: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"synthkit {desc}", unit="chunk", disable=not show, leave=False,
                file=sys.stderr)


def _raise_for(fut: Any, label: str) -> None:
    """Turn a failed future into a synthkit error that names the partition."""
    distributed = _distributed()
    exc = fut.exception()
    if isinstance(exc, distributed.scheduler.KilledWorker):
        worker = getattr(exc, "last_worker", None)
        where = f" (last on {getattr(worker, 'address', worker)})" if worker is not None else ""
        raise EngineError(
            f"{label}: the worker running it died{where} and the retry died too (the scheduler cannot tell "
            "which of the chunks on a worker killed it: this one or one beside it); a worker that dies "
            "usually ran out of memory: give workers more memory (memory_limit=), use smaller chunks "
            "(rows_per_chunk=) or fewer real rows") from None
    if isinstance(exc, MemoryError):
        raise EngineError(
            f"{label} ran out of memory on a worker ({exc}); use smaller chunks (rows_per_chunk=) or give "
            "workers more memory (memory_limit=)") from None
    if isinstance(exc, SynthkitError):
        try:
            new = type(exc)(f"{label}: {exc}")
        except Exception:  # noqa: BLE001 - an error class with another signature
            new = EngineError(f"{label}: {exc}")
        raise new from None
    raise EngineError(f"{label} failed on a worker: {type(exc).__name__}: {exc}") from exc


# ---------------------------------------------------------------------------- scope
def _local_engine(n_workers: int, memory_limit: Any, progress: bool | None, retries: int) -> Engine:
    distributed = _distributed()
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": retries}), warnings.catch_warnings():
        # with no dashboard the scheduler still serves /health: on any free port, without a warning
        warnings.filterwarnings("ignore", message="Port .* is already in use")
        try:
            cluster = distributed.LocalCluster(
                n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None,
                memory_limit=memory_limit, silence_logs=logging.ERROR)
        except Exception as exc:  # noqa: BLE001 - e.g. no free port, no fork
            raise EngineError(f"could not start a local Dask cluster of {n_workers} workers: "
                              f"{type(exc).__name__}: {exc}") from None
    client = distributed.Client(cluster, set_as_default=False)
    return Engine(client, cluster=cluster, owned=True, progress=progress)


def _remote_engine(address: str, progress: bool | None, timeout: float) -> Engine:
    distributed = _distributed()
    if not isinstance(address, str) or "://" not in address and ":" not in address:
        raise DataError(f"scheduler={address!r} is not a scheduler address; pass e.g. 'tcp://10.0.0.5:8786', "
                        "or scheduler=None for a local cluster")
    try:
        client = distributed.Client(address, timeout=f"{timeout}s", set_as_default=False)
    except Exception as exc:  # noqa: BLE001 - OSError, TimeoutError, ValueError for a bad scheme
        raise EngineError(
            f"cannot reach the Dask scheduler at {address} ({type(exc).__name__}: {str(exc)[:200]}); start one "
            "with `dask scheduler` and `dask worker <address>`, check the address and firewall, or pass "
            "scheduler=None for a local cluster") from None
    return Engine(client, owned=True, progress=progress)


@contextlib.contextmanager
def engine_scope(engine: Any = "dask", *, scheduler: Any = None, n_workers: int | None = None,
                 memory_limit: Any = "auto", progress: bool | None = None, retries: int = RETRIES,
                 timeout: float = CONNECT_TIMEOUT) -> Iterator[Engine]:
    """An :class:`Engine` for the ``with`` block (see the module docstring).

    ``engine``: ``"dask"``, an :class:`Engine` or a ``distributed.Client``.
    ``scheduler``: ``None`` (a local cluster of ``n_workers`` processes; default:
    one per core, at most 4), an address ``"tcp://host:port"``, or a Client.
    ``memory_limit`` per local worker (Dask's ``"auto"`` shares the machine's
    memory). ``retries``: how often a chunk whose worker died is re-run on a
    local cluster (a remote scheduler keeps its own
    ``distributed.scheduler.allowed-failures``).
    """
    if isinstance(engine, Engine):
        yield engine
        return
    distributed = _distributed()
    if isinstance(engine, distributed.Client):
        scheduler, engine = engine, "dask"
    if engine not in ENGINES:
        raise DataError(f"engine={engine!r} is not supported; use engine='dask' (a local cluster, or "
                        "scheduler='tcp://...'), a distributed.Client, or engine=None to run in this process")
    retries = check_int("retries", retries, minimum=0, maximum=10, hint=" (re-runs of a chunk whose worker died)")
    if isinstance(scheduler, distributed.Client):
        eng = Engine(scheduler, owned=False, progress=progress)
    elif scheduler is None:
        if n_workers is None:
            n_workers = max(1, min(4, os.cpu_count() or 1))
        n_workers = check_int("n_workers", n_workers, minimum=1, maximum=256, hint=" (local worker processes)")
        eng = _local_engine(n_workers, memory_limit, progress, retries)
    else:
        eng = _remote_engine(scheduler, progress, timeout)
    try:
        yield eng
    finally:
        eng.close()
