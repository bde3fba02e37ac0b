"""The ``synthkit`` command line, end to end in subprocesses: exit codes, files written,
one-line errors on stderr (never a traceback)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

import synthkit as sk

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--families", "fidelity", "pairwise", "--n-boot", "20"]


def run(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join([str(ROOT), e.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    e.setdefault("OMP_NUM_THREADS", "1")
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "synthkit", *args], capture_output=True, text=True,
                          cwd=cwd, env=e, timeout=600)


def one_line_error(p: subprocess.CompletedProcess, code: int = 2) -> str:
    assert p.returncode == code, (p.returncode, p.stdout, p.stderr)
    err = p.stderr.strip()
    assert "Traceback" not in p.stderr
    assert len(err.splitlines()) == 1, err
    assert err.startswith("synthkit: error: ")
    return err


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """The real penguins as CSV, synthetic rows as parquet (written by the CLI itself)."""
    d = tmp_path_factory.mktemp("cli")
    real = d / "real.csv"
    sk.load("penguins").frame.drop("row_id").write_csv(real)
    syn = d / "syn.parquet"
    p = run("generate", str(real), "--generator", "copula", "-n", "300", "-o", str(syn), "--random-state", "1")
    assert p.returncode == 0, p.stderr
    return {"dir": d, "real": real, "syn": syn}


# ---------------------------------------------------------------------- help
def test_help_explains_every_command_and_option():
    top = run("--help")
    assert top.returncode == 0
    for cmd in ("evaluate", "generate", "report", "sanitize-path"):
        assert cmd in top.stdout
    ev = run("evaluate", "--help").stdout
    for opt in ("--target", "--sensitive", "--text", "--families", "--random-state", "--json", "--html",
                "--gate", "--rule", "--previous", "--alpha", "--holdout", "--n-boot"):
        assert opt in ev, opt
    assert "exit 1" in ev or "exit status" in run("--help").stdout.lower()
    ge = run("generate", "--help").stdout
    for opt in ("--generator", "-n", "--output", "--random-state", "--list"):
        assert opt in ge, opt


def test_version_and_module_entry_point_agree():
    p = run("--version")
    assert p.returncode == 0 and p.stdout.strip() == f"synthkit {sk.__version__}"


def test_no_command_is_bad_usage():
    p = run()
    assert p.returncode == 2 and "COMMAND" in p.stdout


# ---------------------------------------------------------------------- generate
def test_generate_writes_the_seed_columns_reproducibly(files, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for out in (a, b):
        p = run("generate", "penguins", "-g", "bootstrap", "-n", "50", "-o", str(out), "--random-state", "3")
        assert p.returncode == 0, p.stderr
        assert "50 rows" in p.stdout
    fa, fb = pl.read_csv(a), pl.read_csv(b)
    assert fa.height == 50 and fa.equals(fb)
    assert fa.columns == sk.load("penguins").frame.drop("row_id").columns
    other = tmp_path / "c.csv"
    assert run("generate", "penguins", "-g", "bootstrap", "-n", "50", "-o", str(other),
               "--random-state", "4").returncode == 0
    assert not pl.read_csv(other).equals(fa)
    syn = pl.read_parquet(files["syn"])
    assert syn.height == 300 and "row_id" not in syn.columns


def test_generate_list_names_the_generators():
    p = run("generate", "--list")
    assert p.returncode == 0
    for name in sk.generators.available():
        assert name in p.stdout


# ---------------------------------------------------------------------- evaluate
def test_evaluate_prints_a_headline_table_and_exits_0(files):
    p = run("evaluate", str(files["real"]), str(files["syn"]), *FAST)
    assert p.returncode == 0, p.stderr
    assert "column_shapes" in p.stdout and "pair_trends" in p.stdout
    assert "detection_auc" not in p.stdout  # only the families asked for
    assert "Traceback" not in p.stderr


# ---------------------------------------------------------------------- bad input
def test_missing_file_is_one_line(files):
    err = one_line_error(run("evaluate", str(files["real"]), str(files["dir"] / "nope.csv")))
    assert "nope.csv" in err and "does not exist" in err
    err = one_line_error(run("generate", str(files["dir"] / "gone.parquet"), "-o", str(files["dir"] / "x.csv")))
    assert "gone.parquet" in err


def test_unreadable_csv_is_one_line(files):
    bad = files["dir"] / "bad.csv"
    bad.write_bytes(b'a,b\n1,"unterminated\n2,3,4,5\n\xff\xfe\x00')
    err = one_line_error(run("evaluate", str(files["real"]), str(bad)))
    assert "bad.csv" in err


def test_synthetic_file_with_other_columns_is_one_line(files):
    other = files["dir"] / "other.csv"
    pl.DataFrame({"x": [1.0, 2.0, 3.0] * 20, "y": ["a", "b", "c"] * 20}).write_csv(other)
    err = one_line_error(run("evaluate", str(files["real"]), str(other), *FAST))
    assert "column" in err


def test_unknown_options_values_and_commands_are_bad_usage(files):
    one_line_error(run("evaluate", str(files["real"]), str(files["syn"]), "--families", "vibes"))
    one_line_error(run("evaluate", str(files["real"]), str(files["syn"]), "--random-state", "x"))
    one_line_error(run("evaluate", str(files["real"])))
    one_line_error(run("evaluate", str(files["real"]), str(files["syn"]), "-o", str(files["dir"] / "r.txt")))
    one_line_error(run("evaluate", str(files["real"]), str(files["syn"]), "--html", "/no/such/folder/r.html"))
    one_line_error(run("generate", "penguins", "-g", "no-such-generator", "-o", str(files["dir"] / "x.csv")))
    one_line_error(run("generate", "penguins"))
    one_line_error(run("frobnicate"))


def test_sanitize_path_prints_the_shipped_rules():
    p = run("sanitize-path")
    assert p.returncode == 0
    path = Path(p.stdout.strip())
    assert path.is_file() and path.parent == ROOT / "synthkit"
    assert "regex:" in path.read_text()


# ---------------------------------------------------------------------- reports and gates
@pytest.fixture(scope="module")
def accepted(files) -> dict:
    """An accepted report (JSON + HTML) written by the CLI, with its stdout."""
    out, html = files["dir"] / "accepted.json", files["dir"] / "accepted.html"
    p = run("evaluate", str(files["real"]), str(files["syn"]), *FAST, "-o", str(out), "--html", str(html))
    assert p.returncode == 0, p.stderr
    return {"json": out, "html": html, "stdout": p.stdout}


def test_evaluate_writes_json_and_html(accepted):
    assert accepted["json"].stat().st_size > 1000
    rep = sk.load_report(accepted["json"])
    assert set(rep.families) == {"fidelity", "pairwise"}
    page = accepted["html"].read_text()
    assert page.startswith("<!DOCTYPE html>") and "pair_trends" in page


def test_json_round_trip_through_report_command(accepted, tmp_path):
    html = tmp_path / "again.html"
    p = run("report", str(accepted["json"]), "--html", str(html))
    assert p.returncode == 0, p.stderr
    # the headline table printed from the saved report is the one printed after evaluating
    table = [ln for ln in accepted["stdout"].splitlines() if ln.startswith(("fidelity", "pairwise"))]
    assert table and all(ln in p.stdout.splitlines() for ln in table)
    assert html.read_text() == accepted["html"].read_text()  # same report, same HTML


def test_gate_passes_against_itself_and_fails_on_a_threshold(files, accepted):
    same = run("evaluate", str(files["real"]), str(files["syn"]), *FAST, "--previous", str(accepted["json"]))
    assert same.returncode == 0, same.stdout + same.stderr
    assert "quality gate PASSED" in same.stdout and "vs previous" in same.stdout
    bad = run("evaluate", str(files["real"]), str(files["syn"]), *FAST, "--rule", "column_shapes>=0.999")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "quality gate FAILED" in bad.stdout and "column_shapes" in bad.stdout
    assert bad.stderr.strip().startswith("synthkit: quality gate failed") and "column_shapes" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_gate_rule_naming_an_unknown_metric_is_one_line(files):
    err = one_line_error(run("evaluate", str(files["real"]), str(files["syn"]), *FAST, "--rule", "vibes<=0.5"))
    assert "vibes" in err
    err = one_line_error(run("evaluate", str(files["real"]), str(files["syn"]), *FAST, "--rule", "pair_trends=1"))
    assert "pair_trends=1" in err


def test_stored_report_from_a_newer_synthkit_is_one_line(accepted, tmp_path):
    import json

    data = json.loads(accepted["json"].read_text())
    data["format_version"] = data["format_version"] + 1
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(data))
    err = one_line_error(run("report", str(newer)))
    assert "newer" in err
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    one_line_error(run("report", str(broken)))
    one_line_error(run("report", str(tmp_path / "missing.json")))


def test_stored_report_for_other_data_is_one_line(files, accepted, tmp_path):
    other_real = tmp_path / "other_real.csv"
    pl.read_csv(files["real"]).head(300).write_csv(other_real)
    err = one_line_error(run("evaluate", str(other_real), str(files["syn"]), *FAST,
                             "--previous", str(accepted["json"])))
    assert "other data" in err
