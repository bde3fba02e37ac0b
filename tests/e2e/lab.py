"""Driving JupyterLab with Playwright: open a notebook, run it, find and lasso the map.

Every wait polls a condition with a generous deadline (a loaded 2-core machine
with software WebGL is slow); nothing sleeps and hopes.
"""

from __future__ import annotations

import math
import time
from typing import Callable

MAP = ".synthkit-map[data-ready='1']"
PLOT = MAP + " .js-plotly-plot"

_KERNEL_IDLE = """() => {
  const app = window.jupyterapp;
  const w = app && app.shell && app.shell.currentWidget;
  const sc = w && w.sessionContext;
  return !!(sc && sc.session && sc.session.kernel && !sc.isRestarting
            && sc.session.kernel.connectionStatus === 'connected'
            && sc.session.kernel.status === 'idle');
}"""

_ALL_EXECUTED = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  if (!w || !w.content || !w.content.widgets) return false;
  const cells = w.content.widgets.filter(c => c.model.type === 'code' && c.model.sharedModel.getSource().trim());
  return cells.length > 0 && cells.every(c => c.model.executionCount !== null && c.model.executionCount !== undefined)
         && w.sessionContext.session.kernel.status === 'idle';
}"""

_ERRORS = """() => Array.from(document.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"], .jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]'))
  .map(e => e.innerText.slice(0, 2000))"""


def poll(what: str, fn: Callable[[], object], timeout: float = 180, interval: float = 0.25) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def dismiss_toasts(page) -> None:
    for b in page.locator(".jp-toast-button").all():
        try:
            b.click(timeout=1000)
        except Exception:  # noqa: BLE001 - a toast that vanished is fine
            pass


def open_notebook(page, base: str, name: str) -> None:
    page.goto(f"{base}/lab/tree/{name}")
    page.wait_for_function("() => !!window.jupyterapp", timeout=120_000)
    poll("the page to settle (no ?reset)", lambda: "reset" not in page.url, timeout=60)
    page.wait_for_selector(".jp-Notebook", timeout=120_000)
    page.wait_for_function(_KERNEL_IDLE, timeout=180_000, polling=250)
    dismiss_toasts(page)


def run_all(page, timeout: float = 600) -> None:
    """Run every cell and wait until each non-empty code cell has run and the kernel is idle."""
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    try:
        page.wait_for_function(_ALL_EXECUTED, timeout=timeout * 1000, polling=500)
    except Exception:
        raise AssertionError("run-all did not finish; errors shown: " + repr(page.evaluate(_ERRORS)))
    errors = [e for e in page.evaluate(_ERRORS) if "Traceback" in e or "Error" in e]
    assert not errors, f"the notebook raised: {errors}"


def kernel_idle(page) -> bool:
    return bool(page.evaluate(_KERNEL_IDLE))


def wait_for_map(page, index: int = 0, timeout: float = 180):
    """The index-th Explorer map, drawn and no longer moving. Returns its locator."""
    plot = page.locator(PLOT).nth(index)
    plot.scroll_into_view_if_needed(timeout=timeout * 1000)
    page.wait_for_function(
        "(i) => { const m = document.querySelectorAll(\"" + MAP + "\")[i];"
        " return m && +m.dataset.points > 0 && m.querySelector('.nsewdrag'); }",
        arg=index, timeout=timeout * 1000, polling=250)
    last = [None]

    def stable():
        box = plot.bounding_box()
        same = box is not None and last[0] == box
        last[0] = box
        return same

    poll("the map to stop moving", stable, timeout=timeout, interval=0.5)
    return plot


def lasso(page, plot, centre: tuple[float, float], radius: tuple[float, float], *, points: int = 28,
          start_angle: float = 0.0) -> list[tuple[float, float]]:
    """Drag a closed-ish elliptical lasso (page pixels) and return the path the mouse took."""
    drag = plot.locator(".nsewdrag").first
    box = drag.bounding_box()
    cx, cy = box["x"] + centre[0] * box["width"], box["y"] + centre[1] * box["height"]
    rx, ry = radius[0] * box["width"], radius[1] * box["height"]
    path = [(cx + rx * math.cos(start_angle + 2 * math.pi * k / points),
             cy + ry * math.sin(start_angle + 2 * math.pi * k / points)) for k in range(points)]
    # end a little past the start so the lasso is not taken for a click
    path.append((path[0][0] + 3, path[0][1] + 3))
    page.mouse.move(*path[0])
    page.mouse.down()
    for x, y in path[1:]:
        page.mouse.move(x, y, steps=2)
    page.mouse.up()
    return path


def pixels_to_data(page, plot, path):
    """Convert page pixels on the plot to data coordinates with plotly's own axes."""
    return page.evaluate(
        """([sel, path]) => {
          const gd = document.querySelector(sel);
          const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
          const r = gd.querySelector('.nsewdrag').getBoundingClientRect();
          return path.map(([px, py]) => [xa.p2d(px - r.left), ya.p2d(py - r.top)]);
        }""", [PLOT, path])
