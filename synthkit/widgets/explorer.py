"""Explorer: generate batches, see them on the map beside the real rows, lasso, tag, undo.

    ex = sk.Explorer(ws)              # fits (or loads the cached) anchored map of ws.dataset
    display(ex)
    ex.generate("copula", n=200, random_state=1)
    ex.select(["copula-1a2b3c4d:0", ...])       # or a polygon [(x, y), ...] in map coordinates
    ex.tag("off-manifold", note="far from every real penguin")
    ex.selection                                # the selected rows, their values and map positions

Every button does exactly what one of these methods does, so a notebook or a
test can drive the Explorer without a browser. The Explorer holds no numerics:
the Map places rows, the Workspace stores batches and tags, ``synthkit.tags``
says which points a polygon holds, ``synthkit.plots.explorer`` lays out the
colours, and the MapView draws them in the browser.

Large real data: with more than ``DENSITY_ABOVE`` (100,000) real rows the map
draws the real rows as a density image (:mod:`synthkit.plots.density`),
re-rendered in Python for each zoom, and only the batches as points (with
hover). A lasso or box then sends its polygon, and Python finds every real and
synthetic row inside it (:func:`synthkit.tags.points_in_polygon` on the map
coordinates), however many. The real rows have no hover and, on the map, no
colour but the density's; ``ex.selection`` and the tags hold them all.
"""

from __future__ import annotations

import html
from typing import Any, Sequence

import ipywidgets as w
import numpy as np
import polars as pl

from .._checks import check_sequence
from ..batch import Batch, generate as _generate
from ..errors import DataError, SynthkitError
from ..tags import check_polygon, points_in_polygon
from ..plots.density import DensityLayer
from ..plots.explorer import COLOR_MODES, map_layers
from ..summary import placement_summary
from .controls import Controls
from .mapview import MapView, hover_columns
from .selection import SelectionView
from .tagpanel import TagPanel

__all__ = ["Explorer"]

MAX_HOVER_COLUMNS = 12
#: above this many real rows the real rows are drawn as a density image (see the module docstring)
DENSITY_ABOVE = 100_000
_MAP_COLUMNS = ("row_id", "source", "batch", "x", "y", "dist_to_real", "nearest_real")

_CSS = """<style>
.synthkit-explorer { font-family: Inter, Helvetica, Arial, sans-serif; }
.synthkit-explorer .synthkit-h { font-weight: 600; font-size: 12px; color: #333; margin: 10px 0 4px;
  text-transform: uppercase; letter-spacing: .04em; }
.synthkit-explorer .synthkit-small { font-size: 12px; color: #666; line-height: 1.35; }
.synthkit-explorer .synthkit-error { font-size: 12px; color: #b00020; line-height: 1.35; }
.synthkit-explorer .synthkit-info { font-size: 12px; color: #333; line-height: 1.5; }
.synthkit-explorer .synthkit-title { font-size: 15px; font-weight: 600; color: #222; }
.synthkit-explorer table.synthkit-table { border-collapse: collapse; font-size: 11.5px; }
.synthkit-explorer table.synthkit-table th { text-align: left; background: #f3f4f6; padding: 2px 8px;
  position: sticky; top: 0; }
.synthkit-explorer table.synthkit-table td { padding: 1px 8px; border-bottom: 1px solid #f0f0f0;
  white-space: nowrap; }
.synthkit-explorer table.synthkit-table td.synthkit-text { white-space: normal; min-width: 220px;
  max-width: 380px; }
.synthkit-explorer .synthkit-scroll { max-height: 260px; overflow: auto; }
.synthkit-explorer .synthkit-thumbs { display: flex; flex-wrap: wrap; gap: 10px; }
.synthkit-explorer .synthkit-thumb { text-align: center; }
.synthkit-explorer .synthkit-panel { background: #fafafa; border: 1px solid #eee; border-radius: 6px;
  padding: 4px 10px 10px; }
</style>"""


