"""CollapseControls: sliders for a recursive-generation run, and its figure.

A thin widget over :func:`synthkit.collapse.simulate`: generator, regime,
generations, real fraction, temperature and seeds are controls; every change
runs the simulator and redraws :func:`synthkit.plots.collapse.regime_comparison`
(one metric, mean and band across seeds). The figure keeps two references: a
dashed line at the real rows' value (generation 0) and, once the controls have
moved, the first run's mean as a grey dotted line. Its y axis only ever widens
(to hold every run shown so far), so moving a control never rescales the picture
under the reader. ``run(**changes)`` does exactly what moving the controls does,
so notebooks and tests can drive it; ``result`` is the latest
:class:`~synthkit.collapse.CollapseResult`.
"""

from __future__ import annotations

from html import escape
from typing import Any

import ipywidgets as w
from IPython.display import display

from .. import generators as _generators
from ..collapse import REGIMES, CollapseResult, simulate
from ..data import Dataset, as_dataset
from ..errors import SynthkitError
from ..plots.collapse import regime_comparison

__all__ = ["CollapseControls"]

_STYLE = {"description_width": "110px"}
_LAYOUT = {"width": "330px"}


class CollapseControls(w.VBox):
    """Controls for ``sk.collapse.simulate`` on ``real``, showing one metric over generations.

    ``generator`` and ``metric`` default to ``"copula"`` and ``"std_ratio"`` for a table, and to
    ``"markov"`` and ``"perplexity"`` (of real held-out text) when ``real`` has text columns.
    """

    def __init__(
        self,
        real: Dataset | Any,
        *,
        generator: str | None = None,
        generations: int = 10,
        regime: str = "replace",
        real_fraction: float = 0.2,
        temperature: float = 1.0,
        seeds: int = 3,
        n_per_generation: int | None = None,
        metric: str | None = None,
        column: str | None = None,
        metrics: tuple[str, ...] | None = None,
        random_state: int = 0,
        max_generations: int = 40,
    ) -> None:
        self.real = as_dataset(real)
        text = bool(self.real.schema.text)
        # text rows: the text generators (not ``llm``, which needs a callable: pass an LLMGenerator to
        # simulate() itself) and the perplexity of real text; tables: the tabular families
        names = [n for n in _generators.available(text=text) if n != "llm"]
        generator = generator if generator is not None else ("markov" if text else "copula")
        if generator not in names:
            raise SynthkitError(f"generator={generator!r} is not one of {names} for {self.real.name!r}")
        metric = metric if metric is not None else ("perplexity" if text else "std_ratio")
        self.metric = metric
        self.column = column
        self._fixed = dict(n_per_generation=n_per_generation, random_state=random_state,
                           metrics=list(metrics) if metrics else [_family(metric)], progress=False,
                           keep_samples=())
        self.result: CollapseResult | None = None
        self.first: CollapseResult | None = None  # the run with the settings the widget opened with
        self._y_range: tuple[float, float] | None = None
        self.w_generator = w.Dropdown(options=names, value=generator,
                                      description="generator", style=_STYLE, layout=_LAYOUT)
        self.w_regime = w.Dropdown(options=list(REGIMES), value=regime, description="regime",
                                   style=_STYLE, layout=_LAYOUT)
        self.w_generations = w.IntSlider(value=generations, min=1, max=max_generations,
                                         description="generations", continuous_update=False,
                                         style=_STYLE, layout=_LAYOUT)
        self.w_real_fraction = w.FloatSlider(value=real_fraction, min=0.0, max=1.0, step=0.05,
                                             description="real fraction", continuous_update=False,
                                             style=_STYLE, layout=_LAYOUT)
        self.w_temperature = w.FloatSlider(value=temperature, min=0.5, max=1.5, step=0.05,
                                           description="temperature", continuous_update=False,
                                           style=_STYLE, layout=_LAYOUT)
        self.w_seeds = w.IntSlider(value=seeds, min=1, max=10, description="seeds",
                                   continuous_update=False, style=_STYLE, layout=_LAYOUT)
        self.status = w.HTML()
        self.output = w.Output()
        controls = [self.w_generator, self.w_regime, self.w_generations, self.w_real_fraction,
                    self.w_temperature, self.w_seeds]
        for c in controls:
            c.observe(self._on_change, names="value")
        super().__init__([w.HBox([w.VBox(controls[:3]), w.VBox(controls[3:])]), self.status, self.output])
        self.run()

    # ------------------------------------------------------------------ API
    def params(self) -> dict:
        """The simulator's arguments as the controls set them now."""
        regime = self.w_regime.value
        return dict(
            generator=self.w_generator.value,
            regime=regime,
            generations=int(self.w_generations.value),
            real_fraction=float(self.w_real_fraction.value) if regime in ("fresh", "keep_real") else 0.0,
            temperature=float(self.w_temperature.value),
            seeds=int(self.w_seeds.value),
            **self._fixed,
        )

    def run(self, **changes: Any) -> CollapseResult | None:
        """Set controls (``generations=30, regime="accumulate"``, ...) and run once."""
        unknown = set(changes) - {"generator", "regime", "generations", "real_fraction", "temperature", "seeds"}
        if unknown:
            raise SynthkitError(f"unknown control(s) {sorted(unknown)}; use generator, regime, "
                                "generations, real_fraction, temperature or seeds")
        self._updating = True
        try:
            for name, value in changes.items():
                getattr(self, f"w_{name}").value = value
        finally:
            self._updating = False
        return self._run()

    def figure(self):
        """The figure for the latest result."""
        if self.result is None:
            raise SynthkitError("nothing has run yet; call run()")
        p = self.result.config
        title = f"{self.metric} per generation: {p['generator']}, {p['regime']}, temperature {p['temperature']}"
        baseline = None
        if self.first is not None and self.first is not self.result:
            f = self.first.config
            baseline = {f"first run ({f['regime']}, temperature {f['temperature']})": self.first}
        fig = regime_comparison({p["regime"]: self.result}, self.metric, column=self.column, title=title,
                                baseline=baseline, reference="generation 0")
        self._y_range = _widen(self._y_range, fig)
        fig.update_yaxes(range=list(self._y_range), autorange=False)
        return fig

    # ------------------------------------------------------------------ internals
    _updating = False

    def _on_change(self, _change: dict) -> None:
        if not self._updating:
            self._run()

    def _run(self) -> CollapseResult | None:
        self.status.value = "<i>running…</i>"
        try:
            self.result = simulate(self.real, **self.params())
        except SynthkitError as exc:
            self.status.value = f"<span style='color:#b00020'>{escape(str(exc))}</span>"
            return None
        self.status.value = ""
        if self.first is None:
            self.first = self.result
        self.output.clear_output(wait=True)
        with self.output:
            display(self.figure())
        return self.result

    def __repr__(self) -> str:
        p = self.params()
        return (f"CollapseControls({self.real.name!r}, generator={p['generator']!r}, regime={p['regime']!r}, "
                f"generations={p['generations']}, metric={self.metric!r})")


def _family(metric: str) -> str:
    """The ``metrics=`` family that computes ``metric`` (the text metrics come together as ``"text"``)."""
    from ..collapse.text import TEXT_METRICS

    return "text" if metric in TEXT_METRICS else metric


def _widen(current: tuple[float, float] | None, fig: Any) -> tuple[float, float]:
    """A y range holding every value drawn in ``fig`` and ``current``, from 0 when all values are positive."""
    import numpy as np

    ys = [np.asarray(t.y, dtype=float) for t in fig.data if t.y is not None]
    vals = np.concatenate(ys) if ys else np.array([0.0, 1.0])
    vals = vals[np.isfinite(vals)]
    lo, hi = (float(vals.min()), float(vals.max())) if vals.size else (0.0, 1.0)
    lo = min(lo, 0.0)
    pad = 0.05 * (hi - lo or 1.0)
    lo, hi = (lo if lo == 0.0 else lo - pad), hi + pad
    if current is not None:
        lo, hi = min(lo, current[0]), max(hi, current[1])
    return lo, hi
