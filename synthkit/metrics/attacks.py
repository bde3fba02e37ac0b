"""Privacy as attacks: singling out, linkability, attribute inference, membership.

Distances to the closest record say how close synthetic rows sit to real ones;
these attacks say what an attacker who holds the synthetic rows can *learn*
about the people in the training rows. They follow the three criteria of the
Article 29 Working Party (opinion 05/2014) as the reference implementation,
anonymeter (Giomi et al. 2023), measures them, plus membership inference.

Every attack is run twice: against the **training** rows (the generator saw
them) and against a **control** set (real rows from the same population that
the generator never saw). Success on the control set is what the synthetic rows
reveal about the population in general; only the excess is a privacy risk:

    risk = (attack rate - control rate) / (1 - control rate)

Rates and their 95% intervals use Wilson's score interval, and the risk's
interval propagates both errors (the reference's formulas, so that the two
agree). A **baseline** attacker who guesses at random is run too: an attack that
does no better than the baseline tells nothing (flagged ``informative=False``).

- :func:`singling_out`: predicates built from the synthetic rows that match
  exactly one synthetic row (univariate: a rare value, the minimum or maximum
  of a column; multivariate: ``n_cols`` of one synthetic row's values, numeric
  ones as ``>=``/``<=`` against the median side they fall on). An attack succeeds
  when its predicate matches exactly one training row. A predicate isolates a
  row more easily in a smaller set, so the two sets are compared at the same
  size: by default (``size_correction="subsample"``) the larger of the two is
  subsampled (seeded) to the size of the smaller. The reference instead rescales
  the control rate with a fitted model of how the chance of isolating one row
  grows with the number of rows (``size_correction="model"``); measured on
  adult with twice as many training as control rows, that model reads fresh
  real rows (a perfect generator) as a multivariate singling-out risk of
  0.12-0.18, while subsampling reads them as about 0 (see BENCHMARKS.md).
- :func:`linkability`: the attacker knows two disjoint column sets of a
  person (e.g. from two other releases). For each target row, the nearest
  synthetic rows on each set; the link succeeds when the two sets of
  ``n_neighbors`` nearest rows share a row.
- :func:`attribute_inference`: the attacker knows ``aux_cols`` of a person and
  guesses the ``secret`` column as the nearest synthetic row's value (numbers
  count as guessed within 5% relative error).
- :func:`membership_inference`: is a row part of the training data? Scored
  by closeness to the synthetic rows (``"distance"``) or, in the spirit of
  DOMIAS (van Breugel et al. 2023), by the density ratio
  ``p_synthetic(x) / p_real(x)`` (``"density"``); members are training rows and
  non-members the control rows. Reported as the AUC (0.5 = no leak) and as the
  risk ``2 * AUC - 1`` (clipped to [0, 1]).

Distances for the nearest-row attacks are Gower's, as in the reference: per
numeric column ``|a - b| / range`` (range over the synthetic and target rows),
per categorical column 0 or 1, summed. A missing value equals a missing value
(distance 0) and differs from any value (distance 1). Ties between equally near
synthetic rows are broken at random (seeded), never by row order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np
import polars as pl
from scipy.stats import norm

from .._categories import category_codes
from .._checks import check_int
from ..data import ROW_ID, Dataset, as_dataset, conform
from ..errors import DataError, SchemaError

__all__ = [
    "AttackResult", "singling_out", "linkability", "attribute_inference", "membership_inference",
    "privacy_attacks", "ATTACKS",
]

ATTACKS = ("singling_out", "linkability", "inference", "membership")
#: confidence level of every interval
CONFIDENCE = 0.95
#: relative error within which a numeric secret counts as guessed (the reference's value)
NUMERIC_TOLERANCE = 0.05


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Rate:
    """A success rate with its Wilson score estimate and error (95%)."""

    n: int
    successes: float

    @property
    def value(self) -> float:
        z2 = _Z ** 2
        return (self.successes + 0.5 * z2) / (self.n + z2)

    @property
    def error(self) -> float:
        z2 = _Z ** 2
        var = self.successes * (self.n - self.successes) / self.n if self.n else 0.0
        return _Z / (self.n + z2) * math.sqrt(max(var, 0.0) + 0.25 * z2)


_Z = float(norm.ppf(0.5 * (1.0 + CONFIDENCE)))


@dataclass(frozen=True)
class AttackResult:
    """One attack's outcome: rates, risk and its interval, and who is exposed.

    ``train_exposed`` counts, per training row (in the order given), the
    successful attacks that hit it; ``synthetic_exposed`` counts, per synthetic
    row, the successful attacks that went through it (the rows to look at
    and perhaps to drop).
    """

    attack: str
    n_attacks: int
    attack_rate: float
    control_rate: float
    baseline_rate: float
    risk: float
    ci_low: float
    ci_high: float
    p_value: float
    detail: dict = field(default_factory=dict)
    train_exposed: np.ndarray | None = field(default=None, repr=False, compare=False)
    synthetic_exposed: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def informative(self) -> bool:
        """False when the attack does no better than random guessing."""
        return self.attack_rate > self.baseline_rate

    def as_dict(self) -> dict:
        return {
            "attack": self.attack, "n_attacks": self.n_attacks, "attack_rate": self.attack_rate,
            "control_rate": self.control_rate, "baseline_rate": self.baseline_rate, "risk": self.risk,
            "ci_low": self.ci_low, "ci_high": self.ci_high, "p_value": self.p_value,
            "informative": self.informative,
        }


def _result(attack: str, n_attack: int, n_success: float, n_control_attacks: int, n_control: float,
            n_baseline_attacks: int, n_baseline: float, **extra: Any) -> AttackResult:
    """Rates, the residual risk with its propagated error, and a one-sided p-value."""
    a = Rate(n_attack, n_success)
    c = Rate(n_control_attacks, n_control)
    b = Rate(n_baseline_attacks, n_baseline)
    if c.value >= 1.0:
        raise DataError(
            f"{attack}: every attack on the control rows succeeds, so no residual risk can be "
            "measured; use a larger control set"
        )
    risk = (a.value - c.value) / (1.0 - c.value)
    err = math.sqrt((a.error / (1.0 - c.value)) ** 2 + (c.error * (a.value - 1.0) / (1.0 - c.value) ** 2) ** 2)
    # one-sided test of "attack rate > control rate" (the z of the risk, errors back to standard errors)
    se = err / _Z
    p = float(norm.sf(risk / se)) if se > 0 else (0.0 if risk > 0 else 1.0)
    return AttackResult(
        attack=attack, n_attacks=n_attack, attack_rate=a.value, control_rate=c.value, baseline_rate=b.value,
        risk=min(max(risk, 0.0), 1.0), ci_low=min(max(risk - err, 0.0), 1.0),
        ci_high=min(max(risk + err, 0.0), 1.0), p_value=p, **extra,
    )


# --------------------------------------------------------------------------- inputs
@dataclass
class _Frames:
    """Training, control and synthetic rows with the same modelled columns."""

    train: pl.DataFrame
    control: pl.DataFrame
    synth: pl.DataFrame
    numeric: list[str]
    categorical: list[str]


def _frames(train: Any, synthetic: Any, control: Any, columns: Sequence[str] | None = None) -> _Frames:
    if control is None:
        raise DataError(
            "privacy attacks need a control set: real rows from the same population that the "
            "generator never saw (e.g. real, control = ds.split(0.8) before generating); pass control=..."
        )
    ds = as_dataset(train, "train")
    schema = ds.schema
    cols = list(columns) if columns is not None else [c for c in schema.columns if c not in schema.text]
    unknown = [c for c in cols if c not in schema.columns]
    if unknown:
        raise SchemaError(f"column(s) {unknown} are not modelled columns of the training data; "
                          f"pick from {list(schema.columns)}")
    sframe = synthetic.frame if hasattr(synthetic, "frame") else synthetic
    cframe = control.frame if hasattr(control, "frame") else control
    sframe = _polars(sframe, "synthetic")
    cframe = _polars(cframe, "control")
    missing = [c for c in cols if c not in sframe.columns]
    if missing:
        raise SchemaError(
            f"the synthetic rows lack column(s) {missing} that the attack uses; generate them too, "
            "or leave them out of aux_cols"
        )
    missing = [c for c in cols if c not in cframe.columns]
    if missing:
        raise SchemaError(f"the control rows lack column(s) {missing}; give control rows with the training columns")
    tr = ds.frame
    sub = schema if set(cols) == set(schema.columns) else None
    synth = conform(sframe, sub, what="synthetic rows") if sub else _cast_like(sframe, tr, cols, "synthetic rows")
    ctrl = conform(cframe, sub, what="control rows") if sub else _cast_like(cframe, tr, cols, "control rows")
    _check_disjoint(tr, ctrl, cols)
    for name, f in (("training", tr), ("control", ctrl), ("synthetic", synth)):
        if f.height < 2:
            raise DataError(f"the {name} rows number {f.height}; an attack needs at least 2")
    return _Frames(
        train=tr.select(cols), control=ctrl.select(cols), synth=synth.select(cols),
        numeric=[c for c in cols if c in schema.numeric], categorical=[c for c in cols if c in schema.categorical],
    )


def _polars(frame: Any, what: str) -> pl.DataFrame:
    from ..data import to_polars

    try:
        return to_polars(frame)
    except Exception as exc:  # noqa: BLE001
        raise DataError(f"the {what} rows are not a frame ({exc})") from None


def _cast_like(frame: pl.DataFrame, like: pl.DataFrame, cols: list[str], what: str) -> pl.DataFrame:
    try:
        return frame.with_columns([pl.col(c).cast(like[c].dtype, strict=True) for c in cols])
    except Exception as exc:  # noqa: BLE001
        raise SchemaError(f"{what}: could not cast columns to the training dtypes ({exc})") from None


def _check_disjoint(train: pl.DataFrame, control: pl.DataFrame, cols: list[str]) -> None:
    """The control rows must be other people than the training rows."""
    if ROW_ID in train.columns and ROW_ID in control.columns:
        shared = control[ROW_ID].is_in(train[ROW_ID].implode())
        n = int(shared.sum())
        if n:
            raise DataError(
                f"{n} control row(s) are also training rows (same row_id, e.g. {control[ROW_ID][int(shared.arg_max())]!r}); "
                "the control set must hold real rows the generator never saw"
            )
    # content: a control set that is mostly copies of training rows is not a control set
    same = control.select(cols).join(train.select(cols).unique(), on=cols, how="semi", nulls_equal=True).height
    expected = _duplicate_share(train.select(cols))
    if control.height and same / control.height > max(0.5, 3 * expected + 0.05):
        raise DataError(
            f"{same} of the {control.height} control rows equal a training row in every column; the "
            "control set must hold real rows the generator never saw (split the real data before generating)"
        )


def _duplicate_share(frame: pl.DataFrame) -> float:
    """Share of rows of a frame that repeat another row (what a fresh draw would also match)."""
    if frame.height == 0:
        return 0.0
    return 1.0 - frame.unique().height / frame.height


def _codes(frames: _Frames) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per column: train, control and synthetic values as floats (categories as codes, missing = NaN)."""
    out = {}
    for c in frames.numeric:
        out[c] = tuple(f[c].cast(pl.Float64).to_numpy().astype(np.float64) for f in
                       (frames.train, frames.control, frames.synth))
    for c in frames.categorical:
        levels = pl.concat([frames.train[c].cast(pl.String), frames.control[c].cast(pl.String),
                            frames.synth[c].cast(pl.String)]).drop_nulls().unique().sort().to_list()
        arrs = []
        for f in (frames.train, frames.control, frames.synth):
            code = category_codes(f[c].cast(pl.String), levels).astype(np.float64)
            code[code < 0] = np.nan
            arrs.append(code)
        out[c] = tuple(arrs)
    return out


