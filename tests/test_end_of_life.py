"""End of life (``end_of_life.*``, issue 14): a recognised last phase of life before a share of
community deaths and of care-home residents' deaths, more crises in it, a terminal crisis,
community end-of-life teams that handle crises where the person lives, and fast-track CHC.

Small runs with the event log check that the phases off draw and change nothing whatever the
deployment, that more end-of-life capacity means a smaller share of deaths in hospital (with a
binomial tolerance), that the caseload never holds more people than its places, that fast-track
CHC spend is people x weeks x price and stops at a move into a care home, that deaths are not
added (within 4 Poisson sd), that a resident's phase keeps the death's time and moves deaths
into hospital, that the phases' crises are taken out of the published totals (an identity on the
hazards, and admissions with strong phases on and off within 4 Poisson sd), and that no shipped
arrangement changes an effect size.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate

import sim
from sim.end_of_life import END_OF_LIFE_DEATH
from sim.model import Model
from sim.people import IN_HOSPITAL
from sim.population import NURSING, RESIDENTIAL, STATE_NAMES
from sim.schema_base import YEAR

from .conftest import small

PEOPLE = 8000
#: the evidence fields; an arrangement may change only slots, fast_track_share and prices
EFFECT_FIELDS = ("recognised_share", "phase_mean_days", "crisis_hazard_ratio",
                 "terminal_crisis_share", "terminal_crisis_days", "home_share",
                 "care_home_recognised_share", "care_home_terminal_crisis_share")
#: both phases off
OFF = dict(end_of_life__recognised_share=0.0, end_of_life__care_home_recognised_share=0.0)
#: only the residents' phase on
RESIDENTS_ONLY = dict(end_of_life__recognised_share=0.0)
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
    """With both recognised shares 0 nobody enters a phase: journeys are the same with 0 or
    many end-of-life places (only the places' block contract is spent)."""
    none = _run(years=1.0, end_of_life__slots=0, **OFF)
    many = _run(years=1.0, end_of_life__slots=500, **OFF)
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
    """Standard CHC and residents' phases off: the CHC spend of the counting window is, for
    each fast-tracked person, the weeks from recognition to death, a move into a care home
    (whose fees then pay for the care) or the horizon inside the window, times the weekly
    price."""
    price = 1_000.0
    res = _run(years=2.0, people=20_000, chc__checklist_positive_share=0.0,
               chc__in_care_checklist_share=0.0, chc__start_eligible_share=0.0,
               chc__start_home_eligible_share=0.0,
               end_of_life__fast_track_week_gbp=price, end_of_life__fast_track_share=1.0,
               end_of_life__phase_mean_days=180.0, end_of_life__recognised_share=0.7,
               end_of_life__care_home_recognised_share=0.0)
    ev, cfg = res.events, res.config
    start, horizon = cfg.run.warmup_days, _horizon(cfg)
    fast = ev[(ev.kind == "end_of_life") & (ev.detail == "fast_track")]
    deaths = ev[ev.kind == "death"].set_index("person").time_days
    moves = ev[ev.kind == "care_home_admission"].groupby("person").time_days.max()
    days, moved = 0.0, 0
    for row in fast.itertuples():
        end = float(deaths.get(row.person, horizon))
        move = float(moves.get(row.person, math.inf))
        if row.time_days < move < end:
            end, moved = move, moved + 1
        days += max(0.0, min(end, horizon) - max(row.time_days, start))
    assert len(fast) > 10 and moved > 0
    spend = _kpi(res, "chc_cost_gbp") * (horizon - start) / YEAR    # the KPI is per year
    assert spend == pytest.approx(days / 7 * price, rel=1e-9)


def test_residents_fast_track_moves_money_not_people():
    """Residents' phases only, no rationing: fast-track CHC for them changes no journey (every
    event but the phase's own record is the same), the NHS pays more and the LA and the
    residents less, and the fast-track spend in care homes is, for each fast-tracked resident,
    the weeks from recognition to death or the horizon inside the window at ``chc.week_gbp``."""
    common = dict(years=1.5, people=10_000, budgets__rationing__mode="off",
                  chc__in_care_checklist_share=0.0, chc__start_eligible_share=0.0,
                  chc__start_home_eligible_share=0.0,
                  chc__checklist_positive_share=0.0, **RESIDENTS_ONLY)
    off = _run(end_of_life__fast_track_share=0.0, **common)
    on = _run(end_of_life__fast_track_share=1.0, **common)
    ev_off, ev_on = off.events, on.events
    assert (ev_off.drop(columns="detail").equals(ev_on.drop(columns="detail")))
    fast = ev_on[(ev_on.kind == "end_of_life") & (ev_on.detail == "care_home_fast_track")]
    assert len(fast) > 30
    assert _kpi(on, "cost_nhs_gbp") > _kpi(off, "cost_nhs_gbp")
    assert _kpi(on, "cost_la_gbp") < _kpi(off, "cost_la_gbp")
    assert _kpi(on, "cost_self_gbp") < _kpi(off, "cost_self_gbp")
    assert _kpi(off, "chc_fast_track_per_50k") == 0.0 < _kpi(on, "chc_fast_track_per_50k")
    cfg = on.config
    start, horizon = cfg.run.warmup_days, _horizon(cfg)
    deaths = ev_on[ev_on.kind == "death"].set_index("person").time_days
    days = sum(max(0.0, min(float(deaths.get(row.person, horizon)), horizon)
                   - max(row.time_days, start)) for row in fast.itertuples())
    spend = _kpi(on, "chc_cost_gbp") * (horizon - start) / YEAR    # the KPI is per year
    assert spend == pytest.approx(days / 7 * cfg.chc.week_gbp, rel=1e-9)


def test_deaths_are_not_added_by_the_phase():
    """The phase moves deaths in time and place, not in number: deaths in the window with it
    on and off agree within four Poisson standard deviations."""
    on = len(_window_deaths(_run(years=2.0, people=10_000)))
    off = len(_window_deaths(_run(years=2.0, people=10_000, **OFF)))
    assert abs(on - off) < 4 * math.sqrt(on + off), (on, off)


def test_deaths_in_the_phase_are_left_to_the_community_clock_by_the_review():
    """Every death of a person in the phase, wherever it happens, carries the phase's value,
    so the yearly review does not take it out of the community deaths."""
    res = _run(years=1.0, **STRONG)
    ev = res.events
    recognised = set(ev[(ev.kind == "end_of_life") & (ev.service == "recognised")
                        & ~ev.detail.str.startswith("care_home")].person)
    deaths = ev[ev.kind == "death"]
    marked = deaths[deaths.value == END_OF_LIFE_DEATH]
    assert set(marked.person) <= recognised
    assert marked.service.isin(HOSPITAL_STATES).any()
    assert set(deaths[deaths.person.isin(recognised) & (deaths.value != 1.0)].person) \
        == set(marked.person)


def _resident_deaths(res) -> pd.DataFrame:
    """Deaths of care-home residents: in their home, or in hospital after an admission from
    it (a place is held until death)."""
    ev = res.events
    deaths = _window_deaths(res)
    admitted = set(ev[ev.kind == "resident_admission"].person)
    in_home = deaths.service.isin(["residential", "nursing"])
    return deaths[in_home | (deaths.service.isin(HOSPITAL_STATES)
                             & deaths.person.isin(admitted))]


def test_a_residents_phase_keeps_the_time_of_death_and_leaves_it_to_the_care_home():
    """A resident's phase is placed before the stay's drawn end: a resident who dies in the
    home dies exactly at the phase's end, no one dies after it, and the death keeps value 0
    (the care home's route, which the yearly review takes out of the community's)."""
    res = _run(years=1.5, **RESIDENTS_ONLY)
    ev = res.events
    phases = ev[(ev.kind == "end_of_life") & (ev.service == "recognised")]
    assert phases.detail.str.startswith("care_home").all() and len(phases) > 30
    deaths = ev[ev.kind == "death"].set_index("person")
    died = phases[phases.person.isin(deaths.index)]
    assert len(died) > 20
    for row in died.itertuples():
        death = deaths.loc[row.person]
        end = row.time_days + row.value
        assert death.time_days <= end + 1e-6
        if death.service in ("residential", "nursing"):
            assert death.time_days == pytest.approx(end, abs=1e-6)
        assert death.value == 0.0


def test_residents_phase_moves_their_deaths_into_hospital_and_the_teams_move_them_back():
    """Among residents' deaths, the share in hospital is higher with the residents' phase on
    than off by more than three binomial sd of the difference; with ample end-of-life places
    the teams handle some of the residents' crises in the home and the share falls."""
    common = dict(people=15_000, years=2.0)
    off = _resident_deaths(_run(**common, **OFF))
    on = _resident_deaths(_run(**common, end_of_life__slots=0, **RESIDENTS_ONLY))
    ample_run = _run(**common, end_of_life__slots=2000, **RESIDENTS_ONLY)
    ample = _resident_deaths(ample_run)
    share = {k: d.service.isin(HOSPITAL_STATES).mean() for k, d in
             (("off", off), ("on", on), ("ample", ample))}
    p = (share["off"] + share["on"]) / 2
    sd = math.sqrt(p * (1 - p) * (1 / len(off) + 1 / len(on)))
    assert share["on"] - share["off"] > 3 * sd, (share, len(off), len(on))
    assert share["ample"] < share["on"], share
    ev = ample_run.events
    residents = set(ev[(ev.kind == "end_of_life") & ev.detail.str.startswith("care_home")].person)
    at_home = ev[(ev.kind == "end_of_life") & (ev.service == "crisis_at_home")]
    assert at_home.person.isin(residents).any()


def _community_totals(model: Model) -> tuple[np.ndarray, np.ndarray]:
    """(expected crises a year by band from the hazards and the community's phases, the
    published band totals) at the start of a run, computed from the people's own rates. The
    totals count crises before the avoided share; a phase's crises are never avoided, so each
    is 1 / (1 - avoided share) of them, as the residents' admissions are."""
    cfg, pop, hazards = model.cfg, model.pop, model.hazards
    c, eol = cfg.crisis, cfg.end_of_life
    avoided = cfg.avoidance.share if cfg.avoidance.direct_access else 0.0
    band, state = pop.column("band"), pop.column("state")
    n = np.bincount(band, minlength=3)
    rel = np.array(c.band_relative_rate)
    band_rate = c.rate_per_person_year * rel / float(n / n.sum() @ rel)
    readmit = 1 + band_rate * c.readmission_window_days / YEAR * (c.readmission_ratio - 1)
    rates = np.array([hazards.rates(pop, i, 0.0)[:2] for i in range(pop.n)]) * YEAR
    home = np.isin(state, [s.value for s in sim.population.COMMUNITY_AT_HOME])
    expected = np.zeros(3)
    for b in range(3):
        mine = home & (band == b)
        crises, deaths = rates[mine, 0] * readmit[b], rates[mine, 1]
        dying = float(deaths @ crises) / deaths.sum()     # crisis rate of those who die
        phases = eol.recognised_share * deaths.sum()
        phase_crises = phases * (eol.terminal_crisis_share + (eol.crisis_hazard_ratio - 1)
                                 * dying * eol.phase_mean_days / YEAR)
        residents = (((state == RESIDENTIAL) & (band == b)).sum() * c.residential_rate_per_year
                     + ((state == NURSING) & (band == b)).sum() * c.nursing_rate_per_year)
        expected[b] = crises.sum() + (phase_crises + residents) / (1 - avoided)
    return expected, band_rate * n


def test_community_phase_crises_are_inside_each_bands_published_total():
    """The phase's raised crises and terminal crises, added to everyone's ordinary crisis
    rate (and the residents' configured rates), give each band's published total: an
    expected-value identity on the starting population (the phase was 0.7% on top of it)."""
    model = Model(small(people=PEOPLE), seed=5, replication=0)
    assert model.cfg.end_of_life.recognised_share > 0
    assert not any(model.pop.unmet[:model.pop.n])
    expected, published = _community_totals(model)
    assert expected == pytest.approx(published, rel=1e-9)


def test_residents_phase_crises_are_inside_their_configured_rate():
    """A resident's admissions outside the phase (the crisis rate less the avoided share),
    plus the phase's expected crises (deaths per resident-year x recognised share x (raised
    crises over the mean phase + terminal share), none avoided), are the configured admissions
    per resident-year; the mean phase is E[min(phase, stay)] integrated here from the Weibull
    stay."""
    cfg = small(people=PEOPLE)
    model = Model(cfg, seed=5, replication=0)
    pop, hazards, m, c, eol = model.pop, model.hazards, cfg.mortality, cfg.crisis, cfg.end_of_life
    kept = 1 - (cfg.avoidance.share if cfg.avoidance.direct_access else 0.0)
    state = pop.column("state")
    for kind, rate, ratio in ((RESIDENTIAL, c.residential_rate_per_year, 1.0),
                              (NURSING, c.nursing_rate_per_year, m.nursing_los_ratio)):
        i = int(np.flatnonzero(state == kind)[0])
        crisis = hazards.rates(pop, i, 0.0)[0] * YEAR      # before the avoided share
        outside = crisis * kept
        scale, shape = hazards.care_home_scale * ratio, hazards.care_home_shape
        mean_phase = integrate.quad(
            lambda t: math.exp(-t / eol.phase_mean_days - (t / scale) ** shape), 0, math.inf)[0]
        deaths = YEAR / (m.care_home_los_mean_days * ratio)
        total = outside + deaths * eol.care_home_recognised_share * (
            (eol.crisis_hazard_ratio - 1) * crisis * mean_phase / YEAR
            + eol.care_home_terminal_crisis_share)
        assert outside < rate
        assert total == pytest.approx(rate, rel=1e-4)


def test_strong_residents_phases_leave_their_admission_rate_at_the_configured_rate():
    """Residents' phases beyond their ranges (nine in ten recognised, nine in ten ending in a
    terminal crisis, four times the crisis hazard), on against off, same people and seed, no
    end-of-life places: residents' admissions per resident-year agree within 4 Poisson sd,
    where the phases' crises on top of the configured rate would be well outside it. (The
    community's phases are checked by the identity above: on top of the rates they add ~3% of
    admissions even when this strong, which a run this small cannot tell from noise.)"""
    strong = dict(end_of_life__crisis_hazard_ratio=4.0, end_of_life__slots=0,
                  end_of_life__care_home_recognised_share=0.9,
                  end_of_life__care_home_terminal_crisis_share=0.9,
                  end_of_life__recognised_share=0.0)
    runs = [_run(years=2.0, people=10_000, **strong), _run(years=2.0, people=10_000, **OFF)]
    (n_on, years_on), (n_off, years_off) = (_resident_counts(r) for r in runs)
    sd = math.sqrt(n_on / years_on ** 2 + n_off / years_off ** 2)
    assert n_off > 300
    assert abs(n_on / years_on - n_off / years_off) < 4 * sd, (n_on, years_on, n_off, years_off)


def _resident_counts(res) -> tuple[int, float]:
    """(residents' emergency admissions, resident-years) after the warm-up."""
    warmup = res.config.run.warmup_days
    ev = res.events
    admissions = int(((ev.kind == "resident_admission") & (ev.time_days >= warmup)).sum())
    daily = res.daily
    window = daily[(daily["day"] >= warmup) & daily["series"].isin(["residential", "nursing"])]
    return admissions, float(window["count"].sum()) / YEAR


@pytest.mark.parametrize("path", sorted(Path("configs").glob("*.toml")), ids=lambda p: p.stem)
def test_no_arrangement_changes_an_end_of_life_effect(path):
    default = sim.load_config("fragmented").end_of_life
    section = sim.load_config(str(path)).end_of_life
    assert {f: getattr(section, f) for f in EFFECT_FIELDS} == \
        {f: getattr(default, f) for f in EFFECT_FIELDS}
    assert np.isfinite(section.slots)
