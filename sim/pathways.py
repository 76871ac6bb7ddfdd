"""The journey: crisis, admission, treatment, the discharge process and the services after it.

Each activity is a small SimPy generator named after what happens (``emergency_admission``,
``discharge_process``, ``reablement_episode`` ...). They take the model (people, services,
funding rules, ledger) and record what they do; they compute no statistics.

The discharge process is a sequence of queued steps between "medically fit" and leaving, and
each step that keeps a person in an acute bed is a *delay* with a reason and the body
responsible for the step: assessments (capacity-limited teams, sequential or one joint
assessment), the CHC checklist, full assessment and any CHC/LA dispute, the funding decision
(a panel on set weekdays or a coordinator; rationing when a cash-limited budget runs ahead of
plan) and the wait for service capacity. While delayed, a person may decondition and need a
higher pathway, which restarts the process for the new service.
"""

from __future__ import annotations

import math

import simpy

from . import community
from .population import CARE_HOME, State

DAYS_PER_WEEK = 7.0
INTERIM = "interim"   # payer marker of a discharge-to-assess package before its decision


class Holding:
    """Capacity a process holds or is queueing for, so an interruption can give it back."""

    def __init__(self, model):
        self.model = model
        self.items: list[list] = []

    def acquire(self, capacity, amount: float = 1.0):
        """Queue for ``amount`` units of ``capacity``; returns the request event."""
        req = capacity.request(amount)
        waiting = not req.triggered
        if waiting:
            self.model.occupancy.add(f"waiting:{capacity.name}", 1, self.model.env.now)
        item = [capacity, req, amount, waiting]
        self.items.append(item)
        if waiting:
            req.callbacks.append(lambda _e, item=item: self._granted(item))
        return req

    def _granted(self, item):
        if item[3]:
            item[3] = False
            self.model.occupancy.add(f"waiting:{item[0].name}", -1, self.model.env.now)

    def release(self, capacity):
        """Give back what is held of ``capacity`` (or withdraw the request)."""
        for item in list(self.items):
            if item[0] is capacity:
                self._drop(item)

    def _drop(self, item):
        capacity, req, amount, waiting = item
        if waiting:
            item[3] = False
            self.model.occupancy.add(f"waiting:{capacity.name}", -1, self.model.env.now)
        capacity.cancel(req, amount)
        self.items.remove(item)

    def keep(self, capacity):
        """Hand the held units over to the person (released later by ``release_holdings``)."""
        self.items = [it for it in self.items if it[0] is not capacity]

    def release_all(self):
        """Give back everything (on interruption)."""
        for item in list(self.items):
            self._drop(item)


# --- crisis and admission ------------------------------------------------------------------
def crisis(m, i: int) -> None:
    """A crisis: handled in the community if avoidance applies, otherwise an admission."""
    pop, cfg = m.pop, m.cfg
    state = State(pop.state[i])
    a = cfg.avoidance
    if a.direct_access and m.streams.person_bernoulli("avoidance", i, a.share):
        step_up = m.streams.person_bernoulli("step_up", i, a.step_up_share)
        if step_up and state not in CARE_HOME and m.services.free_now(m.services.ic_beds):
            _interrupt(m, i, "crisis")
            community.end_home_care(m, i)
            m.log.record(m.env.now, i, "crisis_avoided", "step_up_bed")
            m.process[i] = m.env.process(community.intermediate_care_stay(m, i, step_up=True))
            return
        if not step_up and m.services.free_now(m.services.urgent_response):
            m.log.record(m.env.now, i, "crisis_avoided", "urgent_response")
            m.env.process(urgent_response(m, i))
            return
    _interrupt(m, i, "crisis")
    m.process[i] = m.env.process(emergency_admission(m, i))


def _interrupt(m, i: int, cause: str) -> None:
    proc = m.process.pop(i, None)
    if proc is not None and proc.is_alive and proc is not m.env.active_process:
        proc.interrupt(cause)


def urgent_response(m, i: int):
    """Urgent community response: the person stays where they are; the team visits."""
    a = m.cfg.avoidance
    cap = m.services.urgent_response
    cap.request(1)
    m.occupancy.add("urgent_response", 1, m.env.now)
    visits = a.visits_per_day * a.urgent_response_days
    cost = visits * m.cfg.costs.district_nurse_visit_gbp
    payer = m.funding.payer("community_nursing")
    for view in ("cash", "resource"):
        m.ledger.charge(m.env.now, i, "community_nursing", "community", payer, view, cost)
    yield m.env.timeout(a.urgent_response_days)
    cap.release(1)
    m.occupancy.add("urgent_response", -1, m.env.now)


