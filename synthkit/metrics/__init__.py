"""Measure synthetic data honestly: one module per metric family.

- :mod:`~synthkit.metrics.fidelity`: one column at a time (KS / TV complement, support)
- :mod:`~synthkit.metrics.pairwise`: column pairs (correlation / contingency similarity)
- :mod:`~synthkit.metrics.detection`: a classifier separating real from synthetic
- :mod:`~synthkit.metrics.coverage`: precision, recall, density, coverage (Naeem et al. 2020)
- :mod:`~synthkit.metrics.privacy`: DCR, near and exact copies, NNDR, memorisation
- :mod:`~synthkit.metrics.utility`: train synthetic, test real (TSTR) vs TRTR
- :mod:`~synthkit.metrics.fairness`: subgroup balance of sensitive groups
- :mod:`~synthkit.metrics.text`: text columns (vocabulary, repetition, perplexity, lengths, memorisation)

:func:`evaluate` runs them all with size-matched real-vs-real baselines,
calibrated "worse than real" verdicts (:mod:`~synthkit.metrics._baseline`) and bootstrap
intervals and returns a :class:`Report` (saved and loaded as JSON, checked by
quality gates: :func:`gate`); :func:`suggest` turns its per-row
scores into candidate problem regions.
"""

from . import coverage, detection, fairness, fidelity, pairwise, privacy, text, utility
from .coverage import prdc
from .evaluate import FAMILIES, evaluate
from .fidelity import ks_complement, tv_complement
from .gate import GateResult, Threshold, gate
from .report import FORMULAS, METRIC_HELP, Report, compare, load_report
from .suggest import KINDS, Region, regions_frame, suggest
from .utility import trtr, tstr

__all__ = [
    "evaluate", "suggest", "compare", "Report", "load_report", "gate", "GateResult", "Threshold", "Region", "regions_frame", "FAMILIES", "KINDS", "FORMULAS",
    "METRIC_HELP", "prdc", "tstr", "trtr", "ks_complement", "tv_complement",
    "coverage", "detection", "fairness", "fidelity", "pairwise", "privacy", "text", "utility",
]
