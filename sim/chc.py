"""Standard NHS Continuing Healthcare for people already in care whose needs grow.

The discharge route (:func:`sim.decisions.chc_process`) assesses only would-be care-home
residents. Most people on standard CHC are found eligible where they already live, so this
module adds that route, its reviews and a stock at the start (``chc.*``):

* :func:`needs_grew` - a nursing-home resident or a home-care client whose frailty has just
  worsened to moderate or severe is screened positive on the checklist
  (``chc.in_care_checklist_share``), has a full assessment (``chc.full_assessment_days``,
  the NHS nurse's time billed as for the discharge route) and is found eligible
  (``chc.eligible_share``). Where the NHS and the LA are different commissioners a decision
  may be disputed (``chc.dispute_probability``); the current payer pays until it is resolved
  (interim funding).
* once eligible, the NHS (or whoever pays CHC) pays: the whole care-home fee (the LA's
  means-tested share, FNC and a self-funder's fees stop) or, at home, a CHC package at
  ``chc.home_week_gbp`` that replaces the package's LA (or the person's) funding. Nobody moves:
  the route moves money, not people.
* :func:`review` - a yearly review (``chc.review_hours`` of NHS nurse time, billed as an
  assessment's) finds ``chc.review_ineligible_share`` no longer eligible: their fees return to
  the LA, the pool, the means test or the person.
* :func:`start` - at t = 0 a share of the moderately or severely frail nursing-home residents
  (``chc.start_eligible_share``) and home-care clients (``chc.start_home_eligible_share``)
  are already on CHC.

Draws come from their own keyed streams (``chc_in_care_*``, ``chc_review``, ``chc_start``), and
only while the route is on, so with every share at 0 a run is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable

from . import placements
from .context import RunContext
from .decisions import care_home_fees, chc_dispute, home_care_fees
from .population import HOME_CARE, NURSING

MODERATE, SEVERE = 2, 3     # frailty levels (fit, mild, moderate, severe)
REVIEW_DAYS = 365.25


def in_scope(ctx: RunContext, i: int) -> bool:
    """A nursing-home resident (also while away in hospital) or a home-care client holding a
    package, alive and not already on standard or fast-track CHC."""
    pop = ctx.pop
    if i in ctx.billing.chc_eligible or i in ctx.billing.fast_track_residents \
            or not ctx.people.alive(i):
        return False
    return int(pop.care_home_kind[i]) == NURSING or bool(pop.holds_package[i])


def needs_grew(ctx: RunContext, i: int, worse: bool) -> None:
    """Person i's frailty changed: screen them if it has just become moderate or severe."""
    c = ctx.cfg.chc
    if c.in_care_checklist_share <= 0 or not worse or int(ctx.pop.frailty[i]) < MODERATE \
            or not in_scope(ctx, i):
        return
    if ctx.streams.person_bernoulli("chc_in_care_checklist", i, c.in_care_checklist_share):
        ctx.env.process(_assessment(ctx, i))


def _assessment(ctx: RunContext, i: int):
    """The full assessment and any dispute, then the switch of funding if still in care."""
    c, env, streams = ctx.cfg.chc, ctx.env, ctx.streams
    yield env.timeout(streams.person_exponential("chc_in_care_assessment", i,
                                                 c.full_assessment_days))
    if not in_scope(ctx, i):
        return
    ctx.billing.chc_assessment(i)
    eligible = streams.person_bernoulli("chc_in_care_eligible", i, c.eligible_share)
    resolution = chc_dispute(ctx, i, eligible, "chc_in_care")
    if resolution is not None:
        yield env.timeout(resolution)
        if not in_scope(ctx, i):
            return
    if eligible:
        become_eligible(ctx, i)


def become_eligible(ctx: RunContext, i: int) -> None:
    """Person i is on standard CHC from now: their fees switch, and a review is booked."""
    register(ctx, i)
    _switch_fees(ctx, i)


def register(ctx: RunContext, i: int) -> None:
    """Person i is on standard CHC from now, with a review in a year (the discharge route
    calls this through ``ctx.chc_found_eligible``; the placement opens the fees)."""
    if i in ctx.billing.chc_eligible:
        return
    ctx.billing.chc_eligible.add(i)
    ctx.at(REVIEW_DAYS, lambda: review(ctx, i))


def review(ctx: RunContext, i: int) -> None:
    """The yearly review: still eligible (next review in a year), or back to the LA's,
    the pool's or the person's funding."""
    if i not in ctx.billing.chc_eligible or not ctx.people.alive(i):
        return
    ctx.billing.chc_review(i)
    if ctx.streams.person_bernoulli("chc_review", i, ctx.cfg.chc.review_ineligible_share):
        ctx.billing.chc_eligible.discard(i)
        ctx.log.record(ctx.env.now, i, "chc_review", "chc", detail="not_eligible")
        _switch_fees(ctx, i)
    else:
        ctx.log.record(ctx.env.now, i, "chc_review", "chc", detail="eligible")
        ctx.at(REVIEW_DAYS, lambda: review(ctx, i))


def _switch_fees(ctx: RunContext, i: int) -> None:
    """Re-open person i's fees for who pays now (a package suspended in hospital re-opens on
    the person's return home, at :func:`sim.decisions.home_care_fees`)."""
    pop = ctx.pop
    if placements.in_care_home(ctx, i):
        placements.switch_care_home_fees(ctx, i, care_home_fees(ctx, i))
    elif pop.holds_package[i] and int(pop.state[i]) == HOME_CARE:
        placements.switch_home_care_fees(ctx, i, home_care_fees(ctx, i))


def start(ctx: RunContext, ids: Iterable[int]) -> None:
    """Before the starting residents and clients take their places: mark the moderately or
    severely frail nursing-home residents (``chc.start_eligible_share``) and home-care clients
    (``chc.start_home_eligible_share``) already on CHC, each with a review within a year
    (their fees open on CHC when they take their place)."""
    c = ctx.cfg.chc
    shares = {NURSING: c.start_eligible_share, HOME_CARE: c.start_home_eligible_share}
    if max(shares.values()) <= 0:
        return
    pop = ctx.pop
    for i in ids:
        share = shares.get(int(pop.state[i]), 0.0)
        if int(pop.frailty[i]) < MODERATE or share <= 0:
            continue
        if ctx.streams.person_bernoulli("chc_start", i, share):
            ctx.billing.chc_eligible.add(i)
            due = ctx.streams.person_uniform("chc_start", i) * REVIEW_DAYS
            ctx.at(due, lambda i=i: review(ctx, i))
