"""evaluate() of synthetic rows that stay in parquet files equals the in-memory evaluate."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit.errors import DataError, EngineError, SchemaError

FAMS = ["fidelity", "pairwise", "coverage", "privacy"]


def _write(frame: pl.DataFrame, folder, size: int):
    folder.mkdir()
    for i, start in enumerate(range(0, frame.height, size)):
        frame[start:start + size].write_parquet(folder / f"part-{i:03d}.parquet")
    return folder


@pytest.fixture(scope="module")
def adult_case(adult, tmp_path_factory):
    train, hold = adult.sample(5000, random_state=2).split(0.8, random_state=0)
    synth = sk.generate(train, "bootstrap", n=2500, random_state=1)  # copies: exact and near copies exist
    folder = _write(synth.frame, tmp_path_factory.mktemp("adult") / "synth", 600)
    ref = sk.evaluate(train, synth, holdout=hold, families=FAMS, n_boot=0, n_perm=0)
    return train, hold, synth, folder, ref


def _same(ref, rep):
    cols = ["family", "metric", "column", "value"]
    assert rep.table.select(cols).equals(ref.table.select(cols))
    assert rep.rows.equals(ref.rows)  # real rows, then synthetic rows in file order


def test_partitioned_equals_in_memory_on_the_cluster(adult_case, dask_engine, tmp_path):
    train, hold, synth, folder, ref = adult_case
    assert ref.table.filter(pl.col("metric") == "exact_copy_share")["value"].item() > 0
    rep = sk.evaluate(train, folder, holdout=hold, families=FAMS, n_boot=0, n_perm=0, engine=dask_engine,
                      rows_per_chunk=450)  # slices inside files, boundaries that differ from the files'
    _same(ref, rep)
    assert rep.summary["partitions"] == 9 and rep.summary["n_synthetic"] == synth.frame.height
    assert rep.inputs is None  # the synthetic rows stay in their files
    rep.to_html(tmp_path / "report.html")  # renders without the rows
    assert "exact_copy_share" in (tmp_path / "report.html").read_text()
    assert rep.gate({"exact_copy_share": ("<=", 0.0)}).passed is False
    rep.save(tmp_path / "report.json")
    back = sk.load_report(tmp_path / "report.json")
    assert back.table.select("metric", "value").equals(rep.table.select("metric", "value"))


def test_verdicts_of_files_equal_in_memory(adult_case, dask_engine, tmp_path):
    """The size-matched verdicts gather only the synthetic rows the split draws: same matched values,
    baselines and p-values as in memory, in process and on the cluster."""
    train, hold, synth, folder, _ = adult_case
    cols = ["family", "metric", "column", "value", "matched", "baseline", "p_value"]
    ref = sk.evaluate(train, synth, holdout=hold, families=FAMS, n_boot=0)
    flagged = ref.table.filter(pl.col("p_value") <= 0.05)["metric"].to_list()
    assert {"exact_copy_share", "near_copy_share"} <= set(flagged)  # bootstrap copies real rows
    for engine in (None, dask_engine):
        rep = sk.evaluate(train, folder, holdout=hold, families=FAMS, n_boot=0, engine=engine, rows_per_chunk=450)
        assert rep.table.select(cols).equals(ref.table.select(cols))
        assert {k: rep.summary[k] for k in ("matched_size", "reference_size", "n_perm", "permutation_metrics")} \
            == {k: ref.summary[k] for k in ("matched_size", "reference_size", "n_perm", "permutation_metrics")}
    assert any("size-matched verdicts compare" in n for n in rep.summary["notes"])
    rep.to_html(tmp_path / "r.html")
    assert "worse than real" in (tmp_path / "r.html").read_text()


def test_partitioned_in_process_and_from_a_glob(adult_case):
    train, hold, synth, folder, ref = adult_case
    _same(ref, sk.evaluate(train, str(folder / "*.parquet"), holdout=hold, families=FAMS, n_boot=0, n_perm=0))


def test_penguins_one_family_at_a_time(penguins, tmp_path, dask_engine):
    synth = sk.generate(penguins, "gaussian", n=400, random_state=3)
    folder = _write(synth.frame, tmp_path / "s", 37)
    for fam in FAMS:
        ref = sk.evaluate(penguins, synth, families=[fam], n_boot=0, n_perm=0)
        _same(ref, sk.evaluate(penguins, folder, families=[fam], n_boot=0, n_perm=0, engine=dask_engine))


def test_recall_sample_and_notes(penguins, tmp_path):
    synth = sk.generate(penguins, "copula", n=600, random_state=4)
    folder = _write(synth.frame, tmp_path / "s", 100)
    rep = sk.evaluate(penguins, folder, families=["coverage", "privacy"], recall_sample=200)
    notes = " ".join(rep.summary["notes"])
    assert "seeded sample of 200 of the 600" in notes and "no bootstrap intervals" in notes
    full = sk.evaluate(penguins, synth, families=["coverage", "privacy"], n_boot=0, n_perm=0)
    # precision, density and privacy use every row: equal; recall and coverage come from the sample
    for m in ("precision", "density", "near_copy_share", "dcr_median"):
        assert rep.table.filter(pl.col("metric") == m)["value"].item() == \
            full.table.filter(pl.col("metric") == m)["value"].item()


def test_bad_partitioned_input(penguins, tmp_path):
    synth = sk.generate(penguins, "copula", n=200, random_state=4).frame
    with pytest.raises(DataError, match=r"families \['detection'\] need the synthetic rows in memory"):
        sk.evaluate(penguins, _write(synth, tmp_path / "a", 100), families=["detection"])
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    synth[:100].write_parquet(mixed / "part-0.parquet")
    synth[100:].drop("island").write_parquet(mixed / "part-1.parquet")
    with pytest.raises(SchemaError, match=r"mixed schemas: partition part-1\.parquet lacks \['island'\]"):
        sk.evaluate(penguins, mixed)
    typed = tmp_path / "typed"
    typed.mkdir()
    synth[:100].write_parquet(typed / "part-0.parquet")
    synth[100:].with_columns(pl.lit("heavy").alias("body_mass_g")).write_parquet(typed / "part-1.parquet")
    with pytest.raises(SchemaError, match=r"partition part-1\.parquet: column 'body_mass_g'"):
        sk.evaluate(penguins, typed)
    with pytest.raises(EngineError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"):
        sk.evaluate(penguins, tmp_path / "a", scheduler="tcp://127.0.0.1:9")
    assert penguins.frame["body_mass_g"].dtype != pl.String  # untouched


def _pieces(frame: pl.DataFrame, folder, sizes) -> list:
    folder.mkdir(parents=True)
    out, start = [], 0
    for i, n in enumerate(sizes):
        frame[start:start + n].write_parquet(folder / f"part-{i:03d}.parquet")
        out.append(folder / f"part-{i:03d}.parquet")
        start += n
    return out


def test_files_are_checked_as_rows_in_memory_are(penguins, tmp_path):
    """Every partition is checked, not the first alone; the ids are the in-memory ones."""
    synth = sk.generate(penguins, "copula", n=200, random_state=4)
    bare = synth.frame.drop("row_id")
    fams = ["fidelity", "coverage", "privacy"]
    ref = sk.evaluate(penguins, bare, families=fams, n_boot=0)
    # no row_id column: numbered synthetic:0, 1, ... as in memory; a first file of 3 rows and 1-row chunks
    _pieces(bare, tmp_path / "ids", [3, 150, 47])
    rep = sk.evaluate(penguins, tmp_path / "ids", families=fams, n_boot=0, rows_per_chunk=1)
    assert rep.rows.equals(ref.rows) and rep.table.equals(ref.table.with_columns(
        pl.lit(None, dtype=pl.Float64).alias("ci_low"), pl.lit(None, dtype=pl.Float64).alias("ci_high")))
    # a column with no value in the first file only is fine; with none anywhere it is refused
    holes = bare.with_columns(pl.when(pl.int_range(pl.len()) < 50).then(None).otherwise(pl.col("sex")).alias("sex"))
    _pieces(holes, tmp_path / "holes", [50, 150])
    assert sk.evaluate(penguins, tmp_path / "holes", families=fams, n_boot=0, n_perm=0).table.height
    _pieces(bare.with_columns(pl.lit(None, dtype=pl.String).alias("sex")), tmp_path / "empty", [50, 150])
    with pytest.raises(DataError, match=r"\['sex'\] hold only missing values in every file"):
        sk.evaluate(penguins, tmp_path / "empty", families=["privacy"], n_perm=0)
    # NaN in a later file, with no fidelity family to notice it: refused, naming the partition
    nan = bare.with_columns(pl.when(pl.int_range(pl.len()) == 120).then(float("nan"))
                            .otherwise(pl.col("bill_length_mm")).alias("bill_length_mm"))
    _pieces(nan, tmp_path / "nan", [100, 100])
    with pytest.raises(DataError, match=r"part-001\.parquet.*'bill_length_mm' holds NaN"):
        sk.evaluate(penguins, tmp_path / "nan", families=["privacy"])
    # too few rows in all
    _pieces(bare[:4], tmp_path / "few", [2, 2])
    with pytest.raises(DataError, match="the synthetic files hold 4 rows; evaluate\\(\\) needs at least 6"):
        sk.evaluate(penguins, tmp_path / "few", families=["privacy"])


def test_row_ids_across_files(penguins, tmp_path):
    synth = sk.generate(penguins, "copula", n=200, random_state=4).frame
    dup = pl.concat([synth[:100], synth[100:].with_columns(synth["row_id"][:100])])  # ids of file 0 again
    _pieces(dup, tmp_path / "dup", [100, 100])
    with pytest.raises(DataError, match=r"appears more than once \(in partition part-000\.parquet, partition part-001\.parquet\)"):
        sk.evaluate(penguins, tmp_path / "dup", families=["privacy"])
    clash = synth.with_columns(pl.when(pl.int_range(pl.len()) == 150).then(pl.lit(penguins.frame["row_id"][0]))
                               .otherwise(pl.col("row_id")).alias("row_id"))
    _pieces(clash, tmp_path / "clash", [100, 100])
    with pytest.raises(DataError, match="1 synthetic row id\\(s\\) equal real row ids"):
        sk.evaluate(penguins, tmp_path / "clash", families=["privacy"])
    null = synth.with_columns(pl.when(pl.int_range(pl.len()) == 150).then(None).otherwise(pl.col("row_id"))
                              .alias("row_id"))
    _pieces(null, tmp_path / "null", [100, 100])
    with pytest.raises(DataError, match=r"part-001\.parquet: column 'row_id' must hold unique, non-null strings"):
        sk.evaluate(penguins, tmp_path / "null", families=["privacy"])


def test_a_folder_named_like_a_glob_and_no_broadcast_left(penguins, tmp_path, dask_engine):
    synth = sk.generate(penguins, "copula", n=200, random_state=4).frame
    _pieces(synth, tmp_path / "run[1]" / "synth", [120, 80])
    ref = sk.evaluate(penguins, synth, n_boot=0, families=FAMS)
    held = len(dask_engine._broadcast)
    for _ in range(2):
        rep = sk.evaluate(penguins, tmp_path / "run[1]" / "synth", n_boot=0, families=FAMS, engine=dask_engine)
        assert rep.table.select("metric", "value", "p_value").equals(ref.table.select("metric", "value", "p_value"))
    assert len(dask_engine._broadcast) == held  # every step released what it sent to the workers
