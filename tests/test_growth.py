"""Demand and supply over the years: the starting age pyramid (``population.
oldest_to_youngest_by_band``), the yearly review that holds each band's crises per person and the
mean treatment stay at their published values as frailty drifts (``crisis.yearly_review``),
and the funded acute beds growing with the plan (``acute.beds_growth_per_year``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.hazard_clocks import CRISIS
from sim.model import Model
from sim.population import draw_people, falling_linear_quantile
from sim.schema_base import YEAR

from .conftest import small


# --- the age pyramid -------------------------------------------------------------------------
def test_falling_linear_quantile_inverts_its_cdf():
    """F(x) = (x + (r - 1) x^2 / 2) / ((1 + r) / 2) on [0, 1]; the quantile inverts it, and
    r = 1 is the uniform."""
    q = np.linspace(0.0, 1.0, 101)
    for r in (0.3, 0.55, 0.85, 1.0):
        x = falling_linear_quantile(q, np.full_like(q, r))
        assert np.allclose((x + (r - 1) * x ** 2 / 2) / ((1 + r) / 2), q, atol=1e-12)
    assert np.array_equal(falling_linear_quantile(q, np.ones_like(q)), q)


def test_starting_ages_fall_across_each_band_at_the_configured_ratio():
    """People aged in the band's top tenth per person in its bottom tenth: (1 + (r - 1) 0.95) /
    (1 + (r - 1) 0.05) for the linear density; each tenth's count is binomial, so the ratio
    of counts is within 4 of its delta-method standard deviations."""
    cfg = sim.load_config("fragmented", overrides={
        "population.oldest_to_youngest_by_band": [0.85, 0.5]})
    ages = -draw_people(cfg, np.random.default_rng(3), 400_000, 0.0, entrants=False)[
        "birth_time"] / YEAR
    for lo, r in ((65.0, 0.85), (75.0, 0.5)):
        inside = ages[(ages >= lo) & (ages < lo + 10)]
        first = np.sum(inside < lo + 1.0)
        last = np.sum(inside >= lo + 9.0)
        expected = (1 + (r - 1) * 0.95) / (1 + (r - 1) * 0.05)
        sd = expected * math.sqrt(1 / first + 1 / last)
        assert abs(last / first - expected) < 4 * sd, (lo, last / first, expected)


def test_a_falling_pyramid_slows_the_oldest_bands_growth():
    """Fewer people at the top of 75-84 means fewer turn 85: the 85+ band grows more slowly
    over a year than with ages spread evenly (same seed, same band shares)."""
    def grown(ratio):
        cfg = small(people=6000, years=1.0, warmup_days=0.0,
                    population__oldest_to_youngest_by_band=ratio)
        res = sim.run(cfg, replications=1, seed=2, progress=False)
        d = res.daily[res.daily["series"] == "alive:85+"]
        return d["count"].iloc[-1] / d["count"].iloc[0]

    assert grown([0.85, 0.55]) < grown([1.0, 1.0])


# --- the yearly crisis review ----------------------------------------------------------------
PEOPLE = 20_000


def _crisis_rates(review: bool) -> np.ndarray:
    """Crises (admitted or avoided) per person-year, by year (rows) and age band (columns),
    four years from a start at prevalence (no warm-up)."""
    cfg = small(people=PEOPLE, years=4.0, warmup_days=0.0, crisis__yearly_review=review)
    model = Model(cfg, seed=4, replication=0)
    counts = np.zeros((4, 3))
    fire = model.clocks.fire

    def counted(kind, i):
        if kind == CRISIS:
            counts[min(int(model.env.now // YEAR), 3), model.pop.band[i]] += 1
        fire(kind, i)

    model.clocks.fire = counted
    model.run()
    occ = model.occupancy
    alive = np.array([[occ.daily[int(y * YEAR): int((y + 1) * YEAR),
                                 occ.index[f"alive:{band}"]].sum() / YEAR
                       for band in ("65-74", "75-84", "85+")] for y in range(4)])
    return counts / alive


def test_the_yearly_review_holds_each_bands_crisis_rate_as_frailty_drifts():
    """Aged 65-74 the frailty mix drifts frailer (fit from 62% to ~51% in three years: onset
    130 per 1,000 a year against 3.5% improving); at 85+ it drifts less frail (the people
    turning 85 are fitter than the start's 85+). Without the review the rates set at the
    start follow the drift: by the fourth year the 65-74 crisis rate is ~13% above the
    reviewed one and the 85+ rate ~11% below (20,000 people, seed 4; common random numbers,
    so the first year, before the first review, is identical). Year-to-year noise is a few
    per cent (winters, readmission clusters), so the check is the direction."""
    reviewed, drifting = _crisis_rates(True), _crisis_rates(False)
    assert np.array_equal(reviewed[0], drifting[0])
    assert drifting[3, 0] > 1.05 * reviewed[3, 0], (drifting[3], reviewed[3])
    assert drifting[3, 2] < 0.95 * reviewed[3, 2], (drifting[3], reviewed[3])


def test_the_reviews_vectorised_rates_are_the_per_person_rates_to_the_bit():
    """The start and the yearly reviews take everyone's hazards in numpy
    (``Hazards.rates_of``); mid-run, with people in every state, readmission windows open,
    residents in supported homes and case-managed people, each row is exactly
    ``Hazards.rates`` of that person."""
    cfg = small(people=6000, years=1.0, care_home_support__coverage=0.5,
                neighbourhood__case_management=True,
                neighbourhood__crisis_hazard_ratio=0.8)
    model = Model(cfg, seed=6, replication=0)
    model.run()
    pop, t = model.pop, model.env.now - 30.0
    ids = np.arange(pop.n)
    states = set(pop.column("state").tolist())
    assert len(states) >= 9, states
    assert any(pop.case_managed[i] for i in range(pop.n))
    expected = np.array([model.hazards.rates(pop, i, t) for i in ids.tolist()])
    assert np.array_equal(model.hazards.rates_of(pop, ids, t), expected)


def test_frailty_from_delay_harm_is_counted_apart_from_natural_frailty():
    """Each frailty level added by harm from delay is recorded (``harm_steps``), so the review
    can leave it out of the weights and fewer delays still mean fewer crises."""
    cfg = small(people=6000, years=1.0, delay_harm__frailty_per_day=0.2,
                delay_harm__death_per_day=0.0)
    model = Model(cfg, seed=5, replication=0, event_log=True)
    model.run()
    harmed = [r for r in model.log.of("delay_harm") if r[3] == "frailty"]
    assert len(harmed) > 0
    assert int(np.sum(model.pop.column("harm_steps"))) == len(harmed)


# --- planned bed growth ----------------------------------------------------------------------
def test_funded_beds_grow_on_each_anniversary_and_the_block_contract_follows():
    cfg = small(people=6000, years=2.5, warmup_days=0.0, acute__beds_growth_per_year=0.1)
    beds = cfg.acute.beds
    model = Model(cfg, seed=1, replication=0, event_log=True)
    model.run()
    funded = model.occupancy.daily[:, model.occupancy.index["funded:acute_beds"]]
    expected = [beds, round(beds * 1.1), round(beds * 1.1 ** 2)]
    assert funded[100] == expected[0] and funded[400] == expected[1] \
        and funded[800] == expected[2]
    assert model.services.acute_beds.units == expected[2]
    blocks = model.ledger.frame().query("person == -1 and service == 'acute' and "
                                        "rate_gbp_per_day > 0")
    rates = (blocks["rate_gbp_per_day"] / cfg.costs.acute_bed_day_gbp).tolist()
    assert rates == pytest.approx([float(b) for b in expected])   # one block after another
    opened = model.log.of("beds_opened")
    assert [(round(r[0], 2), r[5]) for r in opened] == [
        (365.25, expected[1] - expected[0]), (730.5, expected[2] - expected[1])]


def test_a_new_bed_goes_at_once_to_the_first_boarder():
    """Opening beds serves the queue: a boarder waiting for a full group gets the new bed."""
    import simpy

    from sim.wards import AcuteBeds
    env = simpy.Environment()
    beds = AcuteBeds(env, "acute_beds", 2, 2)
    held = [beds.request(0), beds.request(1)]
    waiting = beds.request(0)
    assert all(r.triggered for r in held) and not waiting.triggered
    beds.add_units(1)
    assert waiting.triggered and beds.units == 3 and beds.in_use == 3


def test_occupancy_share_divides_by_the_beds_funded_on_each_day():
    """With beds growing, ``acute_occupancy_share`` is the mean occupied beds over the mean
    funded beds of the counting window, not over the beds at the start."""
    cfg = small(people=6000, years=2.0, warmup_days=30.0, acute__beds_growth_per_year=0.1)
    res = sim.run(cfg, replications=1, seed=3, progress=False)
    window = res.daily[res.daily["day"] >= 30]
    mean = window.groupby("series")["count"].mean()
    occupied = mean["acute_treatment"] + mean["acute_delayed"]
    share = res.kpis.set_index("kpi").loc["acute_occupancy_share", "value"]
    assert share == pytest.approx(occupied / mean["funded:acute_beds"], rel=1e-9)
    assert mean["funded:acute_beds"] > cfg.acute.beds
