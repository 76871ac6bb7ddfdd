"""The fund's year: outcome payments to the fund holder and statutory-duty risk.

* **Outcome payments** (Tower Hamlets): a share of each funder's yearly contribution is paid to
  the fund holder only if, at the financial-year end, the outcome target was met (mean days
  from medically fit to leaving hospital over the year's discharges), or under the graded rule
  in part, falling linearly from the target to nothing at twice the target. The fund plans its
  spending expecting to earn it, so a payment withheld is the fund holder's loss (a deficit it
  bears, or shares under the pool's risk-share rule) and goes back to the funder's budget; a
  payment made appears in the ledger as a ``transfer`` row.
* **Statutory-duty risk** (seed 001): when a pool pays for NHS statutory services (acute beds,
  CHC, funded nursing care), on each day the model checks whether what remains of the pool's
  yearly budget still covers those commitments at their current daily rate to the year end. A
  day on which it does not is a statutory-risk day: the services are still paid (the NHS
  cannot stop them), so the year-end risk-share rule decides who tops the pool up.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .context import RunContext

STATUTORY_SERVICES = ("acute", "escalation", "chc", "fnc")


class OutcomeReview(NamedTuple):
    """One financial year's outcome-payment decision."""

    decided: float        # day of the review (the year end, or the horizon)
    year: int             # financial-year index
    mean_delay_days: float
    earned_share: float   # 0-1 of the payment earned
    paid_gbp: float


class FundYear:
    """Outcome reviews and the daily statutory-risk check for one replication."""

    def __init__(self, ctx: RunContext):
        self.ctx = ctx
        self.pool_cfg = ctx.cfg.funding.pool
        self.outcomes: list[OutcomeReview] = []

    def start(self) -> None:
        """Register the year-end outcome review and start the daily statutory check."""
        m = self.ctx
        if not m.rules.scope:
            return
        if self.pool_cfg.outcome_payment_share > 0:
            m.rules.year_end_hooks.insert(0, self.outcome_review)
        if m.rules.scope & {"acute", "chc"}:
            m.env.process(self._statutory_check())

    def outcome_review(self, year: int, t: float) -> None:
        """Decide the year's outcome payment from the discharges of that financial year."""
        m, funding = self.ctx, self.ctx.rules
        if year in funding.outcome_earned:
            return
        delays = [d[5] for d in m.log.of("discharge") if funding.year_index(d[0]) == year
                  and d[0] < t]
        mean_delay = float(np.mean(delays)) if delays else 0.0
        earned = self.earned_share(mean_delay)
        funding.outcome_earned[year] = earned
        total = 0.0
        if earned > 0:
            fraction = funding.plan_fraction[max(int(np.ceil(t)) - 1, 0)]
            for funder in ("nhs", "la"):
                amount = funding.outcome_payment(funder, year) * fraction * earned
                m.billing.outcome_payment(t, funder, amount)
                total += amount
        self.outcomes.append(OutcomeReview(t, year, mean_delay, earned, total))

    def earned_share(self, mean_delay: float) -> float:
        """Share of the outcome payment earned at this year's mean delay."""
        target = self.pool_cfg.outcome_target_mean_delay_days
        if mean_delay <= target:
            return 1.0
        if self.pool_cfg.outcome_payment_rule == "all_or_nothing" or target <= 0:
            return 0.0
        return max(0.0, 2.0 - mean_delay / target)

    def finish(self, horizon: float) -> None:
        """Decide the outcome payment of the last (possibly partial) year at the horizon."""
        rules = self.ctx.rules
        if rules.scope and self.pool_cfg.outcome_payment_share > 0:
            self.outcome_review(rules.year_index(horizon - 1e-9), horizon)

    def _statutory_check(self):
        m, funding = self.ctx, self.ctx.rules
        fund = funding.fund
        while True:
            yield m.env.timeout(1.0)
            t = m.env.now
            day = int(t)
            budget = funding.yearly_budget(fund, funding.year_index(t))
            remaining = budget - funding.spent_this_year(fund, t)
            committed = m.billing.ledger.open_cash_rate(fund, STATUTORY_SERVICES) * \
                funding.days_to_year_end[day]
            if remaining < committed:
                m.log.record(float(day), -1, "statutory_risk", payer=fund,
                             value=committed - remaining)
