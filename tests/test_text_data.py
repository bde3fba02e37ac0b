"""The embedded text dataset and text columns in users' own files."""

from __future__ import annotations

import polars as pl
import pytest

import synthkit as sk
from synthkit.data import DATASETS, ROW_ID, TEXT_DATASETS, LooksLikeTextWarning, data_dir, looks_like_text


@pytest.fixture(scope="module")
def shakespeare() -> sk.Dataset:
    return sk.load("shakespeare")


# ----------------------------------------------------------------- the embedded dataset
def test_shakespeare_schema(shakespeare):
    s = shakespeare.schema
    assert "shakespeare" in DATASETS and "shakespeare" in TEXT_DATASETS
    assert len(shakespeare) == 10_000
    assert s.text == ("text",) and s.kind("text") == "text"
    assert s.target == "genre" and s.task == "classification"
    assert s.categories["genre"] == ("comedy", "history", "tragedy")
    assert s.categorical == ("play", "genre") and len(s.categories["play"]) == 37
    assert s.meta == ("speaker",) and "speaker" not in s.columns
    assert shakespeare.frame.columns[0] == ROW_ID
    assert shakespeare.frame[ROW_ID].head(2).to_list() == ["real:0", "real:1"]
    assert "1 text" in repr(shakespeare)


def test_shakespeare_rows(shakespeare):
    f = shakespeare.frame
    assert f.null_count().sum_horizontal().item() == 0
    words = f["text"].str.split(" ").list.len()
    assert words.min() >= 5 and words.max() <= 40
    # stage directions and headings are gone
    assert not f["text"].str.contains(r"[\[\]{}]").any()
    assert not f["text"].str.contains(r"\b(?:Exeunt|ACT|SCENE)\b").any()
    assert f["text"].n_unique() > 9_900
    # every genre is well represented, and each play has one genre
    shares = f["genre"].value_counts(normalize=True)
    assert shares["proportion"].min() > 0.2
    assert f.group_by("play").agg(pl.col("genre").n_unique())["genre"].max() == 1
    genre = dict(f.select("play", "genre").unique().iter_rows())
    assert genre["Hamlet"] == "tragedy" and genre["Henry V"] == "history" and genre["The Tempest"] == "comedy"
    hamlet = f.filter(pl.col("play") == "Hamlet")["speaker"].value_counts(sort=True)
    assert hamlet["speaker"][0] == "HAMLET"  # abbreviated names were expanded


def test_shakespeare_file_is_small():
    assert (data_dir() / "shakespeare.parquet").stat().st_size < 2_000_000


def test_shakespeare_is_loaded_afresh_and_equal(shakespeare):
    again = sk.load("shakespeare")
    assert again.fingerprint == shakespeare.fingerprint


# ----------------------------------------------------------------- the build (offline parts)
def test_build_pieces_cut_long_speeches_at_sentences():
    build = _build_module()
    long = " ".join(["Words go here now."] * 20)  # 80 words, 20 sentences
    pieces = build._pieces(long)
    assert len(pieces) == 2 and all(5 <= len(p.split()) <= 40 for p in pieces)
    assert build._pieces("Too short.") == []
    assert build._pieces("A bracket left behind here soldiers.] And more words.") == []


def test_build_speeches_parse_speakers_and_directions():
    build = _build_module()
    play = (
        "PERSONS REPRESENTED.\n\nHamlet, Prince of Denmark.\nHoratio, his friend.\n\n"
        "ACT I.\n\nScene I. A platform.\n\n[Enter Hamlet and Horatio.]\n\n"
        "Ham.\nWho is there? [Aside] Speak,\nand unfold yourself.\n\n"
        "Hor.\nA friend to this ground.\n\nHam.\nThen stay awhile. Exit\n\n"
        "Hor.\nI will, my lord.\n"
    )
    speeches = build._speeches(play)
    assert speeches == [
        ("HAMLET", "Who is there? Speak, and unfold yourself."),
        ("HORATIO", "A friend to this ground."),
        ("HAMLET", "Then stay awhile."),
        ("HORATIO", "I will, my lord."),
    ]
    assert set(build.PLAYS) and {g for _t, g in build.PLAYS.values()} == {"comedy", "history", "tragedy"}
    assert len(build.PLAYS) == 37


