"""Shared parameter checks, and the inputs that used to escape as raw tracebacks."""

from __future__ import annotations

import numpy as np
import pytest

import synthkit as sk
from synthkit._checks import check_bool, check_float, check_int, check_path, check_random_state, check_sequence
from synthkit.collapse import CollapseError
from synthkit.errors import DataError, GeneratorError


@pytest.mark.parametrize("value", [1.5, "3", True, None, np.float64(2.0)])
def test_check_int_rejects_what_is_not_a_whole_number(value):
    with pytest.raises(DataError, match="size"):
        check_int("size", value, minimum=1)


def test_check_int_bounds_none_and_error_class():
    assert check_int("n", np.int64(3), minimum=1) == 3
    assert check_int("n", None, allow_none=True) is None
    with pytest.raises(GeneratorError, match=r"n=0 must be a whole number between 1 and 5"):
        check_int("n", 0, minimum=1, maximum=5, error=GeneratorError)


@pytest.mark.parametrize("value", ["a", -1, 2**32, 1.0, True, [1]])
def test_check_random_state_names_the_parameter_and_what_to_pass(value):
    with pytest.raises(DataError, match=r"random_state=.* pass a whole number from 0"):
        check_random_state(value)


def test_check_random_state_accepts_seeds_none_and_generators():
    g = np.random.default_rng(0)
    assert check_random_state(g) is g
    assert check_random_state(None) is None
    assert check_random_state(np.uint32(7)) == 7
    with pytest.raises(DataError, match="seed"):
        check_random_state(None, allow_none=False)


def test_float_bool_path_sequence(tmp_path):
    assert check_float("x", 2) == 2.0
    for bad in (float("nan"), float("inf"), "1", True):
        with pytest.raises(DataError, match="x="):
            check_float("x", bad)
    with pytest.raises(DataError, match="> 0"):
        check_float("x", 0, minimum=0, strict_minimum=True)
    assert check_bool("flag", np.bool_(True)) is True
    with pytest.raises(DataError, match="flag"):
        check_bool("flag", 1)
    f = tmp_path / "f.txt"
    f.write_text("x")
    with pytest.raises(DataError, match="cache_dir.*is a file"):
        check_path("cache_dir", f, kind="dir")
    with pytest.raises(DataError, match="folder"):
        check_path("folder", 3)
    assert check_sequence("ks", range(3)) == (0, 1, 2)
    with pytest.raises(DataError, match="ks"):
        check_sequence("ks", "abc")


@pytest.mark.parametrize("seed", ["a", -1])
def test_bad_random_state_in_generate_and_evaluate(penguins, seed):
    with pytest.raises(DataError, match="random_state"):
        sk.generate(penguins, "bootstrap", n=10, random_state=seed)
    batch = sk.generate(penguins, "bootstrap", n=40, random_state=0)
    with pytest.raises(DataError, match="random_state"):
        sk.evaluate(penguins, batch, random_state=seed, n_boot=0)
    with pytest.raises(DataError, match="random_state"):
        sk.generators.make("bootstrap").fit(penguins).sample(5, random_state=seed)


@pytest.mark.parametrize("regime", ["fresh", "keep_real"])
def test_regimes_with_real_rows_need_a_real_fraction(penguins, regime):
    with pytest.raises(CollapseError, match=r"real_fraction=0\.0.*pass real_fraction > 0"):
        sk.collapse.simulate(penguins, "bootstrap", generations=1, regime=regime, progress=False)


@pytest.mark.parametrize("keep", ["a", 5, [1.5], [-1]])
def test_bad_keep_samples_is_a_clear_error(penguins, keep):
    with pytest.raises(CollapseError, match="keep_samples"):
        sk.collapse.simulate(penguins, "bootstrap", generations=1, keep_samples=keep, progress=False)


def test_bad_random_state_in_simulate(penguins):
    with pytest.raises(CollapseError, match="random_state"):
        sk.collapse.simulate(penguins, "bootstrap", generations=1, random_state="a", progress=False)


def test_map_cache_dir_that_is_a_file_is_a_data_error(penguins, tmp_path):
    f = tmp_path / "not-a-folder"
    f.write_text("x")
    with pytest.raises(DataError, match="cache_dir"):
        sk.Map.fit(penguins, cache_dir=f)
    with pytest.raises(DataError, match="cache_dir"):
        sk.Map.fit(penguins, cache_dir=f / "below")
    with pytest.raises(DataError, match="n_neighbors"):
        sk.Map.fit(penguins, n_neighbors=1)
    with pytest.raises(DataError, match="random_state"):
        sk.Map.fit(penguins, random_state=-1)
