"""Experiments at scale: scenarios x design points x replications, resumable, on many cores.

An experiment (``experiments/*.toml``, validated like a config) names a base config, scenarios
as *deltas* (dotted-key overrides, the paths of ``--set``), a replication rule (a number, or
``{auto = 0.05, kpis = [...], min, max}``: Hoad, Robinson & Davies 2010), a warm-up (days,
``{financial_years = N}`` or ``"auto"``: MSER-5 on a pilot run) and a design (see
:mod:`sim.designs`). Every (scenario, design point) pair is a *point*; every point is run for
each replication. With ``crn = true`` (the default) every point uses the experiment seed, so
replication r meets the same people and draws at every point (common random numbers); with
``crn = false`` each point gets its own seed derived from its id (independent streams).

:func:`run_sweep` sends each run (the resolved config as a dict, never a path) to a local
process pool, a Dask ``LocalCluster`` or an existing Dask scheduler, and writes each finished
run atomically as its own Parquet part ``runs/<point>__r<rep>__s<seed>.parquet``; rerunning into
the same folder skips finished parts, so a killed sweep resumes to the same dataset. A run that
raises is recorded in ``failures.parquet`` and the sweep goes on. At the end it writes
``kpis.parquet``, ``design.parquet``, ``analysis.json`` and ``manifest.json``; :func:`analyse`
recomputes the last from stored runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import re
import socket
import sys
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from . import designs
from .config import (
    ConfigError,
    Scenario,
    build,
    format_errors,
    leaf_fields,
    read_toml,
    with_overrides,
)
from .designs import Param
from .results import KPI_DESCRIPTIONS

TABLES = ("kpis", "daily", "monthly_costs", "monthly_resource", "budgets", "cost_shifting")
NAME = r"^[A-Za-z0-9_-]+$"
_UNION_TAGS = re.compile(r"^(int|float|str|bool|AutoReplications|FinancialYears|literal\[.*\]|"
                         r"function-.*|constrained-.*)$")


def _known_kpis(names: list[str]) -> list[str]:
    unknown = [k for k in names if k not in KPI_DESCRIPTIONS]
    if unknown:
        raise ValueError(f"unknown KPI {unknown} (known: {', '.join(KPI_DESCRIPTIONS)})")
    return names


class Spec(BaseModel):
    """Base of experiment sections: frozen, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class AutoReplications(Spec):
    auto: float = Field(gt=0, lt=1, description="Target relative half-width of the 95% "
                        "interval of each named KPI (0.05 = 5% of the mean).")
    kpis: list[str] = Field(min_length=1, description="KPIs that must meet the precision.")
    min: int = Field(3, ge=2, description="Replications run before the rule is applied.")
    max: int = Field(50, ge=2, description="Replication budget per point.")
    look_ahead: int = Field(5, ge=0, description="Hoad et al.'s look-ahead (kLimit).")

    _kpis = field_validator("kpis")(_known_kpis)

    @model_validator(mode="after")
    def _bounds(self):
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


class FinancialYears(Spec):
    financial_years: int = Field(ge=0, description="Warm-up to the start of the N-th financial "
                                 "year (1 April) after the start date.")


class ScenarioDelta(Spec):
    config: str | None = Field(None, description="Config replacing the experiment base (file "
                               "relative to the experiment, or a shipped name).")
    description: str = ""
    set: dict[str, Any] = Field(default_factory=dict, description="Dotted-key overrides.")


class ParameterRange(Spec):
    low: float | None = None
    high: float | None = None
    relative: float | None = Field(None, gt=0, lt=1, description="Range base x (1 -/+ r).")
    values: list[Any] | None = Field(None, min_length=1, description="Grid values.")

    @model_validator(mode="after")
    def _one_form(self):
        forms = [self.low is not None or self.high is not None, self.relative is not None,
                 self.values is not None]
        if sum(forms) != 1:
            raise ValueError("give exactly one of: low and high; relative; values")
        if forms[0] and (self.low is None or self.high is None or self.low >= self.high):
            raise ValueError("needs low < high")
        return self


class Design(Spec):
    type: Literal["none", "oat", "grid", "lhs", "sobol", "morris"] = "none"
    parameters: dict[str, ParameterRange] = Field(default_factory=dict)
    n: int | None = Field(None, ge=1, description="lhs: samples; sobol: base sample N (a power "
                          "of 2; runs N(D+2)); morris: trajectories (runs N(D+1)).")
    levels: int = Field(4, ge=2, description="morris grid levels; grid values from low..high.")
    second_order: bool = Field(False, description="sobol: also second-order indices.")
    seed: int = Field(20250401, ge=0, description="Seed of the design sampler.")

    @model_validator(mode="after")
    def _complete(self):
        if self.type == "none" and self.parameters:
            raise ValueError("parameters need a design type (oat, grid, lhs, sobol, morris)")
        if self.type != "none" and not self.parameters:
            raise ValueError(f"a {self.type} design needs [design.parameters]")
        if self.type in ("lhs", "sobol", "morris") and self.n is None:
            raise ValueError(f"a {self.type} design needs n")
        if self.type == "sobol" and self.n & (self.n - 1):
            raise ValueError(f"sobol n must be a power of 2, got {self.n}")
        if self.type != "grid" and any(p.values is not None for p in self.parameters.values()):
            raise ValueError("values lists are for grid designs; use low/high or relative")
        return self


