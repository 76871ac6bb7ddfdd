"""Directional effects of every arrangement and lever (issue 4), with common random numbers.

One-sided paired comparisons on a small place (capacities and budgets in proportion): the same
seeds in both arms, and the claim is that the 95% interval of the paired difference lies on the
stated side of zero. Where a lever must cost something (prevention, interim funding, closing
beds), the test also checks who pays: no lever is a free lunch. Under common random numbers a
lever that does nothing gives a difference of exactly zero, so every check asks for an effect
strictly on one side. Runs are shared between tests (:func:`tests.conftest.run_once`): the
fragmented places of 6,000 and 10,000 people are the base of many comparisons.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
import sim.results
from sim.model import Model

from .conftest import DEFAULT_PEOPLE, run_once, small
from .test_mechanisms import ample_downstream

REPS = 4
SEED = 21


def _paired(base_cfg, other_cfg, kpi=None, replications=REPS):
    a = run_once(base_cfg, replications, SEED)
    b = run_once(other_cfg, replications, SEED)
    table = sim.paired_differences(a, b).set_index("kpi")
    return table if kpi is None else table.loc[kpi]


# --- arrangements ------------------------------------------------------------------------------
@pytest.mark.parametrize("arrangement", ["pooled", "integrated", "aligned", "lead_commissioning"])
def test_arrangements_that_change_the_process_cut_delays(arrangement):
    """Process changes cut delays where capacity does not absorb them: at this small place the
    default's localities make capacity cause ~40% of delayed days, and lead commissioning's
    smaller gain then vanished into the queues (+0.03 days at the interval's top), so the
    place has ample downstream capacity (:func:`tests.test_mechanisms.ample_downstream`;
    lead commissioning then cuts ~0.08 days, interval -0.11 to -0.06). Capacity that binds is
    the 'not a panacea' test's (tests/test_mechanisms.py). Budgets never ration here: the
    pool's contribution is sized to today's spend, and twice the home-care hours in use would
    make the pool ration (money, not process: ~80 decisions a year held back at seed 21)."""
    ample = {**ample_downstream(small("fragmented", people=10_000)),
             "budgets__rationing__mode": "off"}
    table = _paired(small("fragmented", people=10_000, **ample),
                    small(arrangement, people=10_000, **ample))
    assert table.loc["mean_delay_days", "ci_high"] < 0
    if arrangement in ("pooled", "integrated"):   # one assessment, same-day decisions at home
        assert table.loc["referral_to_care_days", "ci_high"] < 0


@pytest.mark.parametrize("arrangement", ["pooled_money_only", "bcf_minimum"])
def test_arrangements_that_only_move_money_change_little(arrangement):
    """Mason et al. 2015, NAO 2017: pooling alone does little. The change in delayed bed days is
    within +-10% of the fragmented level and its 95% interval includes such a small effect
    (the only behavioural change is who rations, and when). The pool does pay for care: an
    arrangement silently left fragmented would change nothing and pass the rest."""
    table = _paired(small("fragmented"), small(arrangement))
    assert table.loc["cost_pool_gbp", "ci_low"] > 0
    row = table.loc["delayed_bed_days"]
    small_effect = 0.10 * row["base_mean"]
    assert abs(row["difference"]) < small_effect
    assert row["ci_low"] < small_effect and row["ci_high"] > -small_effect


# --- budget cuts -------------------------------------------------------------------------------
@pytest.mark.parametrize("arrangement", ["fragmented", "pooled"])
def test_council_cuts_raise_waiting_lists(arrangement):
    """A -10% a year council budget (seed 003) shrinks the LA budget or its pool contribution.

    The waiting list tested is the one rationing makes: with the default's churning, patched
    home-care market binding at this small place, ~5 people already wait for hours and the
    pool's cut vanished in that noise (interval -0.46 to +6.8), so the place has ample
    downstream capacity (:func:`tests.test_mechanisms.ample_downstream`). Three years: since
    standard CHC for people already in care (sim.chc) moved some care-home and home-care fees
    from the council to the NHS, the council has more room and a two-year cut left the
    fragmented interval at -0.15 to +3.8 people; over three years it is +5.4 to +15.9 (the
    pool's +13.3 to +24.7)."""
    ample = ample_downstream(small(arrangement, people=10_000))
    base = small(arrangement, people=10_000, years=3.0, **ample)
    cut = small(arrangement, people=10_000, years=3.0, budgets__la_yearly_change=-0.10, **ample)
    row = _paired(base, cut, "home_care_waiting_mean")
    assert row["ci_low"] > 0


# --- cashable savings ----------------------------------------------------------------------------
def test_bed_closure_turns_freed_beds_into_cash_at_a_price():
    """Closing beds shrinks the block contract, and the beds that are left board patients in
    ED for longer.

    At 4,000 people the first review closes 6 of 30 beds (down to the 80% floor), leaving
    about as many beds as an average day's patients need: a replication's mean boarding wait
    rises from a few hours to between 20 and 460 (seeds 1-7 and 21).
    Such waits are heavy-tailed, so 6 replications: the interval then excludes zero at each of
    seeds 1-7 and 21, and every replication waits longer (a sign test, probability 1/64 if the
    sign were a coin toss). Beds that close on paper but stay open would leave the waits
    exactly as they were, and fail.

    Since the recalibration the default's capacity queues at this small place fill the beds
    with delayed patients: the base already boarded for 3 to 90 hours and one replication's
    review closed no bed (occupancy above the threshold). Ample downstream capacity
    (:func:`tests.test_mechanisms.ample_downstream`) restores the condition: base waits of
    1 to 12 hours, 6 beds closed in every replication, waits up 5 to 32 hours (seed 21).
    """
    people = 4000
    ample = ample_downstream(small("fragmented", people=people))
    base = small("fragmented", people=people, acute__escalation_beds=0, **ample)
    closing = small("fragmented", people=people, acute__escalation_beds=0, **ample,
                    savings__bed_closure=True, savings__closure_occupancy_threshold=0.9)
    table = _paired(base, closing, replications=6)
    assert table.loc["beds_closed", "scenario_mean"] > 0
    assert table.loc["cost_nhs_gbp", "ci_high"] < 0          # the block contract shrinks
    assert table.loc["mean_boarding_wait_hours", "ci_low"] > 0   # fewer beds, longer waits
    waits = [res.kpis.query("kpi == 'mean_boarding_wait_hours'").set_index("replication")["value"]
             for res in (run_once(base, 6, SEED), run_once(closing, 6, SEED))]
    assert (waits[1] > waits[0]).all(), waits[1] - waits[0]


def test_reinvested_capacity_arrives_after_the_lag_and_not_before():
    lag = 60.0
    # the funded hours must stay flat but for the reinvestment: no carer churn, no market growth
    cfg = small("fragmented", years=1.5, warmup_days=30.0, savings__reinvest_share=0.5,
                savings__reinvest_source="underspend", savings__reinvest_lag_days=lag,
                home_care__carer_turnover_per_year=0.0, home_care__market_growth_per_year=0.0)
    model = Model(cfg, seed=SEED, replication=0).run()
    assert model.savings.reinvestments, "a year-end underspend was expected"
    decided = model.savings.reinvestments[0][0]
    hours = model.occupancy.daily[:, model.occupancy.index["funded:home_care_hours"]]
    start = cfg.home_care.capacity_hours_per_week
    before = hours[: int(decided + lag)]
    after = hours[int(decided + lag) + 1: model.occupancy.days_closed]
    assert np.allclose(before, start)
    bought = sum(r[6] for r in model.savings.reinvestments if r[0] == decided)
    assert np.allclose(after, start + bought)
    # only cash is reinvested: a share of each budget's year-end balance in the budget table
    budgets = sim.results.collect(model, 0, SEED).budgets
    for r in model.savings.reinvestments:
        year_end = budgets[(budgets["funder"] == r.budget) & (budgets["month"] == "2026-03")]
        assert r.underspend_gbp == pytest.approx(float(year_end["balance_ytd_gbp"].iloc[0]),
                                                 rel=1e-6)
        assert r.amount_gbp == pytest.approx(0.5 * r.underspend_gbp)
        # no bed closed: all of it was headroom, and the record says so
        assert r.from_headroom_gbp == pytest.approx(r.amount_gbp) and r.source == "headroom"


def test_reinvesting_in_home_care_hours_serves_more_clients():
    """Once the bought hours arrive (year 2), more people are on home care than without."""
    people = 10_000
    tight = small("fragmented", people=people).home_care.capacity_hours_per_week * 0.7
    arms = [small("fragmented", people=people, years=2.0,
                  home_care__capacity_hours_per_week=tight, **extra)
            for extra in ({}, {"savings__reinvest_share": 1.0,
                               "savings__reinvest_source": "underspend",
                               "savings__reinvest_from": ["nhs", "la"],
                               "savings__reinvest_lag_days": 30.0})]
    reps = 6
    base, reinvest = (sim.run(cfg, replications=reps, seed=SEED, progress=False) for cfg in arms)
    arrival = 365 + 30  # first financial-year end (1 April 2026) + the lag
    clients = []
    for res in (base, reinvest):
        daily = res.daily[(res.daily["series"] == "home_care") & (res.daily["day"] > arrival)]
        clients.append(daily.groupby("replication")["count"].mean())
    gain = clients[1] - clients[0]
    # queue lengths near saturation are heavy-tailed, so a sign test rather than a t-interval:
    # all 6 paired differences positive has probability 1/64 under no effect
    assert (gain > 0).all()
    reinvested = reinvest.summary.set_index("kpi").loc["reinvested_gbp", "mean"]
    assert reinvested > 0


# --- prevention ----------------------------------------------------------------------------------
def test_case_management_cuts_admissions_and_costs_the_teams():
    base = small("fragmented", people=10_000)
    managed = small("fragmented", people=10_000, neighbourhood__case_management=True,
                    neighbourhood__crisis_hazard_ratio=0.6)
    table = _paired(base, managed)
    assert table.loc["emergency_admissions", "ci_high"] < 0
    assert table.loc["case_managed_mean", "scenario_mean"] > 0
    teams = max(1, round(10_000 / 5_500))
    assert table.loc["cost_nhs_gbp", "difference"] > 0.5 * teams * 350_000.0


def test_each_zone_team_keeps_its_own_caseload():
    """A person keeps one zone, and no team holds more people than its places."""
    cfg = small("integrated", people=12_000, neighbourhood__people_per_zone=2_000,
                neighbourhood__caseload_per_team=40)
    model = Model(cfg, seed=SEED, replication=0).run()
    teams = model.neighbourhood
    assert [teams.zone(i) for i in range(50)] == [teams.zone(i) for i in range(50)]
    managed = np.flatnonzero(model.pop.column("case_managed"))
    per_zone = np.bincount(model.pop.column("zone")[managed], minlength=teams.zones)
    for z in range(teams.zones):
        assert per_zone[z] + teams.free[z] == pytest.approx(teams.places_per_team)
        assert 0 <= teams.free[z] <= teams.places_per_team


def test_case_management_with_no_effect_changes_only_costs():
    """The evidence range includes no effect: a ratio of 1 leaves every crisis where it was."""
    base = small("fragmented")
    managed = small("fragmented", neighbourhood__case_management=True,
                    neighbourhood__crisis_hazard_ratio=1.0)
    table = _paired(base, managed)
    assert table.loc["case_managed_mean", "scenario_mean"] > 0   # people are case-managed
    assert table.loc["emergency_admissions", "difference"] == 0
    assert table.loc["delayed_bed_days", "difference"] == 0
    assert table.loc["cost_nhs_gbp", "ci_low"] > 0


# --- discharge to assess and coordinators ------------------------------------------------------
def test_discharge_to_assess_cuts_delays_and_the_interim_payer_pays():
    base = small("fragmented")
    d2a = small("fragmented", assessment__discharge_to_assess=["reablement", "home_care"])
    assert _paired(base, d2a, "mean_delay_days")["ci_high"] < 0
    res = run_once(d2a, REPS, SEED)   # replication 0 is the same however many are run
    cash = res.monthly_costs.query("replication == 0")
    assert cash.query("service == 'home_care' and payer == 'nhs'")["cost_gbp"].sum() > 0


def test_discharge_to_assess_in_care_homes_cuts_delays_and_the_nhs_pays_interim_places():
    base = small("fragmented", people=10_000)
    d2a = small("fragmented", people=10_000,
                assessment__discharge_to_assess=["reablement", "care_home"])
    table = _paired(base, d2a)
    assert table.loc["mean_delay_days", "ci_high"] < 0
    model = Model(d2a, seed=SEED, replication=0).run()
    ledger = model.ledger.frame()
    interim = ledger[(ledger["service"] == "care_home") & (ledger["payer"] == "nhs")
                     & (ledger["view"] == "cash")]
    assert len(interim) > 0 and interim["amount_gbp"].sum() > 0
    interim = np.flatnonzero(model.pop.column("interim"))
    assert all(model.pop.state[i] != 10 for i in interim)


def test_coordinators_restarting_packages_cut_home_care_delays():
    base = small("fragmented", people=10_000)
    restart = small("fragmented", people=10_000,
                    decision__package_change_without_referral=True)
    assert _paired(base, restart, "mean_delay_home_care_days")["ci_high"] < 0


# --- money: statutory duty, outcome payments, self-funders ------------------------------------
ACUTE_POOL = ["acute", "reablement", "intermediate_care", "home_care", "care_home",
              "community_nursing"]


def _acute_pool(nhs_millions: float, people: int = 6000, **overrides):
    f = people / DEFAULT_PEOPLE
    return small("pooled", people=people, funding__pool__scope=ACUTE_POOL,
                 funding__pool__nhs_contribution_gbp_per_year=nhs_millions * 1e6 * f,
                 **overrides)


def test_statutory_risk_days_appear_when_the_pool_is_small_and_community_spend_high():
    roomy = sim.run(_acute_pool(70.0), replications=2, seed=SEED, progress=False)
    squeezed = sim.run(_acute_pool(45.0, home_care__hours_per_week_mean=16.0), replications=2,
                       seed=SEED, progress=False)
    days = {name: res.summary.set_index("kpi").loc["statutory_risk_days", "mean"]
            for name, res in (("roomy", roomy), ("squeezed", squeezed))}
    assert days["roomy"] == 0
    assert days["squeezed"] > 0
    # the NHS cannot stop paying for beds: the funders top the pool up at the year end
    topups = squeezed.summary.set_index("kpi").loc[["risk_share_nhs_gbp", "risk_share_la_gbp"],
                                                   "mean"]
    assert topups.sum() > 0


def test_outcome_payment_is_paid_only_when_the_target_is_met():
    met = small("integrated", funding__pool__outcome_target_mean_delay_days=10.0)
    missed = small("integrated", funding__pool__outcome_target_mean_delay_days=0.01)
    a = sim.run(met, replications=1, seed=SEED, progress=False).summary.set_index("kpi")
    b = sim.run(missed, replications=1, seed=SEED, progress=False).summary.set_index("kpi")
    assert a.loc["outcome_payment_gbp", "mean"] > 0
    assert b.loc["outcome_payment_gbp", "mean"] == 0


def test_more_self_funders_move_care_home_fees_from_the_council_to_people():
    base = small("fragmented", population__self_funder_care_home_share=0.2)
    richer = small("fragmented", population__self_funder_care_home_share=0.6)
    table = _paired(base, richer)
    assert table.loc["cost_la_gbp", "ci_high"] < 0
    assert table.loc["cost_self_gbp", "ci_low"] > 0


def test_contributions_given_as_shares_follow_the_funders_budget():
    cfg = small("pooled", funding__pool__la_contribution_share=0.5,
                budgets__la_yearly_change=-0.05)
    funding = Model(cfg, seed=SEED, replication=0).funding
    whole = cfg.budgets.la_gbp_per_year * (1 + cfg.budgets.headroom_share)
    for year in range(3):
        expected = 0.5 * whole * 0.95 ** year
        assert funding.contribution("la", year) == pytest.approx(expected)
        assert funding.yearly_budget("la", year) == pytest.approx(expected)


@pytest.mark.parametrize("target,series,extra", [
    ("reablement", "funded:reablement_places", {}),
    ("intermediate_care", "funded:ic_beds", {}),
    ("prevention", "funded:case_management_places", {"neighbourhood__case_management": True}),
])
def test_every_reinvestment_target_adds_its_capacity_after_the_lag(target, series, extra):
    cfg = small("fragmented", years=1.5, warmup_days=30.0, savings__reinvest_share=1.0,
                savings__reinvest_source="underspend", savings__reinvest_in=target,
                savings__reinvest_lag_days=20.0, **extra)
    model = Model(cfg, seed=SEED, replication=0).run()
    decided = model.savings.reinvestments[0][0]
    units = sum(r[6] for r in model.savings.reinvestments)
    assert units > 0
    capacity = model.occupancy.daily[: model.occupancy.days_closed,
                                     model.occupancy.index[series]]
    assert np.ptp(capacity[: int(decided + 20.0)]) == 0
    assert capacity[-1] == pytest.approx(capacity[0] + units)
    if target in ("intermediate_care", "prevention"):   # block contracts, paid by the budget
        ledger = model.ledger.frame()
        service = "intermediate_care" if target == "intermediate_care" else "case_management"
        bought = ledger[(ledger["service"] == service) & (ledger["start_day"] > decided)
                        & (ledger["view"] == "cash")]
        assert set(bought["payer"]) <= {"nhs", "la"} and len(bought) > 0


# --- admission avoidance and spend-down ------------------------------------------------------
def test_direct_access_to_community_teams_avoids_admissions():
    # the front-door frailty team's same-day discharges and the virtual ward's stays at home
    # are avoided crises too: off here
    without = small("fragmented", avoidance__direct_access=False,
                    frailty_unit__assessments_per_day=0, virtual_ward__beds=0)
    with_access = small("fragmented", avoidance__direct_access=True,
                        frailty_unit__assessments_per_day=0, virtual_ward__beds=0)
    table = _paired(without, with_access)
    assert table.loc["avoided_crises", "scenario_mean"] > 0
    assert table.loc["avoided_crises", "base_mean"] == 0
    assert table.loc["emergency_admissions", "ci_high"] < 0


def test_faster_spend_down_moves_care_home_fees_to_the_council():
    slow = small("fragmented", care_homes__spend_down_days=2000.0)
    fast = small("fragmented", care_homes__spend_down_days=200.0)
    table = _paired(slow, fast)
    assert table.loc["cost_la_gbp", "ci_low"] > 0
    assert table.loc["cost_self_gbp", "ci_high"] < 0


def test_graded_outcome_payment_falls_linearly_between_the_target_and_twice_it():
    cfg = small("integrated", funding__pool__outcome_payment_rule="graded",
                funding__pool__outcome_target_mean_delay_days=1.0)
    fund_year = Model(cfg, seed=SEED, replication=0).fund_year
    assert [fund_year.earned_share(d) for d in (0.5, 1.0, 1.25, 1.5, 2.0, 3.0)] == \
        pytest.approx([1.0, 1.0, 0.75, 0.5, 0.0, 0.0])
    cliff = Model(small("integrated", funding__pool__outcome_target_mean_delay_days=1.0),
                  seed=SEED, replication=0).fund_year
    assert [cliff.earned_share(d) for d in (1.0, 1.01)] == [1.0, 0.0]
