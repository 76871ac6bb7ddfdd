"""Cashable savings: closing acute beds, and reinvesting a year-end cash underspend.

Acute (and intermediate-care) beds are paid as blocks, the same empty or full, so bed days freed
by faster discharges save no cash on their own. Two rules turn them into money and back into
care:

* **bed closure** ("live within capacity", Wakefield): at each review after the warm-up, if
  the mean number of occupied acute beds over the period was below a threshold share of the
  funded beds, close a number of beds (never below a floor); the block contract shrinks from
  that day, and beds already occupied empty by attrition;
* **reinvestment**: at each financial-year end, a share of each named budget's cash underspend
  (plan less spend; never a notional bed-day value) buys recurrent capacity that arrives after a
  lag: home-care hours or reablement places (paid as used, by the service's payer, whose
  budget receives the reinvested money from the next year on), intermediate-care beds (a block
  contract) or neighbourhood case-management places (a block contract), paid by the budget
  whose underspend bought them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .context import RunContext
from .neighbourhood import Neighbourhood


class Reinvestment(NamedTuple):
    """One year-end reinvestment decision."""

    decided: float        # day of the decision (a financial-year end)
    arrives: float        # day the capacity comes into service
    budget: str           # the budget whose underspend paid for it
    underspend_gbp: float
    amount_gbp: float     # recurrent gbp a year reinvested
    target: str           # home_care, reablement, intermediate_care or prevention
    units: float          # hours a week, places or beds bought


class Savings:
    """Bed-closure reviews and year-end reinvestment for one replication."""

    def __init__(self, ctx: RunContext, warmup: float, neighbourhood: Neighbourhood):
        self.ctx, self.warmup, self.neighbourhood = ctx, warmup, neighbourhood
        self.cfg = ctx.cfg.savings
        self.acute_block: int | None = None
        self.reinvestments: list[Reinvestment] = []

    def start(self) -> None:
        """Open the acute block contract and start the reviews."""
        m = self.ctx
        cfg = m.cfg
        self.acute_block = m.billing.acute_block(cfg.acute.beds)
        for name, units in (("acute_beds", cfg.acute.beds),
                            ("ic_beds", cfg.intermediate_care.beds),
                            ("reablement_places", cfg.reablement.places),
                            ("home_care_hours", cfg.home_care.capacity_hours_per_week)):
            m.occupancy.add(f"funded:{name}", units, 0.0)
        if self.cfg.bed_closure:
            m.env.process(self._closure_reviews())
        if self.cfg.reinvest_share > 0:
            m.rules.year_end_hooks.append(self._reinvest)

    # --- bed closure -------------------------------------------------------------------------
    def _closure_reviews(self):
        m, rule = self.ctx, self.cfg
        beds = m.services.acute_beds
        floor = int(np.ceil(rule.min_beds_share * m.cfg.acute.beds))
        yield m.env.timeout(self.warmup)   # the warm-up's empty start is not a real quarter
        while True:
            start = m.env.now
            yield m.env.timeout(rule.closure_review_days)
            occupied = self._mean_occupied(start, m.env.now)
            if occupied < rule.closure_occupancy_threshold * beds.units and beds.units > floor:
                close = min(rule.beds_closed_per_review, int(beds.units) - floor)
                self._close_beds(close)

    def _mean_occupied(self, start: float, end: float) -> float:
        """Mean occupied acute beds over the whole days in [start, end)."""
        occ = self.ctx.occupancy
        first, last = int(np.ceil(start)), min(int(end), occ.days_closed)
        if last <= first:
            return float("inf")
        cols = [occ.index["acute_treatment"], occ.index["acute_delayed"]]
        return float(occ.daily[first:last, cols].sum(axis=1).mean())

    def _close_beds(self, count: int) -> None:
        m = self.ctx
        t = m.env.now
        m.services.acute_beds.remove_units(count)
        units = m.services.acute_beds.units
        m.billing.end_block(self.acute_block)
        self.acute_block = m.billing.acute_block(units)
        m.occupancy.add("funded:acute_beds", -count, t)
        m.log.record(t, -1, "beds_closed", "acute", m.rules.payer("acute"), count,
                     f"{units:g} funded beds after")

    # --- reinvestment --------------------------------------------------------------------------
    def _reinvest(self, year: int, t: float) -> None:
        """At a financial-year end: a share of each named budget's cash underspend buys capacity."""
        m, rule = self.ctx, self.cfg
        for budget in m.rules.funders:
            if budget not in rule.reinvest_from:
                continue
            underspend = m.rules.plan_to_date(budget, t - 1e-9) - \
                m.rules.spent_this_year(budget, t)
            amount = rule.reinvest_share * underspend
            if amount <= 0:
                continue
            arrives = t + rule.reinvest_lag_days
            units = m.billing.units_bought(amount, rule.reinvest_in)
            if rule.reinvest_in in ("home_care", "reablement"):
                # paid as used by whoever pays for the service: the money moves to that budget
                # (recurrent, from the next year), or the new capacity would be rationed
                m.rules.move_budget(budget, m.rules.payer(rule.reinvest_in), amount, year + 1)
            self.reinvestments.append(Reinvestment(t, arrives, budget, underspend, amount,
                                                   rule.reinvest_in, units))
            m.log.record(t, -1, "reinvestment", rule.reinvest_in, budget, amount,
                         f"{units:g} units from day {arrives:g}")
            if arrives < m.horizon:
                m.env.timeout(rule.reinvest_lag_days).callbacks.append(
                    lambda _e, budget=budget, units=units: self._add_capacity(budget, units))

    def _add_capacity(self, budget: str, units: float) -> None:
        m = self.ctx
        t, target = m.env.now, self.cfg.reinvest_in
        if units <= 0:
            return
        if target == "home_care":
            m.services.home_care_hours.add_units(units)
            m.occupancy.add("funded:home_care_hours", units, t)
        elif target == "reablement":
            m.services.reablement.add_units(units)
            m.occupancy.add("funded:reablement_places", units, t)
        elif target == "intermediate_care":
            m.services.ic_beds.add_units(units)
            m.occupancy.add("funded:ic_beds", units, t)
            m.billing.intermediate_care_block(units, budget)
        else:
            m.billing.case_management(units, budget)
            self.neighbourhood.add_places(units)