def emergency_admission(m, i: int, readmission_from_service: bool = False):
    """Admission: wait for a bed (ED boarding), treatment, then the discharge process."""
    env, pop, cfg = m.env, m.pop, m.cfg
    origin = State(pop.state[i])
    had_package = origin in (State.HOME_CARE, State.HOME_WAITING_CARE)
    community.suspend_home_care(m, i)
    readmission = m._last_discharge.get(i, -1e9) > env.now - 30.0
    holding = Holding(m)
    try:
        m.move(i, State.ACUTE_BOARDING)
        arrived = env.now
        bed = yield from take_acute_bed(m, i, holding)
        m.in_bed[i] = env.now
        m.log.record(arrived, i, "admission", "acute", m.funding.payer("acute"),
                     env.now - arrived, "readmission" if readmission else "")
        m.ledger.charge(env.now, i, "acute", "acute", m.funding.payer("acute"), "resource",
                        cfg.costs.emergency_admission_gbp)
        m.move(i, State.ACUTE_TREATMENT)
        stay = treatment_length_of_stay(m, i)
        death_share = cfg.mortality.in_hospital_death_share_by_band[m.pop.band[i]]
        if m.streams.person_bernoulli("hospital_death", i, death_share):
            yield env.timeout(stay * m.streams.person_uniform("hospital_death_time", i))
            holding.release_all()
            m.leave_bed(i)
            m.process.pop(i, None)
            m.die(i)
            return
        yield env.timeout(stay)
        fit = env.now
        m.move(i, State.ACUTE_DELAYED)
        if i in m.held_care_home:
            yield from ready_to_leave(m, i)
            destination = "care_home_return"
            pathway = 0
        else:
            pathway = choose_pathway(m, i)
            if pathway >= 2 or not had_package:
                community.end_home_care(m, i)
            if pathway <= 1 and i in m.home_care_holders:
                yield from ready_to_leave(m, i)
                destination = "home_care_resumed"
            else:
                pathway, destination = yield from discharge_process(m, i, pathway,
                                                                    had_package, holding)
        delay = env.now - fit
        if delay > 0:
            m.ledger.charge(env.now, i, "acute", "acute", m.funding.payer("acute"), "resource",
                            delay * cfg.costs.excess_bed_day_gbp)
        holding.release(bed)
        m.leave_bed(i)
        if bed is m.services.escalation_beds:
            m.close_episodes(i, ("escalation",))
        m.log.record(env.now, i, "discharge", destination, value=delay, detail=str(pathway))
        m._last_discharge[i] = env.now
        m.process.pop(i, None)
        leave_hospital(m, i, destination, holding)
    except simpy.Interrupt:
        holding.release_all()
        m.leave_bed(i)


def take_acute_bed(m, i: int, holding: Holding):
    """Wait (ED boarding) for a funded bed, or an escalation bed once every funded bed is full."""
    s = m.services
    beds = holding.acquire(s.acute_beds)
    if beds.triggered or s.escalation_beds.units <= 0:
        yield beds
        return s.acute_beds
    surge = holding.acquire(s.escalation_beds)
    yield beds | surge
    if beds.triggered:
        holding.release(s.escalation_beds)
        return s.acute_beds
    holding.release(s.acute_beds)
    cost = m.cfg.costs.escalation_bed_day_gbp
    m.open_episode(i, "escalation", "acute", m.funding.payer("acute"), "cash", cost)
    m.open_episode(i, "escalation", "acute", m.funding.payer("acute"), "resource", cost)
    return s.escalation_beds


def treatment_length_of_stay(m, i: int) -> float:
    """Days from admission to medically fit: lognormal (or exponential) with normalised mean."""
    a = m.cfg.acute
    ratio = a.los_frailty_ratio[m.pop.frailty[i]] * a.los_band_ratio[m.pop.band[i]]
    mean = a.los_mean_days * ratio / m.los_norm
    if a.los_distribution == "exponential":
        return m.streams.person_exponential("los", i, mean)
    mu = math.log(mean) - a.los_sigma ** 2 / 2
    return math.exp(mu + a.los_sigma * m.streams.person_normal("los", i))


def choose_pathway(m, i: int) -> int:
    """Discharge pathway 0-3 by frailty; living alone moves some pathway 0 to pathway 1."""
    p = m.cfg.pathways
    split = list(p.split_by_frailty[m.pop.frailty[i]])
    if m.pop.alone[i]:
        moved = split[0] * (1 - p.lives_alone_p0_ratio)
        split[0] -= moved
        split[1] += moved
    return m.streams.person_choice("pathway", i, split)


