"""Unit tests of single journey processes on a bare SimPy environment, with exact times.

In the style of SimPy's own tests: a tiny run context (a handful of people, the default
capacities, no hazard clocks running), one process started by hand, and the exact times at
which it waits, decides and switches payer asserted - from the calendar and from the same
keyed random draws the process makes.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy

import sim
from sim import community_care, decisions, placements
from sim.billing import Billing, Fees
from sim.clock import Clock
from sim.context import RunContext
from sim.costs import Ledger
from sim.eventlog import EventLog
from sim.funding import FundingRules
from sim.hazards import Hazards
from sim.model import occupancy_series
from sim.occupancy import Occupancy
from sim.people import Journeys, People
from sim.population import (
    ACUTE_DELAYED,
    HOME_CARE,
    NURSING,
    Population,
    draw_people,
)
from sim.rng import Streams
from sim.services import Services

SEED, REP = 3, 0
DAY = 1.0
HOUR = 1.0 / 24.0


#: Exact-time unit tests follow one person through one mechanism: the default's care-market
#: mechanisms (one pool per service here, no declines or turnaround, no planning from admission)
#: and the senior round that confirms fitness are switched off unless a test sets them; each
#: has its own tests.
ISOLATED = {"care_homes__localities": 1, "home_care__localities": 1, "reablement__localities": 1,
            "care_homes__decline_share": 0.0, "care_homes__vacancy_turnaround_days": 0.0,
            "assessment__planned_from_admission_share": 0.0,
            "acute__senior_review_hours": [0.0, 24.0], "acute__weekend_review_ratio": 1.0}


def bare_context(config: str = "fragmented", people: int = 12, **overrides) -> RunContext:
    """A run context on a bare environment: ``people`` publicly funded people at home,
    nothing running; the care-market mechanisms off (:data:`ISOLATED`) unless overridden."""
    overrides = {**ISOLATED, **overrides}
    cfg = sim.load_config(config, overrides={k.replace("__", "."): v
                                             for k, v in overrides.items()})
    env = simpy.Environment()
    horizon = 400.0
    clock = Clock(cfg.run.start_date, horizon)
    pop = Population(people)
    drawn = draw_people(cfg, np.random.default_rng(0), people, 0.0, entrants=False)
    drawn["self_fund_care_home"][:] = drawn["self_fund_home_care"][:] = False  # publicly funded
    pop.add(drawn)
    ledger = Ledger()
    rules = FundingRules(cfg, env, clock, ledger)
    occupancy = Occupancy(occupancy_series(), clock.days)
    log = EventLog()
    ctx = RunContext(env=env, cfg=cfg, clock=clock, streams=Streams(SEED, REP),
                     people=People(pop, env, occupancy, log, ledger, rules.payer("acute"),
                                   refresh=lambda i: None),
                     hazards=Hazards(cfg, pop), journeys=Journeys(env),
                     services=Services(env, cfg), rules=rules,
                     billing=Billing(cfg, rules, ledger, env), log=log, occupancy=occupancy,
                     horizon=horizon, admit=lambda i: iter(()), die=lambda i: None,
                     chc_found_eligible=lambda i: None)
    return ctx


def run_at(ctx: RunContext, start: float, generator_function, *args):
    """Start ``generator_function(ctx, *args)`` at time ``start``; return the process."""
    holder = {}

    def later():
        yield ctx.env.timeout(start)
        holder["result"] = yield ctx.env.process(generator_function(ctx, *args))
        holder["finished"] = ctx.env.now

    ctx.env.process(later())
    return holder


def episodes(ctx: RunContext, person: int, view: str = "cash") -> list[tuple]:
    """(service, payer, start, end) of a person's cost episodes in one view."""
    return [(r[1], r[3], r[5], r[6]) for r in ctx.billing.ledger.rows
            if r[0] == person and r[4] == view]


