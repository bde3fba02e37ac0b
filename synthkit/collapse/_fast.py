"""The fast path of :func:`synthkit.collapse.simulate` for the closed-form generators.

The Gaussian, the Gaussian copula and the bootstrap fit in closed form on a few
hundred rows, so in a simulation their fit and draw cost far less than the
polars frames, clones and checks around them. For these generators the
simulator keeps every generation as numpy columns (numeric float64 with ``NaN``
for missing, categorical int64 codes with ``-1``), fits and samples them through
the generators' own ``_fit_columns`` / ``_sample_columns`` (the maths their
frame methods use), and measures them with
:meth:`~synthkit.collapse.simulate._Reference.measure_columns`.

Same stream, same numbers: each seed draws from ``default_rng([random_state, seed])``
in the same order as the per-seed path (start of the seed, a sample seed per
generation, the fresh pool), and each generation samples from
``default_rng(sample_seed)`` as ``Generator.sample`` does, so the table and the
kept samples are the ones the per-seed path returns (``tests/test_simulate_fast.py``
pins this).

For the Gaussian on numeric columns without missing values, every seed runs at
once: the training sets are one ``(seeds, rows, columns)`` array, so each
generation's fits, draws and metrics are a few array operations. Each seed's
slice is laid out as the per-seed path lays out its matrix, so numpy adds in the
same order and the numbers agree to the bit. The normal draws still come from
each seed's own ``default_rng(sample_seed)`` stream: building a generator costs
tens of microseconds, so one generator is reused and its state set to what
``default_rng(sample_seed)`` would start from (:func:`pcg64_states`, checked
against numpy on every run). The arrays are capped at :data:`BATCH_BYTES`;
larger runs, categorical columns or missing values go seed by seed on numpy
columns.

Anything else takes the per-seed frame path: other generators (their fit is not
a closed form), a generator subclass, ``curate`` (a curator sees frames, may
draw more batches and returns rows in any form), and image or text columns.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from ..data import ROW_ID, with_row_ids
from ..errors import GeneratorError, SynthkitError
from ..generators._columns import (columns_frame, finalize_columns, frame_columns, numeric_array,
                                  numeric_matrix)
from ..generators.gaussian import cov_factor, moments

#: largest training-set array (seeds x rows x columns, float64) the all-seeds Gaussian path holds
BATCH_BYTES = 256 * 2**20

#: generator classes (exact types) whose fit and draw run on numpy columns
_CLASSES = {
    "synthkit.generators.gaussian": "Gaussian",
    "synthkit.generators.copula": "GaussianCopula",
    "synthkit.generators.bootstrap": "Bootstrap",
}


def fast_path(plan: Any) -> bool:
    """True when :func:`simulate` may run ``plan`` on numpy columns (module docstring)."""
    base = type(plan.base)
    if _CLASSES.get(base.__module__) != base.__name__ or plan.curate is not None:
        return False
    s = plan.schema
    if s.image_columns or s.text or not (s.numeric or s.categorical):
        return False
    return all(c in s.numeric or c in s.categorical for c in s.columns)


Columns = dict  # column name -> numpy column


def _take(cols: Columns, idx: np.ndarray) -> Columns:
    return {c: v[idx] for c, v in cols.items()}


def _head(cols: Columns, k: int) -> Columns:
    return {c: v[:k] for c, v in cols.items()}


def _concat(parts: list[Columns]) -> Columns:
    return {c: np.concatenate([p[c] for p in parts]) for c in parts[0]}


def _rows(cols: Columns) -> int:
    return len(next(iter(cols.values())))


class _Seed:
    """One seed's numpy state: its training set and the real rows its regime mixes in."""

    def __init__(self, plan: Any, real: Columns, rng: np.random.Generator):
        # the draws _start_seed makes, in its order
        self.train, self.pool, self.pool_pos, self.pool_noted = real, None, 0, False
        self.kept_real: Columns | None = None
        self.history: list[Columns] | None = None
        n_real = _rows(real)
        if plan.regime == "fresh":
            perm = rng.permutation(n_real)
            self.train, self.pool = _take(real, np.sort(perm[:plan.N])), perm[plan.N:]
        if plan.regime == "keep_real" and plan.k_real:
            self.kept_real = _take(real, np.sort(rng.choice(n_real, size=plan.k_real, replace=False)))
        if plan.regime == "accumulate":
            self.history = [real]

    def next_train(self, plan: Any, real: Columns, synth: Columns, g: int, s: int,
                   rng: np.random.Generator) -> None:
        """:func:`_next_training_set` on numpy columns."""
        from .simulate import _next_training_set

        self.train = _next_training_set(plan, self, real, synth, g, s, rng, ops=_ColumnRows)


