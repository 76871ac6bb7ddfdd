"""People waiting at home for home care may give up (``home_care.community_patience_days``,
sim.community_care): queueing with abandonment.

Checks: the give-ups of a run against the theory of exponential patience (a Poisson count
whose mean is the person-days spent waiting at home over the mean patience), where the people
who give up go (home, need unmet) and who never does (patients waiting in hospital), and the
direction of the mechanism on a market that cannot meet every need: a shorter waiting list at
home and shorter hospital waits for a package. That the field changes behaviour is also
tests/test_fields.py's parametrised check over the schema.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.community_care import AT_HOME_QUEUE
from sim.model import Model
from sim.population import HOME

from .test_care_market import churn

#: a market with far fewer hours than needs, so that a queue at home forms and persists
TIGHT = {"home_care__capacity_hours_per_week": 600.0}


def _give_ups(m: Model):
    events = m.log.frame()
    return events[events["kind"] == "gave_up_waiting"]


def test_give_ups_are_poisson_in_the_person_days_spent_waiting_at_home():
    """Each person waiting at home has an exponential patience (mean theta) started when they
    join the queue, so give-ups arrive at rate (people waiting at home) / theta: the count over
    a run is a martingale around the person-days waiting at home over theta, with a Poisson
    variance. Four standard deviations."""
    theta = 15.0
    m = Model(churn(years=2.0, home_care__community_patience_days=theta, **TIGHT), seed=5,
              replication=0).run()
    occ = m.occupancy
    days = occ.days_closed
    lengths = np.ones(days)
    lengths[-1] = m.horizon - (days - 1)                 # the last day may be partial
    person_days = float(occ.daily[:days, occ.index[AT_HOME_QUEUE]] @ lengths)
    expected = person_days / theta
    observed = len(_give_ups(m))
    assert expected > 100                                # a test with power
    assert abs(observed - expected) < 4 * math.sqrt(expected), (observed, expected)


def test_people_who_give_up_go_home_with_their_need_unmet_and_patients_never_give_up():
    m = Model(churn(home_care__community_patience_days=10.0, **TIGHT), seed=2, replication=0,
              event_log=True).run()
    events = m.log.frame()
    gave_up = _give_ups(m)
    assert len(gave_up) > 20
    states = events[events["kind"] == "state"]
    for t, i, waited in zip(gave_up["time_days"], gave_up["person"], gave_up["value"]):
        mine = states[states["person"] == i]
        before = mine[mine["time_days"] < t - 1e-12]
        at = mine[np.isclose(mine["time_days"], t)]
        # waiting at home until then (never in hospital), home from that moment
        assert before["service"].iloc[-1] == "home_waiting_care", i
        assert at["service"].iloc[0] == "home", i
        assert 0 <= waited <= t
    # those still at home at the end on the need they gave up on keep it unmet
    state, unmet = m.pop.column("state"), m.pop.column("unmet")
    mine = events[events["person"].isin(gave_up["person"]) & (events["kind"] != "state")]
    last = mine.groupby("person").tail(1)
    still = last[(last["kind"] == "gave_up_waiting") & (state[last["person"]] == HOME)]
    assert len(still) > 0 and all(unmet[still["person"]])


def test_giving_up_holds_the_waiting_list_of_a_market_that_cannot_meet_every_need():
    """Same tight market, with and without patience: people leave the list at home, so it is
    shorter, and patients in hospital reach the hours sooner (the queue is shared)."""
    def run(patience):
        res = sim.run(churn(years=1.5, home_care__community_patience_days=patience,
                            home_care__capacity_hours_per_week=900.0),
                      replications=1, seed=3, progress=False)
        kpi = res.kpis.set_index("kpi")["value"]
        d = res.discharges
        return kpi, float(d.loc[d["destination"] == "home_care", "delay_days"].mean())

    (off, off_wait), (on, on_wait) = run(0.0), run(10.0)
    assert off["home_care_gave_up"] == 0 < on["home_care_gave_up"]
    assert on["home_care_waiting_mean"] < 0.8 * off["home_care_waiting_mean"]
    assert on_wait < off_wait


@pytest.mark.parametrize("patience", [0.0, 30.0])
def test_the_queue_at_home_is_part_of_the_queue_for_hours(patience):
    m = Model(churn(home_care__community_patience_days=patience, **TIGHT), seed=4,
              replication=0).run()
    occ = m.occupancy
    at_home = occ.daily[:occ.days_closed, occ.index[AT_HOME_QUEUE]]
    whole = occ.daily[:occ.days_closed, occ.index["waiting:home_care_hours"]]
    assert at_home.max() > 0
    assert np.all(at_home <= whole + 1e-9)
