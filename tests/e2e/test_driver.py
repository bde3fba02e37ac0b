"""The JupyterLab driver itself: a notebook that raises fails the run at once, naming the error.

Run-all stops at a cell that raises, so the cells after it never get an
execution count; a driver that only waited for every count would wait out its
whole deadline and then say nothing useful.
"""

from __future__ import annotations

import nbformat
import pytest

from . import lab as L

NB = "raises.ipynb"


@pytest.mark.e2e
def test_a_cell_that_raises_fails_run_all_at_once(lab, page):
    base, nb_dir = lab
    cells = ["x = 1", "raise ValueError('synthkit driver check')", "y = 2"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells], metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}})
    nbformat.write(nb, nb_dir / NB)
    with L.opened(page, base, NB):
        # the deadline's message would say "did not finish"; this one names the error
        with pytest.raises(AssertionError, match="raised:\nValueError: synthkit driver check") as err:
            L.run_all(page, NB, timeout=600)
        assert "\x1b[" not in str(err.value)
        state = L.notebook_state(page, NB)
        assert state["counts"][0] is not None and state["counts"][2] is None