# --------------------------------------------------------------------------- Gower neighbours
def _gower_k1_kernel():
    """The numba kernel of the nearest row (built on first use: numba loads only when needed)."""
    global _GOWER_K1
    if _GOWER_K1 is None:
        import numba

        @numba.njit(parallel=True, cache=True, nogil=True)
        def kernel(Q, C, is_num, scale, out):  # pragma: no cover - compiled
            nq, nc, nd = Q.shape[0], C.shape[0], Q.shape[1]
            for i in numba.prange(nq):
                best = np.inf
                bi = -1
                for j in range(nc):
                    d = 0.0
                    for c in range(nd):
                        a = Q[i, c]
                        b = C[j, c]
                        if np.isnan(a) or np.isnan(b):
                            if not (np.isnan(a) and np.isnan(b)):
                                d += 1.0
                        elif is_num[c]:
                            d += abs(a - b) / scale[c]
                        elif a != b:
                            d += 1.0
                        if d > best:
                            break
                    if d < best:
                        best = d
                        bi = j
                out[i] = bi

        _GOWER_K1 = kernel
    return _GOWER_K1


_GOWER_K1 = None


def _gower_nearest(queries: dict[str, np.ndarray], cands: dict[str, np.ndarray], numeric: set[str],
                   k: int, rng: np.random.Generator, chunk: int = 256, compiled: bool = True) -> np.ndarray:
    """Indices of the k nearest candidates of every query (ties broken at random)."""
    cols = list(queries)
    n_q = len(next(iter(queries.values())))
    n_c = len(next(iter(cands.values())))
    k = min(k, n_c)
    prio = rng.permutation(n_c)  # random tie-break: candidates visited in a seeded random order
    cand = {c: cands[c][prio] for c in cols}
    scale = {}
    for c in cols:
        if c in numeric:
            both = np.concatenate([queries[c], cands[c]])
            both = both[~np.isnan(both)]
            rng_c = float(both.max() - both.min()) if both.size else 0.0
            scale[c] = rng_c if rng_c > 0 else 1.0
    out = np.empty((n_q, k), dtype=np.int64)
    if k == 1 and compiled:
        # the same sums, column by column in the same order, as the array path below
        Q = np.column_stack([queries[c] for c in cols]).astype(np.float64)
        Cm = np.ascontiguousarray(np.column_stack([cand[c] for c in cols]).astype(np.float64))
        is_num = np.array([c in numeric for c in cols], dtype=np.bool_)
        sc = np.array([scale.get(c, 1.0) for c in cols], dtype=np.float64)
        _gower_k1_kernel()(np.ascontiguousarray(Q), Cm, is_num, sc, out[:, 0])
        return prio[out]
    for s in range(0, n_q, chunk):
        e = min(n_q, s + chunk)
        d = np.zeros((e - s, n_c))
        for c in cols:
            q = queries[c][s:e, None]
            v = cand[c][None, :]
            qn, vn = np.isnan(q), np.isnan(v)
            if c in numeric:
                part = np.abs(q - v) / scale[c]
            else:
                part = (q != v).astype(np.float64)
            part = np.where(qn & vn, 0.0, np.where(qn | vn, 1.0, part))
            d += part
        if k == 1:
            out[s:e, 0] = d.argmin(axis=1)  # first minimum = the random tie-break
        else:
            kth = np.partition(d, k - 1, axis=1)[:, k - 1:k]
            less = d < kth
            eq = d == kth
            need = k - less.sum(axis=1, keepdims=True)
            take = less | (eq & (np.cumsum(eq, axis=1) <= need))
            rows, idx = np.nonzero(take)
            out[s:e] = idx.reshape(e - s, k)
    return prio[out]


