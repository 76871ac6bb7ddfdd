"""Funding arrangements as data: who commissions, who pays, how decisions are made, rationing.

An arrangement is not a code branch. It is the combination of fields in ``[funding]``:

* ``commissioner``: which funder decides on and pays for each service outside a pool;
* ``pool.scope``: services the pooled fund pays for (the cash payer becomes ``pool``, or
  ``provider`` when an integrated provider holds the fund on a capitated budget);
* ``joint_scope``: services that get one joint assessment and a coordinator decision
  instead of separate sequential assessments and the commissioner's own decision route.

A money-only pool (``pool.scope`` set, ``joint_scope`` empty) changes who pays and who rations,
nothing else. Cash-limited funders (the LA, and a pool that rations) compare year-to-date spend
with a seasonal spending plan at each budget review; while spend runs ahead of plan, new
packages they would pay for wait (or, under eligibility rationing, the less frail wait at home).
The NHS cannot refuse an emergency admission, so an NHS overspend is recorded, never rationed.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import simpy

from .clock import Clock
from .config import Scenario
from .costs import Ledger


class FundingRules:
    """The funding arrangement of one scenario, with its budgets and rationing state."""

    def __init__(self, cfg: Scenario, env: simpy.Environment, clock: Clock, ledger: Ledger):
        self.cfg = cfg
        self.env = env
        self.clock = clock
        self.ledger = ledger
        f = cfg.funding
        self.scope = set(f.pool.scope)
        self.joint_scope = set(f.joint_scope)
        self.commissioners = dict(f.commissioner)
        self.fund = f.pool.fund_holder          # payer name of the fund: "pool" or "provider"
        self.funders = ("nhs", "la", self.fund) if self.scope else ("nhs", "la")
        self.rationing_now = {"la": False, self.fund: False}
        self._waiters: dict[str, list[simpy.Event]] = {"la": [], self.fund: []}
        self._year_start_cash: dict[str, float] = {"nhs": 0.0, "la": 0.0, self.fund: 0.0}
        self.plan_fraction = self._seasonalplan_fraction()
        fy = clock.financial_year
        self.days_to_year_end = np.array([
            (dt.date(int(year) + 1, 4, 1) - d).days for d, year in zip(clock.dates, fy)])
        # last day of each day's financial year inside the plan (the horizon for the last year)
        last = len(self.plan_fraction) - 1
        self._year_end_day = np.minimum(np.arange(len(fy)) + self.days_to_year_end - 1, last)
        # outcome payments decided at each financial-year end: year index -> share earned (0-1)
        self.outcome_earned: dict[int, float] = {}
        self.year_end_hooks: list = []  # called with (ending year index, t) at each year end
        self.budget_moves: list[tuple[str, int, float]] = []  # (funder, from year, gbp a year)

    # --- who pays, who decides -------------------------------------------------------------
    def commissioner(self, service: str) -> str:
        """Funder that commissions ``service`` outside any pool."""
        return self.commissioners[service]

    def payer(self, service: str) -> str:
        """Cash payer of ``service`` for a publicly funded person: the fund or the commissioner."""
        return self.fund if service in self.scope else self.commissioners[service]

    def responsible(self, service: str) -> str:
        """Body responsible for the decisions on ``service`` (for the cost-shifting account)."""
        return self.fund if service in self.scope else self.commissioners[service]

    def joint(self, service: str) -> bool:
        """True if ``service`` gets a single joint assessment and a coordinator decision."""
        return service in self.joint_scope

    def assessment_teams(self, service: str, long_term: bool) -> list[str]:
        """Assessments needed before a discharge to ``service``, in order ('joint' = one)."""
        if self.joint(service):
            return ["joint"]
        count = self.cfg.assessment.separate_assessments
        if not long_term:
            count = min(count, 2)
        return list(self.cfg.assessment.team_sequence[:count])

    def decision_mode(self, service: str) -> str:
        """'coordinator' or 'panel' for a funding decision on ``service``."""
        if self.joint(service):
            return "coordinator"
        return self.cfg.decision.mode_by_funder.get(self.commissioners[service], "panel")

    def dispute_possible(self) -> bool:
        """CHC/LA disputes arise only where two bodies decide on the two services."""
        if {"chc", "care_home"} <= self.joint_scope or {"chc", "care_home"} <= self.scope:
            return False
        return self.commissioners["chc"] != self.commissioners["care_home"]

    def can_ration(self, payer: str) -> bool:
        """Cash-limited payers that ration: the LA, and a fund configured to ration."""
        if payer == "la":
            return True
        return payer == self.fund and bool(self.scope) and self.cfg.funding.pool.rations

    # --- budgets and the seasonal spending plan ---------------------------------------------
    def _seasonalplan_fraction(self) -> np.ndarray:
        """Cumulative share of the yearly budget planned to be spent by each day of its year."""
        weights = 1.0 + self.cfg.budgets.winter_spend_uplift * self.clock.winter.astype(float)
        fy = self.clock.financial_year
        frac = np.zeros(len(weights))
        for year in np.unique(fy):
            idx = np.flatnonzero(fy == year)
            # a full financial year has 365 or 366 days; partial years at the ends are scaled
            full = 366 if len(idx) > 365 else 365
            total = weights[idx].sum() * (full / len(idx)) if len(idx) < full else \
                weights[idx].sum()
            frac[idx] = np.cumsum(weights[idx]) / total
        return frac

    def contribution(self, funder: str, year_index: int) -> float:
        """A funder's contribution to the pool in a year: it changes with the funder's budget."""
        if not self.scope:
            return 0.0
        b, pool = self.cfg.budgets, self.cfg.funding.pool
        change = b.nhs_yearly_change if funder == "nhs" else b.la_yearly_change
        share = getattr(pool, f"{funder}_contribution_share")
        if share is not None:
            return share * self._funder_budget(funder, year_index)
        amount = getattr(pool, f"{funder}_contribution_gbp_per_year")
        return amount * (1.0 + change) ** year_index

    def _funder_budget(self, funder: str, year_index: int) -> float:
        """A funder's whole budget for the modelled services: base x (1 + headroom) x
        (1 + yearly change)^year."""
        b = self.cfg.budgets
        base = b.nhs_gbp_per_year if funder == "nhs" else b.la_gbp_per_year
        change = b.nhs_yearly_change if funder == "nhs" else b.la_yearly_change
        return base * (1.0 + b.headroom_share) * (1.0 + change) ** year_index

    def contributed(self, funder: str, year_index: int) -> float:
        """What a funder actually put into the fund in a year: its contribution (amount or
        share of its budget, with the yearly change) less any outcome payment withheld."""
        withheld_share = 1.0 - self.outcome_earned.get(year_index, 1.0)
        return self.contribution(funder, year_index) \
            - withheld_share * self.outcome_payment(funder, year_index)

    def outcome_payment(self, funder: str, year_index: int) -> float:
        """The part of a funder's contribution paid only if the year's outcome target is met."""
        return self.cfg.funding.pool.outcome_payment_share * self.contribution(funder, year_index)

    def yearly_budget(self, funder: str, year_index: int) -> float:
        """Budget of ``funder`` for its directly paid services in financial year ``year_index``.

        The fund's budget is the two contributions: it plans to earn the outcome payments at
        risk, and loses them if the year-end review withholds them. Each funder's own budget is
        its base x (1 + headroom) x (1 + yearly change)^year, less what it puts into the fund,
        plus any outcome payment it withheld.
        """
        moved = sum(gbp for who, first, gbp in self.budget_moves
                    if who == funder and year_index >= first)
        return max(self._base_budget(funder, year_index) + moved, 0.0)

    def move_budget(self, source: str, target: str, gbp_per_year: float, from_year: int) -> None:
        """Move a recurrent amount from one budget to another from a financial year on (a
        reinvestment in a service another funder pays for, like a BCF transfer)."""
        if source != target:
            self.budget_moves.append((source, from_year, -gbp_per_year))
            self.budget_moves.append((target, from_year, gbp_per_year))

    def _base_budget(self, funder: str, year_index: int) -> float:
        # until the year-end review the fund plans to earn the whole payment
        withheld_share = 1.0 - self.outcome_earned.get(year_index, 1.0)
        if funder == self.fund:
            return sum(self.contribution(f, year_index)
                       - withheld_share * self.outcome_payment(f, year_index)
                       for f in ("nhs", "la"))
        withheld = withheld_share * self.outcome_payment(funder, year_index)
        return self._funder_budget(funder, year_index) - self.contribution(funder, year_index) \
            + withheld

    def year_index(self, t: float) -> int:
        """Financial years since the start (0 for the first, possibly partial, year)."""
        return int(self.clock.financial_year[int(t)] - self.clock.financial_year[0])

    def plan_to_date(self, funder: str, t: float) -> float:
        """Year-to-date planned spend of ``funder`` at time t (seasonal plan)."""
        return self.yearly_budget(funder, self.year_index(t)) * self.plan_fraction[int(t)]

    def spent_this_year(self, funder: str, t: float) -> float:
        """Cash paid by ``funder`` since the start of the current financial year."""
        return self.ledger.cash_to_date(funder, t) - self._year_start_cash[funder]

    def spend_ratio(self, funder: str, t: float) -> float:
        """Year-to-date cash spend over year-to-date plan, or (forecast basis) the forecast
        outturn - spend so far plus today's committed daily spend to the year end - over the
        year's budget."""
        spent = self.spent_this_year(funder, t)
        if self.cfg.budgets.rationing.basis == "forecast_outturn":
            spent += self.ledger.committed_per_day(funder) * self.days_to_year_end[int(t)]
            plan = self.yearly_budget(funder, self.year_index(t)) * \
                self.plan_fraction[self._year_end_day[int(t)]]
        else:
            plan = self.plan_to_date(funder, t)
        if plan <= 0:
            return np.inf if spent > 0 else 0.0
        return spent / plan

    # --- processes ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start the budget-review and year-end processes."""
        self.env.process(self._reviews())
        for day in self.clock.financial_year_starts()[1:]:
            self.env.timeout(day).callbacks.append(lambda _e: self._new_year())

    def _new_year(self) -> None:
        t = self.env.now
        ending = self.year_index(t - 1e-9)
        for hook in self.year_end_hooks:
            hook(ending, t)
        for funder in self._year_start_cash:
            self._year_start_cash[funder] = self.ledger.cash_to_date(funder, t)
        self._review(t)

    def _reviews(self):
        mode = self.cfg.budgets.rationing.mode
        interval = self.cfg.budgets.rationing.review_interval_days
        while True:
            yield self.env.timeout(interval)
            if mode != "off":
                self._review(self.env.now)

    def _review(self, t: float) -> None:
        if self.cfg.budgets.rationing.mode == "off":
            return
        trigger = self.cfg.budgets.rationing.trigger_ratio
        for funder in ("la", self.fund):
            if funder == self.fund and not self.can_ration(funder):
                continue
            on = self.spend_ratio(funder, t) > trigger
            was = self.rationing_now[funder]
            self.rationing_now[funder] = on
            if was and not on:
                waiters, self._waiters[funder] = self._waiters[funder], []
                for event in waiters:
                    event.succeed()

    def rationing(self, payer: str) -> bool:
        """True while ``payer`` is rationing new packages."""
        return self.rationing_now.get(payer, False) and self.can_ration(payer)

    def funds_released(self, payer: str) -> simpy.Event:
        """Event that fires at the first review at which ``payer`` stops rationing."""
        event = self.env.event()
        self._waiters[payer].append(event)
        return event
