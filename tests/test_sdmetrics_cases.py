"""SDMetrics' published test cases, run through synthkit's counterparts.

Each case copies one input/expected pair from SDMetrics' own test suite
(https://github.com/sdv-dev/SDMetrics, commit 54362a3c; the source test is named
in the comment above each case) as a fact. A case either gives SDMetrics'
expected value, or is a documented difference: then the test checks synthkit's
own value and that the docstring line documenting the difference is there.

Not covered, because synthkit has no counterpart: datetime columns (synthkit
models numbers and categories only), SDMetrics' row subsampling options, and
the metadata-driven DCR report wrappers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import synthkit as sk
from synthkit import encode
from synthkit.data import from_frame
from synthkit.errors import DataError
from synthkit.metrics import fidelity, pairwise
from synthkit.metrics.fidelity import ks_complement, tv_complement, within_support
from synthkit.metrics.pairwise import contingency_similarity, correlation_similarity
from synthkit.metrics.privacy import exact_copies

SRC = "SDMetrics tests/"


def documented(obj, phrase: str) -> None:
    """The difference is documented: ``phrase`` is in ``obj``'s docstring."""
    doc = " ".join((obj.__doc__ or "").split())
    assert " ".join(phrase.split()) in doc, (obj, phrase)


def new_row_synthesis(real: pd.DataFrame, synth: pd.DataFrame, columns: list[str]) -> float:
    """synthkit's counterpart: 1 - the exact-copy share."""
    r, s = from_frame(real).frame, from_frame(synth).frame
    return float(1.0 - exact_copies(r, s, columns).mean())


# ------------------------------------------------------------------ KSComplement
# integration/single_column/statistical/test_kscomplement.py::test_max
@pytest.mark.parametrize("array_like", [np.array, pd.Series])
def test_ks_max(array_like):
    data = array_like(np.random.default_rng(0).normal(size=1000))
    assert ks_complement(data, data) == 1


# integration/single_column/statistical/test_kscomplement.py::test_min
@pytest.mark.parametrize("array_like", [np.array, pd.Series])
def test_ks_min(array_like):
    rng = np.random.default_rng(1)
    real, synth = array_like(rng.normal(size=1000)), array_like(rng.normal(loc=1000, scale=10, size=1000))
    assert ks_complement(real, synth) == 0


# integration/single_column/statistical/test_kscomplement.py::test_good / ::test_bad
def test_ks_good_and_bad():
    rng = np.random.default_rng(2)
    real = rng.normal(size=1000)
    assert 0.5 < ks_complement(real, rng.normal(loc=0.1, size=1000)) <= 1.0
    assert 0.0 <= ks_complement(real, rng.normal(loc=3, scale=3, size=1000)) < 0.5


# integration/single_column/statistical/test_kscomplement.py::test_one_float_value (GH#652)
def test_ks_one_float_value():
    assert ks_complement(pd.Series([0.3 - 0.2]), pd.Series([0.2 - 0.1])) == 1


# ------------------------------------------------------------------ TVComplement
# unit/single_column/statistical/test_tv_complement.py::TestTVComplement::test_compute
def test_tv_compute():
    real = pd.Series(["a", "b", "c", "a", "a", "b"])
    synth = pd.Series(["a", "b", "c", "a", "b", "c"])
    assert tv_complement(real, synth) == pytest.approx(0.8333333333333333, abs=1e-15)


# unit/.../test_tv_complement.py::test_compute_with_all_nans_synthetic_data / ..._real_data
# SDMetrics: IncomputableMetricError. Documented difference: missing is a category.
def test_tv_all_nans_one_side():
    real = pd.Series(["a", "b", np.nan, "a", np.nan, "b"])
    nans = pd.Series([np.nan] * 6)
    # shares: a 2/6, b 2/6, missing 2/6 against missing 6/6
    assert tv_complement(real, nans) == pytest.approx(1 / 3)
    assert tv_complement(nans, real) == pytest.approx(1 / 3)
    documented(fidelity, "(missing values, null or NaN, count as one more category)")


# unit/.../test_tv_complement.py::test_compute_one_data_point
def test_tv_one_data_point():
    real = pd.Series([np.nan, np.nan, np.nan, np.nan, np.nan, "b"])
    synth = pd.Series(["b", np.nan, np.nan, np.nan, np.nan, np.nan])
    assert tv_complement(real, synth) == 1


