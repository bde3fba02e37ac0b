"""Building blocks of a synthetic-data regression test, shared by the command line and
the template notebook ``notebooks/07_regression_test.ipynb``.

- :func:`load_seed`: an embedded dataset by name, or the user's CSV / parquet file;
- :func:`read_rows`: synthetic rows from a CSV / parquet file;
- :func:`write_rows`: rows to a CSV / parquet file;
- :func:`template_generator`: a generator by name, including two deliberately
  broken ones (``"broken-shuffle"``, ``"exact-copies"``) that prove a gate has teeth;
- :func:`accepted_report`: the last accepted report, saved first when accepting.

Nothing here prints; every bad input is a :class:`~synthkit.errors.SynthkitError`
naming the file, column or parameter at fault.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

import polars as pl

from .data import DATASETS, ROW_ID, Dataset, from_frame, load, read, read_frame
from .errors import DataError, GeneratorError

__all__ = [
    "BROKEN_GENERATORS", "TEMPLATE_GENERATOR_ENV", "ACCEPT_ENV", "load_seed", "read_rows", "write_rows",
    "template_generator", "accepted_report",
]

#: names of the deliberately broken generators (name -> (registry name or class, params, what it breaks))
BROKEN_GENERATORS: dict[str, tuple[str, dict, str]] = {
    "broken-shuffle": ("shuffled", {}, "every column drawn independently: dependence between columns is lost"),
    "exact-copies": ("bootstrap", {"noise": 0.0}, "every synthetic row is a copy of a real row: a privacy leak"),
}
#: environment variable the template notebook reads its generator from
TEMPLATE_GENERATOR_ENV = "SYNTHKIT_TEMPLATE_GENERATOR"
#: environment variable that makes the template notebook accept (save) its report
ACCEPT_ENV = "SYNTHKIT_ACCEPT"

_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq")


def load_seed(
    seed: str | os.PathLike,
    *,
    target: str | None = None,
    sensitive: Iterable[str] | str | None = None,
    categorical: Iterable[str] | str | None = None,
    text: Iterable[str] | str | None = None,
) -> Dataset:
    """The real rows: an embedded dataset (``"penguins"``, ``"digits"``, ``"adult"``) or a CSV / parquet file.

    A name that is also an existing file is read as the file. ``target``,
    ``sensitive``, ``categorical`` and ``text`` name columns; for an embedded
    dataset they replace its own roles when given.
    """
    if isinstance(seed, str) and seed in DATASETS and not Path(seed).exists():
        ds = load(seed)
        if target is None and sensitive is None and categorical is None and text is None:
            return ds
        return from_frame(ds.frame.drop(ROW_ID), ds.name, target=target if target is not None else ds.schema.target,
                          sensitive=sensitive if sensitive is not None else list(ds.schema.sensitive),
                          categorical=categorical, text=text)
    _check_file(seed, "real data", hint=f"or one of the embedded datasets {list(DATASETS)}")
    return read(seed, target=target, sensitive=sensitive, categorical=categorical, text=text)


def read_rows(path: str | os.PathLike, what: str = "synthetic data") -> pl.DataFrame:
    """The rows of a CSV / parquet file as a polars frame (``DataError`` naming the file otherwise)."""
    _check_file(path, what)
    frame = read_frame(path)
    if frame.height == 0:
        raise DataError(f"{what}: file {str(path)!r} holds no rows")
    return frame


def write_rows(frame: pl.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``frame`` to ``path`` as CSV or parquet (chosen by the suffix); returns the path."""
    p = Path(path).expanduser()
    suffix = p.suffix.lower()
    if suffix not in _SUFFIXES:
        raise DataError(f"output {str(p)!r} should end in .csv or .parquet")
    if not p.parent.exists():
        raise DataError(f"folder {str(p.parent)!r} of the output {str(p)!r} does not exist; create it first")
    if suffix in (".parquet", ".pq"):
        frame.write_parquet(p)
    else:
        frame.write_csv(p, separator="\t" if suffix == ".tsv" else ",")
    return p


def template_generator(name: str | None = None, default: str = "copula") -> Any:
    """The generator the regression template uses: a registry name, or a broken one.

    ``name`` defaults to the ``SYNTHKIT_TEMPLATE_GENERATOR`` environment variable,
    then to ``default``. ``"broken-shuffle"`` draws every column independently
    and ``"exact-copies"`` returns copies of real rows: a gate that passes either
    has no teeth. Returns what ``sk.generate`` takes (a name or a Generator).
    """
    from . import generators

    if name is None:
        name = os.environ.get(TEMPLATE_GENERATOR_ENV) or default
    if name in BROKEN_GENERATORS:
        kind, params, _ = BROKEN_GENERATORS[name]
        if kind == "shuffled":
            return generators.ShuffledColumns(**params)
        return generators.make(kind, **params)
    if name not in generators.available():
        raise GeneratorError(
            f"unknown generator {name!r} (from {TEMPLATE_GENERATOR_ENV} or the notebook's GENERATOR); "
            f"choose one of {generators.available() + list(BROKEN_GENERATORS)}"
        )
    return name


def accepted_report(report: Any, path: str | os.PathLike, accept: bool | None = None) -> Any:
    """The last accepted report stored at ``path``; with ``accept`` it first saves ``report`` there.

    ``accept`` defaults to the ``SYNTHKIT_ACCEPT`` environment variable being
    ``1``. The file keeps what a gate compares (metrics, intervals, baselines,
    settings, the data's fingerprint), not the per-row scores, so it stays small
    enough to commit. Without an accepted report the error says how to make one.
    """
    from . import load_report

    if accept is None:
        accept = os.environ.get(ACCEPT_ENV, "") == "1"
    p = Path(path).expanduser()
    if accept:
        if not p.parent.exists():
            p.parent.mkdir(parents=True)
        report.save(p, rows=False)
    elif not p.exists():
        raise DataError(
            f"no accepted report at {str(p)!r}; run once with {ACCEPT_ENV}=1 to accept the current "
            "synthetic data (see the README section 'Regression-test your synthetic data')"
        )
    return load_report(p)


def _check_file(path: Any, what: str, hint: str = "") -> None:
    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise DataError(f"{what}: expected the path of a CSV or parquet file, got {path!r}")
    p = Path(path).expanduser()
    if not p.exists():
        extra = f" {hint}" if hint else ""
        raise DataError(f"{what}: file {str(p)!r} does not exist; give the path of a CSV or parquet file{extra}")
    if p.is_dir():
        raise DataError(f"{what}: {str(p)!r} is a folder; give the path of a CSV or parquet file")
    if p.suffix.lower() not in _SUFFIXES:
        raise DataError(f"{what}: cannot read {p.name!r}; use a .csv, .tsv or .parquet file")

