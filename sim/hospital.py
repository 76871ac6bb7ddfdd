"""The hospital: a crisis, an emergency admission, treatment, and leaving for the next place.

* :func:`crisis` - handled at home by the community end-of-life team in a last phase of life
  (:mod:`sim.end_of_life`), by urgent community response or in a step-up
  intermediate-care bed when the arrangement gives community teams direct access
  (``avoidance.*``) and capacity is free; on a virtual ward (hospital at home) for a frail
  person at home (:mod:`sim.virtual_ward`); a frail person may be assessed by the front-door
  frailty team and sent home the same day (:mod:`sim.frailty_unit`); otherwise an emergency
  admission.
* :func:`emergency_admission` - ED boarding until a funded bed of the person's ward group
  (:mod:`sim.wards`; of any group once placed as an outlier) or an escalation bed is free,
  a lognormal treatment stay (``acute.los_*``), death in hospital
  (``mortality.in_hospital_death_share_by_band``), then the discharge process
  (:mod:`sim.discharge`) and the move to where it found a place; :func:`stay_in_bed` and
  :func:`discharge` are its parts once in a bed (a snapshot start, :mod:`sim.start`, enters
  them with the stay so far).
* :data:`ARRIVALS` - each destination a discharge can lead to, mapped to the function that
  starts the person there.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import simpy

from . import community_care, delay_harm, end_of_life, frailty_unit, placements, virtual_ward
from .context import RunContext
from .decisions import assess
from .discharge import DischargeDecision, choose_pathway, discharge_process, ready_to_leave
from .discharge_planning import DischargePlan, treatment
from .population import (
    ACUTE_BOARDING,
    ACUTE_DELAYED,
    ACUTE_TREATMENT,
    CARE_HOME,
    HOME,
    HOME_CARE,
    HOME_WAITING_CARE,
)
from .services import Holding


# --- crisis ------------------------------------------------------------------------------------
def crisis(ctx: RunContext, i: int) -> None:
    """A crisis: handled in the community if avoidance applies, otherwise an admission."""
    if end_of_life.treated_at_home(ctx, i):     # a last phase of life, on the team's caseload
        return
    a, streams, services = ctx.cfg.avoidance, ctx.streams, ctx.services
    state = int(ctx.pop.state[i])
    if a.direct_access and streams.person_bernoulli("avoidance", i, a.share):
        step_up = streams.person_bernoulli("step_up", i, a.step_up_share)
        if step_up and state not in CARE_HOME and services.free_now(services.ic_beds):
            ctx.journeys.interrupt(i, "crisis")
            placements.end_home_care(ctx, i)
            ctx.log.record(ctx.env.now, i, "crisis_avoided", "step_up_bed")
            ctx.journeys.start(i, community_care.intermediate_care_stay(ctx, i, step_up=True))
            return
        if not step_up and services.free_now(services.urgent_response):
            ctx.log.record(ctx.env.now, i, "crisis_avoided", "urgent_response")
            ctx.env.process(urgent_response(ctx, i))
            return
    if virtual_ward.treated_at_home(ctx, i):    # step-up hospital at home, before the ED
        return
    assessed = frailty_unit.sent_home(ctx, i)   # the front-door frailty team, if it sees them
    if assessed:
        return
    ctx.journeys.interrupt(i, "crisis")
    ctx.journeys.start(i, emergency_admission(ctx, i, assessed is False))


def urgent_response(ctx: RunContext, i: int):
    """Urgent community response: the person stays where they are; the team visits."""
    cap = ctx.services.urgent_response
    cap.request(1)
    ctx.occupancy.add("urgent_response", 1, ctx.env.now)
    ctx.billing.urgent_response(i)
    yield ctx.env.timeout(ctx.cfg.avoidance.urgent_response_days)
    cap.release(1)
    ctx.occupancy.add("urgent_response", -1, ctx.env.now)


# --- admission and treatment -----------------------------------------------------------------
def emergency_admission(ctx: RunContext, i: int, frailty_assessed: bool = False):
    """Admission: wait for a bed (ED boarding), treatment (shorter after a front-door frailty
    assessment, :mod:`sim.frailty_unit`), then the discharge process."""
    env, pop, people = ctx.env, ctx.pop, ctx.people
    had_package = int(pop.state[i]) in (HOME_CARE, HOME_WAITING_CARE)
    placements.suspend_home_care(ctx, i)
    readmission = pop.last_discharge[i] > env.now - ctx.cfg.crisis.readmission_window_days
    holding = Holding(env, ctx.occupancy)
    try:
        people.move(i, ACUTE_BOARDING)
        arrived = env.now
        bed = yield from take_acute_bed(ctx, i, holding)
        people.enter_bed(i)
        ctx.log.record(arrived, i, "admission", "acute", ctx.rules.payer("acute"),
                       env.now - arrived, "readmission" if readmission else "")
        ctx.billing.admission(i)
        people.move(i, ACUTE_TREATMENT)
        stay = treatment_length_of_stay(ctx, i)
        if frailty_assessed:
            stay = frailty_unit.shortened(ctx, stay)
        boarded = env.now - arrived
        if boarded > 0:   # treatment began while boarding (acute.boarding_treatment_share)
            stay = max(stay - ctx.cfg.acute.boarding_treatment_share * boarded, 0.0)
        yield from stay_in_bed(ctx, i, stay, had_package, bed, holding)
    except simpy.Interrupt:
        holding.release_all()
        people.leave_bed(i)


def stay_in_bed(ctx: RunContext, i: int, stay: float, had_package: bool, bed,
                holding: Holding):
    """In an acute bed (``bed`` held by ``holding``): ``stay`` days of treatment (or death
    in hospital), the discharge process, and leaving. The caller handles interruptions."""
    env, people = ctx.env, ctx.people
    death_share = ctx.cfg.mortality.in_hospital_death_share_by_band[ctx.pop.band[i]]
    if ctx.streams.person_bernoulli("hospital_death", i, death_share):
        yield env.timeout(stay * ctx.streams.person_uniform("hospital_death_time", i))
        holding.release_all()
        people.leave_bed(i)
        ctx.journeys.finish(i)
        ctx.die(i)
        return
    plan = yield from treatment(ctx, i, stay, had_package)
    fit = env.now
    people.move(i, ACUTE_DELAYED)
    decision = yield from _find_a_place(ctx, i, had_package, holding, plan)
    discharge(ctx, i, decision, fit, bed, holding)


def discharge(ctx: RunContext, i: int, decision: DischargeDecision, fit: float, bed,
              holding: Holding) -> None:
    """Leave the acute bed (``bed``), medically fit since ``fit``, for where the discharge
    process found a place. Days delayed before the run (a snapshot start) are not billed."""
    env, pop = ctx.env, ctx.pop
    delay = env.now - fit
    ctx.billing.delayed_days(i, env.now - max(fit, 0.0))
    holding.release(bed)
    ctx.people.leave_bed(i)
    if bed is ctx.services.escalation_beds:
        ctx.billing.stop(i, ("escalation",))
    ctx.log.record(env.now, i, "discharge", decision.destination, _payer(ctx, decision),
                   delay, str(decision.pathway))
    pop.last_discharge[i] = env.now
    ctx.journeys.finish(i)
    leave_hospital(ctx, i, decision, holding)
    delay_harm.after_delay(ctx, i, delay)


def _payer(ctx: RunContext, decision: DischargeDecision) -> str:
    """Who pays the care a discharge leads to ('' for none, or not yet decided)."""
    if decision.interim:
        return ctx.cfg.assessment.interim_payer
    return decision.funding.fees.payer if decision.funding is not None else ""


def _find_a_place(ctx: RunContext, i: int, had_package: bool, holding: Holding,
                  plan: DischargePlan | None = None):
    """Where a medically fit person goes: back to their care home, back to their held
    package, or through the discharge process (on the pathway of a discharge planned from
    admission, if there is one)."""
    if placements.in_care_home(ctx, i):
        yield from ready_to_leave(ctx, i)
        return DischargeDecision(0, "care_home_return")
    pathway = plan.pathway if plan is not None else choose_pathway(ctx, i)
    if pathway >= 2 or not had_package:
        placements.end_home_care(ctx, i)
    if pathway <= 1 and ctx.pop.holds_package[i]:
        yield from ready_to_leave(ctx, i)
        return DischargeDecision(pathway, "home_care_resumed")
    return (yield from discharge_process(ctx, i, pathway, had_package, holding, plan))


def take_acute_bed(ctx: RunContext, i: int, holding: Holding):
    """Wait (ED boarding) for a funded bed in the person's ward group; after
    ``acute.outlier_after_hours`` (at once if every funded bed is full) take the first bed free
    in any group, or an escalation bed once every funded bed is full.

    Returns what the Holding holds: the ward group (:class:`sim.wards.Ward`; released to
    whichever group's bed was taken) or ``services.escalation_beds``.
    """
    s, env = ctx.services, ctx.env
    ward = s.acute_beds.ward_for(ctx.streams.person_uniform("ward", i))
    beds = holding.acquire(ward)
    if not beds.triggered and not s.acute_beds.full:
        yield beds | env.timeout(ctx.cfg.acute.outlier_after_hours / 24.0)
    if not beds.triggered:
        s.acute_beds.place_anywhere(beds)        # an outlier: any group's bed
    if beds.triggered or s.escalation_beds.units <= 0:
        yield beds
        return ward
    surge = holding.acquire(s.escalation_beds)
    yield beds | surge
    if beds.triggered:
        holding.release(s.escalation_beds)
        return ward
    holding.release(ward)
    ctx.billing.escalation_bed(i)
    return s.escalation_beds


def treatment_length_of_stay(ctx: RunContext, i: int) -> float:
    """Days from admission to medically fit: lognormal (or exponential) with normalised mean."""
    a, pop, streams = ctx.cfg.acute, ctx.pop, ctx.streams
    ratio = a.los_frailty_ratio[pop.frailty[i]] * a.los_band_ratio[pop.band[i]]
    mean = a.los_mean_days * ratio / ctx.hazards.los_norm
    if a.los_distribution == "exponential":
        return streams.person_exponential("los", i, mean)
    mu = math.log(mean) - a.los_sigma ** 2 / 2
    return math.exp(mu + a.los_sigma * streams.person_normal("los", i))


# --- leaving hospital ----------------------------------------------------------------------------
def leave_hospital(ctx: RunContext, i: int, decision: DischargeDecision,
                   holding: Holding) -> None:
    """Move the person from the acute bed to where the discharge process found a place."""
    ctx.pop.readmit_until[i] = ctx.env.now + ctx.cfg.crisis.readmission_window_days
    arrive, opens_readmission_window = ARRIVALS[decision.destination]
    arrive(ctx, i, decision, holding)
    if opens_readmission_window:
        t = ctx.pop.readmit_until[i]
        if ctx.env.now < t < ctx.horizon:
            ctx.env.call_later(t - ctx.env.now, (_end_readmission_window, ctx, i))


def _end_readmission_window(call: tuple) -> None:
    """The crisis hazard falls back when the readmission window closes."""
    _, ctx, i = call
    if ctx.people.alive(i):
        ctx.people.refresh(i)


def _resume_package(ctx: RunContext, i: int, decision, holding) -> None:
    if ctx.pop.interim[i]:
        community_care.start_interim_home_care(ctx, i)
    else:
        placements.start_home_care(ctx, i)


def _return_to_care_home(ctx: RunContext, i: int, decision, holding) -> None:
    ctx.people.move(i, int(ctx.pop.care_home_kind[i]))
    if ctx.pop.interim[i]:    # admitted before the discharge-to-assess decision: start again
        ctx.journeys.start(i, community_care.assess_in_care_home(ctx, i))


def _home(ctx: RunContext, i: int, decision, holding) -> None:
    ctx.people.move(i, HOME)


def _home_with_nursing(ctx: RunContext, i: int, decision, holding) -> None:
    ctx.people.move(i, HOME)
    ctx.billing.community_nursing_visits(i)


def _waiting_at_home(service: str) -> Callable:
    def arrive(ctx: RunContext, i: int, decision, holding) -> None:
        ctx.people.move(i, HOME_WAITING_CARE if service == "home_care" else HOME)
        ctx.people.set_unmet(i, True)
        ctx.journeys.start(i, community_care.community_care_request(ctx, i, service,
                                                                    assessed=True))
    return arrive


def _reablement(ctx: RunContext, i: int, decision, holding) -> None:
    placements.keep(ctx, i, holding, "reablement")
    ctx.journeys.start(i, community_care.reablement_episode(ctx, i))
    if "reablement" in ctx.cfg.assessment.discharge_to_assess:
        # assessed during reablement: the same assessor time, nobody waiting in a bed
        ctx.env.process(assess(ctx, i, ctx.rules.assessment_teams("reablement", False)))


def _home_care(ctx: RunContext, i: int, decision: DischargeDecision, holding) -> None:
    placements.keep(ctx, i, holding, "home_care")
    if decision.interim:
        community_care.start_interim_home_care(ctx, i)
    else:
        placements.start_home_care(ctx, i, fees=decision.funding.fees)


def _intermediate_care(ctx: RunContext, i: int, decision, holding) -> None:
    holding.keep(ctx.services.ic_beds)
    ctx.journeys.start(i, community_care.intermediate_care_stay(
        ctx, i, step_up=False, has_bed=True, assess_for_care_home=decision.assess_for_care_home))


def _care_home(ctx: RunContext, i: int, decision: DischargeDecision, holding) -> None:
    placements.keep(ctx, i, holding, "care_home")
    if decision.interim:
        community_care.start_interim_care_home(ctx, i)
    else:
        fees = decision.funding.fees
        placements.start_care_home(ctx, i, nursing=placements.needs_nursing(ctx, i, fees),
                                   source="hospital", funding=decision.funding)


#: Destination of a discharge -> (function starting the person there, whether the end of the
#: readmission window is scheduled).
ARRIVALS: dict[str, tuple[Callable, bool]] = {
    "home": (_home, True),
    "community_nursing": (_home_with_nursing, True),
    "home_care_resumed": (_resume_package, True),
    "care_home_return": (_return_to_care_home, True),
    "home_waiting_home_care": (_waiting_at_home("home_care"), False),
    "home_waiting_care_home": (_waiting_at_home("care_home"), False),
    "reablement": (_reablement, True),
    "home_care": (_home_care, True),
    "intermediate_care": (_intermediate_care, True),
    "care_home": (_care_home, True),
}
