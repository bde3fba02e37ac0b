"""evaluate(), per-row scores, suggest() and bad inputs on the embedded penguins."""

from __future__ import annotations

import dataclasses

import polars as pl
import pytest

import synthkit as sk
from synthkit.data import from_frame
from synthkit.errors import SynthkitError
from synthkit.metrics import regions_frame, suggest, trtr, tstr
from synthkit.metrics.evaluate import FAMILIES

FAST = ("fidelity", "pairwise", "coverage", "privacy", "subgroup")


@pytest.fixture(scope="module")
def penguins():
    return sk.load("penguins")


@pytest.fixture(scope="module")
def copy_batch(penguins):
    return sk.generate(penguins, "bootstrap", n=300, random_state=1)


@pytest.fixture(scope="module")
def copy_report(penguins, copy_batch):
    return sk.evaluate(penguins, copy_batch, random_state=0, n_boot=50)


def _value(rep, metric, column=None):
    t = rep.table.filter(pl.col("metric") == metric)
    t = t.filter(pl.col("column").is_null()) if column is None else t.filter(pl.col("column") == column)
    assert t.height == 1, (metric, column, t)
    return t.row(0, named=True)


def _relabel(frame: pl.DataFrame, prefix: str = "synth") -> pl.DataFrame:
    return frame.with_columns(pl.format(prefix + ":{}", pl.int_range(pl.len())).alias("row_id"))


def test_table_and_rows_shape(copy_report, penguins, copy_batch):
    t = copy_report.table
    assert t.columns == ["family", "metric", "column", "value", "ci_low", "ci_high", "baseline", "better",
                         "matched", "p_value"]
    assert set(t["family"].unique()) == set(FAMILIES) - {"text"}  # penguins has no text column
    assert set(t["better"].unique()) <= {"higher", "lower"}
    ok = t.filter(pl.col("ci_low").is_not_null())
    assert (ok["ci_low"] <= ok["value"] + 1e-12).all() and (ok["value"] <= ok["ci_high"] + 1e-12).all()
    r = copy_report.rows
    assert r.columns == ["row_id", "source", "dcr", "nearest_real", "inside_support", "detection_prob", "covered"]
    assert r.height == len(penguins) + len(copy_batch)
    assert r["row_id"].n_unique() == r.height
    synth = r.filter(pl.col("source") == "synthetic")
    assert synth["inside_support"].null_count() == 0 and synth["covered"].null_count() == synth.height
    assert synth["detection_prob"].is_between(0, 1).all()


def test_bootstrap_copy_has_dcr_zero_and_is_flagged(copy_report, penguins, copy_batch):
    synth = copy_report.rows.filter(pl.col("source") == "synthetic")
    assert synth["dcr"].max() == pytest.approx(0.0, abs=1e-6)
    # the nearest real row of each copy holds the same values
    assert synth["nearest_real"].is_in(penguins.row_ids.implode()).all()
    assert _value(copy_report, "exact_copy_share")["value"] == 1.0
    assert _value(copy_report, "near_copy_share")["value"] == 1.0
    assert _value(copy_report, "exact_copy_share")["baseline"] < 0.05
    # perfect on fidelity: as good as the real-vs-real baseline
    shapes = _value(copy_report, "column_shapes")
    assert shapes["value"] >= shapes["baseline"] - 0.02
    regions = suggest(penguins, copy_batch, copy_report)
    near = [g for g in regions if g.kind == "near-copy"]
    assert len(near) == 1 and set(near[0].row_ids) == set(copy_batch.row_ids.to_list())
    assert "exact copies" in near[0].reason and "300" in near[0].reason
    frame = regions_frame(regions)
    assert frame.columns == ["kind", "n_rows", "severity", "reason", "row_ids"]
    assert frame["severity"].is_sorted(descending=True)


def test_identical_data_scores_perfect(penguins):
    same = _relabel(penguins.frame)
    rep = sk.evaluate(penguins, same, families=FAST, n_boot=0)
    assert _value(rep, "column_shapes")["value"] == pytest.approx(1.0)
    assert _value(rep, "pair_trends")["value"] == pytest.approx(1.0)
    for m in ("precision", "recall", "coverage"):
        assert _value(rep, m)["value"] == 1.0
    assert rep.table.filter(pl.col("metric") == "representation")["value"].min() == pytest.approx(1.0)
    assert suggest(penguins, same, rep)[0].kind == "near-copy"


def test_disjoint_data_scores_zero(penguins):
    f = penguins.features.with_columns(
        [(pl.col(c) + 10_000).cast(penguins.frame[c].dtype) for c in penguins.schema.numeric]
    )
    rep = sk.evaluate(penguins, f, families=("fidelity", "coverage", "detection"), n_boot=0)
    for c in penguins.schema.numeric:
        assert _value(rep, "ks_complement", c)["value"] == 0.0
        assert _value(rep, "within_support", c)["value"] == 0.0
    for m in ("precision", "recall", "density", "coverage"):
        assert _value(rep, m)["value"] == 0.0
    assert _value(rep, "detection_auc")["value"] > 0.95
    assert _value(rep, "detection_auc")["baseline"] < 0.75


