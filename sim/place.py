"""A place's own figures: the ``place.toml`` template, reading it, and refusing contradictions.

``caresim place new NAME`` writes a folder holding ``place.toml``: a commented template
(:data:`TEMPLATE`, shipped as package data) of the figures a council or integrated care board
holds or can download, each line naming its unit and the public table it comes from, plus the
``[observed]`` figures the place wants the model to reproduce, each with a value and an ``sd``.
:func:`read_place` reads it back into a :class:`PlaceFile`, or raises one
:class:`~sim.config.ConfigError` listing every problem at once, one line each: a wrong type,
a negative or missing required figure, an unknown key, and figures that contradict each other
(age bands that do not sum to the 65+ total, occupancy above 100%, more care-home residents
than beds, a pool contribution larger than the partner's budget, today's counts above the
capacities that hold them ...). :mod:`sim.place_build`
turns a :class:`PlaceFile` into a config and calibration targets.
"""

from __future__ import annotations

import math
import re
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import atomic
from .config import DEFAULT_CONFIG, ConfigError, load_config, read_toml, toml_value
from .init_config import NAME
from .scaling import scale_overrides
from .schema_base import SERVICES, Funder, Service

PLACE_FILE = "place.toml"
#: Age bands must sum to the 65+ total within this share of it (published counts are rounded).
BAND_TOLERANCE = 0.01
#: A contribution may use the partner's budget plus the headroom the model adds to it (the
#: shipped pooled config puts the LA's whole budget plus 3% into the pool).
HEADROOM = 0.03
BANDS = ("65_74", "75_84", "85_plus")

