"""Standard NHS Continuing Healthcare for people already in care (``chc.*``, :mod:`sim.chc`).

Small runs check that the route off draws nothing and an idle route changes nothing; that CHC
spend is the CHC person-weeks at their prices (an identity) and the per-50,000 KPI their count;
that turning the route on moves money from the LA and the person to the NHS; that reviews
keep the stock steady; and that disputes arise only where the NHS and the LA are different
commissioners.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import sim
from sim.billing import DAYS_PER_WEEK
from sim.chc import REVIEW_DAYS
from sim.kpis_outcomes import AGED_65_PLUS_SHARE
from sim.model import Model
from sim.results import collect
from sim.schema_base import YEAR

from .conftest import small

PEOPLE = 8000
OFF = {"chc__in_care_checklist_share": 0.0, "chc__start_eligible_share": 0.0,
       "chc__start_home_eligible_share": 0.0}
ON = {"chc__in_care_checklist_share": 1.0, "chc__start_eligible_share": 0.5,
      "chc__start_home_eligible_share": 0.5}
#: no LA budget rationing, so that money moving between payers cannot move anyone
NO_RATIONING = {"budgets__rationing__mode": "off"}


def _model(name: str = "fragmented", years: float = 1.0, seed: int = 3, **overrides) -> Model:
    cfg = small(name, people=PEOPLE, years=years, **overrides)
    return Model(cfg, seed, 0, event_log=True).run()


def _kpis(res) -> pd.Series:
    return res.kpis.set_index("kpi")["value"]


def _person_days(ledger: pd.DataFrame, service: str, start: float, end: float) -> float:
    rows = ledger[(ledger["view"] == "cash") & (ledger["service"] == service)]
    a = rows["start_day"].to_numpy().clip(start, end)
    b = rows["end_day"].to_numpy().clip(start, end)
    return float((b - a).sum())


def test_route_off_draws_nothing_and_an_idle_route_changes_nothing():
    """With both shares 0 nothing is screened; with shares so small that nobody is screened
    or starts on CHC, only the route's own streams are drawn, so every table is identical."""
    off = sim.run(small(people=PEOPLE, **OFF), replications=1, seed=3, progress=False)
    idle = sim.run(small(people=PEOPLE, chc__in_care_checklist_share=1e-12,
                         chc__start_eligible_share=1e-12,
                         chc__start_home_eligible_share=1e-12),
                   replications=1, seed=3, progress=False)
    for table in ("daily", "monthly_costs", "monthly_resource", "budgets", "cost_shifting",
                  "discharges", "kpis"):
        pd.testing.assert_frame_equal(getattr(off, table), getattr(idle, table),
                                      check_exact=True, obj=table)
    assert "chc_home" not in set(off.monthly_costs["service"])


def test_chc_spend_is_person_weeks_at_the_prices_and_the_kpi_counts_them():
    m = _model(**ON)
    led = m.ledger.frame()
    cfg = m.cfg
    for service, week in (("chc", cfg.chc.week_gbp), ("chc_home", cfg.chc.home_week_gbp)):
        rows = led[(led["view"] == "cash") & (led["service"] == service)]
        days = (rows["end_day"] - rows["start_day"]).sum()
        assert days > 0, service
        assert math.isclose(rows["amount_gbp"].sum(), days * week / DAYS_PER_WEEK,
                            rel_tol=1e-9), service
    res = collect(m, 0, 3)
    warmup, horizon = m.warmup, m.horizon
    on_chc = sum(_person_days(led, s, warmup, horizon) for s in ("chc", "chc_home"))
    daily = res.daily
    alive = daily.loc[(daily["day"] >= math.floor(warmup)) & (daily["series"] == "alive"),
                      "count"].mean()
    expected = on_chc / (horizon - warmup) / (alive / AGED_65_PLUS_SHARE) * 50_000
    assert math.isclose(res.kpis["chc_eligible_per_50k"], expected, rel_tol=1e-9)


def test_the_route_moves_money_from_the_la_and_the_person_to_the_nhs():
    """Disputes off and no rationing: the NHS pays more, the LA and the people less. (Journeys
    move a little too, by design: a person on CHC needs no LA panel, and goes to a nursing
    home if they move to a care home.)"""
    off = sim.run(small(people=PEOPLE, chc__dispute_probability=0.0, **NO_RATIONING, **OFF),
                  replications=1, seed=3, progress=False)
    on = sim.run(small(people=PEOPLE, chc__dispute_probability=0.0, **NO_RATIONING, **ON),
                 replications=1, seed=3, progress=False)
    a, b = _kpis(off), _kpis(on)
    assert b["chc_eligible_per_50k"] > 3 * a["chc_eligible_per_50k"]
    assert b["cost_nhs_gbp"] > a["cost_nhs_gbp"]
    assert b["cost_la_gbp"] < a["cost_la_gbp"]
    assert b["cost_self_gbp"] < a["cost_self_gbp"]
    assert b["chc_cost_gbp"] > a["chc_cost_gbp"]


