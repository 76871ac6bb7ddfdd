"""The outcome measures places report (sim.kpis_outcomes): each equals a hand computation.

The hand computations read a small run's full state log (``--event-log``), its discharge and
daily tables and the starting states, not the tracker the KPIs read, so the two paths check
each other. The QALY integrator is checked on a population held in one setting and frailty,
and the utilities in the config are shown to be what the KPI weighs time by.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim.experiments import run_replication
from sim.kpis_outcomes import USUAL_RESIDENCE, qalys
from sim.model import Model
from sim.outcome_tracking import AT_HOME, FOLLOW_UP_DAYS, SETTINGS, OutcomeTracker
from sim.population import CARE_HOME, HOME, HOME_CARE, STATE_NAMES, Population, State
from sim.results import collect
from sim.schema_base import FRAILTY_LEVELS, YEAR
from sim.schema_outcomes import Outcomes
from tests.conftest import small

SEED = 5
AT_HOME_NAMES = {STATE_NAMES[s] for s in AT_HOME}
IN_HOSPITAL_NAMES = {"acute_boarding", "acute_treatment", "acute_delayed"}
CARE_HOME_NAMES = {STATE_NAMES[s] for s in CARE_HOME}


@pytest.fixture(scope="module")
def tiny():
    """One replication of a small place with the full state log, and its starting states."""
    model = Model(small("fragmented", people=3000, years=1.0, warmup_days=30), SEED, 0,
                  event_log=True)
    start = model.pop.column("state")
    model.run()
    res = collect(model, 0, SEED)
    return SimpleNamespace(model=model, res=res, start=start, log=res.events,
                           kpi=dict(res.kpis))


def _states(log: pd.DataFrame) -> pd.DataFrame:
    return log[log["kind"] == "state"].sort_values("time_days", kind="stable")


def _in_window(frame: pd.DataFrame, model) -> pd.DataFrame:
    t = frame["time_days"]
    return frame[(t >= model.warmup) & (t < model.horizon)]


def test_at_home_91d_share_is_the_state_91_days_after_each_reablement_discharge(tiny):
    model, log = tiny.model, tiny.log
    states = _states(log)
    discharged = _in_window(log[(log["kind"] == "discharge") & (log["service"] == "reablement")],
                            model)
    discharged = discharged[discharged["time_days"] + FOLLOW_UP_DAYS < model.horizon]
    at_home = []
    for t0, i in zip(discharged["time_days"], discharged["person"]):
        mine = states[(states["person"] == i) & (states["time_days"] <= t0 + FOLLOW_UP_DAYS)]
        at_home.append(mine["service"].iloc[-1] in AT_HOME_NAMES)
    assert len(at_home) > 20
    assert tiny.kpi["at_home_91d_share"] == pytest.approx(np.mean(at_home), abs=1e-12)


def test_usual_residence_share_is_the_discharges_back_where_they_lived(tiny):
    d = tiny.res.discharges
    expected = d["destination"].isin(USUAL_RESIDENCE).mean()
    assert 0 < expected < 1
    assert tiny.kpi["usual_residence_discharge_share"] == pytest.approx(expected, abs=1e-12)
    # a new care-home place or an intermediate-care bed is never the usual residence
    assert not USUAL_RESIDENCE & {"care_home", "intermediate_care"}


def test_hospital_death_share_is_deaths_from_a_hospital_state(tiny):
    model, states = tiny.model, _states(tiny.log)
    before = states.groupby("person")["service"].shift()      # the state each move left
    # people who die without having moved die in the state they started in
    start = pd.Series([STATE_NAMES[s] for s in tiny.start])
    before = before.fillna(states["person"].map(start))
    deaths = _in_window(states[(states["service"] == "dead")].assign(was=before), model)
    expected = deaths["was"].isin(IN_HOSPITAL_NAMES).mean()
    assert len(deaths) > 20 and 0 < expected < 1
    assert tiny.kpi["hospital_death_share"] == pytest.approx(expected, abs=1e-12)


def test_care_home_resident_admission_rate_counts_residents_going_to_hospital(tiny):
    model, states = tiny.model, _states(tiny.log)
    start = pd.Series([STATE_NAMES[s] for s in tiny.start])
    was = states.groupby("person")["service"].shift()
    was = was.fillna(states["person"].map(start))
    boarding = _in_window(states.assign(was=was), model)
    admissions = int(((boarding["service"] == "acute_boarding")
                      & boarding["was"].isin(CARE_HOME_NAMES)).sum())
    daily = tiny.res.daily
    window = daily[(daily["day"] >= model.warmup) & daily["series"].isin(CARE_HOME_NAMES)]
    resident_years = window["count"].sum() / YEAR
    assert admissions > 10
    assert tiny.kpi["care_home_resident_admission_rate"] == pytest.approx(
        admissions / resident_years, rel=1e-12)


def test_care_home_admissions_per_100k_is_admissions_over_person_years(tiny):
    model, log, daily = tiny.model, tiny.log, tiny.res.daily
    admissions = len(_in_window(log[log["kind"] == "care_home_admission"], model))
    alive = daily[(daily["day"] >= model.warmup) & (daily["series"] == "alive")]
    expected = admissions / (alive["count"].sum() / YEAR) * 100_000
    assert admissions > 10
    assert tiny.kpi["care_home_admissions_per_100k"] == pytest.approx(expected, rel=1e-12)


def test_person_time_by_setting_adds_up_to_the_daily_occupancy(tiny):
    """The QALY person-time, summed over frailty, is each setting's occupied person-time."""
    model, daily = tiny.model, tiny.res.daily
    window = daily[daily["day"] >= model.warmup]
    by_series = window.groupby("series")["count"].sum() / YEAR
    members = {"home": ("home", "home_waiting_care"), "home_care": ("home_care",),
               "reablement_ic": ("reablement", "ic_bed"),
               "acute": ("acute_boarding", "acute_treatment", "acute_delayed"),
               "care_home": ("residential", "nursing")}
    pt = model.outcomes.frame().groupby("setting")["person_years"].sum()
    for setting, series in members.items():
        assert pt[setting] == pytest.approx(by_series[list(series)].sum(), rel=1e-9), setting