class _ColumnRows:
    """Row operations on numpy columns, for :func:`synthkit.collapse.simulate._next_training_set`."""

    take = staticmethod(_take)
    head = staticmethod(_head)
    concat = staticmethod(_concat)
    count = staticmethod(_rows)


def run(plan: Any, ref: Any, out: Any, bar: Any) -> None:
    """Every seed of ``plan`` on numpy columns (``fast_path(plan)`` must hold)."""
    if _batchable(plan, ref):
        return _run_gaussian_batch(plan, ref, out, bar)
    from sklearn.base import clone

    schema = plan.schema
    real = frame_columns(plan.ds.features, schema)
    gen0 = plan.ds.frame.select(schema.columns)
    gen0_rows: list[tuple] | None = None  # generation 0's metric rows when they do not depend on the seed
    gen = clone(plan.base)
    gen.schema_ = schema
    for s in range(plan.seeds):
        rng = np.random.default_rng([plan.random_state, s])
        state = _Seed(plan, real, rng)
        rng_seed = int(rng.integers(2**31))
        if ref.needs_rows or gen0_rows is None:
            rows0: list[tuple] = []
            ref.measure(gen0, 0, 0, rng_seed, rows0)
            gen0_rows = None if ref.needs_rows else rows0
        else:
            rows0 = gen0_rows
        out.rows.extend((s, *r[1:]) for r in rows0)
        if 0 in plan.keep:
            from .simulate import _tag

            out.samples.append(_tag(plan.ds.frame.select([ROW_ID, *schema.columns]), s, 0))
        for g in range(1, plan.generations + 1):
            _fit(gen, state.train, schema, g, s)
            sample_seed = int(rng.integers(2**31))
            synth = finalize_columns(gen._sample_columns(plan.N, np.random.default_rng(sample_seed)), schema)
            frame: list[pl.DataFrame] = []

            def rows(synth=synth, frame=frame) -> pl.DataFrame:
                if not frame:
                    frame.append(columns_frame(synth, schema))
                return frame[0]

            if g in plan.keep:
                from .simulate import _tag

                out.samples.append(_tag(with_row_ids(rows(), f"gen{g}-s{s}"), s, g))
            ref.measure_columns(synth, plan.N, s, g, sample_seed, out.rows, rows)
            state.next_train(plan, real, synth, g, s, rng)
            bar.update(1)


def _fit(gen: Any, cols: Columns, schema: Any, g: int, s: int) -> None:
    """``gen`` fitted on ``cols`` (a failure names the generation, as the per-seed path does)."""
    n = _rows(cols)
    try:
        gen.n_rows_ = n
        gen._fit_columns(cols, schema)
    except SynthkitError:
        raise
    except Exception as exc:  # noqa: BLE001 - name the generation and re-raise clearly
        raise GeneratorError(
            f"{type(gen).__name__} failed to fit generation {g} (seed {s}) on {n} rows: {exc}"
        ) from exc


# --------------------------------------------------------------------------- all seeds at once
def _batchable(plan: Any, ref: Any) -> bool:
    """The Gaussian on numeric columns without missing values, with metrics that need no frame."""
    from ..generators.gaussian import Gaussian

    s = plan.schema
    if type(plan.base) is not Gaussian or s.categorical or not s.numeric or ref.needs_rows:
        return False
    if plan.base.ddof not in (0, 1) or isinstance(plan.base.ddof, bool):
        return False  # the per-seed path raises the clear error
    n_real = len(plan.ds)
    # a fit on ddof + 1 rows or fewer imputes: left to the per-seed path
    if min(n_real, plan.N) <= plan.base.ddof + 1:
        return False
    if any(np.isnan(numeric_array(plan.ds.features, c)).any() for c in s.numeric):
        return False
    rows = n_real + plan.generations * plan.N if plan.regime == "accumulate" else max(n_real, plan.N)
    return plan.seeds * rows * len(s.numeric) * 8 <= BATCH_BYTES


