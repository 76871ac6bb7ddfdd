"""Pilot runs before a sweep: the warm-up chosen by MSER-5, and the time one run takes.

With ``warmup = "auto"`` an experiment's warm-up comes from pilot runs of the base scenario
started empty and run for the whole horizon: :func:`pilot_warmup` applies MSER-5
(:func:`sim.designs.mser5`) to acute occupancy and to care-home residents and takes the
longer. :func:`time_replication` times one shorter replication so the command line can say how
long the sweep will take before it starts.
"""

from __future__ import annotations

import math
import time

import pandas as pd

from . import designs
from .config import Scenario, with_overrides
from .experiments import run_replication
from .schema_base import YEAR
from .sweep_backends import outcome
from .sweep_plan import Plan


def pilot_warmup(plan: Plan, backend) -> tuple[float, dict]:
    """MSER-5 warm-up (days) from pilot runs of the base scenario started empty, and the
    detail ``analysis.json`` records (the longer of acute occupancy and care-home residents)."""
    spec = plan.spec
    base = plan.configs[spec.base_name]
    horizon = base.run.warmup_days + base.run.years * YEAR
    pilot = with_overrides(base, {"run.warmup_days": 0.0, "run.years": horizon / YEAR})
    tasks = [{"key": f"pilot__r{r}", "replication": r, "seed": spec.seed, "store": ["daily"],
              "config": pilot.model_dump(mode="json")} for r in range(spec.pilot_replications)]
    futures = {backend.submit(t) for t in tasks}
    results = []
    while futures:
        done = backend.wait(futures)
        futures -= done
        results += [outcome(f) for f in done]
    bad = [r for r in results if not r["ok"]]
    if bad:
        raise RuntimeError(f"warm-up pilot run failed:\n{bad[0]['traceback']}")
    daily = pd.concat([r["tables"]["daily"] for r in results])
    daily = daily[daily["day"] < math.floor(horizon)]
    wide = daily.pivot_table(index="day", columns="series", values="count", aggfunc="mean")
    acute = designs.mser5(wide["acute_treatment"] + wide["acute_delayed"])
    care = designs.mser5(wide["residential"] + wide["nursing"])
    days = float(max(acute["days"], care["days"]))
    return days, {"method": "MSER-5 (longer of acute occupancy and care-home residents)",
                  "pilot_replications": spec.pilot_replications, "pilot_days": horizon,
                  "acute_days": acute["days"], "care_home_days": care["days"],
                  "acute_at_limit": acute["at_limit"], "care_home_at_limit": care["at_limit"]}


def time_replication(cfg: Scenario, days: float = YEAR) -> float:
    """Expected seconds of one full replication, from a timed shorter one (scaled linearly).

    The timed run covers a whole year (winter raises the crisis rate, so a shorter run
    under-estimates), starting empty; set-up and result collection grow with the horizon too.
    """
    horizon = cfg.run.warmup_days + cfg.run.years * YEAR
    days = min(horizon, days)
    short = with_overrides(cfg, {"run.warmup_days": 0.0, "run.years": days / YEAR})
    start = time.perf_counter()
    run_replication(short, cfg.run.seed, 0)
    return (time.perf_counter() - start) * horizon / days
