"""The outcome measures places report, as KPIs of the one registry (:data:`sim.kpis.KPIS`).

What people get out of care rather than what it costs: still at home 91 days after reablement
(ASCOF 2B(1)), discharges back to the usual place of residence, permanent care-home admissions
per 100,000 (ASCOF 2A(2)), people who stop waiting for home care, deaths in hospital,
emergency admissions of care-home residents, and quality-adjusted life years. They read the
event log (``at_home_91d`` and ``resident_admission`` events are written by
:class:`sim.outcome_tracking.OutcomeTracker`), the daily occupancy and the person-time by
setting and frailty, like every other KPI. A share or rate whose denominator is empty in the
counting window is NaN ("no such people"), not 0.
"""

from __future__ import annotations

import math

import numpy as np

from .kpi_base import NON_NEGATIVE, SHARE, Kpi
from .kpi_inputs import KpiInputs
from .outcome_tracking import SETTINGS
from .schema_base import FRAILTY_LEVELS, YEAR

#: discharge destinations (sim.hospital.ARRIVALS) that return a person to their usual place of
#: residence: home with or without support or reablement, or back to the same care home
USUAL_RESIDENCE = frozenset(("home", "community_nursing", "home_care_resumed",
                             "care_home_return", "home_waiting_home_care",
                             "home_waiting_care_home", "reablement", "home_care"))
#: states at death that are in hospital (ED boarding or an acute bed)
HOSPITAL_STATES = frozenset(("acute_boarding", "acute_treatment", "acute_delayed"))
CARE_HOME_SERIES = ("residential", "nursing")
#: share of a place's residents aged 65+ (ONS Census 2021, England 18.4%; the default place is
#: the 55,200 people aged 65+ of 300,000), to state CHC per 50,000 of the whole population
AGED_65_PLUS_SHARE = 0.184
#: the ledger's CHC services: standard CHC in a care home or at home (sim.chc, sim.decisions)
#: and fast-track CHC at the end of life (sim.end_of_life)
STANDARD_CHC = ("chc", "chc_home")
FAST_TRACK_CHC = ("chc_fast_track",)


def _share(hits: int, total: int) -> float:
    return hits / total if total else math.nan


def at_home_91d_share(d: KpiInputs) -> float:
    """Share of the followed-up reablement discharges at home 91 days later (NaN if none)."""
    followed = d.of("at_home_91d")["value"].to_numpy(dtype=float)
    return float(followed.mean()) if len(followed) else math.nan


def usual_residence_discharge_share(d: KpiInputs) -> float:
    """Share of live acute discharges back to the usual place of residence."""
    destinations = d.of("discharge")["service"]
    return _share(int(destinations.isin(USUAL_RESIDENCE).sum()), len(destinations))


def person_years_alive(d: KpiInputs) -> float:
    """Person-years lived by the people modelled in the counting window."""
    return float(d.window["alive"].sum()) / YEAR


def chc_per_50k(services: tuple[str, ...]):
    """People funded under ``services`` at a time (CHC-funded person-days in the counting
    window over its days) per 50,000 of the place's whole population (the people modelled
    over :data:`AGED_65_PLUS_SHARE`)."""
    def compute(d: KpiInputs) -> float:
        led = d.ledger
        rows = led[(led["view"] == "cash") & led["service"].isin(services)]
        start = rows["start_day"].to_numpy(dtype=float).clip(d.warmup, d.horizon)
        end = np.nan_to_num(rows["end_day"].to_numpy(dtype=float), nan=d.horizon)
        person_days = float((end.clip(d.warmup, d.horizon) - start).sum())
        population = float(d.window["alive"].mean()) / AGED_65_PLUS_SHARE
        days = d.horizon - d.warmup
        return person_days / days / population * 50_000 if population and days else math.nan
    return compute


def care_home_admissions_per_100k(d: KpiInputs) -> float:
    """Permanent care-home admissions per 100,000 person-years of the people modelled."""
    person_years = person_years_alive(d)
    admissions = len(d.of("care_home_admission"))
    return admissions / person_years * 100_000 if person_years else math.nan


def hospital_death_share(d: KpiInputs) -> float:
    """Share of deaths in hospital (waiting for a bed in ED or in an acute bed)."""
    states = d.of("death")["service"]
    return _share(int(states.isin(HOSPITAL_STATES).sum()), len(states))


