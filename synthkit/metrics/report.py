"""The report object: summarise first (plain data), then render (HTML, figures).

In the spirit of skrub's ``TableReport``: :attr:`Report.summary` is plain data
(numbers, lists, polars frames), computed once and cached; :meth:`Report.figures`,
:meth:`Report.html` and :meth:`Report.to_html` only render it. The notebook
display (``_repr_html_``) shows the headline table and notes, small enough to keep
notebooks light; :meth:`Report.show` adds every figure (plotly mimetype output),
and :meth:`Report.to_html` writes one standalone file with all of it (one copy of
plotly.js, inlined once, so it opens offline).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ..data import Schema
from ..errors import DataError
from ._baseline import ALPHA

__all__ = ["Report", "ReportInputs", "FORMULAS", "METRIC_HELP", "compare", "load_report"]

#: one line per family, shown in the report
FORMULAS = {
    "privacy_attacks": "Each attack runs on the training rows and on control rows (real rows the generator "
                       "never saw); risk = (attack rate - control rate) / (1 - control rate), with a 95% "
                       "interval (Wilson rates, propagated). Singling out: predicates that isolate one "
                       "synthetic row, tried on training vs control rows of equal size. Linkability: nearest "
                       "synthetic rows on two disjoint column sets agree. Inference: the secret column of the "
                       "nearest synthetic row on the other columns. Membership: AUC of training vs control rows "
                       "scored by closeness to (or density ratio of) the synthetic rows; risk = 2 AUC - 1.",
    "fidelity": "KS complement = 1 - max_x |F_real(x) - F_synth(x)| (numeric); TV complement = 1 - 1/2 sum_v "
                "|p_real(v) - p_synth(v)| (categorical, missing is a category); within support = share of "
                "synthetic values inside the real range / category set. column_shapes = mean over columns; "
                "worst_column_shape = minimum over columns; category_shares = min(ratio, 1/ratio) of the category whose "
                "share changed most surely (Fisher's exact test per category, Holm over all categories).",
    "pairwise": "correlation similarity = 1 - |rho_real - rho_synth| / 2 (numeric pairs, Pearson); contingency "
                "similarity = 1 - TVD of the joint frequency table (other pairs; numerics cut into 10 bins). "
                "pair_trends = mean over pairs.",
    "detection": "A gradient-boosted tree classifier separates real from synthetic rows; ROC AUC of its "
                 "out-of-fold probabilities (3-fold CV). 0.5 = indistinguishable. detection_score = "
                 "1 - 2 |AUC - 0.5|.",
    "coverage": "In the encoded space, with NND_k the distance to the k-th nearest other row of the same set: "
                "precision = share of synthetic rows inside some real k-NN ball; recall = share of real rows "
                "inside some synthetic k-NN ball; density = (1/kM) sum_j #real balls holding synthetic row j; "
                "coverage = share of real rows whose own ball holds a synthetic row (Naeem et al. 2020; a point "
                "on the boundary counts as inside).",
    "privacy": "DCR = distance from a synthetic row to its closest real row (encoded space). near_copy_share = "
               "share with DCR below the 5th percentile of real-to-real nearest-neighbour distances (or 0); "
               "exact_copy_share = share equal to a real row in every column; nndr_mean = mean of DCR / distance "
               "to the 2nd closest real row; closer_to_train_share (with a holdout) = share closer to a training "
               "row than to any holdout row.",
    "utility": "TSTR = score on real holdout rows of a model trained on synthetic rows; TRTR = the same model "
               "trained on real rows. Baseline of TSTR: TRTR with as many real training rows as synthetic ones "
               "(at most all). Macro F1 (classification) or R^2 (regression), HistGradientBoosting.",
    "subgroup": "For each sensitive group (and group x target): ratio = share_synth / share_real; representation "
                "= min(ratio, 1/ratio). Flagged when Fisher's exact test of the two counts, Holm-corrected over "
                "all groups, gives p < 0.05: shrunk (ratio < 0.8), vanished (no synthetic row), grown "
                "(ratio > 1.25).",
    "text": "Per text column, on lower-cased word and punctuation tokens. vocabulary_size = distinct words; "
            "missing_word_share = share of the distinct words of real held-out text that no synthetic document "
            "uses; distinct_n = distinct n-grams / all n-grams; self_similarity = mean cosine similarity of the "
            "embeddings of all pairs of synthetic documents; perplexity = exp(mean -log P) of real "
            "held-out text under an interpolated bigram model trained on the synthetic documents (vocabulary: "
            "the held-out tokens); perplexity_ratio = that perplexity / the same model's trained on as many real "
            "documents; length_ks_complement = 1 - KS statistic of words per document; exact_document_share = "
            "share equal to a real document; memorised_share = share sharing a run of at least 8 consecutive "
            "tokens with some real document; longest_shared_mean = mean longest shared run. Held-out text: the "
            "holdout, else the reference half A.",
}

#: what each headline number means, in one line
METRIC_HELP = {
    "singling_out_univariate_risk": "one rare value in the synthetic rows picks out one real person",
    "singling_out_multivariate_risk": "a few values of one synthetic row pick out one real person",
    "linkability_risk": "the synthetic rows join two halves of a real person's record",
    "inference_risk": "the synthetic rows reveal a person's secret column from the others",
    "membership_distance_risk": "closeness to synthetic rows tells who was in the training data",
    "membership_density_risk": "where synthetic rows crowd tells who was in the training data",
    "column_shapes": "mean per-column similarity of distributions (1 = identical)",
    "worst_column_shape": "the least similar column's KS / TV complement",
    "category_shares": "representation of the category whose share changed most surely (Fisher + Holm)",
    "within_support": "share of synthetic values inside the real range / categories",
    "pair_trends": "mean similarity of column-pair dependence (1 = identical)",
    "detection_auc": "how well a classifier tells synthetic from real (0.5 = cannot)",
    "detection_score": "1 - 2|AUC - 0.5| (1 = indistinguishable)",
    "precision": "synthetic rows that look real (inside the real support)",
    "recall": "real rows the synthetic rows reach (inside the synthetic support)",
    "density": "how crowded synthetic rows are around real ones (about 1 is natural)",
    "coverage": "real rows with a synthetic row nearby (modes covered)",
    "near_copy_share": "synthetic rows suspiciously close to a real row",
    "exact_copy_share": "synthetic rows identical to a real row",
    "nndr_mean": "closest / 2nd-closest real distance (low = sits on one real row)",
    "dcr_median": "median distance to the closest real row",
    "closer_to_train_share": "synthetic rows closer to training rows than to holdout rows",
    "representation": "worst sensitive group: min(ratio, 1/ratio) of shares",
    "tstr_macro_f1": "model trained on synthetic rows, scored on real holdout rows",
    "trtr_macro_f1": "the same model trained on real rows (the best to hope for)",
    "tstr_r2": "model trained on synthetic rows, scored on real holdout rows",
    "trtr_r2": "the same model trained on real rows (the best to hope for)",
    "vocabulary_size": "distinct words in the synthetic documents",
    "missing_word_share": "real held-out words the synthetic text never uses (tails lost)",
    "distinct_1": "distinct words / all tokens (low = repetitive)",
    "distinct_2": "distinct word pairs / all pairs (low = repetitive, generic)",
    "self_similarity": "mean cosine similarity between synthetic documents (high = same-y)",
    "perplexity": "how surprised a model trained on synthetic text is by real text",
    "perplexity_ratio": "perplexity of real text, synthetic-trained / real-trained model (1 = as real)",
    "length_ks_complement": "similarity of the words-per-document distributions",
    "exact_document_share": "synthetic documents identical to a real one",
    "memorised_share": "synthetic documents sharing 8+ consecutive tokens with a real one",
    "longest_shared_mean": "mean longest run of tokens shared with a real document",
}


def _fmt(v: Any, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


@dataclass(frozen=True)
class ReportInputs:
    """The inputs a report was computed from, as ``evaluate`` aligned them.

    ``fingerprint`` is a content hash of ``real`` and ``synthetic``: two reports
    (or a report and a pair of frames) belong together when it matches.
    ``X_real`` / ``X_synth`` are the rows in ``encoder``'s space (None when no
    family needed them).
    """

    real: pl.DataFrame
    synthetic: pl.DataFrame
    holdout: pl.DataFrame | None
    schema: Schema
    target: str | None
    sensitive: tuple[str, ...]
    k: int
    random_state: int
    encoder: Any
    X_real: np.ndarray | None
    X_synth: np.ndarray | None
    fingerprint: str


class Report:
    """What ``evaluate()`` returns: ``table`` (tidy metrics), ``rows`` (per-row scores),
    ``summary`` (plain data for rendering), ``inputs`` (what it was computed from),
    ``figures()``, ``to_html(path)``, ``save(path)`` (JSON; read back with
    :func:`load_report`) and ``gate(...)`` (quality gates, :mod:`synthkit.metrics.gate`).

    A report read from a file has ``inputs = None``: the real and synthetic rows are not stored.
    """

    def __init__(self, table: pl.DataFrame, rows: pl.DataFrame, data: dict, inputs: ReportInputs | None,
                 meta: dict | None = None):
        self.table = table
        self.rows = rows
        self._data = data
        self.inputs = inputs
        self._meta = meta

    # ------------------------------------------------------------------ identity and files
    @property
    def meta(self) -> dict:
        """What the report is about: ``dataset`` (name, fingerprint of the real rows, columns,
        kinds), ``inputs_fingerprint`` (real and synthetic rows) and ``synthkit_version``
        (of the synthkit that computed it)."""
        if self._meta is None:
            from .. import __version__
            from ..data import ROW_ID
            from ._common import fingerprint

            inp = self.inputs
            real = inp.real.drop(ROW_ID) if ROW_ID in inp.real.columns else inp.real
            cols = list(inp.schema.columns)
            self._meta = {
                "dataset": {"name": str(self._data["dataset"]), "fingerprint": fingerprint(real), "columns": cols,
                            "kinds": {c: inp.schema.kind(c) for c in cols}},
                "inputs_fingerprint": inp.fingerprint,
                "synthkit_version": __version__,
            }
        return self._meta

    def to_json(self, rows: bool = True) -> str:
        """The report as a JSON document (see :mod:`synthkit.metrics._report_json` for what it keeps);
        ``rows=False`` leaves out the per-row scores (smaller files for large data)."""
        import json

        from .. import __version__
        from . import _report_json as J

        data = {k: v for k, v in self._data.items() if k != "timings"}
        doc = {
            "format": J.FORMAT, "format_version": J.FORMAT_VERSION, "synthkit_version": __version__,
            "computed_with": self.meta["synthkit_version"],
            "dataset": self.meta["dataset"], "inputs_fingerprint": self.meta["inputs_fingerprint"],
            "table": J.encode(self.table), "headline": J.encode(self.headline()),
            "summary": J.encode(data), "rows": J.encode(self.rows) if rows else None,
        }
        return json.dumps(doc, allow_nan=False, indent=1, ensure_ascii=False) + "\n"

    def save(self, path: str | Path, rows: bool = True) -> Path:
        """Write the report to ``path`` as JSON (returns the path); read it back with
        ``sk.load_report(path)``. ``rows=False`` leaves out the per-row scores."""
        p = Path(path).expanduser()
        if p.suffix.lower() != ".json":
            raise DataError(f"report path {str(p)!r} should end in .json")
        if not p.parent.exists():
            raise DataError(f"folder {str(p.parent)!r} does not exist; create it first")
        p.write_text(self.to_json(rows=rows), encoding="utf-8")
        return p

    @classmethod
    def from_json(cls, text: str, where: str = "the report text") -> "Report":
        """A report from the text :meth:`to_json` wrote (``SynthkitError`` if it is corrupt or newer)."""
        from ..errors import SynthkitError
        from . import _report_json as J
        from ._common import TABLE_SCHEMA

        doc = J.parse(text, where)
        try:
            table = J.decode(doc["table"])
            if not isinstance(table, pl.DataFrame) or dict(table.schema) != TABLE_SCHEMA:
                raise SynthkitError(f"{where} is corrupt: its metric table does not have the columns "
                                    f"{list(TABLE_SCHEMA)}; save it again with rep.save(path)")
            from ._common import ROWS_SCHEMA

            rows = J.decode(doc.get("rows")) if doc.get("rows") is not None else pl.DataFrame(schema=ROWS_SCHEMA)
            data = J.decode(doc["summary"])
            if not isinstance(data, dict) or not isinstance(rows, pl.DataFrame):
                raise SynthkitError(f"{where} is corrupt: bad summary or rows; save it again with rep.save(path)")
            for key in ("families", "notes", "dataset", "synthetic_name", "n_real", "n_synthetic", "columns"):
                if key not in data:
                    raise SynthkitError(f"{where} is corrupt: its summary lacks {key!r}; save it again")
            ds = doc["dataset"]
            meta = {"dataset": {"name": str(ds["name"]), "fingerprint": str(ds["fingerprint"]),
                                "columns": list(ds["columns"]), "kinds": dict(ds["kinds"])},
                    "inputs_fingerprint": str(doc.get("inputs_fingerprint")),
                    "synthkit_version": str(doc.get("computed_with", doc.get("synthkit_version")))}
        except SynthkitError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, pl.exceptions.PolarsError) as e:
            raise SynthkitError(f"{where} is corrupt ({type(e).__name__}: {e}); save it again with "
                                "rep.save(path)") from e
        return cls(table, rows, data, None, meta)

    @classmethod
    def load(cls, path: str | Path) -> "Report":
        """The report :meth:`save` wrote to ``path`` (``inputs`` is None: the rows are not stored)."""
        from . import _report_json as J

        text, p = J.read_text(path)
        return cls.from_json(text, where=f"report file {str(p)!r}")

    def gate(self, rules=None, *, previous=None, alpha: float = 0.05, tolerance=0.02, baseline: bool = True,
             enforce: bool = False):
        """Check the report against quality rules; returns a :class:`~synthkit.metrics.gate.GateResult`.

        See :func:`synthkit.metrics.gate.gate` (``sk.gate(rep, ...)`` is the same call).
        """
        from .gate import gate

        return gate(self, rules, previous=previous, alpha=alpha, tolerance=tolerance, baseline=baseline,
                    enforce=enforce)

    # ------------------------------------------------------------------ plain data
    @property
    def families(self) -> list[str]:
        return list(self._data["families"])

    @property
    def notes(self) -> list[str]:
        return list(self._data["notes"])

    def family(self, name: str) -> pl.DataFrame:
        """The table rows of one family (e.g. ``rep.family("coverage")``)."""
        if name not in self.families:
            raise DataError(f"family {name!r} was not evaluated; this report has {self.families}")
        return self.table.filter(pl.col("family") == name)

    def headline(self) -> pl.DataFrame:
        """One row per headline metric: value, 95% interval, size-matched value and baseline, p-value, status.

        ``status`` is "worse than real" when the metric's test says so at the
        5% level (``p_value <= 0.05``) and the size-matched value is worse than
        the baseline; see :mod:`synthkit.metrics._baseline`. For subgroup
        balance the row shown is the group with the smallest p-value (then the
        lowest representation). Text columns add the metrics of
        :data:`synthkit.metrics.text.HEADLINE`, one row each per text column.
        """
        t = self.table
        from .text import HEADLINE as TEXT_HEADLINE

        head = t.filter(pl.col("column").is_null() | (pl.col("family") == "utility")
                        | ((pl.col("family") == "text") & pl.col("metric").is_in(TEXT_HEADLINE)))
        parts = [head]
        sg = t.filter(pl.col("family") == "subgroup")
        if sg.height:
            parts.append(sg.sort(["p_value", "value"], nulls_last=True).head(1))
        out = pl.concat(parts, how="vertical_relaxed")
        order = {f: i for i, f in enumerate(self.families)}
        out = out.with_columns(pl.col("family").replace_strict(order, default=99).alias("_o")).with_row_index("_i")
        out = out.sort(["_o", "_i"]).drop(["_o", "_i"])
        status = [_status(r) for r in out.iter_rows(named=True)]
        return out.with_columns(pl.Series("status", status, dtype=pl.String))

    @cached_property
    def summary(self) -> dict:
        """Plain data behind every table and figure (computed once)."""
        d = dict(self._data)
        d["headline"] = self.headline()
        return d

    # ------------------------------------------------------------------ rendering
    def figures(self) -> dict:
        """Plotly figures keyed by section name (marginals, pairs, dcr, prdc, utility, subgroup, detection;
        ``text_lengths:<column>`` per text column)."""
        return dict(self._figures)

    @cached_property
    def _figures(self) -> dict:
        from ..plots import metrics as P

        s = self.summary
        figs = {}
        if "marginals" in s and s["marginals"]:
            cols = s["fidelity"]["columns"]
            scores = dict(zip(cols["column"].to_list(), cols["score"].to_list()))
            figs["marginals"] = P.marginals_figure(s["marginals"], scores=scores)
        if "pairwise" in s and s["pairwise"]["pairs"].height:
            figs["pairs"] = P.pair_difference_figure(s["pairwise"]["pairs"], s["columns"])
        if "detection" in s:
            r = self.rows
            figs["detection"] = P.detection_figure(
                r.filter(pl.col("source") == "real")["detection_prob"].to_numpy(),
                r.filter(pl.col("source") == "synthetic")["detection_prob"].to_numpy(), s["detection"]["auc"])
        if "coverage" in s:
            cov = self.family("coverage")
            ci = {m: (lo, hi) for m, lo, hi in cov.select("metric", "ci_low", "ci_high").iter_rows()}
            base = {m: b for m, b in cov.select("metric", "baseline").iter_rows()}
            figs["prdc"] = P.prdc_figure(s["coverage"]["scores"], base, ci)
        if "privacy" in s:
            p = s["privacy"]
            figs["dcr"] = P.dcr_figure(p["dcr"], p["base_dcr"], p["dcr_threshold"])
        if "utility" in s:
            u = s["utility"]
            figs["utility"] = P.utility_figure(u["tstr"], u["trtr"], u["tstr_ci"], u["trtr_ci"],
                                               score_name=u["score_name"])
        if "subgroup" in s:
            figs["subgroup"] = P.subgroup_figure(s["subgroup"]["shares"])
        if "privacy_attacks" in s:
            figs["attacks"] = P.attacks_figure(s["privacy_attacks"]["table"])
        for c, ts in s.get("text", {}).get("columns", {}).items():
            figs[f"text_lengths:{c}"] = P.text_lengths_figure(ts["lengths"]["real"], ts["lengths"]["synthetic"],
                                                              column=c)
        return figs

    def _headline_html(self) -> str:
        return _metrics_html(self.headline())

    def _text_html(self, column: str) -> str:
        """A text column's section: its metrics, the words lost and the memorised rows (the figure comes apart)."""
        from .text import MEMORISED_NGRAM

        esc = html.escape
        ts = self._data["text"]["columns"][column]
        t = self.table.filter((pl.col("family") == "text") & (pl.col("column") == column))
        t = t.with_columns(pl.Series("status", [_status(r) for r in t.iter_rows(named=True)], dtype=pl.String))
        parts = [f"<h3>Text column <code>{esc(column)}</code></h3>", _metrics_html(t, show_family=False)]
        lost = ts["lost_words"][:20]
        n_real = ts["vocabulary_real"]
        if lost:
            words = ", ".join(f"<b>{esc(w)}</b>&nbsp;({c:,})" for w, c in lost)
            parts.append(f"<p><b>Words lost.</b> {ts['n_lost_words']:,} of the {n_real:,} distinct real words "
                         f"never appear in the synthetic text. The most frequent of them (real count): {words}.</p>")
        else:
            parts.append(f"<p><b>Words lost.</b> The synthetic text uses every one of the {n_real:,} real words.</p>")
        memo = ts["memorised"]
        parts.append(
            f"<p><b>Memorised rows.</b> {int(memo.sum()):,} synthetic rows ({memo.mean():.1%}) share a run of at "
            f"least {MEMORISED_NGRAM} consecutive tokens with a real document ({int(ts['exact'].sum()):,} are exact "
            f"copies); among the real rows, {ts['real_memorised_share']:.1%} share such a run with another real "
            "row.</p>")
        shown = ts["most_shared"][:5]
        if shown and self.inputs is not None:  # a report loaded from a file holds no text to show
            parts.append(self._memorised_html(column, ts, shown))
        return "".join(parts)

    def _memorised_html(self, column: str, ts: dict, shown: list[int]) -> str:
        from ..data import ROW_ID
        from ..text.tokens import tokenize
        from .text import find_run

        real, synth = self.inputs.real, self.inputs.synthetic
        body = []
        for i in shown:
            n, src, start = int(ts["shared_ngram"][i]), int(ts["shared_source"][i]), int(ts["shared_start"][i])
            s_text = synth[column][i]
            r_text = real[column][src]
            run = tokenize(s_text)[start:start + n]
            r_start = find_run(tokenize(r_text), run)
            more = "+" if n >= ts["max_n"] else ""
            body.append(
                f"<tr><td>{html.escape(str(synth[ROW_ID][i]))}</td><td>{n}{more}</td>"
                f"<td>{_marked(s_text, start, n)}</td><td>{html.escape(str(real[ROW_ID][src]))}</td>"
                f"<td>{_marked(r_text, r_start, n)}</td></tr>")
        head = ("<tr><th>synthetic row</th><th>shared tokens</th><th>synthetic text (shared run marked)</th>"
                "<th>real row</th><th>real text</th></tr>")
        return f"<table class='sk-table sk-text'>{head}{''.join(body)}</table>"

    def _intro_html(self) -> str:
        s = self._data
        esc = html.escape
        if "partitions" in s:  # evaluated from files (synthkit.scale.evaluate): no intervals
            if s.get("n_perm"):
                verdicts = (
                    f"Verdicts compare like with like: the real rows are split into a reference half A "
                    f"({s['reference_size']:,} rows) and a half B; {s['matched_size']:,} synthetic rows drawn "
                    f"with the seed (matched, read from their partitions) and {s['matched_size']:,} rows of B "
                    "are each compared with A, and a permutation test with "
                    f"{s['n_perm']} re-splits decides (\"worse than real\": p <= {ALPHA} and a worse matched "
                    "value). ")
            else:
                verdicts = "No size-matched verdicts (n_perm=0). "
            engine = s.get("engine")
            where = "in this process" if engine in (None, "None") else f"on {esc(str(engine))}"
            lines = [
                f"<p><b>{esc(str(s['synthetic_name']))}</b> ({s['n_synthetic']:,} rows in {s['partitions']:,} "
                f"partitions) against <b>{esc(str(s['dataset']))}</b> ({s['n_real']:,} real rows, "
                f"{len(s['columns'])} columns); k = {s['k']}, random_state = {s['random_state']}, "
                f"{where}. Values compare all synthetic with all real rows (recall and "
                "coverage: a seeded sample of the synthetic rows when there are many); the partitions were "
                "read and measured one by one, so there are no bootstrap intervals. " + verdicts +
                "Distances are Euclidean in the Encoder's space (standardised numbers, one-hot categories), "
                "the space of the map.</p>"]
            if s["notes"]:
                lines.append("<ul class='sk-notes'>" + "".join(f"<li>{esc(n)}</li>" for n in s["notes"]) + "</ul>")
            return "".join(lines)
        lines = [
            f"<p><b>{esc(str(s['synthetic_name']))}</b> ({s['n_synthetic']:,} rows) against "
            f"<b>{esc(str(s['dataset']))}</b> ({s['n_real']:,} real rows, {len(s['columns'])} columns); "
            f"k = {s['k']}, {s['n_boot']} bootstrap replicates, random_state = {s['random_state']}. "
            "Values compare all synthetic with all real rows. Verdicts compare like with like: the real rows "
            f"are split into a reference half A ({s['reference_size']:,} rows) and a half B; "
            f"{s['matched_size']:,} synthetic rows (matched) and {s['matched_size']:,} rows of B (real vs real) "
            "are each compared with A, and a test decides whether the synthetic side is worse than chance "
            f"allows (p: permutation test with {s['n_perm']} re-splits; detection: Mann-Whitney; utility: "
            "re-split refits; subgroups: Fisher's exact test with Holm's correction). \"worse than real\" "
            f"means p <= {ALPHA} and a worse matched value, so a perfect generator is flagged on a metric in at "
            "most 5% of runs. Intervals: value +- 1.96 bootstrap standard errors (Poisson bootstrap of "
            "per-row and per-value statistics; detection and utility resample their out-of-sample "
            "predictions). Distances are Euclidean in the Encoder's space (standardised numbers, "
            "one-hot categories), the space of the map.</p>"
        ]
        if s["notes"]:
            lines.append("<ul class='sk-notes'>" + "".join(f"<li>{esc(n)}</li>" for n in s["notes"]) + "</ul>")
        return "".join(lines)

    _CSS = (
        "<style>.sk-report{font-family:Inter,Helvetica,Arial,sans-serif;font-size:13px;max-width:1100px}"
        ".sk-table{border-collapse:collapse;margin:8px 0}.sk-table td,.sk-table th{border-bottom:1px solid #ddd;"
        "padding:3px 8px;text-align:left}.sk-table th{background:#f4f4f4}.sk-bad{color:#b00020;font-weight:600}"
        ".sk-ok{color:#2e7d32}.sk-help{color:#666}.sk-notes{color:#555}.sk-formula{color:#444;background:#fafafa;"
        "border-left:3px solid #ccc;padding:4px 8px}.sk-text td{vertical-align:top;max-width:380px}"
        "mark{background:#ffe08a;padding:0 1px}</style>"
    )

    def _repr_html_(self) -> str:
        return (f"{self._CSS}<div class='sk-report'><h3>synthkit quality report</h3>{self._intro_html()}"
                f"{self._headline_html()}<p class='sk-help'>rep.show() displays the figures; "
                "rep.to_html(path) writes everything to one file.</p></div>")

    _SECTIONS = [
        ("marginals", "fidelity", "Per-column distributions"),
        ("pairs", "pairwise", "Column-pair dependence"),
        ("detection", "detection", "Detection"),
        ("prdc", "coverage", "Coverage and diversity"),
        ("dcr", "privacy", "Privacy: distance to closest real row"),
        ("utility", "utility", "Utility: TSTR vs TRTR"),
        ("subgroup", "subgroup", "Subgroup balance"),
        ("attacks", "privacy_attacks", "Privacy: what an attacker learns"),
        ("text_lengths", "text", "Text: vocabulary, repetition, perplexity, lengths, memorisation"),
    ]

    def html(self, include_plotlyjs: bool | str = True) -> str:
        """The whole report as one HTML document (plotly.js included once, in the first figure).

        Each figure's ``<div>`` has a fixed id (``synthkit-<section>``), so the same
        report renders to the same HTML every time.
        """
        figs = self.figures()
        parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>synthkit quality report</title>"
                 f"{self._CSS}</head><body><div class='sk-report'><h1>synthkit quality report</h1>",
                 self._intro_html(), "<h2>Headline</h2>", self._headline_html()]
        first = True
        for key, fam, title in self._SECTIONS:
            if fam not in self.families:
                continue
            parts.append(f"<h2>{html.escape(title)}</h2><p class='sk-formula'>{html.escape(FORMULAS[fam])}</p>")
            if key in figs:
                parts.append(figs[key].to_html(full_html=False, include_plotlyjs=include_plotlyjs if first else False,
                                               div_id=f"synthkit-{key}"))
                first = False
            if fam == "subgroup" and "subgroup" in self._data:
                parts.append(_frame_html(self._data["subgroup"]["shares"]))
            if fam == "privacy_attacks" and "privacy_attacks" in self._data:
                parts.append(_attacks_html(self._data["privacy_attacks"]["table"]))
            if fam == "text":
                for c in self._data["text"]["columns"]:
                    parts.append(self._text_html(c))
                    fig = figs[f"text_lengths:{c}"]
                    parts.append(fig.to_html(full_html=False, include_plotlyjs=include_plotlyjs if first else False))
                    first = False
        parts.append("<h2>All metrics</h2><details><summary>full table</summary>")
        parts.append(_frame_html(self.table))
        parts.append("</details></div></body></html>")
        return "".join(parts)

    def to_html(self, path: str | Path) -> Path:
        """Write the standalone report to ``path`` (returns the path)."""
        p = Path(path).expanduser()
        if p.suffix.lower() not in (".html", ".htm"):
            raise DataError(f"report path {str(p)!r} should end in .html")
        if not p.parent.exists():
            raise DataError(f"folder {str(p.parent)!r} does not exist; create it first")
        p.write_text(self.html(), encoding="utf-8")
        return p

    def show(self) -> None:
        """Display the headline and every figure in a notebook."""
        from IPython.display import HTML, display

        display(HTML(self._repr_html_()))
        for key, fam, title in self._SECTIONS:
            f = self.figures().get(key)
            if f is not None:
                display(HTML(f"<b>{html.escape(title)}</b>: {html.escape(FORMULAS[fam])}"))
                f.show()
            if fam == "text" and "text" in self.families:
                display(HTML(f"<b>{html.escape(title)}</b>: {html.escape(FORMULAS[fam])}"))
                for c in self._data["text"]["columns"]:
                    display(HTML(f"{self._CSS}<div class='sk-report'>{self._text_html(c)}</div>"))
                    self.figures()[f"text_lengths:{c}"].show()

    _FAMILY_FIGURE = {"fidelity": "marginals", "pairwise": "pairs", "detection": "detection", "coverage": "prdc",
                      "privacy": "dcr", "utility": "utility", "subgroup": "subgroup", "text": "text_lengths",
                      "privacy_attacks": "attacks"}

    def browse(self, digits: int = 3):
        """A small widget: pick a family, see its formula, its table rows and its figure."""
        import ipywidgets as w
        from IPython.display import HTML, display

        pick = w.Dropdown(options=self.families, value=self.families[0], description="family")
        out = w.Output()

        def show(*_):
            fam = pick.value
            out.clear_output(wait=True)
            with out:
                display(HTML(f"<p class='sk-formula'>{html.escape(FORMULAS[fam])}</p>"))
                t = self.family(fam).with_columns(pl.col(pl.Float64).round(digits))
                display(HTML(_frame_html(t.head(40), digits)))
                fig = self.figures().get(self._FAMILY_FIGURE[fam])
                if fig is not None:
                    fig.show()
                if fam == "text":
                    for c in self._data["text"]["columns"]:
                        display(HTML(f"{self._CSS}<div class='sk-report'>{self._text_html(c)}</div>"))
                        self.figures()[f"text_lengths:{c}"].show()

        pick.observe(show, names="value")
        show()
        return w.VBox([pick, out])

    def __repr__(self) -> str:
        s = self._data
        return (f"Report({s['synthetic_name']!r} vs {s['dataset']!r}: {s['n_synthetic']} synthetic, "
                f"{s['n_real']} real rows; families {self.families})")


