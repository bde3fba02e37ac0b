"""Form controls for a generator's ``key_params``, shared by the Explorer's controls and the comparison widget."""

from __future__ import annotations

import inspect
from typing import Any, Mapping

import ipywidgets as w

from .. import generators as _generators

__all__ = ["key_params", "param_widget", "param_value"]


def key_params(name: str, *, strict: bool = True) -> dict[str, Any]:
    """``{param: default}`` for the ``key_params`` of the generator registered as ``name``.

    With ``strict=False`` a family that cannot be imported gives ``{}`` (the form
    then shows no parameters) instead of raising.
    """
    try:
        cls = _generators.get(name)
    except Exception:  # noqa: BLE001 - only swallowed when the caller asks for it
        if strict:
            raise
        return {}
    sig = inspect.signature(cls.__init__).parameters
    out = {}
    for p in getattr(cls, "key_params", ()):
        if p in sig:
            d = sig[p].default
            out[p] = None if d is inspect.Parameter.empty else d
    return out


def param_widget(name: str, default: Any, *, style: Mapping[str, str], layout: Any,
                 sliders: Mapping[str, tuple[type, float, float, float]] | None = None,
                 none_as_zero: bool = False) -> w.Widget:
    """The control for one parameter, chosen from its default's type.

    ``sliders`` maps parameter names to ``(slider class, min, max, step)``.
    A ``None`` default becomes an integer box where 0 means "no limit" when
    ``none_as_zero``, otherwise a text box whose empty value keeps the default.
    """
    if sliders and name in sliders:
        cls, lo, hi, step = sliders[name]
        value = default if isinstance(default, (int, float)) and not isinstance(default, bool) else lo
        return cls(value=value, min=lo, max=hi, step=step, description=name,
                   continuous_update=False, style=dict(style), layout=layout)
    if isinstance(default, bool):
        return w.Checkbox(value=default, description=name, style=dict(style), layout=layout, indent=False)
    if isinstance(default, int):
        return w.IntText(value=default, description=name, style=dict(style), layout=layout)
    if isinstance(default, float):
        return w.FloatText(value=default, description=name, style=dict(style), layout=layout)
    if none_as_zero:
        return w.IntText(value=0, description=name, tooltip="0 = no limit", style=dict(style), layout=layout)
    return w.Text(value="" if default is None else str(default), description=name, style=dict(style),
                  layout=layout, placeholder="default")


def param_value(widget: w.Widget, default: Any) -> Any:
    """The value typed into ``widget``: text is read as int or float when it parses, empty text is ``default``."""
    v = widget.value
    if isinstance(widget, w.Text):
        if v == "":
            return default
        for conv in (int, float):
            try:
                return conv(v)
            except ValueError:
                pass
    return v
