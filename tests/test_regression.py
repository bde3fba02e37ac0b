"""The building blocks of the regression template and the command line (synthkit.regression)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit import regression
from synthkit.errors import DataError, GeneratorError


def test_load_seed_takes_a_name_or_a_file(penguins, tmp_path):
    assert regression.load_seed("penguins").fingerprint == penguins.fingerprint
    path = tmp_path / "p.parquet"
    penguins.frame.drop("row_id").write_parquet(path)
    ds = regression.load_seed(str(path), target="species", sensitive=["sex"])
    assert ds.schema.target == "species" and ds.schema.sensitive == ("sex",)
    assert ds.features.equals(penguins.features)
    renamed = regression.load_seed("penguins", target="island")
    assert renamed.schema.target == "island"


@pytest.mark.parametrize("bad, words", [
    ("nope.csv", "does not exist"), ("penguin", "does not exist"), ("", "expected the path"),
])
def test_load_seed_names_what_is_wrong(bad, words, tmp_path):
    with pytest.raises(DataError, match=words):
        regression.load_seed(bad)
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(DataError, match="csv"):
        regression.load_seed(str(tmp_path / "x.json"))
    with pytest.raises(DataError, match="folder"):
        regression.load_seed(str(tmp_path))


def test_read_and_write_rows_round_trip(tmp_path):
    frame = pl.DataFrame({"a": [1.5, None, 3.0], "b": ["x", "y", None]})
    for name in ("r.csv", "r.parquet"):
        regression.write_rows(frame, tmp_path / name)
        assert regression.read_rows(tmp_path / name).equals(frame)
    with pytest.raises(DataError, match="should end in"):
        regression.write_rows(frame, tmp_path / "r.xlsx")
    with pytest.raises(DataError, match="does not exist"):
        regression.write_rows(frame, tmp_path / "no" / "r.csv")
    (tmp_path / "empty.csv").write_text("a,b\n")
    with pytest.raises(DataError, match="no rows"):
        regression.read_rows(tmp_path / "empty.csv")


def test_template_generator_reads_the_environment(monkeypatch):
    monkeypatch.delenv(regression.TEMPLATE_GENERATOR_ENV, raising=False)
    assert regression.template_generator(default="gmm") == "gmm"
    monkeypatch.setenv(regression.TEMPLATE_GENERATOR_ENV, "cart")
    assert regression.template_generator(default="gmm") == "cart"
    monkeypatch.setenv(regression.TEMPLATE_GENERATOR_ENV, "exact-copies")
    assert isinstance(regression.template_generator(), sk.generators.Bootstrap)
    monkeypatch.setenv(regression.TEMPLATE_GENERATOR_ENV, "no-such")
    with pytest.raises(GeneratorError, match="broken-shuffle"):
        regression.template_generator()


def test_broken_generators_break_what_they_say(penguins):
    shuffled = sk.generate(penguins, regression.template_generator("broken-shuffle"), n=2000, random_state=0)
    real = penguins.features.drop_nulls()
    fake = shuffled.features.drop_nulls()
    a, b = "flipper_length_mm", "body_mass_g"
    r_real = np.corrcoef(real[a].to_numpy(), real[b].to_numpy())[0, 1]
    r_fake = np.corrcoef(fake[a].to_numpy(), fake[b].to_numpy())[0, 1]
    assert r_real > 0.8 and abs(r_fake) < 0.1          # dependence gone
    assert abs(fake[a].mean() - real[a].mean()) < 2.0  # marginal kept
    copies = sk.generate(penguins, regression.template_generator("exact-copies"), n=100, random_state=0)
    keys = set(penguins.features.rows())
    assert all(r in keys for r in copies.features.rows())


def test_accepted_report_saves_only_when_accepting(penguins, tmp_path, monkeypatch):
    monkeypatch.delenv(regression.ACCEPT_ENV, raising=False)
    batch = sk.generate(penguins, "gmm", n=120, random_state=0)
    rep = sk.evaluate(penguins, batch, families=["fidelity"], n_boot=10)
    path = tmp_path / "accepted" / "r.json"
    with pytest.raises(DataError, match="SYNTHKIT_ACCEPT=1"):
        regression.accepted_report(rep, path)
    assert not path.exists()
    monkeypatch.setenv(regression.ACCEPT_ENV, "1")
    loaded = regression.accepted_report(rep, path)
    assert path.exists() and loaded.table.equals(rep.table)
    monkeypatch.setenv(regression.ACCEPT_ENV, "0")
    assert regression.accepted_report(rep, path).table.equals(rep.table)
    assert rep.gate(previous=loaded).passed
