"""Workspace behaviour: create/open, batches, tags, region rules, undo/redo, curate, export."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit.errors import DataError, WorkspaceError
from synthkit.workspace import DB_NAME, default_author


@pytest.fixture()
def ws(tmp_path, penguins):
    with sk.Workspace.create(tmp_path / "ws", penguins) as w:
        yield w


@pytest.fixture(scope="module")
def batch(penguins):
    return sk.generate(penguins, "bootstrap", n=60, random_state=1)


@pytest.fixture(scope="module")
def batch2(penguins):
    return sk.generate(penguins, "bootstrap", n=40, random_state=2, noise=0.1)


def _db_rows(ws, sql):
    con = sqlite3.connect(ws.path / DB_NAME)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# --------------------------------------------------------------------------- create / open
def test_create_and_reopen_restore_the_dataset_exactly(tmp_path, penguins):
    path = tmp_path / "ws"
    ws = sk.Workspace.create(path, penguins)
    assert ws.path == path.resolve()
    assert (path / "real.parquet").is_file() and (path / DB_NAME).is_file()
    ws.close()
    with sk.Workspace.open(path) as again:
        ds = again.dataset
        assert ds.name == penguins.name
        assert ds.schema == penguins.schema
        assert ds.frame.equals(penguins.frame)
        assert ds.frame.schema == penguins.frame.schema
        assert ds.fingerprint == penguins.fingerprint
        assert again.cache_dir.is_dir() and again.cache_dir.parent == again.path


def test_create_accepts_a_frame_and_keeps_its_row_ids(tmp_path):
    frame = pl.DataFrame({"row_id": ["a", "b", "c"], "x": [1.0, 2.0, 3.0], "k": ["u", "v", "u"]})
    with sk.Workspace.create(tmp_path / "w", frame) as ws:
        assert ws.dataset.row_ids.to_list() == ["a", "b", "c"]
        tid = ws.tag(["b"], "ok")
        assert ws.tags()["source"].to_list() == ["real"]
        assert ws.get_tag(tid).row_ids == ("b",)


def test_create_refuses_existing_workspace_unless_exist_ok(tmp_path, penguins, digits):
    path = tmp_path / "ws"
    sk.Workspace.create(path, penguins).close()
    with pytest.raises(WorkspaceError, match="already a workspace"):
        sk.Workspace.create(path, penguins)
    with sk.Workspace.create(path, penguins, exist_ok=True) as ws:
        assert ws.dataset.name == "penguins"
    with pytest.raises(WorkspaceError, match="different real data"):
        sk.Workspace.create(path, digits, exist_ok=True)


def test_create_into_empty_folder_but_not_a_full_one(tmp_path, penguins):
    empty = tmp_path / "empty"
    empty.mkdir()
    sk.Workspace.create(empty, penguins).close()
    assert (empty / DB_NAME).is_file()
    full = tmp_path / "full"
    full.mkdir()
    (full / "notes.txt").write_text("mine")
    with pytest.raises(WorkspaceError, match="not a synthkit workspace"):
        sk.Workspace.create(full, penguins)
    assert (full / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in full.iterdir()) == ["notes.txt"]
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(WorkspaceError, match="is a file"):
        sk.Workspace.create(afile, penguins)
    # no temporary folders are left behind
    assert not [p for p in tmp_path.iterdir() if ".creating-" in p.name]


def test_open_missing_folder(tmp_path):
    with pytest.raises(WorkspaceError, match="does not exist"):
        sk.Workspace.open(tmp_path / "nope")
    assert not (tmp_path / "nope").exists()


def test_closed_workspace_raises(ws):
    ws.close()
    ws.close()  # twice is fine
    assert ws.closed
    with pytest.raises(WorkspaceError, match="closed"):
        ws.tags()
    assert "closed" in repr(ws)


def test_bad_arguments(tmp_path, penguins):
    with pytest.raises(DataError, match="timeout"):
        sk.Workspace.create(tmp_path / "a", penguins, timeout=-1)
    with pytest.raises(DataError, match="author"):
        sk.Workspace.create(tmp_path / "b", penguins, author="  ")
    with pytest.raises(DataError):
        sk.Workspace.create(tmp_path / "c", "not a dataset")


# --------------------------------------------------------------------------- batches
def test_add_roundtrips_rows_schema_and_provenance(ws, batch):
    assert ws.add(batch) == batch.id
    got = ws.batch(batch.id)
    assert got.id == batch.id
    assert got.frame.equals(batch.frame) and got.frame.schema == batch.frame.schema
    assert got.schema == batch.schema
    assert got.provenance == batch.provenance
    assert (ws.path / "batches" / f"{batch.id}.parquet").is_file()


def test_add_same_batch_twice_is_a_noop(ws, batch):
    ws.add(batch)
    n_log = ws.history().height
    assert ws.add(batch) == batch.id
    assert ws.history().height == n_log
    assert ws.batches().height == 1


def test_batches_table(ws, batch, batch2):
    ws.add(batch)
    ws.add(batch2)
    t = ws.batches()
    assert t.columns[:8] == ["batch_id", "generator", "n", "random_state", "generation", "fitted_on",
                             "created_at", "params"]
    assert t["batch_id"].to_list() == [batch.id, batch2.id]
    assert t["n"].to_list() == [60, 40]
    assert t["random_state"].to_list() == [1, 2]
    assert t["fitted_on"].to_list() == ["real", "real"]
    assert json.loads(t["params"][1]) == {"noise": 0.1}
    assert t["created_at"].dtype == pl.Datetime("us", "UTC")
    assert ws.batch_ids() == [batch.id, batch2.id]


def test_batches_table_empty_has_types(ws):
    t = ws.batches()
    assert t.height == 0 and t.schema["n"] == pl.Int64


def test_add_rejects_foreign_and_malformed_batches(ws, batch, digits):
    with pytest.raises(DataError, match="Batch"):
        ws.add(batch.frame)
    other = sk.generate(digits, "bootstrap", n=5, random_state=0)
    with pytest.raises(DataError, match="columns"):
        ws.add(other)
    shuffled = sk.Batch(batch.id, batch.frame.reverse(), batch.schema, batch.provenance)
    with pytest.raises(DataError, match="row ids"):
        ws.add(shuffled)
    assert ws.batches().height == 0


def test_different_batch_under_same_id_is_refused(ws, batch):
    ws.add(batch)
    changed = batch.frame.with_columns(pl.col("body_mass_g") + 1)
    impostor = sk.Batch(batch.id, changed, batch.schema, batch.provenance)
    with pytest.raises(WorkspaceError, match="different batch"):
        ws.add(impostor)
    assert ws.batch(batch.id).frame.equals(batch.frame)


def test_unknown_batch(ws, batch):
    ws.add(batch)
    with pytest.raises(WorkspaceError, match="no batch 'copula-00000000'.*" + batch.id):
        ws.batch("copula-00000000")
    with pytest.raises(DataError):
        ws.batch(3)


def test_missing_parquet_is_reported_and_readding_restores(ws, batch):
    ws.add(batch)
    f = ws.path / "batches" / f"{batch.id}.parquet"
    f.unlink()
    assert batch.id in ws.batches()["batch_id"].to_list()  # provenance kept
    with pytest.raises(WorkspaceError, match="missing.*ws.add"):
        ws.batch(batch.id)
    assert any("missing" in p for p in ws.check())
    ws.add(batch)
    assert ws.batch(batch.id).frame.equals(batch.frame)
    assert ws.check() == []


def test_damaged_parquet_is_reported(ws, batch):
    ws.add(batch)
    f = ws.path / "batches" / f"{batch.id}.parquet"
    f.write_bytes(b"garbage" * 10)
    with pytest.raises(WorkspaceError, match="cannot be read"):
        ws.batch(batch.id)


def test_remove_batch_and_undo(ws, batch, batch2):
    ws.add(batch)
    ws.add(batch2)
    ws.remove_batch(batch.id)
    assert ws.batch_ids() == [batch2.id]
    assert ws.batches(include_removed=True)["removed"].to_list() == [True, False]
    assert (ws.path / "batches" / f"{batch.id}.parquet").is_file()  # rows stay on disk
    with pytest.raises(WorkspaceError, match="removed"):
        ws.curate(batch.id)
    with pytest.raises(WorkspaceError, match="already removed|was removed"):
        ws.remove_batch(batch.id)
    assert "removal of batch" in ws.undo()
    assert ws.batch_ids() == [batch.id, batch2.id]


def test_readding_a_removed_batch_brings_it_back(ws, batch):
    ws.add(batch)
    ws.remove_batch(batch.id)
    ws.add(batch)
    assert ws.batch_ids() == [batch.id]
    assert json.loads(ws.history()["details"][-1])["restored"] is True


# --------------------------------------------------------------------------- tags
def test_tag_records_everything(ws, batch):
    ws.add(batch)
    ids = [f"{batch.id}:3", "real:0", f"{batch.id}:7"]
    tid = ws.tag(ids, "off-manifold", note="far from the real rows")
    t = ws.tags()
    assert t.columns == ["tag_id", "label", "note", "author", "created_at", "row_id", "source"]
    assert t["row_id"].to_list() == ids  # order as given
    assert t["source"].to_list() == [batch.id, "real", batch.id]
    assert set(t["tag_id"]) == {tid}
    assert t["author"][0] == default_author()
    assert t["created_at"].dtype == pl.Datetime("us", "UTC")
    assert t["note"][0] == "far from the real rows"
    tag = ws.get_tag(tid)
    assert tag.label == "off-manifold" and tag.row_ids == tuple(ids) and tag.active
    assert len(tag) == 3


def test_tag_author_session_and_explicit(tmp_path, penguins):
    with sk.Workspace.create(tmp_path / "w", penguins, author="ana") as ws:
        a = ws.tag(["real:1"], "ok")
        b = ws.tag(["real:2"], "ok", author="bo")
        assert ws.get_tag(a).author == "ana" and ws.get_tag(b).author == "bo"
        assert ws.history()["author"].to_list()[-2:] == ["ana", "bo"]


def test_tag_dedupes_row_ids_and_accepts_frames(ws, batch):
    ws.add(batch)
    tid = ws.tag(batch.frame.head(5), "near-copy")
    assert ws.get_tag(tid).row_ids == tuple(batch.frame["row_id"].head(5))
    tid2 = ws.tag(["real:1", "real:1", "real:2"], "ok")
    assert ws.get_tag(tid2).row_ids == ("real:1", "real:2")


def test_unknown_row_ids_write_nothing(ws, batch):
    ws.add(batch)
    ws.tag(["real:0"], "ok")
    before_log = ws.history().height
    for bad in (["real:0", "real:99999"], [f"{batch.id}:60"], [f"{batch.id}:01"], ["copula-deadbeef:0"],
                ["nonsense"]):
        with pytest.raises(DataError, match="nothing was tagged"):
            ws.tag(bad, "off-manifold")
    assert ws.tags().height == 1
    assert ws.history().height == before_log
    assert _db_rows(ws, "SELECT COUNT(*) FROM tags")[0][0] == 1
    assert _db_rows(ws, "SELECT COUNT(*) FROM tag_rows")[0][0] == 1


def test_rows_of_removed_batch_cannot_be_tagged(ws, batch):
    ws.add(batch)
    ws.remove_batch(batch.id)
    with pytest.raises(DataError, match="removed batch"):
        ws.tag([f"{batch.id}:0"], "ok")


def test_bad_tag_arguments(ws):
    with pytest.raises(DataError, match="label"):
        ws.tag(["real:0"], "")
    with pytest.raises(DataError, match="no row ids"):
        ws.tag([], "ok")
    with pytest.raises(DataError, match="polygon"):
        ws.tag(["real:0"], "ok", polygon=[[0, 0], [1, 1]])
    with pytest.raises(DataError, match="map_hash"):
        ws.tag(["real:0"], "ok", map_hash=5)
    assert ws.tags().height == 0


def test_unicode_and_odd_labels_and_notes_roundtrip(tmp_path, penguins):
    labels = ["hors-variété", "🚩", "a'b\"c", "; DROP TABLE tags; --", "100% copy", "日本"]
    note = "line 1\nline 2\t∑ 🚩 '\"\\"
    path = tmp_path / "w"
    with sk.Workspace.create(path, penguins, author="Zoë") as ws:
        for i, lab in enumerate(labels):
            ws.tag([f"real:{i}"], lab, note=note)
    with sk.Workspace.open(path) as ws:
        t = ws.tags()
        assert t["label"].to_list() == labels
        assert set(t["note"]) == {note}
        assert set(t["author"]) == {"Zoë"}
        assert sorted(ws.tag_counts()["label"].to_list()) == sorted(labels)
        assert ws.rows_tagged("; DROP TABLE tags; --") == {"real:3"}


def test_untag_and_errors(ws):
    tid = ws.tag(["real:0", "real:1"], "ok")
    ws.untag(tid)
    assert ws.tags().height == 0
    assert not ws.get_tag(tid).active
    with pytest.raises(WorkspaceError, match="already withdrawn"):
        ws.untag(tid)
    with pytest.raises(WorkspaceError, match="no tag 999"):
        ws.untag(999)
    with pytest.raises(DataError, match="integer"):
        ws.untag("1")
    ws.untag(np.int64(ws.tag(["real:3"], "ok")))  # numpy ints (from frames) work


def test_tag_counts_and_rows_tagged(ws, batch):
    ws.add(batch)
    ws.tag([f"{batch.id}:1", f"{batch.id}:2"], "off-manifold")
    ws.tag([f"{batch.id}:2", f"{batch.id}:3"], "off-manifold")
    ws.tag(["real:0"], "near-copy")
    c = ws.tag_counts()
    assert c.to_dicts() == [
        {"label": "near-copy", "n_tags": 1, "n_rows": 1},
        {"label": "off-manifold", "n_tags": 2, "n_rows": 3},
    ]
    assert ws.rows_tagged("off-manifold") == {f"{batch.id}:{i}" for i in (1, 2, 3)}
    assert ws.rows_tagged(["near-copy", "off-manifold"]) == {"real:0"} | {f"{batch.id}:{i}" for i in (1, 2, 3)}
    assert ws.rows_tagged("missing-mode") == set()
    assert ws.rows_tagged([]) == set()


def test_tidy_tags_table_matches_tag_list(ws):
    for k in range(1, 6):
        ws.tag([f"real:{i}" for i in range(k)], f"l{k % 2}")
    t = ws.tags()
    lst = ws.tag_list()
    per = t.group_by("tag_id").len().sort("tag_id")
    assert per["len"].to_list() == lst["n_rows"].to_list() == [1, 2, 3, 4, 5]
    assert ws.tag_counts()["n_tags"].sum() == lst.height == 5


def test_large_tag(ws, tmp_path):
    ids = [f"real:{i}" for i in range(344)]
    frame = pl.DataFrame({"x": np.arange(12_000, dtype=float), "k": ["a", "b", "c"] * 4000})
    with sk.Workspace.create(tmp_path / "big", frame) as big:
        many = [f"real:{i}" for i in range(10_000)]
        tid = big.tag(many, "biased", note="10k rows")
        assert len(big.get_tag(tid).row_ids) == 10_000
        assert big.tag_counts()["n_rows"].to_list() == [10_000]
        assert big.rows_tagged("biased") == set(many)
        assert big.tags().height == 10_000
    assert ws.tag(ids, "ok") == 1


# --------------------------------------------------------------------------- undo / redo / history
def test_undo_each_action(ws, batch):
    ws.add(batch)
    tid = ws.tag(["real:0"], "ok")
    ws.untag(tid)
    assert ws.undo().startswith("undid untag")
    assert ws.tags()["tag_id"].to_list() == [tid]
    assert ws.undo().startswith("undid tag")
    assert ws.tags().height == 0
    assert ws.undo().startswith("undid add")
    assert ws.batch_ids() == []
    with pytest.raises(WorkspaceError, match="nothing to undo"):
        ws.undo()


def test_undo_skips_log_only_actions(ws, batch):
    ws.add(batch)
    tid = ws.tag([f"{batch.id}:0"], "off-manifold")
    ws.curate(batch.id)
    assert ws.undo() == f"undid tag {tid} ('off-manifold', 1 rows)"
    assert ws.curate(batch.id).height == 60


def test_redo_follows_the_undo_stack(ws):
    a = ws.tag(["real:0"], "a")
    b = ws.tag(["real:1"], "b")
    ws.undo()
    ws.undo()
    assert ws.tags().height == 0
    assert ws.redo() == f"redid tag {a} ('a', 1 rows)"
    assert ws.redo() == f"redid tag {b} ('b', 1 rows)"
    with pytest.raises(WorkspaceError, match="nothing to redo"):
        ws.redo()
    assert set(ws.tags()["tag_id"]) == {a, b}


def test_new_action_clears_redo(ws):
    ws.tag(["real:0"], "a")
    b = ws.tag(["real:1"], "b")
    ws.undo()  # b
    c = ws.tag(["real:2"], "c")
    with pytest.raises(WorkspaceError, match="nothing to redo"):
        ws.redo()
    ws.undo()  # c
    ws.undo()  # a  (b stays undone: it was abandoned)
    assert ws.redo().startswith("redid tag 1")
    assert ws.redo() == f"redid tag {c} ('c', 1 rows)"
    with pytest.raises(WorkspaceError, match="nothing to redo"):
        ws.redo()
    assert set(ws.tags()["tag_id"]) == {1, c}
    assert b not in set(ws.tags()["tag_id"])


def test_undo_redo_random_walk_matches_a_model(ws):
    """Random tag/untag/undo/redo sequences agree with a plain list-based model."""
    rng = np.random.default_rng(0)
    active: set[int] = set()
    done: list[tuple[str, int]] = []
    redo: list[tuple[str, int]] = []
    for step in range(120):
        r = rng.random()
        if r < 0.35 or not (active or done or redo):
            tid = ws.tag([f"real:{step % 300}"], "x")
            active.add(tid)
            done.append(("tag", tid))
            redo.clear()
        elif r < 0.5 and active:
            tid = int(rng.choice(sorted(active)))
            ws.untag(tid)
            active.discard(tid)
            done.append(("untag", tid))
            redo.clear()
        elif r < 0.8:
            if not done:
                with pytest.raises(WorkspaceError):
                    ws.undo()
                continue
            kind, tid = done.pop()
            ws.undo()
            (active.discard if kind == "tag" else active.add)(tid)
            redo.append((kind, tid))
        else:
            if not redo:
                with pytest.raises(WorkspaceError):
                    ws.redo()
                continue
            kind, tid = redo.pop()
            ws.redo()
            (active.add if kind == "tag" else active.discard)(tid)
            done.append((kind, tid))
        assert set(ws.tags()["tag_id"]) == active


def test_history_is_an_audit_log(ws, batch):
    ws.add(batch)
    tid = ws.tag(["real:0"], "ok")
    ws.untag(tid)
    ws.undo()
    ws.curate(batch.id)
    h = ws.history()
    assert h.columns[:5] == ["action_id", "time", "author", "action", "details"]
    assert h["action"].to_list() == ["create", "add", "tag", "untag", "undo", "curate"]
    assert h["action_id"].is_sorted()
    assert h["time"].is_sorted()
    assert h["undone"].to_list() == [False, False, False, True, False, False]
    details = [json.loads(d) for d in h["details"]]
    assert details[2]["tag_id"] == tid and details[4]["undid"] == h["action_id"][3]


# --------------------------------------------------------------------------- region rules
def test_apply_region(ws, batch):
    ws.add(batch)
    square = [[0, 0], [1, 0], [1, 1], [0, 1]]
    tid = ws.tag([f"{batch.id}:0"], "off-manifold", polygon=square, map_hash="map-1")
    placed = pl.DataFrame({"row_id": ["p:0", "p:1", "p:2", "p:3"],
                           "x": [0.5, 1.5, 0.1, np.nan], "y": [0.5, 0.5, 0.9, 0.5]})
    assert ws.apply_region(tid, placed, map_hash="map-1") == ["p:0", "p:2"]
    assert ws.apply_region(tid, placed.with_columns(map_hash=pl.lit("map-1"))) == ["p:0", "p:2"]
    assert ws.apply_region(tid, placed.head(0), map_hash="map-1") == []
    with pytest.raises(WorkspaceError, match="drawn on map map-1.*map-2"):
        ws.apply_region(tid, placed, map_hash="map-2")
    with pytest.raises(DataError, match="map_hash"):
        ws.apply_region(tid, placed)
    with pytest.raises(DataError, match="lacks column"):
        ws.apply_region(tid, placed.drop("y"), map_hash="map-1")
    plain = ws.tag(["real:0"], "ok")
    with pytest.raises(WorkspaceError, match="no polygon"):
        ws.apply_region(plain, placed, map_hash="map-1")
    stored = ws.get_tag(tid)
    assert stored.polygon == tuple((float(x), float(y)) for x, y in square)
    assert stored.map_hash == "map-1"


def test_tag_region_flags_new_rows(ws, batch, batch2):
    ws.add(batch)
    ws.add(batch2)
    tri = {"x": [0, 2, 0], "y": [0, 0, 2]}
    tid = ws.tag([f"{batch.id}:0"], "off-manifold", polygon=tri, map_hash="h")
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 2, size=(40, 2))
    placed = pl.DataFrame({"row_id": batch2.frame["row_id"], "x": xy[:, 0], "y": xy[:, 1]})
    new = ws.tag_region(tid, placed, map_hash="h")
    want = [r for r, (x, y) in zip(placed["row_id"], xy) if x + y < 2]
    assert new is not None and list(ws.get_tag(new).row_ids) == want
    assert ws.get_tag(new).label == "off-manifold" and ws.get_tag(new).map_hash == "h"
    far = placed.with_columns(pl.col("x") + 10)
    assert ws.tag_region(tid, far, map_hash="h") is None


# --------------------------------------------------------------------------- curate / export
def test_curate_drops_tagged_rows_and_logs_counts(ws, batch):
    ws.add(batch)
    ws.tag([f"{batch.id}:{i}" for i in (0, 1, 2)], "off-manifold")
    ws.tag([f"{batch.id}:{i}" for i in (2, 3)], "near-copy")
    ws.tag([f"{batch.id}:{i}" for i in (4,)], "implausible")
    ws.tag(["real:0"], "off-manifold")
    kept = ws.curate(batch.id)
    dropped = {f"{batch.id}:{i}" for i in range(4)}
    assert kept.height == 56
    assert set(kept["row_id"]) == set(batch.frame["row_id"]) - dropped
    assert kept.columns == batch.frame.columns
    assert kept.equals(batch.frame.filter(~pl.col("row_id").is_in(list(dropped))))
    entry = json.loads(ws.history().filter(pl.col("action") == "curate")["details"][-1])
    assert entry["n_in"] == 60 and entry["n_dropped"] == 4 and entry["n_kept"] == 56
    assert entry["by_label"] == {"off-manifold": 3, "near-copy": 2}
    assert ws.curate(batch.id, drop="implausible").height == 59
    assert ws.curate(batch.id, drop=[]).height == 60
    assert ws.curate(batch.id, drop=None, drop_rows=[f"{batch.id}:9"]).height == 59


def test_export_parquet_and_csv_roundtrip(ws, batch, batch2, tmp_path):
    ws.add(batch)
    ws.add(batch2)
    ws.tag([f"{batch.id}:0", f"{batch2.id}:5"], "off-manifold")
    want = pl.concat([ws.curate(batch.id), ws.curate(batch2.id)])
    assert want.height == 98
    p = ws.export(tmp_path / "out.parquet")
    assert pl.read_parquet(p).equals(want)
    c = ws.export(tmp_path / "out.csv")
    back = pl.read_csv(c, schema=want.schema)
    assert back.equals(want)
    one = ws.export(tmp_path / "one.parquet", batch_id=batch2.id, drop=())
    assert pl.read_parquet(one).equals(batch2.frame)
    entries = ws.history().filter(pl.col("action") == "export")
    assert entries.height == 3
    assert json.loads(entries["details"][0])["n_rows"] == 98
    assert not [f for f in tmp_path.iterdir() if f.name.endswith(".tmp")]


def test_export_csv_with_odd_strings(tmp_path):
    frame = pl.DataFrame({"v": [1.5, 2.5, None, 4.0], "s": ['a,b', 'say "hi"', "line\nbreak", "é🚩"]})
    ds = sk.from_frame(frame, "odd")
    b = sk.generate(ds, "bootstrap", n=30, random_state=0)
    with sk.Workspace.create(tmp_path / "w", ds) as ws:
        ws.add(b)
        out = ws.export(tmp_path / "odd.csv", drop=())
        back = pl.read_csv(out, schema=b.frame.schema)
        assert back.equals(b.frame)


def test_export_errors(ws, batch, tmp_path):
    with pytest.raises(WorkspaceError, match="no batches"):
        ws.export(tmp_path / "x.parquet")
    ws.add(batch)
    with pytest.raises(DataError, match="parquet or .csv"):
        ws.export(tmp_path / "x.xlsx")
    with pytest.raises(DataError, match="does not exist"):
        ws.export(tmp_path / "no" / "x.csv")
    (tmp_path / "keep.csv").write_text("old")
    ws.tag([f"{batch.id}:{i}" for i in range(60)], "off-manifold")
    out = ws.export(tmp_path / "keep.csv")  # everything dropped: header only, replaced whole
    assert pl.read_csv(out).height == 0


def test_repr(ws, batch):
    ws.add(batch)
    ws.tag(["real:1"], "ok")
    assert "1 batches, 1 tags" in repr(ws) and "penguins" in repr(ws)


def test_rows_looks_up_real_and_synthetic_values(ws, batch, penguins):
    ws.add(batch)
    ids = [f"{batch.id}:5", "real:2", f"{batch.id}:1"]
    got = ws.rows(ids)
    assert got["row_id"].to_list() == ids
    assert got["source"].to_list() == [batch.id, "real", batch.id]
    assert got.columns == ["row_id", "source", *penguins.schema.columns]
    cols = list(penguins.schema.columns)
    assert got.row(0)[2:] == batch.frame.select(cols).row(5)
    assert got.row(1)[2:] == penguins.frame.select(cols).row(2)
    with pytest.raises(DataError, match="neither real rows"):
        ws.rows(["real:0", "x:1"])


def test_conditional_batch_provenance_roundtrips(ws, penguins):
    b = sk.generate(penguins, "bootstrap", n=20, random_state=4, conditions={"species": "Gentoo"})
    ws.add(b)
    got = ws.batch(b.id)
    assert got.provenance == b.provenance
    assert got.provenance.conditions == {"species": "Gentoo"}
    assert set(got.frame["species"]) == {"Gentoo"}


def test_two_sessions_see_each_others_writes(ws, batch):
    other = sk.Workspace.open(ws.path, author="other")
    try:
        other.add(batch)
        tid = ws.tag([f"{batch.id}:0"], "off-manifold")  # rows added by the other session
        assert other.tags()["tag_id"].to_list() == [tid]
        assert other.undo().startswith(f"undid tag {tid}")  # one shared history
        assert ws.tags().height == 0
        assert ws.history()["author"].to_list()[-1] == "other"
    finally:
        other.close()


def test_threads_share_one_workspace(ws):
    import threading

    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for i in range(25):
                ws.tag([f"real:{(k * 25 + i) % 344}"], f"t{k}")
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert ws.tag_counts()["n_tags"].to_list() == [25, 25, 25, 25]


# --------------------------------------------------------------------------- stateful model check
from hypothesis import settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule  # noqa: E402


class WorkspaceModel(RuleBasedStateMachine):
    """Random sequences of add/remove/tag/untag/undo/redo agree with a plain model."""

    def __init__(self):
        super().__init__()
        import tempfile
        from pathlib import Path

        self.tmp = tempfile.TemporaryDirectory()
        ds = sk.load("penguins")
        self.ws = sk.Workspace.create(Path(self.tmp.name) / "ws", ds)
        self.pool = _BATCH_POOL
        self.active_batches: set[str] = set()
        self.active_tags: dict[int, set[str]] = {}
        self.done: list[tuple[str, object]] = []
        self.redo_stack: list[tuple[str, object]] = []

    def teardown(self):
        self.ws.close()
        self.tmp.cleanup()

    def _did(self, entry):
        self.done.append(entry)
        self.redo_stack.clear()

    @rule(k=st.integers(0, 2))
    def add(self, k):
        b = self.pool[k]
        self.ws.add(b)
        if b.id not in self.active_batches:
            self.active_batches.add(b.id)
            self._did(("add", b.id))

    @precondition(lambda self: self.active_batches)
    @rule(data=st.data())
    def remove(self, data):
        bid = data.draw(st.sampled_from(sorted(self.active_batches)))
        self.ws.remove_batch(bid)
        self.active_batches.discard(bid)
        self._did(("remove_batch", bid))

    @rule(data=st.data(), real=st.lists(st.integers(0, 343), max_size=3))
    def tag(self, data, real):
        ids = [f"real:{i}" for i in real]
        for bid in sorted(self.active_batches):
            ids += [f"{bid}:{i}" for i in data.draw(st.lists(st.integers(0, 9), max_size=2))]
        if not ids:
            with pytest.raises(DataError):
                self.ws.tag(ids, "x")
            return
        tid = self.ws.tag(ids, "x")
        self.active_tags[tid] = set(ids)
        self._did(("tag", tid))

    @precondition(lambda self: self.active_tags)
    @rule(data=st.data())
    def untag(self, data):
        tid = data.draw(st.sampled_from(sorted(self.active_tags)))
        self.ws.untag(tid)
        self.done.append(("untag", (tid, self.active_tags.pop(tid))))
        self.redo_stack.clear()

    def _flip(self, kind, what, forward):
        if kind in ("add", "remove_batch"):
            on = forward == (kind == "add")
            (self.active_batches.add if on else self.active_batches.discard)(what)
        elif kind == "tag":
            if forward:
                self.active_tags[what] = set(self.ws.get_tag(what).row_ids)
            else:
                self.active_tags.pop(what)
        else:  # untag
            tid, rows = what
            if forward:
                self.active_tags.pop(tid)
            else:
                self.active_tags[tid] = rows

    @rule()
    def undo(self):
        if not self.done:
            with pytest.raises(WorkspaceError, match="nothing to undo"):
                self.ws.undo()
            return
        kind, what = self.done.pop()
        self.ws.undo()
        self._flip(kind, what, forward=False)
        self.redo_stack.append((kind, what))

    @rule()
    def redo(self):
        if not self.redo_stack:
            with pytest.raises(WorkspaceError, match="nothing to redo"):
                self.ws.redo()
            return
        kind, what = self.redo_stack.pop()
        self.ws.redo()
        self._flip(kind, what, forward=True)
        self.done.append((kind, what))

    @invariant()
    def matches(self):
        assert set(self.ws.batch_ids()) == self.active_batches
        t = self.ws.tags()
        got = {tid: set(g["row_id"]) for (tid,), g in t.group_by("tag_id")} if t.height else {}
        assert got == self.active_tags


_BATCH_POOL: list = []


@pytest.fixture()
def batch_pool(penguins):
    if not _BATCH_POOL:
        _BATCH_POOL.extend(sk.generate(penguins, "bootstrap", n=10, random_state=s) for s in range(3))
    return _BATCH_POOL


def test_workspace_state_machine(batch_pool):
    run = WorkspaceModel.TestCase
    run.settings = settings(max_examples=20, stateful_step_count=25, deadline=None)
    run("runTest").runTest()