# unit/.../test_tv_complement.py::test_compute_no_data (SDMetrics: IncomputableMetricError)
def test_tv_no_data():
    with pytest.raises(DataError, match="at least one value"):
        tv_complement(pd.Series([], dtype=object), pd.Series([], dtype=object))


# ------------------------------------------------------------------ BoundaryAdherence
# unit/single_column/statistical/test_boundary_adherence.py::TestBoundaryAdherence::test_compute
def test_boundary_compute():
    real = pd.Series([1.0, 2.4, 2.6, 0.8])
    synth = pd.Series([0.9, 1.8, 2.1, 5.0])
    assert within_support(real, synth, "numeric").mean() == 0.75


# unit/.../test_boundary_adherence.py::test_compute_nans
def test_boundary_nans():
    real = pd.Series([1.0, 2.4, 2.6, 0.8])
    real_nans = pd.Series([1.0, 2.4, 2.6, 0.8, np.nan])
    synth = pd.Series([0.9, 1.8, 2.1, 5.0, np.nan])
    # with NaN in the real data, SDMetrics ignores it too: 0.75, equal
    assert within_support(real_nans, synth, "numeric").mean() == 0.75
    # SDMetrics: 0.6 (a synthetic NaN is out of bounds when the real data has none).
    # Documented difference: missing values are left out.
    assert within_support(real, synth, "numeric").mean() == 0.75
    documented(fidelity, "Missing values are left out: a missing value is neither inside nor outside.")


# ------------------------------------------------------------------ CategoryAdherence
# unit/single_column/statistical/test_category_adherence.py::TestCategoryAdherence::test_compute_breakdown
def test_category_adherence():
    real = pd.Series(["A", "B", "C", "B", "A"])
    synth = pd.Series(["A", "B", "C", "D", "E"])
    assert within_support(real, synth, "categorical").mean() == 0.6


# unit/.../test_category_adherence.py::test_compute_breakdown_with_nans
def test_category_adherence_nans():
    real = pd.Series(["A", "B", "C", "B", "A", None])
    synth = pd.Series(["A", "B", np.nan, "C", np.nan, "B", "A", None, "D", "C"])
    # SDMetrics: 0.9 (missing is a category the real data has). Documented difference:
    # missing values are left out, so 6 of the 7 present values are inside.
    assert within_support(real, synth, "categorical").mean() == pytest.approx(6 / 7)
    documented(fidelity, "Missing values are left out: a missing value is neither inside nor outside.")


# ------------------------------------------------------------------ CorrelationSimilarity
# unit/column_pairs/statistical/test_correlation_similarity.py::
#     test_compute_breakdown_with_real_correlation_threshold[0-0.9008941765855183]
#     (and [0.35-0.9008941765855183]: the same value)
REAL_CORR = pd.DataFrame({"col1": [1.0, 2.0, 3.0, 4.0], "col2": [0.2, -1.0895, -0.6425, 1.5365]})
SYNTH_CORR = pd.DataFrame({"col1": [1.0, 2.0, 3.0, 4.0], "col2": [0.616536, -1.216536, -0.916536, 1.516536]})


def test_correlation_no_threshold():
    value = correlation_similarity(REAL_CORR["col1"], REAL_CORR["col2"], SYNTH_CORR["col1"], SYNTH_CORR["col2"])
    assert value == pytest.approx(0.9008941765855183, abs=1e-6)


# same test, [0.498212-nan] and [0.75-nan]: SDMetrics gives NaN when the real correlation
# (0.498212) is below the threshold. Documented difference: no threshold.
def test_correlation_threshold_is_a_documented_difference():
    value = correlation_similarity(REAL_CORR["col1"], REAL_CORR["col2"], SYNTH_CORR["col1"], SYNTH_CORR["col2"])
    assert np.isfinite(value)
    documented(pairwise, "there is no threshold below which a pair is left out")


# unit/.../test_correlation_similarity.py::test_compute_breakdown_constant_input
# SDMetrics raises ConstantInputError; synthkit gives NaN (the pair is skipped).
def test_correlation_constant_input():
    real = pd.DataFrame({"col1": [1.0, 1.0, 1.0], "col2": [2.0, 2.0, 2.0]})
    synth = pd.DataFrame({"col1": [0.9, 1.8, 3.1], "col2": [2, 3, 4]})
    assert np.isnan(correlation_similarity(real["col1"], real["col2"], synth["col1"], synth["col2"]))
    documented(correlation_similarity, "NaN when a real column is constant")