def service_for(m, i: int, pathway: int, had_package: bool) -> str | None:
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
    p = m.cfg.pathways
    choice = m.streams.person_choice(
        "p1_service", i, [p.p1_reablement_share, p.p1_home_care_share,
                          1 - p.p1_reablement_share - p.p1_home_care_share])
    return ("reablement", "home_care", "community_nursing")[choice]


# --- the discharge process -----------------------------------------------------------------
def discharge_process(m, i: int, pathway: int, had_package: bool, holding: Holding):
    """Steps from medically fit to leaving; returns (final pathway, destination)."""
    rate = -math.log(1 - m.cfg.acute.deconditioning_per_day) \
        if m.cfg.acute.deconditioning_per_day < 1 else math.inf
    escalate_at = m.env.now + (m.streams.person_exponential("deconditioning", i, 1 / rate)
                               if rate > 0 else math.inf)
    service = service_for(m, i, pathway, had_package)
    while True:
        if service in (None, "community_nursing"):
            yield from ready_to_leave(m, i)
            return pathway, service or "home"
        long_term = service in ("home_care", "care_home")
        to_assess = service in m.cfg.assessment.discharge_to_assess
        restart = service == "home_care" and had_package and \
            m.cfg.decision.package_change_without_referral
        if not (to_assess or restart):
            yield from assessments(m, i, service, long_term)
        if pathway in (1, 2) and m.env.now >= escalate_at:
            pathway, service, escalate_at = _escalate(m, i, pathway, escalate_at, rate)
            continue
        payer = "nhs" if service == "intermediate_care" else m.funding.payer(service)
        if to_assess and long_term:
            payer = INTERIM    # CHC, assessments and decision after discharge, interim funding
        elif restart:
            payer = "self" if m.pop.self_fund_home_care[i] else payer
        elif long_term:
            if service == "care_home":
                payer = yield from chc_process(m, i)
            payer = yield from funding_decision(m, i, service, payer, in_hospital=True)
            if payer == "refused":
                return pathway, "home_waiting_" + service
        if service == "intermediate_care":
            payer = m.funding.payer("intermediate_care")
        cap, amount = _capacity_for(m, i, service)
        m.set_delay(i, "service_capacity", m.funding.responsible(service))
        req = holding.acquire(cap, amount)
        if pathway in (1, 2) and not req.triggered and escalate_at < math.inf:
            timer = m.env.timeout(max(escalate_at - m.env.now, 0.0))
            yield req | timer
            if not req.triggered:
                holding.release(cap)
                pathway, service, escalate_at = _escalate(m, i, pathway, escalate_at, rate)
                continue
        else:
            yield req
        yield from ready_to_leave(m, i)
        m.pending_payer[i] = payer
        return pathway, service


def _escalate(m, i, pathway, escalate_at, rate):
    pathway += 1
    service = "intermediate_care" if pathway == 2 else "care_home"
    escalate_at = m.env.now + m.streams.person_exponential("deconditioning", i, 1 / rate)
    m.log.record(m.env.now, i, "pathway_escalation", value=pathway)
    return pathway, service, escalate_at


def _capacity_for(m, i: int, service: str):
    s = m.services
    return {
        "reablement": (s.reablement, 1.0),
        "home_care": (s.home_care_hours, float(m.pop.package_hours[i] or package_size(m, i))),
        "intermediate_care": (s.ic_beds, 1.0),
        "care_home": (s.care_home_beds, 1.0),
    }[service]


def package_size(m, i: int) -> float:
    """Hours per week of a new home-care package (gamma, mean from config, whole hours)."""
    if m.pop.package_hours[i] <= 0:
        u = m.streams.person_uniform("package_hours", i)
        hours = m.cfg.home_care.hours_per_week_mean * (-math.log(u) + 1.0) / 2.0
        hours = max(round(hours * 2.0 / 2.0), 1.0)
        m.pop.package_hours[i] = min(hours, 60.0)
    return float(m.pop.package_hours[i])


def assessments(m, i: int, service: str, long_term: bool):
    """Sequential separate assessments, or one joint assessment, while delayed in hospital."""
    def delayed_by(team):
        m.set_delay(i, "assessment", m.funding.responsible(service) if team == "joint" else team)

    yield from assess(m, m.funding.assessment_teams(service, long_term), before_each=delayed_by)


