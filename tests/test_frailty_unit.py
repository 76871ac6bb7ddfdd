"""Front-door frailty assessment (``frailty_unit.*``, issue 14): a daily capacity of
assessments for frail people in crisis; an assessed person goes home the same day at the
evidence's share, and one admitted has a shorter treatment stay.

Small runs with the event log check the capacity (never more assessments in a day than the
quota), the same-day share (binomial tolerance), that an assessment with no effect changes
nothing but the count and the cost, the directions, and the block cost identity.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

import sim
from sim.schema_base import YEAR

from .conftest import small

PEOPLE = 6000
NO_EFFECT = {"frailty_unit__same_day_share": 0.0, "frailty_unit__los_reduction": 0.0}


def _run(**overrides):
    cfg = small(people=PEOPLE, **overrides)
    return sim.run(cfg, replications=1, seed=5, progress=False, event_log=True)


def _kpis(res) -> pd.Series:
    return res.kpis.set_index("kpi")["value"]


def _assessments(res) -> pd.DataFrame:
    return res.events[res.events.kind == "frailty_assessment"]


def test_the_team_never_assesses_more_people_in_a_day_than_its_slots():
    res = _run(frailty_unit__assessments_per_day=1, frailty_unit__min_frailty=0)
    per_day = _assessments(res).time_days.floordiv(1).value_counts()
    assert per_day.max() == 1
    # at a place of 6,000 people ~4 crises a day reach the door: nearly every day uses its slot
    assert len(per_day) > 0.9 * (res.config.run.years * YEAR + res.config.run.warmup_days)


def test_same_day_discharges_are_the_evidence_share_of_the_assessed():
    share = 0.4
    res = _run(frailty_unit__same_day_share=share, frailty_unit__assessments_per_day=50)
    assessed = _assessments(res)
    n, home = len(assessed), int((assessed.service == "home").sum())
    assert n > 300
    assert abs(home - n * share) <= 4 * math.sqrt(n * share * (1 - share))
    avoided = res.events[(res.events.kind == "crisis_avoided")
                         & (res.events.service == "frailty_unit")]
    assert len(avoided) == home


def test_an_assessment_with_no_effect_changes_only_the_count_and_the_cost():
    none = _kpis(_run(frailty_unit__assessments_per_day=0))
    idle = _kpis(_run(frailty_unit__assessments_per_day=50, **NO_EFFECT))
    assert none["frailty_assessments"] == 0 < idle["frailty_assessments"]
    same = ["emergency_admissions", "acute_bed_days", "delayed_bed_days", "deaths",
            "care_home_admissions", "home_care_clients_end", "avoided_crises"]
    assert none[same].tolist() == idle[same].tolist()
    assert idle["total_cost_gbp"] > none["total_cost_gbp"]


@pytest.mark.parametrize("field, kpi", [("frailty_unit__same_day_share", "emergency_admissions"),
                                        ("frailty_unit__los_reduction", "acute_bed_days")])
def test_a_stronger_effect_cuts_admissions_or_bed_days(field, kpi):
    base = {**NO_EFFECT, "frailty_unit__assessments_per_day": 50}
    weak = _kpis(_run(**base))
    strong = _kpis(_run(**{**base, field: 0.4}))
    assert strong[kpi] < 0.98 * weak[kpi]


def test_the_team_is_a_block_paid_whether_or_not_it_assesses():
    """Cash per year differs by exactly slots x price change x 365.25 (the block), whatever the
    assessments did; the journeys are the same (the price moves no one)."""
    a = _kpis(_run(frailty_unit__assessments_per_day=5))
    b = _kpis(_run(frailty_unit__assessments_per_day=5,
                   frailty_unit__cost_per_assessment_gbp=250.0))
    assert b["cost_nhs_gbp"] - a["cost_nhs_gbp"] == pytest.approx(5 * 100.0 * YEAR, rel=1e-9)
    assert a["emergency_admissions"] == b["emergency_admissions"]
