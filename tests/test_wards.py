"""Acute beds in ward groups (sim/wards.py): one group is the shared pool, more groups lengthen
boarding, the bed manager's outlier rule and the escalation rule hold at every event, and bed
closures and ``--scale`` keep the groups workable."""

from __future__ import annotations

import numpy as np
import pytest
import simpy

import sim
from sim import hospital
from sim.model import Model
from sim.scaling import SCALED_FIELDS, scale_overrides
from sim.services import Capacity, Holding
from sim.wards import AcuteBeds

from .conftest import run_once, small
from .test_journeys import bare_context

HOUR = 1.0 / 24.0


# --- one group is the shared pool ----------------------------------------------------------
def grant_times(make, operations) -> list:
    """Times at which each of ``operations`` (start, patience, hold) gets a unit of the pool
    ``make(env)`` returns as (request, cancel[, remove_units]); None if it gave up waiting.
    With ``remove_units``, one unit is taken out of service every 7 days, three times."""
    env = simpy.Environment()
    pool = make(env)
    request, cancel = pool[:2]
    granted: list = [None] * len(operations)

    def user(k, start, patience, hold):
        yield env.timeout(start)
        req = request()
        yield req | env.timeout(patience)
        if req.triggered:
            granted[k] = env.now
            yield env.timeout(hold)
        cancel(req)

    def closures(remove_units):
        for _ in range(3):
            yield env.timeout(7.0)
            remove_units(1)

    for k, op in enumerate(operations):
        env.process(user(k, *op))
    if len(pool) > 2:
        env.process(closures(pool[2]))
    env.run()
    return granted


def test_one_ward_group_grants_as_the_shared_pool_does():
    """Same arrivals, give-ups and closures: one group grants the same beds at the same times,
    in the same order, as a first-come-first-served Capacity (the pool before ward groups)."""
    rng = np.random.default_rng(5)
    ops = list(zip(np.sort(rng.uniform(0, 30, 400)), rng.exponential(0.5, 400),
                   rng.exponential(1.5, 400)))

    def shared(env):
        cap = Capacity(env, "acute_beds", 12)
        return cap.request, cap.cancel, cap.remove_units

    def one_group(env):
        beds = AcuteBeds(env, "acute_beds", 12, 1)
        return beds.wards[0].request, beds.wards[0].cancel, beds.remove_units

    a, b = grant_times(shared, ops), grant_times(one_group, ops)
    assert a == b
    assert sum(g is None for g in a) > 20 and sum(g is not None for g in a) > 200  # both bite


# --- more groups lengthen boarding ----------------------------------------------------------
def _per_replication(cfg, kpi: str, reps: int):
    res = run_once(cfg, reps, 21)
    return res.kpis[res.kpis["kpi"] == kpi].set_index("replication")["value"]


def test_more_ward_groups_lengthen_boarding_waits():
    """The same beds and patients in six groups instead of one: the mean wait for a bed rises
    in every one of 5 paired replications (a sign test, p = 1/32 if the sign were a coin toss;
    boarding waits are too heavy-tailed for a t-interval over few replications)."""
    people, reps = 6000, 5
    one = small("fragmented", people=people, acute__wards=1)
    six = small("fragmented", people=people, acute__wards=6)
    before, after = (_per_replication(cfg, "mean_boarding_wait_hours", reps)
                     for cfg in (one, six))
    assert (after > before).all(), after - before


def test_a_later_outlier_placement_lengthens_boarding_waits():
    people, reps = 6000, 5
    soon = small("fragmented", people=people, acute__wards=6, acute__outlier_after_hours=1.0)
    late = small("fragmented", people=people, acute__wards=6, acute__outlier_after_hours=12.0)
    before, after = (_per_replication(cfg, "mean_boarding_wait_hours", reps)
                     for cfg in (soon, late))
    assert (after > before).all(), after - before


# --- the bed manager's rules, at every event --------------------------------------------------
def _busy_ward_hospital(wards: int = 3, outlier_hours: float = 4.0, escalation: int = 2):
    """A bare hospital of 7 beds in ``wards`` groups, 150 patients arriving over 25 days (about
    as many as the beds hold), stepped one event at a time. Returns what was seen."""
    ctx = bare_context(people=150, acute__beds=7, acute__wards=wards,
                       acute__escalation_beds=escalation,
                       acute__outlier_after_hours=outlier_hours)
    env, beds, s = ctx.env, ctx.services.acute_beds, ctx.services
    rng = np.random.default_rng(11)
    boarding: dict[int, float] = {}
    seen = {"late_boarder_with_free_bed": 0, "late_boarder_full": 0, "early_boarder_free": 0,
            "escalations": 0, "escalation_with_free_bed": 0}

    def patient(i, start, stay):
        yield env.timeout(start)
        holding = Holding(env, ctx.occupancy)
        boarding[i] = env.now
        bed = yield from hospital.take_acute_bed(ctx, i, holding)
        del boarding[i]
        if bed is s.escalation_beds:
            seen["escalations"] += 1
            seen["escalation_with_free_bed"] += not beds.full
        yield env.timeout(stay)
        holding.release(bed)

    for i, (start, stay) in enumerate(zip(np.sort(rng.uniform(0, 25, 150)),
                                          rng.exponential(1.2, 150))):
        env.process(patient(i, start, stay))
    limit = outlier_hours * HOUR + 1e-9
    while env.peek() < 40.0:
        env.step()
        for since in boarding.values():
            late = env.now - since > limit
            if late and not beds.full:
                seen["late_boarder_with_free_bed"] += 1
            seen["late_boarder_full"] += late and beds.full
            seen["early_boarder_free"] += (not late) and not beds.full
    return seen


