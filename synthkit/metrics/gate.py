"""Quality gates: pass or fail a :class:`~synthkit.metrics.report.Report` by rules, for notebooks and CI.

    rep = sk.evaluate(real, synthetic)
    res = rep.gate()                                     # every headline metric as real (family-wise)
    res = rep.gate({"detection_auc": ("<=", 0.6)})       # plus absolute thresholds
    res = rep.gate(previous="accepted.json", tolerance=0.02)  # plus: no worse than the accepted report
    res.raise_if_failed()                                # or rep.gate(..., enforce=True)

Three kinds of rule, each giving one row per headline metric it checks (``trtr_*``,
which describe the real rows only, are never checked):

**as real** (on unless ``baseline=False``). Each headline metric's report test
says whether the synthetic rows are worse than real rows are among themselves
(the p-value of :mod:`synthkit.metrics._baseline`, detection's Mann-Whitney,
utility's re-split test, Fisher's exact tests for category shares and subgroups).
Checking ~15 metrics at 5% each would fail a perfect generator about half the
time, so the gate controls the **family-wise** error rate at ``alpha``: Holm's
step-down correction over the metrics checked; a metric fails when its
Holm-adjusted p-value is ``<= alpha`` and its size-matched value is worse than
the real-vs-real baseline. A perfect generator then fails the gate in at most
``alpha`` of runs (measured: BENCHMARKS.md, "Quality gates").
Permutation-tested metrics (``summary["permutation_metrics"]`` and the text family) have a
smallest possible p-value of ``1 / (n_perm + 1)`` (0.05 with ``evaluate``'s
default ``n_perm=19``). A metric whose smallest p-value cannot reach its share of
``alpha`` can never fail and would only dilute the others, so it is left out
(Tarone's rule: the smallest ``K`` such that at most ``K`` metrics can reach
``alpha / K``); the result's ``notes`` name the metrics left out and the
``n_perm`` that would include them. The table's ``value`` is the size-matched
synthetic value (or the value, for metrics without one), ``limit`` the
real-vs-real baseline and ``p_value`` the Holm-adjusted p-value.

**thresholds** (``rules``). ``{"detection_auc": ("<=", 0.6), "fidelity": (">=", 0.8)}``,
a list of :class:`Threshold` objects or ``(key, op, limit)`` tuples, or a string
``"detection_auc<=0.6, column_shapes>=0.9"``. A key is a headline metric name
(``"coverage"`` is the metric; text metrics have one row per text column, named
``"metric (column)"`` in the table, and the bare name stands for all of them),
``"family/metric"``, or a family (``"fidelity"`` or ``"coverage/*"``: every
headline metric of it). ``op`` is one of ``<=``, ``>=``,
``<``, ``>``; ``value`` is the headline value (all real vs all synthetic rows).

**vs previous** (``previous=`` a report or the path of a saved one). No headline
metric may be worse than in the previous, accepted report by more than
``tolerance`` (a number, or ``{key: number}`` with keys as for thresholds, and
``"*"`` for the rest; default 0.02), in the metric's own direction (the table's
``better`` column). ``limit`` is the previous value minus (higher is better) or
plus (lower is better) the tolerance. Tolerances are in each metric's units: most
metrics are shares or similarities in [0, 1], but ``dcr_median`` is a distance and
``density`` a ratio around 1, so give those their own when 0.02 is too tight. A
regression test that re-generates with the same seeds reproduces its numbers
exactly; with new seeds, sampling noise moves them (BENCHMARKS.md, "Quality
gates", gives the seed-to-seed spread), so set ``tolerance`` above it or keep
the seeds fixed. The previous report must be of the same data: same
columns and the same real rows (fingerprint).

Rows come in a fixed order (as real, thresholds in the order given, vs
previous; within each, the headline order), and the printed table is rounded
(values to 3 decimals) with no timings, paths or ids, so notebook checkers can
compare it exactly.
"""

from __future__ import annotations

import html
import math
import operator
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from .._checks import check_float
from ..errors import DataError, QualityGateError, SchemaError
from .fairness import holm

__all__ = ["gate", "GateResult", "Threshold", "parse_rules", "DEFAULT_TOLERANCE", "DIGITS"]

