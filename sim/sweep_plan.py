"""The plan of an experiment: its points (scenario x design point), configs and seeds.

:func:`resolve` turns a validated :class:`~sim.sweep_spec.Experiment` into a :class:`Plan`:
each scenario's config (base config plus the scenario's delta and the experiment's ``set``,
validated), the design points of the parameters swept, the seed of each point (one seed for
all under common random numbers) and the warm-up. Split from :mod:`sim.sweep_spec` (the
schema and loading) so each reads on its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import designs
from .config import ConfigError, Scenario, build, leaf_fields, read_toml, with_overrides
from .designs import Param
from .sweep_spec import Experiment, FinancialYears, ScenarioDelta


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
