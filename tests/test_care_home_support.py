"""Enhanced health in care homes (``care_home_support.*``, issue 14): a covered resident's crisis
rate is cut by ``crisis_reduction``, the NHS pays a yearly price per covered bed, and no
arrangement changes the effect size.

Small places with common random numbers: the lever switched off draws and bills nothing and
changes no journey; the residents' admission rate falls in proportion to coverage x reduction
(within 4 Poisson sd of both runs' counts); the cost is covered beds x price.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.config import load_config
from sim.model import Model
from sim.population import State
from sim.schema_base import YEAR

from .conftest import small

#: effect fields of the lever: evidence sets them, never an arrangement (lever_rules_19)
EFFECT_FIELDS = ("care_home_support.crisis_reduction",)
CARE_HOMES = ["residential", "nursing"]
CARE_HOME_STATES = [int(State.RESIDENTIAL), int(State.NURSING)]
PEOPLE = 15_000
#: the repository's own configs, read by path (the shipped names may resolve to another
#: checkout's package)
CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").rglob("*.toml"))


def _run(people: int = PEOPLE, years: float = 2.0, event_log: bool = True, **overrides):
    cfg = small(people=people, years=years, **overrides)
    return sim.run(cfg, replications=1, seed=7, progress=False, event_log=event_log)


@functools.cache
def _base_residents() -> tuple[int, float]:
    """The residents' counts without the lever (shared by the coverage cases)."""
    return _residents(_run(care_home_support__coverage=0.0))


def _residents(res: sim.Results) -> tuple[int, float]:
    """(emergency admissions of care-home residents, resident-years) after the warm-up."""
    warmup = res.config.run.warmup_days
    ev = res.events
    admissions = int(((ev.kind == "resident_admission") & (ev.time_days >= warmup)).sum())
    daily = res.daily
    window = daily[(daily["day"] >= warmup) & daily["series"].isin(CARE_HOMES)]
    return admissions, float(window["count"].sum()) / YEAR


def _support_cost(res: sim.Results) -> float:
    costs = res.monthly_costs
    return float(costs.loc[costs["service"] == "care_home_support", "cost_gbp"].sum())


def test_no_coverage_draws_bills_and_changes_nothing():
    """Coverage 0 is the model without the lever; full coverage with no effect draws from its
    own stream only, so every journey is the same and only its bill differs."""
    off = _run(people=4000, years=1.0, care_home_support__coverage=0.0)
    idle = _run(people=4000, years=1.0, care_home_support__coverage=1.0,
                care_home_support__crisis_reduction=0.0)
    assert _support_cost(off) == 0.0 and _support_cost(idle) > 0
    pd.testing.assert_frame_equal(off.events, idle.events, check_exact=True)
    pd.testing.assert_frame_equal(off.daily, idle.daily, check_exact=True)
    journeys = ~off.kpis["kpi"].str.contains("gbp|cost|cash|spend|qaly", regex=True)
    pd.testing.assert_frame_equal(off.kpis[journeys], idle.kpis[journeys], check_exact=True)


@pytest.mark.parametrize("coverage", [0.5, 1.0])
def test_resident_admissions_fall_with_coverage_times_reduction(coverage):
    """Expected admissions = base rate x (1 - coverage x reduction) x resident-years, within 4
    sd of the Poisson counts of both runs (common random numbers only narrow the spread)."""
    reduction = 0.5
    base_n, base_years = _base_residents()
    n, years = _residents(_run(care_home_support__coverage=coverage,
                               care_home_support__crisis_reduction=reduction))
    factor = 1 - coverage * reduction
    expected = base_n / base_years * factor * years
    sd = math.sqrt(expected + (factor * years / base_years) ** 2 * base_n)
    assert base_n > 500
    assert abs(n - expected) < 4 * sd, (n, expected, sd)
    assert n < base_n - 4 * math.sqrt(base_n)       # and the fall is clear of the noise


def test_cost_is_covered_beds_times_price_for_the_whole_run():
    res = _run(people=4000, years=1.0, event_log=False, care_home_support__coverage=0.4,
               care_home_support__cost_per_bed_per_year_gbp=500.0)
    cfg = res.config
    days = round(cfg.run.warmup_days + cfg.run.years * YEAR)    # the model's whole days
    expected = 0.4 * cfg.care_homes.beds * 500.0 * days / YEAR
    assert _support_cost(res) == pytest.approx(expected, rel=1e-9)
    costs = res.monthly_costs
    assert set(costs.loc[costs["service"] == "care_home_support", "payer"]) == {"nhs"}


def test_every_resident_has_one_draw_and_the_covered_share_is_the_coverage():
    """Every route into a care home (the starting residents, from hospital, from the
    community) draws once; the share of residents covered is the coverage within 4 binomial
    sd, and people who never lived in a care home draw nothing."""
    coverage = 0.3
    model = Model(small(people=6000, years=1.0, care_home_support__coverage=coverage), 7, 0,
                  event_log=True)
    at_start = set(np.flatnonzero(np.isin(model.pop.column("state"), CARE_HOME_STATES)))
    model.run()
    pop = model.pop
    draws, kind = pop.column("care_home_support_draw"), pop.column("care_home_kind")
    residents = kind >= 0
    assert residents.sum() > 150 and not pd.isna(draws[residents]).any()
    share, n = (draws[residents] < coverage).mean(), residents.sum()
    assert abs(share - coverage) < 4 * math.sqrt(coverage * (1 - coverage) / n)
    log = model.log.frame()
    ever = at_start | set(log.loc[(log["kind"] == "state") & log["service"].isin(CARE_HOMES),
                                  "person"])
    never = [i for i in range(pop.n) if i not in ever]
    assert len(never) > 1000 and pd.isna(draws[never]).all()


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_no_shipped_arrangement_changes_the_effect_size(path):
    default, cfg = sim.Scenario(), load_config(path)
    for path in EFFECT_FIELDS:
        section, field = path.split(".")
        assert getattr(getattr(cfg, section), field) == getattr(getattr(default, section), field)