#: default tolerance of the "vs previous" rule (in the metric's units)
DEFAULT_TOLERANCE = 0.02
#: decimals of values and limits in the printed table
DIGITS = 3
#: headline metrics the gate never checks (they describe the real rows only)
NOT_CHECKED = ("trtr_macro_f1", "trtr_r2")
#: the metrics whose p-value comes from the permutation test, for reports that do not list them
PERMUTATION_METRICS = ("column_shapes", "worst_column_shape", "within_support", "pair_trends", "recall",
                       "density", "coverage", "nndr_mean", "dcr_median")
#: families whose every p-value comes from the permutation test
PERMUTATION_FAMILIES = ("text",)
#: families with one headline row per column: their rows are named "metric (column)"
PER_COLUMN_FAMILIES = ("text",)

_OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}
_RULE_RE = re.compile(r"^\s*([A-Za-z_][\w/*]*)\s*(<=|>=|<|>)\s*([-+0-9.eE]+)\s*$")

GATE_SCHEMA = {"rule": pl.String, "metric": pl.String, "value": pl.Float64, "limit": pl.Float64,
               "passed": pl.Boolean, "p_value": pl.Float64}


@dataclass(frozen=True)
class Threshold:
    """An absolute rule: ``metric`` (a name, ``family/metric``, or a family) ``op`` ``limit``."""

    metric: str
    op: str
    limit: float

    def __post_init__(self):
        if not isinstance(self.metric, str) or not self.metric:
            raise DataError(f"a gate rule needs a metric name, got {self.metric!r}")
        if self.op not in _OPS:
            raise DataError(f"gate rule for {self.metric!r} has operator {self.op!r}; use one of {list(_OPS)}")
        check_float(f"the limit of the gate rule for {self.metric!r}", self.limit, hint=" (e.g. 0.6)")
        object.__setattr__(self, "limit", float(self.limit))

    @classmethod
    def parse(cls, text: str) -> "Threshold":
        """``Threshold.parse("detection_auc<=0.6")``."""
        m = _RULE_RE.match(text) if isinstance(text, str) else None
        if not m:
            raise DataError(f"gate rule {text!r} is not of the form METRIC<=NUMBER (or >=, <, >), "
                            "e.g. 'detection_auc<=0.6'")
        try:
            limit = float(m.group(3))
        except ValueError:
            raise DataError(f"gate rule {text!r}: {m.group(3)!r} is not a number") from None
        return cls(m.group(1), m.group(2), limit)

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.limit:g}"


def parse_rules(rules: Any) -> list[Threshold]:
    """Thresholds from a dict, a list (Threshold, ``(key, op, limit)`` or ``"key<=x"``) or a string
    of comma-separated ``key<=x`` rules; ``None`` gives none."""
    if rules is None:
        return []
    if isinstance(rules, Threshold):
        return [rules]
    if isinstance(rules, str):
        return [Threshold.parse(t) for t in rules.split(",") if t.strip()] or _bad_rules(rules)
    if isinstance(rules, dict):
        out = []
        for key, spec in rules.items():
            if isinstance(spec, Threshold):
                out.append(spec)
            elif isinstance(spec, (tuple, list)) and len(spec) == 2:
                out.append(Threshold(key, spec[0], spec[1]))
            else:
                raise DataError(f"gate rule for {key!r} must be (op, limit), e.g. ('<=', 0.6); got {spec!r}")
        return out
    if isinstance(rules, (list, tuple)):
        out = []
        for r in rules:
            if isinstance(r, Threshold):
                out.append(r)
            elif isinstance(r, str):
                out.append(Threshold.parse(r))
            elif isinstance(r, (tuple, list)) and len(r) == 3:
                out.append(Threshold(*r))
            else:
                _bad_rules(r)
        return out
    return _bad_rules(rules)


def _bad_rules(r):
    raise DataError(f"gate rules {r!r} not understood; pass a dict such as {{'detection_auc': ('<=', 0.6)}}, "
                    "a list of Threshold objects or 'metric<=number' strings, or None")


