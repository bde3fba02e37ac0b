"""Generator families: schema kept, deterministic by seed, faithful enough, conditions, errors."""

from __future__ import annotations

import inspect

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import ks_2samp

import synthkit as sk
from synthkit.generators import available, get, make
from synthkit.generators.base import Generator

FAMILIES = ["copula", "interpolate", "gmm", "cart", "bootstrap"]
TEMPERED = ["copula", "gmm", "cart"]
#: families that learn a model (bootstrap copies rows, so fidelity tests say nothing about it)
MODELS = [f for f in FAMILIES if f != "bootstrap"]
#: families that meet conditions exactly from matching real rows
EXACT = [f for f in FAMILIES if f in ("interpolate", "cart", "bootstrap")]


def fitted(name, ds, **params):
    return make(name, **params).fit(ds)


def check_schema(rows: pl.DataFrame, schema: sk.Schema, n: int) -> None:
    assert rows.height == n
    assert tuple(rows.columns) == schema.columns
    for c in schema.columns:
        assert rows[c].dtype == schema.polars_dtype(c), c
    for c in schema.categorical:
        assert set(rows[c].drop_nulls().to_list()) <= set(schema.categories[c]), c
    for c in schema.numeric:
        lo, hi = schema.bounds[c]
        vals = rows[c].drop_nulls()
        if vals.len():
            assert vals.min() >= lo - 1e-9 and vals.max() <= hi + 1e-9, c


# ----------------------------------------------------------------- contract
def test_registry_lists_every_family():
    for name in FAMILIES:
        assert name in available()
        cls = get(name)
        assert issubclass(cls, Generator)
        assert cls.name == name
        assert cls.summary and cls.__doc__
        params = inspect.signature(cls.__init__).parameters
        assert set(cls.key_params) <= set(params)
    assert sk.generators.External.summary and "External" in dir(sk.generators)


@pytest.mark.parametrize("name", FAMILIES)
def test_sklearn_contract(name):
    gen = make(name)
    assert make(name).get_params() == gen.get_params()
    assert not gen.is_fitted
    with pytest.raises(sk.NotFittedError):
        gen.sample(5)


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize("data", ["penguins", "digits", "adult_small"])
def test_schema_preserved(name, data, request):
    ds = request.getfixturevalue(data)
    gen = fitted(name, ds)
    assert gen.fit(ds) is gen
    rows = gen.sample(150, random_state=3)
    check_schema(rows, ds.schema, 150)
    if ds.schema.image_shape:
        px = rows.select(ds.schema.image_columns).to_numpy()
        assert px.min() >= 0 and px.max() <= 16
        assert np.all(px == np.round(px))


@pytest.mark.parametrize("name", FAMILIES)
def test_deterministic_by_seed(name, penguins):
    a = fitted(name, penguins).sample(100, random_state=7)
    b = fitted(name, penguins).sample(100, random_state=7)
    c = fitted(name, penguins).sample(100, random_state=8)
    assert a.equals(b)
    assert not a.equals(c)


@pytest.mark.parametrize("name", FAMILIES)
def test_generate_batch(name, penguins):
    batch = sk.generate(penguins, name, n=40, random_state=2)
    assert batch.id.startswith(name)
    assert batch.provenance.generator == name
    check_schema(batch.features, penguins.schema, 40)
    again = sk.generate(penguins, name, n=40, random_state=2)
    assert again.id == batch.id and again.frame.equals(batch.frame)


# ----------------------------------------------------------------- fidelity
def ks(real: pl.DataFrame, fake: pl.DataFrame, col: str) -> float:
    return ks_2samp(real[col].drop_nulls().to_numpy(), fake[col].drop_nulls().to_numpy()).statistic


def tv(real: pl.DataFrame, fake: pl.DataFrame, col: str) -> float:
    p = real[col].value_counts(normalize=True, name="p")
    q = fake[col].value_counts(normalize=True, name="q")
    j = p.join(q, on=col, how="full", coalesce=True, nulls_equal=True).fill_null(0.0)
    return 0.5 * float((j["p"] - j["q"]).abs().sum())


