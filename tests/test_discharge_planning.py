"""Discharge planned from admission and services that take people only on some days (issue 13
item 2: ``assessment.planned_from_admission_share``, ``assessment.planning_lead_days``, the
``weekend_*_ratio`` of care homes, home care, reablement and intermediate care).

Exact-time journeys on a bare environment: an assessment started before medically fit delays
the person only by the part that runs past it; a care home that does not admit at the weekend
moves a Saturday discharge to Monday's window, a service-capacity wait with the bed held.
Paired small runs check the direction of each mechanism on the same random numbers.
"""

from __future__ import annotations

import pytest

from sim.clock import Clock
from sim.decisions import assess
from sim.discharge import discharge_process, ready_to_leave
from sim.discharge_planning import treatment
from sim.services import Holding

from .conftest import run_once, small
from .test_choice_delay import _stretches
from .test_journeys import HOUR, bare_context, run_at

#: every discharge to a care home, no CHC checklist (whose assessment is also 'assessment'),
#: every admission planned
PLANNED = {"pathways__split_by_frailty": [[0.0, 0.0, 0.0, 1.0]] * 4,
           "chc__checklist_positive_share": 0.0,
           "assessment__planned_from_admission_share": 1.0}


def _first_day(ctx, weekday: int) -> int:
    return next(d for d in range(14) if ctx.clock.weekday[d] == weekday)


def _assessments_done_at(start: float) -> float:
    """When a care-home discharge's assessments started at ``start`` finish, nobody else
    waiting (the reference for the planned journeys)."""
    ctx = bare_context(**PLANNED)
    teams = ctx.rules.assessment_teams("care_home", True)
    done = run_at(ctx, start, assess, 0, teams)
    ctx.env.run(100.0)
    return done["finished"]


def _admitted(ctx, i: int, stay: float):
    """Treatment then the discharge process, as an emergency admission hands over."""
    plan = yield from treatment(ctx, i, stay, False)
    fit = ctx.env.now
    decision = yield from discharge_process(ctx, i, plan.pathway, False,
                                            Holding(ctx.env, ctx.occupancy), plan)
    return fit, decision


def _planned_journey(lead: float, start: float, admitted: float):
    """Person 0 admitted at ``admitted``, assessments starting at ``start`` = fit - lead."""
    ctx = bare_context(**PLANNED, assessment__planning_lead_days=lead)
    done = run_at(ctx, admitted, _admitted, 0, start - admitted + lead)
    ctx.env.run(200.0)
    return ctx, done


def test_assessment_finished_before_fit_leaves_no_assessment_delay():
    ctx = bare_context()
    admitted = _first_day(ctx, 0) + 10 * HOUR          # a Monday, 10:00
    start = admitted + 1.0
    finished = _assessments_done_at(start)
    lead = finished - start + 3.0                       # fit three days after they finish
    ctx, done = _planned_journey(lead, start, admitted)
    fit, decision = done["result"]
    assert fit == pytest.approx(finished + 3.0)
    assert decision.destination == "care_home"
    reasons = [s[2] for s in _stretches(ctx)]
    assert "assessment" not in reasons and reasons[0] == "funding_decision"
    assert _stretches(ctx)[0][0] == pytest.approx(fit)


def test_assessment_running_past_fit_delays_by_exactly_the_excess():
    ctx = bare_context()
    admitted = _first_day(ctx, 0) + 10 * HOUR
    start = admitted + 1.0
    finished = _assessments_done_at(start)
    lead = (finished - start) / 2                       # fit half-way through them
    ctx, done = _planned_journey(lead, start, admitted)
    fit, _ = done["result"]
    assessment = [s for s in _stretches(ctx) if s[2] == "assessment"]
    assert fit == pytest.approx(start + lead)
    assert assessment[0][0] == pytest.approx(fit)
    assert assessment[-1][1] == pytest.approx(finished)
    assert sum(end - begin for begin, end, _, _ in assessment) == pytest.approx(finished - fit)


def _leaving(ctx, i: int, service: str):
    """Ready to leave, then out of the bed (which closes the last delay stretch)."""
    yield from ready_to_leave(ctx, i, service)
    ctx.people.end_delay(i)


