"""``python -m synthkit``: the command line (see :mod:`synthkit.cli`)."""

from .cli import run

if __name__ == "__main__":
    run()
