"""Coverage and diversity: precision, recall, density and coverage (Naeem et al. 2020).

In the Encoder's space, with real rows ``X_1..X_N``, synthetic rows ``Y_1..Y_M``
and ``NND_k(X_i)`` the distance from ``X_i`` to its k-th nearest *other* real
row (the radius of its k-NN ball; likewise ``NND_k(Y_j)`` among synthetic rows):

- precision = (1/M) * sum_j 1[ exists i : ||Y_j - X_i|| <= NND_k(X_i) ]
  (share of synthetic rows inside the real support: realism);
- recall    = (1/N) * sum_i 1[ exists j : ||X_i - Y_j|| <= NND_k(Y_j) ]
  (share of real rows inside the synthetic support: diversity);
- density   = (1/(k M)) * sum_j sum_i 1[ ||Y_j - X_i|| <= NND_k(X_i) ]
  (how many real balls hold each synthetic row, / k; about 1 when the two sets
  come from the same distribution, above 1 when synthetic rows crowd dense real
  regions);
- coverage  = (1/N) * sum_i 1[ min_j ||X_i - Y_j|| <= NND_k(X_i) ]
  (share of real rows with a synthetic row inside their own ball).

These are the published definitions and the reference ``prdc`` package's,
except for exact ties: the reference uses ``<``; synthkit uses ``<=`` (with a
floating-point tolerance) so that a point on a ball's boundary, in particular an
exact duplicate when radii are 0, counts as inside. With ``<`` an identical copy
of a data set with many duplicated rows scores 0 (every duplicate-heavy ball has
radius 0 and contains nothing); with ``<=`` it scores 1. ``strict=True`` gives the
reference behaviour. On continuous data without ties both agree exactly.

No N x M distance matrix is built (see :mod:`synthkit.neighbors`), so
100k x 100k fits in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import check_int
from ..errors import DataError
from ..neighbors import CrossStats, as_matrix, cross_pass, knn

__all__ = ["prdc", "prdc_rows", "PRDCRows", "coverage_rows"]

K_HINT = " (5 is the published default)"


@dataclass
class PRDCRows:
    """Per-row ingredients of PRDC (and of DCR, which the same pass yields)."""

    k: int
    real_radius: np.ndarray      # NND_k(X_i)
    synth_radius: np.ndarray     # NND_k(Y_j)
    real_nn_dist: np.ndarray     # distance from X_i to its nearest other real row
    real_nn_index: np.ndarray    # index of that row
    inside_support: np.ndarray   # per synthetic row: inside some real ball (precision)
    ball_count: np.ndarray       # per synthetic row: number of real balls holding it (density)
    covered: np.ndarray          # per real row: a synthetic row in its ball (coverage)
    in_synth_support: np.ndarray  # per real row: inside some synthetic ball (recall)
    cross: CrossStats

    def scores(self) -> dict[str, float]:
        return {
            "precision": float(self.inside_support.mean()),
            "recall": float(self.in_synth_support.mean()),
            "density": float(self.ball_count.mean() / self.k),
            "coverage": float(self.covered.mean()),
        }


def _check(real_X, synth_X, k: int) -> tuple[np.ndarray, np.ndarray]:
    check_int("k", k, minimum=1, hint=K_HINT)
    R, S = as_matrix(real_X), as_matrix(synth_X)
    if R.ndim != 2 or S.ndim != 2 or R.shape[1] != S.shape[1]:
        raise DataError(
            f"real and synthetic matrices must be 2-D with the same number of columns; "
            f"got {R.shape} and {S.shape} (encode both with the same Encoder)"
        )
    for name, M in (("real", R), ("synthetic", S)):
        if M.shape[0] <= k:
            raise DataError(
                f"{name} matrix has {M.shape[0]} rows; precision/recall/density/coverage with "
                f"k={k} need at least {k + 1} rows (lower k or add rows)"
            )
        if not np.isfinite(M).all():
            raise DataError(f"{name} matrix holds NaN or infinite values; encode rows with sk.Encoder")
    return R, S


def prdc_rows(real_X, synth_X, k: int = 5, *, strict: bool = False) -> PRDCRows:
    """Per-row PRDC flags and counts (see the module docstring for the formulas)."""
    R, S = _check(real_X, synth_X, k)
    rd, ri = knn(R, k)
    sd, _ = knn(S, k)
    real_r, synth_r = rd[:, k - 1], sd[:, k - 1]
    cross = cross_pass(S, R, r_ref=real_r, r_query=synth_r, strict=strict)
    return PRDCRows(
        k=k, real_radius=real_r, synth_radius=synth_r, real_nn_dist=rd[:, 0], real_nn_index=ri[:, 0],
        inside_support=cross.ball_count > 0, ball_count=cross.ball_count, covered=cross.ref_covered,
        in_synth_support=cross.ref_inside, cross=cross,
    )


def prdc(real_X, synth_X, k: int = 5, *, strict: bool = False) -> dict[str, float]:
    """Precision, recall, density and coverage of ``synth_X`` against ``real_X``.

    Both are numeric matrices in the same space (e.g. ``Encoder().fit(real)``
    applied to both). Returns ``{"precision", "recall", "density", "coverage"}``.
    ``strict=True`` reproduces the reference package's strict ``<`` at ties.
    """
    return prdc_rows(real_X, synth_X, k, strict=strict).scores()


def coverage_rows(pr: PRDCRows, n_boot: int, rng: np.random.Generator) -> tuple[list[dict], dict]:
    """``evaluate``'s coverage rows (precision, recall, density, coverage with bootstrap
    intervals of the per-row flags) and summary, from one :class:`PRDCRows`."""
    from ._common import boot_mean, metric_row

    sc = pr.scores()
    flags = {"precision": pr.inside_support, "recall": pr.in_synth_support,
             "density": pr.ball_count / pr.k, "coverage": pr.covered}
    rows = []
    for name in ("precision", "recall", "density", "coverage"):
        reps = boot_mean(flags[name], n_boot, rng) if n_boot else None
        rows.append(metric_row("coverage", name, None, sc[name], reps, None, "higher",
                               (0.0, np.inf) if name == "density" else (0.0, 1.0)))
    return rows, {"scores": sc, "k": pr.k}