def _ready_on_saturday(ratio: float):
    ctx = bare_context(care_homes__weekend_admission_ratio=ratio,
                       acute__weekend_discharge_ratio=1.0)
    saturday = _first_day(ctx, 5)
    done = run_at(ctx, saturday + 8 * HOUR, _leaving, 0, "care_home")
    ctx.env.run(saturday + 7.0)
    return ctx, saturday, done


def test_care_home_refusing_weekends_moves_a_saturday_discharge_to_monday():
    ctx, saturday, done = _ready_on_saturday(0.0)
    assert done["finished"] == pytest.approx(saturday + 2 + 11 * HOUR)   # Monday 11:00
    stretches = _stretches(ctx)
    assert stretches[0][2:] == ("discharge_process", ctx.rules.commissioner("acute"))
    assert stretches[0][1] == pytest.approx(saturday + 12 * HOUR)
    waiting = stretches[1:]
    assert {s[2:] for s in waiting} == {("service_capacity", ctx.rules.responsible("care_home"))}
    assert waiting[0][0] == pytest.approx(saturday + 12 * HOUR)
    assert waiting[-1][1] == pytest.approx(done["finished"])


def test_care_home_admitting_at_weekends_takes_the_person_on_saturday():
    ctx, saturday, done = _ready_on_saturday(1.0)
    assert done["finished"] == pytest.approx(saturday + 12 * HOUR)
    assert [s[2] for s in _stretches(ctx)] == ["discharge_process"]


def test_discharge_process_holds_the_care_home_bed_while_the_home_will_not_admit():
    """Every person of the bare place discharged to a care home that never admits at the
    weekend leaves on a weekday, and their bed is taken from the moment it was found."""
    ctx = bare_context(**{**PLANNED, "assessment__planned_from_admission_share": 0.0},
                       care_homes__weekend_admission_ratio=0.0,
                       acute__weekend_discharge_ratio=1.0)
    beds = ctx.services.care_home_beds
    level = beds.level
    runs = [run_at(ctx, 1.0 + 0.7 * i, discharge_process, i, 3, False,
                   Holding(ctx.env, ctx.occupancy)) for i in range(12)]
    ctx.env.run(200.0)
    assert all(ctx.clock.weekday[int(r["finished"])] < 5 for r in runs)
    assert level - beds.level == pytest.approx(12)       # held, none handed back


# --- paired small runs ---------------------------------------------------------------------
ALWAYS = {"care_homes__weekend_admission_ratio": 1.0, "home_care__weekend_start_ratio": 1.0,
          "reablement__weekend_start_ratio": 1.0,
          "intermediate_care__weekend_admission_ratio": 1.0}
NEVER = {key: 0.0 for key in ALWAYS}


def _run(**overrides):
    return run_once(small("fragmented", people=6000, years=1.0, warmup_days=30.0,
                          run__replications=1, **overrides))


def test_services_closed_at_weekends_raise_service_capacity_days_and_empty_weekends():
    always, never = _run(**ALWAYS), _run(**NEVER)
    days = {name: res.discharges["delay_service_capacity_days"].sum()
            for name, res in (("always", always), ("never", never))}
    assert days["never"] > days["always"] + 50.0
    cfg = small("fragmented", people=6000, years=1.0, warmup_days=30.0)
    clock = Clock(cfg.run.start_date, 800.0)
    d = never.discharges
    placed = d[d["destination"].isin(["care_home", "home_care", "reablement",
                                      "intermediate_care"])]
    assert len(placed) > 100
    assert all(clock.weekday[int(t)] < 5 for t in placed["left_day"])


def test_planning_from_admission_cuts_assessment_delay_days():
    """The same people, with and without their discharge planned from admission."""
    late, planned = (_run(assessment__planned_from_admission_share=share)
                     for share in (0.0, 1.0))
    days = {name: res.discharges["delay_assessment_days"].sum()
            for name, res in (("late", late), ("planned", planned))}
    assert days["planned"] < 0.6 * days["late"]