# --- the funding panel -----------------------------------------------------------------------
def test_panel_waits_until_the_next_meeting_day_and_hour():
    """Day 0 is Tuesday 1 April 2025; the LA panel meets on Tuesdays at 10:00. A request on
    Wednesday at noon waits for the next Tuesday's meeting, six days and 22 hours later."""
    ctx = bare_context()
    done = run_at(ctx, 1 * DAY + 12 * HOUR, decisions.funding_decision, 0, "home_care",
                  Fees("la"), True)
    ctx.env.run(until=30)
    assert ctx.clock.weekday[0] == 1     # Tuesday
    assert done["finished"] == pytest.approx(7 * DAY + 10 * HOUR, abs=1e-9)
    assert done["result"] == Fees("la")
    assert ctx.people.delays[0].reason == "funding_decision"
    assert ctx.people.delays[0].caused_by == "la"


def test_request_on_a_meeting_day_after_the_meeting_waits_a_week():
    ctx = bare_context()
    done = run_at(ctx, 7 * DAY + 11 * HOUR, decisions.funding_decision, 0, "home_care",
                  Fees("la"), True)
    ctx.env.run(until=30)
    assert done["finished"] == pytest.approx(14 * DAY + 10 * HOUR, abs=1e-9)


def test_coordinator_decides_in_coordinator_hours():
    ctx = bare_context(decision__mode_by_funder={"nhs": "coordinator", "la": "coordinator"},
                       decision__coordinator_hours=5.0)
    done = run_at(ctx, 2.25, decisions.funding_decision, 0, "home_care", Fees("la"), True)
    ctx.env.run(until=30)
    assert done["finished"] == pytest.approx(2.25 + 5 * HOUR, abs=1e-9)


def test_self_funders_need_no_decision():
    ctx = bare_context()
    ctx.pop.self_fund_care_home[0] = True
    done = run_at(ctx, 1.5, decisions.funding_decision, 0, "care_home",
                  Fees("self", "self_funded"), True)
    ctx.env.run(until=30)
    assert done["finished"] == 1.5 and done["result"].is_self_funded


# --- CHC disputes --------------------------------------------------------------------------------
CERTAIN_DISPUTE = dict(chc__checklist_positive_share=1.0, chc__eligible_share=1.0,
                       chc__dispute_probability=1.0)


def _chc_times(ctx: RunContext, person: int) -> tuple[float, float]:
    """The full assessment's and the dispute's durations, from the same keyed draws."""
    again = Streams(SEED, REP)
    c = ctx.cfg.chc
    return (again.person_exponential("chc_assessment", person, c.full_assessment_days),
            again.person_exponential("chc_dispute_days", person, c.dispute_resolution_days))


def test_dispute_without_interim_funding_keeps_the_person_in_the_bed():
    ctx = bare_context(chc__interim_funding=False, **CERTAIN_DISPUTE)
    ctx.pop.state[0] = ACUTE_DELAYED
    assessment, dispute = _chc_times(ctx, 0)
    done = run_at(ctx, 2.0, decisions.chc_process, 0)
    ctx.env.run(until=200)
    assert done["finished"] == pytest.approx(2.0 + assessment + dispute, abs=1e-9)
    assert done["result"].fees == Fees("nhs", "chc") and done["result"].switch_to is None
    [(_p, start, end, reason, caused_by, _payer)] = ctx.billing.ledger.delays
    assert (start, reason, caused_by) == (2.0, "assessment", "nhs")
    assert end == pytest.approx(2.0 + assessment, abs=1e-9)
    waiting = ctx.people.delays[0]            # still in the bed, now for the dispute
    assert (waiting.reason, waiting.caused_by) == ("dispute", "la")
    assert waiting.since == pytest.approx(2.0 + assessment, abs=1e-9)


