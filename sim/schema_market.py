"""The care-market fields of the scenario schema: supply that churns.

Real care markets are not one perfectly shared pool with slack. Home-care workers leave and are
replaced after a recruitment lag, so the hours a market can deliver move, and providers hand
packages back when they fall below the hours taken on (:mod:`sim.care_market`); a vacated
care-home room is not usable at once, and a home may decline a person it is offered
(:class:`sim.pools.CareHomeBeds`); and each market is split into localities a person is
served in (:mod:`sim.localities`). The fields extend the ``[home_care]``, ``[care_homes]`` and
``[reablement]`` sections (:class:`HomeCareMarket`, :class:`CareHomeMarket`,
:class:`ReablementTeams`, wired into :class:`sim.schema.Scenario`). The default runs each at
its central evidence value (the recalibration of issue 13); 0, or one locality, switches a
mechanism off and reproduces a market without churn exactly.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .schema_base import DAYS_NOTE, RATE_NOTE, Days, NonNegDays, Probability, Rate, field
from .schema_care import CareHomes, HomeCare, Reablement

#: carers leaving fast enough that hours bind in a small place (the probes' setting)
CHURN = {"home_care.carer_turnover_per_year": 2.0}
#: a care-home market with fewer beds than the starting residents, so vacancies always bind
FULL_HOMES = {"care_homes.beds": 2000}
#: care homes in localities (the out-of-area field's setting)
LOCAL_HOMES = {**FULL_HOMES, "care_homes.localities": 80}   # 4 at the test's small place
#: scarce reablement places, so that a locality's team can be full while another has room
FEW_PLACES = {"reablement.places": 12}
LOCALITIES_NOTE = (" 1 = one shared pool. Localities are areas of about the same population: "
                   "a place scaled by --scale gets proportionally fewer (at least one). At "
                   "most 100.")


class HomeCareMarket(HomeCare):
    """``[home_care]``: the package and capacity fields, and the carers who deliver them."""

    carer_turnover_per_year: Rate = field(
        0.32, "Yearly rate at which home-care workers leave their post; each leaver's hours "
        "(hours_per_carer) are lost to the market until a replacement is recruited, and a "
        "provider short of hours hands packages back. Skills for Care, State of the adult "
        "social care sector and workforce 2022/23: turnover 30% of directly employed staff "
        "(29% in 2021/22, ~390,000 leavers, a third of them leaving the sector) [m]; higher "
        "in domiciliary care than in care homes (Hussein 2016, Health Soc Care Community) [m]. "
        "Default: the central evidence value 0.32 ([e], 0.25-0.40). 0 = off: the market "
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
    localities: Annotated[int, Field(ge=1, le=100)] = field(
        8, "Equal patches the home-care hours and carers are split into; a client's package "
        "takes hours in their own patch only, and a carer who leaves hands back packages "
        "only in theirs (sim.localities). Councils commission home care by zone or patch and "
        "carers travel within it ([e], 4-12; default 8, the central value)."
        + LOCALITIES_NOTE, probe=80)
    community_patience_days: NonNegDays = field(
        40.0, "Mean days a person waiting at home for a home-care package (a new need or a "
        "package handed back) waits before giving up: they go without formal care, on family "
        "or privately bought help, their need stays unmet (the crisis hazard stays raised) "
        "and a later need brings a new referral. Exponential patience, so the waiting list "
        "of an over-stretched market settles where people leave it as fast as they join it "
        "(queueing with abandonment, 'Erlang A') instead of growing until supply catches up. "
        "People waiting in hospital never give up: they cannot go home without care. ADASS "
        "Spring Survey 2023: ~250,000 people waiting for an assessment, care or a review, and "
        "councils report people who stop waiting and rely on family or pay privately; Age UK "
        "2023: 2.6 million people 65+ with some unmet need [m] ([e], 14-90 days). Default 40, "
        "set on seeds 1 and 3 with home_care.capacity_hours_per_week and reablement.places "
        "to the delay targets; without it a market this tight runs away in some replications "
        "(waits of weeks in hospital). 0 = off: everyone waits until the hours are found."
        + DAYS_NOTE, probe=3.0, probe_with=CHURN)
    market_growth_per_year: Annotated[float, Field(ge=0.0, le=0.5)] = field(
        0.02, "Yearly growth of the hours the home-care market can deliver, compounding from "
        "the start: providers recruit and commissioners buy more as the 65+ population grows. "
        "Skills for Care (size and structure of the adult social care workforce): filled posts "
        "in domiciliary care grew ~17% from 2012/13 to 2022/23 (~1.6% a year), faster with "
        "international recruitment in 2023/24 [m]; the 65+ population grows ~1.7-2% a year "
        "(ONS) ([e], 0.01-0.04; default 0.02). 0 = the hours stay as they are for the whole "
        "run. At most 0.5.",
        probe=0.3, probe_with={"home_care.capacity_hours_per_week": 12_000.0, "run.years": 1.5})


class CareHomeMarket(CareHomes):
    """``[care_homes]``: the beds, fees and choice fields, and vacancies that open and close."""

    vacancy_turnaround_days: NonNegDays = field(
        4.0, "Days a vacated care-home room is not usable: cleared by the family, deep "
        "cleaned, the home reviews its list and assesses the next person. By Little's law it "
        "removes about (vacancies a day x these days) beds from use. Default: the central "
        "evidence value 4 ([e], 2-7). 0 = usable at once." + DAYS_NOTE,
        probe=14.0, probe_with=FULL_HOMES)
    decline_share: Probability = field(
        0.15, "Chance that a care home declines a person it offers a vacancy to, after its own "
        "pre-admission assessment (complex needs, behaviour, the council's rate: 'lack of fit "
        "between available provision and the needs of people leaving hospital', Health Soc "
        "Care Community 2023, PMC10084034 [m]). The vacancy goes to the next in the queue or "
        "stays open for the next arrival; the declined person keeps their place and waits "
        "for the next vacancy. Default: the central evidence value 0.15 ([e], 0.05-0.30). "
        "0 = never.", probe=0.5)
    localities: Annotated[int, Field(ge=1, le=100)] = field(
        4, "Equal localities the care-home beds are split into; a person waits for a bed in "
        "their own locality until out_of_area_after_days, as a family looks for a home "
        "within reach ([e], 3-8; default 4, the central value)."
        + LOCALITIES_NOTE, probe=80, probe_with=FULL_HOMES)
    out_of_area_after_days: NonNegDays = field(
        14.0, "Days after which a person waiting for a care home takes a vacancy in any "
        "locality: the family widens the search ([e], 7-28; central value 14). Acts only with "
        "localities above 1." + DAYS_NOTE, probe=0.0, probe_with=LOCAL_HOMES)


class ReablementTeams(Reablement):
    """``[reablement]``: the places, episodes and outcomes, and the locality teams."""

    localities: Annotated[int, Field(ge=1, le=100)] = field(
        4, "Equal locality teams the reablement places are split into; a person takes a place "
        "of their own locality's team only ([e], 3-8; default 4, the central value)."
        + LOCALITIES_NOTE, probe=80, probe_with=FEW_PLACES)
