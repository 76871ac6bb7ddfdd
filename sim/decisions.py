"""Assessments, Continuing Healthcare and funding decisions: the steps that decide who pays.

* :func:`assess` - the assessments a service needs, by capacity-limited teams working
  09:00-17:00 on weekdays: separate sequential assessments (``assessment.separate_assessments``,
  ``assessment.assessment_days``), or one joint assessment (``assessment.joint_assessment_days``)
  where the funding arrangement's ``joint_scope`` includes the service.
* :func:`chc_process` - the CHC checklist, full assessment and any CHC/LA dispute (``chc.*``);
  with interim funding (the national framework's default) the person is placed on the
  non-CHC payer and the fees switch when the dispute is resolved.
* :func:`funding_decision` - the weekly panel (``decision.panel_weekdays``) or a coordinator
  (``decision.coordinator_hours``), then the wait while the payer rations
  (``budgets.rationing.*``).

Each returns what it decided (:class:`~sim.billing.Fees`, a :class:`FeePlan`, or
``None`` for a refusal); while the person waits in a hospital bed, each step is a delay with a
reason and the body responsible for it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

from .billing import Fees, self_funded
from .clock import WEEKDAYS
from .context import RunContext

FRAILTY = ("fit", "mild", "moderate", "severe")


class FeePlan(NamedTuple):
    """Who pays a package or care-home place from the start, and a switch when a CHC/LA
    dispute settled on interim funding is resolved."""

    fees: Fees
    switch_at: float = math.inf       # when a CHC/LA dispute on interim funding is resolved
    switch_to: Fees | None = None     # who pays after it


# --- assessments -----------------------------------------------------------------------------
def assess(ctx: RunContext, i: int, teams: list[str],
           before_each: Callable[[str], None] | None = None):
    """Person i's assessments by ``teams`` in order ('joint' = one joint assessment), each by
    a capacity-limited team; ``before_each(team)`` runs as each one starts. Each assessment's
    assessor time is billed as resource use (billing.assessment)."""
    a = ctx.cfg.assessment
    for team in teams:
        if before_each is not None:
            before_each(team)
        if team == "joint":
            done_by = yield from _assess_joint(ctx, a.joint_assessment_days)
            days = a.joint_assessment_days
        else:
            yield from _assess(ctx, ctx.services.teams[team], a.assessment_days)
            done_by, days = team, a.assessment_days
        ctx.billing.assessment(i, done_by, days * ctx.clock.working_day_hours)


def assessment_delay(ctx: RunContext, i: int, service: str, team: str) -> None:
    """Person i, medically fit, waits for ``team``'s assessment for ``service`` (a joint
    assessment is the responsibility of whoever decides on the service)."""
    ctx.people.set_delay(i, "assessment",
                         ctx.rules.responsible(service) if team == "joint" else team)


def assess_in_hospital(ctx: RunContext, i: int, service: str, long_term: bool):
    """The assessments before a discharge to ``service``, while delayed in hospital."""
    yield from assess(ctx, i, ctx.rules.assessment_teams(service, long_term),
                      before_each=lambda team: assessment_delay(ctx, i, service, team))


def _assess(ctx: RunContext, team, working_days: float):
    env = ctx.env
    yield env.timeout(ctx.clock.next_working_time(env.now) - env.now)
    with team.request() as req:
        yield req
        yield env.timeout(ctx.clock.working_days_elapsed(env.now, working_days))


def _assess_joint(ctx: RunContext, working_days: float):
    """A joint assessment by whichever team has an assessor free first; returns that team."""
    env = ctx.env
    yield env.timeout(ctx.clock.next_working_time(env.now) - env.now)
    teams = ctx.services.teams
    pending = {"nhs": teams["nhs"].request(), "la": teams["la"].request()}
    try:
        yield pending["nhs"] | pending["la"]
        chosen = "la" if pending["la"].triggered else "nhs"
        other = "nhs" if chosen == "la" else "la"
        _drop_request(teams[other], pending.pop(other))
        yield env.timeout(ctx.clock.working_days_elapsed(env.now, working_days))
    finally:
        for name, req in pending.items():
            _drop_request(teams[name], req)
    return chosen


def _drop_request(team, req) -> None:
    """Give back a granted assessor, or withdraw a request still in the queue."""
    if req.triggered:
        team.release(req)
    else:
        req.cancel()


# --- who pays for a care home ------------------------------------------------------------------
def care_home_fees(ctx: RunContext, i: int, chc: bool = False) -> Fees:
    """Fees of a care-home place: CHC (the NHS, or whoever pays CHC), the person's own money
    above the capital limit, or the public payer of care homes. A person already on standard
    CHC (:mod:`sim.chc`) stays on it, and a resident on fast-track CHC at the end of life
    (:mod:`sim.end_of_life`) on that."""
    if chc or i in ctx.billing.chc_eligible:
        return Fees(ctx.rules.payer("chc"), "chc")
    if i in ctx.billing.fast_track_residents:
        return Fees(ctx.rules.payer("chc"), "fast_track")
    if ctx.pop.self_fund_care_home[i]:
        return self_funded()
    return Fees(ctx.rules.payer("care_home"))


def home_care_fees(ctx: RunContext, i: int) -> Fees:
    """Fees of a home-care package: CHC at home for a person on standard CHC
    (:mod:`sim.chc`), the person's own money, or the public payer."""
    if i in ctx.billing.chc_eligible:
        return Fees(ctx.rules.payer("chc"), "chc")
    if ctx.pop.self_fund_home_care[i]:
        return self_funded()
    return Fees(ctx.rules.payer("home_care"))


