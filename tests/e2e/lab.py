"""Driving JupyterLab with Playwright: open a notebook, run it, find and lasso the map.

Every wait polls a condition with a generous deadline (a loaded 2-core machine
with software WebGL is slow); nothing sleeps and hopes.
"""

from __future__ import annotations

import json
import math
import re
import time
import urllib.request
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Callable, Iterator

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
MAP = ".synthkit-map[data-ready='1']"
PLOT = MAP + " .js-plotly-plot"

# the notebook panel open on ``path`` (every check aims at it, never at whatever tab is current)
_PANEL = """const panelOf = (path) => Array.from(window.jupyterapp.shell.widgets('main'))
  .find(w => w.context && w.context.path === path && w.content && w.content.widgets);"""

_KERNEL_IDLE = "(path) => { " + _PANEL + """
  const w = panelOf(path); const sc = w && w.sessionContext;
  return !!(sc && sc.session && sc.session.kernel && !sc.isRestarting
            && sc.session.kernel.connectionStatus === 'connected'
            && sc.session.kernel.status === 'idle');
}"""

_STATE = "(path) => { " + _PANEL + r"""
  const app = window.jupyterapp;
  const open = Array.from(app.shell.widgets('main')).map(w => w.context ? w.context.path : w.id);
  const cur = app.shell.currentWidget;
  const w = panelOf(path);
  if (!w) return {found: false, open, current: cur && cur.context ? cur.context.path : null};
  const k = w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  const cells = w.content.widgets.filter(c => c.model.type === 'code' && c.model.sharedModel.getSource().trim());
  const errors = [];
  for (const c of cells) for (const o of c.model.outputs.toJSON())
    if (o.output_type === 'error') errors.push(o.ename + ': ' + o.evalue + '\n' + (o.traceback || []).join('\n').slice(-3000));
  return {found: true, open, current: cur && cur.context ? cur.context.path : null,
          counts: cells.map(c => c.model.executionCount ?? null),
          kernel: k ? k.status : null, connection: k ? k.connectionStatus : null, errors};
}"""

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
    """Close notifications with their close button (not their actions: a link action opens a tab)."""
    for b in page.locator(".Toastify__close-button, .jp-toast-dismiss").all():
        try:
            b.click(timeout=1000)
        except Exception:  # noqa: BLE001 - a toast that vanished is fine
            pass


def open_notebook(page, base: str, name: str) -> None:
    """Open ``name`` alone, in a JupyterLab workspace of its own.

    The server remembers each workspace's open tabs; in a shared one, a
    notebook a previous test had open comes back, may be the current tab, and
    would be the one that runs. A new workspace per notebook opens only this one.
    """
    page.goto(f"{base}/lab/workspaces/t{time.time_ns()}/tree/{name}")
    page.wait_for_function("() => !!window.jupyterapp", timeout=120_000)
    page.wait_for_selector(".jp-Notebook", timeout=120_000)
    page.wait_for_function(_KERNEL_IDLE, arg=name, timeout=180_000, polling=250)
    state = page.evaluate(_STATE, name)
    assert state["open"] == [name], f"expected only {name} open in JupyterLab, found {state['open']}"
    dismiss_toasts(page)


def notebook_state(page, name: str) -> dict:
    """What the notebook panel on ``name`` shows: execution counts, kernel status, error outputs."""
    return page.evaluate(_STATE, name)


def run_all(page, name: str, timeout: float = 600) -> None:
    """Run every cell of notebook ``name``; wait until each has run and its kernel is idle.

    Fails at once when a cell raises (the cells after it would never run) or
    the kernel dies, with what the notebook showed, instead of waiting out
    the deadline.
    """
    page.evaluate("(path) => { " + _PANEL + """
        const w = panelOf(path); window.jupyterapp.shell.activateById(w.id);
        return window.jupyterapp.commands.execute('notebook:run-all-cells'); }""", name)
    deadline = time.monotonic() + timeout
    dead_since = None
    while True:
        st = notebook_state(page, name)
        if not st["found"]:
            raise AssertionError(f"{name} is no longer open in JupyterLab (open: {st['open']})")
        if st["errors"]:
            raise AssertionError(f"{name} raised:\n" + re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(st["errors"])))
        if st["counts"] and all(c is not None for c in st["counts"]) and st["kernel"] == "idle":
            return
        if st["kernel"] in ("dead", "unknown") or st["connection"] == "disconnected":
            dead_since = dead_since or time.monotonic()
            if time.monotonic() - dead_since > 30:
                raise AssertionError(f"the kernel of {name} is {st['kernel']} ({st['connection']}); "
                                     f"cells run: {st['counts']}")
        else:
            dead_since = None
        if time.monotonic() > deadline:
            raise AssertionError(f"run-all of {name} did not finish in {timeout:.0f} s: cells run {st['counts']}, "
                                 f"kernel {st['kernel']} ({st['connection']}), current tab {st['current']}")
        time.sleep(0.5)


