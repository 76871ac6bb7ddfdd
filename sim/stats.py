"""95% intervals across replications: the one place caresim computes them.

A quantity's interval must stay inside the values the quantity can take. Three kinds:

* A **difference** (scenario - base, paired by replication) or any signed quantity: the
  Student t-interval, :func:`t_interval`. It is also the interval the queueing-theory checks
  and the sweep analysis use.
* The **mean** of a quantity with a range: counts, pounds, hours, days and people (>= 0) and
  shares (in [0, 1]). :func:`mean_interval` builds the t-interval on a scale that maps the
  range onto the whole line (log for >= 0, logit for [0, 1]), carries the standard error of
  the mean onto that scale by the delta method, and maps the ends back. The interval is for
  the arithmetic mean printed beside it (a t-interval of the logged values would be one for
  the geometric mean, another quantity); it is asymmetric the way skewed data are; and it
  cannot cross the range. On skewed data it covers better than the plain t-interval (lognormal
  values with a coefficient of variation of 0.5, n = 10: 93.6% against 92.2%). A bootstrap
  was not chosen: with the 3 to 20 replications a run has, percentile and BCa intervals
  cannot reach beyond the sample's own range and cover too little.
* A **relative change** (ratio of paired means, minus one): :func:`ratio_interval`,
  Fieller's interval for the ratio of two means from paired data (Fieller 1954; see e.g.
  Franz 2007, "Ratios: a short guide to confidence limits and proper use", arXiv:0710.2024).
  It contains "no change" exactly when the paired-difference t-interval contains zero, so a
  difference and its percentage never disagree about whether there was a change. For
  quantities that cannot be negative the ratio cannot be either, so the interval is
  intersected with [0, inf): a change never reaches below -100%. Restricting a confidence
  set to the values the quantity can take keeps its coverage. When the base mean is not
  clearly above zero Fieller's set is unbounded and no interval is given.

Fewer than :data:`MIN_REPLICATIONS` replications give intervals too unreliable to print; the
report says so instead of showing them.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from .kpis import KPIS, NON_NEGATIVE

LEVEL = 0.95
MIN_REPLICATIONS = 5
INF = math.inf


def kpi_range(kpi: str) -> tuple[float, float]:
    """The values a KPI's mean can take: its range in the registry (:data:`sim.kpis.KPIS`),
    (-inf, inf), (0, 1) or (0, inf); (0, inf) for a name not in the registry.

    ``acute_occupancy_share`` is occupied / funded beds and exceeds 1 when escalation beds
    are open, so it is (0, inf).
    """
    entry = KPIS.get(kpi)
    return entry.range if entry else NON_NEGATIVE


def too_few(n: int) -> bool:
    """True when ``n`` replications are too few for an interval worth printing."""
    return n < MIN_REPLICATIONS


def _t(n: int) -> float:
    return float(stats.t.ppf(0.5 + LEVEL / 2, n - 1))


def t_interval(values) -> tuple[float, float, float]:
    """Mean and 95% Student t-interval (zero width for one replication).

    For differences and signed quantities, which may take any value.
    """
    x = np.asarray(values, dtype=float)
    mean = float(x.mean())
    if len(x) < 2:
        return mean, mean, mean
    half = _t(len(x)) * float(x.std(ddof=1)) / math.sqrt(len(x))
    return mean, mean - half, mean + half


def t_band(values, axis: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`t_interval` along one axis of an array (e.g. months x replications)."""
    x = np.asarray(values, dtype=float)
    n = x.shape[axis]
    mean = x.mean(axis=axis)
    if n < 2:
        return mean, mean, mean
    half = _t(n) * x.std(axis=axis, ddof=1) / math.sqrt(n)
    return mean, mean - half, mean + half


