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


def test_a_folder_named_like_a_glob_holds_a_workspace(tmp_path, penguins, batch):
    """'[', '?' and '*' in an existing path are characters, not a pattern (parquet is read without globbing)."""
    root = tmp_path / "runs[1]?*"
    root.mkdir()
    ws = sk.Workspace.create(root / "ws", penguins)
    ws.add(batch)
    ws.tag(batch.row_ids[:5].to_list(), "five")
    ws.close()
    back = sk.Workspace.open(root / "ws")
    assert back.dataset.frame.equals(penguins.frame) and back.batch(batch.id).frame.equals(batch.frame)
    assert back.tag_list()["n_rows"].to_list() == [5]
    m = sk.Map.fit(penguins, random_state=0, cache_dir=back.cache_dir, n_epochs=30)
    again = sk.Map.fit(penguins, random_state=0, cache_dir=back.cache_dir, n_epochs=30)  # from the cache
    assert again.real.equals(m.real)
    back.close()
    penguins.frame.write_parquet(root / "p.parquet")
    assert sk.read(root / "p.parquet").frame.height == penguins.frame.height
