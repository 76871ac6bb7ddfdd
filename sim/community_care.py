"""Care in the community: reablement, intermediate care, referrals from home, and the
assessments a discharge to assess moves out of hospital.

* :func:`reablement_episode` - up to ``reablement.max_days`` of free reablement; ends
  independent, on long-term home care, or readmitted (``reablement.outcome_split``).
* :func:`intermediate_care_stay` - a step-up or step-down bed (``intermediate_care.*``); ends
  at home, on home care, in a care home (after a funding decision) or in death.
* :func:`new_care_need` and :func:`community_care_request` - a need arising at home: an
  assessment, the funding decision and the wait for capacity (``home_care.*``); also the wait
  for a new provider after a package is handed back (:mod:`sim.care_market`). A person
  waiting at home may give up (``home_care.community_patience_days``).
* :func:`start_interim_home_care` / :func:`assess_at_home`, :func:`start_interim_care_home` /
  :func:`assess_in_care_home` - discharge to assess (``assessment.discharge_to_assess``): the
  person leaves on interim funding (``assessment.interim_payer``); the same assessors assess
  them where they are, then the fees switch to the decided payer.
"""

from __future__ import annotations

import simpy

from . import care_home_decision, placements
from .billing import Fees
from .context import RunContext
from .decisions import (
    FeePlan,
    assess,
    care_home_fees,
    chc_process,
    funding_decision,
    home_care_fees,
)
from .population import HOME, HOME_CARE, HOME_WAITING_CARE, IC_BED, REABLEMENT
from .services import Holding

#: the daily series of people waiting at home (not in hospital) in the queue for home-care hours
AT_HOME_QUEUE = "waiting:home_care_hours_at_home"


def reablement_episode(ctx: RunContext, i: int, duration: float | None = None):
    """Reablement (its place already held); ends independent, on home care, or readmitted.
    ``duration``: the days left of an episode under way at a snapshot start."""
    env, r, streams = ctx.env, ctx.cfg.reablement, ctx.streams
    team = placements.capacity_for(ctx, i, "reablement")[0]   # its locality's place
    ctx.people.move(i, REABLEMENT)
    ctx.billing.reablement_episode(i)
    if duration is None:
        duration = min(streams.person_exponential("reablement_days", i, r.duration_mean_days),
                       r.max_days)
    outcome = streams.person_choice("reablement_outcome", i, r.outcome_split)
    try:
        if outcome == 2:
            yield env.timeout(duration * streams.person_uniform("reablement_readmit", i))
            team.release(1)
            ctx.journeys.finish(i)
            ctx.people.move(i, HOME)
            ctx.journeys.start(i, ctx.admit(i))
            return
        yield env.timeout(duration)
    except simpy.Interrupt:
        team.release(1)
        return
    team.release(1)
    ctx.journeys.finish(i)
    if outcome == 0:
        ctx.people.move(i, HOME)
    else:
        ctx.people.move(i, HOME_WAITING_CARE)
        ctx.people.set_unmet(i, True)
        ctx.journeys.start(i, community_care_request(ctx, i, "home_care", assessed=True))


