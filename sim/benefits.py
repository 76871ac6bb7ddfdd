"""Bed days released, classed as a finance director classes them.

Faster discharges free acute bed days; what they are worth depends on what is done with the
freed beds. Against a base scenario every released bed day is exactly one of three things,
because occupied = funded - empty + escalation:

* **cash-releasing**: a funded bed closed (the block contract shrinks: cash no longer paid);
  a care package or care-home place not bought is cash too (paid as used);
* **non-cash-releasing**: a funded bed left empty, capacity freed for the elective or emergency
  activity it could host, valued at ``costs.elective_bed_day_gbp`` (income or activity, not
  cash in any budget);
* **cost avoided**: an escalation bed not opened. The model funds no extra bed as demand grows
  (the 65+ population grows ~1.7% a year), so growth beyond the funded beds is met by
  escalation beds and boarding: growth not funded shows as escalation beds not opened.

Each class is the paired difference of a per-run KPI computed here (:data:`CLASSES`); the
report's lines are :func:`classify` of the paired table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .kpi_inputs import KpiInputs
from .schema_base import YEAR

#: care bought as used per package or placement (their cash falls when fewer are bought)
PACKAGE_SERVICES = ("home_care", "care_home", "fnc", "chc", "chc_home")


def closed_bed_days(d: KpiInputs) -> float:
    """Acute bed days in the counting window that the bed-closure review had closed."""
    funded = d.window["funded:acute_beds"].to_numpy(dtype=float)
    return float(np.clip(d.beds - funded, 0.0, None).sum())


def closed_bed_cash(d: KpiInputs) -> float:
    """Block cash a year not paid because beds were closed (beds x days x block price)."""
    return closed_bed_days(d) * d.prices.acute_bed_day_gbp / d.years


def escalation_bed_days(d: KpiInputs) -> float:
    """Occupied escalation bed days in the counting window (from the ledger's episodes)."""
    led = d.ledger
    esc = led[(led["service"] == "escalation") & (led["view"] == "cash")]
    if esc.empty:
        return 0.0
    end = esc["end_day"].fillna(d.horizon).clip(upper=d.horizon)
    start = esc["start_day"].clip(lower=d.warmup)
    return float((end - start).clip(lower=0.0).sum())


def escalation_cost(d: KpiInputs) -> float:
    """Cash a year on escalation beds."""
    return float(d.cash.loc[d.cash["service"] == "escalation", "cost_gbp"].sum()) / d.years


def empty_bed_days(d: KpiInputs) -> float:
    """Funded acute bed days in the counting window left empty: funded less occupied, the
    people in escalation beds apart (they occupy no funded bed)."""
    funded = float(d.window["funded:acute_beds"].sum())
    in_funded = float(d.occupied.sum()) - escalation_bed_days(d)
    return max(0.0, funded - in_funded)


def empty_bed_value(d: KpiInputs) -> float:
    """Empty funded bed days a year at the value of the elective activity they could host."""
    return empty_bed_days(d) * d.prices.elective_bed_day_gbp / d.years


def package_cost(d: KpiInputs) -> float:
    """Public cash a year on care packages and care-home places (self-funders apart)."""
    cash = d.cash
    public = cash["service"].isin(PACKAGE_SERVICES) & (cash["payer"] != "self")
    return float(cash.loc[public, "cost_gbp"].sum()) / d.years


#: class -> (KPI, sign): the class's benefit is sign x the KPI's paired difference
CLASSES = {
    "cash_releasing": (("closed_bed_cash_gbp", 1.0), ("package_cost_gbp", -1.0)),
    "non_cash_releasing": (("empty_bed_value_gbp", 1.0),),
    "cost_avoided": (("escalation_cost_gbp", -1.0),),
}


def classify(paired: pd.DataFrame, scenario: str) -> dict[str, dict[str, float]]:
    """One scenario's benefits against the base, by class: for each class its parts (KPI ->
    benefit, £ a year, positive when the scenario does better) and ``total``; and
    ``bed_days_released`` (the fall in acute bed days a year). KPIs missing from ``paired``
    (an older folder) are left out."""
    rows = paired[paired["scenario"].astype(str) == scenario].set_index("kpi")["difference"]
    out: dict[str, dict[str, float]] = {}
    for name, parts in CLASSES.items():
        values = {kpi: sign * float(rows[kpi]) for kpi, sign in parts if kpi in rows.index}
        if values:
            out[name] = {**values, "total": sum(values.values())}
    if "acute_bed_days" in rows.index:
        out["bed_days_released"] = {"total": -float(rows["acute_bed_days"])}
    return out


def yearly_growth(occupied: pd.Series, days: pd.Series) -> float | None:
    """Growth a year of occupied beds: the mean of the last whole year of the series over the
    mean of the first, per year between them; None with under two whole years (a season
    would pass for growth)."""
    span = (days.max() - days.min() + 1 - YEAR) / YEAR   # years between the two years' middles
    if span < 1.0:
        return None
    first = occupied[days < days.min() + YEAR].mean()
    last = occupied[days > days.max() - YEAR].mean()
    if not first > 0:
        return None
    return float((last / first) ** (1.0 / span) - 1.0)
