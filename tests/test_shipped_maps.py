"""The maps shipped in data/maps: used for embedded datasets at default parameters, never otherwise."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import synthkit as sk
from synthkit import projection
from synthkit.data import DATASETS, data_dir
from synthkit.projection import Map

ROOT = Path(__file__).resolve().parent.parent


class Fitted(Exception):
    """Raised by the stand-in for Map._fit_new: a fit was asked for."""


@pytest.fixture
def no_fit(monkeypatch):
    """Any UMAP fit (or any fit at all) raises Fitted; returns the list of fits asked for."""
    calls = []

    def fake(cls, ds, params, *a, **k):
        calls.append((ds.name, params))
        raise Fitted(params)

    monkeypatch.setattr(Map, "_fit_new", classmethod(fake))
    import umap

    def boom(*a, **k):
        raise AssertionError("UMAP was fitted although the map ships with synthkit")

    monkeypatch.setattr(umap.UMAP, "fit", boom)
    monkeypatch.setattr(umap.UMAP, "fit_transform", boom)
    return calls


def shipped(name: str) -> Path:
    hits = sorted((data_dir() / projection.SHIPPED_DIR).glob(f"{name}-*"))
    assert len(hits) == 1, f"expected one shipped map of {name}, found {hits}"
    return hits[0]


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A copy of data/ (datasets + shipped maps of penguins) that a test may damage."""
    out = tmp_path / "data"
    out.mkdir()
    shutil.copy(data_dir() / "penguins.parquet", out)
    (out / projection.SHIPPED_DIR).mkdir()
    folder = shipped("penguins")
    shutil.copytree(folder, out / projection.SHIPPED_DIR / folder.name)
    monkeypatch.setenv("SYNTHKIT_DATA", str(out))
    return out / projection.SHIPPED_DIR / folder.name


# --------------------------------------------------------------------------- used
@pytest.mark.parametrize("name", DATASETS)
def test_every_embedded_dataset_has_a_small_shipped_map(name):
    folder = shipped(name)
    size = sum(f.stat().st_size for f in folder.iterdir())
    assert size < 5e6
    assert not list(folder.glob("*.pkl")) and not (folder / "real_frame.parquet").exists()
    meta = json.loads((folder / "map.json").read_text())
    assert meta["dataset"] == name and meta["format"] == projection.FORMAT_VERSION
    assert meta["shipped_key"] in folder.name


@pytest.mark.parametrize("name", DATASETS)
def test_shipped_map_is_used_for_default_parameters(name, no_fit):
    ds = sk.load(name)
    m = Map.fit(ds, random_state=0)
    assert no_fit == [] and m.loaded_from_cache and m.method == "umap"
    assert m.dataset is ds
    stored = pl.read_parquet(shipped(name) / "real.parquet")
    assert m.real.equals(stored)  # the stored coordinates, bit for bit
    assert m.real["row_id"].to_list() == ds.row_ids.to_list()
    # the neighbour index of a large map is restored at the first query, not to draw the map
    assert m._real_index.restored is m._real_index.exact


def test_shipped_map_places_like_the_fitted_one(penguins):
    """Refitting with the same seed gives the stored map, and both place a batch the same way."""
    fitted = Map.fit(penguins, random_state=0, shipped=False)
    loaded = Map.fit(penguins, random_state=0)
    assert loaded.loaded_from_cache and not fitted.loaded_from_cache
    assert loaded.hash == fitted.hash and loaded.params == fitted.params
    assert loaded.nn_scale == fitted.nn_scale
    np.testing.assert_allclose(loaded.real.select("x", "y").to_numpy(), fitted.real.select("x", "y").to_numpy(),
                               atol=1e-4)
    batch = sk.generate(penguins, "copula", n=200, random_state=3)
    a, b = loaded.place(batch), fitted.place(batch)
    assert a.select("row_id", "nearest_real", "dist_to_real").equals(b.select("row_id", "nearest_real", "dist_to_real"))
    np.testing.assert_allclose(a.select("x", "y").to_numpy(), b.select("x", "y").to_numpy(), atol=1e-4)
    assert loaded.place(batch, refine=True).height == 200  # refine needs no UMAP object


def test_explorer_opens_the_shipped_map(penguins, tmp_path, no_fit):
    ws = sk.Workspace.create(tmp_path / "ws", penguins)
    ex = sk.Explorer(ws)
    assert no_fit == [] and ex.map.loaded_from_cache
    assert ex.points.height == len(penguins)
    assert not any(ws.cache_dir.iterdir()) if ws.cache_dir.exists() else True
    ws.close()


# --------------------------------------------------------------------------- not used
@pytest.mark.parametrize("change", [
    dict(random_state=1), dict(n_neighbors=10), dict(min_dist=0.2), dict(n_epochs=60),
    dict(metric="manhattan"), dict(shipped=False),
])
def test_other_parameters_fit(penguins, no_fit, change):
    kw = {"random_state": 0, **change}
    with pytest.raises(Fitted):
        Map.fit(penguins, **kw)
    assert len(no_fit) == 1


def test_changed_data_fits(penguins, no_fit):
    with pytest.raises(Fitted):
        Map.fit(penguins.sample(300, random_state=0), random_state=0)  # fewer rows
    changed = penguins.frame.with_columns(pl.col("body_mass_g") + 1)
    with pytest.raises(Fitted):
        Map.fit(sk.from_frame(changed, "penguins", target="species", sensitive=["sex"]), random_state=0)
    other_schema = sk.from_frame(penguins.frame, "penguins", target="island", sensitive=["sex"])
    with pytest.raises(Fitted):
        Map.fit(other_schema, random_state=0)
    assert len(no_fit) == 3