def intermediate_care_stay(ctx: RunContext, i: int, step_up: bool, has_bed: bool = False,
                           stay: float | None = None, assess_for_care_home: bool = False):
    """An intermediate-care bed stay (step-up from home or step-down from hospital);
    ``stay``: the days left of a stay under way at a snapshot start. ``assess_for_care_home``:
    a would-be care-home placement, whose long-term decision is made at the end of the stay
    (:func:`sim.care_home_decision.decide_after_interim`) instead of by the outcome split."""
    env, ic, streams = ctx.env, ctx.cfg.intermediate_care, ctx.streams
    holding = Holding(env, ctx.occupancy)
    if not has_bed:
        ctx.services.ic_beds.request(1)
    ctx.people.move(i, IC_BED)
    ctx.billing.intermediate_care_stay(i)
    if stay is None:
        stay = streams.person_exponential("ic_days", i, ic.los_mean_days / 2) + \
            streams.person_exponential("ic_days", i, ic.los_mean_days / 2)
    outcome = streams.person_choice("ic_outcome", i, ic.outcome_split)

    def leave_bed():
        ctx.billing.stop(i, ("intermediate_care",))
        ctx.services.ic_beds.release(1)

    try:
        yield env.timeout(stay)
        if outcome == 3:
            leave_bed()
            ctx.journeys.finish(i)
            ctx.die(i)
            return
        if assess_for_care_home or outcome in (1, 2):
            if assess_for_care_home:
                service, funding = yield from care_home_decision.decide_after_interim(ctx, i)
            else:
                service = "home_care" if outcome == 1 else "care_home"
                fees = care_home_fees(ctx, i) if service == "care_home" else \
                    Fees(ctx.rules.payer("home_care"))
                fees = yield from funding_decision(ctx, i, service, fees, in_hospital=False)
                funding = FeePlan(fees)
            yield holding.acquire(*placements.capacity_for(ctx, i, service))
            placements.keep(ctx, i, holding, service)
            leave_bed()
            ctx.journeys.finish(i)
            _start(ctx, i, service, funding, source="ic")
            return
        leave_bed()
        ctx.journeys.finish(i)
        ctx.people.move(i, HOME)
    except simpy.Interrupt:
        leave_bed()
        holding.release_all()


def _start(ctx: RunContext, i: int, service: str, funding: FeePlan, source: str) -> None:
    """Start the long-term care a decision and capacity allow (home care or a care home)."""
    if service == "home_care":
        placements.start_home_care(ctx, i, fees=funding.fees)
    else:
        placements.start_care_home(ctx, i, nursing=placements.needs_nursing(ctx, i,
                                                                            funding.fees),
                                   source=source, funding=funding)


def new_care_need(ctx: RunContext, i: int) -> None:
    """A new need in the community: home care for someone at home, a care home for a client."""
    if ctx.journeys.busy(i):
        return
    state = int(ctx.pop.state[i])
    if state == HOME:
        ctx.people.move(i, HOME_WAITING_CARE)
        ctx.people.set_unmet(i, True)
        ctx.journeys.start(i, community_care_request(ctx, i, "home_care", assessed=False))
    elif state == HOME_CARE:
        share = ctx.hazards.care_home_share_of_need(ctx.pop, i)
        if ctx.streams.person_uniform("need_kind", i) < share:
            ctx.journeys.start(i, community_care_request(ctx, i, "care_home", assessed=False))
        else:
            placements.end_home_care(ctx, i)
            ctx.people.move(i, HOME)


def community_care_request(ctx: RunContext, i: int, service: str, assessed: bool,
                           decided: bool = False):
    """Assessment, decision and the wait for capacity, for someone living at home.

    ``decided``: a package a provider handed back (:mod:`sim.care_market`): its funding
    stands, so only the wait for a new provider's hours remains.
    """
    holding = Holding(ctx.env, ctx.occupancy)
    referred = ctx.env.now
    try:
        if not (assessed or decided):
            yield from assess(ctx, i, ["joint"] if ctx.rules.joint(service) else ["la"])
        fees = care_home_fees(ctx, i) if service == "care_home" else \
            Fees(ctx.rules.payer(service))
        if decided:
            fees = home_care_fees(ctx, i)       # as agreed before: the person or the payer
        else:
            fees = yield from funding_decision(ctx, i, service, fees, in_hospital=False)
        request = holding.acquire(*placements.capacity_for(ctx, i, service))
        if service == "home_care" and not request.triggered:
            if not (yield from _queue_at_home(ctx, i, request)):
                holding.release_all()
                _give_up(ctx, i, ctx.env.now - referred)
                return
        else:
            yield request
        placements.keep(ctx, i, holding, service)
        ctx.journeys.finish(i)
        ctx.log.record(ctx.env.now, i, "referral_to_care", service, value=ctx.env.now - referred,
                       detail="handback" if decided else "")
        if service == "care_home":
            placements.end_home_care(ctx, i)    # a client moving into a care home
        _start(ctx, i, service, FeePlan(fees), source="community")
    except simpy.Interrupt:
        holding.release_all()