def chc_process(ctx: RunContext, i: int, in_hospital: bool = True):
    """CHC checklist, full assessment and any dispute; returns :class:`FeePlan`.

    Waits in hospital are delays; after a discharge to assess the same steps run in the care
    home. A dispute without interim funding keeps the person waiting until it is resolved.
    """
    c, env, streams = ctx.cfg.chc, ctx.env, ctx.streams
    fees = care_home_fees(ctx, i)
    if not streams.person_bernoulli("chc_checklist", i, c.checklist_positive_share):
        return FeePlan(fees)
    if in_hospital:
        ctx.people.set_delay(i, "assessment", ctx.rules.responsible("chc"))
    yield env.timeout(streams.person_exponential("chc_assessment", i, c.full_assessment_days))
    ctx.billing.chc_assessment(i)
    eligible = streams.person_bernoulli("chc_eligible", i, c.eligible_share)
    final = care_home_fees(ctx, i, chc=eligible)
    resolution = chc_dispute(ctx, i, eligible, "chc")
    if resolution is not None:
        if c.interim_funding:
            return FeePlan(care_home_fees(ctx, i), env.now + resolution, final)
        if in_hospital:
            ctx.people.set_delay(i, "dispute", ctx.rules.commissioner("care_home"))
        yield env.timeout(resolution)
    if eligible:
        ctx.chc_found_eligible(i)     # reviewed yearly from now, as the in-care route's
    return FeePlan(final)


def chc_dispute(ctx: RunContext, i: int, eligible: bool, stream: str) -> float | None:
    """Whether a CHC decision on person i is disputed between NHS and LA (only where they are
    different commissioners): the days to resolve it, logged, or None. ``stream`` names the
    route's keyed streams (``{stream}_dispute``, ``{stream}_dispute_days``)."""
    c, streams = ctx.cfg.chc, ctx.streams
    if not (ctx.rules.dispute_possible()
            and streams.person_bernoulli(f"{stream}_dispute", i, c.dispute_probability)):
        return None
    resolution = streams.person_exponential(f"{stream}_dispute_days", i,
                                            c.dispute_resolution_days)
    ctx.log.record(ctx.env.now, i, "chc_dispute", "chc", value=resolution,
                   detail="eligible" if eligible else "not_eligible")
    return resolution


# --- the funding decision ----------------------------------------------------------------------
def funding_decision(ctx: RunContext, i: int, service: str, fees: Fees, in_hospital: bool):
    """Panel or coordinator decision, then rationing; returns the fees, or None if refused.

    Self-funders and CHC need no council decision. A panel meets on set weekdays at
    ``decision.panel_hour``; a coordinator decides in ``decision.coordinator_hours``. While
    the payer's spend runs ahead of its plan the decision waits for funds; under eligibility
    rationing a person in hospital below the frailty threshold is refused.
    """
    env, cfg = ctx.env, ctx.cfg
    if fees.is_chc:
        return fees
    if fees.is_self_funded or (service == "home_care" and ctx.pop.self_fund_home_care[i]):
        return self_funded()
    responsible = ctx.rules.responsible(service)
    if in_hospital:
        ctx.people.set_delay(i, "funding_decision", responsible)
    if ctx.rules.decision_mode(service) == "coordinator":
        yield env.timeout(cfg.decision.coordinator_hours / 24.0)
    else:
        days = {WEEKDAYS.index(d) for d in cfg.decision.panel_weekdays}
        meeting = ctx.clock.next_weekday_time(env.now, days, cfg.decision.panel_hour)
        yield env.timeout(meeting - env.now)
    rule = cfg.budgets.rationing
    held_back = False
    while ctx.rules.rationing(fees.payer):
        refused = rule.mode == "eligibility" and in_hospital and \
            ctx.pop.frailty[i] < FRAILTY.index(rule.eligibility_min_frailty)
        if not held_back:
            ctx.log.record(env.now, i, "rationed", service, fees.payer,
                           detail="refused" if refused else "waiting")
            held_back = True
        if refused:
            return None
        yield ctx.rules.funds_released(fees.payer)
    return fees
