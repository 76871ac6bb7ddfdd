"""The experiment spec: schema, loading and resolution of ``experiments/*.toml``.

Pydantic models of an experiment (scenario deltas, replication rule, warm-up, design,
analysis), :func:`load_experiment` (validation with errors naming file, field and value) and
:func:`resolve`, which turns a spec into a :class:`Plan` of scenario configs, design points and
seeds. Split from :mod:`sim.sweep` so the schema can be read (and validated) on its own, apart
from running and storage.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
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
from .kpis import KPIS

TABLES = ("kpis", "daily", "monthly_costs", "monthly_resource", "budgets", "cost_shifting",
          "discharges")
NAME = r"^[A-Za-z0-9_-]+$"
_UNION_TAGS = re.compile(r"^(int|float|str|bool|AutoReplications|FinancialYears|literal\[.*\]|"
                         r"function-.*|constrained-.*)$")


def _known_kpis(names: list[str]) -> list[str]:
    unknown = [k for k in names if k not in KPIS]
    if unknown:
        raise ValueError(f"unknown KPI {unknown} (known: {', '.join(KPIS)})")
    return names


class Spec(BaseModel):
    """Base of experiment sections: frozen, unknown keys, inf and nan rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


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
    """config.format_errors, with pydantic's union-member tags dropped from the path, and
    the members' messages about one value joined into one line ("... or ...")."""
    messages: dict[str, list[str]] = {}
    for line, e in zip(format_errors(err, source), err.errors()):
        tags = [str(p) for p in e["loc"] if _UNION_TAGS.match(str(p))]
        if tags and tags[0] in ("int", "float") and isinstance(e["input"], dict):
            continue  # the table form was meant: its own errors say what is wrong
        loc = ".".join(str(p) for p in e["loc"] if not _UNION_TAGS.match(str(p)))
        old = ".".join(str(p) for p in e["loc"]) or "(top level)"
        line = line.replace(f": {old} = ", f": {loc or '(top level)'} = ", 1)
        head, _, message = line.partition(f"{loc or '(top level)'} = ")
        value, _, message = message.partition(": ")
        key = f"{head}{loc or '(top level)'} = {value}"
        if message not in messages.setdefault(key, []):
            messages[key].append(message)
    return [f"{key}: {' or '.join(msgs)}" for key, msgs in messages.items()]


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
    """Read and validate an experiment TOML file; ConfigError lines name file, field, value.

    A case file (one with a ``[case]`` table) is read by :func:`sim.cases.load_case`, which
    builds on this module; :func:`sim.cases.experiment_from_file` reads either kind.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError([f"{path}: experiment file not found"])
    return parse_experiment(read_toml(path), path)


def parse_experiment(data: dict, path: str | Path) -> Experiment:
    """Validate the TOML content of the experiment file ``path`` (name defaults to its stem)."""
    data = dict(data)
    data.setdefault("name", Path(path).stem)
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