class Explorer:
    """The interactive map of a workspace (see the module docstring)."""

    def __init__(self, ws: Any, map: Any = None, color_by: str = "source", *, height: int = 520,
                 density_above: int | None = None) -> None:
        self.ws = ws
        self.dataset = ws.dataset
        self.schema = self.dataset.schema
        if map is None:
            from ..projection import Map  # UMAP loads only when a map is needed

            map = Map.fit(self.dataset, mode="anchored", random_state=0, cache_dir=ws.cache_dir)
        self.map = map
        self._points = self._real_points()
        limit = DENSITY_ABOVE if density_above is None else density_above
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise DataError(f"density_above={density_above!r} must be a whole number of rows (or None for "
                            f"{DENSITY_ABOVE:,}); above it the real rows are drawn as a density image")
        #: True when the real rows are drawn as a density image, not as points
        self.dense = self.map.real.height > limit
        self._shown_cache: tuple[pl.DataFrame, pl.DataFrame] | None = None
        self._batches: list[str] = []
        self._selected: list[str] = []
        # where the selected rows sit in self._points: (layout, selected list, positions); the
        # layout changes only when rows are added or removed (a tag or score join keeps the order)
        self._layout = 0
        self._selection_pos: tuple[int, list[str], Any] | None = None
        self._polygon: list[list[float]] | None = None
        self._regions: list[Any] = []
        self._regions_batch: str | None = None
        self._color = "source"
        self._hover_cache: tuple[pl.DataFrame, list[dict]] | None = None
        self._build_widgets(height)
        self._sync_batches(redraw=False)
        self._refresh_tags(redraw=False)
        self.color_by(color_by)

    # ------------------------------------------------------------------ data
    def _real_points(self) -> pl.DataFrame:
        real = self.map.real.select("row_id", "x", "y", "dist_to_real")
        frame = self.dataset.frame.select("row_id", *self.schema.columns)
        pts = real.join(frame, on="row_id", how="left", maintain_order="left")
        return pts.with_columns(source=pl.lit("real"), batch=pl.lit("real"), nearest_real=pl.col("row_id"))

    def _batch_points(self, batch: Batch, placed: pl.DataFrame) -> pl.DataFrame:
        cols = [c for c in ("row_id", "x", "y", "dist_to_real", "nearest_real") if c in placed.columns]
        pts = placed.select(cols).join(batch.frame.select("row_id", *self.schema.columns), on="row_id", how="left",
                                       maintain_order="left")
        return pts.with_columns(source=pl.lit(batch.provenance.generator), batch=pl.lit(batch.id))

    def _add_batch(self, batch: Batch) -> None:
        placed = self.map.place(batch)
        self._points = pl.concat([self._points, self._batch_points(batch, placed)], how="diagonal_relaxed")
        self._layout += 1
        self._batches.append(batch.id)

    def _sync_batches(self, redraw: bool = True) -> None:
        """Show exactly the batches the workspace holds (after open, undo or another notebook's add)."""
        stored = self.ws.batch_ids()
        gone = [b for b in self._batches if b not in stored]
        if gone:
            self._points = self._points.filter(~pl.col("batch").is_in(gone))
            self._layout += 1
            self._batches = [b for b in self._batches if b not in gone]
        for bid in stored:
            if bid not in self._batches:
                self._add_batch(self.ws.batch(bid))
        self.tag_panel.show_batches(self._batches)
        self._show_undo()
        if redraw:
            self._redraw()

    def _refresh_tags(self, redraw: bool = True) -> None:
        tags = self.ws.tags()
        if tags.height:
            order = [c for c in ("created_at", "tag_id") if c in tags.columns]
            latest = tags.sort(order).group_by("row_id", maintain_order=True).agg(pl.col("label").last().alias("tag"))
        else:
            latest = pl.DataFrame({"row_id": [], "tag": []}, schema={"row_id": pl.String, "tag": pl.String})
        self._points = self._points.drop("tag", strict=False).join(latest, on="row_id", how="left",
                                                                   maintain_order="left")
        try:
            counts = self.ws.tag_counts()
        except SynthkitError:
            counts = None
        self.tag_panel.show_counts(counts)
        self._show_undo()
        if redraw and self._color == "tag":
            self._redraw()

    # ------------------------------------------------------------------ widgets
    def _build_widgets(self, height: int) -> None:
        self.mapview = MapView(height=height)
        if self.dense:
            real = self.map.real
            self.mapview.set_density(
                DensityLayer(real["x"].to_numpy(), real["y"].to_numpy()),
                note=f"real: {real.height:,} rows as a density image (darker = more rows; no hover) · "
                     "synthetic rows as points")
        self.mapview.observe(self._on_browser_selection, names="selection_count")
        self.controls = Controls(self.dataset, on_generate=self._generate_from_form)
        self.tag_panel = TagPanel(on_tag=lambda label, note: self.tag(label, note=note),
                                  on_undo=self._undo_from_button,
                                  on_suggest=self._suggest_from_button if _can_suggest() else None,
                                  on_accept=self.accept, on_dismiss=self.dismiss, on_show=self.show_suggestion)
        self._pending_undo: str | None = None
        self.selection_view = SelectionView(self.schema)
        modes = list(COLOR_MODES) + [c for c in self.schema.columns
                                     if c not in set(self.schema.image_columns) and c not in self.schema.text]
        self.color_menu = w.Dropdown(options=modes, value="source", description="colour by",
                                     style={"description_width": "64px"}, layout=w.Layout(width="260px"))
        self.color_menu.observe(lambda c: self.color_by(c["new"]), names="value")
        self.color_menu.add_class("synthkit-color")
        self.status = w.HTML()
        m = self.map
        title = w.HTML(
            f"<div class='synthkit-title'>synthkit Explorer · {html.escape(self.dataset.name)}</div>"
            f"<div class='synthkit-small'>map: {html.escape(str(getattr(m, 'method', '')))} "
            f"({html.escape(str(getattr(m, 'mode', 'anchored')))}, {html.escape(str(m.hash)[:10])})"
            + (f" · {html.escape(str(m.note))}" if getattr(m, "note", "") else "") + "</div>")
        centre = w.VBox([w.HBox([self.color_menu, self.status], layout=w.Layout(align_items="center")),
                         self.mapview], layout=w.Layout(flex="1 1 auto", min_width="360px"))
        self.widget = w.VBox([
            w.HTML(_CSS), title,
            w.HBox([self.controls, centre, self.tag_panel], layout=w.Layout(width="100%", align_items="flex-start")),
            self.selection_view,
        ], layout=w.Layout(width="100%"))
        self.widget.add_class("synthkit-explorer")
        self.controls.add_class("synthkit-panel")
        self.tag_panel.add_class("synthkit-panel")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict):
            bundle["text/plain"] = repr(self)
        return bundle

    def _say(self, text: str) -> None:
        self.status.value = f"<span class='synthkit-small'>{html.escape(text)}</span>"

    def _shown(self) -> pl.DataFrame:
        """The points drawn as points: all of them, or only the batches' when the real rows are a density."""
        if not self.dense:
            return self._points
        if self._shown_cache is None or self._shown_cache[0] is not self._points:
            self._shown_cache = (self._points, self._points.filter(pl.col("batch") != "real"))
        return self._shown_cache[1]

    def _redraw(self) -> None:
        shown = self._shown()
        base = shown.with_row_index("_pos")
        # with the real rows as a density, colour levels still come from every row, so a tag or a
        # category keeps its colour whichever rows are drawn as points
        pts, layers = map_layers(base, self._color, categorical=self.schema.categorical,
                                 every=self._points if self.dense else None)
        value = pts["_value"] if "_value" in pts.columns else None
        self.mapview.set_points(shown, pts["_pos"].to_numpy(), layers, self._hover(), value)

    def _hover(self) -> list[dict]:
        """The hover columns, built again only when the points change (not when the colouring does)."""
        shown = self._shown()
        if self._hover_cache is None or self._hover_cache[0] is not shown:
            cols = [c for c in self.schema.columns if c not in set(self.schema.image_columns)][:MAX_HOVER_COLUMNS]
            self._hover_cache = (shown, hover_columns(shown, ["source", "batch", "dist_to_real", *cols],
                                                      text=self.schema.text))
        return self._hover_cache[1]

    # ------------------------------------------------------------------ public API
    def generate(self, name: str, n: int = 200, random_state: int | None = 0, **params: Any) -> Batch:
        """Fit generator ``name`` on the real rows, draw ``n`` rows, store, place and draw them."""
        batch = _generate(self.dataset, name, n=n, random_state=random_state, **params)
        self.ws.add(batch)
        if batch.id not in self._batches:
            self._add_batch(batch)
        self.tag_panel.show_batches(self._batches)
        self._show_undo()
        self._redraw()
        self._say(f"added {batch.id}: {len(batch)} rows from {name}")
        return batch

    def _generate_from_form(self, name: str, n: int, random_state: int, params: dict) -> Batch | None:
        try:
            return self.generate(name, n=n, random_state=random_state, **params)
        except Exception as exc:  # noqa: BLE001 - a button shows the problem instead of raising into the log
            self.status.value = f"<span class='synthkit-error'>⚠ {html.escape(str(exc))}</span>"
            return None

    def select(self, rows: Any) -> pl.DataFrame:
        """Select rows by id (list, Series or frame with ``row_id``) or by a polygon in map coordinates.

        Returns :attr:`selection`. An empty list clears the selection.
        """
        polygon = None
        if isinstance(rows, pl.DataFrame):
            if "row_id" not in rows.columns:
                raise DataError("select() got a frame without a 'row_id' column; pass row ids or a polygon")
            ids = rows["row_id"].to_list()
        elif isinstance(rows, pl.Series):
            ids = rows.cast(pl.String).to_list()
        elif isinstance(rows, str):
            raise DataError("select() takes a list of row ids or a polygon, not a single string; wrap it in a list")
        else:
            rows = list(check_sequence("rows", rows, what="row ids or polygon points (x, y)"))
            if rows and all(isinstance(r, str) for r in rows):
                ids = rows
            elif not rows:
                ids = []
            else:
                polygon = check_polygon(rows)
                ids = self._ids_in(polygon)
        if polygon is None:
            unknown = self._unknown(ids)
            if unknown:
                raise DataError(f"{len(unknown)} row ids are not on the map, e.g. {unknown[:3]}; "
                                "use ids from ex.selection, the dataset or a batch in this workspace")
            ids = list(dict.fromkeys(ids))
        self._set_selection(ids, polygon)
        self.mapview.show_selection(self._browser_ids(self._selected), polygon)
        return self.selection

    def _ids_in(self, polygon: list[list[float]]) -> list[str]:
        """Row ids of every point (real and synthetic) inside ``polygon``, in map order.

        Also keeps where those points sit, so :attr:`selection` needs no join
        with every point on the map.
        """
        mask = points_in_polygon(self._points["x"].to_numpy(), self._points["y"].to_numpy(), polygon)
        ids = self._points["row_id"].filter(pl.Series(mask)).to_list()
        self._selection_pos = (self._layout, ids, np.flatnonzero(mask))
        return ids

    def _unknown(self, ids: Sequence[str]) -> list[str]:
        """The ids in ``ids`` that are not on the map."""
        if not ids:
            return []
        s = pl.Series("row_id", list(ids), dtype=pl.String)
        return s.filter(~s.is_in(self._points["row_id"].implode())).to_list()

    def _known(self, ids: Sequence[str]) -> list[str]:
        """The ids in ``ids`` that are on the map, in the given order."""
        if not ids:
            return []
        s = pl.Series("row_id", list(ids), dtype=pl.String)
        return s.filter(s.is_in(self._points["row_id"].implode())).to_list()

    def _browser_ids(self, ids: list[str]) -> list[str]:
        """Of ``ids``, those the browser draws as points (all of them, unless the real rows are a density)."""
        if not self.dense or not ids:
            return ids
        s = pl.Series("row_id", ids, dtype=pl.String)
        return s.filter(s.is_in(self._shown()["row_id"].implode())).to_list()

    def _set_selection(self, ids: list[str], polygon: list[list[float]] | None) -> None:
        self._selected, self._polygon = ids, polygon
        self._show_selection()

    def _show_selection(self) -> None:
        self.selection_view.show(self.selection, self._points.filter(pl.col("batch") == "real"),
                                 stamp=self.mapview.selection_count)

    def _on_browser_selection(self, _change: Any) -> None:
        poly = self.mapview.selection_polygon
        polygon = [list(p) for p in poly] if poly else None
        if polygon is not None:
            try:
                check_polygon(polygon)
            except DataError:  # a degenerate outline: the rows the browser selected, with no region
                polygon = None
        if self.dense and polygon is not None:
            # the browser knows only the batch points: every row inside the polygon is found here
            ids = self._ids_in(check_polygon(polygon))
        else:
            ids = list(dict.fromkeys(self._known(self.mapview.selection)))
        self._set_selection(ids, polygon)

    def _public_columns(self) -> list[str]:
        """The map columns (and tag) first, then the values; no internal ``_`` columns."""
        cols = [c for c in (*_MAP_COLUMNS, "tag") if c in self._points.columns]
        return cols + [c for c in self._points.columns if c not in cols and not c.startswith("_")]

    @property
    def selection(self) -> pl.DataFrame:
        """The selected rows: ``row_id, source, batch, x, y, dist_to_real`` and their values."""
        cached = self._selection_pos
        if cached is None or cached[0] != self._layout or cached[1] is not self._selected:
            sel = pl.DataFrame({"row_id": self._selected}, schema={"row_id": pl.String})
            pos = sel.join(self._points.select("row_id").with_row_index("_i"), on="row_id", how="left",
                           maintain_order="left")["_i"]
            if pos.null_count():  # ids not on the map: rows of nulls, as a join gives them
                return sel.join(self._points, on="row_id", how="left",
                                maintain_order="left").select(self._public_columns())
            cached = self._selection_pos = (self._layout, self._selected, pos.to_numpy())
        return self._points.select(self._public_columns())[cached[2]]

    @property
    def points(self) -> pl.DataFrame:
        """Every point on the map: ``row_id, source, batch, x, y, dist_to_real, nearest_real, tag`` and values."""
        return self._points.select(self._public_columns())

    def summary(self, by: str = "source") -> pl.DataFrame:
        """Per source (or ``by="batch"``): rows, exact copies, median distance to real, far rows."""
        return placement_summary(self._points, by=by)

    @property
    def selection_polygon(self) -> list[list[float]] | None:
        """The lasso polygon of the current selection (None if it was not drawn or given as a polygon)."""
        return self._polygon

    def tag(self, label: str, note: str = "") -> str:
        """Tag the selected rows with ``label``; stores the lasso polygon and the map hash. Returns the tag id."""
        label = (label or "").strip() if isinstance(label, str) else label
        if not isinstance(label, str) or not label:
            raise DataError("tag() needs a label, e.g. 'off-manifold' or 'near-copy'")
        if not self._selected:
            raise DataError("nothing is selected: lasso points on the map or call ex.select(...) first")
        self._refuse_duplicate(self._selected, label)
        tag_id = self.ws.tag(list(self._selected), label, note=note or "", polygon=self._polygon,
                             map_hash=self.map.hash)
        self._refresh_tags()
        self.tag_panel.say(f"tagged {len(self._selected)} rows as {label!r}")
        self._show_selection()
        return tag_id

    def _refuse_duplicate(self, ids: list[str], label: str) -> None:
        """Tagging exactly the rows of an existing tag with the same label again stores nothing."""
        want = set(ids)
        listed = getattr(self.ws, "tag_list", None)
        if listed is not None:  # only tags with this label and as many rows can be the same
            same_size = listed().filter((pl.col("label") == label.strip()) & (pl.col("n_rows") == len(want)))
            for tid in same_size["tag_id"].to_list():
                if set(self.ws.get_tag(tid).row_ids) == want:
                    raise DataError(f"these {len(want)} rows already carry tag {tid} ({label!r}); nothing was "
                                    "stored. Use another label, or change the selection")
            return
        tags = self.ws.tags()
        if not tags.height:
            return
        same = tags.filter(pl.col("label") == label.strip())
        for (tid,), part in same.group_by("tag_id", maintain_order=True):
            if set(part["row_id"].to_list()) == want:
                raise DataError(f"these {len(want)} rows already carry tag {tid} ({label!r}); nothing was stored. "
                                "Use another label, or change the selection")

    def _show_undo(self) -> None:
        nxt = self.ws.peek_undo()
        desc = nxt["description"] if nxt else None
        self.tag_panel.show_undo(desc, confirm=desc is not None and desc == self._pending_undo)

    def _undo_from_button(self) -> None:
        """The Undo button: a tag is undone at once; a whole batch only after a second, confirming click."""
        nxt = self.ws.peek_undo()
        if nxt is None:
            self._pending_undo = None
            self._show_undo()
            self.tag_panel.say("nothing to undo")
            return
        if nxt["destructive"] and self._pending_undo != nxt["description"]:
            self._pending_undo = nxt["description"]
            self._show_undo()
            self.tag_panel.say(f"undoing the {nxt['description']} removes its points from the map: "
                               "click Confirm undo to go on, or do something else to keep them")
            return
        self.undo()

    def undo(self) -> str:
        """Revert the workspace's last action (a tag, a batch, ...) at once. Returns what was undone.

        The Undo button asks for a second click before it undoes a whole batch;
        this method does not (it is called on purpose).
        """
        self._pending_undo = None
        msg = self.ws.undo()
        self._sync_batches(redraw=False)
        self._refresh_tags(redraw=False)
        if self._unknown(self._selected):
            self._set_selection(self._known(self._selected), None)
            self.mapview.show_selection(self._browser_ids(self._selected), None)
        self._redraw()
        self._show_undo()
        self.tag_panel.say(msg)
        self._say(msg)
        return msg

    def add_scores(self, scores: Any, columns: list[str] | None = None) -> "Explorer":
        """Join per-row scores to the points, to colour and hover by them.

        ``scores`` is a frame with a ``row_id`` column, or a Report (its per-row
        ``rows``: e.g. ``attack_exposure`` after ``evaluate(..., holdout=control,
        families=[..., "privacy_attacks"])``). ``columns`` picks the numeric or
        boolean columns to add (default: all of them). Adding a column again
        replaces it; rows without a score stay empty (null).
        """
        frame = scores.rows if hasattr(scores, "rows") and hasattr(scores, "table") else scores
        if not isinstance(frame, pl.DataFrame) or "row_id" not in frame.columns:
            raise DataError("scores must be a polars frame with a row_id column, or a Report of evaluate()")
        usable = [c for c in frame.columns if c != "row_id"
                  and (frame[c].dtype.is_numeric() or frame[c].dtype == pl.Boolean)]
        cols = usable if columns is None else list(columns)
        bad = [c for c in cols if c not in usable]
        if bad or not cols:
            raise DataError(f"cannot add score column(s) {bad or cols}; numeric or boolean columns of the "
                            f"frame are {usable}")
        clash = [c for c in cols if c in self.schema.columns or c in (*_MAP_COLUMNS, "tag")]
        if clash:
            raise DataError(f"score column(s) {clash} would hide map or data columns; rename them first")
        frame = frame.select("row_id", *cols).unique("row_id", keep="last", maintain_order=True)
        if not self._points["row_id"].is_in(frame["row_id"].implode()).any():
            raise DataError("none of the score rows is on this map (no row_id matches); were the scores "
                            "computed for this workspace's real rows and batches?")
        self._points = self._points.drop(cols, strict=False).join(frame, on="row_id", how="left",
                                                                  maintain_order="left")
        options = list(self.color_menu.options)
        self.color_menu.options = options + [c for c in cols if c not in options]
        self._hover_cache = None
        self._redraw()
        return self

    def color_by(self, name: str) -> "Explorer":
        """Colour the map by source, batch, dist_to_real, tag or any data column."""
        map_layers(self._points.head(0), name)  # validates the name with a clear error
        self._color = name
        if self.color_menu.value != name and name in self.color_menu.options:
            self.color_menu.value = name  # its observer calls back here; _color is already set
        self._redraw()
        return self

    # ------------------------------------------------------------------ suggestions
    def suggestions(self, batch_id: str | None = None) -> list[Any]:
        """Problem regions suggested by ``sk.suggest`` for a batch (default: the one chosen in
        the panel, else the latest)."""
        fn = _suggest_fn()
        if fn is None:
            raise SynthkitError("suggestions need synthkit.metrics (sk.suggest), which is not available here")
        if not self._batches:
            raise DataError("no batch to check yet: generate one first")
        bid = batch_id if batch_id is not None else (self.tag_panel.suggest_batch.value or self._batches[-1])
        if not isinstance(bid, str) or bid not in self._batches:
            raise DataError(f"batch {bid!r} is not in this workspace; known: {self._batches}")
        self._regions = list(fn(self.dataset, self.ws.batch(bid)))
        self._regions_batch = bid
        if self.tag_panel.suggest_batch.value != bid:
            self.tag_panel.suggest_batch.value = bid
        self.tag_panel.show_suggestions(self._regions)
        return list(self._regions)

    def _suggest_from_button(self) -> None:
        regions = self.suggestions()
        self.tag_panel.say(f"{len(regions)} suggested regions in batch {self._regions_batch}")

    def show_suggestion(self, index: int) -> pl.DataFrame:
        """Select suggestion ``index``'s rows on the map, to look at them (and lasso further)."""
        region = self._region(index)
        sel = self.select(self._known(list(region.row_ids)))
        self.tag_panel.say(f"showing {sel.height} rows of suggestion {index + 1} ({region.kind}); "
                           "Accept tags them")
        return sel

    def accept(self, index: int, label: str | None = None) -> str:
        """Tag suggestion ``index``'s rows (label = its kind unless given, note = its reason)."""
        region = self._region(index)
        ids = [r for r in region.row_ids]
        label = label or region.kind
        try:
            self._refuse_duplicate(ids, label)
        except DataError:
            self._regions.pop(index)  # already tagged: it leaves the list either way
            self.tag_panel.show_suggestions(self._regions)
            raise
        tag_id = self.ws.tag(ids, label, note=str(region.reason), polygon=None, map_hash=self.map.hash)
        self._regions.pop(index)
        self.tag_panel.show_suggestions(self._regions)
        self._refresh_tags()
        self.tag_panel.say(f"tagged {len(ids)} rows as {label!r}; the suggestion left the list")
        return tag_id

    def dismiss(self, index: int) -> None:
        """Drop suggestion ``index`` from the list without tagging."""
        self._region(index)
        self._regions.pop(index)
        self.tag_panel.show_suggestions(self._regions)

    def _region(self, index: int) -> Any:
        if not isinstance(index, int) or not 0 <= index < len(self._regions):
            raise DataError(f"no suggestion number {index!r}; there are {len(self._regions)} (call suggestions() first)")
        return self._regions[index]

    def __repr__(self) -> str:
        return (f"Explorer({self.dataset.name!r}, {len(self._batches)} batches, {self._points.height} points, "
                f"{len(self._selected)} selected, colour by {self._color!r})")


def _suggest_fn() -> Any:
    try:
        from ..metrics import suggest
    except (ImportError, AttributeError):
        return None
    return suggest


def _can_suggest() -> bool:
    """Is synthkit.metrics there? (checked without importing it: it loads numba, which takes a while)"""
    import importlib.util

    return importlib.util.find_spec("synthkit.metrics") is not None
