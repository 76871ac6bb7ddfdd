"""Front-door frailty assessment: a frail person in crisis is seen by the frailty team.

At a crisis that would be an emergency admission, a person at ``frailty_unit.min_frailty`` or
frailer takes one of the day's assessment slots (``frailty_unit.assessments_per_day``, a
:class:`sim.pools.DailyQuota`) if any is left. An assessed person goes home the same day with
chance ``same_day_share`` (the crisis ends where they live; no bed is used); one admitted has a
treatment stay shortened by ``los_reduction``. Both effects come from the evidence ranges in
:class:`sim.schema_levers.FrailtyUnit`; a place decides only how many it can assess. The
team's cost is a block (:meth:`sim.billing.Billing.frailty_unit`).
"""

from __future__ import annotations

from .context import RunContext


def sent_home(ctx: RunContext, i: int) -> bool | None:
    """Assess person i at the front door if a slot is free and they are frail enough.

    Returns None when not assessed, True when sent home the same day (logged as an avoided
    crisis), False when assessed and to be admitted (:func:`shortened`)."""
    f = ctx.cfg.frailty_unit
    if int(ctx.pop.frailty[i]) < f.min_frailty or not ctx.services.frailty_assessments.take(
            ctx.env.now):
        return None
    home = ctx.streams.person_bernoulli("frailty_unit", i, f.same_day_share)
    ctx.log.record(ctx.env.now, i, "frailty_assessment", "home" if home else "admitted")
    if home:
        ctx.log.record(ctx.env.now, i, "crisis_avoided", "frailty_unit")
    return home


def shortened(ctx: RunContext, stay: float) -> float:
    """The treatment stay of an assessed person who is admitted."""
    return stay * (1.0 - ctx.cfg.frailty_unit.los_reduction)
