"""A snapshot start, part two: the people of ``[start]`` enter their journeys at t = 0.

:func:`sim.start_choice.choose` has put them in their states; :func:`place` (called by
:meth:`sim.model.Model.start` after care-home residents and home-care clients have taken their
places) gives each their capacity and journey, in this order:

* acute beds - a funded bed of the ward group with most free beds, or an escalation bed once
  every funded bed is taken. People under treatment continue it for the time left
  (:func:`sim.hospital.stay_in_bed`); their bed stay began at minus the time so far.
* intermediate-care beds and reablement places, with the time left of the stay.
* with services in localities (:mod:`sim.localities`), each person's place is in their own
  locality: home-care clients and people in reablement take their patch's hours or team's
  place even where the snapshot fills it beyond its units (it takes nobody new until back
  within them); a care-home resident whose locality is full takes a bed where there is room.
* the queues - people delayed in hospital for a service (medically fit, their assessments and
  funding decision done) and people waiting at home for home care or a care home join the
  service's FIFO queue at t = 0, in a random order, ahead of every later arrival. The delayed
  wait for capacity, then the discharge's last step (:func:`sim.discharge.ready_to_leave`), so
  their remaining delay is an output, not set; deconditioning onto another pathway is not
  modelled for them. A person whose service has room at t = 0 starts it at once.
"""

from __future__ import annotations

import numpy as np
import simpy

from . import community_care, hospital, placements
from .context import RunContext
from .decisions import FeePlan, care_home_fees, home_care_fees
from .discharge import DischargeDecision, ready_to_leave
from .services import Holding
from .start_choice import intermediate_care_law, reablement_law, so_far_and_left, treatment_law

LONG_TERM = ("home_care", "care_home")


def place(ctx: RunContext, roles: dict[str, np.ndarray], rng: np.random.Generator) -> None:
    """Start the journeys of the snapshot's people (see the module docstring)."""
    s, cfg, pop = ctx.cfg.start, ctx.cfg, ctx.pop
    ids = roles["acute_treatment"]
    a = cfg.acute
    ratio = (np.array(a.los_frailty_ratio)[[pop.frailty[i] for i in ids]]
             * np.array(a.los_band_ratio)[[pop.band[i] for i in ids]])
    mean = a.los_mean_days * ratio / ctx.hazards.los_norm
    so_far, left = so_far_and_left(rng, treatment_law(cfg), len(ids),
                                   s.treatment_days_so_far_mean, scale=mean)
    for i, before, rest in zip(ids.tolist(), so_far.tolist(), left.tolist()):
        holding, bed = _take_bed(ctx, i, before)
        ctx.journeys.start(i, _in_treatment(ctx, i, rest, bed, holding))
    delayed = []
    for service, (name, pathway, _count) in s.delayed().items():
        ids = roles[name]
        mean_delay = s.delayed_days_so_far_mean
        fit = -rng.exponential(mean_delay, len(ids)) if mean_delay else np.zeros(len(ids))
        treated = treatment_law(cfg).rvs(size=len(ids), random_state=rng) * a.los_mean_days
        for i, f, t in zip(ids.tolist(), fit.tolist(), treated.tolist()):
            holding, bed = _take_bed(ctx, i, f - t)
            ctx.people.set_delay(i, "service_capacity", ctx.rules.responsible(service))
            delayed.append((i, service, pathway, f, bed, holding))
    _start_stays(ctx, roles, rng)
    queue = [("delayed", *d) for d in delayed] + \
        [("home", int(i), "home_care") for i in roles["waiting_home_care"]] + \
        [("home", int(i), "care_home") for i in roles["waiting_care_home"]]
    for k in rng.permutation(len(queue)).tolist():
        entry = queue[k]
        if entry[0] == "delayed":
            _, i, service, pathway, fit, bed, holding = entry
            req = holding.acquire(*placements.capacity_for(ctx, i, service))
            ctx.journeys.start(i, _delayed(ctx, i, service, pathway, fit, bed, holding, req))
        else:
            _, i, service = entry
            holding = Holding(ctx.env, ctx.occupancy)
            req = holding.acquire(*placements.capacity_for(ctx, i, service))
            ctx.journeys.start(i, _waiting_at_home(ctx, i, service, holding, req))


