"""Batches: content-addressed ids, row ids, provenance."""

from __future__ import annotations

import json
import re

import pytest

import synthkit as sk
from synthkit.batch import check_batch_id, make_batch


def test_ids_deterministic_and_file_safe(penguins):
    a = sk.generate(penguins, "copula", n=50, random_state=1)
    b = sk.generate(penguins, "copula", n=50, random_state=1)
    assert a.id == b.id and a.frame.equals(b.frame)
    assert re.fullmatch(r"copula-[0-9a-f]{8}", a.id)
    others = {
        sk.generate(penguins, "copula", n=50, random_state=2).id,
        sk.generate(penguins, "copula", n=51, random_state=1).id,
        sk.generate(penguins, "copula", n=50, random_state=1, temperature=0.5).id,
        sk.generate(penguins, "cart", n=50, random_state=1).id,
        sk.generate(penguins, "copula", n=50, random_state=1, generation=3).id,
        sk.generate(penguins.subset([f"real:{i}" for i in range(100)]), "copula", n=50,
                    random_state=1).id,
    }
    assert a.id not in others and len(others) == 6


def test_rows_and_provenance(penguins):
    batch = sk.generate(penguins, "copula", n=30, random_state=5, conditions={"sex": "male"})
    assert batch.frame.columns[0] == "row_id"
    assert batch.row_ids.to_list() == [f"{batch.id}:{i}" for i in range(30)]
    assert batch.features.columns == list(penguins.schema.columns)
    p = batch.provenance
    assert p.generator == "copula" and p.params == {"temperature": 1.0}
    assert p.random_state == 5 and p.fitted_on == ("real",) and p.dataset == "penguins"
    assert p.data_fingerprint == penguins.fingerprint and p.n == 30 and p.generation == 0
    assert p.conditions == {"sex": "male"} and p.created_at
    d = json.loads(json.dumps(p.to_dict()))
    assert sk.Provenance.from_dict(d) == p


def test_recursive_generation_records_parent(penguins):
    first = sk.generate(penguins, "copula", n=60, random_state=0)
    second = sk.generate(first, "copula", n=60, random_state=0, generation=1)
    assert second.provenance.fitted_on == (first.id,)
    assert second.provenance.dataset == "penguins" and second.provenance.generation == 1
    assert second.id != first.id


def test_prefitted_generator(penguins):
    gen = sk.generators.CART(min_samples_leaf=3).fit(penguins)
    batch = sk.generate(penguins, gen, n=10, random_state=0, fitted=True)
    assert batch.provenance.params["min_samples_leaf"] == 3
    assert batch.frame.equals(sk.generate(penguins, "cart", n=10, random_state=0,
                                          min_samples_leaf=3).frame)


def test_bad_requests(penguins):
    with pytest.raises(sk.GeneratorError, match="unknown generator"):
        sk.generate(penguins, "gan")
    with pytest.raises(sk.GeneratorError, match="bad parameters"):
        sk.generate(penguins, "copula", colour="red")
    with pytest.raises(sk.GeneratorError, match="n=0"):
        sk.generate(penguins, "copula", n=0)
    with pytest.raises(sk.ConditionError):
        sk.generate(penguins, "copula", conditions={"species": "Emperor"})


@pytest.mark.parametrize("bad", ["../etc", "A-1", "", "x" * 65, "a b", "a/b", None])
def test_check_batch_id(bad):
    with pytest.raises(sk.DataError):
        check_batch_id(bad)


def test_make_batch_with_id(penguins):
    prov = sk.generate(penguins, "bootstrap", n=5, random_state=0).provenance
    rows = penguins.features.head(5)
    batch = make_batch(rows, penguins.schema, prov, bid="curated_1")
    assert batch.id == "curated_1" and batch.row_ids[0] == "curated_1:0"


def test_malformed_provenance_is_a_clear_error():
    from synthkit.batch import Provenance

    with pytest.raises(sk.DataError, match="provenance is incomplete"):
        Provenance.from_dict({"generator": "copula"})
    with pytest.raises(sk.DataError, match="provenance is incomplete"):
        Provenance.from_dict({"generator": "copula", "params": 3, "random_state": 0, "fitted_on": ["real"],
                              "dataset": "x", "data_fingerprint": "f"})
