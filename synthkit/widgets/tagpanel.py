"""TagPanel: label the selection, undo, see counts per label, review suggested regions."""

from __future__ import annotations

import html
from typing import Any, Callable, Sequence

import ipywidgets as w
import polars as pl

from ..tags import SUGGESTED_LABELS  # offered in the combobox (any other text is accepted too)

__all__ = ["TagPanel", "SUGGESTED_LABELS", "counts_html"]


def counts_html(counts: pl.DataFrame | None) -> str:
    """A small table of rows per label (``counts`` has columns label and a count)."""
    if counts is None or counts.height == 0:
        return "<div class='synthkit-small'>no tags yet</div>"
    label_col = "label" if "label" in counts.columns else counts.columns[0]
    num_cols = [c for c in counts.columns if c != label_col]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in [label_col, *num_cols])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in counts.select([label_col, *num_cols]).iter_rows()
    )
    return f"<table class='synthkit-table synthkit-counts'><tr>{head}</tr>{body}</table>"


def _fmt_severity(v: Any) -> str:
    return f"{v:.2f}" if isinstance(v, (int, float)) else html.escape(str(v))


class TagPanel(w.VBox):
    """``on_tag(label, note)``, ``on_undo()``, ``on_suggest()``, ``on_accept(i)``, ``on_dismiss(i)``."""

    def __init__(self, *, on_tag: Callable[[str, str], Any], on_undo: Callable[[], Any],
                 on_suggest: Callable[[], Any] | None = None, on_accept: Callable[[int], Any] | None = None,
                 on_dismiss: Callable[[int], Any] | None = None, on_show: Callable[[int], Any] | None = None) -> None:
        self._on_tag, self._on_undo = on_tag, on_undo
        self._on_suggest, self._on_accept, self._on_dismiss = on_suggest, on_accept, on_dismiss
        self._on_show = on_show
        full = w.Layout(width="240px")
        self.label = w.Combobox(options=list(SUGGESTED_LABELS), placeholder="label, e.g. off-manifold",
                                ensure_option=False, layout=full)
        self.label.add_class("synthkit-label")
        self.note = w.Textarea(placeholder="note (optional)", layout=w.Layout(width="240px", height="54px"))
        self.note.add_class("synthkit-note")
        self.tag_button = w.Button(description="Tag selection", button_style="success", icon="tag",
                                   layout=w.Layout(width="140px"))
        self.tag_button.add_class("synthkit-tag")
        self.undo_button = w.Button(description="Undo", icon="undo", layout=w.Layout(width="94px"))
        self.undo_button.add_class("synthkit-undo")
        self.undo_note = w.HTML("<div class='synthkit-small'>nothing to undo</div>")
        self.undo_note.add_class("synthkit-undo-note")
        self.status = w.HTML("<div class='synthkit-small'>lasso points on the map, then tag them</div>")
        self.status.add_class("synthkit-status")
        self.counts = w.HTML(counts_html(None))
        self.counts.add_class("synthkit-counts-box")
        self.suggest_button = w.Button(description="Suggest regions", icon="search", layout=full,
                                       disabled=on_suggest is None,
                                       tooltip="needs synthkit.metrics" if on_suggest is None else "")
        self.suggest_batch = w.Dropdown(options=[], description="batch", layout=full,
                                        style={"description_width": "40px"})
        self.suggest_batch.add_class("synthkit-suggest-batch")
        self.suggestion_box = w.VBox()
        self.tag_button.on_click(lambda _b: self._click(self._tag_from_fields))
        self.undo_button.on_click(lambda _b: self._click(self._on_undo))
        if on_suggest is not None:
            self.suggest_button.on_click(lambda _b: self._click(self._on_suggest))
        super().__init__([
            w.HTML("<div class='synthkit-h'>Tag the selection</div>"), self.label, self.note,
            w.HBox([self.tag_button, self.undo_button]), self.undo_note, self.status,
            w.HTML("<div class='synthkit-h'>Tags</div>"), self.counts,
            w.HTML("<div class='synthkit-h'>Suggested regions</div>"), self.suggest_batch, self.suggest_button,
            self.suggestion_box,
        ], layout=w.Layout(width="256px", padding="0 0 0 8px"))
        self.add_class("synthkit-tagpanel")

    def _tag_from_fields(self) -> None:
        """Tag with the typed label and note, then empty both fields for the next tag."""
        self._on_tag(self.label.value, self.note.value)
        self.label.value, self.note.value = "", ""

    def show_undo(self, next_undo: str | None, *, confirm: bool = False) -> None:
        """Name what Undo will revert; ``confirm``: the next click reverts it (a whole batch)."""
        self.undo_button.description = "Confirm undo" if confirm else "Undo"
        self.undo_button.button_style = "danger" if confirm else ""
        self.undo_button.tooltip = f"undo: {next_undo}" if next_undo else "nothing to undo"
        if next_undo is None:
            text = "nothing to undo"
        elif confirm:
            text = f"click <b>Confirm undo</b> to revert: {html.escape(next_undo)}; its points leave the map"
        else:
            text = f"Undo reverts: {html.escape(next_undo)}"
        self.undo_note.value = f"<div class='synthkit-small'>{text}</div>"

    def show_batches(self, batch_ids: Sequence[str]) -> None:
        """The batches Suggest regions can check: a new batch becomes the choice; else the choice stays."""
        keep, old = self.suggest_batch.value, set(self.suggest_batch.options)
        if list(batch_ids) == list(self.suggest_batch.options):
            return
        self.suggest_batch.options = list(batch_ids)
        if batch_ids:
            new = [b for b in batch_ids if b not in old]
            self.suggest_batch.value = new[-1] if new else (keep if keep in batch_ids else batch_ids[-1])

    def _click(self, action: Callable[[], Any]) -> None:
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - shown to the user instead of lost in the log
            self.say(f"⚠ {exc}", error=True)

    def say(self, text: str, *, error: bool = False) -> None:
        cls = "synthkit-error" if error else "synthkit-small"
        self.status.value = f"<div class='{cls}'>{html.escape(text)}</div>"

    def show_counts(self, counts: pl.DataFrame | None) -> None:
        self.counts.value = counts_html(counts)

    def show_suggestions(self, regions: Sequence[Any]) -> None:
        """One row per suggested region: kind, size, reason, Accept, Dismiss."""
        rows = []
        for i, r in enumerate(regions):
            text = w.HTML(
                f"<div class='synthkit-small'><b>{html.escape(str(r.kind))}</b> · {len(r.row_ids)} rows"
                f" · severity {_fmt_severity(getattr(r, 'severity', None))}<br>{html.escape(str(r.reason))}</div>"
            )
            accept = w.Button(description="Accept", button_style="warning", layout=w.Layout(width="72px"),
                              tooltip="tag these rows with the region's kind")
            dismiss = w.Button(description="Dismiss", layout=w.Layout(width="72px"))
            show = w.Button(description="Show", layout=w.Layout(width="64px"),
                            tooltip="select these rows on the map")
            show.add_class("synthkit-show")
            if self._on_show is not None:
                show.on_click(lambda _b, i=i: self._click(lambda: self._on_show(i)))
            if self._on_accept is not None:
                accept.on_click(lambda _b, i=i: self._click(lambda: self._on_accept(i)))
            if self._on_dismiss is not None:
                dismiss.on_click(lambda _b, i=i: self._click(lambda: self._on_dismiss(i)))
            rows.append(w.VBox([text, w.HBox([show, accept, dismiss])],
                               layout=w.Layout(border_bottom="1px solid #eee")))
        if not rows:
            rows = [w.HTML("<div class='synthkit-small'>no open suggestions</div>")]
        self.suggestion_box.children = rows
