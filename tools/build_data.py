"""Build the compact embedded datasets in data/ from raw copies.

Run once by maintainers: python tools/build_data.py ../shared/data
(digits come from scikit-learn, which ships them). Not used at run time.
"""

import sys
from pathlib import Path

import numpy as np
import polars as pl

ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education_num", "marital_status",
    "occupation", "relationship", "race", "sex", "capital_gain", "capital_loss",
    "hours_per_week", "native_country", "income",
]


def build(raw: Path, out: Path) -> None:
    out.mkdir(exist_ok=True)
    opts = dict(compression="zstd", compression_level=19, statistics=False)

    peng = pl.read_csv(raw / "penguins" / "penguins.csv", null_values=["NA"])
    assert peng.height == 344, peng.height
    peng.write_parquet(out / "penguins.parquet", **opts)

    parts = []
    for split, fname in (("train", "adult.data"), ("test", "adult.test")):
        f = pl.read_csv(
            raw / "adult" / fname, has_header=False, new_columns=ADULT_COLUMNS,
            skip_rows=1 if split == "test" else 0, null_values=["?"],
            schema_overrides={c: pl.String for c in ADULT_COLUMNS},
        )
        f = f.with_columns(pl.all().str.strip_chars())
        f = f.with_columns([pl.when(pl.col(c) == "?").then(None).otherwise(pl.col(c)).alias(c) for c in ADULT_COLUMNS])
        f = f.filter(pl.col("age").is_not_null())
        f = f.with_columns(pl.col("income").str.strip_chars_end("."), pl.lit(split).alias("split"))
        ints = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
        f = f.with_columns([pl.col(c).cast(pl.Int64) for c in ints])
        parts.append(f)
    adult = pl.concat(parts)
    assert adult.height == 48842, adult.height
    assert set(adult["income"].unique()) == {"<=50K", ">50K"}
    adult.write_parquet(out / "adult.parquet", **opts)

    from sklearn.datasets import load_digits

    d = load_digits()
    cols = {f"px_{i // 8}_{i % 8}": d.data[:, i].astype(np.int64) for i in range(64)}
    digits = pl.DataFrame(cols).with_columns(pl.Series("label", d.target.astype(np.int64)))
    assert digits.height == 1797
    digits.write_parquet(out / "digits.parquet", **opts)


if __name__ == "__main__":
    build(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data"), Path(__file__).resolve().parent.parent / "data")