def test_missing_species_is_a_missing_mode(penguins):
    no_gentoo = penguins.frame.filter(pl.col("species") != "Gentoo").drop("row_id")
    rep = sk.evaluate(penguins, no_gentoo, families=("coverage", "privacy", "subgroup"), n_boot=0)
    regions = suggest(penguins, no_gentoo, rep)
    modes = [g for g in regions if g.kind == "missing-mode"]
    assert modes
    gentoo = set(penguins.frame.filter(pl.col("species") == "Gentoo")["row_id"].to_list())
    flagged = set().union(*(g.row_ids for g in modes))
    assert len(flagged & gentoo) >= 0.9 * len(gentoo)
    assert len(flagged - gentoo) <= 0.05 * len(flagged)
    assert "Gentoo" in modes[0].reason
    # sex x species cells of Gentoo vanished
    under = [g for g in regions if g.kind == "underrepresented"]
    assert any("Gentoo" in g.reason and "vanished" in g.reason for g in under)


def test_tstr_on_a_copy_equals_trtr(penguins):
    train, test = penguins.split(0.7, random_state=3)
    a = tstr(train.frame, test.frame, penguins.schema, random_state=0)
    b = trtr(train.frame, test.frame, penguins.schema, random_state=0)
    assert a == b and 0.8 < a <= 1.0
    # regression target
    reg = penguins.with_schema(target="body_mass_g")
    r2 = tstr(train.frame, test.frame, reg.schema, target="body_mass_g")
    assert r2 == trtr(train.frame, test.frame, reg.schema, target="body_mass_g") and r2 > 0.5


def test_utility_with_a_copy_as_synthetic_matches_trtr(penguins):
    train, hold = penguins.split(0.7, random_state=3)
    rep = sk.evaluate(train, _relabel(train.frame), holdout=hold, families="utility", n_boot=0)
    row = _value(rep, "tstr_macro_f1", "species")
    assert row["value"] == row["baseline"]
    assert not any("no holdout" in n for n in rep.notes)
    rep2 = sk.evaluate(penguins, _relabel(train.frame), families="utility", n_boot=0)
    assert any("no holdout" in n for n in rep2.notes)


def test_holdout_memorisation_signal(penguins):
    train, hold = penguins.split(0.5, random_state=1)
    copies = sk.generate(train, "bootstrap", n=200, random_state=0)
    rep = sk.evaluate(train, copies, holdout=hold, families="privacy", n_boot=0)
    row = _value(rep, "closer_to_train_share")
    assert row["value"] == 1.0 and row["baseline"] == pytest.approx(0.5, abs=0.01)


def test_subgroup_flags_shrunk_group(penguins):
    f = penguins.frame
    synth = pl.concat([f.filter(pl.col("sex") == "male"), f.filter(pl.col("sex") == "female").head(20)])
    rep = sk.evaluate(penguins, _relabel(synth), families="subgroup", n_boot=20)
    shares = rep.summary["subgroup"]["shares"]
    fem = shares.filter(pl.col("group") == "sex=female").row(0, named=True)
    assert fem["flag"] == "shrunk" and fem["ratio"] < 0.5
    assert shares.filter(pl.col("group") == "sex=male")["flag"].item() == "grown"
    regions = suggest(penguins, _relabel(synth), rep)
    assert any(g.kind == "underrepresented" and "sex=female" in g.reason for g in regions)


def test_subgroup_regions_with_separators_in_values(penguins):
    """Group values may contain the label's own separators (" & ", "=")."""
    f = penguins.frame.with_columns(pl.col("sex").replace({"female": "f & x=1"}))
    ds = from_frame(f.drop("row_id"), "toy", target="species", sensitive=["sex"])
    synth = pl.concat([f.filter(pl.col("sex") == "male"), f.filter(pl.col("sex") == "f & x=1").head(20)])
    rep = sk.evaluate(ds, _relabel(synth), families="subgroup", n_boot=0)
    regions = suggest(ds, _relabel(synth), rep)
    under = [g for g in regions if g.kind == "underrepresented" and g.reason.startswith("group sex=f & x=1 shrank")]
    assert len(under) == 1 and len(under[0]) == (f["sex"] == "f & x=1").sum()
    over = [g for g in regions if g.kind == "overrepresented" and g.reason.startswith("group sex=male grew")]
    assert len(over) == 1 and len(over[0]) == (synth["sex"] == "male").sum()


