"""The experiment spec: schema and loading of ``experiments/*.toml``.

Pydantic models of an experiment (scenario deltas, replication rule, warm-up, design,
analysis) and :func:`load_experiment` (validation with errors naming file, field and value).
:mod:`sim.sweep_plan` resolves a spec into the configs, design points and seeds it runs;
:mod:`sim.sweep` runs it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .config import ConfigError, format_errors, read_toml
from .kpis import KPIS

TABLES = ("kpis", "daily", "monthly_costs", "monthly_resource", "budgets", "cost_shifting",
          "discharges", "yearly_kpis")
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