@dataclass(frozen=True, eq=False)
class GateResult:
    """The outcome of a gate: ``table`` (rule, metric, value, limit, passed, p_value), ``passed``,
    ``failed`` (the failed rows), ``notes``, ``raise_if_failed()``."""

    table: pl.DataFrame
    alpha: float
    notes: tuple[str, ...] = ()
    messages: tuple[str, ...] = field(default=(), repr=False)  #: one plain sentence per table row

    @property
    def passed(self) -> bool:
        """True when every rule passed."""
        return bool(self.table["passed"].all()) if self.table.height else True

    def __bool__(self) -> bool:
        return self.passed

    @property
    def failed(self) -> pl.DataFrame:
        """The rows of the rules that failed."""
        return self.table.filter(~pl.col("passed"))

    def failures(self) -> list[str]:
        """Every failed rule in plain words."""
        return [m for m, ok in zip(self.messages, self.table["passed"].to_list()) if not ok]

    def message(self) -> str:
        fails = self.failures()
        if not fails:
            return f"quality gate passed: all {self.table.height} rules"
        return (f"quality gate failed: {len(fails)} of {self.table.height} rules\n"
                + "\n".join(f"- {m}" for m in fails))

    def raise_if_failed(self) -> "GateResult":
        """Raise :class:`~synthkit.errors.QualityGateError` listing every failed rule; else return self."""
        if not self.passed:
            raise QualityGateError(self.message(), self)
        return self

    def _cells(self) -> list[list[str]]:
        rows = []
        for r in self.table.iter_rows(named=True):
            rows.append([r["rule"], r["metric"], _num(r["value"]), _num(r["limit"]), _p(r["p_value"]),
                         "yes" if r["passed"] else "NO"])
        return rows

    def _title(self) -> str:
        n, k = self.table.height, self.failed.height
        state = "PASSED" if k == 0 else "FAILED"
        return f"quality gate {state}: {n - k} of {n} rules passed (family-wise alpha = {self.alpha:g}, Holm)"

    _HEAD = ["rule", "metric", "value", "limit", "p (Holm)", "passed"]

    def __repr__(self) -> str:
        cells = self._cells()
        widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(self._HEAD)]
        right = {2, 3, 4}

        def line(vals):
            return "  ".join(v.rjust(w) if i in right else v.ljust(w) for i, (v, w) in enumerate(zip(vals, widths)))

        out = [self._title(), line(self._HEAD).rstrip()] + [line(c).rstrip() for c in cells]
        out += [f"note: {n}" for n in self.notes]
        return "\n".join(out)

    def _repr_html_(self) -> str:
        e = html.escape
        head = "".join(f"<th>{e(h)}</th>" for h in self._HEAD)
        body = []
        for c in self._cells():
            cls = "sk-ok" if c[-1] == "yes" else "sk-bad"
            body.append("<tr>" + "".join(f"<td>{e(v)}</td>" for v in c[:-1]) + f"<td class='{cls}'>{e(c[-1])}</td></tr>")
        notes = "".join(f"<li>{e(n)}</li>" for n in self.notes)
        return (f"<div class='sk-gate'><p><b>{e(self._title())}</b></p><table class='sk-table'><tr>{head}</tr>"
                f"{''.join(body)}</table>" + (f"<ul class='sk-notes'>{notes}</ul>" if notes else "") + "</div>")


def _num(v: float | None) -> str:
    return "-" if v is None or not math.isfinite(v) else f"{v:.{DIGITS}f}"


def _p(v: float | None) -> str:
    if v is None or not math.isfinite(v):
        return "-"
    return "<0.001" if v < 0.001 else f"{v:.3f}"


