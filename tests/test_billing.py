"""Billing rules: the pool's year end is split by what each funder actually contributed, and
only whole financial years are settled; a contribution is a share or an amount, not both."""

from __future__ import annotations

import pytest

import sim
from sim.billing import risk_share_nhs
from sim.experiments import run_replication
from sim.model import Model
from tests.conftest import small

SEED = 4


def _budgets(cfg):
    return run_replication(cfg, SEED, 0).budgets


def _shares_only(**overrides):
    """The pooled arrangement with both contributions given as shares of budgets."""
    return small("pooled", people=3000, years=1.5,
                 funding__pool__nhs_contribution_gbp_per_year=0.0,
                 funding__pool__la_contribution_gbp_per_year=0.0, **overrides)


def test_proportional_risk_share_follows_contributions_given_as_shares():
    """A funder that put nothing in gets nothing back (it got ~6% of the refund before)."""
    cfg = _shares_only(funding__pool__nhs_contribution_share=0.0,
                       funding__pool__la_contribution_share=0.9)
    table = _budgets(cfg)
    settled = table[table["year_end"]]
    assert settled["funder"].eq("pool").any()
    pool = settled.loc[settled["funder"] == "pool", "balance_ytd_gbp"].to_numpy()
    assert abs(pool).sum() > 0
    assert (table.loc[table["funder"] == "nhs", "risk_share_gbp"] == 0).all()
    la = settled.loc[settled["funder"] == "la", "risk_share_gbp"].to_numpy()
    assert la == pytest.approx(-pool)


def test_each_year_is_split_by_that_years_contributions():
    cfg = small("pooled", people=3000, years=1.5, budgets__nhs_yearly_change=0.10,
                budgets__la_yearly_change=-0.10)
    rules = Model(cfg, seed=SEED, replication=0).funding
    for year in (0, 1, 2):
        nhs, la = rules.contribution("nhs", year), rules.contribution("la", year)
        assert risk_share_nhs(rules, year) == pytest.approx(nhs / (nhs + la))
    assert risk_share_nhs(rules, 2) > risk_share_nhs(rules, 0)


def test_a_year_the_run_ends_inside_is_left_open():
    """1.5 years from 1 April plus a 60-day warm-up ends in November: the year that began on
    1 April 2026 is not settled; its balance stays open."""
    table = _budgets(small("pooled", people=3000, years=1.5))
    pool = table[table["funder"] == "pool"]
    assert pool["year_end"].sum() == 1                      # March 2026 only
    assert pool.loc[pool["year_end"], "month"].tolist() == ["2026-03"]
    last = table[table["month"] == table["month"].max()]
    assert not last["year_end"].any() and (last["risk_share_gbp"] == 0).all()
    assert last.loc[last["funder"] == "pool", "balance_ytd_gbp"].abs().sum() > 0


def test_contribution_as_both_amount_and_share_is_refused():
    with pytest.raises(sim.ConfigError) as err:
        sim.load_config("pooled", overrides={"funding.pool.nhs_contribution_share": 0.1})
    [line] = err.value.lines
    assert "funding.pool.nhs_contribution_share" in line and "not both" in line
