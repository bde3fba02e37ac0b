"""Text generation and text collapse: synthkit against the same steps done by hand with markovify.

    .venv/bin/python benchmarks/text.py                 # generation + collapse speed
    .venv/bin/python benchmarks/text.py --only table    # the collapse table on shakespeare

generation: fit + sample 1,000 rows from a 5,000-document seed of ``shakespeare``.
    synthkit's ``markov`` (word chain, state size 2) and ``char`` (state size 6) against
    markovify 0.9.4 (``NewlineText`` + ``make_sentence``, and ``Chain`` over characters
    + ``walk``), best of a few interleaved runs. synthkit also draws the label
    columns and, by default, fits one chain per genre; markovify writes text only.
collapse: 10 generations of ``replace`` on the same seed, with the per-generation text
    metrics (perplexity of real held-out text, vocabulary, lost words, distinct-2,
    length). The reference loop refits markovify on the last generation, samples as
    many sentences, and computes the same metrics with synthkit.text's model and
    statistics; both bare loops (fit + sample only) are timed too.
table: every regime on the whole of ``shakespeare`` (9,000 rows, 1,000 held out), 10
    generations, two seeds: the figures in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import time

import markovify
import numpy as np
import polars as pl

import synthkit as sk
from synthkit.collapse.text import TextMetrics
from synthkit.data import Dataset
from synthkit.generators import make

SEED_DOCS = 5_000
N = 1_000
GENERATIONS = 10


def seed() -> Dataset:
    return sk.load("shakespeare").sample(SEED_DOCS, random_state=0)


def timed(fn) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def markovify_sentences(docs: list[str], n: int, test_output: bool, state_size: int = 2) -> list[str | None]:
    model = markovify.NewlineText("\n".join(docs), state_size=state_size, retain_original=test_output)
    return [model.make_sentence(tries=10, test_output=test_output) for _ in range(n)]


def markovify_chars(docs: list[str], n: int, state_size: int = 6) -> list[str]:
    chain = markovify.Chain([list(d) for d in docs], state_size=state_size)
    return ["".join(chain.walk()) for _ in range(n)]


def generation(repeats: int = 3) -> None:
    ds = seed()
    docs = ds.frame["text"].to_list()
    word_ref = "markovify, copies kept (test_output=False)"
    char_ref = "markovify Chain over characters, state 6"
    cases = {  # name: (run, the reference it is compared with)
        "synthkit markov (one chain per genre, labels drawn)": (
            lambda: make("markov").fit(ds).sample(N, random_state=0), word_ref),
        "synthkit markov (one pooled chain, labels drawn)": (
            lambda: make("markov", by=None).fit(ds).sample(N, random_state=0), word_ref),
        word_ref: (lambda: markovify_sentences(docs, N, test_output=False), word_ref),
        "markovify default (rejects near-copies)": (lambda: markovify_sentences(docs, N, test_output=True),
                                                    word_ref),
        "synthkit char, state 6 (pooled)": (lambda: make("char", by=None).fit(ds).sample(N, random_state=0),
                                            char_ref),
        char_ref: (lambda: markovify_chars(docs, N), char_ref),
    }
    best: dict[str, float] = {k: np.inf for k in cases}
    outputs: dict[str, object] = {}
    for _ in range(repeats):  # interleaved, so every case sees the same machine load
        for k, (fn, _ref) in cases.items():
            t, out = timed(fn)
            best[k] = min(best[k], t)
            outputs[k] = out
    print(f"fit + sample {N:,} rows from {SEED_DOCS:,} shakespeare lines (best of {repeats})")
    for k, t in best.items():
        ref = cases[k][1]
        out = outputs[k]
        texts = out["text"].to_list() if isinstance(out, pl.DataFrame) else out
        failed = sum(t is None for t in texts)
        copies = len(set(t for t in texts if t is not None) & set(docs))
        extra = f", {failed} failed (None)" if failed else ""
        print(f"  {k:<52} {t:6.2f} s  ({best[ref] / t:5.1f}x faster than {ref.split(',')[0]})  "
              f"exact copies {copies}{extra}")


def markovify_collapse(ds: Dataset, test: Dataset, generations: int, metrics: bool) -> list[float]:
    """The reference loop by hand: markovify refitted on the last generation's text."""
    tm = TextMetrics(ds, test) if metrics else None
    rows: list[tuple] = []
    add = lambda m, c, v: rows.append((m, v))  # noqa: E731
    docs = ds.frame["text"].to_list()
    n = len(docs)
    if tm:
        tm.measure(ds.frame, 0, 0, add)
    for g in range(1, generations + 1):
        out = [s for s in markovify_sentences(docs, n, test_output=False) if s is not None]
        docs = out
        if tm:
            tm.measure(pl.DataFrame({"text": docs}), 0, g, add)
    return [v for m, v in rows if m == "perplexity"]


