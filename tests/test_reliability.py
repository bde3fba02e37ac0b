"""Reliability of workspaces: killed writers, concurrent writers, damaged or foreign folders.

Each case checks two things: the error (if any) is a clear WorkspaceError or
DataError, and nothing stored before is lost.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit.errors import DataError, SynthkitError, WorkspaceError
from synthkit.workspace import DB_NAME, SCHEMA_VERSION

N_REAL = 5_000

# A writer that streams tags of varying size (up to N_REAL rows) and prints each
# committed tag id with its size; the note records the size so a partial tag
# would show.
TAG_WRITER = textwrap.dedent(
    """
    import sys
    import synthkit as sk
    path, seed, n_real = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    ws = sk.Workspace.open(path, author=f"writer-{seed}")
    i = 0
    while True:
        n = 1 + (i * 7919 + seed * 104729) % n_real
        tid = ws.tag([f"real:{j}" for j in range(n)], f"w{i % 5}", note=f"n={n}")
        print(tid, n, flush=True)
        i += 1
    """
)

# Writes `count` small tags after a start signal (a file appearing), so two
# copies really write at the same time.
COUNT_WRITER = textwrap.dedent(
    """
    import os, sys, time
    import synthkit as sk
    path, who, count, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    ws = sk.Workspace.open(path, author=who, timeout=60)
    while not os.path.exists(go):
        time.sleep(0.005)
    for i in range(count):
        ws.tag([f"real:{i % 300}", f"real:{(i * 7) % 300}"], who, note=str(i))
    ws.close()
    print("done", flush=True)
    """
)

BATCH_WRITER = textwrap.dedent(
    """
    import sys
    import synthkit as sk
    ws = sk.Workspace.open(sys.argv[1])
    ds = ws.dataset
    seed = 0
    while True:
        b = sk.generate(ds, "bootstrap", n=5000, random_state=seed)
        ws.add(b)
        print(b.id, flush=True)
        seed += 1
    """
)


def _script(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def _env():
    env = dict(os.environ)
    env["PYTHONWARNINGS"] = "ignore"
    return env


@pytest.fixture(scope="module")
def big_real():
    rng = np.random.default_rng(0)
    frame = pl.DataFrame({"x": rng.normal(size=N_REAL), "k": rng.choice(["a", "b", "c"], size=N_REAL)})
    return sk.from_frame(frame, "big")


def _kill_after(proc, n_lines, delay, rng):
    """Read n_lines committed ids, wait a little, SIGKILL; return every line printed."""
    lines = []
    for _ in range(n_lines):
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(f"writer died early: {proc.stderr.read()}")
        lines.append(line)
    time.sleep(delay * rng.random())
    os.kill(proc.pid, signal.SIGKILL)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    lines.extend(out.splitlines(keepends=True))
    return [line.split() for line in lines if line.strip()]


@pytest.mark.slow
def test_sigkill_during_tag_stream_loses_nothing_committed(tmp_path, big_real):
    path = tmp_path / "ws"
    sk.Workspace.create(path, big_real).close()
    script = _script(tmp_path, "tag_writer.py", TAG_WRITER)
    rng = np.random.default_rng(1)
    committed: dict[int, int] = {}
    for seed in range(2):
        proc = subprocess.Popen(
            [sys.executable, script, str(path), str(seed), str(N_REAL)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
        )
        for tid, n in _kill_after(proc, 10 + 5 * seed, 0.05, rng):
            committed[int(tid)] = int(n)
        with sk.Workspace.open(path) as ws:
            tags = ws.tag_list()
            stored = dict(zip(tags["tag_id"].to_list(), tags["n_rows"].to_list()))
            # every tag the writer saw committed is there, with all its rows
            assert {t: stored.get(t) for t in committed} == committed
            # no tag is ever half-written (the one in flight is all or nothing)
            notes = dict(zip(tags["tag_id"].to_list(), tags["note"].to_list()))
            assert all(notes[t] == f"n={n}" for t, n in stored.items())
            # at most the one tag in flight was committed without being printed
            assert len(stored) - len(committed) <= 1
            assert ws.history().filter(pl.col("action") == "tag").height == len(stored)
            assert ws.check() == []
            # and the workspace still takes writes
            extra = ws.tag(["real:0"], "after-kill", note="n=1")
            committed.update(stored)
            committed[extra] = 1


@pytest.mark.slow
def test_sigkill_during_batch_writes_keeps_every_batch_readable(tmp_path, big_real):
    path = tmp_path / "ws"
    sk.Workspace.create(path, big_real).close()
    script = _script(tmp_path, "batch_writer.py", BATCH_WRITER)
    proc = subprocess.Popen([sys.executable, script, str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env())
    printed = [line[0] for line in _kill_after(proc, 4, 0.1, np.random.default_rng(2))]
    with sk.Workspace.open(path) as ws:
        ids = ws.batch_ids()
        assert set(printed) <= set(ids)
        assert len(ids) - len(printed) <= 1
        assert ws.check() == []  # every catalogued batch's rows are complete and unchanged
        for bid in ids:
            assert len(ws.batch(bid)) == 5000


@pytest.mark.slow
def test_two_processes_writing_500_tags_each(tmp_path, penguins):
    path = tmp_path / "ws"
    sk.Workspace.create(path, penguins).close()
    script = _script(tmp_path, "count_writer.py", COUNT_WRITER)
    go = tmp_path / "go"
    procs = [
        subprocess.Popen([sys.executable, script, str(path), who, "500", str(go)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
        for who in ("alice", "bob")
    ]
    time.sleep(1.0)
    go.write_text("go")
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        assert out.strip() == "done"
    with sk.Workspace.open(path) as ws:
        tags = ws.tag_list()
        assert tags.height == 1000
        assert tags["tag_id"].n_unique() == 1000
        assert tags.group_by("author").len().sort("author").rows() == [("alice", 500), ("bob", 500)]
        for who in ("alice", "bob"):
            notes = tags.filter(pl.col("author") == who)["note"].cast(pl.Int64).sort().to_list()
            assert notes == list(range(500))
        assert ws.tags().height == 1000 * 2 - tags.filter(pl.col("note").cast(pl.Int64) % 50 == 0).height
        log = ws.history()
        assert log.filter(pl.col("action") == "tag").height == 1000
        assert ws.check() == []


def test_locked_beyond_timeout_is_a_clear_error_and_loses_nothing(tmp_path, penguins):
    path = tmp_path / "ws"
    with sk.Workspace.create(path, penguins, timeout=0.2) as ws:
        first = ws.tag(["real:0"], "ok")
        other = sqlite3.connect(path / DB_NAME, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            with pytest.raises(WorkspaceError, match="locked.*timeout="):
                ws.tag(["real:1"], "ok")
            with pytest.raises(WorkspaceError, match="locked"):
                ws.undo()
            assert ws.tags()["tag_id"].to_list() == [first]  # reading still works (WAL)
        finally:
            other.execute("ROLLBACK")
            other.close()
        second = ws.tag(["real:1"], "ok")
        assert ws.tags()["tag_id"].to_list() == [first, second]


def test_a_writer_waits_for_a_short_lock(tmp_path, penguins):
    path = tmp_path / "ws"
    with sk.Workspace.create(path, penguins, timeout=20) as ws:
        other = sqlite3.connect(path / DB_NAME, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        release = threading.Timer(0.3, lambda: other.execute("COMMIT"))
        release.start()
        try:
            tid = ws.tag(["real:5"], "ok")  # blocks until the other transaction ends
        finally:
            release.join()
            other.close()
        assert ws.get_tag(tid).row_ids == ("real:5",)


def _populated(tmp_path, penguins):
    path = tmp_path / "ws"
    b = sk.generate(penguins, "bootstrap", n=30, random_state=0)
    with sk.Workspace.create(path, penguins) as ws:
        ws.add(b)
        for i in range(60):
            ws.tag([f"real:{j}" for j in range(i, i + 20)], f"label-{i % 4}", note="x" * 200)
    return path, b


def _snapshot(path):
    return {p.relative_to(path): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_garbage_database_is_a_clear_error_and_nothing_changes(tmp_path, penguins):
    path, b = _populated(tmp_path, penguins)
    (path / DB_NAME).write_bytes(os.urandom(64 * 1024))
    before = _snapshot(path)
    with pytest.raises(WorkspaceError, match="corrupt or not a SQLite file.*backup"):
        sk.Workspace.open(path)
    with pytest.raises(WorkspaceError, match="corrupt"):
        sk.Workspace.create(path, penguins, exist_ok=True)
    assert _snapshot(path) == before
    # the rows themselves are separate files and still readable
    assert pl.read_parquet(path / "batches" / f"{b.id}.parquet").equals(b.frame)


def test_damaged_pages_are_a_clear_error_and_nothing_changes(tmp_path, penguins):
    path, _ = _populated(tmp_path, penguins)
    db = path / DB_NAME
    data = bytearray(db.read_bytes())
    assert len(data) > 3 * 4096
    rng = np.random.default_rng(3)
    data[4096:len(data) - 100] = rng.integers(0, 256, size=len(data) - 4196, dtype=np.uint8).tobytes()
    db.write_bytes(bytes(data))
    before = _snapshot(path)
    with pytest.raises(WorkspaceError, match="corrupt"):
        sk.Workspace.open(path)
    assert _snapshot(path) == before


def test_empty_database_file(tmp_path, penguins):
    path, _ = _populated(tmp_path, penguins)
    (path / DB_NAME).write_bytes(b"")
    with pytest.raises(WorkspaceError, match="empty"):
        sk.Workspace.open(path)
    assert (path / DB_NAME).read_bytes() == b""


def test_unknown_schema_version_is_refused_and_nothing_lost(tmp_path, penguins):
    path, _ = _populated(tmp_path, penguins)
    con = sqlite3.connect(path / DB_NAME)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.commit()
    con.close()
    with pytest.raises(WorkspaceError, match=f"newer synthkit.*version {SCHEMA_VERSION + 1}.*Upgrade"):
        sk.Workspace.open(path)
    con = sqlite3.connect(path / DB_NAME)
    assert con.execute("SELECT COUNT(*) FROM tags").fetchone()[0] == 60
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    con.commit()
    con.close()
    with sk.Workspace.open(path) as ws:
        assert ws.tag_list().height == 60


def test_folder_that_is_not_a_workspace(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "cat.jpg").write_bytes(b"\xff\xd8 not really")
    with pytest.raises(WorkspaceError, match="not a synthkit workspace"):
        sk.Workspace.open(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["cat.jpg"]  # nothing created
    with pytest.raises(WorkspaceError, match="is a file"):
        sk.Workspace.open(folder / "cat.jpg")


def test_foreign_sqlite_database_is_left_untouched(tmp_path):
    folder = tmp_path / "other-app"
    folder.mkdir()
    con = sqlite3.connect(folder / DB_NAME)
    con.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    con.execute("INSERT INTO meta VALUES ('format', 'something-else')")
    con.commit()
    con.close()
    before = (folder / DB_NAME).read_bytes()
    with pytest.raises(WorkspaceError, match="another program"):
        sk.Workspace.open(folder)
    assert (folder / DB_NAME).read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == [DB_NAME]  # not switched to WAL, no cache dir


def test_unknown_row_ids_lose_nothing_across_sessions(tmp_path, penguins):
    path, b = _populated(tmp_path, penguins)
    with sk.Workspace.open(path) as ws:
        before = (ws.tags(), ws.history())
        with pytest.raises(DataError, match="neither real rows nor rows of a batch"):
            ws.tag(["real:0", f"{b.id}:30"], "off-manifold")
    with sk.Workspace.open(path) as ws:
        assert ws.tags().equals(before[0])
        assert ws.history().equals(before[1])


def test_every_error_is_a_synthkit_error(tmp_path, penguins):
    """The public entry points never leak sqlite3 or polars exceptions."""
    path, b = _populated(tmp_path, penguins)
    with sk.Workspace.open(path) as ws:
        for call in (
            lambda: ws.tag("real:99999", "x"),
            lambda: ws.untag(10_000),
            lambda: ws.batch("nope-1"),
            lambda: ws.remove_batch("nope-1"),
            lambda: ws.curate("nope-1"),
            lambda: ws.apply_region(1, pl.DataFrame({"row_id": ["a"], "x": [0.0], "y": [0.0]})),
            lambda: ws.export(tmp_path / "x.json"),
            lambda: ws.get_tag(-1),
        ):
            with pytest.raises(SynthkitError):
                call()
        assert ws.tag_list().height == 60
        entry = json.loads(ws.history()["details"][0])
        assert entry["dataset"] == "penguins"


def test_interrupted_create_leaves_nothing_behind(tmp_path, penguins, monkeypatch):
    import synthkit.workspace as wsmod

    real_build = wsmod.build

    def build_then_crash(*args, **kwargs):
        real_build(*args, **kwargs)
        raise KeyboardInterrupt  # e.g. the user interrupts the kernel just before the rename

    monkeypatch.setattr(wsmod, "build", build_then_crash)
    with pytest.raises(KeyboardInterrupt):
        sk.Workspace.create(tmp_path / "ws", penguins)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(wsmod, "build", real_build)
    with sk.Workspace.create(tmp_path / "ws", penguins) as ws:  # and the name is free to use
        assert ws.check() == []


def test_failed_export_keeps_the_old_file(tmp_path, penguins, monkeypatch):
    b = sk.generate(penguins, "bootstrap", n=10, random_state=0)
    with sk.Workspace.create(tmp_path / "ws", penguins) as ws:
        ws.add(b)
        out = ws.export(tmp_path / "out.csv")
        before = out.read_bytes()

        def half_written(self, file, *args, **kwargs):
            with open(file, "w") as fh:
                fh.write("row_id,spec")
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(pl.DataFrame, "write_csv", half_written)
        with pytest.raises(WorkspaceError, match="No space left"):
            ws.export(out)
        assert out.read_bytes() == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "ws"]
        assert ws.history().filter(pl.col("action") == "export").height == 1
