"""Reports saved to JSON and loaded back: equal tables, clear errors for bad files."""

from __future__ import annotations

import json
import math

import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit.data import Dataset
from synthkit.errors import DataError, SynthkitError
from synthkit.metrics import _report_json as J


def _halves(pop, seed=0, n=172):
    idx = np.random.default_rng(seed).permutation(len(pop))
    real = Dataset(pop.name, pop.frame[np.sort(idx[:n])], pop.schema)
    return real, pop.frame[np.sort(idx[n:2 * n])].drop("row_id")


@pytest.fixture(scope="module")
def rep(penguins):
    real, syn = _halves(penguins)
    return sk.evaluate(real, syn, n_boot=20, random_state=3)


@pytest.fixture(scope="module")
def saved(rep, tmp_path_factory):
    return rep.save(tmp_path_factory.mktemp("rep") / "accepted.json")


def test_round_trip_gives_equal_tables(rep, saved):
    back = sk.load_report(saved)
    assert back.table.equals(rep.table) and back.table.schema == rep.table.schema
    assert back.headline().equals(rep.headline())
    assert back.rows.equals(rep.rows) and back.rows.schema == rep.rows.schema
    assert back.families == rep.families and back.notes == rep.notes
    assert back.meta == rep.meta
    assert back.inputs is None
    # intervals, baselines and p-values are all there
    assert back.table["ci_low"].null_count() < back.table.height
    assert back.table["p_value"].drop_nulls().len() >= 10
    assert sk.Report.load(saved).table.equals(back.table)


def test_saved_file_holds_config_version_fingerprints_and_no_timings(rep, saved):
    doc = json.loads(saved.read_text())
    assert doc["format"] == "synthkit-report" and doc["format_version"] == J.FORMAT_VERSION
    assert doc["synthkit_version"] == sk.__version__
    assert doc["dataset"]["name"] == "penguins" and len(doc["dataset"]["fingerprint"]) == 16
    assert doc["dataset"]["columns"] == list(rep.inputs.schema.columns)
    assert doc["inputs_fingerprint"] == rep.inputs.fingerprint
    s = doc["summary"]
    assert (s["k"], s["n_boot"], s["n_perm"], s["random_state"]) == (5, 20, 19, 3)
    assert "timings" not in s
    assert len(doc["headline"]["__frame__"]["columns"]["metric"]) == rep.headline().height


def test_saved_file_is_strict_json_and_the_same_evaluation_writes_the_same_text(rep):
    text = rep.to_json()

    def no_constants(name):
        raise AssertionError(f"non-standard JSON constant {name}")

    json.loads(text, parse_constant=no_constants)
    assert text == rep.to_json()


def test_loaded_report_renders(saved, tmp_path):
    back = sk.load_report(saved)
    assert "synthkit quality report" in back._repr_html_()
    assert set(back.figures()) >= {"marginals", "dcr", "prdc"}
    assert back.to_html(tmp_path / "r.html").stat().st_size > 10_000
    assert "penguins" in repr(back)


def test_a_loaded_report_gates_like_the_original(rep, saved):
    back = sk.load_report(saved)
    assert repr(back.gate()) == repr(rep.gate())
    assert back.gate().table.equals(rep.gate().table)
    assert sk.gate(saved).table.equals(rep.gate().table)
    assert back.gate(previous=rep).passed and rep.gate(previous=saved).passed


def test_rows_can_be_left_out(rep, tmp_path):
    back = sk.load_report(rep.save(tmp_path / "small.json", rows=False))
    assert back.rows.height == 0 and back.rows.columns == rep.rows.columns
    assert back.table.equals(rep.table)


def test_non_finite_values_and_arrays_survive():
    data = {"a": np.array([1.0, np.nan, np.inf, -np.inf]), "b": np.array([True, False]), "c": float("nan"),
            "d": pl.DataFrame({"x": [1.5, None, float("nan")], "s": ["u", None, "w"], "n": [1, 2, None]}),
            "e": (1, "two"), "f": np.int64(4), "g": pl.DataFrame({"l": [["a", "b"], []], "k": [1.0, 2.0]})}
    text = json.dumps(J.encode(data), allow_nan=False)
    back = J.decode(json.loads(text))
    np.testing.assert_array_equal(back["a"], data["a"])
    assert back["b"].dtype == bool and back["b"].tolist() == [True, False]
    assert math.isnan(back["c"])
    assert back["d"].schema == data["d"].schema
    assert back["d"]["x"].to_list()[:2] == [1.5, None] and math.isnan(back["d"]["x"][2])
    assert back["e"] == [1, "two"] and back["f"] == 4
    assert back["g"].equals(data["g"]) and back["g"].schema == data["g"].schema


def test_loaded_report_cannot_feed_suggest(penguins, saved):
    with pytest.raises(DataError, match="loaded from a file"):
        sk.suggest(penguins, penguins.frame.head(50), sk.load_report(saved))


# ------------------------------------------------------------------ bad files
def test_missing_file_and_folder(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        sk.load_report(tmp_path / "nope.json")
    with pytest.raises(DataError, match="is a folder"):
        sk.load_report(tmp_path)


def test_save_needs_a_json_path_in_an_existing_folder(rep, tmp_path):
    with pytest.raises(DataError, match=r"\.json"):
        rep.save(tmp_path / "r.txt")
    with pytest.raises(DataError, match="does not exist"):
        rep.save(tmp_path / "missing" / "r.json")


def test_corrupt_file(saved, tmp_path):
    bad = tmp_path / "cut.json"
    bad.write_text(saved.read_text()[:5000])
    with pytest.raises(SynthkitError, match="invalid JSON.*corrupt"):
        sk.load_report(bad)
    bad.write_text(json.dumps({"hello": 1}))
    with pytest.raises(SynthkitError, match="not a synthkit report"):
        sk.load_report(bad)
    doc = json.loads(saved.read_text())
    del doc["table"]["__frame__"]["columns"]["p_value"], doc["table"]["__frame__"]["schema"]["p_value"]
    bad.write_text(json.dumps(doc))
    with pytest.raises(SynthkitError, match="corrupt"):
        sk.load_report(bad)
    doc = json.loads(saved.read_text())
    doc["summary"] = {"families": []}
    bad.write_text(json.dumps(doc))
    with pytest.raises(SynthkitError, match="corrupt"):
        sk.load_report(bad)


def test_newer_format_is_refused(saved, tmp_path):
    doc = json.loads(saved.read_text())
    doc["format_version"] = J.FORMAT_VERSION + 1
    doc["synthkit_version"] = "9.0.0"
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(doc))
    with pytest.raises(SynthkitError, match=r"newer synthkit \(9\.0\.0.*upgrade synthkit"):
        sk.load_report(newer)
