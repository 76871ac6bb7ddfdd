"""End of life (``end_of_life.*``, issue 14): a recognised last phase of life before a share of
community deaths, more crises in it, a terminal crisis, community end-of-life teams that handle
crises at home, and fast-track CHC.

Small runs with the event log check that the phase off draws and changes nothing whatever the
deployment, that more end-of-life capacity means a smaller share of deaths in hospital (with a
binomial tolerance), that the caseload never holds more people than its places, that fast-track
CHC spend is people x weeks x price, that deaths are not added (within 4 Poisson sd), and that
no shipped arrangement changes an effect size.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.end_of_life import END_OF_LIFE_DEATH
from sim.people import IN_HOSPITAL
from sim.population import STATE_NAMES
from sim.schema_base import YEAR

from .conftest import small

PEOPLE = 8000
#: the evidence fields; an arrangement may change only slots, fast_track_share and prices
EFFECT_FIELDS = ("recognised_share", "phase_mean_days", "crisis_hazard_ratio",
                 "terminal_crisis_share", "terminal_crisis_days", "home_share")
#: effects at the top of their ranges, so that a small run has the power to show the direction
STRONG = dict(end_of_life__recognised_share=0.7, end_of_life__terminal_crisis_share=0.6,
              end_of_life__home_share=0.8)
HOSPITAL_STATES = {STATE_NAMES[s] for s in IN_HOSPITAL}


def _run(years: float = 1.5, people: int = PEOPLE, seed: int = 5, **overrides):
    cfg = small(people=people, years=years, **overrides)
    return sim.run(cfg, replications=1, seed=seed, progress=False, event_log=True)


def _kpi(res, name: str) -> float:
    return float(res.kpis.set_index("kpi").loc[name, "value"])


def _horizon(cfg) -> float:
    """The run's end in whole days, as the model rounds it."""
    return float(round(cfg.run.warmup_days + cfg.run.years * YEAR))


def _window_deaths(res) -> pd.DataFrame:
    ev = res.events
    return ev[(ev.kind == "death") & (ev.time_days >= res.config.run.warmup_days)]


def test_phase_off_draws_and_changes_nothing_whatever_the_slots():
    """With recognised_share = 0 nobody enters the phase: journeys are the same with 0 or
    many end-of-life places (only the places' block contract is spent)."""
    off = dict(end_of_life__recognised_share=0.0)
    none = _run(years=1.0, end_of_life__slots=0, **off)
    many = _run(years=1.0, end_of_life__slots=500, **off)
    assert not (none.events.kind == "end_of_life").any()
    deaths = none.events[none.events.kind == "death"]
    assert not (deaths.value == END_OF_LIFE_DEATH).any()
    pd.testing.assert_frame_equal(none.events, many.events)
    pd.testing.assert_frame_equal(none.daily, many.daily)
    assert _kpi(many, "total_cost_gbp") > _kpi(none, "total_cost_gbp")


def test_hospital_death_share_falls_with_end_of_life_capacity():
    """Same people, same seed: ample places against none. Among deaths in the phase (the only
    ones the teams can move) the share in hospital must fall by more than three binomial
    standard deviations of the difference of two shares, and the KPI over all deaths falls."""
    none = _run(end_of_life__slots=0, **STRONG)
    ample = _run(end_of_life__slots=2000, **STRONG)
    shares, counts = [], []
    for res in (none, ample):
        deaths = _window_deaths(res)
        assert _kpi(res, "hospital_death_share") == \
            pytest.approx(deaths.service.isin(HOSPITAL_STATES).mean())
        phase = deaths[deaths.value == END_OF_LIFE_DEATH]
        counts.append(len(phase))
        shares.append(phase.service.isin(HOSPITAL_STATES).mean())
    p = (shares[0] + shares[1]) / 2
    sd = math.sqrt(p * (1 - p) * (1 / counts[0] + 1 / counts[1]))
    assert shares[0] - shares[1] > 3 * sd, (shares, counts, sd)
    assert _kpi(none, "hospital_death_share") > _kpi(ample, "hospital_death_share")
    home = ample.events[(ample.events.kind == "end_of_life")
                        & (ample.events.service == "crisis_at_home")]
    assert len(home) > 0 and not ((none.events.kind == "end_of_life")
                                  & (none.events.service == "crisis_at_home")).any()