@pytest.mark.parametrize("name", MODELS)
def test_marginals_close_on_penguins(name, penguins):
    real = penguins.features
    fake = fitted(name, penguins).sample(2000, random_state=0)
    for c in penguins.schema.numeric:
        assert ks(real, fake, c) < 0.15, c
    for c in penguins.schema.categorical:
        assert tv(real, fake, c) < 0.1, c


@pytest.mark.parametrize("name", MODELS)
def test_correlation_kept_on_penguins(name, penguins):
    """Flipper length and body mass are strongly correlated (about 0.87) in the real rows."""
    fake = fitted(name, penguins).sample(2000, random_state=0).drop_nulls(
        ["flipper_length_mm", "body_mass_g"])
    r = np.corrcoef(fake["flipper_length_mm"].to_numpy(), fake["body_mass_g"].to_numpy())[0, 1]
    assert r > 0.7


@pytest.mark.parametrize("name", MODELS)
def test_missing_values_kept(name, penguins):
    fake = fitted(name, penguins).sample(3000, random_state=0)
    real_rate = penguins.features["sex"].null_count() / len(penguins)
    rate = fake["sex"].null_count() / fake.height
    assert abs(rate - real_rate) < 0.025


# ----------------------------------------------------------------- conditions
@pytest.mark.parametrize("name", FAMILIES)
def test_conditions_honoured(name, penguins):
    gen = fitted(name, penguins)
    rows = gen.sample(60, random_state=0, conditions={"species": "Gentoo", "sex": "female"})
    assert rows.height == 60
    assert set(rows["species"]) == {"Gentoo"}
    assert set(rows["sex"]) == {"female"}
    # Gentoo penguins are heavy: the condition carries over to the other columns
    real_gentoo = penguins.features.filter(pl.col("species") == "Gentoo")["body_mass_g"].mean()
    assert abs(rows["body_mass_g"].mean() - real_gentoo) < 600


@pytest.mark.parametrize("name", FAMILIES)
def test_impossible_condition(name, penguins):
    gen = fitted(name, penguins)
    with pytest.raises(sk.ConditionError, match="species"):
        gen.sample(5, conditions={"species": "Emperor"})
    with pytest.raises(sk.ConditionError, match="body_mass_g"):
        gen.sample(5, conditions={"body_mass_g": 4000})
    with pytest.raises(sk.ConditionError, match="wingspan"):
        gen.sample(5, conditions={"wingspan": 1})


@pytest.mark.parametrize("name", EXACT)
def test_exact_conditions_never_seen_combination(name, penguins):
    """Gentoo live only on Biscoe: exact generators say so instead of sampling forever."""
    gen = fitted(name, penguins)
    with pytest.raises(sk.ConditionError):
        gen.sample(5, conditions={"species": "Gentoo", "island": "Dream"})


@pytest.mark.parametrize("name", EXACT)
def test_exact_conditions_follow_the_real_rows(name, penguins):
    """Only Adelie penguins live on Torgersen: conditioning on the island fixes the species."""
    rows = fitted(name, penguins).sample(200, random_state=1, conditions={"island": "Torgersen"})
    assert set(rows["species"]) == {"Adelie"}


def test_cart_fits_each_visit_order_once(penguins):
    gen = fitted("cart", penguins)
    assert len(gen.steps_) == 1
    a = gen.sample(50, random_state=0, conditions={"sex": "male"})
    gen.sample(50, random_state=1, conditions={"sex": "male"})
    assert len(gen.steps_) == 2
    assert a.equals(fitted("cart", penguins).sample(50, random_state=0, conditions={"sex": "male"}))


# ----------------------------------------------------------------- temperature
def spread(rows: pl.DataFrame, schema: sk.Schema) -> float:
    """Mean standard deviation of the numeric columns, each in units of its real sd."""
    return float(np.mean([rows[c].std() for c in schema.numeric if c != "year"]))


@pytest.mark.parametrize("name", TEMPERED)
def test_temperature_below_one_reduces_spread(name, penguins):
    warm = fitted(name, penguins).sample(2000, random_state=0)
    cold = fitted(name, penguins, temperature=0.3).sample(2000, random_state=0)
    real = penguins.features
    rel = lambda rows: np.mean([rows[c].std() / real[c].std()  # noqa: E731
                                for c in penguins.schema.numeric if c != "year"])
    assert rel(cold) < 0.95 * rel(warm)
    # categories sharpen towards the most frequent one
    top = real["species"].mode()[0]
    share = lambda rows: (rows["species"] == top).mean()  # noqa: E731
    assert share(cold) > share(warm)


