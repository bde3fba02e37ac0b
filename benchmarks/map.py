"""Map speed: placement vs umap-learn's transform, cache vs refit, fresh process to first map.

    .venv/bin/python benchmarks/map.py            # all parts (adult fit on every row: a few minutes)
    .venv/bin/python benchmarks/map.py --quick    # skip the adult parts

1. Place a 1,000-row copula batch into the adult map (48,842 real rows, UMAP
   fitted on every row): ``Map.place`` (neighbour average, with dist_to_real
   and nearest_real) vs umap-learn's ``transform`` on the same fitted UMAP
   object (both warm: one call first, then the median of several), and the
   agreement of the two placements (mean share of each point's 10 nearest
   neighbours on the map that coincide).
2. Reopening the cached adult map (``Map.load``) vs fitting it again; also the
   default fit (``max_fit_rows=10,000``).
3. Time from a fresh Python process to the first penguins map, with an empty
   numba cache (first run ever) and again with the cache filled (second run).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.neighbors import NearestNeighbors


def knn_agreement(a: np.ndarray, b: np.ndarray, k: int = 10) -> float:
    ia = NearestNeighbors(n_neighbors=k + 1).fit(a).kneighbors(a, return_distance=False)[:, 1:]
    ib = NearestNeighbors(n_neighbors=k + 1).fit(b).kneighbors(b, return_distance=False)[:, 1:]
    return float(np.mean([len(set(x) & set(y)) / k for x, y in zip(ia, ib)]))


def median_time(fn, repeats: int) -> tuple[float, object]:
    out = fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


FRESH = r"""
import time
t0 = time.perf_counter()
import synthkit as sk
ds = sk.load("penguins")
m = sk.Map.fit(ds, random_state=0, shipped=False)  # the fit itself (benchmarks/first_map.py: the shipped map)
xy = m.place(sk.generate(ds, "copula", n=200, random_state=1))
print(f"{time.perf_counter() - t0:.2f}")
"""


def fresh_process_runs() -> list[float]:
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        out = []
        for _ in range(2):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", FRESH], env=env, check=True, capture_output=True, text=True)
            out.append(time.perf_counter() - t)
        return out


def adult_parts() -> None:
    import synthkit as sk
    from synthkit import projection
    from synthkit.projection import Map

    ds = sk.load("adult")
    batch = sk.generate(ds, "copula", n=1000, random_state=1)
    with tempfile.TemporaryDirectory() as cache:
        t = time.perf_counter()
        m = Map.fit(ds, random_state=0, max_fit_rows=None, cache_dir=cache)
        fit_all = time.perf_counter() - t
        print(f"adult map, UMAP on all {len(ds):,} rows: fit {fit_all:.1f} s (incl. saving to the cache)")

        fast_s, placed = median_time(lambda: m.place(batch), 9)
        X = m.encoder.transform(batch)
        umap_s, exact = median_time(lambda: m._umap.transform(m.encoder.transform(batch)), 5)
        k = min(projection.PLACE_K, m.params["n_neighbors"])

        def coords_only():
            i, d = m._real_index.query(m.encoder.transform(batch), k)
            return projection._idw(i, d, m._real_xy())

        coord_s, _ = median_time(coords_only, 9)
        refine_s, refined = median_time(lambda: m.place(batch, refine=True), 3)
        fast_xy = placed.select("x", "y").to_numpy()
        print(f"place 1,000 copula rows (warm, median): Map.place {fast_s * 1000:.0f} ms "
              f"(coordinates, dist_to_real, nearest_real), umap transform {umap_s * 1000:.0f} ms "
              f"-> {umap_s / fast_s:.1f}x faster")
        print(f"  coordinates alone (encode + one neighbour query + weighted mean) {coord_s * 1000:.0f} ms "
              f"-> {umap_s / coord_s:.1f}x faster than umap transform")
        print(f"  Map.place(refine=True) {refine_s * 1000:.0f} ms")
        print(f"  agreement with umap transform (10-NN on the map): fast {knn_agreement(fast_xy, exact):.2f}, "
              f"refine {knn_agreement(refined.select('x', 'y').to_numpy(), exact):.2f}")
        nudged = m._umap.transform(X + np.float32(1e-6))
        print(f"  umap transform vs itself on input nudged by 1e-6: {knn_agreement(nudged, exact):.2f}")
        print(f"  median gap fast vs transform: {np.median(np.linalg.norm(fast_xy - exact, axis=1)):.2f} "
              f"(map width {np.ptp(m.real['x'].to_numpy()):.1f})")
        from sklearn.metrics import pairwise_distances

        true = pairwise_distances(X, m._real_X).min(axis=1) / m.nn_scale
        got = placed["dist_to_real"].to_numpy()
        err = got - true
        print(f"  dist_to_real vs brute force: {np.mean(np.abs(err) < 1e-6):.0%} exact, 95th pct error "
              f"{np.quantile(err, 0.95):.2f}, max {err.max():.2f} units; rows above "
              f"{projection.VERIFY_ABOVE:g} all exact: {bool(np.all(np.abs(err[got > projection.VERIFY_ABOVE]) < 1e-5))}")

        load_s, m2 = median_time(lambda: Map.load(cache, m.hash), 3)
        assert m2.real.equals(m.real)
        t = time.perf_counter()
        m2.place(batch)
        first_place = time.perf_counter() - t
        print(f"reopen cached adult map: {load_s:.2f} s vs refit {fit_all:.1f} s -> {fit_all / load_s:.0f}x faster "
              f"(first place after reopening {first_place * 1000:.0f} ms)")
        code = (
            "import time; t0 = time.perf_counter()\n"
            "import synthkit as sk\n"
            "from synthkit.projection import Map\n"
            "t1 = time.perf_counter(); m = Map.load(%r, %r); t2 = time.perf_counter()\n"
            "m.place(sk.generate(m.dataset, 'copula', n=1000, random_state=1)); t3 = time.perf_counter()\n"
            "print(f'{t2 - t1:.2f} {t3 - t0:.2f}')\n"
        ) % (cache, m.hash)
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
        load_fresh, total_fresh = (float(v) for v in out.split())
        print(f"  in a fresh process: Map.load {load_fresh:.2f} s ({fit_all / load_fresh:.0f}x faster than refitting); "
              f"start to first placed batch {total_fresh:.1f} s")

    t = time.perf_counter()
    md = Map.fit(ds, random_state=0, shipped=False)
    fit_default = time.perf_counter() - t
    print(f"adult map with the default max_fit_rows=10,000: fit {fit_default:.1f} s "
          f"({fit_all / fit_default:.1f}x faster than all rows)")
    d_s, placed_d = median_time(lambda: md.place(batch), 9)
    print(f"  place 1,000 rows into it (warm, median): {d_s * 1000:.0f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip the adult parts")
    args = ap.parse_args()
    first, second = fresh_process_runs()
    print(f"fresh process -> first penguins map + placed batch: first run (empty numba cache) {first:.1f} s, "
          f"second run {second:.1f} s")
    if not args.quick:
        adult_parts()


if __name__ == "__main__":
    main()
