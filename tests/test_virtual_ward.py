"""Virtual wards / hospital at home (``virtual_ward.*``, issue 14): concurrent places for frail
people's crises at home; a suitable crisis is treated at home while a place is free, and a
share of stays is escalated to an emergency admission.

Small runs with the event log check that no places means no lever (identical tables), that the
places bind (never more stays at once than beds), the suitable and escalated shares (binomial
tolerance), the direction (more places, fewer admissions) and the block cost identity.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import sim
from sim.schema_base import YEAR

from .conftest import small

PEOPLE = 6000
#: nothing else handles a crisis before the virtual ward or at the front door
ALONE = {"frailty_unit__assessments_per_day": 0, "avoidance__direct_access": False}


def _run(**overrides):
    cfg = small(people=PEOPLE, **overrides)
    return sim.run(cfg, replications=1, seed=5, progress=False, event_log=True)


def _kpis(res) -> pd.Series:
    return res.kpis.set_index("kpi")["value"]


def _ward(res, service: str | None = None) -> pd.DataFrame:
    ev = res.events[res.events.kind == "virtual_ward"]
    return ev if service is None else ev[ev.service == service]


def test_no_places_draws_nothing_and_a_ward_that_takes_no_one_changes_only_its_cost():
    """beds 0 logs nothing; beds > 0 with nobody suitable draws only its own stream, so every
    other event, the daily table and the journeys' KPIs are bit-identical."""
    none = _run(virtual_ward__beds=0)
    idle = _run(virtual_ward__beds=20, virtual_ward__suitable_share=0.0)
    assert len(_ward(none)) == 0
    assert len(_ward(idle)) == len(_ward(idle, "unsuitable")) > 100
    others = idle.events[idle.events.kind != "virtual_ward"].reset_index(drop=True)
    pd.testing.assert_frame_equal(none.events, others, check_exact=True)
    pd.testing.assert_frame_equal(none.daily, idle.daily, check_exact=True)
    a, b = _kpis(none), _kpis(idle)
    journeys = ["emergency_admissions", "acute_bed_days", "deaths", "care_home_admissions",
                "avoided_crises", "readmission_30d_share"]
    assert a[journeys].tolist() == b[journeys].tolist()
    assert b["virtual_ward_stays"] == 0
    assert b["total_cost_gbp"] > a["total_cost_gbp"]


@pytest.mark.parametrize("beds, share, open_places", [(2, 1.0, 2), (5, 0.4, 2)])
def test_never_more_stays_at_once_than_places(beds, share, open_places):
    """Only beds x replaces_admission_share places take the model's crises (the rest serve
    people outside its crisis stream)."""
    res = _run(virtual_ward__beds=beds, virtual_ward__suitable_share=1.0,
               virtual_ward__replaces_admission_share=share,
               virtual_ward__min_frailty=0, **ALONE)
    stays = _ward(res, "admitted")
    assert len(_ward(res, "full")) > 50           # the places bind
    starts = stays.time_days.to_numpy()
    ends = starts + stays.value.to_numpy()
    # the number on the ward just after each start
    at_once = [int(((starts <= t) & (ends > t)).sum()) for t in starts]
    assert max(at_once) == open_places


def test_suitable_crises_are_the_evidence_share_of_those_considered():
    share = 0.3
    res = _run(virtual_ward__beds=500, virtual_ward__suitable_share=share, **ALONE)
    considered = _ward(res)
    considered = considered[considered.service.isin(["unsuitable", "full", "admitted"])]
    n = len(considered)
    suitable = int((considered.service != "unsuitable").sum())
    assert n > 300 and len(_ward(res, "full")) == 0      # the places never bind
    assert abs(suitable - n * share) <= 4 * math.sqrt(n * share * (1 - share))


def test_escalations_are_the_evidence_share_of_stays_and_the_rest_are_avoided_crises():
    share = 0.25
    res = _run(virtual_ward__beds=500, virtual_ward__suitable_share=0.8,
               virtual_ward__min_frailty=0, virtual_ward__readmission_share=share, **ALONE)
    escalated, home = len(_ward(res, "escalated")), len(_ward(res, "home"))
    n = escalated + home
    assert n > 300
    assert abs(escalated - n * share) <= 4 * math.sqrt(n * share * (1 - share))
    avoided = res.events[(res.events.kind == "crisis_avoided")
                         & (res.events.service == "virtual_ward")]
    assert len(avoided) == home
    # each escalation is an emergency admission of that person at that moment
    adm = res.events[res.events.kind == "admission"]
    esc = _ward(res, "escalated")
    admitted_then = esc.merge(adm, on=["person", "time_days"], how="left",
                              suffixes=("", "_adm")).kind_adm.notna()
    assert admitted_then.mean() > 0.95     # the rest waited for a bed (ED boarding) first


def test_more_places_mean_fewer_emergency_admissions():
    wide = {"virtual_ward__suitable_share": 0.6, "virtual_ward__min_frailty": 1}
    few = _kpis(_run(virtual_ward__beds=1, **wide))
    many = _kpis(_run(virtual_ward__beds=40, **wide))
    assert many["virtual_ward_stays"] > 3 * few["virtual_ward_stays"]
    gained = many["avoided_crises"] - few["avoided_crises"]
    sd = math.sqrt(few["emergency_admissions"] + many["emergency_admissions"])
    assert gained > 4 * math.sqrt(max(gained, 1.0))
    assert many["emergency_admissions"] < few["emergency_admissions"] - 2 * sd


def test_the_places_are_a_block_paid_whether_or_not_they_are_used():
    """Cash a year differs by exactly beds x price change x 365.25, whatever the stays did;
    the journeys are the same (the price moves no one)."""
    a = _kpis(_run(virtual_ward__beds=5))
    b = _kpis(_run(virtual_ward__beds=5, virtual_ward__cost_per_bed_day_gbp=300.0))
    payer = "cost_nhs_gbp"
    assert b[payer] - a[payer] == pytest.approx(5 * 100.0 * YEAR, rel=1e-9)
    assert a["emergency_admissions"] == b["emergency_admissions"]
    assert np.isclose(b["total_cost_gbp"] - a["total_cost_gbp"], 5 * 100.0 * YEAR)