@pytest.mark.parametrize("name", TEMPERED)
@pytest.mark.parametrize("t", [0, -1, float("nan"), "hot", True])
def test_bad_temperature(name, t, penguins):
    with pytest.raises(sk.GeneratorError, match="temperature"):
        make(name, temperature=t).fit(penguins).sample(5)


# ----------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("name", FAMILIES)
def test_bad_inputs(name, penguins):
    gen = make(name)
    with pytest.raises(sk.SynthkitError):
        gen.fit(penguins.features.head(1))
    with pytest.raises(sk.SynthkitError):
        gen.fit(pl.DataFrame({"a": [None, None, None]}, schema={"a": pl.Float64}))
    gen.fit(penguins)
    for n in (0, -3, 2.5, "10", None):
        with pytest.raises(sk.GeneratorError, match="n"):
            gen.sample(n)


@pytest.mark.parametrize("name", FAMILIES)
def test_constant_and_two_row_frames(name):
    frame = pl.DataFrame({
        "const": [1.0, 1.0, 1.0, 1.0],
        "x": [0.5, 1.5, 2.5, 3.5],
        "k": [7, 7, 7, 7],
        "c": ["a", "a", "a", "a"],
        "d": ["u", "v", "u", None],
    })
    rows = make(name).fit(frame).sample(30, random_state=0)
    assert rows["const"].unique().to_list() == [1.0]
    assert rows["k"].unique().to_list() == [7]
    assert rows["c"].unique().to_list() == ["a"]
    assert rows["x"].min() >= 0.5 and rows["x"].max() <= 3.5
    two = make(name).fit(frame.head(2)).sample(10, random_state=0)
    assert two.height == 10


# ----------------------------------------------------------------- properties
mixed_frames = st.integers(min_value=3, max_value=25).flatmap(
    lambda n: st.fixed_dictionaries({
        "num": st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False)),
                        min_size=n, max_size=n),
        "int": st.lists(st.integers(-1000, 1000), min_size=n, max_size=n),
        "cat": st.lists(st.one_of(st.none(), st.sampled_from(["x", "y", "z w", "é"])),
                        min_size=n, max_size=n),
        "flag": st.lists(st.booleans(), min_size=n, max_size=n),
    })
).filter(lambda d: any(v is not None for v in d["num"]) and any(v is not None for v in d["cat"]))


@pytest.mark.parametrize("name", FAMILIES)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=mixed_frames, seed=st.integers(0, 2**31 - 1))
def test_any_mixed_frame_round_trips(name, data, seed):
    frame = pl.DataFrame(data, schema={"num": pl.Float64, "int": pl.Int64, "cat": pl.String,
                                       "flag": pl.Boolean})
    ds = sk.from_frame(frame, "random")
    rows = make(name).fit(ds).sample(12, random_state=seed)
    check_schema(rows, ds.schema, 12)
    assert rows.schema == frame.schema


# ----------------------------------------------------------------- External adapter
class ColumnShuffler:
    """A tiny outside model: only fit and sample (each column resampled on its own)."""

    def fit(self, frame):
        assert isinstance(frame, pl.DataFrame)
        self.frame = frame
        return self

    def sample(self, n, random_state=None):
        rng = np.random.default_rng(random_state)
        return pl.DataFrame({c: self.frame[c].to_numpy()[rng.integers(0, self.frame.height, n)]
                             for c in self.frame.columns}, strict=False)


class Unseeded:
    def fit(self, frame):
        self.frame = frame

    def sample(self, num_rows):
        return self.frame.head(num_rows)


class PandasOnly:
    """Refuses polars frames, like a pandas-only library."""

    def fit(self, frame):
        import pandas as pd

        if not isinstance(frame, pd.DataFrame):
            raise TypeError("pandas DataFrame expected")
        self.frame = frame

    def sample(self, n, seed=0):
        return self.frame.sample(n, replace=True, random_state=seed)