def load_report(path: str | Path) -> Report:
    """The report ``rep.save(path)`` wrote (same as ``Report.load(path)``).

    Raises ``SynthkitError`` for a missing or corrupt file and for a file written
    by a newer synthkit (a higher report format version).
    """
    return Report.load(path)


def _status(r: dict) -> str:
    """"worse than real" when the test rejects at ALPHA and the matched value is worse; else "as real"."""
    p = r.get("p_value")
    if p is None:
        return ""
    if p > ALPHA + 1e-12:
        return "as real"
    m, b = r.get("matched"), r.get("baseline")
    if m is not None and b is not None:
        worse = m < b if r["better"] == "higher" else m > b
        if not worse:
            return "as real"
    return "worse than real"


def _attacks_html(table: pl.DataFrame) -> str:
    """The attacks' rates beside their risk, with one plain sentence each."""
    head = ("<tr><th>attack</th><th>risk</th><th>95% interval</th><th>attack rate</th><th>control rate</th>"
            "<th>random guess</th><th>what it means</th></tr>")
    body = []
    for r in table.iter_rows(named=True):
        note = METRIC_HELP.get(r["attack"] + "_risk", "")
        if not r["informative"]:
            note += " (no better than random guessing here: read it as no evidence either way)"
        body.append("<tr>" + "".join(f"<td>{html.escape(str(x))}</td>" for x in (
            r["attack"], _fmt(r["risk"]), f"{_fmt(r['ci_low'])} - {_fmt(r['ci_high'])}", _fmt(r["attack_rate"]),
            _fmt(r["control_rate"]), _fmt(r["baseline_rate"]), note)) + "</tr>")
    return f"<table class='sk-table'>{head}{''.join(body)}</table>"


