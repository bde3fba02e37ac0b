"""Privacy: how close synthetic rows come to real ones, in the Encoder's space.

- **DCR** (distance to closest record) of a synthetic row: its Euclidean
  distance to the nearest real row. The real-vs-real reference is each real
  row's distance to its nearest *other* real row.
- **Near-copy share**: share of synthetic rows with DCR below the 5th
  percentile of the real-to-real nearest-neighbour distances (closer to a real
  row than 95% of real rows are to each other), or with DCR = 0.
- **Exact-copy share**: share of synthetic rows equal to some real row in every
  modelled column (missing equals missing), found by row hashing.
- **NNDR** (nearest-neighbour distance ratio): ``DCR / d_2`` where ``d_2`` is
  the distance to the second-nearest real row; near 0 means a row sits on one
  particular real row rather than between several; reported as the mean.
- **DCR median**: the median DCR (higher = farther from real rows).
- With a holdout (real rows the generator never saw): **closer-to-train share**,
  the share of synthetic rows whose nearest training row is closer than their
  nearest holdout row. Without memorisation it is about
  ``n_train / (n_train + n_holdout)`` (the baseline shown); well above means the
  generator memorised its training rows.

The values (and the per-row flags) compare all synthetic rows with all real
rows, with the threshold taken from the real rows' leave-one-out
nearest-neighbour distances. The size-matched baseline and the verdict are
computed by ``evaluate`` within the reference half A, with A's own threshold
(see :mod:`synthkit.metrics._baseline`). Intervals: Poisson bootstrap of the
per-row flags/values.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ._common import boot_mean, metric_row
from ..neighbors import cross_pass

__all__ = ["exact_copies", "dcr_threshold", "near_copy_stats", "privacy_rows"]

FAMILY = "privacy"
NEAR_COPY_QUANTILE = 5.0


def exact_copies(real: pl.DataFrame, synth: pl.DataFrame, columns: list[str], *,
                 real_hashes: pl.Series | None = None) -> np.ndarray:
    """Per synthetic row: equal to some real row in every listed column (bool array).

    ``real_hashes``: ``real.select(columns).hash_rows(seed=0)``, when already at
    hand (a row's hash does not depend on the rows around it, so the synthetic
    rows may come in pieces); ``real`` may then hold each distinct row once."""
    hr = real.select(columns).hash_rows(seed=0) if real_hashes is None else real_hashes
    hs = synth.select(columns).hash_rows(seed=0)
    hit = hs.is_in(hr.implode()).to_numpy()
    if not hit.any():
        return hit
    # confirm hash hits by a join (hash collisions are possible, if rare)
    idx = np.nonzero(hit)[0]
    cand = synth.select(columns)[idx].with_row_index("__i")
    conf = cand.join(real.select(columns).unique(), on=columns, how="semi", nulls_equal=True)["__i"].to_numpy()
    out = np.zeros(synth.height, dtype=bool)
    out[idx[conf]] = True
    return out


def dcr_threshold(real_nn_dist: np.ndarray, q: float = NEAR_COPY_QUANTILE) -> float:
    """The q-th percentile of real-to-real nearest-neighbour distances."""
    return float(np.percentile(real_nn_dist, q))


def near_copy_stats(dcr: np.ndarray, d2: np.ndarray, exact: np.ndarray, thr: float) -> dict[str, np.ndarray]:
    """Per-row near-copy and exact-copy flags and NNDR, given a near-copy threshold."""
    with np.errstate(invalid="ignore", divide="ignore"):
        nndr = np.where(d2 > 0, dcr / d2, np.where(dcr > 0, 1.0, 0.0))
    return {
        "near_copy": (dcr < thr) | (dcr <= 0) | exact,
        "exact": exact,
        "nndr": nndr,
    }


def privacy_rows(*, dcr, d2, exact, real_nn_dist, holdout_X=None, synth_X=None, dcr_holdout=None,
                 n_boot: int = 100, rng: np.random.Generator | None = None) -> tuple[list[dict], dict]:
    """Table rows and plain summary from per-row distances (computed by evaluate).

    The real rows are the training rows: with ``holdout_X``, ``dcr`` is each
    synthetic row's distance to its nearest training row (``dcr_holdout``: each
    synthetic row's distance to its nearest holdout row, when already computed).
    """
    thr = dcr_threshold(real_nn_dist)
    s = near_copy_stats(dcr, d2, exact, thr)
    boot = (lambda v: boot_mean(v, n_boot, rng)) if rng is not None and n_boot else (lambda v: None)
    rows = [
        metric_row(FAMILY, "near_copy_share", None, float(s["near_copy"].mean()), boot(s["near_copy"]),
                   None, "lower"),
        metric_row(FAMILY, "exact_copy_share", None, float(s["exact"].mean()), boot(s["exact"]),
                   None, "lower"),
        metric_row(FAMILY, "nndr_mean", None, float(s["nndr"].mean()), boot(s["nndr"]),
                   None, "higher"),
    ]
    med_reps = None
    if rng is not None and n_boot:
        w = rng.poisson(1.0, size=(min(n_boot, 200), dcr.size))
        order = np.argsort(dcr)
        cw = np.cumsum(w[:, order], axis=1)
        pos = (cw >= cw[:, -1:] / 2.0).argmax(axis=1)
        med_reps = dcr[order][pos]
    rows.append(metric_row(FAMILY, "dcr_median", None, float(np.median(dcr)), med_reps,
                           None, "higher", (0.0, np.inf)))
    # the DCR figure's reference: each real row's distance to its nearest other real row
    summary = {"dcr_threshold": thr, "near_copy": s["near_copy"], "exact": s["exact"], "nndr": s["nndr"],
               "base_dcr": real_nn_dist}
    if holdout_X is not None:
        to_hold = cross_pass(synth_X, holdout_X).d1 if dcr_holdout is None else dcr_holdout
        closer = dcr < to_hold
        n_train = real_nn_dist.size
        expected = n_train / (n_train + holdout_X.shape[0])
        rows.append(metric_row(FAMILY, "closer_to_train_share", None, float(closer.mean()), boot(closer),
                               expected, "lower"))
        summary["dcr_holdout"] = to_hold
    return rows, summary
