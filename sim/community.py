"""Care after hospital and in the community: reablement, intermediate care, home care, care homes.

Each service episode is a small SimPy generator (``reablement_episode``,
``intermediate_care_stay``, ``community_care_request``) or a pair of functions that start and
end a stay (``start_home_care``/``end_home_care``, ``start_care_home``). Starting a service
opens its cost episodes in the ledger with the payer the funding rules name; ending it closes
them. Block contracts (acute and intermediate-care beds) and the pool's running cost are
opened once at the start.
"""

from __future__ import annotations

import simpy

from . import pathways
from .population import YEAR, State

DAYS_PER_WEEK = 7.0


def reablement_episode(m, i: int):
    """Up to six weeks of reablement; ends independent, on home care, or readmitted."""
    env, r = m.env, m.cfg.reablement
    m.move(i, State.REABLEMENT)
    payer = m.funding.payer("reablement")
    m.ledger.charge(env.now, i, "reablement", "community", payer, "cash", r.episode_cost_gbp)
    m.ledger.charge(env.now, i, "reablement", "community", payer, "resource",
                    r.episode_cost_gbp)
    duration = min(m.streams.person_exponential("reablement_days", i, r.duration_mean_days), 42.0)
    outcome = m.streams.person_choice("reablement_outcome", i, r.outcome_split)
    try:
        if outcome == 2:
            yield env.timeout(duration * m.streams.person_uniform("reablement_readmit", i))
            m.services.reablement.release(1)
            m.process.pop(i, None)
            m.move(i, State.HOME)
            m.process[i] = env.process(pathways.emergency_admission(m, i))
            return
        yield env.timeout(duration)
    except simpy.Interrupt:
        m.services.reablement.release(1)
        return
    m.services.reablement.release(1)
    m.process.pop(i, None)
    if outcome == 0:
        m.move(i, State.HOME)
    else:
        m.move(i, State.HOME_WAITING_CARE)
        m.set_unmet(i, True)
        m.process[i] = env.process(community_care_request(m, i, "home_care", assessed=True))


def intermediate_care_stay(m, i: int, step_up: bool, has_bed: bool = False):
    """An intermediate-care bed stay (step-up from home or step-down from hospital)."""
    env, ic = m.env, m.cfg.intermediate_care
    holding = pathways.Holding(m)
    if not has_bed:
        m.services.ic_beds.request(1)
    m.move(i, State.IC_BED)
    ep = m.open_episode(i, "intermediate_care", "community", m.funding.payer("intermediate_care"),
                        "resource", ic.bed_day_cost_gbp)
    stay = m.streams.person_exponential("ic_days", i, ic.los_mean_days / 2) + \
        m.streams.person_exponential("ic_days", i, ic.los_mean_days / 2)
    outcome = m.streams.person_choice("ic_outcome", i, ic.outcome_split)
    try:
        yield env.timeout(stay)
        if outcome == 3:
            m.ledger.close(ep, env.now)
            m.services.ic_beds.release(1)
            m.process.pop(i, None)
            m.die(i)
            return
        if outcome in (1, 2):
            service = "home_care" if outcome == 1 else "care_home"
            payer = pathways._care_home_payer(m, i, chc=False) if service == "care_home" \
                else m.funding.payer("home_care")
            payer = yield from pathways.funding_decision(m, i, service, payer, in_hospital=False)
            cap, amount = pathways._capacity_for(m, i, service)
            yield holding.acquire(cap, amount)
            holding.keep(cap)
            m.ledger.close(ep, env.now)
            m.services.ic_beds.release(1)
            m.process.pop(i, None)
            if service == "home_care":
                start_home_care(m, i, payer=payer)
            else:
                start_care_home(m, i, nursing=pathways._needs_nursing(m, i, payer), source="ic",
                                payer=payer)
            return
        m.ledger.close(ep, env.now)
        m.services.ic_beds.release(1)
        m.process.pop(i, None)
        m.move(i, State.HOME)
    except simpy.Interrupt:
        m.ledger.close(ep, env.now)
        m.services.ic_beds.release(1)
        holding.release_all()


