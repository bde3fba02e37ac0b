"""Workspace.create(..., overwrite=True): a notebook can start from a fresh workspace each run."""

from __future__ import annotations

import pytest

import synthkit as sk
from synthkit.errors import WorkspaceError


def test_overwrite_replaces_an_existing_workspace(tmp_path, penguins):
    path = tmp_path / "ws"
    ws = sk.Workspace.create(path, penguins)
    ws.add(sk.generate(penguins, "bootstrap", n=10, random_state=0))
    ws.tag(["real:1"], "ok")
    ws.close()
    fresh = sk.Workspace.create(path, penguins, overwrite=True)
    assert fresh.batches().height == 0 and fresh.tags().height == 0
    assert [p.name for p in tmp_path.iterdir()] == ["ws"]  # nothing left behind
    fresh.close()


def test_overwrite_never_deletes_a_folder_that_is_not_a_workspace(tmp_path, penguins):
    other = tmp_path / "data"
    other.mkdir()
    (other / "keep.csv").write_text("a\n1\n")
    with pytest.raises(WorkspaceError, match="not a synthkit workspace"):
        sk.Workspace.create(other, penguins, overwrite=True)
    assert (other / "keep.csv").read_text() == "a\n1\n"


def test_overwrite_of_a_new_path_just_creates(tmp_path, penguins):
    ws = sk.Workspace.create(tmp_path / "new", penguins, overwrite=True)
    assert ws.dataset.fingerprint == penguins.fingerprint
    ws.close()


def test_overwrite_that_fails_keeps_the_old_workspace(tmp_path, penguins):
    path = tmp_path / "ws"
    ws = sk.Workspace.create(path, penguins)
    ws.tag(["real:1"], "ok")
    ws.close()
    with pytest.raises(sk.DataError, match="author"):
        sk.Workspace.create(path, penguins, overwrite=True, author="  ")
    assert [p.name for p in tmp_path.iterdir()] == ["ws"]
    with sk.Workspace.open(path) as old:
        assert old.tags()["row_id"].to_list() == ["real:1"]