#: metrics that count things (shown as whole numbers)
COUNT_METRICS = frozenset({"vocabulary_size"})


def _fmt_count(v: Any) -> str:
    return "-" if v is None or not np.isfinite(v) else f"{v:,.0f}"


def _metrics_html(h: pl.DataFrame, show_family: bool = True) -> str:
    """Metric rows (with a ``status`` column) as the report's table: value, interval, matched, baseline, verdict."""
    cols = (["family"] if show_family else []) + ["metric", "value", "95% interval", "synthetic (matched)",
                                                  "real vs real", "p", "better", "status", "meaning"]
    head = "<tr>" + "".join(f"<th>{c}</th>" for c in cols) + "</tr>"
    body = []
    for r in h.iter_rows(named=True):
        name = r["metric"] + (f" ({r['column']})" if r["column"] and show_family else "")
        fmt = _fmt_count if r["metric"] in COUNT_METRICS else _fmt
        ci = "-" if r["ci_low"] is None else f"{fmt(r['ci_low'])} - {fmt(r['ci_high'])}"
        cls = "sk-bad" if r["status"] == "worse than real" else "sk-ok"
        cells = ([r["family"]] if show_family else []) + [
            name, fmt(r["value"]), ci, fmt(r["matched"]), fmt(r["baseline"]), _fmt(r["p_value"], 2), r["better"]]
        body.append(
            "<tr>" + "".join(f"<td>{html.escape(str(x))}</td>" for x in cells)
            + f"<td class='{cls}'>{html.escape(r['status'])}</td>"
            + f"<td class='sk-help'>{html.escape(METRIC_HELP.get(r['metric'], ''))}</td></tr>"
        )
    return f"<table class='sk-table'>{head}{''.join(body)}</table>"


