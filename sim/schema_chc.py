"""NHS Continuing Healthcare settings (``chc.*``): the discharge route's checklist, assessment,
eligibility, price and disputes (:func:`sim.decisions.chc_process`), and the route for people
already in care, its reviews and its stock at the start (:mod:`sim.chc`).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .schema_base import DAYS_NOTE, UNIT_GBP_NOTE, Days, Probability, Section, UnitGbp, field

CHC_COMMON = {"pathways.split_by_frailty": [[0.5, 0.2, 0.1, 0.2]] * 4,
              "chc.checklist_positive_share": 1.0, "chc.dispute_probability": 0.5}


class Chc(Section):
    checklist_positive_share: Probability = field(
        0.25, "Share of pathway-3 discharges with a positive CHC checklist [e].", probe=0.6)
    full_assessment_days: Days = field(
        10.0, "Mean days for a full CHC assessment and decision [e] (28-day target)." + DAYS_NOTE,
        probe=20.0, probe_with=CHC_COMMON)
    full_assessment_hours: Annotated[float, Field(ge=0.0, le=100.0)] = field(
        8.0, "Hours of NHS nurse and multidisciplinary time a full CHC assessment takes "
        "(resource use) [e]; at most 100.", probe=20.0, probe_with=CHC_COMMON,
        moves="spending")
    eligible_share: Probability = field(
        0.3, "Share of full assessments found eligible for NHS CHC [e].", probe=0.8,
        probe_with=CHC_COMMON)
    week_gbp: UnitGbp = field(1200.0, "NHS CHC care-home week (NAO 2017)."
                                       + UNIT_GBP_NOTE, probe=1800.0,
                               probe_with=CHC_COMMON, moves="spending")
    dispute_probability: Probability = field(
        0.15, "Chance that a full CHC decision is disputed between NHS and LA when they are "
        "different commissioners [e].", probe=0.9, probe_with=CHC_COMMON)
    dispute_resolution_days: Days = field(
        28.0, "Mean days to resolve a CHC/LA dispute [e]." + DAYS_NOTE, probe=90.0,
        probe_with=CHC_COMMON, moves="spending")
    interim_funding: bool = field(
        True, "Discharge proceeds during a dispute on interim funding by the LA (national "
        "framework); false: the person waits in hospital for the dispute.", probe=False,
        probe_with=CHC_COMMON)
    # --- standard CHC for people already in care (sim.chc) ------------------------------------
    in_care_checklist_share: Probability = field(
        0.9, "Share of nursing-home residents and home-care clients whose frailty worsens to "
        "moderate or severe who are screened positive on the CHC checklist and have a full "
        "assessment (of which eligible_share are found eligible); 0 = no CHC route for people "
        "already in care [e] 0.3-1.0 (NAO 2017: ~124,000 standard checklists a year, ~62% went "
        "to full assessment, ~18% of those screened found eligible; Nuffield Trust 2024: 21% "
        "of standard assessments eligible, Jan-Mar 2024). Calibrated on seed 1 to the stock: "
        "34,055 people eligible for standard CHC in England at 31 March 2024 (Nuffield Trust "
        "2024 from NHS England CHC data), ~30 per 50,000 residents of all ages, so [e] 12-24 "
        "per 50,000 for the 65+ the model holds (their share of the stock not found: [e] "
        "0.4-0.8); gives 13.4-13.7 per 50,000 (seed 11; 15.4-16.3 while the stock at home "
        "started at three times what the route sustains). Moves journeys only as "
        "assessments and disputes: nobody's place or stay changes.", probe=0.3)
    start_eligible_share: Probability = field(
        0.13, "Share of the starting nursing-home residents at moderate or severe frailty who "
        "are already on standard CHC at t = 0, so year one is not a ramp from zero [e] "
        "0.05-0.3, set on seed 1 so the stock in care homes at the start is near the stock "
        "the route sustains there (~55-70 people on the default place, seed 1). Moves journeys "
        "through the LA's budget: less LA spend, less rationing of its funding decisions "
        "(the probe's LA budget is tight enough to ration).",
        probe=0.5, probe_with={"budgets.la_gbp_per_year": 69_800_000.0})
    start_home_eligible_share: Probability = field(
        0.045, "Share of the starting home-care clients at moderate or severe frailty already "
        "on standard CHC at home at t = 0 [e] 0.02-0.15, set on seed 1 to the stock at home "
        "the route sustains (~28 people on the default place; one share of 0.13 for both "
        "settings started ~80 at home, which fell to ~28 within a year). Moves journeys "
        "through the LA's budget, as above.", probe=0.5)
    home_week_gbp: UnitGbp = field(
        900.0, "NHS price of a CHC package at home per week, replacing the LA's (or the "
        "person's) home-care funding [e] 600-1,500 (Law Society 2022: care fees of £750-1,500 "
        "a week at home or in a care home; no national figure for CHC at home found)."
        + UNIT_GBP_NOTE, probe=1500.0, moves="spending")
    review_ineligible_share: Probability = field(
        0.05, "Share of people on standard CHC through the in-care route or the start found no "
        "longer eligible at each yearly review; their fees return to the LA, the pool, the "
        "means test or the person [e] 0.02-0.2 (the national framework reviews at 3 months "
        "and then yearly; NAO 2017 found people funded for shorter periods than before; no "
        "national rate of ineligibility at review found).", probe=0.9, moves="spending")
    review_hours: Annotated[float, Field(ge=0.0, le=100.0)] = field(
        3.0, "Hours of NHS nurse assessor time each yearly review of a person on standard CHC "
        "takes (resource use, as full_assessment_hours) [e] 1-6: a review checks the care plan "
        "and whether the person is still eligible, a shorter job than a full assessment with "
        "its multidisciplinary team (national framework: reviews at 3 months, then at least "
        "yearly); no published time per review found. At most 100.", probe=20.0,
        moves="spending")