def new_care_need(m, i: int) -> None:
    """A new need in the community: home care for someone at home, a care home for a client."""
    if i in m.process:
        return
    state = State(m.pop.state[i])
    if state == State.HOME:
        m.move(i, State.HOME_WAITING_CARE)
        m.set_unmet(i, True)
        m.process[i] = m.env.process(community_care_request(m, i, "home_care", assessed=False))
    elif state == State.HOME_CARE:
        share = m.hazards.care_home_share_of_need(m.pop, i)
        if m.streams.person_uniform("need_kind", i) < share:
            m.process[i] = m.env.process(community_care_request(m, i, "care_home",
                                                                assessed=False))
        else:
            end_home_care(m, i)
            m.move(i, State.HOME)


def community_care_request(m, i: int, service: str, assessed: bool):
    """Assessment, decision and the wait for capacity, for someone living at home."""
    holding = pathways.Holding(m)
    referred = m.env.now
    try:
        if not assessed:
            yield from pathways.assess(m, ["joint"] if m.funding.joint(service) else ["la"])
        payer = pathways._care_home_payer(m, i, chc=False) if service == "care_home" \
            else m.funding.payer(service)
        payer = yield from pathways.funding_decision(m, i, service, payer, in_hospital=False)
        cap, amount = pathways._capacity_for(m, i, service)
        yield holding.acquire(cap, amount)
        holding.keep(cap)
        m.process.pop(i, None)
        m.log.record(m.env.now, i, "referral_to_care", service, value=m.env.now - referred)
        if service == "home_care":
            start_home_care(m, i, payer=payer)
        else:
            end_home_care(m, i)
            start_care_home(m, i, nursing=pathways._needs_nursing(m, i, payer), source="community",
                            payer=payer)
    except simpy.Interrupt:
        holding.release_all()


def start_interim_home_care(m, i: int) -> None:
    """Discharge to assess: a package paid by the interim payer until assessed at home."""
    m.interim.add(i)
    start_home_care(m, i, payer=m.cfg.assessment.interim_payer, interim=True)
    m.process[i] = m.env.process(assess_at_home(m, i))


def assess_at_home(m, i: int):
    """The assessments and funding decision a discharge to assess moved out of hospital.

    The same assessors do the same assessments; only where the person waits changes. After the
    decision the package's payer switches to the decided one (or the package ends if refused
    under eligibility rationing, and the person waits at home).
    """
    try:
        yield from pathways.assess(m, m.funding.assessment_teams("home_care", long_term=True))
        payer = "self" if m.pop.self_fund_home_care[i] else m.funding.payer("home_care")
        payer = yield from pathways.funding_decision(m, i, "home_care", payer, in_hospital=False)
    except simpy.Interrupt:
        return          # admitted: the interim package is suspended and assessed on return
    m.process.pop(i, None)
    m.interim.discard(i)
    if payer == "refused":
        end_home_care(m, i)
        m.move(i, State.HOME_WAITING_CARE)
        m.set_unmet(i, True)
        m.process[i] = m.env.process(community_care_request(m, i, "home_care", assessed=True))
        return
    m.close_episodes(i, ("home_care",))
    _open_home_care_fees(m, i, payer)


def start_interim_care_home(m, i: int) -> None:
    """Discharge to assess on pathway 3: an interim care-home place paid by the interim payer
    while the CHC checklist, assessments and funding decision happen there."""
    m.interim.add(i)
    start_care_home(m, i, nursing=pathways._needs_nursing(m, i, None), source="hospital",
                    payer=m.cfg.assessment.interim_payer, interim=True)
    m.process[i] = m.env.process(assess_in_care_home(m, i))


def assess_in_care_home(m, i: int):
    """CHC, assessments and the funding decision for a resident on an interim place; then
    the fees switch to the decided payer (the NHS under CHC, the LA or pool, or the person)."""
    try:
        payer = yield from pathways.chc_process(m, i, in_hospital=False)
        yield from pathways.assess(m, m.funding.assessment_teams("care_home", long_term=True))
        if payer != "self" and not payer.startswith("chc:"):
            payer = yield from pathways.funding_decision(m, i, "care_home", payer,
                                                         in_hospital=False)
    except simpy.Interrupt:
        return          # admitted (or died): assessed again on return
    m.process.pop(i, None)
    m.interim.discard(i)
    _switch_care_home_payer(m, i, payer)
    _after_dispute(m, i)


