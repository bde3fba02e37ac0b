"""A tampered catalogue cannot make a workspace read files outside its folder."""

from __future__ import annotations

import sqlite3

import polars as pl
import pytest

import synthkit as sk
from synthkit.errors import WorkspaceError
from synthkit.workspace import DB_NAME


@pytest.fixture(scope="module")
def batch(penguins):
    return sk.generate(penguins, "bootstrap", n=30, random_state=3)


def _execute(ws_path, sql, args=()):
    con = sqlite3.connect(ws_path / DB_NAME)
    try:
        con.execute(sql, args)
        con.commit()
    finally:
        con.close()


def _decoy(path, batch):
    """A file that looks like the batch (same columns) but holds other values."""
    path.parent.mkdir(parents=True, exist_ok=True)
    decoy = batch.frame.with_columns(pl.lit("decoy:0").alias("row_id"))
    decoy.write_parquet(path)
    return path


@pytest.mark.parametrize("where", ["relative", "absolute"])
def test_a_stored_file_path_pointing_outside_is_never_read(tmp_path, penguins, batch, where):
    root = tmp_path / "ws"
    outside = _decoy(tmp_path / "outside.parquet", batch)
    with sk.Workspace.create(root, penguins) as ws:
        bid = ws.add(batch)
        tag = ws.tag([f"{bid}:0", "real:1"], "odd")
    stored = "../outside.parquet" if where == "relative" else str(outside.resolve())
    _execute(root, "UPDATE batches SET file=? WHERE batch_id=?", (stored, bid))
    outside.unlink()  # were the stored path followed, the read would now fail
    with sk.Workspace.open(root) as ws:
        back = ws.batch(bid)
        assert back.frame.equals(batch.frame)  # rows from batches/<id>.parquet, not the decoy
        assert ws.batch_ids() == [bid]
        assert ws.get_tag(tag).row_ids == (f"{bid}:0", "real:1")
        problems = ws.check()
        assert any(stored in p and "altered" in p for p in problems)


def test_a_decoy_outside_is_not_what_comes_back(tmp_path, penguins, batch):
    root = tmp_path / "ws"
    _decoy(tmp_path / "outside.parquet", batch)
    with sk.Workspace.create(root, penguins) as ws:
        bid = ws.add(batch)
    _execute(root, "UPDATE batches SET file='../outside.parquet' WHERE batch_id=?", (bid,))
    with sk.Workspace.open(root) as ws:
        assert "decoy:0" not in ws.batch(bid).frame["row_id"].to_list()


def test_a_tampered_batch_id_is_a_clear_error_and_nothing_is_lost(tmp_path, penguins, batch):
    root = tmp_path / "ws"
    _decoy(tmp_path / "outside.parquet", batch)
    with sk.Workspace.create(root, penguins) as ws:
        bid = ws.add(batch)
        other = ws.add(sk.generate(penguins, "bootstrap", n=20, random_state=4))
        tag = ws.tag(["real:2"], "keep")
    _execute(root, "UPDATE batches SET batch_id='../outside' WHERE batch_id=?", (bid,))
    with sk.Workspace.open(root) as ws:
        with pytest.raises(WorkspaceError, match="altered outside synthkit"):
            ws.batch("../outside")
        assert ws.batch(other).frame.height == 20
        assert ws.get_tag(tag).row_ids == ("real:2",)
        assert set(ws.batch_ids()) == {"../outside", other}
        assert any("altered" in p for p in ws.check())
