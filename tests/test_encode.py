"""The shared Encoder: shapes, scaling, missing values, unknown categories."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import synthkit as sk


@pytest.fixture(scope="module")
def enc(penguins):
    return sk.Encoder().fit(penguins)


def test_shape_and_names(enc, penguins):
    x = enc.transform(penguins)
    # 5 numeric + species 3 + island 3 + sex 2 (+1 level for its missing values)
    assert x.shape == (344, 14) and x.dtype == np.float32
    assert enc.feature_names_[:5] == list(penguins.schema.numeric)
    assert "sex=__null__" in enc.feature_names_ and "species=__null__" not in enc.feature_names_


def test_numeric_standardised(enc, penguins):
    x = enc.transform(penguins)[:, :5]
    assert np.allclose(x.mean(axis=0), 0, atol=1e-5)
    assert np.allclose(x.std(axis=0), 1, atol=1e-4)
    assert not np.isnan(x).any()  # missing values imputed


def test_one_hot_blocks(enc, penguins):
    x = enc.transform(penguins)[:, 5:]
    assert set(np.unique(x)) == {0.0, np.float32(1 / np.sqrt(2))}
    # one level per categorical column per row: three non-zeros
    assert np.all((x > 0).sum(axis=1) == 3)
    # changing one category moves a row by distance 1
    row = penguins.features.head(1)
    other = row.with_columns(pl.lit("Dream" if row["island"][0] != "Dream" else "Biscoe").alias("island"))
    d = np.linalg.norm(enc.transform(row) - enc.transform(other))
    assert d == pytest.approx(1.0, abs=1e-6)


def test_unknown_category_is_zero(enc, penguins):
    row = penguins.features.head(2).with_columns(pl.lit("Emperor").alias("species"))
    x = enc.transform(row)
    j = enc.feature_names_.index("species=Adelie")
    assert np.all(x[:, j:j + 3] == 0)


def test_batches_and_digits(penguins, digits):
    batch = sk.generate(penguins, "bootstrap", n=20, random_state=0)
    x = sk.Encoder().fit(penguins).transform(batch)
    assert x.shape == (20, 14)
    xd = sk.Encoder().fit(digits).transform(digits)
    assert xd.shape == (1797, 74)
    # a constant pixel column encodes as 0, not NaN
    assert np.all(xd[:, 0] == 0)


def test_errors(enc, penguins):
    with pytest.raises(sk.NotFittedError):
        sk.Encoder().transform(penguins)
    with pytest.raises(sk.SchemaError, match="island"):
        enc.transform(penguins.features.drop("island"))


def test_boolean_and_integer_categories_are_one_hot():
    frame = pl.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "flag": [True, False, True, None],
                          "label": [0, 1, 2, 1]})
    ds = sk.data.from_frame(frame, categorical=["label"])
    enc = sk.Encoder().fit(ds)
    assert enc.feature_names_ == ["x", "flag=False", "flag=True", "flag=__null__",
                                  "label=0", "label=1", "label=2"]
    x = enc.transform(ds)[:, 1:]
    # every row has exactly one level per categorical column, missing included
    assert np.all((x > 0).sum(axis=1) == 2)
    assert np.argmax(x[:, :3], axis=1).tolist() == [1, 0, 1, 2]
