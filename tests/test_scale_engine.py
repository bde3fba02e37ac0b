"""The Dask engine and partitioned inputs: order, broadcast, retries and clear errors."""

from __future__ import annotations

import os
import sys
import time

import cloudpickle
import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit.data import conform
from synthkit.errors import DataError, EngineError, SchemaError
from synthkit.scale import Partitions, engine_scope

# worker processes cannot import this test module: send its functions by value
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def _square_plus(chunk, table, *, shift=0):
    return [v * v + table["add"] + shift for v in chunk]


def _slow_identity(chunk):
    time.sleep(0.05 * (3 - chunk % 3))  # later chunks finish first
    return chunk


def _threads(chunk):
    import os

    import numba

    return numba.get_num_threads(), os.environ.get("NUMBA_NUM_THREADS")


def _die(chunk):
    os._exit(3)


def _die_once(chunk, marker):
    if not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(3)
    return chunk * 10


def _no_memory(chunk):
    raise MemoryError("Unable to allocate 40.0 TiB for an array")


def _bad_value(chunk):
    raise DataError("column 'x' holds NaN")


def _read_conform(part, schema):
    return conform(part.read(), schema, what="the synthetic rows").height


def _read_rows(part):
    return part.read()


# ---------------------------------------------------------------------------- engine
def test_map_keeps_chunk_order_and_broadcasts_dicts(dask_engine):
    box = dask_engine.broadcast({"add": 1})  # a bare dict would arrive as its keys
    out = dask_engine.map(_square_plus, [[1, 2], [3], [4, 5, 6]], box, shift=10)
    assert out == [[12, 15], [20], [27, 36, 47]]
    assert dask_engine.map(_slow_identity, list(range(9))) == list(range(9))
    assert dask_engine.map(_slow_identity, []) == []
    assert dask_engine.n_workers == 2
    assert dask_engine.map(_threads, [0, 1]) == [(1, None), (1, None)]  # one thread per worker, numba's too
    assert "NUMBA_NUM_THREADS" not in os.environ  # this process keeps its own thread count


def test_worker_killed_once_is_retried(dask_engine, tmp_path):
    marker = str(tmp_path / "died")
    assert dask_engine.map(_die_once, [1, 2, 3], marker=marker) == [10, 20, 30]
    assert os.path.exists(marker)  # a worker really died


def test_worker_that_keeps_dying_is_reported_with_its_partition(dask_engine):
    with pytest.raises(EngineError, match=r"chunk 0: the worker running it died .*memory"):
        dask_engine.map(_die, [0], labels=None)
    # the cluster recovers: the next map works
    assert dask_engine.map(_slow_identity, [0, 1]) == [0, 1]


def test_memory_error_and_synthkit_errors_name_the_partition(dask_engine):
    with pytest.raises(EngineError, match=r"part-7 ran out of memory on a worker .*rows_per_chunk"):
        dask_engine.map(_no_memory, [1], labels=["part-7"])
    with pytest.raises(DataError, match=r"^part-2: column 'x' holds NaN"):
        dask_engine.map(_bad_value, [1], labels=["part-2"])