# ------------------------------------------------------------------ ContingencySimilarity
# unit/column_pairs/statistical/test_contingency_similarity.py::TestContingencySimilarity::test_compute_breakdown
def test_contingency_compute_breakdown():
    real = pd.DataFrame({"col1": [1.0, 2.4, 2.6, 0.8], "col2": [1, 2, 3, 5]})
    synth = pd.DataFrame({"col1": [1.0, 1.8, 2.6, 1.0], "col2": [2, 3, 4, 1]})
    assert contingency_similarity(real, synth) == 0.25


# unit/.../test_contingency_similarity.py::test_compute_with_discretization
# (col2 continuous, 4 bins): synthkit bins a numeric column of a mixed pair in evaluate()'s table
def test_contingency_with_discretization():
    real = pd.DataFrame({"col1": [1.0, 2.4, 2.6, 0.8], "col2": [1, 2, 3, 4]})
    synth = pd.DataFrame({"col1": [1.0, 1.8, 2.6, 1.0], "col2": [2, 3, 7, -10]})
    ds = from_frame(real, categorical=["col1"])
    rows, _ = pairwise.pair_trends(ds.frame, from_frame(synth).frame, ds.schema, n_boot=0, bins=4)
    assert rows[-1]["metric"] == "contingency_similarity"
    assert rows[-1]["value"] == 0.25


# unit/.../test_contingency_similarity.py::test_real_association_threshold_skips_degenerate_table
# SDMetrics: NaN (a constant column has no association above the threshold 0.1).
# Documented difference: no threshold; synthkit scores the pair.
def test_contingency_threshold_is_a_documented_difference():
    real = pd.DataFrame({"col1": ["A"] * 10, "col2": list("AABBCCDDEE")})
    synth = pd.DataFrame({"col1": ["A"] * 10, "col2": list("AACCDDEEFF")})
    assert contingency_similarity(real, synth) == pytest.approx(0.8)
    documented(pairwise, "there is no threshold below which a pair is left out")


# unit/.../test_contingency_similarity.py::test_real_association_threshold_computes_normally
# (the real association exceeds the threshold: SDMetrics scores the pair, 0 <= score <= 1)
def test_contingency_above_threshold():
    real = pd.DataFrame({"col1": ["A"] * 50 + ["B"] * 50, "col2": ["X"] * 48 + ["Y"] * 2 + ["Y"] * 48 + ["X"] * 2})
    synth = pd.DataFrame({"col1": ["A"] * 50 + ["B"] * 50, "col2": ["X"] * 45 + ["Y"] * 5 + ["Y"] * 45 + ["X"] * 5})
    assert contingency_similarity(real, synth) == pytest.approx(1 - 0.5 * 4 * 0.03)


# ------------------------------------------------------------------ NewRowSynthesis
# unit/single_table/test_new_row_synthesis.py::TestNewRowSynthesis::test_compute
# (pk and col1 are ID columns there, so they are left out of the match)
def test_new_row_synthesis_compute():
    real = pd.DataFrame({
        "col2": [1, 2, 1, 3, 4], "col3": ["a", "b", "c", "d", "b"], "col4": [1.32, np.nan, 1.43, np.nan, 2.0],
        "col5": [51, 52, 53, 54, 55],
        "col6": ["2020-01-02", "2021-01-04", "2021-05-03", "2022-10-11", "2022-11-13"],
    })
    synth = pd.DataFrame({
        "col2": [1, 3, 4, 2, 2], "col3": ["a", "b", "c", "b", "e"], "col4": [1.32, 1.56, 1.21, np.nan, 1.90],
        "col5": [51, 51, 54, 55, 53],
        "col6": ["2020-01-02", "2022-11-24", "2022-06-01", "2021-04-12", "2020-12-11"],
    })
    assert new_row_synthesis(real, synth, list(real.columns)) == pytest.approx(0.8)


