"""Shared helpers: a scaled-down place that runs in about a second, and cached runs."""

from __future__ import annotations

import functools

import pytest

import sim

DEFAULT_PEOPLE = 55_200


def place_overrides(people: int, years: float = 1.0, warmup_days: float = 60.0) -> dict:
    """Overrides that shrink the default place to ``people`` aged 65+, capacities in proportion.

    Assessment teams are rounded up so that a small place keeps a workable team.
    """
    f = people / DEFAULT_PEOPLE
    base = sim.load_config("fragmented")

    def scaled(value, minimum=1):
        return max(minimum, round(value * f))

    return {
        "population.size": people,
        "population.entrants_per_year": base.population.entrants_per_year * f,
        "acute.beds": scaled(base.acute.beds),
        "acute.escalation_beds": scaled(base.acute.escalation_beds),
        "intermediate_care.beds": scaled(base.intermediate_care.beds),
        "reablement.places": scaled(base.reablement.places),
        "home_care.capacity_hours_per_week": scaled(base.home_care.capacity_hours_per_week),
        "care_homes.beds": scaled(base.care_homes.beds),
        "assessment.nhs_assessors": max(1, -(-base.assessment.nhs_assessors * people
                                             // DEFAULT_PEOPLE)),
        "assessment.la_social_workers": max(1, -(-base.assessment.la_social_workers * people
                                                 // DEFAULT_PEOPLE)),
        "avoidance.urgent_response_slots": scaled(base.avoidance.urgent_response_slots),
        "budgets.nhs_gbp_per_year": base.budgets.nhs_gbp_per_year * f,
        "budgets.la_gbp_per_year": base.budgets.la_gbp_per_year * f,
        "run.years": years,
        "run.warmup_days": warmup_days,
    }


def small(name: str = "fragmented", people: int = 6000, years: float = 1.0,
          warmup_days: float = 60.0, **overrides) -> sim.Scenario:
    """A shipped config shrunk to a small place, plus dotted overrides (``a__b=`` for a.b)."""
    changes = place_overrides(people, years, warmup_days)
    if name != "fragmented":
        shipped = sim.load_config(name)
        pool = shipped.funding.pool
        f = people / DEFAULT_PEOPLE
        for funder in ("nhs", "la"):     # a contribution given as a share needs no amount
            shared = f"funding__pool__{funder}_contribution_share" in overrides
            changes[f"funding.pool.{funder}_contribution_gbp_per_year"] = \
                0.0 if shared else getattr(pool, f"{funder}_contribution_gbp_per_year") * f
    changes.update({k.replace("__", "."): v for k, v in overrides.items()})
    return sim.load_config(name, overrides=changes)


@functools.lru_cache(maxsize=None)
def _cached_run(name: str, people: int, years: float, replications: int, seed: int):
    return sim.run(small(name, people, years), replications=replications, seed=seed,
                   progress=False)


@pytest.fixture(scope="session")
def cached_run():
    """Run (and remember) a small place: ``cached_run(name, people, years, reps, seed)``."""
    return _cached_run
