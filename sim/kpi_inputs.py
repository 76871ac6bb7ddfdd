"""One replication's outputs, held together for the KPI registry (:mod:`sim.kpis`).

:class:`KpiInputs` keeps the event log, the daily occupancy, the ledger, the budget and
cost-shifting tables and the final states of one replication, and the few views every KPI
filters from them (events of a kind in the counting window, the window's daily occupancy,
cash by payer), each computed once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .costs import monthly_costs
from .schema_base import YEAR

if TYPE_CHECKING:   # unit costs and utilities, for the KPIs that value beds and weigh time
    from .schema_money import Costs
    from .schema_outcomes import Outcomes


@dataclass
class KpiInputs:
    """One replication's outputs, from which every KPI is computed.

    ``log``: the whole event log (:meth:`sim.eventlog.EventLog.frame`); ``daily``: occupancy,
    one column per series (:meth:`sim.occupancy.Occupancy.frame`); ``ledger``: cost episodes;
    ``budgets`` and ``shifting``: the budget and cost-shifting tables; ``states``: each
    person's state at the end; ``beds``: funded acute beds; ``prices``: the scenario's unit
    costs (``costs.*``), for the KPIs that value bed days; ``person_time``: person-years in the
    counting window by setting and frailty (:meth:`sim.outcome_tracking.OutcomeTracker.frame`)
    and ``utilities`` (``outcomes.*``), for the QALY KPI.
    """

    log: pd.DataFrame
    daily: pd.DataFrame
    ledger: pd.DataFrame
    budgets: pd.DataFrame
    shifting: pd.DataFrame
    states: np.ndarray
    warmup: float
    horizon: float
    start: pd.Timestamp
    beds: int
    prices: Costs
    person_time: pd.DataFrame | None = None
    utilities: Outcomes | None = None

    @cached_property
    def years(self) -> float:
        """Length of the counting window in years."""
        return (self.horizon - self.warmup) / YEAR

    @cached_property
    def _events(self) -> dict[str, pd.DataFrame]:
        t = self.log["time_days"]
        counted = self.log[(t >= self.warmup) & (t < self.horizon)]
        return {kind: group for kind, group in counted.groupby("kind", sort=False)}

    def of(self, kind: str) -> pd.DataFrame:
        """The events of one kind in the counting window."""
        return self._events.get(kind, self.log.iloc[:0])

    @cached_property
    def window(self) -> pd.DataFrame:
        """Daily occupancy from the first whole day of the counting window."""
        return self.daily[self.daily["day"] >= np.floor(self.warmup)]

    @cached_property
    def occupied(self) -> pd.Series:
        """Occupied acute beds each day (treatment and delayed)."""
        return self.window["acute_treatment"] + self.window["acute_delayed"]

    def costs(self, view: str) -> pd.DataFrame:
        """Costs of one ledger view ('cash' or 'resource') in the counting window, by
        service, setting and payer."""
        return monthly_costs(self.ledger, np.array([self.warmup, self.horizon]), ["window"], view)

    @cached_property
    def cash(self) -> pd.DataFrame:
        """Cash paid in the counting window (:meth:`costs` of the cash view)."""
        return self.costs("cash")

    @cached_property
    def resource(self) -> pd.DataFrame:
        """Resource use in the counting window (:meth:`costs` of the resource view)."""
        return self.costs("resource")

    @cached_property
    def cash_by_payer(self) -> pd.Series:
        """Cash paid in the counting window by each payer."""
        return self.cash.groupby("payer")["cost_gbp"].sum()

    def whole_run(self, kind: str) -> pd.DataFrame:
        """The events of one kind at any time of the run (warm-up included)."""
        return self.log[self.log["kind"] == kind]