def test_no_one_boards_past_the_outlier_time_while_a_funded_bed_is_free():
    seen = _busy_ward_hospital()
    assert seen["late_boarder_with_free_bed"] == 0, seen
    # the rule is exercised: people board past it while the hospital is full, and board
    # (within it) while another group has a free bed
    assert seen["late_boarder_full"] > 0 and seen["early_boarder_free"] > 0, seen


def test_an_escalation_bed_never_opens_while_a_funded_bed_is_free():
    seen = _busy_ward_hospital()
    assert seen["escalations"] > 0 and seen["escalation_with_free_bed"] == 0, seen


def test_with_one_group_nobody_boards_while_a_bed_is_free():
    seen = _busy_ward_hospital(wards=1)
    assert seen["early_boarder_free"] == 0 and seen["late_boarder_with_free_bed"] == 0, seen


# --- closures, groups and scale --------------------------------------------------------------
def test_closures_take_beds_from_the_largest_group():
    beds = AcuteBeds(simpy.Environment(), "acute_beds", 23, 4)
    assert beds.funded == [6, 6, 6, 5]
    for closed in range(1, 12):
        beds.remove_units(1)
        assert beds.units == 23 - closed
        assert max(beds.funded) - min(beds.funded) <= 1


def test_admissions_spread_over_groups_in_proportion_to_their_beds():
    beds = AcuteBeds(simpy.Environment(), "acute_beds", 10, 4)   # 3, 3, 2, 2 beds
    u = (np.arange(10_000) + 0.5) / 10_000
    counts = np.bincount([beds.ward_for(x).group for x in u], minlength=4)
    assert counts.tolist() == [3000, 3000, 2000, 2000]


def test_more_groups_than_beds_leave_the_empty_groups_without_patients():
    beds = AcuteBeds(simpy.Environment(), "acute_beds", 3, 5)
    groups = {beds.ward_for(x).group for x in np.linspace(0.0001, 0.9999, 500)}
    assert groups == {k for k, n in enumerate(beds.funded) if n > 0}


def test_scaling_keeps_the_number_of_ward_groups():
    base = sim.with_overrides(sim.load_config("default"), {"acute.wards": 5})
    assert "acute.wards" not in SCALED_FIELDS
    tiny = sim.with_overrides(base, scale_overrides(base, 0.01))
    assert tiny.acute.wards == 5 and tiny.acute.beds < base.acute.beds


@pytest.mark.parametrize("wards", [1, 5])
def test_bed_closure_reviews_close_beds_across_the_groups(wards):
    cfg = small("fragmented", people=3000, acute__wards=wards, savings__bed_closure=True,
                savings__closure_occupancy_threshold=1.0)
    model = Model(cfg, seed=3, replication=0).run()
    closed = sum(count for _, count, _ in model.savings.closures)
    beds = model.services.acute_beds
    assert closed > 0 and beds.units == cfg.acute.beds - closed
    assert max(beds.funded) - min(beds.funded) <= 1
    occ = model.occupancy
    assert occ.daily[occ.days_closed - 1, occ.index["funded:acute_beds"]] == beds.units


# --- treatment while boarding keeps an overfull hospital from gridlocking ----------------------
def test_treatment_while_boarding_shortens_boarding_when_beds_run_out():
    """Too few beds for the take (the small place's beds cut by 40%, no escalation): with
    treatment starting only in a bed (share 0) the queue for beds is a pure overloaded queue;
    when boarding time counts as treatment, the stay that follows shortens as boarding grows,
    so waits for a bed fall in every one of 5 paired replications (a sign test)."""
    people, reps = 6000, 5
    beds = max(1, round(420 * people / 55_200 * 0.6))
    pure = small("fragmented", people=people, acute__beds=beds, acute__escalation_beds=0,
                 acute__boarding_treatment_share=0.0)
    treated = small("fragmented", people=people, acute__beds=beds, acute__escalation_beds=0,
                    acute__boarding_treatment_share=0.75)
    before, after = (_per_replication(cfg, "mean_boarding_wait_hours", reps)
                     for cfg in (pure, treated))
    assert (after < before).all(), after - before
    assert before.mean() > 24          # the case is an overloaded hospital