#: characters of context shown on each side of a marked run of tokens
CONTEXT_CHARS = 160


def _marked(text: str | None, start: int, n: int) -> str:
    """``text`` escaped, with its tokens ``start .. start + n - 1`` in ``<mark>``, cut to the run and some context."""
    from .text import token_spans

    if text is None:
        return "<i>(missing)</i>"
    spans = token_spans(text)
    shown = text if len(text.lower()) == len(text) else text.lower()
    if start < 0 or n <= 0 or start + n > len(spans):
        return html.escape(shown[: 2 * CONTEXT_CHARS] + ("…" if len(shown) > 2 * CONTEXT_CHARS else ""))
    a, b = spans[start][0], spans[start + n - 1][1]
    lo, hi = max(0, a - CONTEXT_CHARS), min(len(shown), b + CONTEXT_CHARS)
    return ("…" * (lo > 0) + html.escape(shown[lo:a]) + "<mark>" + html.escape(shown[a:b]) + "</mark>"
            + html.escape(shown[b:hi]) + "…" * (hi < len(shown)))


def _frame_html(frame: pl.DataFrame, digits: int = 3) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    body = []
    for row in frame.iter_rows():
        body.append("<tr>" + "".join(f"<td>{html.escape(_fmt(x, digits))}</td>" for x in row) + "</tr>")
    return f"<table class='sk-table'><tr>{head}</tr>{''.join(body)}</table>"


