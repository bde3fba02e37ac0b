"""The pytest plugin: ``pytest --nbval --synthkit-sanitize`` compares notebook outputs after
synthkit's shipped sanitize rules, alone or together with the user's own file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from synthkit.pytest_plugin import sanitize_path, sanitize_rules

ROOT = Path(__file__).resolve().parents[1]


def _notebook(path: Path, cells: list[tuple[str, str]]) -> Path:
    """A notebook whose stored outputs (``stdout``) differ from what a fresh run prints."""
    nb = nbformat.v4.new_notebook()
    for source, stored in cells:
        c = nbformat.v4.new_code_cell(source)
        c.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored)]
        c.execution_count = 1
        nb.cells.append(c)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _pytest(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-o", "addopts=", "-p", "no:cacheprovider", "-p", "synthkit.pytest_plugin",
         "--nbval", "--nbval-current-env", *args],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=600)


def test_shipped_rules_cover_what_changes_between_runs():
    rules = sanitize_rules()
    assert len(rules) >= 6
    text = ('took 1.23 s at 2026-12-05T01:02:03+00:00 <object at 0x7f3a2b1c9d80>\n40%|####   | 4/10\n'
            'div id="3f2b8c1e-9a7d-4e5f-8b6a-1c2d3e4f5a6b" "model_id": "0123456789abcdef0123456789abcdef"\n'
            "/tmp/pytest-of-x/report.json")
    for regex, repl in rules:
        text = re.sub(regex, repl, text)
    for token in ("<seconds>", "<timestamp>", "<address>", "<progress>", "<uuid>", "<model-id>", "<tmp-path>"):
        assert token in text, (token, text)
    # values a gate prints are not touched
    kept = "pair_trends  0.872  >= 0.850  True"
    for regex, repl in rules:
        kept = re.sub(regex, repl, kept)
    assert kept == "pair_trends  0.872  >= 0.850  True"


def test_flag_makes_nbval_use_the_shipped_rules(tmp_path):
    _notebook(tmp_path / "nb.ipynb", [
        ("import uuid\nprint(uuid.uuid4())", "00000000-1111-2222-3333-444444444444\n"),
        ("print(hex(id(object())))", "0x7f0000000000\n"),
    ])
    plain = _pytest("nb.ipynb", cwd=tmp_path)
    assert plain.returncode == 1, plain.stdout[-2000:]
    sanitized = _pytest("--synthkit-sanitize", "nb.ipynb", cwd=tmp_path)
    assert sanitized.returncode == 0, sanitized.stdout[-3000:]


def test_flag_combines_with_the_users_own_file(tmp_path):
    _notebook(tmp_path / "nb.ipynb", [
        ("import uuid\nprint(uuid.uuid4())", "00000000-1111-2222-3333-444444444444\n"),
        ("import random\nprint('lucky', random.randrange(10**9, 10**10))", "lucky 1234567890\n"),
    ])
    (tmp_path / "mine.cfg").write_text("[lucky]\nregex: lucky \\d+\nreplace: lucky <n>\n")
    only_mine = _pytest("--nbval-sanitize-with", "mine.cfg", "nb.ipynb", cwd=tmp_path)
    assert only_mine.returncode == 1
    both = _pytest("--nbval-sanitize-with", "mine.cfg", "--synthkit-sanitize", "nb.ipynb", cwd=tmp_path)
    assert both.returncode == 0, both.stdout[-3000:]


def test_without_the_flag_the_plugin_changes_nothing(tmp_path):
    p = subprocess.run(
        [sys.executable, "-c",
         "import pytest, sys; sys.exit(pytest.main(['-o', 'addopts=', '-p', 'synthkit.pytest_plugin', "
         "'--help']))"],
        capture_output=True, text=True, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert p.returncode == 0
    assert "--synthkit-sanitize" in p.stdout


@pytest.mark.parametrize("name", ["nbval_sanitize.cfg"])
def test_rules_file_ships_inside_the_package(name):
    assert sanitize_path().name == name
    assert sanitize_path().parent == ROOT / "synthkit"
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert name in pyproject and "pytest11" in pyproject and "synthkit.cli:run" in pyproject
