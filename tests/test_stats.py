"""Intervals stay inside the range of the quantity they describe, and cover as stated."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from sim import stats
from sim.kpis import KPIS
from sim.results import summarise

EXPERIMENTS = 1000
# coverage of a 95% interval over 1,000 experiments: binomial sd ~0.69 pp; allow 3 sd
TOLERANCE = 3 * math.sqrt(0.95 * 0.05 / EXPERIMENTS)


@pytest.mark.parametrize("values", [[0, 0, 12], [0, 2, 12, 1, 3], [0, 0, 0, 1], [5, 0],
                                    [1e-9, 0, 3e6], [0.0, 0.0]])
def test_interval_of_a_count_never_goes_below_zero(values):
    mean, lo, hi = stats.mean_interval(values, *stats.kpi_range("chc_disputes"))
    assert 0 <= lo <= mean <= hi
    assert mean == pytest.approx(np.mean(values))


@pytest.mark.parametrize("values", [[0, 0.02, 0.01], [1, 1, 0.98], [0.5, 0.01, 0.99],
                                    [0.0, 1.0], [1.0, 1.0, 1.0], [0, 0, 0.001, 0.5, 0.2]])
def test_interval_of_a_share_stays_between_zero_and_one(values):
    mean, lo, hi = stats.mean_interval(values, *stats.kpi_range("readmission_30d_share"))
    assert 0 <= lo <= mean <= hi <= 1


def test_a_mean_at_its_bound_has_no_width():
    assert stats.mean_interval([0, 0, 0], 0, stats.INF) == (0.0, 0.0, 0.0)
    assert stats.mean_interval([1, 1], 0, 1) == (1.0, 1.0, 1.0)


def test_a_signed_kpi_keeps_the_plain_t_interval():
    values = [-3.0, 1.0, 0.5, -0.2]
    assert stats.kpi_range("risk_share_la_gbp") == (-stats.INF, stats.INF)
    assert stats.mean_interval(values, *stats.kpi_range("risk_share_la_gbp")) == \
        stats.t_interval(values)


def test_t_interval_is_students_t():
    values = [3.1, 4.7, 2.2, 5.0, 3.9]
    mean, lo, hi = stats.t_interval(values)
    expected = scipy_stats.t.interval(0.95, 4, loc=np.mean(values),
                                      scale=scipy_stats.sem(values))
    assert mean == pytest.approx(np.mean(values)) and (lo, hi) == pytest.approx(expected)
    assert stats.t_interval([7.0]) == (7.0, 7.0, 7.0)


@pytest.mark.parametrize("base, other", [([10, 12, 11], [0, 0, 0]),          # payer dropped
                                         ([1, 0, 2], [0, 0, 1]),             # tiny counts
                                         ([5, 6], [0.1, 9]),                 # n = 2
                                         ([0.1, 0.5, 3.0, 0.2], [0, 0, 2.9, 0])])
def test_relative_change_never_falls_below_minus_100_percent(base, other):
    row = stats.paired_summary(base, other, "cost_la_gbp")
    if not math.isnan(row["percent_low"]):
        assert -100 <= row["percent_low"] <= row["percent_change"] <= row["percent_high"]
    assert row["percent_change"] >= -100


def test_a_payer_that_stops_paying_changes_by_exactly_minus_100_percent():
    row = stats.paired_summary([10.8, 11.2, 10.5], [0, 0, 0], "cost_la_gbp")
    assert row["percent_low"] == row["percent_high"] == -100
    assert row["percent_change"] == pytest.approx(-100)


def test_ratio_interval_is_unbounded_when_the_base_is_not_clearly_above_zero():
    ratio, lo, hi = stats.ratio_interval([0, 0, 3], [1, 2, 3])
    assert ratio == 2 and math.isnan(lo) and math.isnan(hi)
    assert math.isnan(stats.ratio_interval([0, 0], [1, 2])[0])            # base mean zero


def test_percent_interval_contains_zero_exactly_when_the_difference_interval_does():
    rng = np.random.default_rng(11)
    agree = 0
    for _ in range(300):
        base = rng.lognormal(3, 0.3, 6)
        other = base * rng.lognormal(rng.normal(0, 0.1), 0.1, 6)
        row = stats.paired_summary(base, other, "delayed_bed_days")
        by_difference = row["ci_low"] <= 0 <= row["ci_high"]
        by_percent = row["percent_low"] <= 0 <= row["percent_high"]
        agree += by_difference == by_percent
    assert agree == 300


def _coverage(hits: list[bool]) -> float:
    return float(np.mean(hits))


def test_mean_interval_covers_95_percent_of_lognormal_means():
    """1,000 experiments of 10 lognormal values (CV ~0.25, like a KPI across replications)."""
    rng = np.random.default_rng(20240501)
    sigma = 0.25
    true_mean = math.exp(sigma ** 2 / 2)
    hits = [lo <= true_mean <= hi for _, lo, hi in
            (stats.mean_interval(rng.lognormal(0, sigma, 10), 0, stats.INF)
             for _ in range(EXPERIMENTS))]
    assert abs(_coverage(hits) - 0.95) <= TOLERANCE


def test_share_interval_covers_95_percent_of_beta_means():
    rng = np.random.default_rng(7)
    a, b = 2.0, 18.0                                 # shares near 10%
    hits = [lo <= a / (a + b) <= hi for _, lo, hi in
            (stats.mean_interval(rng.beta(a, b, 10), 0, 1) for _ in range(EXPERIMENTS))]
    assert abs(_coverage(hits) - 0.95) <= TOLERANCE


def test_ratio_interval_covers_95_percent_of_paired_ratios():
    """Paired lognormal replications (correlation 0.8 on the log scale), true ratio 0.8."""
    rng = np.random.default_rng(3)
    hits = []
    for _ in range(EXPERIMENTS):
        z = rng.standard_normal(10)
        w = 0.8 * z + 0.6 * rng.standard_normal(10)
        _, lo, hi = stats.ratio_interval(np.exp(0.25 * z), 0.8 * np.exp(0.25 * w))
        hits.append(lo <= 0.8 <= hi)
    assert abs(_coverage(hits) - 0.95) <= TOLERANCE


def test_every_kpi_of_a_real_run_lies_in_its_declared_range(cached_run):
    res = cached_run("pooled", 3000, 0.5, 2, 5)
    assert set(KPIS) - {"deaths_65-74"} <= set(res.kpis["kpi"])
    for kpi, group in res.kpis.groupby("kpi"):
        low, high = stats.kpi_range(kpi)
        assert group["value"].between(low, high).all(), kpi


def test_summarise_gives_counts_no_negative_bound():
    kpis = pd.DataFrame({"replication": [0, 1, 2] * 2,
                         "kpi": ["chc_disputes"] * 3 + ["readmission_30d_share"] * 3,
                         "value": [0.0, 0.0, 12.0, 0.0, 0.01, 0.0]})
    table = summarise(kpis).set_index("kpi")
    assert (table["ci_low"] >= 0).all() and table.loc["readmission_30d_share", "ci_high"] <= 1
    assert (table["replications"] == 3).all()
    assert stats.too_few(3) and not stats.too_few(stats.MIN_REPLICATIONS)