class Analysis(Spec):
    kpis: list[str] = Field(default_factory=list, description="KPIs analysed (empty: all).")
    contrasts: list[tuple[str, str]] = Field(
        default_factory=list, description="[A, B] pairs: also analyse the paired difference A - "
        "B at each design point (e.g. the pooling gain).")
    bootstrap_resamples: int = Field(1000, ge=10)
    conf_level: float = Field(0.95, gt=0, lt=1)
    bootstrap_seed: int = Field(1, ge=0)

    _kpis = field_validator("kpis")(_known_kpis)


class Experiment(Spec):
    """A caresim experiment: base config, scenario deltas, replications, warm-up, design."""

    name: str = Field(pattern=NAME)
    description: str = ""
    base: str = Field(description="Base config: file relative to the experiment, or a shipped "
                      "name (fragmented, pooled, theory/mmc_acute ...).")
    set: dict[str, Any] = Field(default_factory=dict, description="Overrides for every "
                                "scenario (e.g. a small place for tests).")
    seed: int = Field(1, ge=0)
    replications: int | AutoReplications = 10
    warmup: float | Literal["auto"] | FinancialYears | None = Field(
        None, description="Days, 'auto' (MSER-5 on a pilot), {financial_years = N}, or unset "
        "(keep run.warmup_days).")
    pilot_replications: int = Field(3, ge=1)
    crn: bool = True
    scenarios: dict[str, ScenarioDelta] = Field(default_factory=dict)
    base_scenario: str | None = None
    design: Design = Field(default_factory=Design)
    analysis: Analysis = Field(default_factory=Analysis)
    store: list[Literal[TABLES]] = Field(["kpis"], description="Tables kept per run.")

    @field_validator("replications", mode="before")
    @classmethod
    def _replications(cls, v):
        if isinstance(v, bool) or not isinstance(v, (int, dict)):
            allowed = "a whole number of replications, or {auto = 0.05, kpis = [...], min, max}"
            raise ValueError(f"expected {allowed}")  # noqa: TRY004 - pydantic wants ValueError
        if isinstance(v, int) and v < 1:
            raise ValueError("must be at least 1")
        return v

    @field_validator("warmup", mode="before")
    @classmethod
    def _warmup(cls, v):
        if isinstance(v, str) and v != "auto" or isinstance(v, (int, float)) and v < 0:
            raise ValueError("expected days >= 0, \"auto\" or {financial_years = N}")
        return v

    @field_validator("scenarios")
    @classmethod
    def _names(cls, v):
        bad = [k for k in v if not re.match(NAME, k)]
        if bad:
            raise ValueError(f"scenario names must be letters, digits, _ or -: {bad}")
        return v

    @model_validator(mode="after")
    def _references(self):
        names = self.scenario_names
        if self.base_scenario is not None and self.base_scenario not in names:
            raise ValueError(f"base_scenario {self.base_scenario!r} is not a scenario {names}")
        for a, b in self.analysis.contrasts:
            if a not in names or b not in names:
                raise ValueError(f"contrast [{a!r}, {b!r}] names a scenario not in {names}")
        return self

    @property
    def scenario_names(self) -> list[str]:
        """Scenario names in file order ('base' when none are given)."""
        return list(self.scenarios) or ["base"]

    @property
    def base_name(self) -> str:
        """The scenario that paired differences are taken against."""
        return self.base_scenario or self.scenario_names[0]


def _format(err: ValidationError, source: str) -> list[str]:
    """config.format_errors, with pydantic's union-member tags dropped from the path."""
    lines = []
    for line, e in zip(format_errors(err, source), err.errors()):
        tags = [str(p) for p in e["loc"] if _UNION_TAGS.match(str(p))]
        if tags and tags[0] in ("int", "float") and isinstance(e["input"], dict):
            continue  # the table form was meant: its own errors say what is wrong
        loc = [str(p) for p in e["loc"] if not _UNION_TAGS.match(str(p))]
        old = ".".join(str(p) for p in e["loc"]) or "(top level)"
        lines.append(line.replace(f": {old} = ", f": {'.'.join(loc) or '(top level)'} = ", 1))
    return list(dict.fromkeys(lines))


def _flatten(d: dict, prefix: str = "") -> dict[str, Any]:
    """Nested TOML tables to dotted keys ({acute = {beds = 1}} -> {"acute.beds": 1})."""
    out = {}
    for k, v in d.items():
        if isinstance(v, dict) and v:
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[prefix + k] = v
    return out


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment TOML file; ConfigError lines name file, field, value."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError([f"{path}: experiment file not found"])
    data = read_toml(path)
    data.setdefault("name", path.stem)
    for section in [data] + list((data.get("scenarios") or {}).values()):
        if isinstance(section, dict) and isinstance(section.get("set"), dict):
            section["set"] = _flatten(section["set"])
    try:
        return Experiment.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format(err, str(path))) from None


