"""A larger or smaller place of the same shape: one rule for cases, ``--scale`` and the tests.

Scaling a place by a factor multiplies every field that grows with its size
(:data:`SCALED_FIELDS`: people, entrants, capacities, teams, budgets, pool contributions and
governance, the beds a savings review closes, the counts of a snapshot start), so that rates per
person, occupancy shares and money per person stay as they were. Counts are rounded to whole
units (at least one, unless there were none); assessment teams are rounded up so that a small
place keeps a workable team (they run at ~80% load); home-care hours are whole hours a week.
Properties of a unit, not of the place, are not scaled (``home_care.hours_per_carer``: a smaller
place has fewer carers, each delivering the same hours); the number of localities is (a smaller
place has fewer patches of the same size, at least one). ``caresim run/compare/sweep --scale
F``, :func:`scaled` (the Python API), case files' ``scale`` and the test suite's small places
all go through :func:`scale_overrides`.
"""

from __future__ import annotations

import math
from typing import Any

from .config import Scenario, with_overrides
from .schema_start import COUNTS

#: The place: people, entrants, capacities, teams and budgets.
PLACE_FIELDS = (
    "population.size", "population.entrants_per_year", "acute.beds", "acute.escalation_beds",
    "intermediate_care.beds", "reablement.places", "home_care.capacity_hours_per_week",
    "care_homes.beds", "assessment.nhs_assessors", "assessment.la_social_workers",
    "avoidance.urgent_response_slots", "budgets.nhs_gbp_per_year", "budgets.la_gbp_per_year",
    "frailty_unit.assessments_per_day",
    "end_of_life.slots", "virtual_ward.beds",
    # localities are areas of about the same population: a smaller place has fewer of them
    # (at least one), so a quarter place's patches are as large as the full place's
    "home_care.localities", "care_homes.localities", "reablement.localities")
#: What the partners put into a pooled budget.
POOL_CONTRIBUTIONS = ("funding.pool.nhs_contribution_gbp_per_year",
                      "funding.pool.la_contribution_gbp_per_year")
#: The people of a snapshot start (:mod:`sim.schema_start`): counts grow with the place.
START_FIELDS = tuple(f"start.{name}" for name in COUNTS)
#: Fields that grow with the size of the place; scaling multiplies them. Add new absolute
#: capacities and budgets here (tests/test_cases.py guards the naming patterns it knows).
SCALED_FIELDS = PLACE_FIELDS + POOL_CONTRIBUTIONS + (
    "funding.pool.governance_cost_gbp_per_year", "savings.beds_closed_per_review") \
    + START_FIELDS
#: Teams rounded up, so that a small place keeps a workable team (they run at ~80% load).
ROUNDED_UP = ("assessment.nhs_assessors", "assessment.la_social_workers")
#: Float fields kept in whole units (at least one).
WHOLE = ("home_care.capacity_hours_per_week",)


def value_at(config: Scenario, path: str) -> Any:
    """The value of a dotted field of a config."""
    value = config
    for part in path.split("."):
        value = getattr(value, part)
    return value


def scale_overrides(config: Scenario, factor: float,
                    fields: tuple[str, ...] = SCALED_FIELDS) -> dict[str, Any]:
    """Dotted overrides that grow (or shrink) a config's place by ``factor``."""
    return {path: scale_value(path, value_at(config, path), factor) for path in fields}


def scale_value(path: str, value: Any, factor: float) -> Any:
    """One value of a field that grows with the place, ``factor`` times, rounded as the field
    is (teams up, counts and hours to whole units; a place without one keeps none). Sweeps
    scale their design ranges of these fields with it (:func:`sim.cases.scale_experiment`)."""
    x = value * factor
    if path in ROUNDED_UP:
        return max(1, math.ceil(x - 1e-9))
    if isinstance(value, int) or path in WHOLE:
        return max(1 if value else 0, round(x))
    return x


def scaled(config: Scenario, factor: float) -> Scenario:
    """The config with its place grown (or shrunk) by ``factor`` (1: unchanged)."""
    if factor == 1:
        return config
    return with_overrides(config, scale_overrides(config, factor))
