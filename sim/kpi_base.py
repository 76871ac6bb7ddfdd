"""What a KPI is: the :class:`Kpi` record, its units and the ranges its mean can take.

Shared by the registry (:mod:`sim.kpis`) and the modules whose KPIs it includes
(:mod:`sim.kpis_outcomes`), so that they need not import each other.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .kpi_inputs import KpiInputs

#: the values a KPI's mean can take (the range :func:`sim.stats.mean_interval` keeps to)
NON_NEGATIVE = (0.0, math.inf)   # counts, £, hours, days, beds and people
SHARE = (0.0, 1.0)               # a share of a whole
SIGNED = (-math.inf, math.inf)   # e.g. a top-up (+) or refund (-)


@dataclass(frozen=True)
class Kpi:
    """One KPI: what it is called, measured in and means, and how it is computed."""

    name: str
    unit: str          # one of UNITS
    label: str         # short, with its unit, for figures and tables
    definition: str    # one line for the README and the report
    phrase: str        # how a sentence of the report names it
    range: tuple[float, float]   # NON_NEGATIVE, SHARE or SIGNED
    compute: Callable[[KpiInputs], float]


UNITS = ("per year", "bed days per year", "days per year", "£ per year", "share", "beds",
         "people", "hours", "days", "per 100,000 a year", "per 50,000", "per resident-year",
         "QALYs per year", "ratio")