# --- plan: points, configs, seeds ----------------------------------------------------------
@dataclass(frozen=True)
class Point:
    """One (scenario, design point) pair and the overrides it adds to its scenario."""

    id: str
    scenario: str
    design_point: int
    seed: int
    overrides: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass
class Plan:
    """Everything needed to run or analyse an experiment, resolved from files once."""

    spec: Experiment
    source: str
    configs: dict[str, Scenario]
    params: list[Param]
    design: pd.DataFrame
    raw: np.ndarray | None
    points: list[Point]
    warmup: dict = field(default_factory=dict)
    fingerprint: str = ""  # hash of the experiment and its scenario configs (guards resuming)
    _cache: dict = field(default_factory=dict, repr=False)

    def config(self, point: Point) -> dict:
        """Resolved config of a point as a plain dict (what is sent to workers)."""
        if point.id not in self._cache:
            cfg = self.configs[point.scenario]
            if point.overrides:
                cfg = with_overrides(cfg, point.overrides)
            self._cache[point.id] = cfg.model_dump(mode="json")
        return self._cache[point.id]

    def __post_init__(self):
        if not self.fingerprint:
            blob = json.dumps([self.spec.model_dump(mode="json"),
                               {k: c.model_dump(mode="json") for k, c in self.configs.items()}],
                              sort_keys=True, default=str)
            self.fingerprint = hashlib.sha256(blob.encode()).hexdigest()[:16]

    def with_warmup(self, days: float, detail: dict) -> Plan:
        """The same plan with run.warmup_days set in every scenario (same fingerprint)."""
        configs = {k: with_overrides(c, {"run.warmup_days": float(days)})
                   for k, c in self.configs.items()}
        return Plan(self.spec, self.source, configs, self.params, self.design, self.raw,
                    self.points, {"days": float(days), **detail}, self.fingerprint)