def suspend_home_care(m, i: int) -> None:
    """On admission: stop paying for the package but hold its hours for a while."""
    if i not in m.home_care_holders:
        return
    m.close_episodes(i, ("home_care",))
    hold = m.cfg.home_care.hold_package_days
    admitted = m.env.now

    def release_if_still_away():
        if i in m.home_care_holders and m.pop.state[i] != State.HOME_CARE \
                and m.suspended_since.get(i) == admitted:
            end_home_care(m, i)

    m.suspended_since[i] = admitted
    if hold <= 0:
        end_home_care(m, i)
    else:
        _at(m, hold, release_if_still_away)


def start_home_care(m, i: int, payer: str | None = None, initial: bool = False,
                    interim: bool = False) -> None:
    """Start a package (hours already allocated) and its cost episodes."""
    hours = m.pop.package_hours[i] if m.pop.package_hours[i] > 0 else pathways.package_size(m, i)
    if initial:
        m.services.home_care_hours.request(hours)
    m.suspended_since.pop(i, None)
    m.move(i, State.HOME_CARE)
    m.pop.package_hours[i] = hours
    if payer is None:
        payer = "self" if m.pop.self_fund_home_care[i] else m.funding.payer("home_care")
    _open_home_care_fees(m, i, payer, interim)
    m.home_care_holders.add(i)


def _open_home_care_fees(m, i: int, payer: str, interim: bool = False) -> None:
    """Cost episodes of a package: resource use, and cash split between payer and client
    (an interim discharge-to-assess package is free to the person)."""
    hc = m.cfg.home_care
    daily = m.pop.package_hours[i] * hc.hour_cost_gbp / DAYS_PER_WEEK
    m.open_episode(i, "home_care", "community", m.funding.payer("home_care"), "resource", daily)
    if payer == "self":
        m.open_episode(i, "home_care", "community", "self", "cash", daily)
    elif interim:
        m.open_episode(i, "home_care", "community", payer, "cash", daily)
    else:
        share = hc.client_contribution_share
        m.open_episode(i, "home_care", "community", payer, "cash", daily * (1 - share))
        m.open_episode(i, "home_care", "community", "self", "cash", daily * share)


def end_home_care(m, i: int) -> None:
    """Release a package's hours and close its cost episodes (admission, care home, death)."""
    m.suspended_since.pop(i, None)
    m.interim.discard(i)
    if i in m.home_care_holders:
        m.home_care_holders.discard(i)
        m.services.home_care_hours.release(float(m.pop.package_hours[i]))
        m.close_episodes(i, ("home_care",))


def start_care_home(m, i: int, nursing: bool, source: str | None, payer: str | None = None,
                    elapsed_days: float = 0.0, interim: bool = False) -> None:
    """A permanent care-home placement until death, with its fees and who pays them."""
    env, ch = m.env, m.cfg.care_homes
    if source is None:
        m.services.care_home_beds.request(1)
    else:
        m.log.record(env.now, i, "care_home_admission", "care_home", detail=source)
    state = State.NURSING if nursing else State.RESIDENTIAL
    m.held_care_home[i] = state
    m.move(i, state)
    m.pop.care_home_since[i] = env.now - elapsed_days
    if payer is None:
        payer = pathways._care_home_payer(m, i, chc=False)
    if payer == "self" and elapsed_days > ch.spend_down_days:
        payer = m.funding.payer("care_home")
    _open_care_home_fees(m, i, payer, interim)
    if payer == "self" or (interim and m.pop.self_fund_care_home[i]):
        _at(m, ch.spend_down_days - elapsed_days, lambda: _spend_down(m, i))
    _after_dispute(m, i)
    u = m.streams.person_uniform("care_home_death", i)
    remaining = m.hazards.care_home_remaining_days(u, elapsed_days, nursing)
    _at(m, remaining, lambda: _care_home_death(m, i))