# unit/.../test_new_row_synthesis.py::test_compute_breakdown_multi_line
def test_new_row_synthesis_multi_line():
    real = pd.DataFrame({"col1": ["PSC 0481, Box 5945\nAPO AP 37588", "Unit 9759 Box 8761\nDPO AE 97614"]})
    synth = pd.DataFrame({"col1": ["PSC 0481, Box 5945\nAPO AP 37588", "9759 8761\nDPO AE 97614"]})
    assert new_row_synthesis(real, synth, ["col1"]) == 0.5


# unit/.../test_new_row_synthesis.py::test_compute_with_sample_size / ..._too_large
# (SDMetrics samples 2 resp. all synthetic rows; no synthetic row copies a real one, so any sample scores 1)
@pytest.mark.parametrize("first", [1.46, 1.35])
def test_new_row_synthesis_no_copies(first):
    real = pd.DataFrame({"col1": [1, 2, 1, 3, 4], "col2": ["a", "b", "c", "d", "b"],
                         "col3": [1.32, np.nan, 1.43, np.nan, 2.0]})
    synth = pd.DataFrame({"col1": [1, 3, 4, 2, 2], "col2": ["a", "b", "c", "d", "e"],
                          "col3": [first, 1.56, 1.21, np.nan, 1.92]})
    assert new_row_synthesis(real, synth, list(real.columns)) == 1


# unit/.../test_new_row_synthesis.py::test_compute_with_many_columns (32 uniform columns)
def test_new_row_synthesis_many_columns():
    rng = np.random.default_rng(3)
    real = pd.DataFrame({f"col{i}": rng.uniform(0, 10, 100) for i in range(32)})
    synth = pd.DataFrame({f"col{i}": rng.uniform(0, 10, 100) for i in range(32)})
    assert new_row_synthesis(real, synth, list(real.columns)) == 1


# ------------------------------------------------------------------ DCR
# unit/single_table/privacy/test_dcr_utils.py::test_calculate_dcr (fixtures real_data / synthetic_data,
# the non-datetime columns)
DCR_REAL = pd.DataFrame({
    "num_col": [10, 20, np.nan, 40, 50, 60], "cat_col": ["A", "B", "A", None, "B", "C"],
    "cat_int_col": [1, 2, 1, None, 2, 3], "bool_col": [True, False, True, False, None, False],
})
DCR_SYNTH = pd.DataFrame({
    "num_col": [10, 25, 30, 21, 7, np.nan], "cat_col": ["C", None, "A", None, "B", "C"],
    "cat_int_col": [3, None, 1, None, 2, 3], "bool_col": [False, True, True, False, True, None],
})


def _dcr(reference: pd.DataFrame, data: pd.DataFrame) -> np.ndarray:
    ref = from_frame(reference, "ref", categorical=[c for c in ["cat_int_col"] if c in reference.columns])
    rep = sk.evaluate(ref, data, random_state=0, k=1, n_boot=0, families=("privacy",))
    rows = rep.rows.filter(rep.rows["source"] == "synthetic")
    return rows["dcr"].to_numpy()


def test_dcr_of_data_against_itself_is_zero():
    # expected_same_dcr_result: [0.0] * 6
    assert np.array_equal(_dcr(DCR_SYNTH, DCR_SYNTH), np.zeros(6))


def test_dcr_scale_is_a_documented_difference():
    # expected_dcr_result: [0.188888, 0.2277777, 0.4, 0.274444, 0.221111, 0.4] is SDMetrics' scale
    # (mean range-normalised difference over columns). synthkit measures DCR in the Encoder's space.
    d = _dcr(DCR_REAL, DCR_SYNTH)
    assert d.shape == (6,) and (d > 0).all()
    documented(encode, "Because the map and every distance-based metric use this one space")


# unit/single_table/privacy/test_dcr_utils.py::test_calculate_dcr_with_shuffled_data
# (20 random integers 1-100 per side; shuffling the rows of both sides keeps the DCR sum)
def test_dcr_unaffected_by_shuffled_rows():
    rng = np.random.default_rng(4)
    real = pd.DataFrame({"num_col": rng.integers(1, 101, 20)})
    synth = pd.DataFrame({"num_col": rng.integers(1, 101, 20)})
    d = _dcr(real, synth)
    d_shuffled = _dcr(real.sample(frac=1, random_state=1), synth.sample(frac=1, random_state=2))
    assert d.sum() == pytest.approx(d_shuffled.sum(), abs=1e-6)
