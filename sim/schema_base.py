"""Building blocks of the scenario schema: value types, the field helper and the section base.

Shared by :mod:`sim.schema` (people, hospital and community sections) and
:mod:`sim.schema_money` (budgets, funding arrangement, savings and unit costs). Every number must
be finite, and every count, capacity, rate, duration and amount has an upper bound that no real
English place reaches (a place of up to five million people aged 65+, larger than any integrated
care system): a typo such as an extra zero or ``1e9`` is refused before a run allocates memory
or loops on it. The bounds are stated in each field's description and in docs/PARAMETERS.md.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

YEAR = 365.25                 # days in a year (the model runs in days)
MAX_PEOPLE = 5_000_000        # people aged 65+ in a place (the largest ICS has under 1m)
MAX_DAYS = 3652.5             # any duration, wait, window or review interval: ten years
MAX_HOURS = 24 * MAX_DAYS     # the same in hours
MAX_RATE = 10.0               # events per person-year (a hazard): 37x the crisis rate
MAX_RATIO = 100.0             # a hazard ratio or a relative size
MAX_UNIT_GBP = 1_000_000.0    # a unit cost: a bed day, visit, hour, week or episode
MAX_YEARLY_GBP = 1e11         # a yearly budget, contribution or running cost: GBP 100bn

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
PositiveFloat = Annotated[float, Field(gt=0.0)]
NonNegFloat = Annotated[float, Field(ge=0.0)]
Days = Annotated[float, Field(gt=0.0, le=MAX_DAYS)]
NonNegDays = Annotated[float, Field(ge=0.0, le=MAX_DAYS)]
Hours = Annotated[float, Field(ge=0.0, le=MAX_HOURS)]
Rate = Annotated[float, Field(ge=0.0, le=MAX_RATE)]
RatePer1000 = Annotated[float, Field(ge=0.0, le=1000 * MAX_RATE)]
Ratio = Annotated[float, Field(gt=0.0, le=MAX_RATIO)]
UnitGbp = Annotated[float, Field(ge=0.0, le=MAX_UNIT_GBP)]
YearlyGbp = Annotated[float, Field(ge=0.0, le=MAX_YEARLY_GBP)]
#: The sentences that state these bounds, appended to the descriptions of fields of each type.
DAYS_NOTE = f" At most {MAX_DAYS:,} days (ten years)."
RATE_NOTE = f" At most {MAX_RATE:g} a year."
RATIO_NOTE = f" At most {MAX_RATIO:g}."
UNIT_GBP_NOTE = f" At most £{MAX_UNIT_GBP:,.0f}."
YEARLY_GBP_NOTE = f" At most £{MAX_YEARLY_GBP:,.0f} (£{MAX_YEARLY_GBP / 1e9:g}bn)."
Service = Literal[
    "acute", "intermediate_care", "reablement", "home_care", "care_home", "chc",
    "community_nursing",
]
Funder = Literal["nhs", "la"]
Weekday = Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
SERVICES: tuple[str, ...] = Service.__args__  # type: ignore[attr-defined]
FRAILTY_LEVELS = ("fit", "mild", "moderate", "severe")
AGE_BANDS = ("65-74", "75-84", "85+")


#: What a field's probe must move (tests/test_fields.py asserts it): people's ``journeys``
#: (states, admissions, delays: the default), only ``spending`` (cash and resource use: prices,
#: who pays), or only the ``accounts`` (budget plans and balances, risk shares, outcome
#: payments, funded capacity nobody needed) - a reported input, not behaviour.
MOVES = ("journeys", "spending", "accounts")


def field(default: Any, description: str, probe: Any = None, active_in: str = "all",
           probe_with: dict | None = None, moves: str = "journeys",
           evidence: tuple[float, float] | None = None, **kw):
    """A schema field with a description and the metadata the field-activity test uses.

    ``probe`` is an alternative value that must change some output, of the kind ``moves``
    names (:data:`MOVES`); ``active_in`` names the shipped config in which the field acts
    ("all", "fragmented" or "pooled"); ``probe_with`` holds other settings under which the
    field acts (e.g. a risk-share rule).

    ``evidence`` marks an EFFECT field (how much a service changes a person's course, as
    opposed to how much of it a place deploys) with its evidence range, written (weakest,
    strongest) effect: e.g. (1.0, 0.8) for a hazard ratio. Evidence decides these values, so no
    arrangement config may change them (tests/test_evidence.py), and a case's envelope runs
    them at both ends (:mod:`sim.cases`).
    """
    if moves not in MOVES:
        raise ValueError(f"moves must be one of {MOVES}, got {moves!r}")
    extra: dict[str, Any] = {"active_in": active_in, "moves": moves}
    if evidence is not None:
        weak, strong = evidence
        if not min(weak, strong) <= default <= max(weak, strong) or weak == strong:
            raise ValueError(f"evidence range {evidence} must differ at its ends and contain "
                             f"the default {default}")
        extra["evidence"] = [weak, strong]
    if probe is not None:
        extra["probe"] = probe
    if probe_with:
        extra["probe_with"] = probe_with
    return Field(default, description=description, json_schema_extra=extra, **kw)


class Section(BaseModel):
    """Base for config sections: frozen, unknown keys rejected, inf and nan refused.

    ``allow_inf_nan=False`` applies to every float of a section, list entries and nested
    tables included (tests/test_config_errors.py checks each float field).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


def check_split(values: list[float], name: str, length: int) -> None:
    if len(values) != length:
        raise ValueError(f"{name} must have {length} entries, got {len(values)}")
    if abs(sum(values) - 1.0) > 1e-6:
        raise ValueError(f"{name} must sum to 1, got {sum(values):.6g}")
