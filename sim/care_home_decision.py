"""Where the care-home decision is made: in an acute bed, or after an intermediate-care stay.

"Never make a long-term decision in an acute bed" (discharge to assess). A share of the
people the discharge process would place in a care home straight from an acute bed
(``care_home_decision.assess_outside_hospital_share``) are sent instead to an
intermediate-care bed, on pathway 2: they wait for a bed like any pathway-2 discharge, and a
long wait can still decondition them onto a care home from hospital. At the end of the stay
(if they did not die in it: ``intermediate_care.outcome_split``) their long-term needs are
assessed there: a share (``care_home_decision.avoided_care_home_share``) go home with a
home-care package; the rest are assessed for a care home (CHC, the assessments, the funding
decision) and wait in the intermediate-care bed for a place.

:func:`assess_outside_hospital` is the one call the discharge process makes;
:func:`decide_after_interim` runs at the end of the intermediate-care stay. Draws come from
the person's own keyed streams (``care_home_decision``, ``care_home_avoided``), made only when
the share is above zero, so with no deployment every other draw is as before.
"""

from __future__ import annotations

from .context import RunContext
from .decisions import FeePlan, assess, chc_process, funding_decision, home_care_fees

KIND = "care_home_decision"


def assess_outside_hospital(ctx: RunContext, i: int, service: str | None) -> bool:
    """True if person i, about to be placed in a care home from an acute bed, goes instead
    to an intermediate-care bed to be assessed there (recorded as a ``care_home_decision``
    event with detail ``diverted``)."""
    share = ctx.cfg.care_home_decision.assess_outside_hospital_share
    if service != "care_home" or share <= 0.0:
        return False
    if ctx.streams.person_uniform(KIND, i) >= share:
        return False
    ctx.log.record(ctx.env.now, i, KIND, "intermediate_care", detail="diverted")
    return True


def decide_after_interim(ctx: RunContext, i: int):
    """At the end of the intermediate-care stay: the long-term decision, made outside hospital.

    Returns ``(service, funding)``: ``"home_care"`` (the care home avoided) or
    ``"care_home"``, with the :class:`~sim.decisions.FeePlan` decided. The assessments and the
    funding decision are those of any long-term placement, by the same capacity-limited
    assessors; the person waits for them in the intermediate-care bed.
    """
    share = ctx.cfg.care_home_decision.avoided_care_home_share
    avoided = ctx.streams.person_uniform("care_home_avoided", i) < share
    service = "home_care" if avoided else "care_home"
    ctx.log.record(ctx.env.now, i, KIND, service, detail="assessed")
    if avoided:
        yield from assess(ctx, i, ctx.rules.assessment_teams(service, long_term=True))
        fees = yield from funding_decision(ctx, i, service, home_care_fees(ctx, i),
                                           in_hospital=False)
        return service, FeePlan(fees)
    funding = yield from chc_process(ctx, i, in_hospital=False)
    yield from assess(ctx, i, ctx.rules.assessment_teams(service, long_term=True))
    fees = funding.fees
    if not (fees.is_self_funded or fees.is_chc):
        fees = yield from funding_decision(ctx, i, service, fees, in_hospital=False)
    return service, funding._replace(fees=fees)