def point_seed(seed: int, point_id: str) -> int:
    """Seed of a point under independent streams: a hash of (experiment seed, point id)."""
    digest = hashlib.blake2b(f"{seed}/{point_id}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "little") & 0x7FFFFFFF


def _config_path(name: str, base_dir: Path) -> str:
    local = base_dir / name
    return str(local) if local.is_file() else name


def _financial_year_warmup(start: dt.date, years: int) -> float:
    if years == 0:
        return 0.0
    first = dt.date(start.year if start.month < 4 else start.year + 1, 4, 1)
    if start.month == 4 and start.day == 1:
        first = start.replace(year=start.year + 1)
    return float((first.replace(year=first.year + years - 1) - start).days)


def _params(spec: Experiment, base: Scenario, source: str) -> list[Param]:
    fields = dict(leaf_fields())
    out, errors = [], []
    for path, r in spec.design.parameters.items():
        where = f"{source}: design.parameters.{path}"
        info = fields.get(path)
        if info is None:
            errors.append(f"{where} = {r.model_dump(exclude_none=True)}: unknown config field "
                          "(`caresim validate --schema` lists fields)")
            continue
        value = base
        for part in path.split("."):
            value = getattr(value, part)
        integer = info.annotation is int
        numeric = info.annotation in (int, float)
        if not numeric and r.values is None:
            errors.append(f"{where} = {value!r}: not a number; sweep it with a grid of values")
            continue
        if r.relative is not None:
            lo, hi = value * (1 - r.relative), value * (1 + r.relative)
        else:
            lo, hi = r.low, r.high
        if integer and lo is not None:
            lo, hi = round(lo), round(hi)
        out.append(Param(path, lo, hi, integer, tuple(r.values) if r.values else None, value))
    if errors:
        raise ConfigError(errors)
    return out


def resolve(spec: Experiment, source: str | Path,
            configs: dict[str, Scenario] | None = None) -> Plan:
    """Resolve an experiment into configs, design and points (ConfigError on bad values).

    ``configs`` (the stored scenario configs of a finished sweep) skips reading config files.
    """
    source = str(source)
    if configs is None:
        configs, errors = {}, []
        base_dir = Path(source).parent
        for name in spec.scenario_names:
            delta = spec.scenarios.get(name, ScenarioDelta())
            path = _config_path(delta.config or spec.base, base_dir)
            try:
                data = read_toml(path)
                data["name"] = name
                if delta.description:
                    data["description"] = delta.description
                cfg = build(data, f"{source}: scenarios.{name} (config {path})",
                            {**spec.set, **delta.set})
            except ConfigError as err:
                errors += [line if line.startswith(source) else f"{source}: scenarios.{name}: "
                           f"{line}" for line in err.lines]
                continue
            w = spec.warmup
            if isinstance(w, FinancialYears):
                w = _financial_year_warmup(cfg.run.start_date, w.financial_years)
            if isinstance(w, (int, float)):
                cfg = with_overrides(cfg, {"run.warmup_days": float(w)})
            configs[name] = cfg
        if errors:
            raise ConfigError(errors)
    base = configs[spec.base_name]
    params = _params(spec, base, source)
    d = spec.design
    table, raw = designs.generate(d.type, params, d.n, d.levels, d.second_order, d.seed)
    points = []
    for name in spec.scenario_names:
        for row in table.to_dict("records"):
            dp = int(row.pop("design_point"))
            pid = name if d.type == "none" else f"{name}@{dp:0{len(str(len(table) - 1))}d}"
            overrides = {p.path: p.cast(row[p.path]) for p in params}
            seed = spec.seed if spec.crn else point_seed(spec.seed, pid)
            points.append(Point(pid, name, dp, seed, overrides))
    plan = Plan(spec, source, configs, params, table, raw, points)
    for point in points:
        try:
            plan.config(point)
        except ConfigError as err:
            raise ConfigError([f"{source}: point {point.id}: {line}"
                               for line in err.lines]) from None
    return plan


def replication_plan(spec: Experiment) -> tuple[int, int]:
    """(fewest, most) replications per point."""
    r = spec.replications
    return (r, r) if isinstance(r, int) else (r.min, r.max)


# --- running -------------------------------------------------------------------------------
def execute(task: dict) -> dict:
    """Run one replication (in a worker); never raises: a failure comes back with its traceback.

    Returns only small tables (the KPIs, plus the tables the experiment stores), so nothing
    big crosses the process or network boundary.
    """
    from .experiments import run_replication
    started, cpu = time.perf_counter(), time.process_time()
    out = {"key": task["key"], "worker": f"{socket.gethostname()}:{os.getpid()}"}
    try:
        cfg = Scenario.model_validate(task["config"])
        res = run_replication(cfg, task["seed"], task["replication"])
        out.update(ok=True, kpis={k: float(v) for k, v in res.kpis.items()},
                   tables={t: getattr(res, t) for t in task["store"] if t != "kpis"})
    except Exception as exc:  # noqa: BLE001 - isolating any model failure is the point
        out.update(ok=False, error=f"{type(exc).__name__}: {exc}",
                   traceback=traceback.format_exc())
    out["wall_seconds"] = time.perf_counter() - started
    out["cpu_seconds"] = time.process_time() - cpu  # whole worker process, all threads
    return out


class _Serial:
    """Runs tasks one at a time in this process (workers=1; also the benchmark baseline)."""

    slots = 1

    def __init__(self):
        self._order: deque = deque()

    def submit(self, task):
        from concurrent.futures import Future
        future = Future()
        future.task = task
        self._order.append(future)
        return future

    def wait(self, futures):
        future = next(f for f in self._order if f in futures)
        self._order.remove(future)
        future.set_result(execute(future.task))
        return {future}

    def close(self, cancel=False):
        self._order.clear()


class _Pool:
    """A local process pool: fork where the platform has it (fast start, and scripts need no
    ``if __name__ == "__main__"`` guard), spawn elsewhere."""

    def __init__(self, workers: int):
        import multiprocessing
        self.slots = workers
        methods = multiprocessing.get_all_start_methods()
        self._ctx = multiprocessing.get_context(
            "fork" if "fork" in methods and sys.platform != "darwin" else "spawn")
        self._pool = self._new()

    def _new(self):
        from concurrent.futures import ProcessPoolExecutor
        return ProcessPoolExecutor(max_workers=self.slots, mp_context=self._ctx)

    def submit(self, task):
        from concurrent.futures.process import BrokenProcessPool
        try:
            return self._pool.submit(execute, task)
        except BrokenProcessPool:  # a worker died hard (killed, out of memory): start afresh
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new()
            return self._pool.submit(execute, task)

    def wait(self, futures):
        from concurrent.futures import FIRST_COMPLETED, wait
        return wait(futures, return_when=FIRST_COMPLETED).done

    def close(self, cancel=False):
        self._pool.shutdown(wait=not cancel, cancel_futures=cancel)


# Worker settings for Dask: the statistical profiler samples the computing thread's stack
# every 10 ms from the event-loop thread, which holds the GIL while it walks SimPy's deep
# generator stacks (see benchmarks/README_sweep.md for the measurements).
DASK_CONFIG = {"distributed.worker.profile.enabled": False,
               "distributed.worker.profile.interval": "1h",
               "distributed.worker.profile.cycle": "2h",
               "distributed.admin.system-monitor.gil.enabled": False}


def _tune_worker(dask_worker=None) -> list[str]:
    """Stop the statistical profiler on a running worker (for clusters we did not start)."""
    stopped = []
    for name in ("profile", "profile-cycle"):
        pc = dask_worker.periodic_callbacks.get(name) if dask_worker is not None else None
        if pc is not None:
            pc.stop()
            stopped.append(name)
    return stopped


class _Dask:
    """A Dask client: a LocalCluster we start ('local') or an existing scheduler address."""

    def __init__(self, address: str, workers: int | None):
        import logging

        import dask
        from distributed import Client, LocalCluster
        self.cluster = None
        with dask.config.set(DASK_CONFIG):
            if address == "local":
                self.cluster = LocalCluster(
                    n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                    processes=True, dashboard_address=None, silence_logs=logging.ERROR)
                self.client = Client(self.cluster)
            else:
                self.client = Client(address)
                self.client.run(_tune_worker)
        self.slots = max(1, sum(self.client.nthreads().values()))

    def submit(self, task):
        return self.client.submit(execute, task, pure=False)

    def wait(self, futures):
        from distributed import wait
        return wait(list(futures), return_when="FIRST_COMPLETED").done

    def close(self, cancel=False):
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _backend(workers: int | None, dask: str | None):
    if dask:
        return _Dask(dask, workers)
    workers = workers or os.cpu_count() or 1
    return _Serial() if workers == 1 else _Pool(workers)


def _result(backend, future) -> dict:
    try:
        return future.result()
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}", "wall_seconds": math.nan,
                "traceback": "".join(traceback.format_exception(exc)), "worker": "?"}