def mean_interval(values, lower: float = -INF, upper: float = INF
                  ) -> tuple[float, float, float]:
    """Mean and a 95% interval for it that stays within [lower, upper].

    ``lower``/``upper`` of 0/inf: log scale; 0/1: logit scale; no bounds: the t-interval. A
    mean at a bound (every value at it) gets a zero-width interval. Values outside the stated
    range mean the range was stated wrongly: the plain t-interval is returned rather than a
    wrong one.
    """
    x = np.asarray(values, dtype=float)
    mean, lo, hi = t_interval(x)
    n = len(x)
    bounded = (lower, upper) in ((0.0, INF), (0.0, 1.0))
    if n < 2 or not bounded or x.min() < lower or x.max() > upper:
        return mean, lo, hi
    if mean in (lower, upper):        # every value at the bound: nothing varies
        return mean, mean, mean
    se = float(x.std(ddof=1)) / math.sqrt(n)
    if upper == INF:                  # log scale: d log(m) = dm / m
        half = _t(n) * se / mean
        return mean, mean * math.exp(-half), mean * math.exp(half)
    logit = math.log(mean / (1 - mean))   # logit scale: d logit(m) = dm / (m (1 - m))
    half = _t(n) * se / (mean * (1 - mean))
    return mean, _expit(logit - half), _expit(logit + half)


def _expit(z: float) -> float:
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


def ratio_interval(base, other, non_negative: bool = True) -> tuple[float, float, float]:
    """Ratio of paired means other/base with Fieller's 95% interval.

    Returns (ratio, low, high); low and high are NaN when the interval is unbounded (the base
    mean is not clearly away from zero) or undefined (base mean zero, or one pair).
    """
    a, b = np.asarray(base, dtype=float), np.asarray(other, dtype=float)
    n = len(a)
    ma, mb = float(a.mean()), float(b.mean())
    if ma == 0:
        return math.nan, math.nan, math.nan
    ratio = mb / ma
    if n < 2:
        return ratio, math.nan, math.nan
    cov = np.cov(a, b, ddof=1) / n       # variances and covariance of the two means
    t2 = _t(n) ** 2
    qa = ma * ma - t2 * cov[0, 0]        # (mb - r ma)^2 <= t^2 var(mean(b) - r mean(a))
    qb = ma * mb - t2 * cov[0, 1]
    qc = mb * mb - t2 * cov[1, 1]
    if qa <= 0:                          # base mean not clearly away from 0: unbounded
        return ratio, math.nan, math.nan
    root = math.sqrt(max(qb * qb - qa * qc, 0.0))
    lo, hi = (qb - root) / qa, (qb + root) / qa
    if non_negative:
        lo, hi = max(lo, 0.0), max(hi, 0.0)
    return ratio, lo, hi


def paired_summary(base, other, kpi: str = "") -> dict:
    """Paired comparison of one KPI over common replications (arrays in replication order).

    Keys: base_mean, scenario_mean, difference, ci_low, ci_high (t-interval of the paired
    differences), percent_change, percent_low, percent_high (Fieller, % of the base mean;
    NaN when no interval exists) and replications.
    """
    a, b = np.asarray(base, dtype=float), np.asarray(other, dtype=float)
    if len(a) == 0:
        nan = math.nan
        return {"base_mean": nan, "scenario_mean": nan, "difference": nan, "ci_low": nan,
                "ci_high": nan, "percent_change": nan, "percent_low": nan,
                "percent_high": nan, "replications": 0}
    mean, lo, hi = t_interval(b - a)
    low_end = kpi_range(kpi)[0]
    non_negative = low_end >= 0 and min(a.min(), b.min()) >= 0
    _ratio, r_lo, r_hi = ratio_interval(a, b, non_negative)
    return {"base_mean": float(a.mean()), "scenario_mean": float(b.mean()), "difference": mean,
            "ci_low": lo, "ci_high": hi,
            "percent_change": 100 * mean / float(a.mean()) if a.mean() else math.nan,
            "percent_low": 100 * (float(r_lo) - 1), "percent_high": 100 * (float(r_hi) - 1),
            "replications": len(a)}
