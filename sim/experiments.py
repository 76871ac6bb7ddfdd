"""Running replications and comparing scenarios with common random numbers.

``run`` executes replications of one scenario (serially, or on a pool of worker processes that
exit with this one: :mod:`sim.workers`) and returns :class:`~sim.results.Results`; its progress
bar moves in simulated days as the replications advance, with an estimate of the time left.
``compare`` runs several scenarios on one pool under one progress bar, with
the same seed and replication numbers, so replication r of every scenario meets the same
people, the same crisis thresholds and the same lengths of stay wherever the arrangements do
not change them, and reports paired differences with 95% intervals.
"""

from __future__ import annotations

import datetime as dt
import time

import pandas as pd
from tqdm.auto import tqdm

from .config import Scenario
from .model import Model
from .results import ReplicationResult, Results, collect
from .schema_base import YEAR
from .workers import Pool


def run_replication(cfg: Scenario, seed: int, replication: int, event_log: bool = False,
                    progress=None, yearly: bool = False) -> ReplicationResult:
    """Simulate one replication and collect its tidy outputs (``yearly``: also its KPIs per
    whole year)."""
    model = Model(cfg, seed, replication, event_log=event_log)
    model.run(progress=progress)
    return collect(model, replication, seed, yearly)


def run(cfg: Scenario, replications: int | None = None, seed: int | None = None,
        progress: bool = True, workers: int = 1, event_log: bool = False) -> Results:
    """Run replications of a scenario.

    Parameters
    ----------
    cfg : a validated Scenario (see :func:`sim.load_config`).
    replications, seed : default to the config's ``run`` section.
    progress : show a progress bar in simulated days, with an estimate of the time left.
    workers : processes to use (1 = serial in this process).
    event_log : keep the per-person event log (large; for validation and animation).
    """
    replications = cfg.run.replications if replications is None else replications
    seed = cfg.run.seed if seed is None else seed
    return _run_all([cfg], replications, seed, progress, workers, event_log)[0]


def _run_all(configs: list[Scenario], replications: int, seed: int, progress: bool,
             workers: int, event_log: bool) -> list[Results]:
    """Every replication of every scenario, on one pool and under one progress bar.

    A scenario's ``started`` is when its first replication was started (with a pool, all are
    queued at once), its ``finished`` and ``wall_seconds`` when its last replication ended.
    """
    if replications < 1:
        raise ValueError(f"replications must be at least 1, got {replications}")
    jobs = [(i, rep) for i in range(len(configs)) for rep in range(replications)]
    name = configs[0].name + (f" +{len(configs) - 1}" if len(configs) > 1 else "")
    bar = _DaysBar({job: _horizon(configs[job[0]]) for job in jobs},
                   f"{name} (simulated days)", progress)
    started: dict[int, tuple[str, float]] = {}
    finished: dict[int, tuple[str, float]] = {}
    results: dict[int, list[ReplicationResult]] = {i: [] for i in range(len(configs))}

    def done(job: tuple[int, int], result: ReplicationResult) -> None:
        results[job[0]].append(result)
        finished[job[0]] = _stamp()
        bar.finish(job)

    workers = max(1, min(workers, len(jobs)))
    if workers == 1:
        for job in jobs:
            started.setdefault(job[0], _stamp())
            report = (lambda days, job=job: bar.add(job, days)) if progress else None
            done(job, run_replication(configs[job[0]], seed, job[1], event_log, report))
    else:
        with Pool(workers, progress) as pool:
            futures = {pool.submit(run_replication, configs[i], seed, rep, event_log,
                                   pool.reporter((i, rep))): (i, rep) for i, rep in jobs}
            started = dict.fromkeys(results, _stamp())
            for future in pool.as_completed(futures, bar.add):
                done(futures[future], future.result())
    bar.close()
    return [Results(cfg, seed, sorted(results[i], key=lambda r: r.replication), started[i][0],
                    finished[i][0], finished[i][1] - started[i][1])
            for i, cfg in enumerate(configs)]


def _horizon(cfg: Scenario) -> float:
    """Simulated days of one replication: warm-up plus the counted years."""
    return cfg.run.warmup_days + cfg.run.years * YEAR


def _stamp() -> tuple[str, float]:
    return dt.datetime.now().isoformat(timespec="seconds"), time.perf_counter()


class _DaysBar:
    """One tqdm bar in simulated days over many replications, with tqdm's estimate of the time
    left. Reports come in chunks (30 days, see ``Model.run``); a replication counts its whole
    horizon once it ends, and reports that arrive after that add nothing."""

    def __init__(self, horizons: dict, desc: str, enabled: bool):
        self.horizon = horizons
        self.days = dict.fromkeys(horizons, 0.0)
        self.bar = tqdm(total=sum(round(h) for h in horizons.values()), unit="day", desc=desc,
                        disable=not enabled, leave=False, dynamic_ncols=True)

    def add(self, key, days: float) -> None:
        """``days`` more simulated days of replication ``key``."""
        self._set(key, min(self.days[key] + days, self.horizon[key]))

    def finish(self, key) -> None:
        """Replication ``key`` has ended."""
        self._set(key, self.horizon[key])

    def _set(self, key, days: float) -> None:
        step = round(days) - round(self.days[key])
        self.days[key] = days
        if step:
            self.bar.update(step)

    def close(self) -> None:
        self.bar.close()


def paired_differences(base: Results, other: Results) -> pd.DataFrame:
    """Per-KPI paired comparison of other against base over their common replications.

    Columns: kpi, base, scenario, then :func:`sim.stats.paired_summary`: the mean difference
    (other - base) with its 95% paired t-interval, and the % change with Fieller's interval
    (never below -100% for a quantity that cannot be negative).
    """
    from .stats import paired_summary  # scipy.stats: imported only when comparing

    a = base.kpis.pivot(index="replication", columns="kpi", values="value")
    b = other.kpis.pivot(index="replication", columns="kpi", values="value")
    common = a.index.intersection(b.index)
    rows = [{"kpi": kpi, "base": base.config.name, "scenario": other.config.name,
             **paired_summary(a.loc[common, kpi], b.loc[common, kpi], kpi)}
            for kpi in a.columns]
    return pd.DataFrame(rows)


def compare(configs: list[Scenario], replications: int | None = None, seed: int | None = None,
            progress: bool = True, workers: int = 1) -> tuple[list[Results], pd.DataFrame]:
    """Run scenarios with common random numbers; differences are against the first.

    All replications of all scenarios share one pool of ``workers`` processes and one progress
    bar (scenarios x replications x horizon days), so no core idles between scenarios.
    """
    seed = configs[0].run.seed if seed is None else seed   # one seed: common random numbers
    replications = configs[0].run.replications if replications is None else replications
    runs = _run_all(configs, replications, seed, progress, workers, event_log=False)
    diffs = [paired_differences(runs[0], r) for r in runs[1:]]
    return runs, pd.concat(diffs, ignore_index=True) if diffs else pd.DataFrame()
