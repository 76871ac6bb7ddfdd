"""Virtual wards / hospital at home: a frail person's crisis treated at home, not admitted.

At a crisis that would otherwise go to the front door (:func:`sim.hospital.crisis`: after the
end-of-life team and urgent community response or a step-up bed, before the front-door frailty
team, because a step-up virtual ward is reached from the community and avoids the emergency
department altogether), a person at ``virtual_ward.min_frailty`` or frailer who lives at home
is considered: with chance ``suitable_share`` (a keyed draw, made only when the place has
virtual-ward beds) the crisis suits the ward, and if one of the places open to such crises is
free (``beds x replaces_admission_share``, a :class:`sim.pools.Capacity`: the other places
serve step-down and people who would not have been admitted) it is treated at home for an
exponential stay of mean ``stay_days``. The person stays where they are and their home care
goes on. A share ``readmission_share`` is escalated at a uniform point of the stay to an
emergency admission (the place is freed then); the others end the stay at home, and only those
count as an avoided crisis (``crisis_avoided``, service ``virtual_ward``). No excess death
risk: the trials found none. The places are a block paid by the acute payer
(:meth:`sim.billing.Billing.virtual_ward`).
"""

from __future__ import annotations

from .context import RunContext
from .population import COMMUNITY_AT_HOME


def treated_at_home(ctx: RunContext, i: int) -> bool:
    """A crisis of person i: True if a virtual ward takes it (the stay runs on its own)."""
    vw, services = ctx.cfg.virtual_ward, ctx.services
    if vw.beds <= 0 or i in services.on_virtual_ward:
        return False
    if int(ctx.pop.frailty[i]) < vw.min_frailty or int(ctx.pop.state[i]) not in \
            COMMUNITY_AT_HOME:
        return False
    now = ctx.env.now
    if not ctx.streams.person_bernoulli("virtual_ward", i, vw.suitable_share):
        ctx.log.record(now, i, "virtual_ward", "unsuitable")
        return False
    if not services.free_now(services.virtual_ward):
        ctx.log.record(now, i, "virtual_ward", "full")
        return False
    services.virtual_ward.request(1)
    services.on_virtual_ward.add(i)
    ctx.env.process(stay(ctx, i))
    return True


def stay(ctx: RunContext, i: int):
    """A virtual-ward stay of person i, on a place taken by :func:`treated_at_home`: at home
    to its end, or escalated to an admission."""
    vw, env, services = ctx.cfg.virtual_ward, ctx.env, ctx.services
    length = ctx.streams.person_exponential("virtual_ward_stay", i, vw.stay_days)
    escalated = ctx.streams.person_bernoulli("virtual_ward_escalation", i,
                                             vw.readmission_share)
    if escalated:
        length *= ctx.streams.person_uniform("virtual_ward_escalation", i)
    ctx.log.record(env.now, i, "virtual_ward", "admitted", value=length)
    yield env.timeout(length)
    services.virtual_ward.release(1)
    services.on_virtual_ward.discard(i)
    if not ctx.people.alive(i) or int(ctx.pop.state[i]) not in COMMUNITY_AT_HOME:
        ctx.log.record(env.now, i, "virtual_ward", "left", value=length)
        return
    if escalated:
        ctx.log.record(env.now, i, "virtual_ward", "escalated", value=length)
        ctx.journeys.interrupt(i, "crisis")
        ctx.journeys.start(i, ctx.admit(i))
        return
    ctx.log.record(env.now, i, "virtual_ward", "home", value=length)
    ctx.log.record(env.now, i, "crisis_avoided", "virtual_ward")
