"""The embedded text dataset and text columns in users' own files."""

from __future__ import annotations

import polars as pl
import pytest

import synthkit as sk
from synthkit.data import DATASETS, TEXT_DATASETS, ROW_ID, data_dir


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