def test_dispute_with_interim_funding_places_now_and_switches_fees_at_resolution():
    ctx = bare_context(chc__interim_funding=True, **CERTAIN_DISPUTE)
    assessment, dispute = _chc_times(ctx, 0)
    done = run_at(ctx, 2.0, decisions.chc_process, 0)
    ctx.env.run(until=2.0 + assessment + 1e-6)
    plan = done["result"]
    assert done["finished"] == pytest.approx(2.0 + assessment, abs=1e-9)
    assert plan.fees == Fees("la") and plan.switch_to == Fees("nhs", "chc")
    assert plan.switch_at == pytest.approx(2.0 + assessment + dispute, abs=1e-9)
    ctx.services.care_home_beds.request(1)
    placements.start_care_home(ctx, 0, nursing=True, source="hospital", funding=plan)
    ctx.env.run(until=300)
    cash = episodes(ctx, 0)
    la = [e for e in cash if e[0] == "care_home" and e[1] == "la"]
    chc = [e for e in cash if e[0] == "chc"]
    assert len(la) == 1 and la[0][3] == pytest.approx(plan.switch_at, abs=1e-9)
    assert len(chc) == 1 and chc[0][1] == "nhs" and chc[0][2] == pytest.approx(plan.switch_at)
    assert ctx.pop.state[0] == NURSING


# --- a held package ------------------------------------------------------------------------------
def _client(ctx: RunContext, person: int = 0) -> float:
    ctx.pop.state[person] = HOME_CARE
    placements.start_home_care(ctx, person, initial=True)
    return float(ctx.pop.package_hours[person])


def test_held_package_restarts_on_return_within_the_hold():
    ctx = bare_context(home_care__hold_package_days=14.0)
    hours = _client(ctx)
    capacity = ctx.services.home_care_hours
    ctx.env.run(until=1.0)
    placements.suspend_home_care(ctx, 0)        # admitted on day 1
    ctx.env.run(until=6.0)
    placements.start_home_care(ctx, 0)          # home on day 6, inside the hold
    ctx.env.run(until=40.0)
    assert ctx.pop.holds_package[0] and ctx.pop.state[0] == HOME_CARE
    assert capacity.level == capacity.units - hours         # hours never given back
    starts_ends = sorted((s, e) for svc, payer, s, e in episodes(ctx, 0) if payer == "la")
    assert starts_ends[0] == (0.0, 1.0) and starts_ends[1][0] == 6.0
    assert math.isnan(starts_ends[1][1])


def test_held_package_is_released_when_the_stay_outlasts_the_hold():
    ctx = bare_context(home_care__hold_package_days=14.0)
    _client(ctx)
    capacity = ctx.services.home_care_hours
    ctx.env.run(until=1.0)
    placements.suspend_home_care(ctx, 0)
    ctx.pop.state[0] = ACUTE_DELAYED
    ctx.env.run(until=14.5)
    assert ctx.pop.holds_package[0]
    ctx.env.run(until=15.5)                      # the hold ended on day 15
    assert not ctx.pop.holds_package[0] and capacity.level == capacity.units


# --- discharge to assess -------------------------------------------------------------------------
def test_discharge_to_assess_moves_the_payer_at_the_decision():
    """Home on an NHS-paid interim package on day 0; assessed at home by the same teams; the LA
    pays from the moment its panel decides (a Tuesday at 10:00); the person never waits."""
    ctx = bare_context(assessment__interim_payer="nhs")
    hours = placements.package_size(ctx, 0)
    ctx.services.home_care_hours.request(hours)
    community_care.start_interim_home_care(ctx, 0)
    ctx.env.run(until=60)
    cash = episodes(ctx, 0)
    interim = [e for e in cash if e[1] == "nhs"]
    decided = [e for e in cash if e[1] == "la"]
    assert len(interim) == 1 and len(decided) == 1
    switch = interim[0][3]
    assert decided[0][2] == switch and switch > 0
    assert ctx.clock.weekday[int(switch)] == 1 and switch % 1 == pytest.approx(10 * HOUR)
    assert not ctx.pop.interim[0] and ctx.pop.state[0] == HOME_CARE
    assert not ctx.people.delays                 # nobody waited in a bed


def test_rationing_holds_the_decision_back_and_the_interim_payer_keeps_paying():
    ctx = bare_context(assessment__interim_payer="nhs")
    ctx.services.home_care_hours.request(placements.package_size(ctx, 0))
    community_care.start_interim_home_care(ctx, 0)
    ctx.rules.rationing_now["la"] = True          # the LA is ahead of plan all along
    ctx.env.run(until=60)
    assert ctx.pop.interim[0] and ctx.pop.state[0] == HOME_CARE
    [(service, payer, start, end)] = episodes(ctx, 0)
    assert (service, payer, start) == ("home_care", "nhs", 0.0) and math.isnan(end)
    assert [r[2] for r in ctx.log.records] == ["rationed"]