# --------------------------------------------------------------------------- singling out
@dataclass(frozen=True)
class _Query:
    """A conjunction of predicates ``column op value`` (op: ``==``, ``<=``, ``>=``, ``null``)."""

    terms: tuple[tuple[str, str, float], ...]
    source: int = -1  # the synthetic row it was built from (-1: from a column's values)


def _match(q: _Query, data: dict[str, np.ndarray], n: int) -> np.ndarray:
    m = np.ones(n, dtype=bool)
    for col, op, val in q.terms:
        x = data[col]
        if op == "null":
            m &= np.isnan(x)
        elif op == "==":
            m &= x == val
        elif op == "<=":
            m &= x <= val
        elif op == ">=":
            m &= x >= val
        elif op == "!=":
            m &= (x != val) & ~np.isnan(x)
        elif op == "<":
            m &= x < val
        elif op == ">":
            m &= x > val
        elif op == "notnull":
            m &= ~np.isnan(x)
    return m


_OPS = {"==": 0, "<=": 1, ">=": 2, "null": 3, "!=": 4, "<": 5, ">": 6, "notnull": 7}
_COUNT_KERNEL = None


def _count_kernel():
    """The numba kernel behind :func:`_count` (built on first use)."""
    global _COUNT_KERNEL
    if _COUNT_KERNEL is None:
        import numba

        @numba.njit(parallel=True, cache=True, nogil=True)
        def kernel(D, cols, ops, vals, cap, out):  # pragma: no cover - compiled
            n, nq, nt = D.shape[0], cols.shape[0], cols.shape[1]
            for b in numba.prange(nq):
                c = 0
                for i in range(n):
                    ok = True
                    for t in range(nt):
                        op = ops[b, t]
                        if op < 0:
                            continue
                        x = D[i, cols[b, t]]
                        v = vals[b, t]
                        if op == 3:
                            ok = np.isnan(x)
                        elif op == 7:
                            ok = not np.isnan(x)
                        elif np.isnan(x):
                            ok = False
                        elif op == 0:
                            ok = x == v
                        elif op == 1:
                            ok = x <= v
                        elif op == 2:
                            ok = x >= v
                        elif op == 4:
                            ok = x != v
                        elif op == 5:
                            ok = x < v
                        else:
                            ok = x > v
                        if not ok:
                            break
                    if ok:
                        c += 1
                        if c >= cap:
                            break
                out[b] = c

        _COUNT_KERNEL = kernel
    return _COUNT_KERNEL


