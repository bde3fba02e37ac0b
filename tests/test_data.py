"""Datasets, schema inference, reading files, validation errors."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit.data import ROW_ID, Schema, conform


# ----------------------------------------------------------------- embedded datasets
def test_penguins(penguins):
    assert len(penguins) == 344
    s = penguins.schema
    assert s.target == "species" and s.sensitive == ("sex",) and s.task == "classification"
    assert set(s.categorical) == {"species", "island", "sex"}
    assert {"bill_length_mm", "body_mass_g", "flipper_length_mm"} <= set(s.numeric)
    assert "body_mass_g" in s.integer and "bill_length_mm" not in s.integer
    assert s.categories["species"] == ("Adelie", "Chinstrap", "Gentoo")
    assert penguins.features["sex"].null_count() > 0  # missing values kept
    assert s.image_shape is None


def test_digits(digits):
    assert len(digits) == 1797
    s = digits.schema
    assert s.image_shape == (8, 8) and len(s.image_columns) == 64
    assert s.target == "label" and s.categorical == ("label",)
    assert s.categories["label"] == tuple(range(10))
    px = digits.features.select(s.image_columns).to_numpy()
    assert px.min() == 0 and px.max() == 16
    imgs = sk.data.image_array(digits.frame.head(3), s)
    assert imgs.shape == (3, 8, 8)


def test_adult(adult):
    assert len(adult) == 48_842
    s = adult.schema
    assert s.target == "income" and set(s.sensitive) == {"sex", "race"}
    assert s.categories["income"] == ("<=50K", ">50K")
    assert set(s.meta) == {"split", "fnlwgt"}
    assert "split" not in adult.features.columns and "split" in adult.frame.columns
    assert adult.frame["split"].value_counts().height == 2
    for c in s.categorical:  # cleaned: no padding, "?" became null
        vals = [v for v in s.categories[c] if isinstance(v, str)]
        assert all(v == v.strip() and v != "?" for v in vals), c
    assert adult.features["workclass"].null_count() > 0


@pytest.mark.parametrize("name", ["penguins", "digits", "adult"])
def test_row_ids_stable(name):
    ds = sk.load(name)
    assert ds.frame.columns[0] == ROW_ID
    assert ds.row_ids[0] == "real:0" and ds.row_ids.n_unique() == len(ds)
    assert sk.load(name).fingerprint == ds.fingerprint


def test_unknown_dataset():
    with pytest.raises(sk.DataError, match="iris"):
        sk.load("iris")


def test_missing_data_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("SYNTHKIT_DATA", str(tmp_path))
    with pytest.raises(sk.DataError, match="penguins.parquet"):
        sk.load("penguins")


# ----------------------------------------------------------------- Dataset helpers
def test_subset_split_sample(penguins):
    a, b = penguins.split(0.7, random_state=1)
    assert len(a) + len(b) == len(penguins)
    assert set(a.row_ids).isdisjoint(set(b.row_ids))
    assert a.split(0.5, random_state=3)[0].row_ids.equals(a.split(0.5, random_state=3)[0].row_ids)
    sub = penguins.subset(["real:3", "real:10"])
    assert sub.row_ids.to_list() == ["real:3", "real:10"]
    assert penguins.sample(20, random_state=0).row_ids.equals(penguins.sample(20, random_state=0).row_ids)
    assert penguins.subset(["real:3"]).fingerprint != penguins.fingerprint
    with pytest.raises(sk.DataError):
        penguins.subset(["nope:1"])
    with pytest.raises(sk.DataError):
        penguins.split(1.5)
    with pytest.raises(sk.DataError, match="replace=True"):
        penguins.sample(1000)


def test_schema_round_trip(penguins, digits):
    for ds in (penguins, digits):
        d = json.loads(json.dumps(ds.schema.to_dict()))
        assert Schema.from_dict(d) == ds.schema
    with pytest.raises(sk.SchemaError):
        Schema.from_dict({"columns": ["a"]})
    with pytest.raises(sk.SchemaError, match="wingspan"):
        penguins.schema.kind("wingspan")


def test_conform(penguins):
    f = conform(penguins.features.with_columns(pl.col("year").cast(pl.Float64)), penguins.schema)
    assert f.schema == penguins.features.schema
    with pytest.raises(sk.SchemaError, match="island"):
        conform(penguins.features.drop("island"), penguins.schema)
    bad = penguins.features.with_columns(pl.lit("heavy").alias("body_mass_g"))
    with pytest.raises(sk.SchemaError, match="dtypes"):
        conform(bad, penguins.schema)


# ----------------------------------------------------------------- from_frame / read
def test_from_frame_inference():
    frame = pl.DataFrame({
        "x": [1.5, 2.5, None, 4.0],
        "n": [1, 2, 3, 4],
        "c": ["a", "b", "a", None],
        "b": [True, False, True, True],
        "y": [0, 1, 0, 1],
    })
    ds = sk.from_frame(frame, "toy", target="y")
    s = ds.schema
    assert s.numeric == ("x", "n") and s.integer == ("n",)
    assert s.categorical == ("c", "b", "y") and s.task == "classification"
    assert s.categories["c"] == ("a", "b") and s.bounds["x"] == (1.5, 4.0)
    assert sk.from_frame(frame, categorical=["n"]).schema.categories["n"] == (1, 2, 3, 4)
    assert sk.from_frame(frame, target="x").schema.task == "regression"


def test_from_pandas():
    pd = pytest.importorskip("pandas")
    ds = sk.from_frame(pd.DataFrame({"a": [1.0, 2.0, 3.0], "g": pd.Categorical(["u", "v", "u"])}))
    assert ds.schema.numeric == ("a",) and ds.schema.categorical == ("g",)
    assert ds.features["g"].dtype == pl.String


ODD = ["bill length (mm)", "naïve col", "a,b", "1st", "x.y [%]"]


def test_read_csv_odd_names(tmp_path):
    frame = pl.DataFrame({ODD[0]: [1.0, 2.0, None], ODD[1]: ["x", "y", "x"], ODD[2]: [1, 2, 3],
                          ODD[3]: ["?", "k", "k"], ODD[4]: [0.5, 0.25, 0.125]})
    path = tmp_path / "odd.csv"
    frame.write_csv(path)
    ds = sk.read(path, target=ODD[1])
    assert ds.schema.columns == tuple(ODD) and ds.name == "odd"
    assert ds.features[ODD[0]].null_count() == 1
    assert ds.features[ODD[3]].null_count() == 1  # "?" is missing
    rows = sk.generators.GaussianCopula().fit(ds).sample(10, random_state=0)
    assert rows.columns == list(ODD)


def test_read_parquet(tmp_path, penguins):
    path = tmp_path / "p.parquet"
    penguins.features.write_parquet(path)
    ds = sk.read(path, target="species", sensitive="sex")
    assert ds.schema == penguins.schema
    assert ds.features.equals(penguins.features)


def test_read_errors(tmp_path):
    with pytest.raises(sk.DataError, match="does not exist"):
        sk.read(tmp_path / "nope.csv")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(sk.DataError, match="csv"):
        sk.read(tmp_path / "x.json")
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(sk.DataError, match="could not read"):
        sk.read(tmp_path / "bad.parquet")
    (tmp_path / "t.csv").write_text("a,b\n1,x\n2,y\n")
    with pytest.raises(sk.SchemaError, match="z"):
        sk.read(tmp_path / "t.csv", target="z")


# ----------------------------------------------------------------- validation errors
@pytest.mark.parametrize("frame, match", [
    (pl.DataFrame({"a": [1.0, float("nan"), 2.0]}), "'a'.*NaN"),
    (pl.DataFrame({"a": [1.0, float("inf"), 2.0]}), "'a'.*infinite"),
    (pl.DataFrame({"a": [1.0, 2.0], "z": [None, None]}, schema={"a": pl.Float64, "z": pl.Float64}),
     "'z'.*only missing"),
    (pl.DataFrame({"a": [1.0]}), "1 row"),
    (pl.DataFrame({"a": []}, schema={"a": pl.Float64}), "0 row"),
    (pl.DataFrame(), "0 row"),
    (pl.DataFrame({"d": [dt.date(2020, 1, 1), dt.date(2021, 1, 1)]}), "'d'.*dtype"),
    (pl.DataFrame({"l": [[1, 2], [3]]}), "'l'.*dtype"),
    (pl.DataFrame({"a": [1e20, 2.0]}), "'a'.*rescale"),
])
def test_bad_frames(frame, match):
    with pytest.raises(sk.DataError, match=match):
        sk.from_frame(frame)


def test_bad_schema_requests():
    frame = pl.DataFrame({"a": [1.0, 2.0, 3.0], "g": ["u", "v", "u"], "k": [1, 1, 1]})
    with pytest.raises(sk.SchemaError, match="sensitive"):
        sk.from_frame(frame, sensitive="a")
    with pytest.raises(sk.SchemaError, match="nope"):
        sk.from_frame(frame, categorical=["nope"])
    with pytest.raises(sk.DataError, match="single value"):
        sk.from_frame(frame, target="k")
    with pytest.raises(sk.DataError, match="expected"):
        sk.from_frame(np.zeros((3, 2)))
    with pytest.raises(sk.DataError, match="unique"):
        sk.from_frame(frame.with_columns(pl.lit("same").alias(ROW_ID)))