def care_home_resident_admission_rate(d: KpiInputs) -> float:
    """Emergency admissions of care-home residents per care-home resident-year."""
    resident_years = float(d.window[list(CARE_HOME_SERIES)].sum().sum()) / YEAR
    admissions = len(d.of("resident_admission"))
    return admissions / resident_years if resident_years else math.nan


def qaly_weights(utilities) -> dict[tuple[str, int], float]:
    """(setting, frailty index) -> utility, from the ``outcomes`` section."""
    return {(s, f): u for s in SETTINGS
            for f, u in enumerate(getattr(utilities, f"utility_{s}"))}


def qalys(d: KpiInputs) -> float:
    """Utility-weighted person-years per year: sum of utility x person-years / years."""
    if d.person_time is None or d.utilities is None:
        return math.nan
    weights = qaly_weights(d.utilities)
    pt = d.person_time
    level = pt["frailty"].map(FRAILTY_LEVELS.index)
    u = np.array([weights[(s, f)] for s, f in zip(pt["setting"], level)], dtype=float)
    return float((u * pt["person_years"].to_numpy(dtype=float)).sum()) / d.years


OUTCOME_KPIS = (
    Kpi("at_home_91d_share", "share", "At home 91 days after reablement",
        "share of people 65+ discharged from hospital into reablement who are at home (alive, "
        "not in hospital, a care home or intermediate care) 91 days later (ASCOF 2B(1)); "
        "discharges less than 91 days before the horizon are left out, not guessed; NaN when "
        "there are none", "The share of people at home 91 days after reablement", SHARE,
        at_home_91d_share),
    Kpi("usual_residence_discharge_share", "share", "Discharges to usual residence",
        "share of live acute discharges back to the usual place of residence (home with or "
        "without a package or reablement, or back to the same care home)",
        "The share of discharges back to the usual place of residence", SHARE,
        usual_residence_discharge_share),
    Kpi("care_home_admissions_per_100k", "per 100,000 a year",
        "Care-home admissions per 100,000 / yr",
        "permanent care-home admissions per 100,000 people modelled (65+ at the default "
        "`population.min_age`) a year (ASCOF 2A(2)); an interim discharge-to-assess place "
        "counts when it starts, as every one in the model becomes permanent",
        "Permanent care-home admissions per 100,000 people a year", NON_NEGATIVE,
        care_home_admissions_per_100k),
    Kpi("chc_eligible_per_50k", "per 50,000", "On standard CHC per 50,000",
        "people on standard NHS Continuing Healthcare (in a care home or at home) at a time, "
        "per 50,000 of the place's whole population (the people modelled over the 18.4% aged "
        "65+; NHS England reports ~30 per 50,000 for all ages, 2024)",
        "People on standard CHC per 50,000 residents", NON_NEGATIVE, chc_per_50k(STANDARD_CHC)),
    Kpi("chc_fast_track_per_50k", "per 50,000", "On fast-track CHC per 50,000",
        "people on fast-track NHS Continuing Healthcare at the end of life at a time, per "
        "50,000 of the place's whole population (as chc_eligible_per_50k)",
        "People on fast-track CHC per 50,000 residents", NON_NEGATIVE,
        chc_per_50k(FAST_TRACK_CHC)),
    Kpi("home_care_gave_up", "per year", "Stopped waiting for home care / yr",
        "people a year who stopped waiting at home for a home-care package and went without "
        "formal care (their patience ran out: see the home-care patience field); their need "
        "stays unmet",
        "People a year who stopped waiting for home care", NON_NEGATIVE,
        lambda d: len(d.of("gave_up_waiting")) / d.years),
    Kpi("hospital_death_share", "share", "Deaths in hospital",
        "share of deaths in hospital (waiting for a bed in ED or in an acute bed)",
        "The share of deaths in hospital", SHARE, hospital_death_share),
    Kpi("care_home_resident_admission_rate", "per resident-year",
        "Care-home residents' admissions per resident-year",
        "emergency admissions of care-home residents per care-home resident-year",
        "Emergency admissions per care-home resident a year", NON_NEGATIVE,
        care_home_resident_admission_rate),
    Kpi("qalys", "QALYs per year", "QALYs lived / yr",
        "quality-adjusted life years lived per year by the people modelled: person-time in "
        "each setting and frailty level weighted by its utility (`outcomes.utility_*`)",
        "Quality-adjusted life years lived a year", NON_NEGATIVE, qalys),
)