def test_same_seed_same_result(penguins, copy_batch):
    a = sk.evaluate(penguins, copy_batch, families=FAST, n_boot=20, random_state=5)
    b = sk.evaluate(penguins, copy_batch, families=FAST, n_boot=20, random_state=5)
    assert a.table.equals(b.table) and a.rows.equals(b.rows)


def test_bad_inputs_raise_synthkit_errors(penguins):
    f = penguins.features
    with pytest.raises(SynthkitError, match="shares no column"):
        sk.evaluate(penguins, pl.DataFrame({"foo": [1, 2, 3]}))
    with pytest.raises(SynthkitError, match="empty"):
        sk.evaluate(penguins, f.head(0))
    with pytest.raises(SynthkitError, match="target column 'nope'"):
        sk.evaluate(penguins, f, target="nope")
    with pytest.raises(SynthkitError, match="target column 'species' is missing"):
        sk.evaluate(penguins, f.drop("species"))
    with pytest.raises(SynthkitError, match="only missing values"):
        sk.evaluate(penguins, f.with_columns(pl.lit(None, pl.Float64).alias("bill_length_mm")))
    with pytest.raises(SynthkitError, match="only missing values"):
        from_frame(penguins.features.with_columns(pl.lit(None, pl.Float64).alias("x")), "p")
    with pytest.raises(SynthkitError, match="at least 6"):
        sk.evaluate(penguins, f.head(3))
    with pytest.raises(SynthkitError, match="families"):
        sk.evaluate(penguins, f, families=["nope"])
    with pytest.raises(SynthkitError, match="sensitive column"):
        sk.evaluate(penguins, f, sensitive="bill_length_mm")
    with pytest.raises(SynthkitError, match="row ids"):
        sk.evaluate(penguins, penguins.frame)
    with pytest.raises(SynthkitError, match="NaN"):
        sk.evaluate(penguins, f.with_columns(pl.lit(float("nan")).alias("bill_length_mm")))
    with pytest.raises(SynthkitError):
        sk.evaluate(penguins, "not a frame")


def test_partial_columns_are_compared_with_a_note(penguins):
    f = penguins.features.drop("island")
    rep = sk.evaluate(penguins, f, families=("fidelity",), n_boot=0)
    assert "island" not in rep.table["column"].to_list()
    assert any("island" in n for n in rep.notes)


def test_suggest_without_a_report_runs_what_it_needs(penguins, copy_batch):
    regions = suggest(penguins, copy_batch)
    assert [g.kind for g in regions if g.kind == "near-copy"] == ["near-copy"]
    assert all(isinstance(g.row_ids, tuple) and g.reason and g.severity >= 0 for g in regions)
    with pytest.raises(dataclasses.FrozenInstanceError):
        regions[0].kind = "other"


def test_report_hands_on_its_inputs_and_suggest_checks_them(penguins, copy_batch, copy_report):
    ri = copy_report.inputs
    assert ri.real.height == len(penguins) and ri.synthetic.height == len(copy_batch)
    assert ri.X_real.shape[0] == len(penguins) and ri.k == 5 and len(ri.fingerprint) == 16
    # the same inputs (a Batch or its frame) are accepted, other data is a clear error
    assert suggest(penguins, copy_batch.frame, copy_report)
    other = sk.generate(penguins, "bootstrap", n=300, random_state=2)
    with pytest.raises(SynthkitError, match="other data"):
        suggest(penguins, other, copy_report)
    with pytest.raises(SynthkitError, match="other data"):
        suggest(penguins.sample(300, random_state=0), copy_batch, copy_report)
    with pytest.raises(SynthkitError, match="Report"):
        suggest(penguins, copy_batch, {"not": "a report"})


def test_headline_has_matched_values_p_values_and_verdicts(copy_report):
    h = copy_report.headline()
    assert {"matched", "p_value", "status"} <= set(h.columns)
    copies = h.filter(pl.col("metric").is_in(["exact_copy_share", "near_copy_share", "dcr_median"]))
    assert copies["status"].to_list() == ["worse than real"] * 3
    assert (copies["p_value"] <= 0.05).all()
    # with no permutations there is no verdict for the permutation-tested metrics; category_shares
    # has its own exact test (Fisher + Holm), so it keeps its verdict
    rep = sk.evaluate(copy_report.inputs.real, copy_report.inputs.synthetic, n_boot=0, n_perm=0,
                      families=("fidelity",))
    status = dict(zip(rep.headline()["metric"], rep.headline()["status"]))
    assert status == {"column_shapes": "", "worst_column_shape": "", "category_shares": "as real",
                      "within_support": ""}


def test_suggest_with_a_column_named_count(penguins):
    real = sk.from_frame(penguins.frame.drop("row_id").rename({"island": "count"}), "pen", target="species",
                         sensitive=["sex"])
    synth = sk.generate(real, "gaussian", n=300, random_state=3)
    assert suggest(real, synth)  # value_counts names its own column 'count': no clash