def _after_dispute(m, i: int) -> None:
    """A CHC/LA dispute settled on interim funding: switch the fees when it is resolved."""
    if i in m.chc_disputed:
        resolved_at, final = m.chc_disputed.pop(i)
        _at(m, resolved_at - m.env.now, lambda: _switch_care_home_payer(m, i, final))


def _open_care_home_fees(m, i: int, payer: str, interim: bool = False) -> None:
    ch, c = m.cfg.care_homes, m.cfg.chc
    m.care_home_payer[i] = payer
    nursing = m.held_care_home[i] == State.NURSING
    fee = (ch.nursing_week_gbp if nursing else ch.residential_week_gbp) / DAYS_PER_WEEK
    fnc = ch.fnc_week_gbp / DAYS_PER_WEEK if nursing else 0.0
    if payer.startswith("chc:"):
        chc_rate = c.week_gbp / DAYS_PER_WEEK
        m.open_episode(i, "chc", "residential", payer[4:], "cash", chc_rate)
        m.open_episode(i, "chc", "residential", payer[4:], "resource", chc_rate)
        return
    m.open_episode(i, "care_home", "residential", m.funding.payer("care_home"), "resource",
                   fee - fnc)
    if fnc:
        fnc_payer = m.funding.payer("chc")
        m.open_episode(i, "fnc", "residential", fnc_payer, "cash", fnc)
        m.open_episode(i, "fnc", "residential", fnc_payer, "resource", fnc)
    if interim:      # discharge to assess: free to the person until the decision
        m.open_episode(i, "care_home", "residential", payer, "cash", fee - fnc)
    elif payer == "self":
        m.open_episode(i, "care_home", "residential", "self", "cash",
                       fee * ch.self_funder_price_ratio - fnc)
    else:
        contribution = min(ch.client_contribution_week_gbp / DAYS_PER_WEEK, fee - fnc)
        m.open_episode(i, "care_home", "residential", payer, "cash", fee - fnc - contribution)
        m.open_episode(i, "care_home", "residential", "self", "cash", contribution)


def _switch_care_home_payer(m, i: int, payer: str) -> None:
    if i not in m.held_care_home:
        return
    m.close_episodes(i, ("care_home", "chc", "fnc"))
    _open_care_home_fees(m, i, payer)


def _spend_down(m, i: int) -> None:
    """A self-funder's capital reaches the limit: the LA (or pool) picks up the fees."""
    if i in m.held_care_home and m.care_home_payer.get(i) == "self":
        m.pop.self_fund_care_home[i] = False
        _switch_care_home_payer(m, i, m.funding.payer("care_home"))


def _care_home_death(m, i: int) -> None:
    if i in m.held_care_home and m.pop.state[i] != State.DEAD:
        m.die(i)


def _at(m, delay: float, action) -> None:
    if delay >= 0 and m.env.now + delay < m.horizon:
        m.env.timeout(delay).callbacks.append(lambda _e: action())


def release_holdings(m, i: int) -> None:
    """On death: give back a package's hours and a care-home bed held by the person."""
    end_home_care(m, i)
    if m.held_care_home.pop(i, None) is not None:
        m.services.care_home_beds.release(1)
        m.care_home_payer.pop(i, None)


def open_block_contracts(m) -> None:
    """Funded intermediate-care beds are paid as a block, occupied or empty (the acute block
    is opened by :mod:`sim.savings`, which may shrink it)."""
    cfg = m.cfg
    if cfg.intermediate_care.beds:
        m.ledger.open(0.0, -1, "intermediate_care", "community",
                      m.funding.payer("intermediate_care"), "cash",
                      cfg.intermediate_care.beds * cfg.intermediate_care.bed_day_cost_gbp)


def open_pool_governance(m) -> None:
    """The running cost of a pooled fund (or a provider's contract), paid from the fund."""
    cost = m.cfg.funding.pool.governance_cost_gbp_per_year
    if cost > 0:
        for view in ("cash", "resource"):
            m.ledger.open(0.0, -1, "pool_governance", "governance", m.funding.fund, view,
                          cost / YEAR)
