"""Home-care packages and care-home places: starting, holding, ending, and who pays.

A package holds home-care hours (``home_care.*``) and is held for ``hold_package_days`` while
its client is in hospital; a care-home place holds a bed until death (a Weibull stay,
``mortality.care_home_los_*``). Starting either asks billing to open its fees for the
:class:`~sim.billing.Fees` decided; a payer switch (a discharge-to-assess decision, a CHC
dispute resolved, a self-funder's capital spent down after ``care_homes.spend_down_days``)
re-opens them. Per-person facts live in population columns: ``package_hours``,
``holds_package``, ``package_suspended_since``, ``interim``, ``care_home_kind``,
``care_home_since``.
"""

from __future__ import annotations

import math

from . import care_home_support, end_of_life, localities
from .billing import Fees
from .context import RunContext
from .decisions import FeePlan, care_home_fees, home_care_fees
from .population import HOME_CARE, NURSING, RESIDENTIAL, package_hours

NO_CARE_HOME = -1


# --- home care -------------------------------------------------------------------------------
def package_size(ctx: RunContext, i: int) -> float:
    """Hours per week of a person's new home-care package: drawn once from their own keyed
    stream (:func:`sim.population.package_hours`), then kept."""
    pop = ctx.pop
    if pop.package_hours[i] <= 0:
        u = ctx.streams.person_uniform("package_hours", i)
        pop.package_hours[i] = float(package_hours(ctx.cfg.home_care, u))
    return float(pop.package_hours[i])


def start_home_care(ctx: RunContext, i: int, fees: Fees | None = None, initial: bool = False,
                    interim: bool = False) -> None:
    """Start a package (its hours already allocated, or taken now for a starting client)."""
    pop = ctx.pop
    hours = pop.package_hours[i] if pop.package_hours[i] > 0 else package_size(ctx, i)
    if initial:
        capacity_for(ctx, i, "home_care")[0].occupy(hours)
    pop.package_suspended_since[i] = math.nan
    ctx.people.move(i, HOME_CARE)
    pop.package_hours[i] = hours
    if fees is None:
        fees = home_care_fees(ctx, i)
    ctx.billing.home_care(i, float(hours), fees)
    pop.holds_package[i] = True
    pop.package_holders.add(i)
    if interim:
        pop.interim[i] = True


def switch_home_care_fees(ctx: RunContext, i: int, fees: Fees) -> None:
    """The payer of a package changes (a discharge-to-assess decision)."""
    ctx.billing.stop(i, ("home_care",))
    ctx.billing.home_care(i, float(ctx.pop.package_hours[i]), fees)


def suspend_home_care(ctx: RunContext, i: int) -> None:
    """On admission: stop paying for the package but hold its hours for a while."""
    pop = ctx.pop
    if not pop.holds_package[i]:
        return
    ctx.billing.stop(i, ("home_care",))
    hold = ctx.cfg.home_care.hold_package_days
    admitted = ctx.env.now

    def release_if_still_away():
        if pop.holds_package[i] and pop.state[i] != HOME_CARE \
                and pop.package_suspended_since[i] == admitted:
            end_home_care(ctx, i)

    pop.package_suspended_since[i] = admitted
    if hold <= 0:
        end_home_care(ctx, i)
    else:
        ctx.at(hold, release_if_still_away)


def end_home_care(ctx: RunContext, i: int) -> None:
    """Release a package's hours and stop its fees (admission, care home, death)."""
    pop = ctx.pop
    pop.package_suspended_since[i] = math.nan
    pop.interim[i] = False
    if pop.holds_package[i]:
        pop.holds_package[i] = False
        pop.package_holders.discard(i)
        capacity_for(ctx, i, "home_care")[0].release(float(pop.package_hours[i]))
        ctx.billing.stop(i, ("home_care",))


# --- care homes ---------------------------------------------------------------------------------
def start_care_home(ctx: RunContext, i: int, nursing: bool, source: str | None,
                    funding: FeePlan | None = None, elapsed_days: float = 0.0,
                    interim: bool = False) -> None:
    """A permanent care-home place until death (its bed already allocated, or taken now for a
    starting resident, ``source=None``), with its fees and who pays them."""
    env, ch, pop = ctx.env, ctx.cfg.care_homes, ctx.pop
    if source is None:
        beds = ctx.services.care_home_beds
        k = locality_of(ctx, i, "care_home")
        if beds.area(k).level < 1:       # a starting resident placed where there is room
            k = max(range(ctx.cfg.care_homes.localities), key=lambda j: beds.area(j).level)
        pop.care_home_locality[i] = k
        beds.area(k).occupy(1)
    else:
        ctx.log.record(env.now, i, "care_home_admission", "care_home", detail=source)
    state = NURSING if nursing else RESIDENTIAL
    pop.care_home_kind[i] = state
    care_home_support.enrol(ctx, i)     # before the move sets the resident's crisis hazard
    ctx.people.move(i, state)
    pop.care_home_since[i] = env.now - elapsed_days
    fees = funding.fees if funding is not None else care_home_fees(ctx, i)
    if fees.is_self_funded and elapsed_days > ch.spend_down_days:
        fees = Fees(ctx.rules.payer("care_home"))
    ctx.billing.care_home(i, nursing, fees)
    if fees.is_self_funded or (interim and pop.self_fund_care_home[i]):
        ctx.at(ch.spend_down_days - elapsed_days, lambda: _spend_down(ctx, i))
    if interim:
        pop.interim[i] = True
    if funding is not None and funding.switch_to is not None:
        settle_dispute_later(ctx, i, funding)
    u = ctx.streams.person_uniform("care_home_death", i)
    remaining = ctx.hazards.care_home_remaining_days(u, elapsed_days, nursing)
    ctx.at(remaining, lambda: _care_home_death(ctx, i))
    end_of_life.care_home_stay(ctx, i, remaining)   # a last phase before it; fast track ends