def _run_gaussian_batch(plan: Any, ref: Any, out: Any, bar: Any) -> None:
    """Every seed of a Gaussian run together: ``(seeds, rows, columns)`` arrays for the fits, draws and
    metrics, one ``default_rng`` per seed and generation for the draws (the per-seed streams).

    The per-seed path fits on a C-ordered matrix of the complete rows and measures a column-major
    one; the batched arrays keep each seed's slice in that same layout, so numpy's reductions
    add in the same order and every number comes out the same.
    """
    from .simulate import _draw_pool, _tag

    schema, S, N, G, k = plan.schema, plan.seeds, plan.N, plan.generations, plan.k_real
    from sklearn.base import clone

    gen = clone(plan.base)
    gen._start_fit(schema)  # checks ddof and temperature as every fit does
    t = float(gen.temperature)
    numeric = list(schema.numeric)
    d = len(numeric)
    real_cols = frame_columns(plan.ds.features, schema)
    real = np.ascontiguousarray(numeric_matrix(real_cols, numeric))  # C order, as after the complete-row filter
    integer = np.array([c in set(schema.integer) for c in numeric])
    rngs = [np.random.default_rng([plan.random_state, s]) for s in range(S)]
    pools: list[np.ndarray | None] = [None] * S
    pool_pos = [0] * S
    kept_real = None
    if plan.regime == "fresh":
        first = []
        for s, rng in enumerate(rngs):
            perm = rng.permutation(len(real))
            first.append(real[np.sort(perm[:N])])
            pools[s] = perm[N:]
        train = np.stack(first)
    elif plan.regime == "keep_real" and k:
        kept_real = np.stack([real[np.sort(rng.choice(len(real), size=k, replace=False))] for rng in rngs])
        train = None  # generation 1 is fitted on the real rows
    else:
        train = None
    # each seed's sample seeds: one draw for generation 0's metrics, then one per generation; unless
    # other draws come in between (the fresh pool's reshuffles, redrawn real rows) one call per seed
    redraw = plan.redraw_real and k
    drawn = None if plan.regime == "fresh" or redraw else _draw_seeds(rngs, G + 1)
    if drawn is None:
        for rng in rngs:
            rng.integers(2**31)
    streams = _Streams()
    rows0: list[tuple] = []
    ref.measure(plan.ds.frame.select(schema.columns), 0, 0, 0, rows0)
    history = [np.broadcast_to(real, (S, *real.shape))] if plan.regime == "accumulate" else None
    per_gen: list[tuple] = []  # (generation, std ratio (S, d) or None, tail mass (S, d) or None)
    kept: dict[int, np.ndarray] = {}
    notes: list[tuple[int, str]] = []
    m = ref.metrics
    for g in range(1, G + 1):
        if train is None:  # the real rows: one fit serves every seed
            mean, cov = moments(real, gen.ddof)
            mean, factor = np.broadcast_to(mean, (S, d)), np.broadcast_to(cov_factor(cov), (S, d, d))
        else:
            mean, cov = moments(train, gen.ddof)
            factor = cov_factor(cov)
        seeds_g = drawn[:, g] if drawn is not None else np.array([rng.integers(2**31) for rng in rngs])
        z = streams.standard_normal(seeds_g, (N, d))
        y = mean[..., None, :] + np.sqrt(t) * (z @ np.swapaxes(factor, -1, -2))
        if integer.any():
            y[..., integer] = np.round(y[..., integer]) + 0.0
        yf = np.swapaxes(np.ascontiguousarray(np.swapaxes(y, 1, 2)), 1, 2)  # each seed column-major
        ratio = tail = None
        if "std_ratio" in m:
            with np.errstate(all="ignore"):
                sd = np.nanstd(yf, axis=1, ddof=1)
                ratio = np.where(ref.std > 0, sd / np.where(ref.std > 0, ref.std, 1), np.nan)
        if "tail_mass" in m:
            with np.errstate(invalid="ignore"):
                valid = ~np.isnan(yf)
                beyond = ((yf < ref.q_lo) | (yf > ref.q_hi)) & valid
                tail = beyond.sum(axis=1) / np.maximum(valid.sum(axis=1), 1)
        per_gen.append((g, ratio, tail))
        if g in plan.keep:
            kept[g] = y
        # the next training sets, in the per-seed order of draws
        if plan.regime == "replace":
            train = y
        elif plan.regime == "accumulate":
            history.append(y)
            train = np.concatenate(history, axis=1)
        elif plan.regime == "fresh":
            fresh = []
            for s, rng in enumerate(rngs):
                take, pool_pos[s], wrapped = _draw_pool(pools[s], pool_pos[s], k, rng)
                if wrapped and not any(n_s == s for n_s, _ in notes):
                    notes.append((s, f"seed {s}: the fresh pool was used up by generation {g}; "
                                     "real rows repeat after that"))
                fresh.append(real[take])
            train = np.concatenate([np.stack(fresh), y[:, :N - k]], axis=1) if k else y
        else:  # keep_real
            if redraw:
                kept_real = np.stack([real[np.sort(rng.choice(len(real), size=k, replace=False))]
                                      for rng in rngs])
            train = np.concatenate([kept_real, y[:, :N - k]], axis=1) if k else y
        bar.update(S)
    plan.notes.extend(text for _, text in sorted(notes, key=lambda n: n[0]))
    for s in range(S):
        out.rows.extend((s, *r[1:]) for r in rows0)
        for g, ratio, tail in per_gen:
            if ratio is not None:
                out.rows.extend((s, g, "std_ratio", c, float(v)) for c, v in zip(numeric, ratio[s]))
            if tail is not None:
                out.rows.extend((s, g, "tail_mass", c, float(v)) for c, v in zip(numeric, tail[s]))
        if 0 in plan.keep:
            out.samples.append(_tag(plan.ds.frame.select([ROW_ID, *schema.columns]), s, 0))
        for g in sorted(kept):
            cols = {c: kept[g][s][:, j] for j, c in enumerate(numeric)}
            out.samples.append(_tag(with_row_ids(columns_frame(cols, schema), f"gen{g}-s{s}"), s, g))