# --- storage -------------------------------------------------------------------------------
PART = re.compile(r"^(?P<point>.+)__r(?P<rep>\d+)__s(?P<seed>\d+)$")


def run_key(point: Point, replication: int) -> str:
    """File stem of a run's part: (point, replication, seed)."""
    return f"{point.id}__r{replication:04d}__s{point.seed}"


def _atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def _write_run(out: Path, point: Point, replication: int, result: dict) -> None:
    """Extra tables first, the KPI part last: the KPI part marks the run as finished."""
    key = run_key(point, replication)
    ids = {"point": point.id, "scenario": point.scenario, "seed": point.seed}
    for table, frame in result.get("tables", {}).items():
        (out / "runs" / table).mkdir(parents=True, exist_ok=True)
        _atomic_parquet(frame.assign(**ids), out / "runs" / table / f"{key}.parquet")
    kpis = result["kpis"]
    _atomic_parquet(pd.DataFrame({**ids, "replication": replication, "kpi": list(kpis),
                                  "value": list(kpis.values()),
                                  "wall_seconds": result["wall_seconds"],
                                  "cpu_seconds": result.get("cpu_seconds", math.nan),
                                  "worker": result["worker"]}),
                    out / "runs" / f"{key}.parquet")


def _scan(out: Path) -> dict[str, Path]:
    runs = out / "runs"
    if not runs.is_dir():
        return {}
    for stale in runs.rglob(".*.tmp"):
        stale.unlink(missing_ok=True)
    return {p.stem: p for p in runs.glob("*.parquet") if PART.match(p.stem)}


def _read_kpis(path: Path) -> dict[str, float]:
    part = pd.read_parquet(path, columns=["kpi", "value"])
    return dict(zip(part["kpi"], part["value"].astype(float)))


def _decide(spec: Experiment, present: dict[int, dict], failed: set[int]) -> dict:
    """Replications of one point to use, from finished (and failed) replications."""
    r = spec.replications
    if isinstance(r, int):
        used = [k for k in range(r) if k in present]
        return {"replications": len(used), "used": used, "done": True}
    prefix = 0
    while prefix in present or prefix in failed:
        prefix += 1
    order = [k for k in range(prefix) if k in present]
    values = {kpi: [present[k][kpi] for k in order] for kpi in r.kpis}
    d = designs.hoad_replications(values, r.auto, r.min, r.max, r.look_ahead, resolved=prefix)
    return {"replications": d["n_used"], "used": order[: d["n_used"]], "done": d["done"],
            "n_solution": d["n_solution"], "precision": r.auto, "precision_met": d["met"],
            "half_width_ratio": d["half_width_ratio"]}


