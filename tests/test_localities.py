"""Community capacity in localities (sim/localities.py): one locality is the shared pool, no
locality uses more than its units and a request is granted only in its own locality unless out
of area, n localities of c units queue as Erlang C with c servers (not n*c), smaller pools
delay discharges more at the same total capacity, and scaling keeps the number of localities."""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy
from scipy import stats

import sim
from sim import care_market, localities, placements
from sim.localities import Areas, CareHomeAreas
from sim.model import Model
from sim.population import State
from sim.scaling import SCALED_FIELDS, scale_overrides
from sim.services import Capacity, CareHomeBeds

from .conftest import run_once, small
from .test_start import SNAPSHOT as SNAPSHOT_START
from .test_theory import erlang_c_wait_days
from .test_wards import grant_times

LOCAL = {"home_care__localities": 8, "care_homes__localities": 4,
         "reablement__localities": 4}
#: every service one shared pool
SHARED = {name: 1 for name in LOCAL}


# --- one locality is the shared pool ---------------------------------------------------------


def test_one_locality_grants_as_the_shared_pool_does():
    """Same arrivals and give-ups: a service in one locality (home care and reablement as
    :class:`Areas`, care homes as :class:`CareHomeAreas` with the out-of-area rule armed)
    grants the same units at the same times as the shared first-come-first-served pool."""
    rng = np.random.default_rng(5)
    ops = list(zip(np.sort(rng.uniform(0, 30, 400)), rng.exponential(3.0, 400),
                   rng.exponential(1.5, 400)))

    def shared(env):
        cap = CareHomeBeds(env, "care_home_beds", 12)
        return cap.request, cap.cancel

    def areas(env):
        pool = Areas([Capacity(env, "home_care_hours", 12)]).area(0)
        return pool.request, pool.cancel

    def care_home_areas(env):
        pool = CareHomeAreas(env, "care_home_beds", 12, 1, 2.0).area(0)
        return pool.request, pool.cancel

    a = grant_times(shared, ops)
    assert a == grant_times(areas, ops) == grant_times(care_home_areas, ops)
    assert sum(g is None for g in a) > 20 and sum(g is not None for g in a) > 200  # both bite


