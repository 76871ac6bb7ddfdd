"""Case studies: a published figure, the experiment that re-runs it, and the verdict.

A case is an ordinary experiment file (``experiments/cases/NAME.toml``, the format of
:mod:`sim.sweep_spec`) plus one ``[case]`` table that says what was published: the figure in
words, the KPI it corresponds to, the baseline and intervention scenarios, the published
relative change (omitted when the publication gives no comparable number) and its direction.
The table is folded into plain experiment fields before anything runs, so a case runs through
the sweep machinery (resumable, atomically written) and ``caresim sweep`` on a case file runs
exactly what ``caresim case`` runs:

* ``calibrated``: every parameter changed to reach the published context, each with a reason,
  is applied to every scenario. ``[set]`` keeps only ``run.*`` settings, so no context change
  can hide there unlisted; scenario deltas are the intervention and stay free.
* ``scale``: a cheaper place of the same shape. Every field in
  :data:`sim.scaling.SCALED_FIELDS` (people,
  entrants, capacities, teams, budgets, pool contributions) is multiplied by ``scale`` in each
  scenario, after every other override, so deltas are written for the full-size place.

:func:`experiment_from_file` reads either kind of file as the experiment it runs.
:func:`sim.sweep.run_case` runs a case and writes ``case.json`` (:func:`case_result`): the
model's paired difference of the KPI (intervention - baseline, common random numbers) from the
sweep's analysis, absolute and relative, each with its 95% interval (the relative one
Fieller's, :func:`sim.stats.paired_summary`, so it never reaches below -100%), and
:func:`verdict`.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from .config import ConfigError, evidence_ranges, format_errors, leaf_fields, read_toml
from .kpis import KPIS
from .scaling import SCALED_FIELDS, scale_overrides, scale_value
from .sweep_plan import resolve
from .sweep_spec import Experiment, Spec, load_experiment, parse_experiment

CASES_PACKAGE = "sim.case_files"  # experiments/cases/, mapped in pyproject.toml


class Calibrated(Spec):
    field: str = Field(description="Dotted config field set in every scenario.")
    value: Any = Field(description="Its value (TOML), validated like --set.")
    reason: str = Field(min_length=1, description="Why: the published context it matches.")

    @field_validator("field")
    @classmethod
    def _known(cls, v):
        if v not in dict(leaf_fields()):
            raise ValueError("unknown config field (`caresim validate --schema` lists fields)")
        return v


class Case(Spec):
    """What was published, and how the model's answer is judged."""

    title: str = Field(min_length=1)
    source: str = Field(min_length=1, description="Seed document or publication.")
    published: str = Field(min_length=1, description="The published figure in words.")
    kpi: str = Field(description="KPI the published figure corresponds to.")
    baseline: str = Field(description="Scenario the change is measured against.")
    intervention: str = Field(description="Scenario that carries the published change.")
    published_change: float | None = Field(
        None, gt=-1, description="Relative change intervention vs baseline (-0.24 = -24%); "
        "omit when the publication gives no comparable number.")
    direction: Literal["decrease", "increase", "small"]
    small_threshold: float | None = Field(None, gt=0, lt=1, description="direction 'small': "
                                          "largest relative change that counts as small.")
    calibrated: list[Calibrated] = Field(default_factory=list)
    envelope: list[str] = Field(
        default_factory=list, description="Effect fields (declared with an evidence range in "
        "the schema) run together at the weak and the strong end of their ranges as well as "
        "at their defaults, so the case reports the model's interval at each end.")
    scale: float = Field(1.0, gt=0, description="Size of the place relative to its config: "
                         "multiplies every field in sim.scaling.SCALED_FIELDS.")
    notes: str = ""

    @field_validator("kpi")
    @classmethod
    def _kpi(cls, v):
        if v not in KPIS:
            raise ValueError(f"unknown KPI {v!r} (known: {', '.join(KPIS)})")
        return v

    @field_validator("envelope")
    @classmethod
    def _effects(cls, v):
        ranges = evidence_ranges()
        bad = [f for f in v if f not in ranges]
        if bad:
            raise ValueError(f"{bad}: not effect fields with an evidence range (effect fields: "
                             f"{', '.join(ranges)})")
        if len(set(v)) != len(v):
            raise ValueError("a field is listed twice")
        return v

    @model_validator(mode="after")
    def _consistent(self):
        if (self.direction == "small") != (self.small_threshold is not None):
            raise ValueError("small_threshold is required with direction = 'small' and only "
                             "allowed with it")
        sign = {"decrease": -1, "increase": 1}.get(self.direction)
        if sign and self.published_change is not None and self.published_change * sign <= 0:
            raise ValueError(f"published_change {self.published_change} contradicts direction "
                             f"{self.direction!r}")
        if self.baseline == self.intervention:
            raise ValueError("baseline and intervention must be different scenarios")
        return self


class _CaseTable(Spec):
    case: Case  # so error paths read case.<field>


@dataclass(frozen=True)
class CaseStudy:
    """A loaded case: its [case] table and the plain experiment it runs."""

    name: str
    source: Path
    case: Case
    experiment: Experiment


