"""Placement: Map.place vs umap-learn's transform vs the raw neighbour query, in one run.

    .venv/bin/python benchmarks/place.py              # penguins and adult (adult fits UMAP on all rows: minutes)
    .venv/bin/python benchmarks/place.py --quick      # penguins only
    .venv/bin/python benchmarks/place.py --fit-rows 10000   # adult fitted on a 10,000-row subsample

For each dataset: a 1,000-row copula batch (penguins: 1,000 rows too) placed
into the anchored map, warm (one call first, then the median of several):

- ``Map.place``: coordinates + ``dist_to_real`` (exact where it is shown far
  off) + ``nearest_real``, from the frame to the returned frame;
- umap-learn's ``transform`` on the same fitted UMAP object, plus encoding
  (what a user of umap-learn would run);
- the raw neighbour query: the index's own search for the 5 nearest real rows
  of the encoded batch, without any repair (the floor ``place`` builds on);
- where ``place`` spends its time: encode, neighbour query with repairs, the
  exact check of the far rows alone, the rest (weighted mean, frame).

The load average is printed at the start and the end: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np


def median_ms(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"


def raw_query(index, X: np.ndarray, k: int):
    """The index's own search, nothing else: pynndescent's query, or the exact search."""
    nnd = getattr(index, "_nnd", None)
    if nnd is not None:
        return lambda: nnd.query(X, k=k, epsilon=0.12)
    index.query(X[:1], k)  # an index that sets up its search at the first query
    return lambda: index.query(X, k)


def run(name: str, ds, fit_rows, repeats: int) -> None:
    import synthkit as sk
    from synthkit import projection
    from synthkit.projection import Map

    batch = sk.generate(ds, "copula", n=1000, random_state=1)
    t = time.perf_counter()
    m = Map.fit(ds, random_state=0, max_fit_rows=fit_rows)
    fit_s = time.perf_counter() - t
    index = m._real_index
    kind = "exact" if index.exact else "approximate (pynndescent) + exact check of far rows"
    print(f"\n{name}: {len(ds):,} real rows, UMAP on {len(m._fit_X):,} (fit {fit_s:.0f} s); "
          f"real-row index: {kind}")
    k = min(projection.PLACE_K, m.params["n_neighbors"])
    X = np.ascontiguousarray(m.encoder.transform(batch), dtype=np.float32)

    place = median_ms(lambda: m.place(batch), repeats)
    transform = median_ms(lambda: m._umap.transform(m.encoder.transform(batch)), max(3, repeats // 2))
    raw = median_ms(raw_query(index, X, k), repeats)
    encode = median_ms(lambda: m.encoder.transform(m._conform(batch)), repeats)
    verify = projection.VERIFY_ABOVE * m.nn_scale
    query = median_ms(lambda: m._query_real(X, k), repeats)
    _, d = m._query_real(X, k)
    far = np.nonzero(d[:, 0] > verify)[0]
    check = median_ms(lambda: index.exact_nearest(X[far]), repeats) if (len(far) and not index.exact) else 0.0
    print(f"  Map.place {place:.0f} ms | umap transform {transform:.0f} ms | raw neighbour query {raw:.0f} ms")
    print(f"  place is {transform / place:.1f}x faster than transform; the raw query {transform / raw:.1f}x; "
          f"place costs {place / raw:.1f}x the raw query")
    checked = (f"of which the exact check of {len(far)} far rows {check:.1f} ms" if not index.exact
               else "an exact search: no separate check")
    print(f"  where place spends it: encode {encode:.1f} ms, neighbour query with repairs {query:.1f} ms "
          f"({checked}), rest {max(0.0, place - encode - query):.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="penguins only")
    ap.add_argument("--fit-rows", type=int, default=None,
                    help="adult: fit UMAP on this many rows (default: all, as in BENCHMARKS.md)")
    ap.add_argument("--repeats", type=int, default=9)
    args = ap.parse_args()
    import synthkit as sk

    print(f"start: {load()}")
    run("penguins", sk.load("penguins"), None, args.repeats)
    if not args.quick:
        run("adult", sk.load("adult"), args.fit_rows, args.repeats)
    print(f"\nend: {load()}")


if __name__ == "__main__":
    main()