def synthkit_bare(ds: Dataset, generations: int) -> None:
    train = ds.features
    for g in range(1, generations + 1):
        train = make("markov").fit(Dataset(ds.name, train, ds.schema)).sample(len(ds), random_state=g)


def collapse(repeats: int = 2) -> None:
    full = seed()
    ds, test = full.split(0.9, random_state=0)  # what simulate holds out by itself
    runs = {
        "synthkit bare loop (fit + sample)": lambda: synthkit_bare(ds, GENERATIONS),
        "markovify bare loop (fit + sample)": lambda: markovify_collapse(ds, test, GENERATIONS, metrics=False),
        "sk.collapse.simulate (text metrics)": lambda: sk.collapse.simulate(
            full, "markov", generations=GENERATIONS, metrics=["text"], progress=False, keep_samples=None),
        "markovify loop + the same metrics": lambda: markovify_collapse(ds, test, GENERATIONS, metrics=True),
    }
    best: dict[str, float] = {k: np.inf for k in runs}
    outputs: dict[str, object] = {}
    for _ in range(repeats):
        for k, fn in runs.items():
            t, out = timed(fn)
            best[k] = min(best[k], t)
            outputs[k] = out
    print(f"\n{GENERATIONS} generations of replace, {len(ds):,} rows each ({len(test):,} held out), "
          f"best of {repeats}")
    ref = best["markovify loop + the same metrics"]
    for k, t in best.items():
        print(f"  {k:<40} {t:6.2f} s  ({ref / t:4.1f}x the markovify loop with metrics)")
    sim = outputs["sk.collapse.simulate (text metrics)"]
    ppl = sim.table.filter(pl.col("metric") == "perplexity")["value"].to_list()
    ref_ppl = outputs["markovify loop + the same metrics"]
    print(f"  perplexity of held-out real text, generation 0 -> {GENERATIONS}: synthkit "
          f"{ppl[0]:.0f} -> {ppl[-1]:.0f}, markovify {ref_ppl[0]:.0f} -> {ref_ppl[-1]:.0f}")


def table(seeds: int = 2) -> None:
    ds = sk.load("shakespeare")
    regimes = {
        "replace": {},
        "keep_real 10 %, redrawn": {"regime": "keep_real", "real_fraction": 0.1, "redraw_real": True},
        "keep_real 10 %, fixed": {"regime": "keep_real", "real_fraction": 0.1},
        "accumulate": {"regime": "accumulate"},
    }
    for name, kw in regimes.items():
        t, res = timed(lambda: sk.collapse.simulate(ds, "markov", generations=GENERATIONS, seeds=seeds,
                                                    metrics=["text"], progress=False, keep_samples=None, **kw))
        print(f"\n{name} ({t:.0f} s, {seeds} seeds; mean over seeds)")
        with pl.Config(tbl_rows=20, tbl_width_chars=120, tbl_hide_dataframe_shape=True):
            print(res.summary(generations=range(GENERATIONS + 1), decimals=3))
        if name == "replace":
            lost = res.vanished(top=15)
            print("most frequent real words lost by generation", GENERATIONS, ":",
                  ", ".join(f"{w} ({c})" for w, c in zip(lost["word"], lost["real_count"])))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="+", choices=["generation", "collapse", "table"],
                   default=["generation", "collapse"])
    args = p.parse_args()
    if "generation" in args.only:
        generation()
    if "collapse" in args.only:
        collapse()
    if "table" in args.only:
        table()


if __name__ == "__main__":
    main()