# --- loading -------------------------------------------------------------------------------
def load_case(path: str | Path) -> CaseStudy:
    """Read a case file; ConfigError lines name the file, the field, the value, what is allowed."""
    path = Path(path)
    src = str(path)
    data = read_toml(path)
    table = data.pop("case", None)
    if not isinstance(table, dict):
        raise ConfigError([f"{src}: case = {table!r}: a case file needs a [case] table"])
    errors, case, spec = [], None, None
    try:
        case = _CaseTable.model_validate({"case": table}).case
    except ValidationError as err:
        errors += format_errors(err, src)
    try:
        spec = parse_experiment(data, path)
    except ConfigError as err:
        errors += err.lines
    if case is not None and spec is not None:
        errors += _check(case, spec, src)
    if errors:
        raise ConfigError(errors)
    spec = spec.model_copy(update={"set": {**spec.set, **{c.field: c.value
                                                          for c in case.calibrated}},
                                   "base_scenario": case.baseline})
    if case.envelope:
        spec = envelope_experiment(spec, case)
    if case.scale != 1:
        spec = scale_experiment(spec, src, case.scale)
    return CaseStudy(spec.name, path, case, Experiment.model_validate(spec.model_dump()))


def experiment_from_file(path: str | Path) -> Experiment:
    """The experiment a file runs: an experiment file as it is, a case file (one with a
    ``[case]`` table) folded into plain experiment fields by :func:`load_case`, so sweeping a
    case file runs what ``caresim case`` runs."""
    path = Path(path)
    if path.is_file() and "case" in read_toml(path):
        return load_case(path).experiment
    return load_experiment(path)


def _check(case: Case, spec: Experiment, src: str) -> list[str]:
    """Cross-checks of the [case] table against the experiment it sits in."""
    names = spec.scenario_names
    out = [f"{src}: case.{role} = {name!r}: not a scenario of this file (scenarios: "
           f"{', '.join(names)})" for role, name in (("baseline", case.baseline),
                                                      ("intervention", case.intervention))
           if name not in spec.scenarios]
    if spec.base_scenario not in (None, case.baseline):
        out.append(f"{src}: base_scenario = {spec.base_scenario!r}: must be case.baseline "
                   f"({case.baseline!r}); paired differences are taken against it")
    listed = {c.field for c in case.calibrated}
    for key, value in spec.set.items():
        if key in listed:
            out.append(f"{src}: set.{key} = {value!r}: also in case.calibrated; give it once")
        elif not key.startswith("run."):
            out.append(f"{src}: set.{key} = {value!r}: [set] holds run.* settings only; list "
                       "a context change under case.calibrated with a reason")
    if not spec.crn:
        out.append(f"{src}: crn = False: a case compares paired runs; needs crn = true")
    if spec.design.type != "none":
        out.append(f"{src}: design.type = {spec.design.type!r}: a case compares two scenarios "
                   "at one point; needs no design")
    if isinstance(spec.replications, int) and spec.replications < 2:
        out.append(f"{src}: replications = {spec.replications}: a 95% interval needs at "
                   "least 2")
    if spec.analysis.kpis and case.kpi not in spec.analysis.kpis:
        out.append(f"{src}: case.kpi = {case.kpi!r}: not among analysis.kpis "
                   f"{spec.analysis.kpis}")
    return out


#: the ends of an evidence envelope beside the defaults ("central"), and the index of each
#: end in an evidence range (weakest, strongest)
ENDS = {"low": 0, "high": 1}


def end_scenario(name: str, end: str) -> str:
    """The scenario that runs ``name`` with the envelope's fields at ``end``."""
    return name if end == "central" else f"{name}__{end}"


def envelope_experiment(spec: Experiment, case: Case) -> Experiment:
    """The experiment with the baseline and the intervention also run with every envelope
    field at the weak ("low") and at the strong ("high") end of its evidence range."""
    ranges = evidence_ranges()
    scenarios = dict(spec.scenarios)
    for end, k in ENDS.items():
        values = {f: ranges[f][k] for f in case.envelope}
        for name in (case.baseline, case.intervention):
            delta = spec.scenarios[name]
            scenarios[end_scenario(name, end)] = delta.model_copy(
                update={"set": {**delta.set, **values}})
    return spec.model_copy(update={"scenarios": scenarios})


def scale_experiment(spec: Experiment, src: str, scale: float) -> Experiment:
    """The experiment with each scenario's scaled fields appended to its deltas, and the
    design's absolute ranges (``low``/``high``, ``values``) of those fields scaled too, so that
    a design point sets a quarter place's beds to a quarter of the full place's range (a
    ``relative`` range already follows the scaled base)."""
    configs = resolve(spec, src).configs
    scenarios = {name: delta.model_copy(update={"set": {**delta.set, **scale_overrides(
        configs[name], scale)}}) for name, delta in spec.scenarios.items()}
    parameters = {}
    for path, r in spec.design.parameters.items():
        if path in SCALED_FIELDS and r.relative is None:
            r = r.model_copy(update={
                "low": None if r.low is None else scale_value(path, r.low, scale),
                "high": None if r.high is None else scale_value(path, r.high, scale),
                "values": None if r.values is None else
                [scale_value(path, v, scale) for v in r.values]})
        parameters[path] = r
    design = spec.design.model_copy(update={"parameters": parameters})
    return spec.model_copy(update={"scenarios": scenarios, "design": design})


def case_names() -> list[str]:
    """Stems of the case files shipped in experiments/cases/."""
    return sorted(p.name[:-5] for p in resources.files(CASES_PACKAGE).iterdir()
                  if p.name.endswith(".toml"))


def find_case(name: str) -> CaseStudy:
    """Load a shipped case by name, or a case file by path."""
    if name in case_names():
        return load_case(Path(str(resources.files(CASES_PACKAGE).joinpath(f"{name}.toml"))))
    if Path(name).is_file():
        return load_case(name)
    raise ConfigError([(f"case {name!r}: not a shipped case or a .toml file (shipped cases: "
                        f"{', '.join(case_names())})")])