def assess(m, teams: list[str], before_each=None):
    """The assessments of ``teams`` in order ('joint' = one joint assessment), each by a
    capacity-limited team; ``before_each(team)`` runs as each one starts."""
    a = m.cfg.assessment
    for team in teams:
        if before_each is not None:
            before_each(team)
        if team == "joint":
            yield from _assess_joint(m, a.joint_assessment_days)
        else:
            yield from _assess(m, m.services.teams[team], a.assessment_days)


def _assess(m, team, working_days: float):
    env = m.env
    yield env.timeout(m.clock.next_working_time(env.now) - env.now)
    with team.request() as req:
        yield req
        yield env.timeout(m.clock.working_days_elapsed(env.now, working_days))


def _assess_joint(m, working_days: float):
    """A joint assessment by whichever team has an assessor free first."""
    env = m.env
    yield env.timeout(m.clock.next_working_time(env.now) - env.now)
    teams = m.services.teams
    pending = {"nhs": teams["nhs"].request(), "la": teams["la"].request()}
    try:
        yield pending["nhs"] | pending["la"]
        chosen = "la" if pending["la"].triggered else "nhs"
        other = "nhs" if chosen == "la" else "la"
        _drop_request(teams[other], pending.pop(other))
        yield env.timeout(m.clock.working_days_elapsed(env.now, working_days))
    finally:
        for name, req in pending.items():
            _drop_request(teams[name], req)


def _drop_request(team, req) -> None:
    """Give back a granted assessor, or withdraw a request still in the queue."""
    if req.triggered:
        team.release(req)
    else:
        req.cancel()


def chc_process(m, i: int, in_hospital: bool = True):
    """CHC checklist, full assessment and any dispute; returns the care-home payer. Waits in
    hospital are delays; after a discharge to assess the same steps run in the care home."""
    c, env = m.cfg.chc, m.env
    m.chc_disputed.pop(i, None)
    payer = _care_home_payer(m, i, chc=False)
    if not m.streams.person_bernoulli("chc_checklist", i, c.checklist_positive_share):
        return payer
    if in_hospital:
        m.set_delay(i, "assessment", m.funding.responsible("chc"))
    yield env.timeout(m.streams.person_exponential("chc_assessment", i, c.full_assessment_days))
    eligible = m.streams.person_bernoulli("chc_eligible", i, c.eligible_share)
    final = _care_home_payer(m, i, chc=eligible)
    if m.funding.dispute_possible() and m.streams.person_bernoulli("chc_dispute", i,
                                                                   c.dispute_probability):
        resolution = m.streams.person_exponential("chc_dispute_days", i,
                                                  c.dispute_resolution_days)
        m.log.record(env.now, i, "chc_dispute", "chc", value=resolution,
                     detail="eligible" if eligible else "not_eligible")
        if c.interim_funding:
            m.chc_disputed[i] = (env.now + resolution, final)
            return _care_home_payer(m, i, chc=False)
        if in_hospital:
            m.set_delay(i, "dispute", m.funding.commissioner("care_home"))
        yield env.timeout(resolution)
    return final


def _care_home_payer(m, i: int, chc: bool) -> str:
    if chc:
        return "chc:" + m.funding.payer("chc")
    if m.pop.self_fund_care_home[i]:
        return "self"
    return m.funding.payer("care_home")


def funding_decision(m, i: int, service: str, payer: str, in_hospital: bool):
    """Panel or coordinator decision, then rationing; returns the payer or 'refused'."""
    env, cfg = m.env, m.cfg
    if payer == "self" or (service == "home_care" and m.pop.self_fund_home_care[i]):
        return "self"
    if payer.startswith("chc:"):
        return payer
    responsible = m.funding.responsible(service)
    if in_hospital:
        m.set_delay(i, "funding_decision", responsible)
    if m.funding.decision_mode(service) == "coordinator":
        yield env.timeout(cfg.decision.coordinator_hours / 24.0)
    else:
        days = {("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun").index(d)
                for d in cfg.decision.panel_weekdays}
        yield env.timeout(m.clock.next_weekday_time(env.now, days) - env.now)
    rule = cfg.budgets.rationing
    held_back = False
    while m.funding.rationing(payer):
        if rule.mode == "eligibility" and in_hospital:
            minimum = ("fit", "mild", "moderate", "severe").index(rule.eligibility_min_frailty)
            if m.pop.frailty[i] < minimum:
                return "refused"
        if not held_back:
            m.log.record(env.now, i, "rationed", service, payer)
            held_back = True
        yield m.funding.funds_released(payer)
    return payer


