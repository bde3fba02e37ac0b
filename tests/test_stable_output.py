"""What a report renders is the same on every run: fixed figure ids, no random parts."""

from __future__ import annotations

import re

import synthkit as sk


def test_report_html_is_identical_across_renders_and_runs(penguins):
    batch = sk.generate(penguins, "copula", n=150, random_state=0)
    a = sk.evaluate(penguins, batch, families=["fidelity", "pairwise"], n_boot=10, random_state=0)
    b = sk.evaluate(penguins, batch, families=["fidelity", "pairwise"], n_boot=10, random_state=0)
    ha = a.html(include_plotlyjs=False)
    assert ha == b.html(include_plotlyjs=False)
    ids = re.findall(r'<div id="([^"]+)"', ha)
    assert ids and all(i.startswith("synthkit-") for i in ids)
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", ha)
