"""Building blocks of the scenario schema: value types, the field helper and the section base.

Shared by :mod:`sim.schema` (people, hospital and community sections) and
:mod:`sim.schema_money` (budgets, funding arrangement, savings and unit costs).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
PositiveFloat = Annotated[float, Field(gt=0.0)]
NonNegFloat = Annotated[float, Field(ge=0.0)]
Service = Literal[
    "acute", "intermediate_care", "reablement", "home_care", "care_home", "chc",
    "community_nursing",
]
Funder = Literal["nhs", "la"]
Weekday = Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
SERVICES: tuple[str, ...] = Service.__args__  # type: ignore[attr-defined]
FRAILTY_LEVELS = ("fit", "mild", "moderate", "severe")
AGE_BANDS = ("65-74", "75-84", "85+")


def _field(default: Any, description: str, probe: Any = None, active_in: str = "all",
           probe_with: dict | None = None, **kw):
    """A schema field with a description and the metadata the field-activity test uses.

    ``probe`` is an alternative value that must change some output; ``active_in`` names the
    shipped config in which the field acts ("all", "fragmented" or "pooled"); ``probe_with``
    holds other settings under which the field acts (e.g. a risk-share rule).
    """
    extra: dict[str, Any] = {"active_in": active_in}
    if probe is not None:
        extra["probe"] = probe
    if probe_with:
        extra["probe_with"] = probe_with
    return Field(default, description=description, json_schema_extra=extra, **kw)


class Section(BaseModel):
    """Base for config sections: frozen, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def _check_split(values: list[float], name: str, length: int) -> None:
    if len(values) != length:
        raise ValueError(f"{name} must have {length} entries, got {len(values)}")
    if abs(sum(values) - 1.0) > 1e-6:
        raise ValueError(f"{name} must sum to 1, got {sum(values):.6g}")
