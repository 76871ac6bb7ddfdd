"""Bed days released, classed as a finance director classes them (issue 13 item 5).

Cash-releasing (beds closed, packages not bought), non-cash-releasing (funded beds left empty,
valued at the elective bed-day value) and cost avoided (escalation beds not opened): each class
is the paired difference of per-run KPIs, checked here against hand computations, and the
compare report shows one line for each. Reinvestment draws by default only on cash released by
closed beds, never on budget headroom, and each reinvestment records which it drew on.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

import sim
from sim import benefits, plots
from sim.model import Model
from sim.report import write_report
from sim.report_benefits import benefits_html
from sim.results import collect

from .conftest import small
from .test_report import section

SEED = 3
#: the NHS budget at the default's NHS spend with standard CHC for people already in care
#: (sim.chc moved ~£4.2m a year of care-home and home-care fees to the NHS; the shipped
#: budgets.nhs_gbp_per_year, £68m, predates it), so the NHS underspends as before and has
#: released cash to reinvest
NHS_BUDGET = 72_500_000.0 * 3000 / 55_200
CLOSING = {"savings__bed_closure": True, "savings__closure_occupancy_threshold": 0.99,
           "budgets__nhs_gbp_per_year": NHS_BUDGET}


def _kpis(model) -> dict[str, float]:
    return collect(model, 0, SEED).kpis


@pytest.fixture(scope="module")
def closing_model():
    """A small place whose bed-closure review closes beds, reinvesting released cash."""
    cfg = small("fragmented", people=3000, years=1.5, warmup_days=30.0,
                savings__reinvest_share=1.0, **CLOSING)
    return Model(cfg, seed=SEED, replication=0).run()


def test_closed_bed_cash_is_beds_closed_times_days_closed_times_the_block_price(closing_model):
    m = closing_model
    assert m.savings.closures, "the review was expected to close beds"
    price = m.cfg.costs.acute_bed_day_gbp
    years = (m.horizon - m.warmup) / 365.25
    by_hand = sum(count * (m.horizon - max(t, m.warmup)) * price
                  for t, count, _payer in m.savings.closures) / years
    kpis = _kpis(m)
    assert kpis["closed_bed_cash_gbp"] == pytest.approx(by_hand, rel=1e-6)
    # the same money is missing from the acute block contracts in the ledger
    led = m.ledger.frame()
    block = led[(led["service"] == "acute") & (led["person"] == -1) & (led["view"] == "cash")]
    end = block["end_day"].fillna(m.horizon).clip(upper=m.horizon)
    paid = float(((end - block["start_day"].clip(lower=m.warmup)).clip(lower=0)
                  * block["rate_gbp_per_day"]).sum())
    full = m.cfg.acute.beds * price * (m.horizon - m.warmup)
    assert (full - paid) / years == pytest.approx(kpis["closed_bed_cash_gbp"], rel=1e-6)


def test_empty_bed_value_is_funded_less_occupied_bed_days_at_the_elective_value(closing_model):
    m = closing_model
    daily = m.occupancy.frame(m.cfg.run.start_date)
    window = daily[daily["day"] >= m.warmup]
    led = m.ledger.frame()
    esc = led[(led["service"] == "escalation") & (led["view"] == "cash")]
    esc_days = float((esc["end_day"].fillna(m.horizon).clip(upper=m.horizon)
                      - esc["start_day"].clip(lower=m.warmup)).clip(lower=0).sum())
    occupied = float((window["acute_treatment"] + window["acute_delayed"]).sum())
    empty = float(window["funded:acute_beds"].sum()) - (occupied - esc_days)
    years = (m.horizon - m.warmup) / 365.25
    kpis = _kpis(m)
    assert empty > 0
    assert kpis["empty_bed_value_gbp"] == pytest.approx(
        empty * m.cfg.costs.elective_bed_day_gbp / years, rel=1e-6)
    # escalation cash is the escalation bed days at their price
    assert kpis["escalation_cost_gbp"] == pytest.approx(
        esc_days * m.cfg.costs.escalation_bed_day_gbp / years, rel=1e-6)


def test_reinvestment_of_released_cash_never_exceeds_the_cash_released(closing_model):
    m = closing_model
    assert m.savings.reinvestments, "released cash was expected to be reinvested"
    price = m.cfg.costs.acute_bed_day_gbp
    for r in m.savings.reinvestments:
        released = sum(count * price * max(0.0, r.decided - max(t, 0.0))
                       for t, count, payer in m.savings.closures if payer == r.budget)
        assert 0 < r.amount_gbp <= released + 1e-6
        assert r.amount_gbp <= r.underspend_gbp + 1e-6
        assert r.from_released_gbp == pytest.approx(r.amount_gbp)
        assert r.from_headroom_gbp == 0 and r.source == "released cash"
    assert {r.budget for r in m.savings.reinvestments} == {m.cfg.funding.commissioner["acute"]}


def test_released_cash_already_reinvested_is_not_reinvested_again():
    """Beds closed in year one release cash every year; a recurrent reinvestment of year
    one's release is paid from year two's, so year two offers only the rest, and over the
    years no more than the yearly release is reinvested in all."""
    cfg = small("fragmented", people=3000, years=2.2, warmup_days=30.0,
                savings__reinvest_share=1.0, **CLOSING)
    m = Model(cfg, seed=SEED, replication=0).run()
    price = m.cfg.costs.acute_bed_day_gbp
    first, second = m.savings.reinvestments
    assert all(t < first.decided for t, _count, _payer in m.savings.closures)
    closed = sum(count for _t, count, _payer in m.savings.closures)
    year_two = closed * price * (second.decided - first.decided)
    assert second.released_gbp == pytest.approx(year_two - first.amount_gbp)
    assert 0 < first.amount_gbp + second.amount_gbp <= year_two + 1e-6


def test_nothing_is_reinvested_from_released_cash_when_no_bed_closes():
    """A place with a year-end underspend but no bed closed reinvests nothing by default;
    told to reinvest its underspend, it does, and records it all as headroom."""
    cfg = small("fragmented", years=1.5, warmup_days=30.0, savings__reinvest_share=1.0)
    m = Model(cfg, seed=SEED, replication=0).run()
    assert not m.savings.closures and not m.savings.reinvestments
    assert _kpis(m)["reinvested_gbp"] == 0
    cfg = small("fragmented", years=1.5, warmup_days=30.0, savings__reinvest_share=1.0,
                savings__reinvest_source="underspend")
    m = Model(cfg, seed=SEED, replication=0, event_log=True).run()
    assert m.savings.reinvestments
    assert all(r.source == "headroom" for r in m.savings.reinvestments)
    log = m.log.frame()
    details = log.loc[log["kind"] == "reinvestment", "detail"]
    assert len(details) and details.str.contains("from headroom").all()


def test_yearly_growth_is_measured_only_over_two_years_or_more():
    days = pd.Series(np.arange(3 * 365), dtype=float)
    beds = 100 * 1.02 ** (days / 365.25)
    assert benefits.yearly_growth(beds, days) == pytest.approx(0.02, abs=1e-3)
    short = days[days < 700]
    assert benefits.yearly_growth(beds[short.index], short) is None


def test_classes_are_signed_paired_differences():
    rows = [("acute_bed_days", -300.0), ("closed_bed_cash_gbp", 50.0),
            ("package_cost_gbp", -20.0), ("empty_bed_value_gbp", 90.0),
            ("escalation_cost_gbp", -30.0)]
    paired = pd.DataFrame({"scenario": "s", "base": "b", "kpi": [k for k, _ in rows],
                           "difference": [v for _, v in rows]})
    c = benefits.classify(paired, "s")
    assert c["cash_releasing"]["total"] == 70.0     # 50 closed + 20 fewer packages
    assert c["non_cash_releasing"]["total"] == 90.0
    assert c["cost_avoided"]["total"] == 30.0
    assert c["bed_days_released"]["total"] == 300.0


def test_compare_report_shows_the_three_benefit_lines(tmp_path):
    closing = small("fragmented", people=3000, years=1.2, warmup_days=30.0, **CLOSING,
                    savings__reinvest_share=1.0)
    configs = [small("fragmented", people=3000, years=1.2, warmup_days=30.0),
               sim.with_overrides(closing, {"name": "closing"})]
    runs, diffs = sim.compare(configs, 2, SEED, progress=False)
    folder = tmp_path / "compare"
    for r in runs:
        r.save(folder / r.config.name)
    diffs.to_parquet(folder / "paired_differences.parquet", index=False)
    html = write_report(folder, tmp_path / "report.html").read_text()
    text = section(html, "benefits")
    lines = ["Acute bed days released a year", "Cash-releasing: acute block cash",
             "Cash-releasing: public cash on care packages", "Non-cash-releasing: capacity freed",
             "Cost avoided: escalation beds not opened", "Cash-releasing, total"]
    for line in lines:
        assert text.count(line) == 1, line
    assert "too short" in text          # under two years: growth is not measured
    assert "closing reinvested" in text and "only cash released by closed beds" in text
    # the benefits are nowhere in the lead findings, and only a comparison has them
    assert "Non-cash-releasing" not in section(html, "findings")
    run_html = write_report(folder / "fragmented", tmp_path / "run.html").read_text()
    assert 'id="benefits"' not in run_html
    # an old folder without the benefit KPIs gets no benefit section
    old = tmp_path / "old"
    shutil.copytree(folder, old)
    diffs[diffs["kpi"] != "closed_bed_cash_gbp"].to_parquet(
        old / "paired_differences.parquet", index=False)
    assert benefits_html(plots.load_folder(old)) == ""