def compare(reports: dict, digits: int | None = 3) -> pl.DataFrame:
    """Headline metrics of several reports side by side (one column per report, then the
    real-vs-real baseline of the first), e.g. ``compare({"copula": a, "bootstrap": b})``.

    Rows are the union of the reports' headline metrics. The subgroup headline is each
    report's *worst* group, which may differ between reports, so it is one row,
    ``representation (worst group)``; ``rep.table`` names the group.
    """
    if not reports:
        raise DataError("compare() needs at least one report, e.g. {'copula': rep}")
    out = None
    for name, rep in reports.items():
        h = rep.headline()
        h = h.with_columns(
            pl.when(pl.col("family") == "subgroup").then(pl.concat_str([pl.col("metric"), pl.lit(" (worst group)")]))
            .when(pl.col("column").is_null()).then(pl.col("metric"))
            .otherwise(pl.concat_str([pl.col("metric"), pl.lit(" ("), pl.col("column"), pl.lit(")")]))
            .alias("metric"))
        part = h.select("family", "metric", pl.col("better").alias(f"_better_{name}"), pl.col("value").alias(name),
                        pl.col("baseline").alias(f"_base_{name}"))
        out = part if out is None else out.join(part, on=["family", "metric"], how="full", coalesce=True,
                                                maintain_order="left")
    names = list(reports)
    out = out.with_columns(pl.coalesce([f"_better_{n}" for n in names]).alias("better"),
                           pl.coalesce([f"_base_{n}" for n in names]).alias("real vs real"))
    out = out.select("family", "metric", *names, "real vs real", "better")
    if digits is not None:
        out = out.with_columns(pl.col(pl.Float64).round(digits))
    return out
