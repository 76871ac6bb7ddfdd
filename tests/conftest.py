"""Shared helpers: a scaled-down place that runs in about a second, and cached runs."""

from __future__ import annotations

from collections import OrderedDict

import pytest

import sim
from sim.scaling import PLACE_FIELDS, POOL_CONTRIBUTIONS, scale_overrides

DEFAULT_PEOPLE = 55_200


def place_overrides(people: int, years: float = 1.0, warmup_days: float = 60.0) -> dict:
    """Overrides that shrink the default place to ``people`` aged 65+, capacities in proportion.

    The place (people, entrants, capacities, teams, budgets) is the fragmented config's, scaled
    by :func:`sim.scaling.scale_overrides` (teams rounded up, so that a small place keeps a
    workable team); pool money, governance and bed-closure steps are left to :func:`small`.
    """
    base = sim.load_config("fragmented")
    out = scale_overrides(base, people / DEFAULT_PEOPLE, PLACE_FIELDS)
    out["population.size"] = people
    return {**out, "run.years": years, "run.warmup_days": warmup_days}


def small(name: str = "fragmented", people: int = 6000, years: float = 1.0,
          warmup_days: float = 60.0, **overrides) -> sim.Scenario:
    """A shipped config shrunk to a small place, plus dotted overrides (``a__b=`` for a.b)."""
    changes = place_overrides(people, years, warmup_days)
    if name != "fragmented":
        # the arrangement's own capacities where it deploys more (integrated's intermediate-
        # care beds, frailty team and end-of-life places), and its pool contributions
        own = scale_overrides(sim.load_config(name), people / DEFAULT_PEOPLE,
                              PLACE_FIELDS + POOL_CONTRIBUTIONS)
        own.pop("population.size", None)
        changes.update(own)
        for funder in ("nhs", "la"):     # a contribution given as a share needs no amount
            if f"funding__pool__{funder}_contribution_share" in overrides:
                changes[f"funding.pool.{funder}_contribution_gbp_per_year"] = 0.0
    changes.update({k.replace("__", "."): v for k, v in overrides.items()})
    return sim.load_config(name, overrides=changes)


_RUNS: OrderedDict[tuple[str, int, int], sim.Results] = OrderedDict()
_RUNS_KEPT = 32   # results of a 10,000-person year are a few MB each


def run_once(cfg: sim.Scenario, replications: int | None = None,
             seed: int | None = None) -> sim.Results:
    """``sim.run(cfg, replications, seed)``, computed once per test process and then shared.

    Many paired comparisons share an arm (the fragmented place of a given size, say), and a
    run is a pure function of its config, replications and seed (common random numbers), so
    tests that only read the results may share them. The key is the whole config: any change
    to it is another run. The most recently used runs are kept.
    """
    replications = cfg.run.replications if replications is None else replications
    seed = cfg.run.seed if seed is None else seed
    key = (cfg.model_dump_json(), replications, seed)
    if key in _RUNS:
        _RUNS.move_to_end(key)
    else:
        _RUNS[key] = sim.run(cfg, replications=replications, seed=seed, progress=False)
        if len(_RUNS) > _RUNS_KEPT:
            _RUNS.popitem(last=False)
    return _RUNS[key]


def _cached_run(name: str, people: int, years: float, replications: int, seed: int):
    return run_once(small(name, people, years), replications, seed)


@pytest.fixture(scope="session")
def cached_run():
    """Run (and remember) a small place: ``cached_run(name, people, years, reps, seed)``."""
    return _cached_run
