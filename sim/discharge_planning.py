"""Discharge planned from admission: assessments that start before the person is medically fit.

NHS England asks wards to plan discharge from the start: an expected date of discharge set by
the first consultant ward round, and the assessments and referrals a discharge needs started
before the person is ready to leave. For a share of admissions
(``assessment.planned_from_admission_share``) :func:`treatment` chooses the pathway and the
service at admission, from the same keyed draws the discharge process would make at medically
fit, and starts the assessments that service needs ``assessment.planning_lead_days`` before
the person is medically fit, on the same capacity-limited assessor teams. At medically fit
:func:`DischargePlan.finish_assessments` waits for what is left: only the part of an
assessment that runs past medically fit is a delay (reason ``assessment``).

A person planned for a service they do not go to in the end (a package held and resumed,
deconditioning onto another pathway) has had assessor time spent for nothing, as on a ward.
"""

from __future__ import annotations

import simpy

from . import placements
from .context import RunContext
from .decisions import assess, assessment_delay
from .discharge import choose_pathway, confirmed_fit, service_for


class DischargePlan:
    """The pathway and service chosen at admission, and the assessments started early."""

    def __init__(self, ctx: RunContext, i: int, pathway: int, service: str | None):
        self.ctx, self.i, self.pathway, self.service = ctx, i, pathway, service
        self.process: simpy.Process | None = None     # the early assessments, if any
        self.team: str | None = None                  # the assessment under way
        self.fit = False                              # medically fit: waiting is a delay

    def assess_early(self, start_in: float, teams: list[str]) -> None:
        """Start ``teams``' assessments ``start_in`` days from now, alongside treatment."""
        self.team = teams[0]
        self.process = self.ctx.env.process(self._assessments(start_in, teams))

    def _assessments(self, start_in: float, teams: list[str]):
        try:
            yield self.ctx.env.timeout(start_in)
            yield from assess(self.ctx, self.i, teams, before_each=self._starting)
        except simpy.Interrupt:
            return        # the stay ended early (a death); the assessors are given back

    def _starting(self, team: str) -> None:
        self.team = team
        if self.fit:
            assessment_delay(self.ctx, self.i, self.service, team)

    def covers(self, service: str | None) -> bool:
        """True if the early assessments are the ones a discharge to ``service`` needs."""
        return self.process is not None and service == self.service

    def finish_assessments(self):
        """At medically fit: wait for the rest of the early assessments (a delay)."""
        self.fit = True
        if not self.process.is_alive:
            return
        assessment_delay(self.ctx, self.i, self.service, self.team)
        try:
            yield self.process
        except simpy.Interrupt:
            self.cancel()
            raise

    def cancel(self) -> None:
        """Stop the early assessments (the person left hospital another way)."""
        if self.process is not None and self.process.is_alive:
            self.process.interrupt("stay ended")


def treatment(ctx: RunContext, i: int, stay: float, had_package: bool):
    """The treatment stay of ``stay`` days, then the senior round that confirms the person
    medically fit (:func:`sim.discharge.confirmed_fit`), with the discharge planned from
    admission for a share of people; returns the :class:`DischargePlan` (or None)."""
    plan = plan_discharge(ctx, i, stay, had_package)
    try:
        yield ctx.env.timeout(stay)
        yield from confirmed_fit(ctx, i)
    except simpy.Interrupt:
        if plan is not None:
            plan.cancel()
        raise
    return plan


def plan_discharge(ctx: RunContext, i: int, stay: float,
                   had_package: bool) -> DischargePlan | None:
    """At admission: for a share of people not going back to their care home, choose the
    pathway and service now and start the assessments they need before medically fit.

    No early assessment for someone whose package is held (pathway 0 or 1: it is expected to
    resume), for a discharge to assess, or for a package restarted without referral.
    """
    a = ctx.cfg.assessment
    if a.planned_from_admission_share <= 0.0:   # off: no draw (its own stream; hot path)
        return None
    if placements.in_care_home(ctx, i) or not ctx.streams.person_bernoulli(
            "discharge_planning", i, a.planned_from_admission_share):
        return None
    pathway = choose_pathway(ctx, i)
    service = service_for(ctx, i, pathway, had_package)
    plan = DischargePlan(ctx, i, pathway, service)
    restart = service == "home_care" and had_package and \
        ctx.cfg.decision.package_change_without_referral
    if service in (None, "community_nursing") or service in a.discharge_to_assess or restart \
            or (pathway <= 1 and had_package):
        return plan
    long_term = service in ("home_care", "care_home")
    plan.assess_early(max(stay - a.planning_lead_days, 0.0),
                      ctx.rules.assessment_teams(service, long_term))
    return plan