def test_reviews_keep_the_stock_steady_and_without_them_it_grows_more():
    """Over four years the stock of people on standard CHC in the last year is within 4
    Poisson sd of the first; with every review finding people ineligible it falls. The start
    share is the shipped one (ON's 0.5 overfills the starting stock, which then drains)."""
    def yearly_stock(review: float) -> np.ndarray:
        m = _model(years=4.0, warmup_days=60.0, chc__review_ineligible_share=review,
                   chc__in_care_checklist_share=1.0)
        led = m.ledger.frame()
        start = m.warmup
        return np.array([sum(_person_days(led, s, start + y * YEAR, start + (y + 1) * YEAR)
                             for s in ("chc", "chc_home")) / YEAR for y in range(4)])
    steady = yearly_stock(0.05)
    first, last = steady[0], steady[-1]
    assert abs(last - first) < 4 * math.sqrt(first + last), steady
    assert yearly_stock(1.0)[-1] < last


def test_each_review_costs_its_nurse_hours_and_moves_no_one():
    """Reviews are billed as assessor time (resource use): between review_hours 0 and 10 the
    ledger's assessment spend differs by exactly reviews x 10 h x the assessor's hourly cost,
    and nothing else in the run changes."""
    def run(hours: float) -> Model:
        return _model(years=2.0, chc__review_hours=hours, chc__start_eligible_share=0.5,
                      chc__start_home_eligible_share=0.5, **NO_RATIONING)
    none, ten = run(0.0), run(10.0)
    reviews = none.log.frame().query("kind == 'chc_review'")
    assert len(reviews) > 20 and set(reviews["detail"]) == {"eligible", "not_eligible"}
    def assessor_cost(m: Model) -> float:
        led = m.ledger.frame()
        return float(led.loc[(led["view"] == "resource") & (led["service"] == "assessment"),
                             "amount_gbp"].sum())
    rate = none.cfg.costs.nhs_assessor_hour_gbp
    assert assessor_cost(ten) - assessor_cost(none) == pytest.approx(len(reviews) * 10 * rate,
                                                                     rel=1e-9)
    pd.testing.assert_frame_equal(none.log.frame(), ten.log.frame(), check_exact=True)


def test_people_found_eligible_on_discharge_are_reviewed_yearly():
    """With the in-care route off, people found eligible on the discharge route are still
    reviewed: each first review comes a year after the decision, so no later than a year
    after the person's discharge into a care home; with every review finding them ineligible,
    CHC spend falls (fees back to the LA or the person)."""
    route = dict(chc__checklist_positive_share=0.9, chc__eligible_share=0.9,
                 chc__dispute_probability=0.0, **OFF, **NO_RATIONING)
    m = _model(years=2.5, chc__review_ineligible_share=0.0, **route)
    ev = m.log.frame()
    reviews = ev[ev.kind == "chc_review"].groupby("person")["time_days"].min()
    placed = ev[(ev.kind == "discharge") & (ev.service == "care_home")] \
        .groupby("person")["time_days"].min()
    assert len(reviews) > 10 and set(reviews.index) <= set(placed.index)
    assert (reviews - REVIEW_DAYS <= placed.loc[reviews.index] + 1e-9).all()
    ineligible = _model(years=2.5, chc__review_ineligible_share=1.0, **route)
    assert _person_days(ineligible.ledger.frame(), "chc", 0.0, ineligible.horizon) \
        < _person_days(m.ledger.frame(), "chc", 0.0, m.horizon)


#: the shipped pool does not pool CHC and care homes, so its NHS and LA still dispute; under
#: lead commissioning the LA commissions CHC and care homes alike
@pytest.mark.parametrize("name, disputes", [("fragmented", True), ("pooled", True),
                                            ("lead_commissioning", False)])
def test_in_care_disputes_only_where_nhs_and_la_commission_apart(name, disputes):
    m = _model(name, chc__dispute_probability=1.0,
               **ON)
    ev = m.log.frame()
    count = int((ev["kind"] == "chc_dispute").sum())
    assert (count > 0) == disputes, count
    assert m.ctx.rules.dispute_possible() == disputes
