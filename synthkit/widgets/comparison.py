"""GeneratorComparison: pick a dataset, a generator and its knobs; see real vs synthetic.

A thin widget over the core: ``result(...)`` fits the chosen generator on the
seed rows, draws a Batch and returns it with the marginal overlay figure
(:func:`synthkit.plots.generators.marginals`) and the rounded side-by-side
table (:func:`synthkit.summary.compare`); the widget only shows them. Large
datasets are cut to a seeded sample of ``max_rows`` real rows (2,000 by
default) so every change redraws in about a second.
"""

from __future__ import annotations

from html import escape
from typing import Any

import ipywidgets as w
import plotly.graph_objects as go
import polars as pl
from IPython.display import display

from .. import generators as _generators
from ..batch import Batch, generate
from ..data import DATASETS, TEXT_DATASETS, Dataset, load
from ..errors import GeneratorError, SynthkitError
from ..plots.generators import default_columns, marginals
from ..summary import compare
from ._params import key_params, param_widget

#: the datasets whose columns the marginal comparison can draw
_TABLE_DATASETS = [d for d in DATASETS if d not in TEXT_DATASETS]

__all__ = ["GeneratorComparison", "key_params"]

_STYLE = {"description_width": "120px"}
_LAYOUT = {"width": "340px"}

#: slider ranges for the parameters synthkit's own generators expose
_SLIDERS: dict[str, tuple[type, float, float, float]] = {
    "temperature": (w.FloatSlider, 0.1, 2.0, 0.1),
    "noise": (w.FloatSlider, 0.0, 1.0, 0.05),
    "k": (w.IntSlider, 1, 30, 1),
    "n_components": (w.IntSlider, 1, 20, 1),
    "min_samples_leaf": (w.IntSlider, 1, 50, 1),
    "ddof": (w.IntSlider, 0, 1, 1),
}


class GeneratorComparison(w.VBox):
    """Controls (dataset, generator, its key parameters, batch size, seed) above the comparison."""

    def __init__(self, *, dataset: str = "penguins", generator: str = "copula", n: int = 300,
                 random_state: int = 0, max_rows: int = 2000,
                 generators: list[str] | None = None) -> None:
        names = list(generators or _generators.available())
        if generator not in names:
            raise GeneratorError(f"generator {generator!r} is not among {names}")
        if dataset not in _TABLE_DATASETS:
            raise SynthkitError(f"unknown dataset {dataset!r}; choose one of {_TABLE_DATASETS}")
        self.max_rows = int(max_rows)
        self._datasets: dict[str, Dataset] = {}
        self.dataset = w.Dropdown(options=_TABLE_DATASETS, value=dataset, description="dataset",
                                  style=_STYLE, layout=_LAYOUT)
        self.generator = w.Dropdown(options=names, value=generator, description="generator",
                                    style=_STYLE, layout=_LAYOUT)
        self.n = w.IntSlider(value=n, min=50, max=2000, step=50, description="batch size",
                             continuous_update=False, style=_STYLE, layout=_LAYOUT)
        self.seed = w.IntText(value=random_state, description="seed", style=_STYLE, layout=_LAYOUT)
        defaults: dict[str, Any] = {}
        for name in names:
            for p, d in key_params(name).items():
                defaults.setdefault(p, d)
        self.params = {p: param_widget(p, d, style=_STYLE, layout=_LAYOUT, sliders=_SLIDERS, none_as_zero=True)
                       for p, d in defaults.items()}
        self.summary = w.HTML()
        self.generator.observe(lambda _change: self._show_params(), names="value")
        self._show_params()
        controls = {"dataset": self.dataset, "generator": self.generator, "n": self.n,
                    "random_state": self.seed, **self.params}
        self.output = w.interactive_output(self.render, controls)
        left = w.VBox([self.dataset, self.generator, self.summary, *self.params.values()])
        right = w.VBox([self.n, self.seed])
        super().__init__([w.HBox([left, right]), self.output])

    # ------------------------------------------------------------------ core calls
    def seed_rows(self, name: str) -> Dataset:
        """The real rows the generators learn from (at most ``max_rows``, seeded)."""
        if name not in self._datasets:
            ds = load(name)
            if len(ds) > self.max_rows:
                ds = ds.sample(self.max_rows, random_state=0)
            self._datasets[name] = ds
        return self._datasets[name]

    def result(self, dataset: str, generator: str, n: int, random_state: int,
               **params: Any) -> tuple[Batch, go.Figure, pl.DataFrame]:
        """Fit, sample and summarise: (batch, marginal figure, rounded comparison table)."""
        ds = self.seed_rows(dataset)
        own = key_params(generator)
        wanted = {p: (None if own[p] is None and not v else v) for p, v in params.items() if p in own}
        batch = generate(ds, generator, n=int(n), random_state=int(random_state), **wanted)
        cols = default_columns(ds.schema, ds.features)
        title = f"{dataset}: {len(ds):,} real rows vs {len(batch):,} from {generator}"
        fig = marginals(ds, batch, columns=cols, title=title)
        table = compare(ds, batch, columns=cols)
        return batch, fig, table

    def render(self, **values: Any) -> None:
        try:
            _batch, fig, table = self.result(**values)
        except SynthkitError as exc:
            display(w.HTML(f"<b>Cannot generate:</b> {escape(str(exc))}"))
            return
        display(fig)
        with pl.Config(tbl_rows=-1, tbl_hide_dataframe_shape=True):
            display(table)

    def _show_params(self) -> None:
        name = self.generator.value
        own = key_params(name)
        for p, widget in self.params.items():
            widget.layout.display = None if p in own else "none"
        self.summary.value = f"<small>{_generators.get(name).summary}</small>"

