"""The regression-test template notebook has teeth: under nbval it passes as shipped and
fails, naming the failed rule, when a deliberately broken generator is substituted."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "07_regression_test.ipynb"
ACCEPTED = ROOT / "notebooks" / "accepted" / "07_penguins.json"

pytestmark = pytest.mark.slow


def run_template(generator: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("SYNTHKIT_ACCEPT", "SYNTHKIT_TEMPLATE_GENERATOR")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.setdefault("OMP_NUM_THREADS", "1")
    if generator:
        env["SYNTHKIT_TEMPLATE_GENERATOR"] = generator
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-o", "addopts=", "-p", "no:cacheprovider", "-p", "synthkit.pytest_plugin",
         "--nbval", "--nbval-current-env", "--synthkit-sanitize", "--color=no", str(NOTEBOOK)],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=900)


def failed_rules(output: str) -> set[str]:
    """Metrics named by the failed rules that QualityGateError lists ("- <metric> is worse ...")."""
    return set(re.findall(r"^- (\w+) (?:is worse|=)", output, flags=re.M))


def test_template_passes_as_shipped():
    accepted = ACCEPTED.read_bytes()
    p = run_template(None)
    assert p.returncode == 0, p.stdout[-4000:]
    assert "passed" in p.stdout
    assert ACCEPTED.read_bytes() == accepted  # a CI run never re-accepts


@pytest.mark.parametrize("generator, caught_by", [
    ("broken-shuffle", {"detection_auc", "pair_trends"}),
    ("exact-copies", {"exact_copy_share"}),
])
def test_template_fails_with_a_broken_generator_and_names_the_rule(generator, caught_by):
    p = run_template(generator)
    assert p.returncode == 1, p.stdout[-4000:]
    assert "QualityGateError" in p.stdout
    assert "quality gate FAILED" in p.stdout
    failed = failed_rules(p.stdout)
    assert caught_by & failed, (failed, p.stdout[-4000:])
