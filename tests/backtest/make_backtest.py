"""Store the backtest: a few arrangements on a small place, one fixed seed, every tidy output.

The engine redesign and the speed work must reproduce these tables exactly (same model, same
random numbers); ``tests/test_backtest.py`` checks it. Re-store only when a change is *meant*
to move results (a defect fixed, a new random-number scheme), and say in the commit which
outputs moved, by how much and why::

    python tests/backtest/make_backtest.py              # every table
    python tests/backtest/make_backtest.py discharges   # only the named tables (a new one)
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

PEOPLE, YEARS, WARMUP, SEED = 4000, 1.5, 60.0, 7

#: (scenario name, shipped config, extra overrides): fragmented and the arrangements whose
#: mechanisms differ most (pool + joint assessment, integrated provider with teams and outcome
#: payments, discharge to assess with interim payers, rationing on a tight pool), and fragmented
#: without the CHC route for people already in care.
CASES = {
    "fragmented": ("fragmented", {}),
    "pooled": ("pooled", {}),
    "integrated": ("integrated", {}),
    "discharge_to_assess": ("fragmented", {"assessment.discharge_to_assess":
                                           ["reablement", "home_care", "care_home"]}),
    # CHC for people already in care off (sim.chc): the model as it was before that route
    "fragmented_no_chc_in_care": ("fragmented", {"chc.in_care_checklist_share": 0.0,
                                                 "chc.start_eligible_share": 0.0,
                                                 "chc.start_home_eligible_share": 0.0}),
    "tight_pool": ("pooled", {"budgets.rationing.mode": "eligibility",
                              "funding.pool.la_contribution_gbp_per_year": 77_300_000.0 * 0.75
                              * PEOPLE / 55_200}),
}
TABLES = ("daily", "monthly_costs", "monthly_resource", "budgets", "cost_shifting", "discharges")


def scenario(name: str):
    """The backtest scenario ``name`` on the small place."""
    from tests.conftest import small
    config, overrides = CASES[name]
    return small(config, people=PEOPLE, years=YEARS, warmup_days=WARMUP,
                 **{k.replace(".", "__"): v for k, v in overrides.items()})


def outputs(name: str) -> dict:
    """Every tidy table of one replication of the backtest scenario, keyed by table name."""
    import pandas as pd

    from sim.experiments import run_replication
    res = run_replication(scenario(name), SEED, 0)
    tables = {t: getattr(res, t) for t in TABLES}
    tables["kpis"] = pd.DataFrame({"kpi": list(res.kpis), "value": list(res.kpis.values())})
    return tables


def main(only: list[str]) -> None:
    """Store every table of every case, or only the tables named in ``only``."""
    unknown = set(only) - {*TABLES, "kpis"}
    if unknown:
        sys.exit(f"unknown table {sorted(unknown)}; tables: kpis, {', '.join(TABLES)}")
    for name in CASES:
        for table, frame in outputs(name).items():
            if not only or table in only:
                frame.to_parquet(HERE / f"{name}__{table}.parquet", index=False)
        print(f"stored {name}")


if __name__ == "__main__":
    main(sys.argv[1:])