def _start_stays(ctx: RunContext, roles: dict[str, np.ndarray],
                 rng: np.random.Generator) -> None:
    """Intermediate-care beds and reablement places under way, with the time left."""
    s, cfg = ctx.cfg.start, ctx.cfg
    ids = roles["intermediate_care"]
    _, left = so_far_and_left(rng, intermediate_care_law(), len(ids),
                              s.intermediate_care_days_so_far_mean,
                              scale=cfg.intermediate_care.los_mean_days)
    for i, rest in zip(ids.tolist(), left.tolist()):
        ctx.services.ic_beds.request(1)
        ctx.journeys.start(i, community_care.intermediate_care_stay(
            ctx, i, step_up=False, has_bed=True, stay=rest))
    r = cfg.reablement
    ids = roles["reablement"]
    _, left = so_far_and_left(rng, reablement_law(), len(ids),
                              s.reablement_days_so_far_mean, scale=r.duration_mean_days,
                              cap=r.max_days / r.duration_mean_days)
    for i, rest in zip(ids.tolist(), left.tolist()):
        # its own locality team's place: a team the snapshot fills beyond its places takes
        # nobody new until it is back within them (never a request left queueing)
        placements.capacity_for(ctx, i, "reablement")[0].occupy(1)
        ctx.journeys.start(i, community_care.reablement_episode(ctx, i, duration=rest))


def _take_bed(ctx: RunContext, i: int, so_far: float):
    """A bed at t = 0 for someone in hospital for ``so_far`` days: (holding, bed held)."""
    s = ctx.services
    holding = Holding(ctx.env, ctx.occupancy)
    beds = s.acute_beds
    group = max(range(len(beds.free)), key=beds.free.__getitem__)
    if beds.free[group] >= 1:
        bed = beds.wards[group]
    else:
        bed = s.escalation_beds
        ctx.billing.escalation_bed(i)
    holding.acquire(bed)
    ctx.pop.in_bed_since[i] = ctx.env.now - so_far
    return holding, bed


def _in_treatment(ctx: RunContext, i: int, left: float, bed, holding: Holding):
    try:
        yield from hospital.stay_in_bed(ctx, i, left, False, bed, holding)
    except simpy.Interrupt:
        holding.release_all()
        ctx.people.leave_bed(i)


def _delayed(ctx: RunContext, i: int, service: str, pathway: int, fit: float, bed,
             holding: Holding, req):
    """Medically fit and waiting in hospital for ``service`` (queued at t = 0)."""
    try:
        yield req
        funding = None
        if service in LONG_TERM:
            fees = care_home_fees(ctx, i) if service == "care_home" else home_care_fees(ctx, i)
            funding = FeePlan(fees)
        yield from ready_to_leave(ctx, i, service)
        hospital.discharge(ctx, i, DischargeDecision(pathway, service, funding), fit, bed,
                           holding)
    except simpy.Interrupt:
        holding.release_all()
        ctx.people.leave_bed(i)


def _waiting_at_home(ctx: RunContext, i: int, service: str, holding: Holding, req):
    """Assessed and waiting at home for ``service`` (queued at t = 0)."""
    try:
        yield req
    except simpy.Interrupt:
        holding.release_all()
        return
    placements.keep(ctx, i, holding, service)
    ctx.journeys.finish(i)
    if service == "care_home":
        fees = care_home_fees(ctx, i)
        placements.start_care_home(ctx, i, nursing=placements.needs_nursing(ctx, i, fees),
                                   source="community", funding=FeePlan(fees))
    else:
        placements.start_home_care(ctx, i, fees=home_care_fees(ctx, i))
