"""Build the compact embedded datasets in data/ from raw copies, and the maps shipped with them.

Run once by maintainers: python tools/build_data.py ../shared/data
(digits come from scikit-learn, which ships them). Not used at run time.

    python tools/build_data.py --maps [NAME ...]

fits the map of every embedded dataset (synthkit.data.DATASETS, or the names
given) at the default parameters and writes it to data/maps/<name>-<key>/
(synthkit.projection.ship). UMAP is seeded, so a rebuild with the same
versions writes the same files. Run it after changing a dataset, the Encoder
or the map's stored format.
"""

import argparse
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


def build_maps(out: Path, names: list[str] | None = None) -> list[Path]:
    """Fit and write the shipped map of each embedded dataset (default parameters) under out/maps."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import synthkit as sk
    from synthkit.projection import SHIPPED_DIR, ship

    folders = []
    for name in names or list(sk.data.DATASETS):
        folder = ship(sk.load(name), out / SHIPPED_DIR)
        size = sum(f.stat().st_size for f in folder.iterdir())
        print(f"{name}: {folder} ({size / 1e6:.2f} MB)")
        folders.append(folder)
    return folders


if __name__ == "__main__":
    data = Path(__file__).resolve().parent.parent / "data"
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("raw", nargs="*", help="folder of the raw copies (default ../shared/data); "
                                           "with --maps: the dataset names (default: all)")
    ap.add_argument("--maps", action="store_true", help="build the shipped maps instead of the datasets")
    ap.add_argument("--out", type=Path, default=data, help="the data folder to write to (default: data/)")
    args = ap.parse_args()
    if args.maps:
        build_maps(args.out, args.raw or None)
    else:
        build(Path(args.raw[0] if args.raw else "../shared/data"), data)