# ---------------------------------------------------------------------------- the gate
def gate(rep, rules: Any = None, *, previous: Any = None, alpha: float = 0.05,
         tolerance: float | dict = DEFAULT_TOLERANCE, baseline: bool = True, enforce: bool = False) -> GateResult:
    """Check ``rep`` (a Report, or the path of a saved one) against quality rules; see the module docstring.

    ``rules``: absolute thresholds (dict, list or string); ``previous``: a Report or the
    path of an accepted, saved one (no headline metric worse by more than ``tolerance``);
    ``alpha``: the family-wise level of the "as real" rule (``baseline=False`` turns it
    off); ``enforce=True`` raises :class:`~synthkit.errors.QualityGateError` when a rule fails.
    """
    from .report import Report, load_report

    if isinstance(rep, (str, Path)):
        rep = load_report(rep)
    if not isinstance(rep, Report):
        raise DataError(f"gate() needs the Report of sk.evaluate(...) or the path of a saved one, "
                        f"got {type(rep).__name__}")
    alpha = check_float("alpha", alpha, minimum=0.0, maximum=0.5, strict_minimum=True,
                        hint=" (the family-wise false-alarm rate, e.g. 0.05)")
    if not isinstance(baseline, bool) or not isinstance(enforce, bool):
        raise DataError("baseline and enforce must be True or False")
    head = _checked_headline(rep)
    thresholds = parse_rules(rules)
    tol = _tolerances(tolerance, head)
    prev = None
    if previous is not None:
        prev = previous if isinstance(previous, Report) else load_report(previous)
        if not isinstance(prev, Report):
            raise DataError(f"previous must be a Report or the path of a saved report, got {type(previous).__name__}")
        _same_data(rep, prev)

    rows: list[dict] = []
    msgs: list[str] = []
    notes: list[str] = []
    if baseline:
        _as_real(rep, head, alpha, rows, msgs, notes)
    for t in thresholds:
        for r in head.filter(pl.col("label").is_in(_resolve(t.metric, head))).iter_rows(named=True):
            v = r["value"]
            ok = v is not None and bool(_OPS[t.op](v, t.limit))
            rows.append({"rule": f"{t.op} limit", "metric": r["label"], "value": v, "limit": t.limit,
                         "passed": ok, "p_value": None})
            msgs.append(f"{r['label']} = {_num(v)} should be {t.op} {t.limit:g}" if v is not None else
                        f"{r['label']} has no value in this report, so '{t}' cannot be checked")
    if prev is not None:
        _vs_previous(head, _checked_headline(prev), tol, rows, msgs, notes)
    table = pl.DataFrame(rows, schema=GATE_SCHEMA) if rows else pl.DataFrame(schema=GATE_SCHEMA)
    res = GateResult(table, alpha, tuple(notes), tuple(msgs))
    if enforce:
        res.raise_if_failed()
    return res


def _checked_headline(rep) -> pl.DataFrame:
    """The headline rows the gate checks, with ``label``: the metric name, or ``"metric (column)"``
    for families measured per column (text), and ``coarse``: the p-value comes from re-splits."""
    h = rep.headline().filter(~pl.col("metric").is_in(list(NOT_CHECKED)))
    perm = list(rep.summary.get("permutation_metrics", PERMUTATION_METRICS))
    per_column = pl.col("family").is_in(list(PER_COLUMN_FAMILIES)) & pl.col("column").is_not_null()
    return h.with_columns(
        pl.when(per_column).then(pl.concat_str([pl.col("metric"), pl.lit(" ("), pl.col("column"), pl.lit(")")]))
        .otherwise(pl.col("metric")).alias("label"),
        (pl.col("family").is_in(list(PERMUTATION_FAMILIES))
         | (pl.col("metric").is_in(perm) & pl.col("column").is_null())).alias("coarse"))


def _resolve(key: str, head: pl.DataFrame) -> list[str]:
    """Row labels a rule key stands for (a metric, "metric (column)", family/metric, family or family/*)."""
    labels, metrics, fams = head["label"].to_list(), head["metric"].to_list(), head["family"].to_list()
    hit = [lab for lab, m in zip(labels, metrics) if key in (lab, m)]
    if not hit:
        fam, _, rest = key.partition("/")
        hit = [lab for lab, m, f in zip(labels, metrics, fams) if f == fam and rest in ("", "*", m, lab)]
    if hit:
        return hit
    raise DataError(f"gate rule names unknown metric {key!r}; this report's headline metrics are {labels} "
                    f"(or a family: {sorted(set(fams), key=fams.index)})")


