"""The fragmented default lands on the calibration targets of docs/PARAMETERS.md.

Runs the full default place (55,200 people aged 65+) for its 5 years after warm-up, four
replications on two processes (every check holds for each, except the 12-hour boarding bound,
which is on their mean). Targets (fragmented default):
emergency admissions ~240 per 1,000 a year (+-15%); deaths by age band within +-15% of ONS;
acute occupancy 85-95% of funded beds; delayed share of occupied beds 13-19%; mean wait from
fit to discharge 1.3-2.5 days; care-home residents steady within +-10% over 5 years; 30-day
readmissions ~15% (12-18%); and the delay shape and causes below.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.schema_base import AGE_BANDS

#: the default's estimates were set on seed 1; the checks run on a seed they were never set on
OUT_OF_SAMPLE_SEED = 11


@pytest.fixture(scope="module")
def default_run():
    return sim.run(sim.load_config("default"), replications=4, seed=OUT_OF_SAMPLE_SEED,
                   progress=False, workers=2)


def _window(res):
    cfg = res.config
    return res.daily[res.daily["day"] >= cfg.run.warmup_days]


def _kpi(res, name):
    """One value per replication (an absent KPI would make every check on it pass)."""
    values = res.kpis[res.kpis["kpi"] == name]["value"].to_numpy()
    assert len(values) == res.replications, f"KPI {name!r}: {len(values)} values"
    return values


def test_emergency_admissions_near_240_per_1000(default_run):
    alive = _window(default_run).query("series == 'alive'").groupby("replication")["count"].mean()
    per_1000 = _kpi(default_run, "emergency_admissions") / alive.to_numpy() * 1000
    assert np.all((per_1000 > 240 * 0.85) & (per_1000 < 240 * 1.15)), per_1000


def test_deaths_by_age_band_match_ons(default_run):
    cfg = default_run.config
    window = _window(default_run)
    years = cfg.run.years
    for b, band in enumerate(AGE_BANDS):
        person_years = window.loc[window["series"] == f"alive:{band}", "count"].sum() / 365.25
        expected = cfg.mortality.band_rate_per_1000[b] / 1000 * person_years
        observed = _kpi(default_run, f"deaths_{band}").sum() * years
        assert observed == pytest.approx(expected, rel=0.15), band


def test_acute_occupancy_between_85_and_95_percent(default_run):
    share = _kpi(default_run, "acute_occupancy_share")
    assert np.all((share >= 0.85) & (share <= 0.95)), share


def test_delayed_share_of_occupied_beds_between_13_and_19_percent(default_run):
    share = _kpi(default_run, "delayed_bed_share")
    assert np.all((share >= 0.13) & (share <= 0.19)), share


def test_mean_fit_to_discharge_wait_between_1_3_and_2_5_days(default_run):
    delay = _kpi(default_run, "mean_delay_days")
    assert np.all((delay >= 1.3) & (delay <= 2.5)), delay


def test_care_home_residents_steady_over_five_years(default_run):
    daily = default_run.daily
    residents = (daily[daily["series"].isin(["residential", "nursing"])]
                 .groupby(["replication", "day"])["count"].sum().unstack("replication"))
    start = residents.iloc[:30].mean()
    end = residents.iloc[-30:].mean()
    assert np.all((end / start - 1).abs() < 0.10), end / start


def test_mean_delay_rises_with_the_pathway(default_run):
    """P0 (home, no new support) < P1 (new support at home) < P2 (an intermediate-care bed)
    < P3 (a care home), as in every published breakdown of discharge delays."""
    by_pathway = np.array([_kpi(default_run, f"mean_delay_p{n}_days") for n in range(4)])
    assert np.all(np.diff(by_pathway, axis=0) > 0), by_pathway


def test_thirty_day_readmissions_near_15_percent(default_run):
    share = _kpi(default_run, "readmission_30d_share")
    assert np.all((share > 0.12) & (share < 0.18)), share


def test_calibration_run_does_not_ration_or_queue_in_ed(default_run):
    """The default is a working system: budgets set to its own spend never hold a funding
    decision back, and no runaway ED queue (boarding under a day)."""
    assert np.all(_kpi(default_run, "rationed_decisions") == 0)
    assert np.all(_kpi(default_run, "mean_boarding_wait_hours") < 24)


# --- delay shape and causes (issue 13): the parts the default meets out of sample ------------
def test_delays_concentrate_in_long_waits_and_the_delayed_wait_is_days_not_hours(default_run):
    """Published: the mean of delayed patients is ~4-8 days and delays concentrate in long
    waits (Health Foundation 2023; Nuffield Trust): a week or more holds a third or more of
    delayed days."""
    mean_delayed = _kpi(default_run, "mean_delay_delayed_days")
    assert np.all((mean_delayed > 4) & (mean_delayed < 8)), mean_delayed
    assert np.all(_kpi(default_run, "long_delay_bed_share") > 1 / 3)


def test_a_sixth_of_discharges_are_delayed_a_day_or_more(default_run):
    """Share of live discharges leaving a day or more after medically fit: ~12-20% [e]
    (docs/PARAMETERS.md, "Delay shape and pressure"). Seed 11's four replications: 15.9-17.3%.
    It was 19-21% (the top edge) before the home-care market's waiting list was held by
    people giving up and reablement had 160 places instead of 140, untested then."""
    share = _kpi(default_run, "delayed_discharge_share")
    assert np.all((share >= 0.12) & (share <= 0.20)), share


def test_waiting_for_service_capacity_is_a_large_cause_of_delay(default_run):
    """About half of delayed patients wait for a package or a bed (Shared Data Unit 2023); the
    default (seeds 1 and 3, where it was set) has ~40%, the largest cause. The test asks for
    0.3-0.65: the shares of one seed's replications vary by several points and this is the cause
    the model is most sensitive to (the queues for reablement and home care; seed 11's four
    replications: 35-44%). It was 4-5% before care markets churned and services were split
    into localities, 23-31% before pathway 1 became discharge to assess."""
    share = _kpi(default_run, "capacity_delay_share")
    assert np.all((share > 0.3) & (share < 0.65)), share


def test_boarding_has_a_tail_but_no_runaway_queue(default_run):
    """Boarding waits with a distribution: a 95th percentile of hours, some 12-hour waits, but
    not a hospital in gridlock (12-hour waits under a sixth of admissions on average; England's
    worst month, December 2022, had 54,532 waits of 12+ hours from the decision to admit,
    about one A&E admission in ten). The bound is on the mean of the replications: how hot a
    replication's winters run varies far more than the target's precision (the four here: 2%,
    6%, 4% and 16%; 5%, 17%, 8% and 29% before people waiting at home could give up)."""
    assert np.all(_kpi(default_run, "boarding_wait_p95_hours") >= 2)
    share = _kpi(default_run, "boarding_12h_share")
    assert np.all(share > 0) and share.mean() < 1 / 6, share


def test_fewer_people_leave_at_weekends(default_run):
    """Discharges on a Saturday or Sunday relative to a weekday: ~0.55-0.6 in England (19.5%
    of the 2014 inpatient survey's respondents left at a weekend or on a public holiday,
    Graham 2018 BMJ Qual Saf); the test asks for 0.45-0.7."""
    ratio = _kpi(default_run, "weekend_discharge_ratio")
    assert np.all((ratio > 0.45) & (ratio < 0.7)), ratio


def _yearly_window_means(res, series):
    """Mean count of ``series`` in each whole counted year, one row per replication."""
    window = _window(res)
    rows = window[window["series"] == series].copy()
    rows["year"] = ((rows["day"] - res.config.run.warmup_days) // 365.25).astype(int)
    return rows.groupby(["replication", "year"])["count"].mean().unstack("year")


def test_acute_occupancy_in_range_from_the_first_counted_year(default_run):
    """The hospital is under the pressure real ones are under from the start of the counting
    window, not slack that fills over five years: the first counted year's occupancy of the
    funded beds is 85-95% (it was 76-77% with a 180-day warm-up and fixed beds, rising to
    97-100% by year five)."""
    occupied = (_yearly_window_means(default_run, "acute_treatment")
                + _yearly_window_means(default_run, "acute_delayed"))
    first = occupied[0] / _yearly_window_means(default_run, "funded:acute_beds")[0]
    assert np.all((first >= 0.85) & (first <= 0.95)), first


def test_the_oldest_band_grows_as_ons_projects(default_run):
    """People aged 85+ grow ~2.5-3% a year (ONS projections: UK 85+ 1.4m in 2010 to 1.9m in
    2020, 1.7m in 2020 to 3.1m in 2045); the test asks for 1.5-5% a year over the counted
    years, first to last (it was ~8% a year at first with ages spread evenly in each band)."""
    oldest = _yearly_window_means(default_run, "alive:85+")
    years = oldest.columns[-1] - oldest.columns[0]
    growth = (oldest[oldest.columns[-1]] / oldest[oldest.columns[0]]) ** (1 / years) - 1
    assert np.all((growth > 0.015) & (growth < 0.05)), growth