# --- a whole run: facts the event log must agree with --------------------------------------------
@pytest.mark.parametrize("window", [7.0, 30.0])
def test_readmissions_are_flagged_within_the_configured_window(window):
    """An admission is a readmission exactly when the person left an acute bed within
    ``crisis.readmission_window_days`` (it was 30 days whatever the window)."""
    from sim.model import Model
    from tests.conftest import small

    model = Model(small(people=3000, years=1.0, crisis__readmission_window_days=window),
                  seed=SEED, replication=REP).run()
    log = model.log.frame()
    left = log[log["kind"] == "discharge"][["person", "time_days"]]
    admitted = log[log["kind"] == "admission"]
    flagged = 0
    for row in admitted.itertuples():
        before = left[(left["person"] == row.person) & (left["time_days"] <= row.time_days)]
        recent = len(before) and row.time_days - before["time_days"].max() < window
        assert (row.detail == "readmission") == bool(recent), row
        flagged += row.detail == "readmission"
    assert flagged > 0


def test_starting_and_new_packages_share_one_gamma_distribution():
    """Package sizes: gamma with the configured mean and shape, whole hours from 1 to the cap,
    for starting clients (numpy draws) and new packages (keyed draws) alike."""
    from scipy import stats

    from sim.model import Model
    from sim.population import package_hours

    cfg = sim.load_config("fragmented")
    hc = cfg.home_care
    grid = package_hours(hc, (np.arange(200_000) + 0.5) / 200_000)
    assert grid.min() == 1.0 and grid.max() <= hc.max_package_hours_per_week
    assert np.all(grid == np.round(grid))
    # rounding to whole hours moves the mean by well under half an hour
    assert grid.mean() == pytest.approx(hc.hours_per_week_mean, abs=0.25)
    model = Model(cfg, seed=SEED, replication=REP)
    clients = model.pop.column("state") == HOME_CARE
    starting = model.pop.column("package_hours")[clients]
    ctx = bare_context(people=3000)
    new = np.array([placements.package_size(ctx, i) for i in range(3000)])
    assert stats.ks_2samp(starting, new).pvalue > 0.001
    assert stats.ks_2samp(starting, grid).pvalue > 0.001


def test_a_refusal_under_eligibility_rationing_is_counted_as_rationed():
    """A person below the eligibility threshold is refused in hospital; the refusal is a
    decision held back by rationing, so it is logged (it was returned without a record)."""
    ctx = bare_context(budgets__rationing__mode="eligibility",
                       budgets__rationing__eligibility_min_frailty="severe")
    ctx.pop.frailty[0] = 1
    ctx.rules.rationing_now["la"] = True
    done = run_at(ctx, 1.5, decisions.funding_decision, 0, "home_care", Fees("la"), True)
    ctx.env.run(until=30)
    assert done["result"] is None
    assert [(r[2], r[3], r[4], r[6]) for r in ctx.log.records] == \
        [("rationed", "home_care", "la", "refused")]


def test_each_assessment_bills_its_assessor_time_as_resource_use():
    """Three separate half-day assessments (NHS, LA, LA) cost 4 hours each of an NHS
    assessor's and two social workers' time; nothing is cash (the teams are salaried)."""
    ctx = bare_context(costs__nhs_assessor_hour_gbp=50.0, costs__social_worker_hour_gbp=65.0,
                       assessment__assessment_days=0.5)
    done = run_at(ctx, 1.5, decisions.assess, 0, ["nhs", "la", "la"])
    ctx.env.run(until=30)
    assert "finished" in done
    rows = [(r[3], r[8]) for r in ctx.billing.ledger.rows if r[1] == "assessment"]
    assert rows == [("nhs", 4 * 50.0), ("la", 4 * 65.0), ("la", 4 * 65.0)]
    assert {r[4] for r in ctx.billing.ledger.rows if r[1] == "assessment"} == {"resource"}