def _build_module():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "tools" / "build_data.py"
    spec = importlib.util.spec_from_file_location("_build_data", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# ----------------------------------------------------------------- text in the user's own files
def _reviews(n: int = 40) -> pl.DataFrame:
    words = ["good", "bad", "food", "service", "slow", "friendly", "cold", "warm", "price", "view"]
    text = [" ".join(words[(i * k) % 10] for k in range(1, 8)) + f" visit {i}" for i in range(n)]
    return pl.DataFrame({"review": text, "stars": [i % 5 + 1 for i in range(n)],
                         "label": ["pos" if i % 2 else "neg" for i in range(n)]})


def test_read_csv_with_a_text_column(tmp_path):
    path = tmp_path / "reviews.csv"
    _reviews().write_csv(path)
    ds = sk.read(path, text=["review"], target="label")
    assert ds.schema.text == ("review",) and ds.schema.kind("review") == "text"
    assert ds.schema.categorical == ("label",) and "review" not in ds.schema.categories
    assert ds.schema.dtypes["review"] == "String"


def test_empty_or_all_null_text_column_names_it():
    frame = _reviews().with_columns(pl.lit(None, dtype=pl.String).alias("review"))
    with pytest.raises(sk.SynthkitError, match="text column 'review' holds no text"):
        sk.from_frame(frame, text=["review"])
    blank = _reviews().with_columns(pl.lit("  ").alias("review"))
    with pytest.raises(sk.SynthkitError, match="'review' holds no text.*fill it"):
        sk.from_frame(blank, text="review")


def test_non_string_values_in_a_text_column_name_it():
    with pytest.raises(sk.SynthkitError, match="text column 'stars' has dtype Int64.*cast"):
        sk.from_frame(_reviews(), text=["stars"])
    pd = pytest.importorskip("pandas")
    mixed = pd.DataFrame({"review": ["a fine day", 3, "rain again"], "k": [1, 2, 3]})
    with pytest.raises(sk.SynthkitError, match="column 'review' mixes value types \\(int, str\\)"):
        sk.from_frame(mixed, text=["review"])


def test_a_one_megabyte_document_is_refused():
    frame = _reviews(3).with_columns(pl.Series("review", ["word " * 200_000, "short", "also short"]))
    with pytest.raises(sk.SynthkitError, match="'review' holds a document of 1,000,000 characters.*split"):
        sk.from_frame(frame, text=["review"])


def test_non_utf8_bytes_in_a_csv_name_the_column(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("id,review,label\n1,a caf\xe9 by the sea,pos\n2,cold soup,neg\n".encode("latin-1"))
    with pytest.raises(sk.SynthkitError, match=r"not UTF-8.*\['review'\].*row 1.*encoding='latin-1'"):
        sk.read(path, text=["review"])
    ds = sk.read(path, text=["review"], encoding="latin-1")
    assert ds.frame["review"][0] == "a caf\xe9 by the sea"


def test_a_text_column_named_as_categorical_is_refused():
    with pytest.raises(sk.SchemaError, match="'review' is named as a category.*free text.*text=\\['review'\\]"):
        sk.from_frame(_reviews(), categorical=["review"])
    with pytest.raises(sk.SchemaError, match="'review'.*looks like free text"):
        sk.from_frame(_reviews(), target="review")


def test_a_text_column_inferred_as_categorical_warns_and_says_what_to_do():
    with pytest.warns(LooksLikeTextWarning, match="'review' looks like free text.*text=\\['review'\\]"):
        ds = sk.from_frame(_reviews())
    assert "review" in ds.schema.categorical  # kept as asked, but the user is told
    # short labels, few rows or repeated values are not text
    assert looks_like_text(pl.Series(["red", "green"] * 30)) is None
    assert looks_like_text(_reviews(10)["review"]) is None
    assert looks_like_text(pl.Series(["the same five word line"] * 40)) is None
    # named as text or meta: no warning (pytest turns synthkit warnings into errors)
    sk.from_frame(_reviews(), text=["review"])
    sk.from_frame(_reviews(), meta=["review"])


def test_a_text_column_of_numbers_in_synthetic_rows_is_refused():
    import polars as pl

    from synthkit.data import conform
    from synthkit.errors import SchemaError

    ds = sk.load("shakespeare").sample(50, random_state=0)
    bad = ds.frame.with_columns(pl.Series("text", list(range(ds.frame.height))))
    with pytest.raises(SchemaError, match="text column\\(s\\) \\['text'\\] hold"):
        conform(bad, ds.schema, what="synthetic data")
    with pytest.raises(SchemaError, match="not text"):
        sk.evaluate(ds, bad.drop("row_id"))
    assert conform(ds.frame, ds.schema).height == 50  # strings pass
