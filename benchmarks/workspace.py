"""Workspace speed: tag writes per second, curate and export timings.

    .venv/bin/python benchmarks/workspace.py [--tags 500]

Side by side in one run:
- ``ws.tag`` (one durable SQLite transaction with its audit-log entry and
  row-id validation) against a bare ``sqlite3`` INSERT + COMMIT with the same
  settings (the floor), and against what a notebook user would otherwise do:
  keep the tags in a polars frame and rewrite a parquet file after each tag.
- two processes tagging the same workspace at once.
- ``ws.curate`` / ``ws.export`` on adult batches against plain polars (filter
  an in-memory frame by a set of row ids, write it).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import polars as pl

import synthkit as sk
import synthkit._storage as wsmod


def _rate(fn, n: int) -> float:
    t = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - t)


def _median_time(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_tags(root: Path, ds: sk.Dataset, n: int) -> list[tuple[str, float]]:
    ids = ds.frame["row_id"].to_list()

    def rows(i: int) -> list[str]:
        return [ids[(i * 10 + k) % len(ids)] for k in range(10)]

    out = []
    ws = sk.Workspace.create(root / "ws-full", ds)
    out.append(("ws.tag, 10 rows (synchronous=FULL, default)", _rate(lambda i: ws.tag(rows(i), "ok"), n)))
    ws.close()

    old = wsmod.SYNCHRONOUS
    wsmod.SYNCHRONOUS = "NORMAL"
    try:
        ws = sk.Workspace.create(root / "ws-normal", ds)
        out.append(("ws.tag, 10 rows (synchronous=NORMAL)", _rate(lambda i: ws.tag(rows(i), "ok"), n)))
        ws.close()
    finally:
        wsmod.SYNCHRONOUS = old

    con = sqlite3.connect(root / "bare.db", isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE tags (tag_id INTEGER PRIMARY KEY, label TEXT, created_at TEXT)")
    con.execute("CREATE TABLE tag_rows (tag_id INTEGER, row_id TEXT)")

    def bare(i: int) -> None:
        con.execute("BEGIN")
        tid = con.execute("INSERT INTO tags (label, created_at) VALUES ('ok', 'now')").lastrowid
        con.executemany("INSERT INTO tag_rows VALUES (?, ?)", [(tid, r) for r in rows(i)])
        con.execute("COMMIT")

    out.append(("bare sqlite3 INSERT + COMMIT (FULL), 10 rows", _rate(bare, n)))
    con.close()

    frame = pl.DataFrame(schema={"tag_id": pl.Int64, "label": pl.String, "row_id": pl.String})
    path = root / "tags.parquet"

    def rewrite(i: int) -> None:
        nonlocal frame
        new = pl.DataFrame({"tag_id": [i] * 10, "label": ["ok"] * 10, "row_id": rows(i)})
        frame = pl.concat([frame, new])
        frame.write_parquet(path)

    out.append(("polars frame + rewrite parquet per tag, 10 rows", _rate(rewrite, n)))
    frame = frame.clear()

    def rewrite_synced(i: int) -> None:
        rewrite(i)
        with open(path, "rb") as fh:
            os.fsync(fh.fileno())

    out.append(("  same, flushed to disk (fsync) per tag", _rate(rewrite_synced, n)))

    ws = sk.Workspace.open(root / "ws-full")
    big = ids[:10_000]
    t = _median_time(lambda: ws.tag(big, "biased"), repeat=5)
    out.append(("ws.tag, 10,000 rows", 1.0 / t))
    ws.close()
    return out


WRITER = textwrap.dedent(
    """
    import sys, time, os, synthkit as sk
    ws = sk.Workspace.open(sys.argv[1], author=sys.argv[2], timeout=60)
    while not os.path.exists(sys.argv[4]):
        time.sleep(0.002)
    waits = []
    t0 = time.perf_counter()
    for i in range(int(sys.argv[3])):
        t = time.perf_counter()
        ws.tag([f"real:{i % 300}"], sys.argv[2])
        waits.append(time.perf_counter() - t)
    print(time.perf_counter() - t0, max(waits))
    """
)


def bench_two_writers(root: Path, ds: sk.Dataset, n: int) -> tuple[float, float, float]:
    path = root / "ws-two"
    sk.Workspace.create(path, ds).close()
    script = root / "writer.py"
    script.write_text(WRITER)
    go = root / "go"
    procs = [subprocess.Popen([sys.executable, str(script), str(path), who, str(n), str(go)],
                              stdout=subprocess.PIPE, text=True) for who in ("a", "b")]
    time.sleep(3.0)
    t = time.perf_counter()
    go.write_text("go")
    results = [p.communicate()[0].split() for p in procs]
    wall = time.perf_counter() - t
    with sk.Workspace.open(path) as ws:
        assert ws.tag_list().height == 2 * n
        authors = ws.history().filter(pl.col("action") == "tag")["author"].to_list()
    switches = sum(a != b for a, b in zip(authors, authors[1:]))
    return 2 * n / wall, max(float(r[1]) for r in results), switches


def bench_curate(root: Path, adult: sk.Dataset) -> list[tuple[str, float, float]]:
    ws = sk.Workspace.create(root / "ws-adult", adult)
    batches = [sk.generate(adult, "bootstrap", n=5000, random_state=s) for s in range(5)]
    t_add = _median_time(lambda: [ws.add(b) for b in batches], repeat=1)
    tagged = []
    for b in batches:
        ids = b.frame["row_id"].to_list()[::10]
        ws.tag(ids[: len(ids) // 2], "off-manifold")
        ws.tag(ids[len(ids) // 2:], "near-copy")
        tagged.extend(ids)
    drop = set(tagged)
    b0 = batches[0]
    rows = []
    t_ws = _median_time(lambda: ws.curate(b0.id))
    t_pl = _median_time(lambda: b0.frame.filter(~pl.col("row_id").is_in(list(drop))))
    rows.append(("curate one 5,000-row batch (500 tagged)", t_ws, t_pl))
    for suffix in ("parquet", "csv"):
        t_ws = _median_time(lambda: ws.export(root / f"out.{suffix}"), repeat=3)
        allrows = pl.concat([b.frame for b in batches])

        def plain() -> None:
            kept = allrows.filter(~pl.col("row_id").is_in(list(drop)))
            (kept.write_parquet if suffix == "parquet" else kept.write_csv)(root / f"plain.{suffix}")

        t_pl = _median_time(plain, repeat=3)
        rows.append((f"export 5 batches (25,000 rows) to {suffix}", t_ws, t_pl))
    t_open = _median_time(lambda: sk.Workspace.open(root / "ws-adult").close())
    ws.close()
    rows.append(("open the workspace", t_open, float("nan")))
    rows.append(("add 5 batches of 5,000 rows", t_add, float("nan")))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tags", type=int, default=500, help="tags per writer")
    args = ap.parse_args()
    penguins = sk.load("penguins")
    adult = sk.load("adult")
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"\nTag writes ({args.tags} tags each, adult workspace, 10 rows per tag unless said)")
        res = bench_tags(root, adult, args.tags)
        base = res[0][1]
        print(f"{'method':52s} {'tags/s':>9s} {'ws.tag / it':>10s}")
        for name, rate in res:
            ratio = "" if name.startswith("ws.tag") else f"{base / rate:8.2f}x"
            print(f"{name:52s} {rate:9.1f} {ratio:>10s}   ({1000 / rate:.1f} ms per tag)")
        rate, worst, switches = bench_two_writers(root, penguins, args.tags)
        print(f"two processes, {args.tags} tags each at once: {rate:.0f} tags/s in total, "
              f"longest single wait {worst * 1000:.0f} ms, writers alternated {switches} times")
        print("\nCurate and export (adult, 5 bootstrap batches of 5,000 rows, 10% tagged)")
        print(f"{'step':44s} {'synthkit':>10s} {'plain polars':>13s} {'ratio':>7s}")
        for name, t_ws, t_pl in bench_curate(root, adult):
            ratio = "" if t_pl != t_pl else f"{t_ws / t_pl:6.1f}x"
            plain = "" if t_pl != t_pl else f"{t_pl * 1000:10.1f} ms"
            print(f"{name:44s} {t_ws * 1000:8.1f} ms {plain:>13s} {ratio:>7s}")
    print(json.dumps({"synthkit": sk.__version__}))


if __name__ == "__main__":
    main()
