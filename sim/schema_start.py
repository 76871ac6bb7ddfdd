"""The ``[start]`` section of the scenario schema: where the run starts.

``mode = "prevalence"`` (the default) draws the starting population at published prevalence
and trims care homes and home care to capacity; hospital beds, intermediate care, reablement
and every queue start empty and the warm-up fills them. ``mode = "snapshot"`` starts the run
where a place is today: counts of people aged 65+ in each state (the place's own published
figures, see sim/place_template.toml), placed by :mod:`sim.start`. Counts cannot exceed the
capacity that holds them (:func:`check_capacity`, called by :class:`sim.schema.Scenario`); for
home care, the hours the carers in post deliver (:func:`in_post_share`).
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from .schema_base import DAYS_NOTE, MAX_DAYS, MAX_PEOPLE, YEAR, Section, field

#: A count of people in one state at the start.
Count = Annotated[int, Field(ge=0, le=MAX_PEOPLE)]
#: An optional mean time so far (None: the stay's equilibrium residual law).
MeanDays = Annotated[float, Field(gt=0.0, le=MAX_DAYS)] | None

#: settings under which a count acts (a snapshot start of a small test place)
SNAPSHOT = {"start.mode": "snapshot"}
COUNT_NOTE = " People aged 65+ of the modelled place; at most 5,000,000. Snapshot mode only."
SO_FAR_NOTE = (" Unset: each stay's time so far is drawn from the equilibrium (length-biased) "
               "law of the stay the model uses (see sim.start)." + DAYS_NOTE)

#: awaited service of each delayed count -> the discharge pathway it belongs to
DELAYED = {"acute_delayed_home_care": ("home_care", 1),
           "acute_delayed_reablement": ("reablement", 1),
           "acute_delayed_intermediate_care": ("intermediate_care", 2),
           "acute_delayed_care_home": ("care_home", 3)}
#: every count field of the section
COUNTS = ("acute_treatment", *DELAYED, "intermediate_care", "reablement", "home_care",
          "residential", "nursing", "waiting_home_care", "waiting_care_home")


def _count(description: str, probe: int) -> int:
    return field(0, description + COUNT_NOTE, probe=probe, probe_with=SNAPSHOT)


class Start(Section):
    mode: Literal["prevalence", "snapshot"] = field(
        "prevalence", "'prevalence': the starting population at published prevalence, "
        "trimmed to capacity, with hospital, intermediate care, reablement and queues empty "
        "(filled by the warm-up). 'snapshot': the counts below, each with its time so far, "
        "and queues in FIFO order ahead of new arrivals.", probe="snapshot")
    acute_treatment: Count = _count(
        "In an acute bed under treatment, not yet medically fit (KH03 occupied general and "
        "acute beds less the medically fit).", 20)
    acute_delayed_home_care: Count = _count(
        "In an acute bed, medically fit, waiting for a home-care package (NHSE discharge "
        "sitrep, 'no longer meeting the criteria to reside', pathway 1).", 5)
    acute_delayed_reablement: Count = _count(
        "In an acute bed, medically fit, waiting for reablement (sitrep pathway 1).", 3)
    acute_delayed_intermediate_care: Count = _count(
        "In an acute bed, medically fit, waiting for an intermediate-care bed (sitrep pathway "
        "2).", 3)
    acute_delayed_care_home: Count = _count(
        "In an acute bed, medically fit, waiting for a care-home place (sitrep pathway 3).", 3)
    intermediate_care: Count = _count(
        "In an intermediate-care bed (NAIC; community bed occupancy).", 3)
    reablement: Count = _count("In reablement (SALT STS001; NAIC).", 5)
    home_care: Count = _count("On a long-term home-care package (SALT LTS001; ASC-FR).", 60)
    residential: Count = _count(
        "In a residential care home (CQC beds x occupancy, less nursing).", 60)
    nursing: Count = _count("In a nursing home (CQC nursing beds x occupancy).", 40)
    waiting_home_care: Count = _count(
        "At home, assessed, waiting for a home-care package to start (ADASS waiting lists).", 5)
    waiting_care_home: Count = _count(
        "At home, assessed, waiting for a care-home place (ADASS waiting lists).", 3)
    treatment_days_so_far_mean: MeanDays = field(
        None, "Mean days already spent in treatment by those in acute treatment." + SO_FAR_NOTE,
        probe=20.0, probe_with={**SNAPSHOT, "start.acute_treatment": 20})
    delayed_days_so_far_mean: MeanDays = field(
        None, "Mean days since medically fit of those delayed (exponential around the mean; "
        "unset: 0, they become fit at the start). Their remaining wait is an output; this "
        "sets only the delay and bed stay they are recorded with." + DAYS_NOTE,
        probe=10.0, probe_with={**SNAPSHOT, "start.acute_delayed_care_home": 3,
                                "run.warmup_days": 0.0})
    intermediate_care_days_so_far_mean: MeanDays = field(
        None, "Mean days already spent in an intermediate-care bed." + SO_FAR_NOTE,
        probe=20.0, probe_with={**SNAPSHOT, "start.intermediate_care": 3})
    reablement_days_so_far_mean: MeanDays = field(
        None, "Mean days already spent in reablement." + SO_FAR_NOTE,
        probe=20.0, probe_with={**SNAPSHOT, "start.reablement": 5})

    @model_validator(mode="after")
    def _counts_need_snapshot(self):
        if self.mode == "prevalence":
            given = [name for name in COUNTS if getattr(self, name)]
            if given:
                raise ValueError(f"{given[0]} counts people only with mode = 'snapshot' (set "
                                 "start.mode = 'snapshot', or leave the count 0)")
        return self

    def delayed(self) -> dict[str, tuple[str, int, int]]:
        """Delayed counts by awaited service: service -> (field, pathway, count)."""
        return {service: (name, pathway, getattr(self, name))
                for name, (service, pathway) in DELAYED.items()}

    @property
    def in_acute_beds(self) -> int:
        """People in acute beds at the start (treatment and delayed)."""
        return self.acute_treatment + sum(getattr(self, name) for name in DELAYED)


def starting_package_hours(home_care, clients: int) -> np.ndarray:
    """Hours a week of the starting clients' packages: the package law at evenly spaced
    quantiles (a stratified draw), so their total is known before the run and checked
    against capacity; :mod:`sim.start` shuffles them among the clients."""
    return home_care.package_hours((np.arange(clients) + 0.5) / max(clients, 1))


def in_post_share(home_care) -> float:
    """Expected share of the home-care hours the carers in post deliver: 1 less the long-run
    vacancy share r*T / (1 + r*T) in which :mod:`sim.care_market` starts its posts (1 with no
    carer turnover). A snapshot's clients beyond it would be handed back in the first weeks."""
    rt = home_care.carer_turnover_per_year * home_care.recruitment_days_mean / YEAR
    return 1.0 / (1.0 + rt)