def test_same_content_under_another_name_uses_the_shipped_map(penguins, no_fit):
    renamed = sk.Dataset("my-penguins", penguins.frame, penguins.schema)
    m = Map.fit(renamed, random_state=0)
    assert no_fit == [] and m.dataset is renamed


def test_joint_map_is_never_shipped(penguins, no_fit):
    batch = sk.generate(penguins, "copula", n=50, random_state=0)
    with pytest.raises(Fitted):
        Map.fit(penguins, mode="joint", batches=[batch], random_state=0)


# --------------------------------------------------------------------------- damaged
@pytest.mark.parametrize("damage", [
    lambda f: (f / "map.json").write_text("{not json"),
    lambda f: (f / "map.json").write_text(json.dumps({**json.loads((f / "map.json").read_text()), "format": 99})),
    lambda f: (f / "real.parquet").write_bytes(b"PAR1 broken"),
    lambda f: (f / "fit_xy.npy").write_bytes((f / "fit_xy.npy").read_bytes()[:100]),
    lambda f: (f / "fit_real.npy").unlink(),
    lambda f: pl.read_parquet(f / "real.parquet").head(10).write_parquet(f / "real.parquet"),
    lambda f: pl.read_parquet(f / "real.parquet").reverse().write_parquet(f / "real.parquet"),
    lambda f: np.save(f / "fit_xy.npy", np.full((344, 2), np.nan)),
], ids=["json", "format", "parquet", "truncated", "missing", "rows", "order", "nan"])
def test_damaged_shipped_map_falls_back_to_fitting_with_a_warning(data_copy, no_fit, damage):
    damage(data_copy)
    before = {f.name: f.read_bytes() for f in data_copy.iterdir()}
    with pytest.warns(sk.SynthkitWarning, match="shipped with synthkit"):
        with pytest.raises(Fitted):
            Map.fit(sk.load("penguins"), random_state=0)
    assert len(no_fit) == 1
    assert {f.name: f.read_bytes() for f in data_copy.iterdir()} == before  # never rewritten


def test_intact_copy_is_used(data_copy, no_fit):
    m = Map.fit(sk.load("penguins"), random_state=0)
    assert no_fit == [] and m.loaded_from_cache


def test_no_shipped_folder_fits(data_copy, no_fit):
    shutil.rmtree(data_copy.parent)
    with pytest.raises(Fitted):
        Map.fit(sk.load("penguins"), random_state=0)


def test_bad_switches(penguins):
    with pytest.raises(sk.DataError, match="shipped"):
        Map.fit(penguins, shipped="yes")
    with pytest.raises(sk.DataError, match="progress"):
        Map.fit(penguins, progress=1)


# --------------------------------------------------------------------------- building
def _build_data_module():
    spec = importlib.util.spec_from_file_location("build_data", ROOT / "tools" / "build_data.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_build_maps_reproduces_the_shipped_files(tmp_path):
    stored = shipped("penguins")
    meta = json.loads((stored / "map.json").read_text())
    if meta["umap_learn"] != projection._umap_version():
        pytest.skip("the shipped map was built with another umap-learn")
    (folder,) = _build_data_module().build_maps(tmp_path, ["penguins"])
    assert folder.name == stored.name
    assert sorted(f.name for f in folder.iterdir()) == sorted(f.name for f in stored.iterdir())
    for f in stored.iterdir():
        assert (folder / f.name).read_bytes() == f.read_bytes(), f.name
    # a second build replaces the first (one folder per dataset)
    _build_data_module().build_maps(tmp_path, ["penguins"])
    assert len(list((tmp_path / projection.SHIPPED_DIR).iterdir())) == 1


def test_build_maps_covers_every_embedded_dataset(monkeypatch, tmp_path):
    """Without names, every dataset in synthkit.data.DATASETS gets its map (one that lands later too)."""
    shipped_names = []
    mod = _build_data_module()
    monkeypatch.setattr(projection, "ship", lambda ds, root: shipped_names.append(ds.name) or _fake_folder(root, ds))
    mod.build_maps(tmp_path)
    assert shipped_names == list(DATASETS)


def _fake_folder(root: Path, ds) -> Path:
    f = Path(root) / f"{ds.name}-x"
    f.mkdir(parents=True, exist_ok=True)
    return f


# --------------------------------------------------------------------------- progress
def test_progress_bar_only_when_asked_or_large(penguins, capsys):
    small = penguins.sample(60, random_state=0)
    Map.fit(small, random_state=0, n_epochs=20)
    assert "Fitting the map" not in capsys.readouterr().err
    Map.fit(small, random_state=0, n_epochs=20, progress=True)
    err = capsys.readouterr().err
    assert "Fitting the map" in err and "done" in err
    assert projection.PROGRESS_ROWS >= 1000


# --------------------------------------------------------------------------- nothing to compile
def test_fresh_process_draws_and_places_without_numba(tmp_path):
    """From import to the drawn Explorer and a placed batch: numba and pynndescent are never imported."""
    import os
    import subprocess
    import sys

    code = (
        "import sys, tempfile, synthkit as sk\n"
        "for name in ('penguins', 'adult'):\n"
        "    ds = sk.load(name)\n"
        "    ws = sk.Workspace.create(tempfile.mkdtemp(dir=sys.argv[1]) + '/ws', ds)\n"
        "    ex = sk.Explorer(ws)\n"
        "    ex.mapview.get_state()\n"
        "    ex.generate('copula', n=100, random_state=1)\n"
        "    assert ex.map.loaded_from_cache, name\n"
        "    ws.close()\n"
        "print(sorted(m for m in ('numba', 'pynndescent', 'umap') if m in sys.modules))\n"
    )
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"), PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], env=env, check=True, capture_output=True,
                         text=True, timeout=900)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr
