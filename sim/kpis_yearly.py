"""KPIs of each whole simulated year of the counting window (for backcasting a calibration).

A replication's KPIs (:mod:`sim.kpis`) cover its whole counting window [warm-up, horizon). A
place observes figures year by year, so ``caresim calibrate --holdout-year`` needs the same KPIs
per year: :func:`yearly_kpis` recomputes the registry over each whole year of the window (the
events, daily occupancy, cash, budget months and delayed bed days inside it), by handing the
registry a :class:`~sim.kpi_inputs.KpiInputs` whose window is that year. A year is labelled by
the calendar year it starts in (with a 1 April start, financial year 2024/25 is 2024); a part
year at the end (short by more than the day the model rounds its horizon to) is left out. KPIs
of the population at the end of the run (unit ``people``) have no yearly value and are left
out too. Computed only when a sweep stores the ``yearly_kpis`` table, so ordinary runs pay
nothing.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .costs import cost_shifting
from .kpi_inputs import KpiInputs
from .kpis import KPIS
from .schema_base import YEAR

#: KPIs with no value per year: the population's state at the end of the run.
STOCKS = tuple(name for name, kpi in KPIS.items() if kpi.unit == "people")


def year_windows(start: pd.Timestamp, warmup: float, horizon: float) -> list[tuple[int, float,
                                                                                    float]]:
    """(label, first day, end day) of each whole year of the counting window (the model
    rounds its horizon to a whole day, so the last year may end up to a day short)."""
    out = []
    for i in range(math.floor((horizon - warmup + 1) / YEAR)):
        first = warmup + i * YEAR
        out.append(((start + pd.Timedelta(days=first)).year, first, min(first + YEAR, horizon)))
    return out


def yearly_kpis(inputs: KpiInputs, delays: pd.DataFrame, excess_bed_day_gbp: float,
                replication: int) -> pd.DataFrame:
    """Long table (replication, year, kpi, value) of every KPI but :data:`STOCKS`, per whole
    year of the counting window of ``inputs``."""
    rows = []
    for label, first, end in year_windows(inputs.start, inputs.warmup, inputs.horizon):
        last_month = (inputs.start + pd.Timedelta(days=end)).strftime("%Y-%m")
        cut = np.floor(end) if end < inputs.horizon else np.inf   # days tile the window
        year = KpiInputs(
            inputs.log, inputs.daily[inputs.daily["day"] < cut], inputs.ledger,
            inputs.budgets[inputs.budgets["month"] < last_month],
            cost_shifting(delays, excess_bed_day_gbp, first, end), inputs.states, first, end,
            inputs.start, inputs.beds, inputs.prices)
        rows += [(replication, label, name, float(kpi.compute(year)))
                 for name, kpi in KPIS.items() if name not in STOCKS]
    return pd.DataFrame(rows, columns=["replication", "year", "kpi", "value"])