class _Sweep:
    """The run loop: queue, submit up to 2 tasks per slot, stream results to disk."""

    def __init__(self, plan: Plan, out: Path, backend, progress: bool):
        from tqdm.auto import tqdm
        self.plan, self.out, self.backend = plan, out, backend
        self.spec = plan.spec
        self.on_disk = _scan(out)
        self.present: dict[str, dict[int, dict]] = {p.id: {} for p in plan.points}
        self.failed: dict[str, set[int]] = {p.id: set() for p in plan.points}
        self.launched = {p.id: 0 for p in plan.points}
        self.finished: set[str] = set()
        self.queue: deque = deque()
        self.failures: list[dict] = []
        self.done = self.skipped = 0
        self.auto = not isinstance(self.spec.replications, int)
        self.bar = tqdm(total=0, unit="run", desc=self.spec.name, disable=not progress,
                        dynamic_ncols=True)

    def want(self, point: Point, rep: int) -> None:
        self.launched[point.id] = max(self.launched[point.id], rep + 1)
        self.bar.total += 1
        key = run_key(point, rep)
        if key in self.on_disk:
            self.skipped += 1
            self.bar.update(1)
            if self.auto:
                self.present[point.id][rep] = _read_kpis(self.on_disk[key])
            return
        self.queue.append((point, rep))

    def advance(self, point: Point) -> None:
        """Auto replications: launch more for a point until the rule says it is done."""
        r, undecided = self.spec.replications, len(self.plan.points) - len(self.finished)
        while point.id not in self.finished:
            d = _decide(self.spec, self.present[point.id], self.failed[point.id])
            resolved = len(self.present[point.id]) + len(self.failed[point.id])
            if d["done"]:
                self.finished.add(point.id)
                return
            ahead = max(1, self.backend.slots // max(undecided, 1))
            if self.launched[point.id] >= r.max or self.launched[point.id] - resolved >= ahead:
                return
            self.want(point, self.launched[point.id])

    def run(self) -> None:
        first = self.spec.replications if not self.auto else self.spec.replications.min
        for point in self.plan.points:
            for rep in range(first):
                self.want(point, rep)
        if self.auto:
            for point in self.plan.points:
                self.advance(point)
        pending: dict = {}
        try:
            while self.queue or pending:
                while self.queue and len(pending) < 2 * self.backend.slots:
                    point, rep = self.queue.popleft()
                    task = {"key": run_key(point, rep), "point": point.id,
                            "scenario": point.scenario, "replication": rep, "seed": point.seed,
                            "config": self.plan.config(point), "store": self.spec.store}
                    pending[self.backend.submit(task)] = (point, rep)
                for future in self.backend.wait(set(pending)):
                    point, rep = pending.pop(future)
                    self.record(point, rep, _result(self.backend, future))
                    if self.auto:
                        self.advance(point)
        except BaseException:
            self.backend.close(cancel=True)
            raise
        finally:
            self.bar.close()

    def record(self, point: Point, rep: int, result: dict) -> None:
        self.bar.update(1)
        if result["ok"]:
            _write_run(self.out, point, rep, result)
            self.done += 1
            if self.auto:
                self.present[point.id][rep] = result["kpis"]
            return
        self.failed[point.id].add(rep)
        self.failures.append({"point": point.id, "scenario": point.scenario,
                              "replication": rep, "seed": point.seed,
                              "config": json.dumps(self.plan.config(point), default=str),
                              "error": result["error"], "traceback": result["traceback"]})
        self.bar.write(f"run {run_key(point, rep)} failed: {result['error']}")


def _pilot_warmup(plan: Plan, backend) -> tuple[float, dict]:
    """MSER-5 warm-up from pilot runs of the base scenario started empty (longer of two)."""
    spec = plan.spec
    base = plan.configs[spec.base_name]
    horizon = base.run.warmup_days + base.run.years * 365.25
    pilot = with_overrides(base, {"run.warmup_days": 0.0, "run.years": horizon / 365.25})
    tasks = [{"key": f"pilot__r{r}", "replication": r, "seed": spec.seed, "store": ["daily"],
              "config": pilot.model_dump(mode="json")} for r in range(spec.pilot_replications)]
    futures = {backend.submit(t) for t in tasks}
    results = []
    while futures:
        done = backend.wait(futures)
        futures -= done
        results += [_result(backend, f) for f in done]
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


def _versions() -> dict:
    from importlib import metadata

    from . import provenance
    extra = {}
    for name in ("dask", "distributed", "SALib", "tqdm"):
        try:
            extra[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            extra[name] = None
    v = provenance.versions()
    v["packages"] = {**v["packages"], **extra}
    return v


def _manifest(plan: Plan, extra: dict) -> dict:
    return {"experiment": {"source": plan.source, "spec": plan.spec.model_dump(mode="json")},
            "fingerprint": plan.fingerprint, "warmup": plan.warmup,
            "configs": {k: c.model_dump(mode="json") for k, c in plan.configs.items()},
            **extra, **_versions()}


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    os.replace(tmp, path)


def _finish(plan: Plan, out: Path) -> tuple[dict, pd.DataFrame]:
    """kpis.parquet, design.parquet and analysis.json from the parts on disk."""
    parts = _scan(out)
    failures = out / "failures.parquet"
    failed = pd.read_parquet(failures) if failures.exists() else pd.DataFrame(
        columns=["point", "replication"])
    frames, detail, runs = [], {}, []
    by_point: dict[tuple[str, int], dict[int, Path]] = {}
    for key, path in parts.items():
        m = PART.match(key)
        by_point.setdefault((m["point"], int(m["seed"])), {})[int(m["rep"])] = path
    for point in plan.points:
        reps = by_point.get((point.id, point.seed), {})
        present = {r: _read_kpis(p) for r, p in reps.items()} \
            if not isinstance(plan.spec.replications, int) else {r: {} for r in reps}
        bad = set(failed.loc[failed["point"] == point.id, "replication"].astype(int))
        d = _decide(plan.spec, present, bad)
        for rep in d.pop("used"):
            part = pd.read_parquet(reps[rep])
            frames.append(part)
            runs.append({"point": point.id, "replication": rep, "seed": point.seed,
                         "wall_seconds": float(part["wall_seconds"].iloc[0]),
                         "cpu_seconds": float(part.get("cpu_seconds", pd.Series([math.nan]))
                                              .iloc[0]),
                         "worker": str(part["worker"].iloc[0])})
        d.pop("done")
        detail[point.id] = d
    cols = ["point", "scenario", "replication", "seed", "kpi", "value"]
    kpis = pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)
    kpis = kpis.astype({"replication": "int64", "seed": "int64", "value": "float64"})
    _atomic_parquet(kpis, out / "kpis.parquet")
    rows = [{"point": p.id, "scenario": p.scenario, "design_point": p.design_point,
             **p.overrides} for p in plan.points]
    _atomic_parquet(pd.DataFrame(rows), out / "design.parquet")
    dp = {p.id: p.design_point for p in plan.points}
    spec_dict = {**plan.spec.model_dump(mode="json"), "base_scenario": plan.spec.base_name}
    analysis = designs.analyse(kpis.assign(design_point=kpis["point"].map(dp)), spec_dict,
                               plan.params, plan.raw, len(plan.design))
    by_scenario: dict[str, int] = {}
    for point in plan.points:
        n = detail[point.id]["replications"]
        by_scenario[point.scenario] = max(by_scenario.get(point.scenario, 0), n)
    analysis["warmup_days"] = plan.configs[plan.spec.base_name].run.warmup_days
    analysis["warmup"] = plan.warmup or {"method": "fixed"}
    analysis["replications"] = by_scenario
    analysis["replication_detail"] = detail
    analysis = designs._clean(analysis)
    _write_json(out / "analysis.json", analysis)
    return analysis, pd.DataFrame(runs)


def run_sweep(spec: Experiment | str | Path, out_dir: str | Path, workers: int | None = None,
              dask: str | None = None, resume: bool = True, progress: bool = True,
              source: str | Path | None = None) -> dict:
    """Run an experiment; return a summary (runs done, skipped, failed, wall time, warm-up).

    Parameters
    ----------
    spec : an Experiment, or the path of an experiment TOML file.
    out_dir : output folder; finished runs already in it are kept and skipped if ``resume``.
    workers : local processes (default: all cores; 1 runs serially in this process), or the
        number of LocalCluster workers with ``dask="local"``.
    dask : None (process pool), "local" (a LocalCluster) or a scheduler address.
    source : the experiment file, for relative config paths (default: the spec's path).
    """
    if not isinstance(spec, Experiment):
        source = source or spec
        spec = load_experiment(spec)
    source = str(source or Path("experiments") / f"{spec.name}.toml")
    out = Path(out_dir)
    started = time.perf_counter()
    plan = resolve(spec, source)
    manifest_path = out / "manifest.json"
    if resume and manifest_path.exists():
        old = json.loads(manifest_path.read_text())
        if old.get("fingerprint") != plan.fingerprint:
            raise ConfigError([(f"{out}: holds runs of a different experiment or config "
                               f"(fingerprint {old.get('fingerprint')} != {plan.fingerprint}); "
                               "use another --out, or --fresh to discard them")])
    if not resume:
        import shutil
        shutil.rmtree(out / "runs", ignore_errors=True)
        for name in ("kpis.parquet", "design.parquet", "failures.parquet", "analysis.json",
                     "manifest.json", "warmup.json"):
            (out / name).unlink(missing_ok=True)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    backend = _backend(workers, dask)
    try:
        if spec.warmup == "auto":
            cached = out / "warmup.json"
            stored = json.loads(cached.read_text()) if cached.exists() else {}
            if stored.get("fingerprint") != plan.fingerprint:
                days, detail = _pilot_warmup(plan, backend)
                stored = {"fingerprint": plan.fingerprint, "days": days, "detail": detail}
                _write_json(cached, stored)
            plan = plan.with_warmup(stored["days"], stored["detail"])
        backend_info = {"backend": "dask" if dask else "processes", "dask": dask,
                        "slots": backend.slots}
        _write_json(manifest_path, _manifest(plan, {"backend": backend_info}))
        sweep = _Sweep(plan, out, backend, progress)
        sweep.run()
    finally:
        backend.close()
    failures = out / "failures.parquet"
    if sweep.failures:
        _atomic_parquet(pd.DataFrame(sweep.failures), failures)
    else:
        failures.unlink(missing_ok=True)
    analysis, runs = _finish(plan, out)
    wall = time.perf_counter() - started
    _write_json(manifest_path, _manifest(plan, {
        "backend": backend_info, "finished": dt.datetime.now().isoformat(timespec="seconds"),
        "wall_seconds": wall, "runs_failed": len(sweep.failures),
        "runs": runs.to_dict("records")}))
    return {"out_dir": str(out), "runs_used": len(runs), "runs_done": sweep.done,
            "runs_skipped": sweep.skipped, "runs_failed": len(sweep.failures),
            "wall_seconds": wall, "warmup_days": analysis["warmup_days"],
            "replications": analysis["replications"]}


def analyse(out_dir: str | Path) -> dict:
    """Recompute kpis.parquet and analysis.json of a sweep folder from its stored runs."""
    out = Path(out_dir)
    path = out / "manifest.json"
    if not path.is_file():
        raise ConfigError([f"{out}: no manifest.json (not a sweep output folder)"])
    manifest = json.loads(path.read_text())
    spec = Experiment.model_validate(manifest["experiment"]["spec"])
    configs = {k: Scenario.model_validate(c) for k, c in manifest["configs"].items()}
    plan = resolve(spec, manifest["experiment"]["source"], configs)
    plan.warmup = manifest.get("warmup") or {}
    return _finish(plan, out)[0]


def time_replication(cfg: Scenario, days: float = 365.25) -> float:
    """Expected seconds of one full replication, from a timed shorter one (scaled linearly).

    The timed run covers a whole year (winter raises the crisis rate, so a shorter run
    under-estimates), starting empty; set-up and result collection grow with the horizon too.
    """
    from .experiments import run_replication
    horizon = cfg.run.warmup_days + cfg.run.years * 365.25
    days = min(horizon, days)
    short = with_overrides(cfg, {"run.warmup_days": 0.0, "run.years": days / 365.25})
    start = time.perf_counter()
    run_replication(short, cfg.run.seed, 0)
    return (time.perf_counter() - start) * horizon / days


# --- command line --------------------------------------------------------------------------
def _fmt_seconds(s: float) -> str:
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


def cmd_sweep(args) -> int:
    """Handler of ``caresim sweep``."""
    try:
        spec = load_experiment(args.experiment)
        plan = resolve(spec, args.experiment)
    except ConfigError as err:
        print("\n".join(err.lines), file=sys.stderr)
        return 2
    out = Path(args.out or Path("results") / "sweeps" / spec.name)
    lo, hi = replication_plan(spec)
    n_points = len(plan.points)
    runs = f"{n_points * lo}" if lo == hi else f"{n_points * lo}-{n_points * hi}"
    workers = args.workers or os.cpu_count() or 1
    print(f"{spec.name}: {len(spec.scenario_names)} scenario(s) x "
          f"{len(plan.design)} design point(s) x {lo if lo == hi else f'{lo}-{hi}'} "
          f"replication(s) = {runs} runs"
          + (f" + {spec.pilot_replications} pilot" if spec.warmup == "auto" else ""),
          flush=True)
    per_run = time_replication(Scenario.model_validate(plan.config(plan.points[0])))
    cpu = n_points * hi * per_run
    bound = "" if lo == hi else "at most "
    text = f"~{per_run:.1f} s per run (timed on a 1-year run) -> {bound}{_fmt_seconds(cpu)} of CPU"
    if args.dask and args.dask != "local":
        print(f"{text}: divide by the worker processes of the Dask cluster at {args.dask}")
    else:
        where = "a Dask LocalCluster of" if args.dask else "on"
        print(f"{text}: expected {bound}{_fmt_seconds(cpu / workers)} {where} {workers} "
              f"process(es) if they scale linearly, {_fmt_seconds(cpu / max(1.0, .55 * workers))}"
              " at 55% (a busy 2-core machine)")
    print(f"output: {out}", flush=True)
    try:
        summary = run_sweep(spec, out, workers=args.workers, dask=args.dask,
                            resume=not args.fresh, progress=not args.no_progress,
                            source=args.experiment)
    except ConfigError as err:
        print("\n".join(err.lines), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished runs are kept in {out}; run the same command again to "
              "resume", file=sys.stderr)
        return 130
    print(f"{summary['runs_done']} runs done ({summary['runs_skipped']} already on disk), "
          f"{summary['runs_failed']} failed, {_fmt_seconds(summary['wall_seconds'])}; "
          f"warm-up {summary['warmup_days']:g} days. Results in {out}")
    if summary["runs_failed"]:
        print(f"{summary['runs_failed']} run(s) failed: see {out / 'failures.parquet'}; "
              "rerun the same command to retry them", file=sys.stderr)
        return 1
    return 0


def cmd_analyse(args) -> int:
    """Handler of ``caresim analyse``."""
    try:
        result = analyse(args.out_dir)
    except ConfigError as err:
        print("\n".join(err.lines), file=sys.stderr)
        return 2
    for name, kpis in result["scenarios"].items():
        print(f"{name}: " + ", ".join(f"{k} {v['mean']:.4g}" for k, v in list(kpis.items())[:4]))
    print(f"analysis written to {Path(args.out_dir) / 'analysis.json'}")
    return 0


def add_subcommands(subparsers) -> None:
    """Register ``sweep`` and ``analyse`` on an argparse subparsers object."""
    p = subparsers.add_parser(
        "sweep", help="run an experiment (scenarios x design x replications), resumable",
        description="Run experiments/*.toml on local processes or a Dask cluster. Finished "
        "runs are kept: rerunning into the same --out resumes. Exit 1 if any run failed, 2 on "
        "a config error. Start a cluster with `dask scheduler` and `dask worker tcp://HOST:8786 "
        "--nworkers N --nthreads 1` (workers need caresim installed, not the repo).")
    p.add_argument("experiment", help="experiment TOML file")
    p.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    p.add_argument("--dask", default=None, metavar="local|ADDRESS",
                   help="run on a Dask LocalCluster ('local') or scheduler (tcp://host:8786)")
    p.add_argument("--out", default=None, help="output folder (default results/sweeps/NAME)")
    p.add_argument("--resume", action="store_true",
                   help="skip finished runs in --out (the default; kept for clarity)")
    p.add_argument("--fresh", action="store_true", help="discard finished runs in --out")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)
    a = subparsers.add_parser("analyse", help="recompute analysis.json from a sweep's runs",
                              description="Recompute kpis.parquet and analysis.json of a sweep "
                              "folder from its stored runs, without simulating.")
    a.add_argument("out_dir", help="sweep output folder")
    a.set_defaults(func=cmd_analyse)


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.sweep sweep|analyse ...`` (until the caresim CLI wires them in)."""
    parser = argparse.ArgumentParser(prog="python -m sim.sweep")
    add_subcommands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
