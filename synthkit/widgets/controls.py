"""Controls: the dataset summary and the Generate form (generator, its key parameters, size, seed)."""

from __future__ import annotations

from html import escape
from typing import Any, Callable

import ipywidgets as w

from .. import generators as _generators
from ..data import Dataset
from ._params import key_params, param_value, param_widget

__all__ = ["Controls", "dataset_summary", "key_param_defaults"]

_STYLE = {"description_width": "88px"}


def dataset_summary(ds: Dataset) -> str:
    """One HTML paragraph describing a dataset for the controls column (names escaped)."""
    s = ds.schema
    text = f", {len(s.text)} text" if s.text else ""
    parts = [f"<b>{escape(str(ds.name))}</b>", f"{len(ds):,} real rows",
             f"{len(s.columns)} columns ({len(s.numeric)} numeric, {len(s.categorical)} categorical{text})"]
    if s.target:
        parts.append(f"target <code>{escape(str(s.target))}</code>")
    if s.sensitive:
        parts.append("sensitive " + ", ".join(f"<code>{escape(str(c))}</code>" for c in s.sensitive))
    if s.image_shape:
        parts.append(f"images {s.image_shape[0]}×{s.image_shape[1]}")
    return "<div class='synthkit-info'>" + "<br>".join(parts) + "</div>"


def key_param_defaults(name: str) -> dict[str, Any]:
    """``{param: default}`` for a generator's ``key_params`` (empty if it cannot be imported)."""
    return key_params(name, strict=False)


class Controls(w.VBox):
    """Dataset info and the Generate form; ``on_generate(name, n, random_state, params)`` does the work.

    A dataset with text columns is offered the generators that write text.
    """

    def __init__(self, ds: Dataset, *, on_generate: Callable[..., Any], default_generator: str = "copula",
                 n: int = 200, random_state: int = 1) -> None:
        names = _generators.available(text=True) if ds.schema.text else _generators.available()
        self._on_generate = on_generate
        self.info = w.HTML(dataset_summary(ds))
        self.generator = w.Dropdown(options=names, value=default_generator if default_generator in names else names[0],
                                    description="generator", style={"description_width": "88px"},
                                    layout=w.Layout(width="230px"))
        self.params_box = w.VBox(layout=w.Layout(margin="0"))
        self.summary = w.HTML(layout=w.Layout(width="230px"))
        self.n = w.BoundedIntText(value=n, min=1, max=1_000_000, description="batch size",
                                  style={"description_width": "88px"}, layout=w.Layout(width="230px"))
        self.seed = w.IntText(value=random_state, description="seed", style={"description_width": "88px"},
                              layout=w.Layout(width="230px"))
        self.button = w.Button(description="Generate", button_style="primary", icon="plus",
                               layout=w.Layout(width="230px"))
        self.button.add_class("synthkit-generate")
        self._param_widgets: dict[str, tuple[w.Widget, Any]] = {}
        self.generator.observe(lambda _c: self._show_params(), names="value")
        self.button.on_click(lambda _b: self.click())
        self._show_params()
        super().__init__([w.HTML("<div class='synthkit-h'>Data</div>"), self.info,
                          w.HTML("<div class='synthkit-h'>Generate a batch</div>"), self.generator,
                          self.summary, self.params_box, self.n, self.seed, self.button],
                         layout=w.Layout(width="250px", padding="0 8px 0 0"))
        self.add_class("synthkit-controls")

    def _show_params(self) -> None:
        name = self.generator.value
        defaults = key_param_defaults(name)
        self._param_widgets = {p: (param_widget(p, d, style=_STYLE, layout=w.Layout(width="230px")), d)
                               for p, d in defaults.items()}
        self.params_box.children = [wid for wid, _ in self._param_widgets.values()]
        try:
            summary = getattr(_generators.get(name), "summary", "")
        except Exception:  # noqa: BLE001
            summary = "<i>not available in this installation</i>"
        self.summary.value = f"<div class='synthkit-small'>{summary}</div>"

    @property
    def params(self) -> dict[str, Any]:
        """The key parameters as typed in the form."""
        return {p: param_value(wid, d) for p, (wid, d) in self._param_widgets.items()}

    def click(self) -> Any:
        """What the Generate button does."""
        self.button.disabled = True
        self.button.description = "Generating…"
        try:
            out = self._on_generate(self.generator.value, int(self.n.value), int(self.seed.value), self.params)
            self.seed.value = int(self.seed.value) + 1  # the next click draws a new batch
            return out
        finally:
            self.button.disabled = False
            self.button.description = "Generate"
