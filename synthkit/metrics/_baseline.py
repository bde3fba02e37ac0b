"""Size-matched real-vs-real baselines and calibrated "worse than real" verdicts.

A verdict asks one question: *does the synthetic data score worse than fresh
real rows would?* Answering it honestly needs the synthetic rows and the real
rows they are compared with to be in exactly the same position: the same
reference rows, the same number of rows. Distances to n/2 reference rows are
larger than distances to n rows, a KS statistic between 150 and 1,500 rows is
noisier than between 1,500 and 1,500, and a threshold taken from all real rows
does not fit a half. So every verdict is built like this (all seeded):

1. Split the real rows at random into a reference half **A** (``n // 2`` rows)
   and a comparison half **B** (the rest).
2. Subsample the synthetic rows to ``s = min(|B|, m)`` rows: **S'**; subsample B
   to the same ``s`` rows: **B'**.
3. Every metric is computed as ``f(S' vs A)`` (the *matched* value) and as
   ``f(B' vs A)`` (the *baseline*): same reference rows, same sizes, same
   encoder and category levels (fitted on all real rows, for both). Distance
   thresholds are computed within A only: the near-copy threshold is the 5th
   percentile of the leave-one-out nearest-neighbour distances among A rows,
   and the k-NN radii of PRDC are A's own.
4. **Permutation test.** If the generator were perfect, S' and B' would be two
   samples of the same population, and which rows are "synthetic" would not
   matter. So S' and B' are pooled and split again at random ``n_perm`` times
   (default 19), each time recomputing ``f(first vs A) - f(second vs A)``.
   The p-value is ``(1 + #{permuted differences at least as bad as the observed
   one}) / (1 + n_perm)``; ties count as "at least as bad", so it is
   conservative. A metric is **worse than real** when ``p <= alpha`` (0.05)
   and its matched value is worse than the baseline. With 19 permutations the
   smallest p-value is exactly 0.05: under a perfect generator a metric is
   flagged in at most 5% of runs, whatever the data size.

**Shares of per-row flags** (``precision``: inside some A ball; ``near_copy_share``;
``exact_copy_share``) are means of a flag that each pooled row has whichever
side it is on, so the permutation distribution of the flagged count on the S'
side is hypergeometric: :func:`share_test` gives that exact p-value (the limit
of the permutation test with every re-split), which is not bounded below by
``1 / (1 + n_perm)``. ``summary["permutation_metrics"]`` of a report names the
headline metrics whose p-value does come from the re-splits.

Metrics that refit a model per evaluation (detection, utility) use cheaper
tests with the same meaning (see :mod:`~synthkit.metrics.detection` and
:func:`~synthkit.metrics.utility.utility_test`), and subgroup shares use a
two-sample exact test (:mod:`~synthkit.metrics.fairness`).

The headline *value* of each metric is still computed on all real and all
synthetic rows (what the public metric functions return on the same inputs);
the ``matched`` and ``baseline`` columns are the like-for-like pair the verdict
compares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Hashable

import numpy as np

__all__ = ["ALPHA", "N_PERM", "SHARE_METRICS", "Halves", "halves", "permutation_test", "share_test"]

#: level of every "worse than real" verdict
ALPHA = 0.05
#: permutations per verdict; 19 makes the smallest possible p-value exactly ALPHA
N_PERM = 19
#: verdict statistics that are shares of a per-row flag (tested exactly by :func:`share_test`)
SHARE_METRICS = (("coverage", "precision", None), ("privacy", "near_copy_share", None),
                 ("privacy", "exact_copy_share", None))


@dataclass(frozen=True)
class Halves:
    """Row indices of the size-matched comparison (see the module docstring)."""

    a: np.ndarray       #: real rows of the reference half A
    b: np.ndarray       #: real rows of B' (``size`` rows of the other half)
    s: np.ndarray       #: synthetic rows of S' (``size`` rows)
    size: int


def halves(n_real: int, n_synth: int, random_state: int) -> Halves:
    """Split ``n_real`` real rows into A and B, and draw B' and S' of equal size (seeded)."""
    rng = np.random.default_rng(random_state)
    perm = rng.permutation(n_real)
    a, rest = np.sort(perm[: n_real // 2]), perm[n_real // 2:]
    size = int(min(rest.size, n_synth))
    sub = np.random.default_rng([random_state, 11])
    b = np.sort(sub.choice(rest, size, replace=False))
    s = np.sort(sub.choice(n_synth, size, replace=False))
    return Halves(a, b, s, size)


def permutation_test(stat: Callable[[np.ndarray], dict], size: int, better: dict[Hashable, str],
                     n_perm: int = N_PERM, random_state: int = 0,
                     map_stat: Callable[[list[np.ndarray]], list[dict]] | None = None,
                     ) -> dict[Hashable, tuple[float, float, float]]:
    """Matched value, baseline and one-sided permutation p-value of every statistic.

    ``stat(idx)`` returns ``{key: value}`` for the pooled rows ``idx``, where
    pooled rows ``0..size-1`` are S' and ``size..2*size-1`` are B'; ``better``
    says per key whether ``"higher"`` or ``"lower"`` is better. Returns
    ``{key: (value on S', value on B', p)}``; ``p`` is NaN when a value is not finite.
    ``map_stat(list_of_idx)``: ``[stat(idx) for idx in list_of_idx]`` computed
    elsewhere (e.g. on a cluster), in order; the first call, on S', stays here.
    The permutations are drawn before any statistic, so the result is the same.
    """
    obs_s = stat(np.arange(size))  # fills ``better``
    idx = [np.arange(size, 2 * size)]
    rng = np.random.default_rng([random_state, 13])
    for _ in range(n_perm if size > 1 else 0):
        p = rng.permutation(2 * size)
        idx += [np.sort(p[:size]), np.sort(p[size:])]
    res = [stat(i) for i in idx] if map_stat is None else list(map_stat(idx))
    obs_b = res[0]
    keys = [k for k in obs_s if k in obs_b and k in better]
    sign = {k: 1.0 if better[k] == "higher" else -1.0 for k in keys}
    worse = {k: sign[k] * (obs_b[k] - obs_s[k]) for k in keys}  # > 0: synthetic worse
    count = dict.fromkeys(keys, 0)
    for x, y in zip(res[1::2], res[2::2]):
        for k in keys:
            t = sign[k] * (y.get(k, np.nan) - x.get(k, np.nan))
            w = worse[k]
            if np.isfinite(t) and np.isfinite(w) and t >= w - 1e-12 * (1.0 + abs(w)):
                count[k] += 1
    out = {}
    for k in keys:
        ok = np.isfinite(worse[k])
        p = (1 + count[k]) / (1 + n_perm) if ok and size > 1 else np.nan
        out[k] = (float(obs_s[k]), float(obs_b[k]), float(p))
    return out


def share_test(share_s: float, share_b: float, size: int, better: str) -> float:
    """Exact one-sided p-value that S' has a worse share of flagged rows than B' (``size`` rows each).

    Under "S' and B' are alike" the flagged count on the S' side of a random
    re-split is hypergeometric (``2 * size`` rows, as many flagged as observed,
    ``size`` drawn); ``better`` is ``"higher"`` (fewer flags on S' is worse) or
    ``"lower"`` (more is worse). Ties count as extreme, as in
    :func:`permutation_test`. NaN when a share is not finite or ``size < 2``.
    """
    from scipy.stats import hypergeom

    if size < 2 or not (np.isfinite(share_s) and np.isfinite(share_b)):
        return float("nan")
    cs, cb = int(round(share_s * size)), int(round(share_b * size))
    dist = hypergeom(2 * size, cs + cb, size)
    p = dist.cdf(cs) if better == "higher" else dist.sf(cs - 1)
    return float(min(1.0, max(0.0, p)))
