"""The shape and causes of discharge delays and the wait for a bed, as KPIs of the one registry
(:data:`sim.kpis.KPIS`): issue 13's calibration targets.

How many live discharges leave a day or more after medically fit and how long those wait;
how much of the delayed time sits in long delays (a week or more, three weeks or more: the
Nuffield Trust's long-stay delays); the mean delay by pathway; the share of delayed bed days
spent waiting for service capacity; discharges at weekends; and the tail of the wait for an
acute bed (95th percentile, 12-hour waits). They read the counting window's ``discharge`` and
``admission`` events (value = days from medically fit to leaving, days waiting for a bed) and
the daily occupancy, like every other KPI.
"""

from __future__ import annotations

import numpy as np

from .kpi_base import NON_NEGATIVE, SHARE, Kpi
from .kpi_inputs import KpiInputs

#: pathways by number: where a discharge goes (sim.discharge)
PATHWAYS = ("home, no new support", "home with new support", "an intermediate-care bed",
            "a care home")


def _delays(d: KpiInputs) -> np.ndarray:
    """Days from medically fit to leaving of each live discharge in the counting window."""
    return d.of("discharge")["value"].to_numpy(dtype=float)


def _delayed_discharge_share(d: KpiInputs) -> float:
    delays = _delays(d)
    return float(np.mean(delays >= 1.0)) if len(delays) else 0.0


def _mean_delay_delayed(d: KpiInputs) -> float:
    delays = _delays(d)
    return float(delays[delays >= 1.0].mean()) if (delays >= 1.0).any() else 0.0


def _delayed_days_share_from(days: float):
    """Share of all delayed days accrued by people delayed ``days`` or more."""
    def compute(d: KpiInputs) -> float:
        delays = _delays(d)
        total = delays.sum()
        return float(delays[delays >= days].sum() / total) if total > 0 else 0.0
    return compute


def _mean_delay_of_pathway(pathway: int):
    """Mean days from medically fit to leaving over the live discharges on one pathway."""
    def compute(d: KpiInputs) -> float:
        discharges = d.of("discharge")
        values = discharges.loc[discharges["detail"] == str(pathway), "value"].to_numpy()
        return float(np.mean(values)) if len(values) else 0.0
    return compute


def _capacity_delay_share(d: KpiInputs) -> float:
    delayed = float(d.window["acute_delayed"].sum())
    waiting = float(d.window["delayed:service_capacity"].sum())
    return waiting / delayed if delayed > 0 else 0.0


def _weekend_discharge_ratio(d: KpiInputs) -> float:
    """Live discharges per Saturday or Sunday relative to a weekday, by day of leaving."""
    days = np.floor(d.of("discharge")["time_days"].to_numpy(dtype=float)).astype(int)
    weekend = (days + d.start.day_of_week) % 7 >= 5
    return float((weekend.sum() / 2) / ((~weekend).sum() / 5)) if (~weekend).any() else 0.0


def _boarding_hours(d: KpiInputs) -> np.ndarray:
    return d.of("admission")["value"].to_numpy(dtype=float) * 24


DELAY_KPIS = (
    Kpi("delayed_discharge_share", "share", "Discharges delayed a day or more",
        "share of live acute discharges leaving one day or more after medically fit",
        "The share of discharges delayed a day or more", SHARE, _delayed_discharge_share),
    Kpi("weekend_discharge_ratio", "ratio", "Weekend discharges per weekday's",
        "live acute discharges per Saturday or Sunday relative to a weekday",
        "Discharges on a weekend day relative to a weekday", NON_NEGATIVE,
        _weekend_discharge_ratio),
    Kpi("mean_delay_delayed_days", "days", "Mean delay of the delayed (days)",
        "mean days from medically fit to leaving, over discharges delayed a day or more",
        "The mean delay of those delayed a day or more", NON_NEGATIVE, _mean_delay_delayed),
    Kpi("long_delay_bed_share", "share", "Delayed days in delays of 7+ days",
        "share of the delayed days of live discharges accrued by people delayed 7 days or "
        "more", "The share of delayed days in delays of a week or more", SHARE,
        _delayed_days_share_from(7.0)),
    Kpi("very_long_delay_bed_share", "share", "Delayed days in delays of 21+ days",
        "share of the delayed days of live discharges accrued by people delayed 21 days or "
        "more", "The share of delayed days in delays of three weeks or more", SHARE,
        _delayed_days_share_from(21.0)),
    *[Kpi(f"mean_delay_p{n}_days", "days", f"Mean delay once fit, pathway {n} (days)",
          f"mean days from medically fit to leaving, over live discharges on pathway {n} "
          f"({label})", f"The mean delay on pathway {n} ({label})", NON_NEGATIVE,
          _mean_delay_of_pathway(n))
      for n, label in enumerate(PATHWAYS)],
    Kpi("capacity_delay_share", "share", "Delayed days waiting for capacity",
        "share of delayed bed days spent waiting for service capacity (home care, "
        "reablement, intermediate care, a care home)",
        "The share of delayed bed days spent waiting for service capacity", SHARE,
        _capacity_delay_share),
)

BOARDING_KPIS = (
    Kpi("boarding_wait_p95_hours", "hours", "Wait for a bed, 95th percentile (h)",
        "95th percentile of the wait for an acute bed over all admissions",
        "The 95th percentile of the wait for an acute bed", NON_NEGATIVE,
        lambda d: float(np.percentile(_boarding_hours(d), 95)) if len(d.of("admission"))
        else 0.0),
    Kpi("boarding_12h_share", "share", "Admissions waiting 12 h or more",
        "share of admissions waiting 12 hours or more for an acute bed",
        "The share of admissions waiting 12 hours or more for a bed", SHARE,
        lambda d: float(np.mean(_boarding_hours(d) >= 12.0)) if len(d.of("admission"))
        else 0.0),
)