def test_the_default_place_has_its_services_in_localities_and_one_is_the_shared_pool():
    cfg = sim.load_config("default")
    assert (cfg.home_care.localities, cfg.care_homes.localities,
            cfg.reablement.localities) == (8, 4, 4)
    m = Model(small(people=cfg.population.size // 2), seed=1, replication=0)   # half: 4, 2, 2
    assert [len(m.services.home_care_hours), len(m.services.reablement)] == [4, 2]
    assert isinstance(m.services.care_home_beds, CareHomeAreas)
    assert len(m.services.care_home_beds) == 2
    m = Model(small(**SHARED), seed=1, replication=0)
    assert isinstance(m.services.home_care_hours, Capacity)
    assert isinstance(m.services.reablement, Capacity)
    assert type(m.services.care_home_beds) is CareHomeBeds
    assert np.isnan(m.pop.column("locality_draw")).all()       # nothing drawn


# --- the rules, at every event ----------------------------------------------------------------
def busy_care_homes(after_days: float, units: int = 8, n: int = 4, people: int = 260) -> dict:
    """Care homes of ``units`` beds in ``n`` localities, ``people`` arriving over 200 days
    (more than the beds hold), each staying an exponential 12 days, some giving up; stepped
    one event at a time. Returns what was seen."""
    env = simpy.Environment()
    homes = CareHomeAreas(env, "care_home_beds", units, n, after_days)
    rng = np.random.default_rng(3)
    waiting: dict[int, tuple[float, int]] = {}
    held = [0] * n
    seen = {"over_units": 0, "held_mismatch": 0, "out_of_area": 0, "out_of_area_early": 0,
            "late_with_free_bed": 0, "late_full": 0, "own_area_waits": 0}

    def person(i, start, home, stay, patience):
        yield env.timeout(start)
        req = homes.area(home).request()
        waiting[i] = (env.now, home)
        yield req | env.timeout(patience)
        del waiting[i]
        if not req.triggered:
            homes.area(home).cancel(req)
            return
        where = homes.settle(req)
        if where is not None:
            seen["out_of_area"] += 1
            seen["out_of_area_early"] += env.now - waiting_since[i] < after_days - 1e-9
            k = where
        else:
            k = home
        held[k] += 1
        yield env.timeout(stay)
        held[k] -= 1
        homes.area(k).vacate()

    waiting_since: dict[int, float] = {}
    starts = np.sort(rng.uniform(0, 200, people))
    for i, (start, home, stay, patience) in enumerate(zip(
            starts, rng.integers(0, n, people), rng.exponential(12.0, people),
            rng.exponential(40.0, people))):
        waiting_since[i] = float(start)
        env.process(person(i, start, int(home), stay, patience))
    while env.peek() < math.inf:
        env.step()
        for k, pool in enumerate(homes.pools):
            seen["over_units"] += pool.in_use > pool.units
            seen["held_mismatch"] += held[k] > pool.in_use
        free = any(p.level >= 1 for p in homes.pools)
        for since, home in waiting.values():
            late = env.now - since > after_days + 1e-9
            seen["late_with_free_bed"] += late and free
            seen["late_full"] += late and not free
            seen["own_area_waits"] += (not late) and homes.area(home).level < 1 and free
    return seen


def test_no_locality_ever_holds_more_than_its_beds():
    seen = busy_care_homes(after_days=7.0)
    assert seen["over_units"] == 0 and seen["held_mismatch"] == 0, seen


def test_a_bed_out_of_area_only_after_the_wait_and_never_a_wait_past_it_with_a_bed_free():
    seen = busy_care_homes(after_days=7.0)
    assert seen["out_of_area"] > 0 and seen["out_of_area_early"] == 0, seen
    assert seen["late_with_free_bed"] == 0, seen
    # the rule is exercised: people wait past it while every home is full, and wait (within
    # it) for their own locality while another has a bed free
    assert seen["late_full"] > 0 and seen["own_area_waits"] > 0, seen


def test_home_care_hours_stay_in_their_patch_at_every_hour():
    """Checked every hour of a place with 8 patches and tight hours: no patch has more hours
    in use than it has, the hours of the packages its clients hold are its own, and the
    occupancy's ``waiting:home_care_hours`` and ``funded:home_care_hours`` are the totals over
    the patches."""
    cfg = small(people=3000, years=0.5, warmup_days=20.0,
                home_care__capacity_hours_per_week=1100.0, **LOCAL)
    m = Model(cfg, seed=2, replication=0)
    pools, pop = m.services.home_care_hours, m.pop
    breaches, waits = [], []

    def watch():
        while True:
            yield m.env.timeout(1 / 24)
            holders = np.flatnonzero(pop.column("holds_package"))
            assert not np.isnan(pop.column("locality_draw")[holders]).any()
            patch = np.minimum((pop.column("locality_draw")[holders] * 8).astype(int), 7)
            hours = pop.column("package_hours")[holders]
            for k, pool in enumerate(pools.pools):
                if pool.in_use > pool.units + 1e-6 or \
                        hours[patch == k].sum() > pool.in_use + 1e-6:
                    breaches.append((m.env.now, k))
            waits.append(pools.queue_length)
            occ = m.occupancy
            if occ.count[occ.index["waiting:home_care_hours"]] != pools.queue_length or \
                    occ.count[occ.index["funded:home_care_hours"]] != pytest.approx(pools.units):
                breaches.append((m.env.now, "totals"))

    m.env.process(watch())
    m.run()
    assert breaches == []
    assert max(waits) > 0 and len(pools) == 8          # the hours bind


def test_a_patch_short_of_carers_hands_back_only_its_own_clients(monkeypatch):
    """Carers leave fast in 8 patches: every package handed back is of a client of a patch
    whose hours in use exceed the hours its carers in post deliver."""
    cfg = small(people=3000, years=0.5, warmup_days=20.0, home_care__localities=8,
                home_care__carer_turnover_per_year=3.0)
    m = Model(cfg, seed=2, replication=0)
    pools, seen = m.services.home_care_hours, []
    original = care_market.hand_back

    def recording(ctx, i):
        k = placements.locality_of(ctx, i, "home_care")
        seen.append((k, [p.level < -1e-9 for p in pools.pools]))
        original(ctx, i)

    monkeypatch.setattr(care_market, "hand_back", recording)
    m.run()
    assert len(seen) > 20 and len({k for k, _ in seen}) > 1, seen
    assert all(short[k] for k, short in seen)


def test_a_snapshot_starts_everyone_in_their_own_locality():
    """A snapshot start with services in localities: each reablement team and home-care patch
    holds at least its own people's places and hours (and those granted at t = 0 to people
    who were queued), each care-home locality its residents; nobody's request is left
    queueing for a place they already have (only the delayed and waiting queue)."""
    m = Model(small(people=6000, **SNAPSHOT_START, **LOCAL), seed=1, replication=0)
    m.start()
    ctx, pop, s = m.ctx, m.pop, m.services
    state = pop.column("state")
    on = {"reablement": np.flatnonzero(state == State.REABLEMENT),
          "home_care": np.flatnonzero(pop.column("holds_package"))}
    for service, pools, amount in (("reablement", s.reablement, np.ones(pop.n)),
                                   ("home_care", s.home_care_hours,
                                    pop.column("package_hours"))):
        where = np.array([placements.locality_of(ctx, int(i), service) for i in on[service]])
        for k, pool in enumerate(pools.pools):
            assert amount[on[service][where == k]].sum() <= pool.in_use + 1e-6
        queued = SNAPSHOT_START[f"start__acute_delayed_{service}"] + \
            SNAPSHOT_START.get(f"start__waiting_{service}", 0)
        assert pools.queue_length <= queued
    residents = np.flatnonzero(pop.column("care_home_kind") >= 0)
    beds = np.bincount(pop.column("care_home_locality")[residents], minlength=4)
    assert [p.in_use for p in s.care_home_beds.pools] == beds.tolist()
    assert all(p.in_use <= p.units for p in s.care_home_beds.pools)


def test_reinvested_units_are_spread_over_the_localities_and_serve_their_queues():
    env = simpy.Environment()
    places = localities.build(env, "reablement", 8, 4)
    reqs = [places.area(k).request() for k in range(4) for _ in range(3)]
    assert sum(r.triggered for r in reqs) == 8 and places.queue_length == 4
    places.add_units(4)
    assert [p.units for p in places.pools] == [3, 3, 3, 3] and places.queue_length == 0


# --- queueing theory ----------------------------------------------------------------------------
def interval(values, confidence: float = 0.99) -> tuple[float, float]:
    """A t-interval for the mean of independent replications."""
    x = np.asarray(values, dtype=float)
    half = stats.t.ppf(0.5 + confidence / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    return x.mean() - half, x.mean() + half


def local_mean_wait(n: int, c: int, arrivals_per_day: float, days: float, seed: int) -> float:
    """Mean wait of M/M/c queues in ``n`` localities of ``c`` units (service mean 1 day),
    ``arrivals_per_day`` in all, each arrival in a locality at random; after 100 days."""
    env = simpy.Environment()
    pools = localities.build(env, "reablement", n * c, n)
    rng = np.random.default_rng(seed)
    waits: list[float] = []

    def person(k, service):
        start = env.now
        req = pools.area(k).request()
        yield req
        if start > 100.0:
            waits.append(env.now - start)
        yield env.timeout(service)
        pools.area(k).release()

    def arrivals():
        while True:
            yield env.timeout(rng.exponential(1 / arrivals_per_day))
            env.process(person(int(rng.integers(n)), rng.exponential(1.0)))

    env.process(arrivals())
    env.run(days)
    return float(np.mean(waits))


def test_localities_queue_as_erlang_c_with_the_servers_of_one_locality():
    """4 localities of 3 units at 80% load: the mean wait is Erlang C for 3 servers (a 99%
    t-interval over 8 independent replications holds it), far above Erlang C for 12."""
    n, c, rho = 4, 3, 0.8
    total = n * c * rho
    means = [local_mean_wait(n, c, total, 3000.0, seed) for seed in range(8)]
    lo, hi = interval(means)
    assert lo <= erlang_c_wait_days(c, total / n, 1.0) <= hi
    assert erlang_c_wait_days(n * c, total, 1.0) < lo / 3


# --- the place ----------------------------------------------------------------------------------
def per_replication(cfg, kpi: str, reps: int):
    res = run_once(cfg, reps, 21)
    return res.kpis[res.kpis["kpi"] == kpi].set_index("replication")["value"]


@pytest.mark.parametrize("kpi", ["capacity_delay_share", "mean_delay_days"])
def test_localities_raise_delays_for_capacity_at_the_same_total_capacity(kpi):
    """The same hours, beds and places in localities instead of one pool: the KPI rises in
    every one of 5 paired replications (a sign test, p = 1/32 if the sign were a coin toss)."""
    people, reps = 6000, 5
    tight = {"home_care__capacity_hours_per_week": 2400.0}
    one = small("fragmented", people=people, **tight, **SHARED)
    many = small("fragmented", people=people, **tight, **LOCAL)
    before, after = (per_replication(cfg, kpi, reps) for cfg in (one, many))
    assert (after > before).all(), after - before


def test_a_wider_search_sooner_shortens_waits_for_a_care_home():
    """Care homes in 4 localities, beds tight: families who take a bed in any locality at
    once (out_of_area_after_days = 0) wait less for capacity than those who hold out 60 days,
    in every one of 5 paired replications (a sign test, p = 1/32)."""
    arms = [small("fragmented", people=6000, care_homes__beds=220, care_homes__localities=4,
                  care_homes__out_of_area_after_days=days) for days in (0.0, 60.0)]
    soon, late = (per_replication(cfg, "capacity_delay_share", 5) for cfg in arms)
    assert (late > soon).all(), late - soon


def test_scaling_keeps_the_size_of_a_locality():
    """Localities are areas of about the same population: a place scaled by f has f times as
    many (rounded, at least one); the out-of-area wait is not a count and is not scaled."""
    base = sim.load_config("default")
    for factor, expected in ((0.01, (1, 1, 1)), (0.5, (4, 2, 2)), (2.0, (16, 8, 8))):
        other = sim.with_overrides(base, scale_overrides(base, factor))
        assert (other.home_care.localities, other.care_homes.localities,
                other.reablement.localities) == expected, factor
    assert "care_homes.out_of_area_after_days" not in SCALED_FIELDS