def _queue_at_home(ctx: RunContext, i: int, request):
    """Wait at home in the queue for home-care hours (counted as ``AT_HOME_QUEUE``); with
    ``home_care.community_patience_days`` above 0, until the hours come or an exponential
    patience runs out. Returns whether the hours came."""
    ctx.occupancy.add(AT_HOME_QUEUE, 1, ctx.env.now)
    try:
        patience = ctx.cfg.home_care.community_patience_days
        if patience > 0:
            yield request | ctx.env.timeout(
                ctx.streams.person_exponential("patience", i, patience))
        else:
            yield request
    finally:
        ctx.occupancy.add(AT_HOME_QUEUE, -1, ctx.env.now)
    return request.triggered


def _give_up(ctx: RunContext, i: int, waited: float) -> None:
    """Person i stops waiting at home for a package (``home_care.community_patience_days``):
    they go without formal care, on family or privately bought help, so the need stays unmet
    (the crisis hazard stays raised) until a new need brings a new referral."""
    ctx.journeys.finish(i)
    ctx.log.record(ctx.env.now, i, "gave_up_waiting", "home_care", value=waited)
    ctx.people.move(i, HOME)
    ctx.people.set_unmet(i, True)


# --- discharge to assess ------------------------------------------------------------------
def start_interim_home_care(ctx: RunContext, i: int) -> None:
    """Discharge to assess: a package paid by the interim payer until assessed at home."""
    placements.start_home_care(ctx, i, fees=Fees(ctx.cfg.assessment.interim_payer, "interim"),
                               interim=True)
    ctx.journeys.start(i, assess_at_home(ctx, i))


def assess_at_home(ctx: RunContext, i: int):
    """The assessments and funding decision a discharge to assess moved out of hospital.

    The same assessors do the same assessments; only where the person waits changes. After the
    decision the package's payer switches to the decided one (or the package ends if refused
    under eligibility rationing, and the person waits at home).
    """
    try:
        yield from assess(ctx, i, ctx.rules.assessment_teams("home_care", long_term=True))
        fees = yield from funding_decision(ctx, i, "home_care", home_care_fees(ctx, i),
                                           in_hospital=False)
    except simpy.Interrupt:
        return          # admitted: the interim package is suspended and assessed on return
    ctx.journeys.finish(i)
    ctx.pop.interim[i] = False
    if fees is None:
        placements.end_home_care(ctx, i)
        ctx.people.move(i, HOME_WAITING_CARE)
        ctx.people.set_unmet(i, True)
        ctx.journeys.start(i, community_care_request(ctx, i, "home_care", assessed=True))
        return
    placements.switch_home_care_fees(ctx, i, fees)


def start_interim_care_home(ctx: RunContext, i: int) -> None:
    """Discharge to assess on pathway 3: an interim care-home place paid by the interim payer
    while the CHC checklist, assessments and funding decision happen there."""
    interim = Fees(ctx.cfg.assessment.interim_payer, "interim")
    placements.start_care_home(ctx, i, nursing=placements.needs_nursing(ctx, i, None),
                               source="hospital", funding=FeePlan(interim),
                               interim=True)
    ctx.journeys.start(i, assess_in_care_home(ctx, i))


def assess_in_care_home(ctx: RunContext, i: int):
    """CHC, assessments and the funding decision for a resident on an interim place; then
    the fees switch to the decided payer (the NHS under CHC, the LA or pool, or the person)."""
    try:
        funding = yield from chc_process(ctx, i, in_hospital=False)
        yield from assess(ctx, i, ctx.rules.assessment_teams("care_home", long_term=True))
        fees = funding.fees
        if not (fees.is_self_funded or fees.is_chc):
            fees = yield from funding_decision(ctx, i, "care_home", fees, in_hospital=False)
    except simpy.Interrupt:
        return          # admitted (or died): assessed again on return
    ctx.journeys.finish(i)
    ctx.pop.interim[i] = False
    placements.switch_care_home_fees(ctx, i, fees)
    if funding.switch_to is not None:
        placements.settle_dispute_later(ctx, i, funding)
