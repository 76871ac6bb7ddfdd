"""Harm from delay (``delay_harm.*``, issue 14): each delayed day raises the chance of leaving
hospital frailer and of an excess death soon after, and the yearly mortality review does not
cancel those deaths, so shorter delays can mean fewer deaths.

Small runs with the event log check the law (the count of excess deaths against the sum of
each delayed discharge's ``1 - exp(-rate x days)``, with a binomial tolerance), that every harm
follows a delayed discharge, that zero rates draw and change nothing, and the direction.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

import sim
from sim.delay_harm import EXCESS_DEATH
from sim.model import other_deaths_by_band
from sim.schema_base import YEAR

from .conftest import small
from .test_journeys import ISOLATED

PEOPLE = 6000


def _run(years: float = 1.0, **overrides):
    cfg = small(people=PEOPLE, years=years, **overrides)
    return sim.run(cfg, replications=1, seed=5, progress=False, event_log=True)


def _harm(events: pd.DataFrame, what: str) -> pd.DataFrame:
    return events[(events.kind == "delay_harm") & (events.service == what)]


def test_frailty_harm_follows_a_delayed_discharge_with_its_delay():
    res = _run(delay_harm__frailty_per_day=0.2, delay_harm__death_per_day=0.0)
    ev = res.events
    harms = _harm(ev, "frailty")
    assert len(harms) > 50
    discharges = ev[ev.kind == "discharge"].set_index(["person", "time_days"])
    for row in harms.itertuples():
        delay = discharges.loc[(row.person, row.time_days), "value"]
        assert float(np.atleast_1d(delay)[0]) == row.value > 0


def test_excess_deaths_match_the_per_day_law_within_binomial_error():
    """A 2-day window leaves almost no time for another death first, so the count of excess
    deaths is Binomial-like with success chances 1 - exp(-rate x delay) per discharge."""
    rate = 0.05
    res = _run(delay_harm__frailty_per_day=0.0, delay_harm__death_per_day=rate,
               delay_harm__death_window_days=2.0)
    ev = res.events
    horizon = res.config.run.warmup_days + res.config.run.years * YEAR
    discharges = ev[(ev.kind == "discharge") & (ev.time_days < horizon - 2.0)]
    p = -np.expm1(-rate * discharges.value.to_numpy())
    expected, sd = p.sum(), math.sqrt((p * (1 - p)).sum())
    deaths = ev[(ev.kind == "death") & (ev.value == 1.0)]
    assert len(_harm(ev, "death")) == len(deaths)
    assert abs(len(deaths) - expected) < 4 * sd + 2, (len(deaths), expected, sd)


def test_zero_rates_give_no_harm_and_leave_journeys_as_they_were():
    base = _run(delay_harm__frailty_per_day=0.0, delay_harm__death_per_day=0.0)
    assert _harm(base.events, "frailty").empty and _harm(base.events, "death").empty
    again = _run(delay_harm__frailty_per_day=0.0, delay_harm__death_per_day=0.0,
                 delay_harm__death_window_days=7.0)
    pd.testing.assert_frame_equal(base.discharges, again.discharges)


def test_the_yearly_mortality_review_leaves_excess_deaths_out():
    deaths = [(10.0, 1, "death", "acute_delayed", "", 0.0, "85+"),
              (11.0, 2, "death", "nursing", "", EXCESS_DEATH, "85+"),
              (12.0, 3, "death", "residential", "", 0.0, "65-74"),
              (13.0, 4, "death", "home", "", 0.0, "75-84"),
              (1.0, 5, "death", "nursing", "", 0.0, "75-84")]       # before the year
    assert other_deaths_by_band(deaths, since=5.0).tolist() == [1.0, 0.0, 1.0]


def test_excess_deaths_add_to_the_deaths_over_several_reviews():
    """Three years: the review re-sets community death rates twice; deaths rise by about the
    excess (less the few who would have died anyway in the run)."""
    years = 3.0
    none = _run(years, delay_harm__frailty_per_day=0.0, delay_harm__death_per_day=0.0)
    harm = _run(years, delay_harm__frailty_per_day=0.0, delay_harm__death_per_day=0.02,
                delay_harm__death_window_days=5.0)
    excess = int(((harm.events.kind == "death") & (harm.events.value == 1.0)).sum())
    added = int((harm.events.kind == "death").sum() - (none.events.kind == "death").sum())
    assert excess > 100
    assert added > 0.5 * excess, (added, excess)


def test_frailty_harm_raises_crises_and_care_home_entry():
    # the market mechanisms neutral and care-home beds to spare: with the default's full,
    # churning markets vacancies cap care-home entries and longer waits block acute beds,
    # which hides the harm's own direction (those effects have their own tests)
    room = {**ISOLATED, "care_homes__beds": 400}
    none = _run(2.0, delay_harm__frailty_per_day=0.0, delay_harm__death_per_day=0.0, **room)
    harm = _run(2.0, delay_harm__frailty_per_day=0.2, delay_harm__death_per_day=0.0, **room)
    k0, k1 = (r.summary.set_index("kpi")["mean"] for r in (none, harm))
    assert k1["emergency_admissions"] > k0["emergency_admissions"]
    assert k1["care_home_admissions"] > k0["care_home_admissions"]