def ready_to_leave(m, i: int):
    """Preparing to leave takes some hours; discharges happen in daytime hours and fewer at
    weekends, so a ready person may wait."""
    ratio = m.cfg.acute.weekend_discharge_ratio
    start, end = (h / 24.0 for h in m.cfg.acute.discharge_hours)
    preparation = m.cfg.acute.discharge_preparation_hours / 24.0
    if preparation > 0:
        m.set_delay(i, "discharge_process", m.funding.commissioner("acute"))
        yield m.env.timeout(preparation)
    while True:
        now = m.env.now
        day, time_of_day = int(now), now - int(now)
        if time_of_day < start - 1e-9:
            wait_until = day + start
        elif time_of_day >= end - 1e-9 or m.clock.is_weekend(now) and not m.streams.person_bernoulli(
                "weekend_discharge", i, ratio):
            wait_until = day + 1 + start
        else:
            return
        m.set_delay(i, "discharge_process", m.funding.commissioner("acute"))
        yield m.env.timeout(wait_until - now)


# --- leaving hospital ------------------------------------------------------------------------
def leave_hospital(m, i: int, destination: str, holding: Holding) -> None:
    """Move the person from the acute bed to where the discharge process found a place."""
    env, pop = m.env, m.pop
    pop.readmit_until[i] = env.now + m.cfg.crisis.readmission_window_days
    payer = m.pending_payer.pop(i, None)
    if destination == "home_care_resumed":
        if i in m.interim:
            community.start_interim_home_care(m, i)
        else:
            community.start_home_care(m, i)
        _schedule_readmit_end(m, i)
        return
    if destination == "care_home_return":
        m.move(i, State(m.held_care_home[i]))
        if i in m.interim:    # admitted before the discharge-to-assess decision: start again
            m.process[i] = env.process(community.assess_in_care_home(m, i))
        _schedule_readmit_end(m, i)
        return
    if destination in ("home", "community_nursing"):
        m.move(i, State.HOME)
        if destination == "community_nursing":
            visits_cost = m.cfg.pathways.community_nursing_visits * \
                m.cfg.costs.district_nurse_visit_gbp
            for view in ("cash", "resource"):
                m.ledger.charge(env.now, i, "community_nursing", "community",
                                m.funding.payer("community_nursing"), view, visits_cost)
        _schedule_readmit_end(m, i)
        return
    if destination.startswith("home_waiting_"):
        service = destination.removeprefix("home_waiting_")
        m.move(i, State.HOME_WAITING_CARE if service == "home_care" else State.HOME)
        m.set_unmet(i, True)
        m.process[i] = env.process(community.community_care_request(m, i, service, assessed=True))
        return
    if destination == "reablement":
        holding.keep(m.services.reablement)
        m.process[i] = env.process(community.reablement_episode(m, i))
        if "reablement" in m.cfg.assessment.discharge_to_assess:
            # assessed during reablement: the same assessor time, nobody waiting in a bed
            env.process(assess(m, m.funding.assessment_teams("reablement", False)))
    elif destination == "home_care" and payer == INTERIM:
        holding.keep(m.services.home_care_hours)
        community.start_interim_home_care(m, i)
    elif destination == "home_care":
        holding.keep(m.services.home_care_hours)
        community.start_home_care(m, i, payer=payer)
    elif destination == "intermediate_care":
        holding.keep(m.services.ic_beds)
        m.process[i] = env.process(community.intermediate_care_stay(m, i, step_up=False, has_bed=True))
    elif destination == "care_home" and payer == INTERIM:
        holding.keep(m.services.care_home_beds)
        community.start_interim_care_home(m, i)
    elif destination == "care_home":
        holding.keep(m.services.care_home_beds)
        community.start_care_home(m, i, nursing=_needs_nursing(m, i, payer), source="hospital",
                        payer=payer)
    _schedule_readmit_end(m, i)


def _schedule_readmit_end(m, i: int) -> None:
    t = m.pop.readmit_until[i]
    if m.env.now < t < m.horizon:
        m.env.timeout(t - m.env.now).callbacks.append(
            lambda _e: m.refresh(i) if m.pop.state[i] != State.DEAD else None)


def _needs_nursing(m, i: int, payer: str | None) -> bool:
    if payer and payer.startswith("chc:"):
        return True
    share = m.cfg.pathways.nursing_home_share_by_frailty[m.pop.frailty[i]]
    return m.streams.person_bernoulli("nursing_home", i, share)
