"""Notebook 06's sentences, checked at its settings (3,000 seed lines, 500 held out, 600 rows a batch).

Comparisons across seeds need a gap of more than two standard errors.
"""

import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit.generators.llm import RemixModel

SEEDS = range(3)


def _seed(seed):
    frame = sk.load("shakespeare").frame.select("row_id", "text", "genre")
    return sk.from_frame(frame, "shakespeare-lines", text=["text"], target="genre").sample(
        3500, random_state=seed).split(6 / 7, random_state=seed)


@pytest.fixture(scope="module")
def batches():
    out = []
    for seed in SEEDS:
        train, hold = _seed(seed)
        gens = {
            "markov": sk.generate(train, "markov", n=600, random_state=seed),
            "llm": sk.generate(train, sk.generators.LLMGenerator(RemixModel(random_state=seed), examples=3), n=600,
                               random_state=seed),
            "copy_edit": sk.generate(train, "copy_edit", n=600, random_state=seed),
        }
        reps = {k: sk.evaluate(train, b, holdout=hold, families=["privacy", "text"], random_state=seed, n_boot=0)
                for k, b in gens.items()}
        out.append((train, hold, gens, reps))
    return out


def _value(rep, metric):
    return rep.table.filter(pl.col("metric") == metric)["value"].item()


def test_each_generator_leaks_real_text(batches):
    """'The Markov chain stitches together runs of real lines: most of its lines share a run of at least 8 words
    ... The stand-in model copies halves of real lines. copy_edit lines are both near-copies and memorised.'"""
    for _, _, _, reps in batches:
        assert _value(reps["markov"], "memorised_share") > 0.5
        assert _value(reps["llm"], "memorised_share") > 0.5
        assert _value(reps["copy_edit"], "memorised_share") > 0.5
        assert _value(reps["copy_edit"], "near_copy_share") > _value(reps["markov"], "near_copy_share")


def test_copy_edit_rows_hug_the_real_lines(batches):
    """'copy_edit rows hug the real lines' (distance to the nearest real line, the map's dist_to_real)."""
    for _, _, _, reps in batches:
        med = {k: r.rows.filter(pl.col("source") == "synthetic")["dcr"].median() for k, r in reps.items()}
        assert med["copy_edit"] < med["markov"] and med["copy_edit"] < med["llm"]


@pytest.fixture(scope="module")
def runs():
    out = {}
    for seed in SEEDS:
        train, hold = _seed(seed)
        for name, kw in (("replace", {}), ("keep", {"regime": "keep_real", "real_fraction": 0.1, "redraw_real": True}),
                         ("accumulate", {"regime": "accumulate"})):
            out[(name, seed)] = sk.collapse.simulate(train, "markov", generations=6, metrics=["text"], holdout=hold,
                                                     progress=False, random_state=seed, **kw)
    return out


def test_replace_raises_perplexity_every_generation_and_shrinks_the_vocabulary(runs):
    for seed in SEEDS:
        s = runs[("replace", seed)].summary()
        assert (np.diff(s["perplexity"].to_numpy()) > 0).all()
        assert (np.diff(s["vocabulary"].to_numpy()) < 0).all()


def test_keeping_real_lines_slows_the_rise_and_accumulating_keeps_it_lowest(runs):
    last = {name: np.array([runs[(name, s)].summary()["perplexity"][-1] for s in SEEDS])
            for name in ("replace", "keep", "accumulate")}
    for worse, better in (("replace", "keep"), ("keep", "accumulate")):
        gap = last[worse] - last[better]
        assert gap.mean() > 2 * gap.std(ddof=1) / np.sqrt(gap.size) and (gap > 0).all()


def test_most_vanished_words_occurred_once_or_twice(runs):
    for seed in SEEDS:
        v = runs[("replace", seed)].vanished(top=None)
        assert v.height > 100
        assert (v["real_count"] <= 2).mean() > 0.5
        counts = runs[("replace", seed)].vanished()["real_count"].to_list()
        assert counts == sorted(counts, reverse=True)  # the most common first
