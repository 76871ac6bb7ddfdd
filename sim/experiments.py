"""Running replications and comparing scenarios with common random numbers.

``run`` executes replications of one scenario (serially with a progress bar, or on several
processes) and returns :class:`~sim.results.Results`. ``compare`` runs several scenarios with
the same seed and replication numbers, so replication r of every scenario meets the same
people, the same crisis thresholds and the same lengths of stay wherever the arrangements do
not change them, and reports paired differences with 95% intervals.
"""

from __future__ import annotations

import datetime as dt
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

import pandas as pd
from tqdm.auto import tqdm

from .config import Scenario
from .model import Model
from .results import ReplicationResult, Results, collect
from .stats import paired_summary


def run_replication(cfg: Scenario, seed: int, replication: int, event_log: bool = False,
                    progress=None) -> ReplicationResult:
    """Simulate one replication and collect its tidy outputs."""
    model = Model(cfg, seed, replication, event_log=event_log)
    model.run(progress=progress)
    return collect(model, replication, seed)


def run(cfg: Scenario, replications: int | None = None, seed: int | None = None,
        progress: bool = True, workers: int = 1, event_log: bool = False) -> Results:
    """Run replications of a scenario.

    Parameters
    ----------
    cfg : a validated Scenario (see :func:`sim.load_config`).
    replications, seed : default to the config's ``run`` section.
    progress : show a progress bar in simulated days.
    workers : processes to use (1 = serial in this process).
    event_log : keep the per-person event log (large; for validation and animation).
    """
    replications = cfg.run.replications if replications is None else replications
    if replications < 1:
        raise ValueError(f"replications must be at least 1, got {replications}")
    seed = cfg.run.seed if seed is None else seed
    workers = max(1, min(workers, replications))
    started = dt.datetime.now().isoformat(timespec="seconds")
    clock = time.perf_counter()
    horizon = cfg.run.warmup_days + cfg.run.years * 365.25
    bar = tqdm(total=round(replications * horizon), unit="day", desc=cfg.name,
               disable=not progress, leave=False)
    results: list[ReplicationResult] = []
    if workers <= 1:
        for rep in range(replications):
            results.append(run_replication(cfg, seed, rep, event_log,
                                           progress=lambda d: bar.update(round(d))))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(run_replication, cfg, seed, rep, event_log)
                       for rep in range(replications)]
            for future in as_completed(futures):
                results.append(future.result())
                bar.update(round(horizon))
        results.sort(key=lambda r: r.replication)
    bar.close()
    finished = dt.datetime.now().isoformat(timespec="seconds")
    return Results(cfg, seed, results, started, finished, time.perf_counter() - clock)


def paired_differences(base: Results, other: Results) -> pd.DataFrame:
    """Per-KPI paired comparison of other against base over their common replications.

    Columns: kpi, base, scenario, then :func:`sim.stats.paired_summary`: the mean difference
    (other - base) with its 95% paired t-interval, and the % change with Fieller's interval
    (never below -100% for a quantity that cannot be negative).
    """
    a = base.kpis.pivot(index="replication", columns="kpi", values="value")
    b = other.kpis.pivot(index="replication", columns="kpi", values="value")
    common = a.index.intersection(b.index)
    rows = [{"kpi": kpi, "base": base.config.name, "scenario": other.config.name,
             **paired_summary(a.loc[common, kpi], b.loc[common, kpi], kpi)}
            for kpi in a.columns]
    return pd.DataFrame(rows)


def compare(configs: list[Scenario], replications: int | None = None, seed: int | None = None,
            progress: bool = True, workers: int = 1) -> tuple[list[Results], pd.DataFrame]:
    """Run scenarios with common random numbers; differences are against the first."""
    seed = configs[0].run.seed if seed is None else seed   # one seed: common random numbers
    replications = configs[0].run.replications if replications is None else replications
    runs = [run(cfg, replications, seed, progress, workers) for cfg in configs]
    diffs = [paired_differences(runs[0], r) for r in runs[1:]]
    return runs, pd.concat(diffs, ignore_index=True) if diffs else pd.DataFrame()
