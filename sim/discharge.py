"""From medically fit to leaving hospital: the pathway, the discharge process, readiness.

:func:`discharge_process` runs the queued steps between "medically fit" and leaving -
assessments, CHC, the funding decision, the wait for service capacity and, for a care home,
the person's or family's choice of home (it runs alongside the wait for a vacancy, so it
delays only by the days it outlasts that wait) - each a delay with a reason and the body
responsible for the step ("patient" for the choice); while delayed a person may decondition
onto a higher pathway (``acute.deconditioning_per_day``), which restarts the process for the
new service. It returns a :class:`DischargeDecision`: where the person goes and who pays.
:func:`ready_to_leave` is the last step of every discharge: preparation
(``acute.discharge_preparation_hours``), the daytime discharge window
(``acute.discharge_hours``) and fewer discharges at weekends
(``acute.weekend_discharge_ratio``). :func:`confirmed_fit` ends treatment at the senior round
that confirms the person medically fit, the moment delays are counted from.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from . import care_home_decision, placements
from .context import RunContext
from .decisions import (
    FeePlan,
    assess_in_hospital,
    chc_process,
    funding_decision,
    home_care_fees,
)
from .services import Holding


class DischargeDecision(NamedTuple):
    """Where a person leaves hospital for, on which pathway, and who pays.

    ``destination`` is one of :data:`sim.hospital.ARRIVALS`; ``funding`` holds the fees of a
    package or care-home place (with any pending dispute switch); ``interim`` marks a discharge
    to assess (interim funding, assessed after leaving); ``assess_for_care_home`` a would-be
    care-home placement sent to an intermediate-care bed, where the long-term decision is made
    (:mod:`sim.care_home_decision`).
    """

    pathway: int
    destination: str
    funding: FeePlan | None = None
    interim: bool = False
    assess_for_care_home: bool = False


def choose_pathway(ctx: RunContext, i: int) -> int:
    """Discharge pathway 0-3 by frailty; living alone moves some pathway 0 to pathway 1."""
    p = ctx.cfg.pathways
    split = list(p.split_by_frailty[ctx.pop.frailty[i]])
    if ctx.pop.alone[i]:
        moved = split[0] * (1 - p.lives_alone_p0_ratio)
        split[0] -= moved
        split[1] += moved
    return ctx.streams.person_choice("pathway", i, split)


def service_for(ctx: RunContext, i: int, pathway: int, had_package: bool) -> str | None:
    """The service a pathway leads to for this person (None: home without support).

    A client whose package was released while in hospital needs a new one on pathway 0 or 1.
    """
    if pathway == 0:
        return "home_care" if had_package else None
    if pathway == 2:
        return "intermediate_care"
    if pathway == 3:
        return "care_home"
    if had_package:
        return "home_care"
    p = ctx.cfg.pathways
    choice = ctx.streams.person_choice(
        "p1_service", i, [p.p1_reablement_share, p.p1_home_care_share,
                          1 - p.p1_reablement_share - p.p1_home_care_share])
    return ("reablement", "home_care", "community_nursing")[choice]


def discharge_process(ctx: RunContext, i: int, pathway: int, had_package: bool,
                      holding: Holding, plan=None):
    """Steps from medically fit to leaving; returns a :class:`DischargeDecision`.

    ``plan`` is a :class:`sim.discharge_planning.DischargePlan` made at admission (or None):
    its service replaces the draw made here, and its early assessments replace those made
    here, with only what is left of them at medically fit a delay.
    """
    env, cfg, rules = ctx.env, ctx.cfg, ctx.rules
    rate = -math.log(1 - cfg.acute.deconditioning_per_day) \
        if cfg.acute.deconditioning_per_day < 1 else math.inf
    escalate_at = env.now + (ctx.streams.person_exponential("deconditioning", i, 1 / rate)
                             if rate > 0 else math.inf)
    service = plan.service if plan is not None else service_for(ctx, i, pathway, had_package)
    assessed_outside = care_home_decision.assess_outside_hospital(ctx, i, service)
    if assessed_outside:        # an intermediate-care bed first (sim.care_home_decision)
        pathway, service = 2, "intermediate_care"
        if plan is not None:
            plan.cancel()
            plan = None
    while True:
        if service in (None, "community_nursing"):
            yield from ready_to_leave(ctx, i)
            return DischargeDecision(pathway, service or "home")
        long_term = service in ("home_care", "care_home")
        to_assess = service in cfg.assessment.discharge_to_assess
        restart = service == "home_care" and had_package and \
            cfg.decision.package_change_without_referral
        if plan is not None and plan.covers(service):
            yield from plan.finish_assessments()
        elif not (to_assess or restart):
            yield from assess_in_hospital(ctx, i, service, long_term)
        plan = None
        if pathway in (1, 2) and env.now >= escalate_at:
            pathway, service, escalate_at = _escalate(ctx, i, pathway, rate)
            continue
        funding = None
        if to_assess and long_term:
            pass     # CHC, assessments and decision after discharge, on interim funding
        elif restart:
            funding = FeePlan(home_care_fees(ctx, i))
        elif long_term:
            if service == "care_home":
                funding = yield from chc_process(ctx, i)
            else:
                funding = FeePlan(home_care_fees(ctx, i))
            fees = yield from funding_decision(ctx, i, service, funding.fees, in_hospital=True)
            if fees is None:
                return DischargeDecision(pathway, "home_waiting_" + service)
            funding = funding._replace(fees=fees)
        chosen_at = env.now + (care_home_choice_days(ctx, i)
                               if service == "care_home" and not to_assess else 0.0)
        cap, amount = placements.capacity_for(ctx, i, service)
        ctx.people.set_delay(i, "service_capacity", rules.responsible(service))
        req = holding.acquire(cap, amount)
        if pathway in (1, 2) and not req.triggered and escalate_at < math.inf:
            timer = env.timeout(max(escalate_at - env.now, 0.0))
            yield req | timer
            if not req.triggered:
                holding.release(cap)
                pathway, service, escalate_at = _escalate(ctx, i, pathway, rate)
                continue
        else:
            yield req
        if env.now < chosen_at:     # a place is free, the family is still choosing
            ctx.people.set_delay(i, "choice", "patient")
            yield env.timeout(chosen_at - env.now)
        yield from ready_to_leave(ctx, i, service)
        return DischargeDecision(pathway, service, funding, interim=to_assess and long_term,
                                 assess_for_care_home=assessed_outside
                                 and service == "intermediate_care")


def care_home_choice_days(ctx: RunContext, i: int) -> float:
    """Days the person or family takes to choose a care home once funding is agreed (0 if the
    choice was made before, ``care_homes.choice_in_hospital_share``).

    Lognormal with mean ``choice_days_mean`` and coefficient of variation ``choice_days_cv``.
    Both draws are made at every care-home discharge from an acute bed, on the person's own
    streams, so a person's k-th choice is the same under every arrangement and every share.
    """
    c = ctx.cfg.care_homes
    chooses = ctx.streams.person_bernoulli("care_home_choice", i, c.choice_in_hospital_share)
    z = ctx.streams.person_normal("care_home_choice_days", i)
    if not chooses:
        return 0.0
    sigma = math.sqrt(math.log1p(c.choice_days_cv ** 2))
    return c.choice_days_mean * math.exp(sigma * z - sigma ** 2 / 2)


def _escalate(ctx: RunContext, i: int, pathway: int, rate: float):
    """Deconditioning while delayed: one pathway up, with a new escalation time."""
    pathway += 1
    service = "intermediate_care" if pathway == 2 else "care_home"
    escalate_at = ctx.env.now + ctx.streams.person_exponential("deconditioning", i, 1 / rate)
    ctx.log.record(ctx.env.now, i, "pathway_escalation", value=pathway)
    return pathway, service, escalate_at


def confirmed_fit(ctx: RunContext, i: int):
    """Treatment is over: wait for the daily senior round (``acute.senior_review_hours``)
    that reviews the person and confirms them medically fit - every weekday round, a Saturday
    or Sunday round with the chance ``acute.weekend_review_ratio``.

    The wait is treatment time: delays are counted from the confirmation, as NHS England
    counts them from the discharge-ready date. A round of [0, 24] on a day that reviews
    the person confirms them when treatment ends.
    """
    a = ctx.cfg.acute
    start, end = (h / 24.0 for h in a.senior_review_hours)
    now = ctx.env.now
    day, time_of_day = int(now), now - int(now)
    if time_of_day >= end - 1e-9:
        day, time_of_day = day + 1, 0.0
    while ctx.clock.is_weekend(day) and a.weekend_review_ratio < 1 and not \
            ctx.streams.person_bernoulli("weekend_review", i, a.weekend_review_ratio):
        day, time_of_day = day + 1, 0.0
    confirmed = day + max(time_of_day, start)
    if confirmed > now:
        yield ctx.env.timeout(confirmed - now)


def ready_to_leave(ctx: RunContext, i: int, service: str | None = None):
    """Preparing to leave takes some hours; discharges happen in daytime hours and fewer at
    weekends, so a ready person may wait.

    At a weekend the receiving ``service`` (if any) takes the person with the chance
    :func:`weekend_acceptance`; on a day it does not, the person waits for the next day's
    window with the place held, a ``service_capacity`` delay of the service's decision-maker.
    """
    a = ctx.cfg.acute
    start, end = (h / 24.0 for h in a.discharge_hours)
    preparation = a.discharge_preparation_hours / 24.0
    caused_by = ctx.rules.commissioner("acute")
    accepts = weekend_acceptance(ctx, service)
    if preparation > 0:
        ctx.people.set_delay(i, "discharge_process", caused_by)
        yield ctx.env.timeout(preparation)
    while True:
        now = ctx.env.now
        day, time_of_day = int(now), now - int(now)
        reason, blamed = "discharge_process", caused_by
        if time_of_day < start - 1e-9:
            wait_until = day + start
        elif time_of_day >= end - 1e-9:
            wait_until = day + 1 + start
        elif ctx.clock.is_weekend(now):
            hospital_ok = ctx.streams.person_bernoulli("weekend_discharge", i,
                                                       a.weekend_discharge_ratio)
            if accepts < 1 and not ctx.streams.person_bernoulli("weekend_acceptance", i,
                                                                accepts):
                reason, blamed = "service_capacity", ctx.rules.responsible(service)
            elif hospital_ok:
                return
            wait_until = day + 1 + start
        else:
            return
        ctx.people.set_delay(i, reason, blamed)
        yield ctx.env.timeout(wait_until - now)


def weekend_acceptance(ctx: RunContext, service: str | None) -> float:
    """Chance that ``service`` takes a new person on a Saturday or Sunday, relative to a
    weekday (1 for none or a service without a weekend limit)."""
    cfg = ctx.cfg
    ratios = {"care_home": cfg.care_homes.weekend_admission_ratio,
              "home_care": cfg.home_care.weekend_start_ratio,
              "reablement": cfg.reablement.weekend_start_ratio,
              "intermediate_care": cfg.intermediate_care.weekend_admission_ratio}
    return ratios.get(service, 1.0)