def _tolerances(tolerance, head: pl.DataFrame) -> dict[str, float]:
    metrics = head["label"].to_list()
    if isinstance(tolerance, dict):
        default = check_float("tolerance['*']", tolerance.get("*", DEFAULT_TOLERANCE), minimum=0.0)
        out = dict.fromkeys(metrics, default)
        for key, v in tolerance.items():
            if key == "*":
                continue
            v = check_float(f"tolerance[{key!r}]", v, minimum=0.0, hint=" (in the metric's units, e.g. 0.02)")
            for m in _resolve(key, head):
                out[m] = v
        return out
    v = check_float("tolerance", tolerance, minimum=0.0, hint=" (in the metric's units, e.g. 0.02)")
    return dict.fromkeys(metrics, v)


def _as_real(rep, head: pl.DataFrame, alpha: float, rows: list, msgs: list, notes: list) -> None:
    """Holm over the headline metrics whose test can reach the family-wise level (Tarone)."""
    tested = head.filter(pl.col("p_value").is_not_null())
    if tested.height == 0:
        notes.append("no headline metric has a test in this report (n_perm=0?), so the 'as real' rule checked "
                     "nothing")
        return
    n_perm = int(rep.summary.get("n_perm", 19) or 0)
    metrics = tested["label"].to_list()
    min_p = np.where(tested["coarse"].to_numpy(), 1.0 / (n_perm + 1), 0.0)
    m = len(metrics)
    for K in range(1, m + 1):
        keep = min_p <= alpha / K + 1e-12
        if keep.sum() <= K:
            break
    left_out = [x for x, k in zip(metrics, keep) if not k]
    if left_out:
        need = math.ceil(m / alpha - 1 - 1e-9)
        notes.append(
            f"not checked against real: {', '.join(left_out)} (permutation tests with n_perm = {n_perm} cannot "
            f"reach the family-wise level; evaluate(..., n_perm={need}) checks them too)")
    sel = tested.filter(pl.Series(keep))
    adj = holm(sel["p_value"].to_numpy())
    for r, p in zip(sel.iter_rows(named=True), adj):
        value = r["matched"] if r["matched"] is not None else r["value"]
        b = r["baseline"]
        worse = True
        if value is not None and b is not None:
            worse = value < b if r["better"] == "higher" else value > b
        ok = not (p <= alpha + 1e-12 and worse)
        rows.append({"rule": "as real", "metric": r["label"], "value": value, "limit": b, "passed": ok,
                     "p_value": float(p)})
        msgs.append(f"{r['label']} is worse than real: {_num(value)} against {_num(b)} for real rows "
                    f"(Holm-adjusted p = {p:.3g} <= alpha = {alpha:g}; {r['better']} is better)")


def _same_data(rep, prev) -> None:
    a, b = rep.meta["dataset"], prev.meta["dataset"]
    if list(a["columns"]) != list(b["columns"]):
        raise SchemaError(
            f"the previous report is for other data: its columns {list(b['columns'])} differ from this report's "
            f"{list(a['columns'])}; compare with a report of the same real data")
    if a["fingerprint"] != b["fingerprint"]:
        raise SchemaError(
            f"the previous report is for other data: its real rows ({b['name']!r}, fingerprint {b['fingerprint']}) "
            f"differ from this report's ({a['name']!r}, fingerprint {a['fingerprint']}); evaluate both against "
            "the same real rows, or accept a new previous report")


def _vs_previous(head: pl.DataFrame, prev_head: pl.DataFrame, tol: dict, rows: list, msgs: list,
                 notes: list) -> None:
    pv = {r["label"]: r["value"] for r in prev_head.iter_rows(named=True)}
    missing = []
    for r in head.iter_rows(named=True):
        m, v, p = r["label"], r["value"], pv.get(r["label"])
        if v is None or p is None:
            missing.append(m)
            continue
        t = tol[m]
        if r["better"] == "higher":
            limit, ok, word = p - t, v >= p - t - 1e-12, "lower"
        else:
            limit, ok, word = p + t, v <= p + t + 1e-12, "higher"
        rows.append({"rule": "vs previous", "metric": m, "value": v, "limit": limit, "passed": bool(ok),
                     "p_value": None})
        msgs.append(f"{m} = {_num(v)} is worse than in the previous report ({_num(p)}): {word} by more than "
                    f"the tolerance {t:g}")
    if missing:
        notes.append(f"not compared with the previous report (no value in one of them): {', '.join(missing)}")
