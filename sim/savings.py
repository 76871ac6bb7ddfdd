"""The acute block contract over time: planned bed growth, closing beds, and reinvesting a
year-end cash underspend.

The trust's funded beds grow each year by ``acute.beds_growth_per_year`` (the bed base a
plan funds as the population ages; the block contract grows with it), whatever the rules
below do.

Acute (and intermediate-care) beds are paid as blocks, the same empty or full, so bed days freed
by faster discharges save no cash on their own. Two rules turn them into money and back into
care:

* **bed closure** ("live within capacity", Wakefield): at each review after the warm-up, if
  the mean number of occupied acute beds over the period was below a threshold share of the
  funded beds, close a number of beds (never below a floor); the block contract shrinks from
  that day, and beds already occupied empty by attrition;
* **reinvestment**: at each financial-year end, a share of each named budget's *released
  cash* (by default: block cash not paid that year for beds closed, less what earlier
  reinvestments already committed from it, at most the budget's underspend) or of its whole
  cash underspend (plan less spend, budget headroom and growth money included:
  ``savings.reinvest_source``) buys recurrent capacity that arrives after a lag: home-care
  hours or reablement places (paid as used, by the service's payer, whose budget receives the
  reinvested money from the next year on), intermediate-care beds (a block contract) or
  neighbourhood case-management places (a block contract), paid by the budget that reinvested.
  Never a notional bed-day value. Each :class:`Reinvestment` records how much of it was
  released cash and how much headroom.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .context import RunContext
from .neighbourhood import Neighbourhood
from .schema_base import YEAR


class Reinvestment(NamedTuple):
    """One year-end reinvestment decision."""

    decided: float        # day of the decision (a financial-year end)
    arrives: float        # day the capacity comes into service
    budget: str           # the budget that paid for it
    underspend_gbp: float  # the budget's cash underspend in the financial year ending
    amount_gbp: float     # recurrent gbp a year reinvested
    target: str           # home_care, reablement, intermediate_care or prevention
    units: float          # hours a week, places or beds bought
    released_gbp: float = 0.0       # released cash not yet committed (closed beds' block cash)
    from_released_gbp: float = 0.0  # the part of amount_gbp that is released cash
    from_headroom_gbp: float = 0.0  # the rest: budget headroom or growth money

    @property
    def source(self) -> str:
        """'released cash', 'headroom' or 'released cash and headroom'."""
        parts = [name for name, gbp in (("released cash", self.from_released_gbp),
                                        ("headroom", self.from_headroom_gbp)) if gbp > 0]
        return " and ".join(parts) or "nothing"


class Savings:
    """Bed-closure reviews and year-end reinvestment for one replication."""

    def __init__(self, ctx: RunContext, warmup: float, neighbourhood: Neighbourhood):
        self.ctx, self.warmup, self.neighbourhood = ctx, warmup, neighbourhood
        self.cfg = ctx.cfg.savings
        self.acute_block: int | None = None
        self.reinvestments: list[Reinvestment] = []
        self.closures: list[tuple[float, int, str]] = []   # (day, beds closed, paying budget)
        self.committed: dict[str, float] = {}   # released cash already reinvested, a year

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
        if cfg.acute.beds_growth_per_year > 0:
            m.env.process(self._bed_growth(cfg.acute.beds, cfg.acute.beds_growth_per_year))
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
        self._rebook_acute_block()
        m.occupancy.add("funded:acute_beds", -count, t)
        self.closures.append((t, count, m.rules.payer("acute")))
        m.log.record(t, -1, "beds_closed", "acute", m.rules.payer("acute"), count,
                     f"{units:g} funded beds after")

    # --- planned growth ------------------------------------------------------------------
    def _bed_growth(self, beds: int, growth: float):
        """Each year from the start, open the beds that take the plan to
        round(beds x (1 + growth)^years), whatever closures did meanwhile."""
        m, year, planned = self.ctx, 0, beds
        while True:
            yield m.env.timeout(YEAR)
            year += 1
            target = round(beds * (1 + growth) ** year)
            count, planned = target - planned, target
            if count <= 0:
                continue
            m.services.acute_beds.add_units(count)
            self._rebook_acute_block()
            m.occupancy.add("funded:acute_beds", count, m.env.now)
            m.log.record(m.env.now, -1, "beds_opened", "acute", m.rules.payer("acute"), count,
                         f"{m.services.acute_beds.units:g} funded beds after")

    def _rebook_acute_block(self) -> None:
        """The acute block contract follows the funded beds from now on."""
        m = self.ctx
        m.billing.end_block(self.acute_block)
        self.acute_block = m.billing.acute_block(m.services.acute_beds.units)

    def released_cash(self, budget: str, start: float, end: float) -> float:
        """Block cash ``budget`` did not pay in [start, end) because beds had been closed:
        beds closed x days closed in the interval x the block price of an acute bed day."""
        price = self.ctx.cfg.costs.acute_bed_day_gbp
        return sum(count * price * max(0.0, end - max(t, start))
                   for t, count, payer in self.closures if payer == budget)

    # --- reinvestment --------------------------------------------------------------------------
    def _reinvest(self, year: int, t: float) -> None:
        """At a financial-year end: a share of each named budget's released cash (or of its
        whole underspend) buys capacity."""
        m, rule = self.ctx, self.cfg
        year_start = max([0.0] + [d for d in m.clock.financial_year_starts() if d < t])
        for budget in m.rules.funders:
            if budget not in rule.reinvest_from:
                continue
            underspend = m.rules.plan_to_date(budget, t - 1e-9) - \
                m.rules.spent_this_year(budget, t)
            committed = self.committed.get(budget, 0.0)
            released = max(0.0, self.released_cash(budget, year_start, t) - committed)
            if rule.reinvest_source == "released_cash":
                # recurrent: what earlier years committed is paid from this year's release
                wanted = rule.reinvest_share * (released + committed) - committed
                amount = min(wanted, underspend)
            else:
                amount = rule.reinvest_share * underspend
            if amount <= 0:
                continue
            from_released = min(amount, released)
            self.committed[budget] = committed + from_released
            arrives = t + rule.reinvest_lag_days
            units = m.billing.units_bought(amount, rule.reinvest_in)
            if rule.reinvest_in in ("home_care", "reablement"):
                # paid as used by whoever pays for the service: the money moves to that budget
                # (recurrent, from the next year), or the new capacity would be rationed
                m.rules.move_budget(budget, m.rules.payer(rule.reinvest_in), amount, year + 1)
            record = Reinvestment(t, arrives, budget, underspend, amount, rule.reinvest_in,
                                  units, released, from_released, amount - from_released)
            self.reinvestments.append(record)
            m.log.record(t, -1, "reinvestment", rule.reinvest_in, budget, amount,
                         f"{units:g} units from day {arrives:g}; from {record.source}: "
                         f"£{from_released:,.0f} released cash, "
                         f"£{record.from_headroom_gbp:,.0f} headroom")
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
