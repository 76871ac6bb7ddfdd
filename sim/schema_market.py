"""The care-market fields of the scenario schema: supply that churns.

Real care markets are not one perfectly shared pool with slack. Home-care workers leave and are
replaced after a recruitment lag, so the hours a market can deliver move, and providers hand
packages back when they fall below the hours taken on (:mod:`sim.care_market`); a vacated
care-home room is not usable at once, and a home may decline a person it is offered
(:class:`sim.services.CareHomeBeds`). The fields extend the ``[home_care]`` and ``[care_homes]``
sections (:class:`HomeCareMarket`, :class:`CareHomeMarket`, wired into
:class:`sim.schema.Scenario`). Each is off by default (0), which reproduces a market without
churn exactly; the descriptions give the central evidence values, which the recalibration of
issue 13 uses.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .schema_base import DAYS_NOTE, RATE_NOTE, Days, NonNegDays, Probability, Rate, field
from .schema_care import CareHomes, HomeCare

#: carers leaving fast enough that hours bind in a small place (the probes' setting)
CHURN = {"home_care.carer_turnover_per_year": 2.0}
#: a care-home market with fewer beds than the starting residents, so vacancies always bind
FULL_HOMES = {"care_homes.beds": 2000}


class HomeCareMarket(HomeCare):
    """``[home_care]``: the package and capacity fields, and the carers who deliver them."""

    carer_turnover_per_year: Rate = field(
        0.0, "Yearly rate at which home-care workers leave their post; each leaver's hours "
        "(hours_per_carer) are lost to the market until a replacement is recruited, and a "
        "provider short of hours hands packages back. Skills for Care, State of the adult "
        "social care sector and workforce 2022/23: turnover 30% of directly employed staff "
        "(29% in 2021/22, ~390,000 leavers, a third of them leaving the sector) [m]; higher "
        "in domiciliary care than in care homes (Hussein 2016, Health Soc Care Community) [m]. "
        "Central evidence value 0.32 ([e], 0.25-0.40). 0 = off (the default): the market "
        "delivers capacity_hours_per_week at all times." + RATE_NOTE, probe=2.0)
    recruitment_days_mean: Days = field(
        155.0, "Mean days to recruit a replacement for a care worker who left (exponential). "
        "With turnover r a year and recruitment T years the long-run vacancy share is "
        "rT/(1+rT): Skills for Care 2023/24, vacancy rate in domiciliary care 11.9% (12.9% in "
        "2022/23; 8.3% across adult social care) [m], gives T = 155 days at r = 0.32 ([e], "
        "90-240). Acts only with carer_turnover_per_year above 0." + DAYS_NOTE,
        probe=30.0, probe_with=CHURN)
    hours_per_carer: Annotated[float, Field(gt=0.0, le=168.0)] = field(
        20.0, "Care hours a week one home-care worker delivers: the block of deliverable "
        "hours that leaves and returns with a carer ([e], 15-30: about half of domiciliary "
        "care staff work full time, many on zero-hours contracts, and travel between visits "
        "is not care time). A property of a carer, not of the place: it is not scaled. Acts "
        "only with carer_turnover_per_year above 0. At most 168.", probe=60.0, probe_with=CHURN)


class CareHomeMarket(CareHomes):
    """``[care_homes]``: the beds, fees and choice fields, and vacancies that open and close."""

    vacancy_turnaround_days: NonNegDays = field(
        0.0, "Days a vacated care-home room is not usable: cleared by the family, deep "
        "cleaned, the home reviews its list and assesses the next person. By Little's law it "
        "removes about (vacancies a day x these days) beds from use. Central evidence value 4 "
        "([e], 2-7). 0 = usable at once (the default)." + DAYS_NOTE,
        probe=14.0, probe_with=FULL_HOMES)
    decline_share: Probability = field(
        0.0, "Chance that a care home declines a person it offers a vacancy to, after its own "
        "pre-admission assessment (complex needs, behaviour, the council's rate: 'lack of fit "
        "between available provision and the needs of people leaving hospital', Health Soc "
        "Care Community 2023, PMC10084034 [m]). The vacancy goes to the next in the queue or "
        "stays open for the next arrival; the declined person keeps their place and waits "
        "for the next vacancy. Central evidence value 0.15 ([e], 0.05-0.30). 0 = never (the "
        "default).", probe=0.5)