def test_unreachable_scheduler_names_the_address():
    with pytest.raises(EngineError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9 .*scheduler=None"):
        with engine_scope("dask", scheduler="tcp://127.0.0.1:9", timeout=2):
            pass


def test_bad_engine_arguments():
    with pytest.raises(DataError, match="engine='spark' is not supported"):
        with engine_scope("spark"):
            pass
    with pytest.raises(DataError, match="not a scheduler address"):
        with engine_scope("dask", scheduler=12):
            pass


def test_a_borrowed_engine_or_client_stays_open(dask_engine):
    with engine_scope(dask_engine) as eng:
        assert eng is dask_engine
    with engine_scope(dask_engine.client) as eng:
        assert eng.map(_slow_identity, [4]) == [4]
    assert dask_engine.map(_slow_identity, [5]) == [5]


@pytest.mark.slow
def test_worker_out_of_memory_is_reported(tmp_path):
    """A real out-of-memory kill: the nanny stops a worker past its memory limit."""
    with engine_scope("dask", n_workers=1, memory_limit="250MB", retries=0, progress=False) as eng:
        with pytest.raises(EngineError, match=r"chunk 0: the worker running it died .*memory_limit"):
            eng.map(_hog, [0])


def _hog(chunk):
    blocks = []
    for _ in range(40):  # grow past the limit slowly enough for the nanny to see it
        blocks.append(np.ones(25_000_000 // 8 * 4))  # 100 MB each
        time.sleep(0.1)
    return len(blocks)


# ---------------------------------------------------------------------------- sources
def _write(folder, frames):
    folder.mkdir(exist_ok=True)
    for i, f in enumerate(frames):
        f.write_parquet(folder / f"part-{i}.parquet")
    return folder


def test_partitions_of_a_folder_glob_and_frame(tmp_path, penguins):
    f = penguins.frame
    folder = _write(tmp_path / "synth", [f[:100], f[100:250], f[250:]])
    parts = Partitions.open(folder, rows_per_chunk=60)
    assert parts.n_rows == f.height and parts.columns == f.columns
    assert [p.offset for p in parts] == list(np.cumsum([0] + [p.n_rows for p in parts][:-1]))
    assert parts[0].label == "partition part-0.parquet rows 0-59"
    assert parts.read_all().equals(f)
    assert Partitions.open(str(tmp_path / "synth" / "*.parquet")).read_all().equals(f)
    sliced = Partitions.open(penguins, rows_per_chunk=1)
    assert len(sliced) == f.height and sliced[5].label == "rows 5-5"
    assert pl.concat([p.read() for p in sliced]).equals(f)


def test_partitions_read_on_workers_in_order(tmp_path, penguins, dask_engine):
    f = penguins.frame
    folder = _write(tmp_path / "w", [f[:50], f[50:]])
    parts = Partitions.open(folder, rows_per_chunk=70)
    assert pl.concat(dask_engine.map(_read_rows, parts)).equals(f)


def test_mixed_schemas_and_wrong_types_name_the_partition(tmp_path, penguins, dask_engine):
    f = penguins.frame
    mixed = _write(tmp_path / "mixed", [f[:100], f[100:].drop("island")])
    with pytest.raises(SchemaError, match=r"mixed schemas: partition part-1\.parquet lacks \['island'\]"):
        Partitions.open(mixed)
    typed = _write(tmp_path / "typed", [f[:100], f[100:].with_columns(pl.col("body_mass_g").cast(pl.String))])
    with pytest.raises(SchemaError, match=r"partition part-1\.parquet: column 'body_mass_g' holds String"):
        Partitions.open(typed)
    # values that do not parse, inside one partition: the worker's error names it
    bad = f[100:].with_columns(pl.col("body_mass_g").cast(pl.String)).with_columns(
        pl.lit("heavy").alias("body_mass_g"))
    strings = _write(tmp_path / "strings", [f[:100].with_columns(pl.col("body_mass_g").cast(pl.String)), bad])
    parts = Partitions.open(strings)
    with pytest.raises(SchemaError, match=r"^partition part-1\.parquet: "):
        dask_engine.map(_read_conform, parts, dask_engine.broadcast(penguins.schema))
    assert f["body_mass_g"].dtype != pl.String  # the in-memory data is untouched


def test_bad_sources(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="holds no .parquet files"):
        Partitions.open(tmp_path / "empty")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "part-0.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(DataError, match=r"partition part-0\.parquet: cannot read .* as parquet"):
        Partitions.open(tmp_path / "broken")
    with pytest.raises(DataError, match="no file matches"):
        Partitions.open(str(tmp_path / "nothing-*.parquet"))
    with pytest.raises(DataError, match="neither a parquet file nor a folder"):
        Partitions.open(tmp_path / "missing")
    with pytest.raises(DataError, match="rows_per_chunk"):
        Partitions.open(pl.DataFrame({"a": [1]}), rows_per_chunk=0)
    with pytest.raises(DataError, match="no rows"):
        Partitions.open(pl.DataFrame({"a": []}))


# ---------------------------------------------------------------------------- resampled data
def test_resampled_tables_are_seeded_in_range_and_keep_zeros(adult, tmp_path):
    from synthkit.scale.resample import resampled, write_resampled

    a = resampled(adult, 5000, random_state=3)
    assert a.frame.equals(resampled(adult, 5000, random_state=3).frame)
    assert not a.frame.equals(resampled(adult, 5000, random_state=4).frame)
    assert a.schema == adult.schema and a.frame.height == 5000 and a.frame["row_id"].n_unique() == 5000
    for c in adult.schema.numeric:
        assert a.frame[c].dtype == adult.frame[c].dtype
        assert adult.frame[c].min() <= a.frame[c].min() and a.frame[c].max() <= adult.frame[c].max()
    # capital gains of 0 stay 0 (the jitter moves only non-zero values): the share stays close
    z_real, z_new = (adult.frame["capital_gain"] == 0).mean(), (a.frame["capital_gain"] == 0).mean()
    assert abs(z_real - z_new) < 0.02
    paths = write_resampled(adult, 2500, tmp_path / "s", random_state=1, rows_per_file=1000)
    assert [p.name for p in paths] == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    parts = Partitions.open(tmp_path / "s")
    frame = parts.read_all()
    assert frame.height == 2500 and "fnlwgt" not in frame.columns
    assert frame["row_id"].to_list()[998:1002] == [f"synthetic:{i}" for i in range(998, 1002)]


def _busy(chunk):
    t = time.process_time()
    while time.process_time() - t < 0.2:
        pass
    return chunk


def test_stats_record_wall_and_worker_cpu_per_step(dask_engine):
    dask_engine.stats.pop("busy", None)
    dask_engine.map(_busy, [0, 1, 2, 3], desc="busy")
    st = dask_engine.stats["busy"]
    assert st["chunks"] == 4 and st["cpu"] >= 0.8 and st["seconds"] > 0