def test_no_follow_up_fits_before_the_horizon_gives_nan_not_a_crash():
    """A counting window shorter than 91 days: no discharge can be followed up."""
    res = run_replication(small("fragmented", people=1500, years=60 / YEAR, warmup_days=20),
                          SEED, 0)
    assert math.isnan(res.kpis["at_home_91d_share"])
    others = {k: v for k, v in res.kpis.items() if k != "at_home_91d_share"}
    assert all(math.isfinite(v) for v in others.values())


def _held(people: int, state: int, frailty: int, warmup: float, horizon: float):
    """A tracker over ``people`` people held in one state and frailty level throughout."""
    pop = Population(people)
    pop.add({"birth_time": np.full(people, -70 * YEAR), "frailty": np.full(people, frailty),
             "state": np.full(people, state)})
    tracker = OutcomeTracker(pop, SimpleNamespace(record=None), warmup, horizon)
    tracker.start(people)
    return pop, tracker


@pytest.mark.parametrize("state, setting", [(HOME, "home"), (HOME_CARE, "home_care"),
                                            (int(State.NURSING), "care_home")])
def test_a_population_held_in_one_setting_lives_utility_times_time_times_people(state, setting):
    people, warmup, horizon, frailty = 7, 30.0, 30.0 + 2 * YEAR, 2
    _pop, tracker = _held(people, state, frailty, warmup, horizon)
    tracker.finish()
    utilities = Outcomes()
    d = SimpleNamespace(person_time=tracker.frame(), utilities=utilities,
                        years=(horizon - warmup) / YEAR)
    u = getattr(utilities, f"utility_{setting}")[frailty]
    assert qalys(d) * d.years == pytest.approx(u * 2 * people, rel=1e-12)
    pt = tracker.frame().set_index(["setting", "frailty"])["person_years"]
    assert pt.sum() == pytest.approx(2 * people, rel=1e-12)
    assert pt[(setting, FRAILTY_LEVELS[frailty])] == pytest.approx(2 * people, rel=1e-12)


def test_a_frailty_change_and_a_move_split_person_time_at_the_moment_they_happen():
    pop, tracker = _held(1, HOME, 0, 10.0, 110.0)
    tracker.frailty_changed(0, 40.0)        # fit home 10-40, mild home 40-70
    pop.frailty[0] = 1
    tracker.moved(0, HOME, HOME_CARE, 70.0)  # mild home care 70-110
    pop.state[0] = HOME_CARE
    tracker.finish()
    pt = tracker.frame().set_index(["setting", "frailty"])["person_years"] * YEAR
    assert pt[("home", "fit")] == pytest.approx(30.0)
    assert pt[("home", "mild")] == pytest.approx(30.0)
    assert pt[("home_care", "mild")] == pytest.approx(40.0)
    assert pt.sum() == pytest.approx(100.0)
    assert set(tracker.frame()["setting"]) == set(SETTINGS)


def test_changing_a_utility_changes_qalys_and_nothing_else():
    base = small("fragmented", people=1500, years=0.5, warmup_days=20)
    lower = small("fragmented", people=1500, years=0.5, warmup_days=20,
                  outcomes__utility_home=[0.5, 0.4, 0.3, 0.2])
    a, b = run_replication(base, SEED, 0).kpis, run_replication(lower, SEED, 0).kpis
    assert b["qalys"] < a["qalys"]
    assert {k: v for k, v in a.items() if k != "qalys"} == \
        {k: v for k, v in b.items() if k != "qalys"}