Count = Annotated[int, Field(ge=0)]
Positive = Annotated[int, Field(gt=0)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
Money = Annotated[float, Field(ge=0.0)]
Change = Annotated[float, Field(ge=-0.5, le=0.5)]


class Figures(BaseModel):
    """A table of ``place.toml``: unknown keys are refused (a misspelt figure is not ignored)."""

    model_config = ConfigDict(extra="forbid")


class PopulationFigures(Figures):
    residents_all_ages: Positive | None = None
    aged_65_plus: Positive
    aged_65_74: Count | None = None
    aged_75_84: Count | None = None
    aged_85_plus: Count | None = None
    turning_65_per_year: Annotated[float, Field(ge=0.0)] | None = None
    living_alone_65_74: Count | None = None
    living_alone_75_84: Count | None = None
    living_alone_85_plus: Count | None = None
    self_funder_care_home_share: Share | None = None
    self_funder_home_care_share: Share | None = None


class AcuteFigures(Figures):
    general_acute_beds: Positive | None = None
    share_of_bed_days_65_plus: Annotated[float, Field(gt=0.0, le=1.0)] | None = None
    escalation_beds: Count | None = None


class IntermediateCareFigures(Figures):
    beds: Count | None = None
    reablement_places: Count | None = None
    urgent_response_slots: Count | None = None


class HomeCareFigures(Figures):
    hours_per_week: Money | None = None


class CareHomeFigures(Figures):
    beds: Count | None = None


class AssessmentFigures(Figures):
    nhs_assessors: Positive | None = None
    la_social_workers: Positive | None = None


class BudgetFigures(Figures):
    nhs_gbp_per_year: Money | None = None
    la_gbp_per_year: Money | None = None
    nhs_yearly_change: Change | None = None
    la_yearly_change: Change | None = None


class PoolFigures(Figures):
    scope: list[Service] = []
    nhs_contribution_gbp_per_year: Money = 0.0
    la_contribution_gbp_per_year: Money = 0.0
    risk_share: Literal["proportional", "fixed", "host"] = "proportional"
    nhs_fixed_share: Share = 0.5
    host: Funder = "la"
    joint_assessment: bool = False


class SnapshotFigures(Figures):
    """Today's position (optional): counts on one day, people aged 65+ unless named."""

    acute_occupied_beds: Count | None = None
    delayed_awaiting_home_care: Count = 0
    delayed_awaiting_reablement: Count = 0
    delayed_awaiting_intermediate_care: Count = 0
    delayed_awaiting_care_home: Count = 0
    intermediate_care_occupied_beds: Count = 0
    reablement_clients: Count = 0
    home_care_clients: Count = 0
    residential_residents: Count = 0
    nursing_residents: Count = 0
    waiting_for_home_care: Count = 0
    waiting_for_care_home: Count = 0


#: snapshot figures of a capacity's users -> (capacity figure, its config field, label)
SNAPSHOT_CAPACITY = {
    "intermediate_care_occupied_beds": ("intermediate_care.beds", "", "intermediate-care beds"),
    "reablement_clients": ("intermediate_care.reablement_places", "reablement.places",
                           "reablement places"),
    "care_home_residents": ("care_homes.beds", "", "care-home beds")}


class Observation(Figures):
    value: Annotated[float, Field(ge=0.0)]
    sd: Annotated[float, Field(gt=0.0)]


#: The observed figures ``place.toml`` may hold (the template's ``[observed]`` lines).
OBSERVED = (
    "emergency_admissions_65_plus", "acute_occupancy", "delayed_patients_per_day",
    "mean_delay_days", "mean_delay_of_delayed_days", "mean_delay_pathway_0_days",
    "mean_delay_pathway_1_days", "mean_delay_pathway_2_days", "mean_delay_pathway_3_days",
    "care_home_residents", "care_home_occupancy", "home_care_clients", "spend_nhs_gbp",
    "spend_la_gbp", "spend_chc_gbp", "spend_home_care_gbp", "spend_care_homes_gbp",
    "spend_reablement_gbp", "spend_intermediate_care_gbp")
ObservedName = Literal[OBSERVED]  # type: ignore[valid-type]


class PlaceFile(Figures):
    """Everything ``place.toml`` holds, validated (see the template for units and sources)."""

    name: Annotated[str, Field(pattern=f"^{NAME.pattern}$")]
    population: PopulationFigures
    acute: AcuteFigures = AcuteFigures()
    intermediate_care: IntermediateCareFigures = IntermediateCareFigures()
    home_care: HomeCareFigures = HomeCareFigures()
    care_homes: CareHomeFigures = CareHomeFigures()
    assessment: AssessmentFigures = AssessmentFigures()
    budgets: BudgetFigures = BudgetFigures()
    pool: PoolFigures = PoolFigures()
    snapshot: SnapshotFigures | None = None
    observed: dict[ObservedName, Observation] = {}


def template_text(name: str) -> str:
    """The template ``place.toml`` for a place called ``name``."""
    text = resources.files("sim").joinpath("place_template.toml").read_text(encoding="utf-8")
    return re.sub(r'(?m)^name = ".*"$', f"name = {toml_value(name)}", text, count=1)


def new_place(name: str, folder: str | Path | None = None) -> Path:
    """Write ``FOLDER/place.toml`` (default folder ``places/NAME``) and return its path.

    Only a new or empty folder is written; the file appears whole or not at all
    (:mod:`sim.atomic`), and a file another process put there meanwhile is never replaced.
    """
    if not NAME.fullmatch(name):
        raise ConfigError([(f"place new NAME {name!r}: use letters, digits, '_', '-' and '.' "
                            "only, starting with a letter or digit")])
    folder = Path(folder) if folder is not None else Path("places") / name
    target = folder / PLACE_FILE
    busy = (f"place new: {folder} is not empty; place new writes only into a new or empty "
            "folder: choose another NAME or --dir")
    if folder.exists() and not folder.is_dir():
        raise ConfigError([f"place new --dir {folder}: is a file, expected a folder"])
    if folder.is_dir() and any(folder.iterdir()):
        raise ConfigError([busy])
    try:
        atomic.write_text(target, template_text(name), replace=False)
    except FileExistsError:
        raise ConfigError([busy]) from None
    except OSError as err:
        raise ConfigError([f"place new: cannot write {target}: {err.strerror or err}"]) from None
    return target


def place_folder(name: str, folder: str | Path | None = None) -> Path:
    """The folder of place ``name``: ``--dir`` if given, else ``places/NAME``."""
    return Path(folder) if folder is not None else Path("places") / name


def read_place(folder: str | Path) -> PlaceFile:
    """Read and check ``FOLDER/place.toml``; every problem in one ConfigError, a line each."""
    path = Path(folder) / PLACE_FILE
    if not path.is_file():
        raise ConfigError([(f"{path}: not found; write the template with `caresim place new "
                            "NAME` (or give the place's folder with --dir)")])
    data = read_toml(path)
    data.setdefault("name", Path(folder).name)
    lines: list[str] = []
    place = None
    try:
        place = PlaceFile.model_validate(data)
    except ValidationError as err:
        lines += [_problem(path, e) for e in err.errors()]
    lines += contradictions(data, str(path))
    if lines:
        raise ConfigError(lines)
    return place


def _problem(path: Path, error: dict) -> str:
    """One line for a pydantic problem: file, dotted field, value, what is allowed."""
    parts = [p for p in error["loc"] if p != "[key]"]
    loc = ""
    for part in parts:
        loc += f"[{part}]" if isinstance(part, int) else (f".{part}" if loc else str(part))
    if "[key]" in error["loc"]:
        return (f"{path}: {loc}: unknown observed figure; the template's [observed] lists "
                f"them: {', '.join(OBSERVED)}")
    if error["type"] == "model_type" and loc.startswith("observed."):
        return f"{path}: {loc} = {error['input']!r}: expected {{ value = ..., sd = ... }}"
    if error["type"] == "missing":
        return f"{path}: {loc}: required figure is missing"
    if loc.startswith("pool.scope[") and error["type"] == "literal_error":
        return (f"{path}: {loc} = {error['input']!r}: not a service the model has; "
                f"services: {', '.join(SERVICES)}")
    if error["type"] in ("model_type", "dict_type"):
        return f"{path}: {loc} = {error['input']!r}: expected a table, [{loc}] in the template"
    if error["type"] == "extra_forbidden":
        return (f"{path}: {loc} = {error['input']!r}: unknown figure (check its spelling "
                "against the template, `caresim place new`)")
    return f"{path}: {loc} = {error['input']!r}: {error['msg']}"


def _table(data: dict, name: str) -> dict:
    """A table of ``place.toml`` ({} when missing, or not a table: already reported)."""
    table = data.get(name)
    return table if isinstance(table, dict) else {}


def _number(data: dict, dotted: str) -> float | None:
    """A figure as a number when it is one (a bad one is already reported), else None."""
    value: Any = data
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None


def contradictions(data: dict, source: str) -> list[str]:
    """Lines for figures that contradict each other (each needs its figures to be numbers).

    ``data`` is the raw ``place.toml``, so these are found alongside any bad single figure.
    """
    def n(dotted: str) -> float | None:
        return _number(data, dotted)

    lines = []
    total = n("population.aged_65_plus")
    bands = {b: n(f"population.aged_{b}") for b in BANDS}
    given = [b for b in BANDS if "aged_" + b in _table(data, "population")]
    if given and len(given) < 3:
        lines.append(f"{source}: population: give all three age bands (aged_65_74, aged_75_84, "
                     f"aged_85_plus) or none; only {', '.join('aged_' + b for b in given)} "
                     "given")
    elif given and total and None not in bands.values():
        summed = sum(bands.values())
        if abs(summed - total) > BAND_TOLERANCE * total:
            lines.append(
                f"{source}: population.aged_65_74 + aged_75_84 + aged_85_plus = {summed:,.0f} "
                f"but population.aged_65_plus = {total:,.0f}: the age bands must sum to the "
                f"65+ total within {BAND_TOLERANCE:.0%} ({BAND_TOLERANCE * total:,.0f} people)")
    residents = n("population.residents_all_ages")
    if residents and total and total > residents:
        lines.append(f"{source}: population.aged_65_plus = {total:,.0f} is more than "
                     f"population.residents_all_ages = {residents:,.0f}")
    for b in BANDS:
        alone = n(f"population.living_alone_{b}")
        if alone is None:
            continue
        if not given:
            lines.append(f"{source}: population.living_alone_{b} = {alone:,.0f} needs the age "
                         f"band counts (population.aged_{b} and the other two)")
        elif bands[b] is not None and alone > bands[b]:
            lines.append(f"{source}: population.living_alone_{b} = {alone:,.0f} is more than "
                         f"population.aged_{b} = {bands[b]:,.0f}")
    acute = _table(data, "acute")
    if ("general_acute_beds" in acute or "escalation_beds" in acute) != (
            "share_of_bed_days_65_plus" in acute):
        lines.append(f"{source}: acute: general_acute_beds and escalation_beds (all ages) need "
                     "share_of_bed_days_65_plus, and it needs general_acute_beds")
    lines += _occupancy_and_residents(data, source)
    lines += _pool_money(data, source)
    lines += _snapshot_counts(data, source)
    return lines


def _occupancy_and_residents(data: dict, source: str) -> list[str]:
    lines = []
    for key in ("acute_occupancy", "care_home_occupancy"):
        share = _number(data, f"observed.{key}.value")
        if share is not None and share > 1:
            lines.append(f"{source}: observed.{key}.value = {share:g}: an occupancy is a share "
                         "of beds, 0 to 1 (100%)")
    residents = _number(data, "observed.care_home_residents.value")
    beds = _number(data, "care_homes.beds")
    if beds is None and "beds" not in _table(data, "care_homes"):
        beds = _scaled_default(data, "care_homes.beds")
    if residents is not None and beds is not None and residents > beds:
        lines.append(f"{source}: observed.care_home_residents.value = {residents:,.0f} is more "
                     f"than the care-home beds ({beds:,.0f}, care_homes.beds)")
    return lines


def _pool_money(data: dict, source: str) -> list[str]:
    lines = []
    pool = _table(data, "pool")
    for funder in ("nhs", "la"):
        amount = _number(data, f"pool.{funder}_contribution_gbp_per_year")
        key = f"budgets.{funder}_gbp_per_year"
        budget = _number(data, key)
        if budget is None and funder + "_gbp_per_year" not in _table(data, "budgets"):
            budget = _scaled_default(data, key)
        if amount and budget is not None and amount > budget * (1 + HEADROOM) + 0.5:
            lines.append(
                f"{source}: pool.{funder}_contribution_gbp_per_year = {amount:,.0f} is more "
                f"than the {funder.upper()} budget ({key} = {budget:,.0f}) plus "
                f"{HEADROOM:.0%} headroom ({budget * (1 + HEADROOM):,.0f})")
        if amount and isinstance(pool.get("scope", []), list) and not pool.get("scope"):
            lines.append(f"{source}: pool.{funder}_contribution_gbp_per_year = {amount:,.0f} "
                         "but pool.scope is empty: name the services the pool pays for")
    return lines


def _capacity(data: dict, figure: str, field: str) -> float | None:
    """The place's own capacity ``figure``, else the default place's config ``field`` (the
    same path if empty) scaled to its size."""
    table, _, key = figure.partition(".")
    return _number(data, figure) if key in _table(data, table) else \
        _scaled_default(data, field or figure)


def _snapshot_counts(data: dict, source: str) -> list[str]:
    """Today's counts that do not fit the place's capacities (or their own totals)."""
    snap = _table(data, "snapshot")
    if not snap:
        return []
    lines = []
    delayed = sum(_number(data, f"snapshot.{k}") or 0.0 for k in snap if k.startswith("delayed_"))
    occupied = _number(data, "snapshot.acute_occupied_beds")
    share = _number(data, "acute.share_of_bed_days_65_plus")
    if "acute_occupied_beds" in snap and "share_of_bed_days_65_plus" not in _table(data, "acute"):
        lines.append(f"{source}: snapshot.acute_occupied_beds (all ages) needs "
                     "acute.share_of_bed_days_65_plus")
    elif occupied is not None and share is not None:
        beds = (_number(data, "acute.general_acute_beds") or 0.0) + \
            (_number(data, "acute.escalation_beds") or 0.0)
        if "general_acute_beds" in _table(data, "acute") and occupied > beds:
            lines.append(f"{source}: snapshot.acute_occupied_beds = {occupied:,.0f} is more than "
                         f"acute.general_acute_beds + acute.escalation_beds = {beds:,.0f}")
        if delayed > round(occupied * share):
            lines.append(f"{source}: snapshot.delayed_awaiting_* = {delayed:,.0f} patients is "
                         f"more than the 65+ in acute beds (snapshot.acute_occupied_beds x "
                         f"acute.share_of_bed_days_65_plus = {round(occupied * share):,.0f})")
    elif delayed:
        lines.append(f"{source}: snapshot.delayed_awaiting_* need snapshot.acute_occupied_beds "
                     "(the delayed are among the people in acute beds)")
    counts = {k: _number(data, f"snapshot.{k}") for k in snap}
    counts["care_home_residents"] = (counts.get("residential_residents") or 0.0) + \
        (counts.get("nursing_residents") or 0.0)
    for key, (dotted, field, label) in SNAPSHOT_CAPACITY.items():
        count, limit = counts.get(key), _capacity(data, dotted, field)
        if count is not None and limit is not None and count > limit:
            name = "residential_residents + nursing_residents" if key.startswith("care") \
                else key
            lines.append(f"{source}: snapshot.{name} = {count:,.0f} is more than the {label} "
                         f"({limit:,.0f}, {dotted})")
    return lines


def _scaled_default(data: dict, dotted: str) -> float | None:
    """The default place's figure scaled to this place's 65+ total (None without one)."""
    total = _number(data, "population.aged_65_plus")
    if not total:
        return None
    base = load_config(DEFAULT_CONFIG)
    return float(scale_overrides(base, total / base.population.size, (dotted,))[dotted])