def _count(queries: list[_Query], data: dict[str, np.ndarray], n: int, cap: int = 2) -> np.ndarray:
    """Rows matching each query, counted up to ``cap`` (an attack only asks "exactly one?")."""
    if not queries:
        return np.zeros(0, dtype=np.int64)
    names = list(data)
    where = {c: j for j, c in enumerate(names)}
    D = np.ascontiguousarray(np.column_stack([data[c] for c in names]).astype(np.float64))
    width = max(len(q.terms) for q in queries)
    cols = np.zeros((len(queries), width), dtype=np.int64)
    ops = np.full((len(queries), width), -1, dtype=np.int64)
    vals = np.zeros((len(queries), width), dtype=np.float64)
    for b, q in enumerate(queries):
        for t, (col, op, val) in enumerate(q.terms):
            cols[b, t], ops[b, t], vals[b, t] = where[col], _OPS[op], val
    out = np.zeros(len(queries), dtype=np.int64)
    _count_kernel()(D, cols, ops, vals, int(cap), out)
    return out


def _unique_rows(data: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Indices of the first occurrence of every distinct row (the reference deduplicates)."""
    if not data:
        return np.arange(n)
    m = np.column_stack([np.nan_to_num(v, nan=np.inf) for v in data.values()])
    _, first = np.unique(m, axis=0, return_index=True)
    return np.sort(first)


def _univariate_queries(syn: dict[str, np.ndarray], n: int, numeric: set[str], n_attacks: int,
                        rng: np.random.Generator) -> list[_Query]:
    qs: list[_Query] = []
    for c, x in syn.items():
        nulls = np.isnan(x)
        if nulls.sum() == 1:
            qs.append(_Query(((c, "null", np.nan),), int(np.argmax(nulls))))
        if c in numeric and (~nulls).any():
            lo, hi = np.nanmin(x), np.nanmax(x)
            qs.append(_Query(((c, "<=", lo),), int(np.nanargmin(x))))
            qs.append(_Query(((c, ">=", hi),), int(np.nanargmax(x))))
        vals, first, counts = np.unique(x[~nulls], return_index=True, return_counts=True)
        rows = np.nonzero(~nulls)[0][first]
        for v, r in zip(vals[counts == 1], rows[counts == 1]):
            qs.append(_Query(((c, "==", float(v)),), int(r)))
    order = rng.permutation(len(qs))
    qs = [qs[i] for i in order]
    counts = _count(qs, syn, n)
    out, seen = [], set()
    for q, cnt in zip(qs, counts):
        if cnt == 1 and q.terms not in seen:
            seen.add(q.terms)
            out.append(q)
            if len(out) >= n_attacks:
                break
    return out


def _multivariate_queries(syn: dict[str, np.ndarray], n: int, numeric: set[str], n_attacks: int,
                          n_cols: int, rng: np.random.Generator, max_attempts: int) -> list[_Query]:
    """Predicates from random synthetic rows on ``n_cols`` random columns, kept when they isolate their row.

    Built and counted a batch at a time as arrays; only the kept ones become :class:`_Query`.
    """
    cols = list(syn)
    n_cols = min(n_cols, len(cols))
    D = np.ascontiguousarray(np.column_stack([syn[c] for c in cols]).astype(np.float64))
    is_num = np.array([c in numeric for c in cols])
    medians = np.array([np.nanmedian(syn[c]) if c in numeric and (~np.isnan(syn[c])).any() else np.nan
                        for c in cols])
    names = {0: "==", 1: "<=", 2: ">=", 3: "null"}
    out, seen, attempts = [], set(), 0
    batch = min(1000, max_attempts)
    kernel = _count_kernel()
    while len(out) < n_attacks and attempts < max_attempts:
        rows = rng.integers(0, n, size=batch)
        picks = np.sort(np.argsort(rng.random((batch, len(cols))), axis=1)[:, :n_cols], axis=1)
        vals = D[rows[:, None], picks]
        num = is_num[picks]
        ops = np.where(np.isnan(vals), 3, np.where(num, np.where(vals > medians[picks], 2, 1), 0)).astype(np.int64)
        counts = np.zeros(batch, dtype=np.int64)
        kernel(D, picks.astype(np.int64), ops, vals, 2, counts)
        for b in np.nonzero(counts == 1)[0]:
            terms = tuple((cols[j], names[o], float(v) if o != 3 else np.nan)
                          for j, o, v in zip(picks[b], ops[b], vals[b]))
            key = tuple((c, o, None if o == "null" else v) for c, o, v in terms)
            if key in seen:
                continue
            seen.add(key)
            out.append(_Query(terms, int(rows[b])))
            if len(out) >= n_attacks:
                break
        attempts += batch
    return out


def _random_queries(syn: dict[str, np.ndarray], numeric: set[str], n_queries: int, n_cols: int,
                    rng: np.random.Generator) -> list[_Query]:
    """The baseline attacker: random columns, random values, random operators."""
    cols = list(syn)
    n_cols = min(n_cols, len(cols))
    uniq = {c: np.unique(syn[c]) for c in cols}  # NaN sorts last and stands for "missing"
    out = []
    for _ in range(n_queries):
        terms = []
        for j in sorted(rng.choice(len(cols), size=n_cols, replace=False).tolist()):
            c = cols[j]
            v = float(rng.choice(uniq[c]))
            ops = ["==", "!=", ">", "<", ">=", "<="] if c in numeric else ["==", "!="]
            op = ops[int(rng.integers(len(ops)))]
            if np.isnan(v):
                op = "null" if op == "==" else "notnull"
            terms.append((c, op, v))
        out.append(_Query(tuple(terms)))
    return out


def _singling_out_probability(n: np.ndarray, w_max: float) -> np.ndarray:
    """Chance that a predicate of random weight in [0, w_max] isolates one of n rows (integrated)."""
    return (1.0 - (n * w_max + 1.0) * (1.0 - w_max) ** n) / (n + 1.0)


def _size_correction(control: dict[str, np.ndarray], n_control: int, queries: list[_Query],
                     n_train: int, rng: np.random.Generator) -> float:
    """How many more predicates would single out a row in a set of ``n_train`` rows than of ``n_control``.

    As in the reference: count the successes on random subsets of the control
    rows of 10 sizes (5 draws each), fit ``norm * P(n; w_eff)`` and take the ratio
    of the fitted curve at the two sizes.
    """
    from scipy.optimize import curve_fit

    sizes, succ = [], []
    lo = min(1000, n_control)
    for size in np.linspace(lo, n_control, 10).astype(int):
        for _ in range(5):
            idx = rng.choice(n_control, size=size, replace=False)
            sub = {c: v[idx] for c, v in control.items()}
            succ.append(int((_count(queries, sub, size) == 1).sum()))
            sizes.append(size)
    sizes_a, succ_a = np.asarray(sizes, float), np.asarray(succ, float)

    def model(x, w, a):
        return a * _singling_out_probability(x, w)

    w0 = 1.0 / sizes_a.max()
    a0 = 1.0 / _singling_out_probability(np.array([sizes_a.max()]), w0)[0]
    try:
        (w, a), _ = curve_fit(model, sizes_a, succ_a, p0=(w0, a0), bounds=(0, (1, np.inf)))
    except (RuntimeError, ValueError):
        return 1.0
    den = model(np.array([float(n_control)]), w, a)[0]
    return float(model(np.array([float(n_train)]), w, a)[0] / den) if den > 0 else 1.0


def singling_out(train: Any, synthetic: Any, control: Any, *, mode: str = "univariate",
                 n_attacks: int = 500, n_cols: int = 3, columns: Sequence[str] | None = None,
                 random_state: int = 0, max_attempts: int = 10_000_000,
                 size_correction: str = "subsample") -> AttackResult:
    """Singling-out risk: predicates that isolate one synthetic row, tried on the real rows.

    ``mode="univariate"`` uses one column per predicate, ``"multivariate"``
    ``n_cols``. ``size_correction`` (``"subsample"`` or the reference's
    ``"model"``) says how training and control sets of different sizes are
    compared. See the module docstring for the method and the risk.
    """
    if mode not in ("univariate", "multivariate"):
        raise DataError(f"mode={mode!r} must be 'univariate' or 'multivariate'")
    if size_correction not in ("subsample", "model"):
        raise DataError(f"size_correction={size_correction!r} must be 'subsample' or 'model'")
    n_attacks = check_int("n_attacks", n_attacks, minimum=1)
    n_cols = check_int("n_cols", n_cols, minimum=1)
    fr = _frames(train, synthetic, control, columns)
    rng = np.random.default_rng(random_state)
    codes = _codes(fr)
    num = set(fr.numeric)
    tr, ct, sy = ({c: v[i] for c, v in codes.items()} for i in range(3))
    keep = {name: _unique_rows(d, f.height) for name, d, f in
            (("train", tr, fr.train), ("control", ct, fr.control), ("synth", sy, fr.synth))}
    tr_u = {c: v[keep["train"]] for c, v in tr.items()}
    ct_u = {c: v[keep["control"]] for c, v in ct.items()}
    sy_u = {c: v[keep["synth"]] for c, v in sy.items()}
    n_tr, n_ct, n_sy = len(keep["train"]), len(keep["control"]), len(keep["synth"])
    if mode == "univariate":
        queries = _univariate_queries(sy_u, n_sy, num, n_attacks, rng)
    else:
        queries = _multivariate_queries(sy_u, n_sy, num, n_attacks, n_cols, rng, max_attempts)
    if size_correction == "subsample" and n_tr != n_ct:
        # compare at equal size: keep a seeded random subset of the larger set
        m = min(n_tr, n_ct)
        if n_tr > m:
            pick = np.sort(rng.choice(n_tr, size=m, replace=False))
            keep["train"], tr_u, n_tr = keep["train"][pick], {c: v[pick] for c, v in tr_u.items()}, m
        else:
            pick = np.sort(rng.choice(n_ct, size=m, replace=False))
            ct_u, n_ct = {c: v[pick] for c, v in ct_u.items()}, m
    ok = _count(queries, tr_u, n_tr) == 1
    base = _random_queries(sy_u, num, n_attacks, 1 if mode == "univariate" else n_cols, rng)
    n_base = int((_count(base, tr_u, n_tr) == 1).sum())
    n_ctrl = float((_count(queries, ct_u, n_ct) == 1).sum())
    if n_ct != n_tr and queries:
        n_ctrl *= _size_correction(ct_u, n_ct, queries, n_tr, rng)
    # who is exposed: the training row each successful predicate isolates, the synthetic row it came from
    train_exposed = np.zeros(fr.train.height, dtype=np.int64)
    synth_exposed = np.zeros(fr.synth.height, dtype=np.int64)
    for q, good in zip(queries, ok):
        if good:
            train_exposed[keep["train"][int(np.argmax(_match(q, tr_u, n_tr)))]] += 1
            if q.source >= 0:
                synth_exposed[keep["synth"][q.source]] += 1
    return _result(
        f"singling_out_{mode}", n_attacks, float(ok.sum()), n_attacks, min(n_ctrl, float(n_attacks)),
        n_attacks, n_base,
        detail={"n_queries": len(queries), "mode": mode, "n_cols": 1 if mode == "univariate" else n_cols,
                "size_correction": size_correction, "compared_rows": (n_tr, n_ct)},
        train_exposed=train_exposed, synthetic_exposed=synth_exposed,
    )


# --------------------------------------------------------------------------- linkability
def _split_aux(cols: list[str]) -> tuple[list[str], list[str]]:
    half = (len(cols) + 1) // 2
    return cols[:half], cols[half:]


def linkability(train: Any, synthetic: Any, control: Any, aux_cols: tuple[Sequence[str], Sequence[str]] | None = None,
                *, n_attacks: int = 500, n_neighbors: int = 1, random_state: int = 0) -> AttackResult:
    """Linkability risk: can the synthetic rows join two halves of a real person's record?

    ``aux_cols = (A, B)``: two disjoint column lists the attacker holds from two
    sources (default: the modelled columns split in two halves, in schema order).
    """
    n_attacks = check_int("n_attacks", n_attacks, minimum=1)
    n_neighbors = check_int("n_neighbors", n_neighbors, minimum=1)
    ds = as_dataset(train, "train")
    if aux_cols is None:
        aux_cols = _split_aux([c for c in ds.schema.columns if c not in ds.schema.text])
    if not (isinstance(aux_cols, (tuple, list)) and len(aux_cols) == 2):
        raise DataError("aux_cols must be two lists of column names, e.g. (['age', 'sex'], ['income', 'race'])")
    a, b = [list([x] if isinstance(x, str) else x) for x in aux_cols]
    if not a or not b:
        raise DataError("each side of aux_cols needs at least one column")
    both = sorted(set(a) & set(b))
    if both:
        raise DataError(f"column(s) {both} are on both sides of aux_cols; the two sets must be disjoint")
    fr = _frames(ds, synthetic, control, a + b)
    rng = np.random.default_rng(random_state)
    codes = _codes(fr)
    num = set(fr.numeric)
    n_tr, n_ct, n_sy = fr.train.height, fr.control.height, fr.synth.height
    n_tr_att, n_ct_att = min(n_attacks, n_tr), min(n_attacks, n_ct)
    k = min(n_neighbors, n_sy)

    def attack(which: int, n_att: int, n_rows: int):
        targets = rng.choice(n_rows, size=n_att, replace=False)
        near = []
        for side in (a, b):
            q = {c: codes[c][which][targets] for c in side}
            s = {c: codes[c][2] for c in side}
            near.append(_gower_nearest(q, s, num, k, rng))
        linked = np.array([bool(set(x) & set(y)) for x, y in zip(*near)], dtype=bool)
        return targets, near, linked

    t_tr, near_tr, linked_tr = attack(0, n_tr_att, n_tr)
    _, _, linked_ct = attack(1, n_ct_att, n_ct)
    base_a = np.array([rng.choice(n_sy, size=k, replace=False) for _ in range(n_tr_att)])
    base_b = np.array([rng.choice(n_sy, size=k, replace=False) for _ in range(n_tr_att)])
    n_base = int(sum(bool(set(x) & set(y)) for x, y in zip(base_a, base_b)))
    train_exposed = np.zeros(n_tr, dtype=np.int64)
    synth_exposed = np.zeros(n_sy, dtype=np.int64)
    for t, x, y, ok in zip(t_tr, near_tr[0], near_tr[1], linked_tr):
        if ok:
            train_exposed[t] += 1
            for s in set(x) & set(y):
                synth_exposed[s] += 1
    return _result(
        "linkability", n_tr_att, float(linked_tr.sum()), n_ct_att, float(linked_ct.sum()), n_tr_att, n_base,
        detail={"aux_cols": (a, b), "n_neighbors": k},
        train_exposed=train_exposed, synthetic_exposed=synth_exposed,
    )


# --------------------------------------------------------------------------- inference
def attribute_inference(train: Any, synthetic: Any, control: Any, secret: str | None = None,
                        aux_cols: Sequence[str] | None = None, *, n_attacks: int = 500,
                        random_state: int = 0) -> AttackResult:
    """Attribute-inference risk: guess ``secret`` from ``aux_cols`` through the nearest synthetic row.

    Defaults: the secret is the schema's target (else its first sensitive
    column), the auxiliary columns all other modelled columns.
    """
    n_attacks = check_int("n_attacks", n_attacks, minimum=1)
    ds = as_dataset(train, "train")
    schema = ds.schema
    if secret is None:
        secret = schema.target or (schema.sensitive[0] if schema.sensitive else None)
        if secret is None:
            raise DataError("name the secret column: attribute_inference(..., secret='income')")
    if not isinstance(secret, str) or secret not in schema.columns:
        raise SchemaError(f"secret={secret!r} is not a modelled column; pick from {list(schema.columns)}")
    if secret in schema.text:
        raise SchemaError(f"secret column {secret!r} is a text column; the secret must be a label or a number")
    if aux_cols is None:
        aux_cols = [c for c in schema.columns if c != secret and c not in schema.text]
    aux = [aux_cols] if isinstance(aux_cols, str) else list(aux_cols)
    if secret in aux:
        raise DataError(
            f"the secret column {secret!r} is also an auxiliary column; an attacker who knows it has "
            "nothing to infer: leave it out of aux_cols"
        )
    if not aux:
        raise DataError("aux_cols is empty; the attacker needs at least one known column")
    fr = _frames(ds, synthetic, control, aux + [secret])
    rng = np.random.default_rng(random_state)
    codes = _codes(fr)
    num = set(fr.numeric)
    regression = secret in num
    n_tr, n_ct, n_sy = fr.train.height, fr.control.height, fr.synth.height
    n_tr_att, n_ct_att = min(n_attacks, n_tr), min(n_attacks, n_ct)
    sec_syn = codes[secret][2]

    def correct(guess: np.ndarray, truth: np.ndarray) -> np.ndarray:
        both_nan = np.isnan(guess) & np.isnan(truth)
        if regression:
            with np.errstate(invalid="ignore", divide="ignore"):
                ok = np.abs(guess - truth) / (np.abs(guess) + 1e-12) <= NUMERIC_TOLERANCE
        else:
            ok = guess == truth
        return ok | both_nan

    def attack(which: int, n_att: int, n_rows: int):
        targets = rng.choice(n_rows, size=n_att, replace=False)
        q = {c: codes[c][which][targets] for c in aux}
        s = {c: codes[c][2] for c in aux}
        near = _gower_nearest(q, s, num, 1, rng)[:, 0]
        return targets, near, correct(sec_syn[near], codes[secret][which][targets])

    t_tr, near_tr, ok_tr = attack(0, n_tr_att, n_tr)
    _, _, ok_ct = attack(1, n_ct_att, n_ct)
    n_base_att = min(n_sy, n_tr_att)
    t_base = rng.choice(n_tr, size=n_base_att, replace=False)
    guess = sec_syn[rng.choice(n_sy, size=n_base_att, replace=n_sy < n_base_att)]
    n_base = int(correct(guess, codes[secret][0][t_base]).sum())
    train_exposed = np.zeros(n_tr, dtype=np.int64)
    synth_exposed = np.zeros(n_sy, dtype=np.int64)
    np.add.at(train_exposed, t_tr[ok_tr], 1)
    np.add.at(synth_exposed, near_tr[ok_tr], 1)
    return _result(
        "inference", n_tr_att, float(ok_tr.sum()), n_ct_att, float(ok_ct.sum()), n_base_att, n_base,
        detail={"secret": secret, "aux_cols": aux},
        train_exposed=train_exposed, synthetic_exposed=synth_exposed,
    )


# --------------------------------------------------------------------------- membership
def _auc_stats(pos: np.ndarray, neg: np.ndarray) -> tuple[float, float, float]:
    """AUC of scores (members high), its Hanley-McNeil standard error, one-sided p of AUC > 0.5."""
    from scipy.stats import rankdata

    n1, n0 = pos.size, neg.size
    ranks = rankdata(np.concatenate([pos, neg]))
    auc = float((ranks[:n1].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    se = math.sqrt(max(auc * (1 - auc) + (n1 - 1) * (q1 - auc * auc) + (n0 - 1) * (q2 - auc * auc), 1e-12) / (n1 * n0))
    z = (auc - 0.5) / math.sqrt((n1 + n0 + 1) / (12.0 * n1 * n0))
    return auc, se, float(norm.sf(z))


def membership_inference(train: Any, synthetic: Any, control: Any, *, method: str = "distance",
                         n_attacks: int = 500, random_state: int = 0) -> AttackResult:
    """Membership-inference risk: tell training rows (members) from control rows by the synthetic rows.

    ``method="distance"`` scores a row by how close its nearest synthetic row is;
    ``"density"`` by the density ratio ``p_synthetic(x) / p_real(x)``, estimated
    by nearest neighbours in the Encoder's space (``log r_real(x) - log r_syn(x)``,
    r = distance to the nearest row; Loftsgaarden & Quesenberry's estimator,
    whose dimension factor does not change the ranking). It asks whether the
    synthetic rows are denser around x than real rows are, so it is not
    fooled by rows that sit in dense regions anyway. ``p_real`` comes from the
    control rows, crosswise: the control rows are split into two halves, each
    half scores the non-members of the other, and each scores half of the
    members, so no row scores itself. The attack rate is the AUC of members
    against non-members; the risk is ``2 * AUC - 1``.
    """
    from ..encode import Encoder
    from ..neighbors import cross_pass

    if method not in ("distance", "density"):
        raise DataError(f"method={method!r} must be 'distance' or 'density'")
    n_attacks = check_int("n_attacks", n_attacks, minimum=2)
    ds = as_dataset(train, "train")
    fr = _frames(ds, synthetic, control, None)
    rng = np.random.default_rng(random_state)
    enc = Encoder().fit(ds)
    full = list(ds.schema.columns)

    def X(frame: pl.DataFrame) -> np.ndarray:
        extra = [c for c in full if c not in frame.columns]
        f = frame if not extra else frame.with_columns(pl.lit(None).alias(c) for c in extra)
        return enc.transform(f.select(full)).astype(np.float64)
    n = min(n_attacks, fr.train.height, fr.control.height)
    mem = rng.choice(fr.train.height, size=n, replace=False)
    non = rng.choice(fr.control.height, size=n, replace=False)
    X_tr, X_ct, X_sy = X(fr.train), X(fr.control), X(fr.synth)
    near_mem = None
    if method == "distance":
        cs = cross_pass(X_tr[mem], X_sy)
        near_mem = cs.i1
        s_mem, s_non = -cs.d1, -cross_pass(X_ct[non], X_sy).d1
    else:
        tiny = 1e-9
        fold = rng.permutation(fr.control.height) % 2
        half = rng.permutation(n) % 2
        log_syn_mem = np.log(cross_pass(X_tr[mem], X_sy).d1 + tiny)
        log_syn_non = np.log(cross_pass(X_ct[non], X_sy).d1 + tiny)
        s_mem = np.empty(n)
        s_non = np.empty(n)
        for f in (0, 1):
            ref = X_ct[fold == f]
            other = fold[non] != f  # non-members outside this half
            s_non[other] = np.log(cross_pass(X_ct[non][other], ref).d1 + tiny) - log_syn_non[other]
            s_mem[half == f] = np.log(cross_pass(X_tr[mem][half == f], ref).d1 + tiny) - log_syn_mem[half == f]
    auc, se, p = _auc_stats(s_mem, s_non)
    flag = s_mem > np.quantile(s_non, 0.95)
    train_exposed = np.zeros(fr.train.height, dtype=np.int64)
    train_exposed[mem[flag]] = 1
    synth_exposed = np.zeros(fr.synth.height, dtype=np.int64)
    if near_mem is not None:
        np.add.at(synth_exposed, near_mem[flag], 1)
    risk = 2 * auc - 1
    return AttackResult(
        attack=f"membership_{method}", n_attacks=n, attack_rate=auc, control_rate=0.5, baseline_rate=0.5,
        risk=min(max(risk, 0.0), 1.0), ci_low=min(max(risk - 2 * _Z * se, 0.0), 1.0),
        ci_high=min(max(risk + 2 * _Z * se, 0.0), 1.0), p_value=p,
        detail={"method": method, "auc": auc, "auc_se": se},
        train_exposed=train_exposed, synthetic_exposed=synth_exposed,
    )


# --------------------------------------------------------------------------- all together
@dataclass
class Attacks:
    """The outcome of :func:`privacy_attacks`: one :class:`AttackResult` per attack."""

    results: dict[str, AttackResult]
    train_ids: pl.Series
    synthetic_ids: pl.Series

    @property
    def table(self) -> pl.DataFrame:
        """One row per attack: rates, risk, its 95% interval, p-value, informative."""
        return pl.DataFrame([r.as_dict() for r in self.results.values()])

    def exposure(self, which: str = "synthetic") -> pl.DataFrame:
        """Per row: how many successful attacks used it (synthetic) or hit it (training)."""
        ids = self.synthetic_ids if which == "synthetic" else self.train_ids
        cols = {ROW_ID: ids}
        total = np.zeros(len(ids), dtype=np.int64)
        for name, r in self.results.items():
            v = r.synthetic_exposed if which == "synthetic" else r.train_exposed
            if v is None:
                continue
            cols[name] = v
            total += v
        cols["exposure"] = total
        return pl.DataFrame(cols)

    def __repr__(self) -> str:
        lines = [f"{'attack':<26}{'risk':>7}  {'95% interval':<15}{'attack':>8}{'control':>9}{'baseline':>9}"]
        for r in self.results.values():
            lines.append(f"{r.attack:<26}{r.risk:7.3f}  [{r.ci_low:.3f}, {r.ci_high:.3f}]  "
                         f"{r.attack_rate:8.3f}{r.control_rate:9.3f}{r.baseline_rate:9.3f}")
        return "\n".join(lines)


def privacy_attacks(train: Any, synthetic: Any, control: Any, *, secret: str | None = None,
                    aux_cols: Sequence[str] | None = None, link_cols: tuple[Sequence[str], Sequence[str]] | None = None,
                    n_attacks: int = 500, attacks: Iterable[str] = ATTACKS, random_state: int = 0) -> Attacks:
    """Run the attacks (``"singling_out"``, ``"linkability"``, ``"inference"``, ``"membership"``).

    Singling out runs univariate and multivariate; membership by distance and
    by density. Each attack draws from its own seeded stream.
    """
    chosen = [attacks] if isinstance(attacks, str) else list(attacks)
    bad = [a for a in chosen if a not in ATTACKS]
    if bad or not chosen:
        raise DataError(f"unknown attack(s) {bad or chosen}; choose from {list(ATTACKS)}")
    ds = as_dataset(train, "train")
    seeds = np.random.SeedSequence(random_state).spawn(6)
    seed = [int(s.generate_state(1)[0]) for s in seeds]
    out: dict[str, AttackResult] = {}
    if "singling_out" in chosen:
        out["singling_out_univariate"] = singling_out(ds, synthetic, control, mode="univariate",
                                                      n_attacks=n_attacks, random_state=seed[0])
        out["singling_out_multivariate"] = singling_out(ds, synthetic, control, mode="multivariate",
                                                        n_attacks=n_attacks, random_state=seed[1])
    if "linkability" in chosen:
        out["linkability"] = linkability(ds, synthetic, control, link_cols, n_attacks=n_attacks,
                                         random_state=seed[2])
    if "inference" in chosen:
        out["inference"] = attribute_inference(ds, synthetic, control, secret, aux_cols,
                                               n_attacks=n_attacks, random_state=seed[3])
    if "membership" in chosen:
        out["membership_distance"] = membership_inference(ds, synthetic, control, method="distance",
                                                          n_attacks=n_attacks, random_state=seed[4])
        out["membership_density"] = membership_inference(ds, synthetic, control, method="density",
                                                         n_attacks=n_attacks, random_state=seed[5])
    sframe = synthetic.frame if hasattr(synthetic, "frame") else _polars(synthetic, "synthetic")
    sids = sframe[ROW_ID] if ROW_ID in sframe.columns else pl.Series(ROW_ID, [f"synthetic:{i}" for i in range(sframe.height)])
    return Attacks(out, ds.frame[ROW_ID], sids)


def compare_attacks(results: dict[str, "Attacks"], digits: int | None = 3) -> pl.DataFrame:
    """One row per attack, one risk column per named result (rounded to ``digits``)."""
    if not results:
        raise DataError("compare_attacks() needs at least one result, e.g. {'copula': sk.privacy_attacks(...)}")
    out = None
    for name, att in results.items():
        if not isinstance(att, Attacks):
            raise DataError(f"{name!r} is not the result of privacy_attacks(); got {type(att).__name__}")
        t = att.table.select("attack", pl.col("risk").alias(name))
        out = t if out is None else out.join(t, on="attack", how="full", coalesce=True, maintain_order="left")
    return out.with_columns(pl.col(pl.Float64).round(digits)) if digits is not None else out