def close_notebook(page, base: str, name: str) -> None:
    """Save and close the tabs and end this notebook's kernel, so later tests find a quiet JupyterLab."""
    try:
        page.evaluate("""async () => { const c = window.jupyterapp.commands;
            await c.execute('docmanager:save'); await c.execute('application:close-all'); }""")
    finally:
        with urllib.request.urlopen(f"{base}/api/sessions", timeout=30) as r:
            sessions = json.load(r)
        for s in sessions:
            if s.get("path", "").endswith(name):
                req = urllib.request.Request(f"{base}/api/sessions/{s['id']}", method="DELETE")
                urllib.request.urlopen(req, timeout=30).close()


@contextmanager
def opened(page, base: str, name: str) -> Iterator[None]:
    """``with opened(page, base, name):`` the notebook alone in JupyterLab; closed (kernel ended) after."""
    open_notebook(page, base, name)
    try:
        yield
    except BaseException:  # the page as it was when the test failed, before the notebook closes
        ARTIFACTS.mkdir(exist_ok=True)
        with suppress(Exception):
            page.screenshot(path=str(ARTIFACTS / f"{Path(name).stem}-at-failure.png"), full_page=False)
        raise
    finally:
        close_notebook(page, base, name)


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


def drag_mode(page, mode: str) -> None:
    """Switch the first map to ``mode`` with its toolbar button, and wait until plotly has it."""
    mode_of = "(s) => document.querySelector(s)._fullLayout.dragmode"
    for attempt in range(3):  # as a person would, click again if the first click did not take
        page.locator(PLOT).first.hover()  # the toolbar shows on hover
        page.locator(PLOT + f" .modebar-btn[data-val='{mode}']").first.click()
        try:
            poll(f"the map to be in {mode} mode", lambda: page.evaluate(mode_of, PLOT) == mode, timeout=5)
            return
        except TimeoutError:
            continue
    raise AssertionError(f"the toolbar did not switch the map to {mode} mode "
                         f"(it is in {page.evaluate(mode_of, PLOT)!r})")


def drag_box(page, plot, start: tuple[float, float], step: tuple[float, float], steps: int) -> None:
    """Drag the mouse diagonally over the map (box select or zoom): from ``start`` by ``steps`` moves of
    ``step``, all as fractions of the plot area."""
    box = plot.locator(".nsewdrag").first.bounding_box()
    x0, y0 = box["x"] + start[0] * box["width"], box["y"] + start[1] * box["height"]
    page.mouse.move(x0, y0)
    page.mouse.down()
    for i in range(1, steps + 1):
        page.mouse.move(x0 + step[0] * i * box["width"], y0 + step[1] * i * box["height"], steps=2)
    page.mouse.up()


def to_pixels(page, x: float, y: float) -> tuple[float, float]:
    """Page pixels of data point (x, y) on the first map."""
    return tuple(page.evaluate(
        """([s, x, y]) => { const gd = document.querySelector(s); const r = gd.querySelector('.nsewdrag').getBoundingClientRect();
             return [r.left + gd._fullLayout.xaxis.d2p(x), r.top + gd._fullLayout.yaxis.d2p(y)]; }""",
        [PLOT, x, y]))


def hover_text(page, plot, x: float, y: float, expect: str) -> str:
    """Move the mouse onto data point (x, y); the label text once it names ``expect`` (or the last one seen).

    The pointer passes other points on its way, and plotly redraws its label a
    frame later, so the first label seen may still be a neighbour's: wait for
    the label of the point under the pointer.
    """
    box = plot.bounding_box()
    page.mouse.move(box["x"] + box["width"] + 40, box["y"] - 20)
    page.evaluate("(s) => window.Plotly.Fx.unhover(document.querySelector(s))", PLOT)
    label = page.locator(PLOT + " .hoverlayer .hovertext")
    poll("the old hover label to go", lambda: label.count() == 0, timeout=30)
    cx, cy = to_pixels(page, x, y)
    page.mouse.move(cx - 5, cy - 5, steps=2)
    page.mouse.move(cx, cy, steps=3)
    seen = {"text": ""}

    def names_it() -> bool:
        seen["text"] = (label.first.text_content() or "") if label.count() else ""  # SVG: no innerText
        return expect in seen["text"]

    try:
        poll(f"the hover label of {expect}", names_it, timeout=30)
    except TimeoutError:  # the assertion below shows what the label said instead
        pass
    return seen["text"]


def selected_count(text: str) -> int | None:
    m = re.search(r"(\d+) rows selected", text, flags=re.I)
    return int(m.group(1)) if m else None
