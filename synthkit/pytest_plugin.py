"""A pytest plugin that hands synthkit's nbval sanitize rules to nbval.

Installed with synthkit (entry point ``pytest11``), it adds one option:

    pytest --nbval --synthkit-sanitize notebooks/

which makes nbval compare notebook outputs after applying the rules shipped in
``synthkit/nbval_sanitize.cfg`` (elapsed times, memory addresses, timestamps,
progress bars, plotly div ids and other UUIDs, widget model ids, temporary
paths), so users need not copy a regex file. When ``--nbval-sanitize-with FILE``
is given too, nbval gets one file holding both sets of rules (the user's first).
``synthkit sanitize-path`` prints the shipped file's path.

Without the option the plugin does nothing; it imports nothing heavy.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["sanitize_path", "sanitize_rules", "OPTION"]

OPTION = "--synthkit-sanitize"
_FILE = "nbval_sanitize.cfg"


def sanitize_path() -> Path:
    """The path of the nbval sanitize file shipped inside synthkit."""
    return Path(__file__).resolve().parent / _FILE


def sanitize_rules() -> list[tuple[str, str]]:
    """The shipped rules as (regex, replacement) pairs, in the order nbval applies them."""
    lines = sanitize_path().read_text(encoding="utf-8").splitlines()
    return [(a[len("regex: "):], b[len("replace: "):]) for a, b in zip(lines, lines[1:])
            if a.startswith("regex: ") and b.startswith("replace: ")]


def pytest_addoption(parser) -> None:
    group = parser.getgroup("nbval")
    group.addoption(
        OPTION, action="store_true", default=False,
        help="sanitize notebook outputs with the rules shipped in synthkit (timings, addresses, "
             "timestamps, progress bars, plotly div ids, widget ids, temporary paths) before nbval "
             "compares them; combines with --nbval-sanitize-with",
    )


def pytest_configure(config) -> None:
    if not config.getoption("synthkit_sanitize", default=False):
        return
    if not hasattr(config.option, "nbval_sanitize_with"):
        from .errors import DependencyError

        raise DependencyError(f"{OPTION} needs the nbval pytest plugin: pip install nbval")
    own = config.option.nbval_sanitize_with or getattr(config.option, "sanitize_with", None)
    if not own:
        config.option.nbval_sanitize_with = str(sanitize_path())
        return
    # nbval reads a single file: write one holding the user's rules, then synthkit's
    fd, name = tempfile.mkstemp(prefix="synthkit-sanitize-", suffix=".cfg")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(Path(own).read_text(encoding="utf-8").rstrip("\n") + "\n\n")
        f.write(sanitize_path().read_text(encoding="utf-8"))
    config.option.nbval_sanitize_with = name
    if getattr(config.option, "sanitize_with", None):
        config.option.sanitize_with = None
    config._synthkit_sanitize_tmp = name


def pytest_unconfigure(config) -> None:
    name = getattr(config, "_synthkit_sanitize_tmp", None)
    if name:
        Path(name).unlink(missing_ok=True)
