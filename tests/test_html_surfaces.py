"""Every HTML surface escapes hostile dataset, batch, column and category names and values."""

from __future__ import annotations

import re

import ipywidgets as w
import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit.errors import SynthkitError

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>alert(2)</script>"
HOSTILE = IMG + SCRIPT
#: what may never appear in rendered HTML: a live tag from the hostile strings
RAW = ("<img", "<script>alert", "onerror=alert(1)>")


def _assert_safe(text: str, where: str) -> None:
    for raw in RAW:
        assert raw not in text, f"{where} emits {raw!r} unescaped"


def _html_children(widget) -> list[str]:
    """The value of every ipywidgets.HTML inside ``widget`` (depth first)."""
    out, stack = [], [widget]
    while stack:
        x = stack.pop()
        if isinstance(x, (w.HTML, w.HTMLMath)):
            out.append(x.value)
        stack.extend(getattr(x, "children", ()) or ())
    return out


@pytest.fixture(scope="module")
def hostile() -> sk.Dataset:
    rng = np.random.default_rng(0)
    n = 60
    num = f"num {IMG}"
    cat = f"cat {SCRIPT}"
    frame = pl.DataFrame({
        num: rng.normal(size=n),
        "x2": rng.normal(size=n) * 3,
        cat: rng.choice([IMG, SCRIPT, "plain"], size=n).tolist(),
        "target": rng.choice([f"yes {IMG}", "no"], size=n).tolist(),
    })
    return sk.from_frame(frame, HOSTILE, target="target", sensitive=[cat])


@pytest.fixture(scope="module")
def batch(hostile):
    return sk.generate(hostile, "bootstrap", n=40, random_state=0)


@pytest.fixture(scope="module")
def hostile_map(hostile):
    return sk.Map.fit(hostile, random_state=0, n_epochs=30)


def test_dataset_batch_and_map_reprs(hostile, batch, hostile_map):
    _assert_safe(hostile._repr_html_(), "Dataset._repr_html_")
    _assert_safe(batch._repr_html_(), "Batch._repr_html_")
    again = sk.generate(batch, "bootstrap", n=20, random_state=1)  # fitted on the batch
    _assert_safe(again._repr_html_(), "Batch._repr_html_ (recursive)")
    _assert_safe(hostile_map._repr_html_(), "Map._repr_html_")
    hostile_map_note = hostile_map.note
    try:
        hostile_map.note = HOSTILE
        _assert_safe(hostile_map._repr_html_(), "Map._repr_html_ note")
    finally:
        hostile_map.note = hostile_map_note


def test_report_html(hostile, batch):
    rep = sk.evaluate(hostile, batch, n_boot=0, families=("fidelity", "pairwise", "subgroup"))
    assert HOSTILE in str(rep.summary["dataset"])  # the hostile text did reach the report
    _assert_safe(rep._repr_html_(), "Report._repr_html_")
    _assert_safe(rep.html(include_plotlyjs=False), "Report.html")


def test_controls_summary(hostile):
    from synthkit.widgets.controls import Controls, dataset_summary

    text = dataset_summary(hostile)
    assert "&lt;img" in text
    _assert_safe(text, "dataset_summary")
    for value in _html_children(Controls(hostile, on_generate=lambda *a: None)):
        _assert_safe(value, "Controls")


def test_collapse_widget_error_text(hostile, monkeypatch):
    import synthkit.widgets.collapse as wc

    def boom(*_a, **_k):
        raise SynthkitError(f"column {HOSTILE!r} broke")

    monkeypatch.setattr(wc, "simulate", boom)
    c = wc.CollapseControls(hostile, generations=1, seeds=1)
    assert "broke" in c.status.value
    for value in _html_children(c):
        _assert_safe(value, "CollapseControls")


def test_comparison_widget_error_text(monkeypatch):
    import synthkit.widgets.comparison as wcmp

    shown = []
    monkeypatch.setattr(wcmp, "display", lambda obj: shown.append(obj))
    g = wcmp.GeneratorComparison(dataset="penguins", generator="bootstrap", n=50, max_rows=200)
    monkeypatch.setattr(g, "result", lambda **_k: (_ for _ in ()).throw(SynthkitError(HOSTILE)))
    g.render(dataset="penguins", generator="bootstrap", n=50, random_state=0)
    texts = [x.value for x in shown if isinstance(x, w.HTML)]
    assert texts and "&lt;img" in texts[-1]
    for value in texts + _html_children(g):
        _assert_safe(value, "GeneratorComparison")


def test_explorer_every_html_child(hostile, batch, hostile_map, tmp_path):
    from synthkit.widgets import Explorer

    ws = sk.Workspace.create(tmp_path / "ws", hostile)
    try:
        ws.add(batch)
        ex = Explorer(ws, map=hostile_map)
        ex.select([f"{batch.id}:0", f"{batch.id}:1", "real:0"])
        ex.tag(f"label {IMG}", note=HOSTILE)
        ex.color_by(f"cat {SCRIPT}")
        try:
            ex.suggestions()
        except SynthkitError:
            pass
        ex.tag_panel.show_suggestions([
            type("R", (), {"kind": HOSTILE, "row_ids": ["real:0"], "severity": HOSTILE, "reason": HOSTILE})()
        ])
        ex._say(HOSTILE)
        values = _html_children(ex.widget)
        assert any("&lt;img" in v for v in values)
        for value in values:
            _assert_safe(value, "Explorer")
    finally:
        ws.close()


def test_the_check_finds_raw_tags():
    with pytest.raises(AssertionError):
        _assert_safe(f"<b>{IMG}</b>", "probe")
    assert re.search("&lt;img", f"<b>{'&lt;img'}</b>")