def test_external_wraps_fit_sample_object(penguins):
    gen = sk.generators.External(ColumnShuffler(), name="shuffler").fit(penguins)
    assert gen.frame_kind_ == "polars" and gen.seeded_
    rows = gen.sample(80, random_state=4)
    check_schema(rows, penguins.schema, 80)
    assert rows.equals(gen.sample(80, random_state=4))
    assert not rows.equals(gen.sample(80, random_state=5))
    batch = sk.generate(penguins, gen, n=30, random_state=0, fitted=True)
    assert batch.provenance.generator == "shuffler" and batch.id.startswith("shuffler-")
    cond = gen.sample(20, random_state=0, conditions={"species": "Chinstrap"})
    assert set(cond["species"]) == {"Chinstrap"}


def test_external_without_seed(penguins):
    gen = sk.generators.External(Unseeded()).fit(penguins)
    assert not gen.seeded_
    check_schema(gen.sample(10, random_state=1), penguins.schema, 10)
    with pytest.raises(sk.GeneratorError, match="returned 344 rows"):
        gen.sample(400)


def test_external_pandas_object(penguins):
    pytest.importorskip("pandas")
    gen = sk.generators.External(PandasOnly()).fit(penguins)
    assert gen.frame_kind_ == "pandas" and gen.seed_param_ == "seed"
    rows = gen.sample(50, random_state=2)
    check_schema(rows, penguins.schema, 50)
    assert rows.equals(gen.sample(50, random_state=2))


def test_external_needs_pandas_only_when_asked(penguins, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pandas", None)
    sk.generators.External(ColumnShuffler()).fit(penguins)  # polars: pandas not needed
    with pytest.raises(sk.DependencyError, match="pip install pandas"):
        sk.generators.External(PandasOnly()).fit(penguins)


def test_external_bad_objects(penguins):
    with pytest.raises(sk.GeneratorError, match="sample"):
        sk.generators.External(object()).fit(penguins)

    class Renamer(ColumnShuffler):
        def sample(self, n, random_state=None):
            return super().sample(n, random_state).rename({"sex": "gender"}).with_columns(
                pl.lit(1).alias("extra"))

    gen = sk.generators.External(Renamer()).fit(penguins)
    with pytest.raises(sk.GeneratorError, match=r"missing \['sex'\], extra \['gender', 'extra'\]"):
        gen.sample(5)

    class Broken(ColumnShuffler):
        def sample(self, n, random_state=None):
            return np.zeros((n, 8))

    with pytest.raises(sk.GeneratorError, match="ndarray"):
        sk.generators.External(Broken()).fit(penguins).sample(5)

    class BadValues(ColumnShuffler):
        def sample(self, n, random_state=None):
            return super().sample(n, random_state).with_columns(pl.lit("Emperor").alias("species"))

    with pytest.raises(sk.GeneratorError, match="species"):
        sk.generators.External(BadValues()).fit(penguins).sample(5)


@pytest.mark.parametrize("name", FAMILIES)
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_real_condition_is_honoured(name, data, penguins, fitted_on_penguins):
    """Any category that occurs in the real rows can be asked for, and every row then has it."""
    gen = fitted_on_penguins[name]
    col = data.draw(st.sampled_from(["species", "island", "sex"]))
    value = data.draw(st.sampled_from(penguins.schema.categories[col]))
    seed = data.draw(st.integers(0, 1000))
    rows = gen.sample(25, random_state=seed, conditions={col: value})
    assert rows[col].to_list() == [value] * 25
    check_schema(rows, penguins.schema, 25)



@pytest.fixture(scope="module")
def fitted_on_penguins(penguins):
    return {name: fitted(name, penguins) for name in FAMILIES}


def test_external_batch_ids_stable_across_instances(penguins):
    a = sk.generate(penguins, sk.generators.External(ColumnShuffler()), n=10, random_state=1)
    b = sk.generate(penguins, sk.generators.External(ColumnShuffler()), n=10, random_state=1)
    assert a.id == b.id
    assert a.provenance.params["obj"].endswith("ColumnShuffler")


def test_gaussian_never_seen_combination_is_a_condition_error(penguins):
    """Gentoo live only on Biscoe: the Gaussian says so like the other exact families."""
    gen = fitted("gaussian", penguins)
    with pytest.raises(sk.ConditionError, match="species='Gentoo', island='Dream'"):
        gen.sample(5, conditions={"species": "Gentoo", "island": "Dream"})
