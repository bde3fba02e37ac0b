"""The report: plain summary first, then HTML with one plotly.js copy and escaped values."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import polars as pl
import pytest

import synthkit as sk
from synthkit.errors import SynthkitError
from synthkit.plots import metrics as P

NASTY = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def report():
    ds = sk.load("penguins")
    f = ds.frame.with_columns(
        pl.when(pl.col("island") == "Dream").then(pl.lit(NASTY)).otherwise(pl.col("island")).alias("island")
    ).rename({"year": "<b>yr</b>"})
    d2 = sk.from_frame(f, "penguins", target="species", sensitive=["sex"])
    batch = sk.generate(d2, "bootstrap", n=120, random_state=1, noise=0.2)
    return sk.evaluate(d2, batch, families=("fidelity", "pairwise", "coverage", "privacy", "subgroup"), n_boot=20)


def test_summary_is_plain_and_cached(report):
    s = report.summary
    assert s is report.summary
    h = s["headline"]
    assert {"family", "metric", "value", "ci_low", "ci_high", "baseline", "better", "status"} <= set(h.columns)
    assert set(h["metric"]) >= {"column_shapes", "pair_trends", "precision", "recall", "density", "coverage",
                               "near_copy_share", "exact_copy_share"}
    assert isinstance(s["fidelity"]["columns"], pl.DataFrame)
    assert report.family("coverage").height == 4
    with pytest.raises(SynthkitError, match="not evaluated"):
        report.family("utility")


def test_html_has_one_plotly_copy_and_escaped_values(report, tmp_path):
    out = report.to_html(tmp_path / "report.html")
    text = out.read_text(encoding="utf-8")
    assert text.count("* plotly.js v") == 1          # the bundle's banner, inlined once
    assert text.count('class="plotly-graph-div"') == len(report.figures())
    assert NASTY not in text and "<b>yr</b>" not in text
    assert "&lt;b&gt;yr&lt;/b&gt;" in text or "&amp;lt;b&amp;gt;yr" in text
    for section in ("Headline", "Per-column distributions", "Column-pair dependence", "Coverage and diversity",
                    "Privacy", "Subgroup balance"):
        assert section in text


def test_notebook_display_is_light(report):
    html = report._repr_html_()
    assert "plotly.js" not in html and len(html) < 50_000
    assert "real vs real" in html and NASTY not in html


def test_figures(report):
    figs = report.figures()
    assert set(figs) == {"marginals", "pairs", "prdc", "dcr", "subgroup"}
    assert all(isinstance(f, go.Figure) for f in figs.values())
    # the PRDC figure shows the baseline next to the synthetic values
    names = [t.name for t in figs["prdc"].data]
    assert names == ["real vs real (baseline)", "synthetic"]


def test_to_html_bad_paths(report, tmp_path):
    with pytest.raises(SynthkitError, match=".html"):
        report.to_html(tmp_path / "report.txt")
    with pytest.raises(SynthkitError, match="does not exist"):
        report.to_html(tmp_path / "nope" / "r.html")


def test_plot_functions_take_plain_data():
    f = P.utility_figure(0.7, 0.9, (0.6, 0.8), (0.85, 0.95), score_name="macro_f1")
    assert list(f.data[0].y) == [0.9, 0.7]
    rng = np.random.default_rng(0)
    f = P.detection_figure(rng.random(50), rng.random(40), 0.5)
    assert len(f.data) == 2
    f = P.dcr_figure(rng.random(30), rng.random(30), 0.1)
    assert sum(f.data[1].y) == pytest.approx(1.0)


def test_compare_puts_each_reports_worst_group_on_one_row(penguins):
    import synthkit as sk

    a = sk.evaluate(penguins, sk.generate(penguins, "copula", n=300, random_state=1), families=["subgroup"],
                    n_boot=0)
    b = sk.evaluate(penguins, sk.generate(penguins, "bootstrap", n=300, random_state=1), families=["subgroup"],
                    n_boot=0)
    assert a.headline()["column"][0] != b.headline()["column"][0], "the two worst groups differ"
    t = sk.metrics.compare({"copula": a, "bootstrap": b})
    sub = t.filter(pl.col("family") == "subgroup")
    assert sub["metric"].to_list() == ["representation (worst group)"]
    assert sub.null_count().sum_horizontal().item() == 0


def test_suggest_merges_missing_modes_that_the_same_values_describe(penguins):
    import synthkit as sk

    no_gentoo = penguins.frame.filter(pl.col("species") != "Gentoo").drop("row_id")
    rep = sk.evaluate(penguins, no_gentoo, families=("coverage",), random_state=0, n_boot=0)
    modes = [r for r in sk.suggest(penguins, no_gentoo, rep) if r.kind == "missing-mode"]
    reasons = [r.reason.split("; ", 1)[1] for r in modes]
    assert len(reasons) == len(set(reasons)), "two missing-mode regions with the same description"
    gentoo = set(penguins.frame.filter(pl.col("species") == "Gentoo")["row_id"])
    assert modes and set(modes[0].row_ids) <= gentoo and len(modes[0].row_ids) > 100