def check_capacity(scenario) -> None:
    """Refuse snapshot counts above the capacity that holds them (ValueError, one line)."""
    s = scenario.start
    if s.mode != "snapshot":
        return
    beds = scenario.acute.beds + scenario.acute.escalation_beds
    checks = [
        ("start.acute_treatment + start.acute_delayed_*", s.in_acute_beds,
         "acute.beds + acute.escalation_beds", beds),
        ("start.intermediate_care", s.intermediate_care, "intermediate_care.beds",
         scenario.intermediate_care.beds),
        ("start.reablement", s.reablement, "reablement.places", scenario.reablement.places),
        ("start.residential + start.nursing", s.residential + s.nursing, "care_homes.beds",
         scenario.care_homes.beds),
    ]
    checks.append(("start.* (every count)", sum(getattr(s, name) for name in COUNTS),
                   "population.size", scenario.population.size))
    for name, count, allowed, limit in checks:
        if count > limit:
            raise ValueError(f"{name} = {count} people: at most {allowed} = {limit}")
    if s.home_care:
        hours = float(starting_package_hours(scenario.home_care, s.home_care).sum())
        hc = scenario.home_care
        limit = hc.capacity_hours_per_week * in_post_share(hc)
        allowed = "home_care.capacity_hours_per_week"
        if hc.carer_turnover_per_year > 0:
            allowed = ("the hours the carers in post deliver (home_care.capacity_hours_per_week "
                       "less the vacancies of home_care.carer_turnover_per_year)")
        if hours > limit:
            raise ValueError(
                f"start.home_care = {s.home_care} clients need {hours:,.0f} hours a week (the "
                f"package-size law of home_care.*): at most {allowed} = {limit:,.0f}")