def settle_dispute_later(ctx: RunContext, i: int, funding: FeePlan) -> None:
    """A CHC/LA dispute settled on interim funding: switch the fees when it is resolved (and
    register a person found eligible for yearly CHC reviews)."""
    def settle() -> None:
        if funding.switch_to.basis == "chc":     # standard CHC (fast track is not reviewed)
            ctx.chc_found_eligible(i)
        switch_care_home_fees(ctx, i, funding.switch_to)
    ctx.at(funding.switch_at - ctx.env.now, settle)


def in_care_home(ctx: RunContext, i: int) -> bool:
    """True while person i holds a care-home place (also while away in hospital)."""
    return int(ctx.pop.care_home_kind[i]) != NO_CARE_HOME


def switch_care_home_fees(ctx: RunContext, i: int, fees: Fees) -> None:
    """The payer of a resident's fees changes (decision, dispute resolved, spend-down)."""
    if in_care_home(ctx, i):
        ctx.billing.switch_care_home_fees(i, int(ctx.pop.care_home_kind[i]) == NURSING, fees)


def needs_nursing(ctx: RunContext, i: int, fees: Fees | None) -> bool:
    """A nursing home under CHC; otherwise by frailty (``pathways.nursing_home_share_*``)."""
    if fees is not None and fees.is_chc:
        return True
    share = ctx.cfg.pathways.nursing_home_share_by_frailty[ctx.pop.frailty[i]]
    return ctx.streams.person_bernoulli("nursing_home", i, share)


def _spend_down(ctx: RunContext, i: int) -> None:
    """A self-funder's capital reaches the limit: the LA (or pool) picks up the fees."""
    current = ctx.billing.care_home_fees.get(i)
    if in_care_home(ctx, i) and current is not None and current.is_self_funded:
        ctx.pop.self_fund_care_home[i] = False
        switch_care_home_fees(ctx, i, Fees(ctx.rules.payer("care_home")))


def _care_home_death(ctx: RunContext, i: int) -> None:
    if in_care_home(ctx, i) and ctx.people.alive(i):
        ctx.die(i)


def release_holdings(ctx: RunContext, i: int) -> None:
    """On death: give back a package's hours and a care-home bed held by the person."""
    end_home_care(ctx, i)
    if in_care_home(ctx, i):
        ctx.pop.care_home_kind[i] = NO_CARE_HOME
        beds = ctx.services.care_home_beds.area(int(ctx.pop.care_home_locality[i]))
        beds.vacate(1)     # usable again after its turnaround
        ctx.billing.leave_care_home(i)



LOCAL = {"home_care": "home_care_hours", "reablement": "reablement",
         "care_home": "care_home_beds"}


def locality_of(ctx: RunContext, i: int, service: str) -> int:
    """Person i's locality for a service in localities (:mod:`sim.localities`)."""
    n = getattr(ctx.cfg, service + "s" if service == "care_home" else service).localities
    return localities.locality(ctx.pop, ctx.streams, i, n)


def capacity_for(ctx: RunContext, i: int, service: str):
    """The capacity pool a service takes and how much of it: (pool, units). A service in
    localities takes its pool in the person's own locality."""
    s = ctx.services
    if service == "intermediate_care":
        return s.ic_beds, 1.0
    pool = getattr(s, LOCAL[service]).area(locality_of(ctx, i, service))
    if service == "home_care":
        return pool, float(ctx.pop.package_hours[i] or package_size(ctx, i))
    return pool, 1.0


def keep(ctx: RunContext, i: int, holding, service: str) -> None:
    """Hand the capacity a holding was granted for ``service`` over to person i; a care-home
    bed is kept with its locality (out of area, if it was granted there)."""
    cap, _amount = capacity_for(ctx, i, service)
    kept = holding.keep(cap)
    if service == "care_home":
        beds = ctx.services.care_home_beds
        away = beds.settle(kept[0]) if kept and isinstance(beds, localities.CareHomeAreas) else None
        ctx.pop.care_home_locality[i] = locality_of(ctx, i, service) if away is None else away
