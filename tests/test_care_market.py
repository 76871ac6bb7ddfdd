"""Care markets that churn: carers leaving and recruited, packages handed back, care-home
vacancies that open after a turnaround and offers that homes decline (sim.care_market,
sim.services.CareHomeBeds).

Unit tests on a bare environment check exact times and order; tests on a small place check
queueing theory (the alternating renewal process of carer posts, Little's law for rooms in
turnaround), conservation (hours in use fit the hours deliverable once packages are handed
back; every handed-back client is re-served, still waiting, admitted or dead) and the
direction of each mechanism on delays. That each field changes behaviour is
tests/test_fields.py's parametrised check over the schema.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy

import sim
from sim.care_market import FUNDED, vacancy_share
from sim.model import Model
from sim.population import HOME_WAITING_CARE
from sim.services import CareHomeBeds

from .conftest import small
from .test_journeys import ISOLATED

KPI = "capacity_delay_share"


class Draws:
    """A stand-in for a numpy Generator: returns the given uniforms in turn."""

    def __init__(self, *values: float):
        self.values = list(values)

    def random(self) -> float:
        return self.values.pop(0)


def _granted_at(env, beds, log, name):
    def person():
        yield beds.request()
        log.append((name, env.now))
    env.process(person())


# --- care-home vacancies on a bare environment -----------------------------------------------
def test_a_vacated_room_is_offered_only_after_its_turnaround():
    env = simpy.Environment()
    beds = CareHomeBeds(env, "care_home_beds", 1, turnaround_days=3.0)
    beds.occupy(1)
    log: list = []
    _granted_at(env, beds, log, "waiting")
    env.timeout(2.0).callbacks.append(lambda _e: beds.vacate(1))
    env.run(until=10)
    assert log == [("waiting", 5.0)]
    assert beds.turnaround_bed_days() == pytest.approx(3.0)


def test_without_turnaround_a_vacated_room_is_offered_at_once():
    env = simpy.Environment()
    beds = CareHomeBeds(env, "care_home_beds", 1)
    beds.occupy(1)
    log: list = []
    _granted_at(env, beds, log, "waiting")
    env.timeout(2.0).callbacks.append(lambda _e: beds.vacate(1))
    env.run(until=10)
    assert log == [("waiting", 2.0)]


def test_a_declined_person_keeps_their_place_and_the_vacancy_goes_to_the_next():
    env = simpy.Environment()
    # offers: A declined, B accepts; at the next vacancy A accepts
    beds = CareHomeBeds(env, "care_home_beds", 1, decline_share=0.5, rng=Draws(0.1, 0.9, 0.9))
    beds.occupy(1)
    log: list = []
    _granted_at(env, beds, log, "A")
    _granted_at(env, beds, log, "B")
    env.timeout(1.0).callbacks.append(lambda _e: beds.vacate(1))
    env.timeout(4.0).callbacks.append(lambda _e: beds.vacate(1))
    env.run(until=10)
    assert log == [("B", 1.0), ("A", 4.0)]
    assert (beds.offers, beds.declines) == (3, 1)


def test_a_vacancy_everyone_declined_stays_open_for_the_next_arrival():
    env = simpy.Environment()
    beds = CareHomeBeds(env, "care_home_beds", 1, decline_share=0.5, rng=Draws(0.1, 0.9))
    log: list = []
    _granted_at(env, beds, log, "declined")
    env.timeout(2.0).callbacks.append(lambda _e: _granted_at(env, beds, log, "next"))
    env.run(until=10)
    assert log == [("next", 2.0)]
    assert beds.queue_length == 1      # the declined person still waits


# --- carers and handbacks on a small place ---------------------------------------------------
def churn(people=3000, years=1.0, **overrides):
    """A small place whose home-care hours churn (fast, so that hours bind), without rationing
    (3,000 people spend a little more per head than the default place, whose budget has ~6%
    room): the wait for hours, not the panel, is what these tests see."""
    settings = {"budgets__rationing__mode": "off",
                "home_care__carer_turnover_per_year": 1.0,
                "home_care__recruitment_days_mean": 73.05, "home_care__hours_per_carer": 10.0}
    settings.update(overrides)
    return small(people=people, years=years, warmup_days=30.0, **settings)


def test_vacancy_share_is_that_of_an_alternating_renewal_process():
    assert vacancy_share(0.0, 155.0) == 0.0
    assert vacancy_share(1.0, 365.25) == pytest.approx(0.5)
    assert vacancy_share(0.32, 155.0) == pytest.approx(0.1196, abs=1e-4)


def test_long_run_deliverable_hours_match_renewal_theory():
    """Each post alternates filled (rate r) / vacant (rate 1/T): a two-state Markov chain
    started in its stationary state, so the time-average of the vacant posts is unbiased with
    variance N * 2p(1-p) / (lambda H), lambda = r + 1/T (H >> 1/lambda)."""
    cfg = churn(people=1500, years=4.0)
    m = Model(cfg, seed=3, replication=0).run()
    w, hc = m.workforce, cfg.home_care
    r, t_years = hc.carer_turnover_per_year, hc.recruitment_days_mean / 365.25
    p = vacancy_share(r, hc.recruitment_days_mean)
    horizon_years = m.horizon / 365.25
    sd_posts = math.sqrt(w.posts * 2 * p * (1 - p) / ((r + 1 / t_years) * horizon_years))
    daily = m.occupancy.daily[: m.occupancy.days_closed, m.occupancy.index[FUNDED]]
    nominal = hc.capacity_hours_per_week
    mean = float(daily[:-1].mean())            # whole days (the last may be partial)
    assert abs(mean - nominal * (1 - p)) < 4 * sd_posts * w.hours
    assert m.occupancy.count[m.occupancy.index[FUNDED]] == pytest.approx(w.deliverable_hours)


def test_starting_clients_fit_the_hours_the_carers_in_post_deliver():
    m = Model(churn(), seed=1, replication=0)
    m.start()
    cap = m.services.home_care_hours
    assert m.workforce.vacant > 0
    assert cap.units == pytest.approx(cfg_hours(m) - m.workforce.vacant * m.workforce.hours)
    assert 0 < cap.in_use <= cap.units


def cfg_hours(m) -> float:
    return m.cfg.home_care.capacity_hours_per_week


def test_hours_in_use_fit_the_hours_deliverable_once_packages_are_handed_back():
    """Checked every hour: in use beyond the hours deliverable only while no package is left
    that the provider could hand back (hours granted to people still leaving hospital)."""
    m = Model(churn(home_care__carer_turnover_per_year=3.0), seed=2, replication=0)
    cap, w = m.services.home_care_hours, m.workforce
    breaches: list = []

    def watch():
        while True:
            yield m.env.timeout(1 / 24)
            if cap.in_use > cap.units + 1e-6 and any(w.candidates()):
                breaches.append(m.env.now)

    m.env.process(watch())
    m.run()
    events = m.log.frame()
    assert (events["kind"] == "handback").sum() > 20
    assert breaches == []
    assert w.handed_back_hours == pytest.approx(
        events.loc[events["kind"] == "handback", "value"].sum())


def test_every_handed_back_client_is_served_again_still_waiting_gave_up_admitted_or_dead():
    m = Model(churn(home_care__carer_turnover_per_year=3.0), seed=4, replication=0).run()
    events = m.log.frame()
    back = events[(events["kind"] == "handback") & (events["detail"] == "at_home")]
    assert len(back) > 20
    later = events[events["kind"].isin(["referral_to_care", "gave_up_waiting", "admission",
                                        "death"])]
    state = m.pop.column("state")
    unresolved = []
    for t, i in zip(back["time_days"], back["person"]):
        after = later[(later["person"] == i) & (later["time_days"] >= t)]
        if len(after):
            first = after.iloc[0]
            if first["kind"] in ("referral_to_care", "gave_up_waiting"):
                assert first["service"] == "home_care"
                assert first["value"] == pytest.approx(first["time_days"] - t)
            if first["kind"] == "referral_to_care":
                assert first["detail"] == "handback"
        elif state[i] != HOME_WAITING_CARE:
            unresolved.append(i)
    assert unresolved == []
    # the set of holders the handback scan reads is the holds_package column, after churn
    assert sorted(m.pop.package_holders) == np.flatnonzero(m.pop.column("holds_package")).tolist()


def test_handed_back_clients_wait_at_home_in_the_queue_for_hours():
    """Handed-back clients wait at home (unmet need) in the queue for hours that hospital
    discharges join too ('waiting:home_care_hours'), and some wait days for a new provider."""
    base = sim.run(churn(home_care__carer_turnover_per_year=0.0), replications=1, seed=1,
                   progress=False)
    churned = sim.run(churn(home_care__carer_turnover_per_year=3.0), replications=1, seed=1,
                      progress=False)

    def kpi(res, name):
        return float(res.kpis.set_index("kpi").loc[name, "value"])

    def queue(res):
        return res.daily.loc[res.daily["series"] == "waiting:home_care_hours", "count"].mean()

    assert kpi(churned, "home_care_handbacks") > 0 == kpi(base, "home_care_handbacks")
    assert kpi(churned, "home_care_waiting_mean") > kpi(base, "home_care_waiting_mean")
    assert queue(churned) > queue(base)


# --- care-home vacancies on a small place -----------------------------------------------------
def _mean_people_in_beds(turnaround: float):
    """A place with fewer care-home beds than residents (the queue never empties): the
    time-mean of beds held by people, the beds vacated a day and the mean beds in turnaround,
    from day 60."""
    # one shared pool of beds, no declines: Little's law for the turnaround alone, on the
    # single queue whose vacate is counted (the default splits beds into 4 localities)
    cfg = small(people=3000, years=1.0, warmup_days=30.0,
                **{**ISOLATED, "care_homes__beds": 90,
                   "care_homes__vacancy_turnaround_days": turnaround})
    m = Model(cfg, seed=5, replication=0)
    beds = m.services.care_home_beds
    held: list = []
    vacated = [0]
    vacate = beds.vacate

    def counting_vacate(amount=1.0):
        if m.env.now >= 60:
            vacated[0] += 1
        vacate(amount)

    beds.vacate = counting_vacate

    def watch():
        yield m.env.timeout(60)
        start = beds.turnaround_bed_days()
        while m.env.now + 0.1 < m.horizon:
            yield m.env.timeout(0.1)
            held.append(beds.in_use - beds.turning)
        watch.turning = (beds.turnaround_bed_days() - start) / (m.env.now - 60)
        watch.days = m.env.now - 60

    m.env.process(watch())
    m.run()
    assert beds.queue_length > 0
    return float(np.mean(held)), vacated[0] / watch.days, watch.turning


def test_turnaround_removes_vacancies_a_day_times_turnaround_beds():
    """Little's law: rooms in turnaround = vacancies a day x days each; with a queue always
    waiting, the beds people hold fall by as much."""
    full, _, none_turning = _mean_people_in_beds(0.0)
    turned, per_day, turning = _mean_people_in_beds(7.0)
    assert none_turning == 0.0
    assert turning == pytest.approx(per_day * 7.0, rel=0.1)
    assert full - turned == pytest.approx(per_day * 7.0, rel=0.25)


def test_declines_lengthen_the_wait_for_a_care_home():
    def wait(decline):
        res = sim.run(small(people=6000, years=1.0, care_homes__decline_share=decline),
                      replications=1, seed=1, progress=False)
        d = res.discharges
        return float(d.loc[d["destination"] == "care_home", "delay_days"].mean())

    assert wait(0.4) > wait(0.0)


@pytest.mark.parametrize("field,value,tight", [
    ("home_care.carer_turnover_per_year", 1.0, {}),
    ("care_homes.vacancy_turnaround_days", 7.0, {"care_homes__beds": 200}),
    ("care_homes.decline_share", 0.6, {}),
])
def test_capacity_delays_rise_with_each_market_mechanism(field, value, tight):
    """Bed days delayed waiting for capacity (the share times all delayed bed days: the share
    alone saturates where capacity already causes most delays, as in the tight case)."""
    cfg = small(people=6000, years=1.0, **tight)
    changed = sim.with_overrides(cfg, {field: value})

    def capacity_days(c):
        res = sim.run(c, replications=1, seed=1, progress=False)
        kpis = res.kpis.set_index("kpi")["value"]
        return float(kpis[KPI] * kpis["delayed_bed_days"])

    assert capacity_days(changed) > capacity_days(cfg)


# --- the market grows -------------------------------------------------------------------------
def _funded_hours_by_day(res) -> np.ndarray:
    daily = res.daily[res.daily["series"] == FUNDED]
    return daily.sort_values("day")["count"].to_numpy()


def test_market_growth_compounds_the_hours_each_year_without_churn():
    """Without carer churn the hours are exactly nominal x (1 + g)^k in year k."""
    growth, hours = 0.1, 600.0
    cfg = small(people=3000, years=2.5, warmup_days=0.0,
                home_care__capacity_hours_per_week=hours,
                home_care__market_growth_per_year=growth,
                home_care__carer_turnover_per_year=0.0)   # no churn (the default has 0.32)
    funded = _funded_hours_by_day(sim.run(cfg, replications=1, seed=1, progress=False))
    for k in range(3):
        day = int(k * sim.schema_base.YEAR) + 2     # a whole day after the k-th anniversary
        assert funded[day] == pytest.approx(hours * (1 + growth) ** k, rel=1e-9), k


def test_market_growth_with_churn_grows_the_hours_carers_deliver():
    """With churn a filled post delivers the grown hours at once, a vacant one when filled: the
    mean deliverable hours in the last year exceed the first year's by about (1 + g)^2 (the
    vacancy share is the same each year), within the churn's noise."""
    growth = 0.2
    cfg = small(people=3000, years=3.0, warmup_days=0.0,
                home_care__capacity_hours_per_week=2000.0,
                home_care__market_growth_per_year=growth,
                home_care__carer_turnover_per_year=0.32, home_care__hours_per_carer=10.0)
    funded = _funded_hours_by_day(sim.run(cfg, replications=1, seed=1, progress=False))
    year = int(sim.schema_base.YEAR)
    ratio = funded[2 * year + 5:3 * year].mean() / funded[5:year].mean()
    assert ratio == pytest.approx((1 + growth) ** 2, rel=0.05)


def test_market_growth_shortens_the_wait_for_home_care_when_hours_bind():
    tight = {"home_care__capacity_hours_per_week": 900.0}
    still = small(people=3000, years=2.0, **tight)
    growing = small(people=3000, years=2.0, home_care__market_growth_per_year=0.3, **tight)

    def waiting(cfg):
        res = sim.run(cfg, replications=1, seed=1, progress=False)
        return float(res.kpis.set_index("kpi").loc["home_care_waiting_mean", "value"])

    assert waiting(growing) < 0.8 * waiting(still)