def _draw_seeds(rngs: list, k: int) -> np.ndarray | None:
    """``(seeds, k)``: each rng's next ``k`` draws of ``integers(2**31)``, one call per rng.

    One call of size ``k`` gives the same numbers and leaves the same state as ``k`` calls of
    size one; this is checked on copies of the first rng, and ``None`` (draw one by one) is
    returned if a numpy ever differs."""
    import copy

    one, many = copy.deepcopy(rngs[0]), copy.deepcopy(rngs[0])
    single = [int(one.integers(2**31)) for _ in range(k)]
    if many.integers(2**31, size=k).tolist() != single or one.bit_generator.state != many.bit_generator.state:
        return None
    return np.stack([rng.integers(2**31, size=k) for rng in rngs])


# SeedSequence (numpy/random/bit_generator.pyx) and PCG64 seeding constants
_M32, _M128 = 0xFFFFFFFF, (1 << 128) - 1
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_PCG_MULT = 0x2360ED051FC65DA44385DF649FCCF645


def pcg64_states(seeds: np.ndarray) -> list[tuple[int, int]]:
    """``(state, inc)`` of ``np.random.default_rng(seed).bit_generator`` for many seeds below 2**32.

    ``default_rng(seed)`` is ``PCG64(SeedSequence(seed))``: SeedSequence hashes the seed into a
    pool of four 32-bit words and expands it into four 64-bit words, which seed PCG64. Here the
    hashing runs on arrays for every seed at once (the hash constants do not depend on the
    seed), which costs a few microseconds per seed instead of the tens that building a
    generator costs. :class:`_Streams` checks the result against numpy before using it.
    """
    ent = np.asarray(seeds, dtype=np.uint32)
    h = _INIT_A
    sh = np.uint32(16)

    def hashmix(v: np.ndarray) -> np.ndarray:
        nonlocal h
        v = v ^ np.uint32(h)
        h = (h * _MULT_A) & _M32
        v = v * np.uint32(h)
        return v ^ (v >> sh)

    def mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        r = np.uint32(_MIX_L) * x - np.uint32(_MIX_R) * y
        return r ^ (r >> sh)

    zero = np.zeros_like(ent)
    pool = [hashmix(ent), hashmix(zero), hashmix(zero), hashmix(zero)]
    for i in range(4):
        for j in range(4):
            if i != j:
                pool[j] = mix(pool[j], hashmix(pool[i]))
    hb, words = _INIT_B, []
    for i in range(8):  # generate_state(4, np.uint64): eight 32-bit words, little-endian pairs
        v = pool[i % 4] ^ np.uint32(hb)
        hb = (hb * _MULT_B) & _M32
        v = v * np.uint32(hb)
        words.append((v ^ (v >> sh)).astype(np.uint64))
    val = [(words[2 * k] | (words[2 * k + 1] << np.uint64(32))).tolist() for k in range(4)]
    out = []
    for a, b, c, d in zip(*val):  # pcg64_set_seed: state = (a, b), sequence = (c, d), two steps
        inc = ((((c << 64) | d) << 1) | 1) & _M128
        out.append((((inc + ((a << 64) | b)) * _PCG_MULT + inc) & _M128, inc))
    return out


class _Streams:
    """Draws from ``np.random.default_rng(seed)`` for many seeds, with one reused generator whose
    state is set to each seed's (the same numbers ``default_rng(seed)`` gives)."""

    def __init__(self) -> None:
        self.bits = np.random.PCG64(0)
        self.gen = np.random.Generator(self.bits)
        self.checked: bool | None = None

    def standard_normal(self, seeds: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        out = np.empty((len(seeds), *shape))
        if self.checked is None:
            with np.errstate(over="ignore"):
                st, inc = pcg64_states(seeds[:1])[0]
            ref = np.random.default_rng(int(seeds[0])).bit_generator.state["state"]
            self.checked = ref == {"state": st, "inc": inc}
        if not self.checked:  # a numpy whose seeding differs: build each generator
            for i, s in enumerate(seeds):
                out[i] = np.random.default_rng(int(s)).standard_normal(shape)
            return out
        with np.errstate(over="ignore"):
            states = pcg64_states(seeds)
        bits, gen = self.bits, self.gen
        for i, (st, inc) in enumerate(states):
            bits.state = {"bit_generator": "PCG64", "state": {"state": st, "inc": inc},
                          "has_uint32": 0, "uinteger": 0}
            out[i] = gen.standard_normal(shape)
        return out