def test_one_place_holds_one_person_at_a_time():
    """With a single place, the people whose crises the team handled at home hold it in turn:
    from their first crisis at home to their death, no two overlap."""
    res = _run(years=2.0, end_of_life__slots=1, **STRONG)
    ev = res.events
    home = ev[(ev.kind == "end_of_life") & (ev.service == "crisis_at_home")]
    first = home.groupby("person").time_days.min()
    deaths = ev[ev.kind == "death"].set_index("person").time_days
    horizon = _horizon(res.config)
    spans = sorted((t, float(deaths.get(i, horizon))) for i, t in first.items())
    assert len(spans) >= 2
    for (_, end), (begin, _) in zip(spans, spans[1:]):
        assert begin >= end


def test_fast_track_chc_spend_is_people_times_weeks_times_price():
    """Standard CHC off: the CHC spend of the counting window is, for each fast-tracked
    person, the weeks from recognition to death (or the horizon) inside the window, times the
    weekly price."""
    price = 1_000.0
    res = _run(years=1.0, chc__checklist_positive_share=0.0, chc__in_care_checklist_share=0.0,
               chc__start_eligible_share=0.0, end_of_life__fast_track_week_gbp=price)
    ev, cfg = res.events, res.config
    start, horizon = cfg.run.warmup_days, _horizon(cfg)
    fast = ev[(ev.kind == "end_of_life") & (ev.detail == "fast_track")]
    deaths = ev[ev.kind == "death"].set_index("person").time_days
    days = 0.0
    for row in fast.itertuples():
        end = float(deaths.get(row.person, horizon))
        days += max(0.0, min(end, horizon) - max(row.time_days, start))
    assert len(fast) > 10
    spend = _kpi(res, "chc_cost_gbp") * (horizon - start) / YEAR    # the KPI is per year
    assert spend == pytest.approx(days / 7 * price, rel=1e-9)


def test_deaths_are_not_added_by_the_phase():
    """The phase moves deaths in time and place, not in number: deaths in the window with it
    on and off agree within four Poisson standard deviations."""
    on = len(_window_deaths(_run(years=2.0, people=10_000)))
    off = len(_window_deaths(_run(years=2.0, people=10_000, end_of_life__recognised_share=0.0)))
    assert abs(on - off) < 4 * math.sqrt(on + off), (on, off)


def test_deaths_in_the_phase_are_left_to_the_community_clock_by_the_review():
    """Every death of a person in the phase, wherever it happens, carries the phase's value,
    so the yearly review does not take it out of the community deaths."""
    res = _run(years=1.0, **STRONG)
    ev = res.events
    recognised = set(ev[(ev.kind == "end_of_life") & (ev.service == "recognised")].person)
    deaths = ev[ev.kind == "death"]
    marked = deaths[deaths.value == END_OF_LIFE_DEATH]
    assert set(marked.person) <= recognised
    assert marked.service.isin(HOSPITAL_STATES).any()
    assert set(deaths[deaths.person.isin(recognised) & (deaths.value != 1.0)].person) \
        == set(marked.person)


@pytest.mark.parametrize("path", sorted(Path("configs").glob("*.toml")), ids=lambda p: p.stem)
def test_no_arrangement_changes_an_end_of_life_effect(path):
    default = sim.load_config("fragmented").end_of_life
    section = sim.load_config(str(path)).end_of_life
    assert {f: getattr(section, f) for f in EFFECT_FIELDS} == \
        {f: getattr(default, f) for f in EFFECT_FIELDS}
    assert np.isfinite(section.slots)
