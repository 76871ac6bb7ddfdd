"""The care-service sections of the scenario schema: admission avoidance, the acute hospital,
discharge pathways, reablement, intermediate care, home care, care homes, NHS Continuing
Healthcare, assessments, funding decisions and neighbourhood teams.

Split from :mod:`sim.schema` by concept (that module keeps the run, the people and the
:class:`sim.schema.Scenario` that puts every section together). Fields follow the rules of
:mod:`sim.schema_base`: finite, bounded, described with their source row in docs/PARAMETERS.md.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .schema_base import (
    DAYS_NOTE,
    MAX_PEOPLE,
    RATE_NOTE,
    RATIO_NOTE,
    UNIT_GBP_NOTE,
    YEARLY_GBP_NOTE,
    Days,
    Hours,
    NonNegDays,
    NonNegFloat,
    Probability,
    Rate,
    Ratio,
    Section,
    UnitGbp,
    YearlyGbp,
    check_split,
    field,
)

#: the sources of the weekend acceptance ratios
WEEKEND = (" Sources: Academy of Medical Royal Colleges 2012, Seven day consultant present "
           "care (the care pathway is 'put into hibernation' over weekends, delaying "
           "discharge); the 2003 delayed-discharges act counted only working days, community "
           "care not being available at weekends. 1 = as on a weekday.")
#: a place where many discharges go to each service, so a weekend limit meets some of them
SERVICE_HEAVY = {"pathways.split_by_frailty": [[0.3, 0.3, 0.2, 0.2]] * 4,
                 "pathways.p1_home_care_share": 0.5}
#: an LA budget a little below the default's spend, so that its weekly panel rations and a
#: price it pays moves who waits (at the default budget the recalibrated place spends under
#: plan in the first months, so a price moved only the spending)
TIGHT_LA = {"budgets.la_gbp_per_year": 70_000_000.0}


class Avoidance(Section):
    share: Probability = field(
        0.10, "Share of community crises suitable for care without admission (urgent community "
        "response or step-up bed) when capacity is free [e].", probe=0.3)
    direct_access: bool = field(
        True, "Community teams can take crises directly (single point of access); without it "
        "every crisis is admitted.", probe=False)
    urgent_response_slots: int = field(
        40, "Concurrent urgent community response (2-hour UCR) episodes the teams can hold [e]. "
        "At most 10,000.", probe=2, ge=0, le=10_000)
    urgent_response_days: Days = field(
        3.0, "Length of an urgent community response episode, days [e]." + DAYS_NOTE, probe=10.0)
    visits_per_day: Annotated[float, Field(gt=0.0, le=24.0)] = field(
        2.0, "District nursing visits per day of an urgent response episode [e]. At most 24.",
        probe=5.0, moves="spending")
    step_up_share: Probability = field(
        0.3, "Share of avoided crises that need a step-up intermediate-care bed rather than care "
        "at home [e].", probe=0.9)


class Acute(Section):
    beds: int = field(372, "General and acute beds used by people 65+ at the start ([e], "
                       "360-460; 372, growing 1% a year, runs them at ~88% in the first counted "
                       "year and ~92% over five years (seeds 1 and 3) with today's frailty "
                       "service, virtual wards and end-of-life care taking crises out of "
                       "hospital). At most 50,000 (half of England's general and acute beds).",
                       probe=360, gt=0, le=50_000)
    beds_growth_per_year: Annotated[float, Field(ge=0.0, le=0.2)] = field(
        0.01, "Yearly growth of the funded acute beds (and their block contract), compounding, "
        "opening on each anniversary of the start. England's general and acute beds stayed "
        "near 100-104k from 2019/20 to 2024/25 (NHS England KH03, UEC sitreps [m]: under 1% a "
        "year; [e] 0-0.03) as the 65+ grew ~2% a year. 0 = fixed beds. At most 0.2.",
        probe=0.1, probe_with={"run.years": 2.0})
    escalation_beds: int = field(
        25, "Escalation (surge) beds opened only when every funded bed is full, paid per "
        "occupied day ([e], ~6% of funded beds). At most 10,000.", probe=0, ge=0, le=10_000)
    wards: int = field(
        5, "Equal ward groups (specialty bed pools of the 65+ emergency take: medicine, older "
        "people, respiratory/cardiology, stroke, orthopaedics; [e], 4-6) the funded beds are "
        "split into; an admission waits for its own group's bed until placed as an outlier. "
        "Small pools board more at the same occupancy (Bagust 1999 BMJ; Jones 2011). 1 = one "
        "shared pool. At most 1,000.", probe=1, ge=1, le=1_000)
    outlier_after_hours: Hours = field(
        4.0, "Hours a patient boards before the bed manager places them in a free bed of any "
        "ward group, at once when every funded bed is full ([e], 2-6 h: the 4-hour trolley "
        "wait; outliers waited ~1 h longer in ED than inliers, Flinders 2013). No longer stay "
        "for outliers (evidence mixed). At most 87,660 hours (ten years).", probe=48.0)
    boarding_treatment_share: Probability = field(
        0.75, "Share of the time a patient boards (waits in ED or a corridor for a ward bed) "
        "that counts as treatment: the inpatient team starts care at the decision to admit, so "
        "a patient who boarded longer needs less time in the ward bed ([e], 0.5-1; RCEM 2023 "
        "'corridor care': admitted patients are treated in ED while they wait; 0 = treatment "
        "starts only in a bed, a pure queue). It keeps the hospital from gridlocking when beds "
        "run out: the longer the boarding, the shorter the stay that follows.", probe=0.0,
        probe_with={"acute.beds": 250, "acute.escalation_beds": 0})
    los_mean_days: Days = field(
        8.0, "Population-average treatment length of stay until medically fit, days: King's Fund "
        "2012 mean total stay 9 d (6-13) less ~1 d of delay [e]." + DAYS_NOTE, probe=10.0)
    los_distribution: Literal["lognormal", "exponential"] = field(
        "lognormal", "Treatment length-of-stay distribution (exponential for theory checks).",
        probe="exponential")
    los_sigma: Annotated[float, Field(gt=0.0, le=4.0)] = field(
        1.08, "Lognormal sigma of treatment stay (median ~5 d). At most 4 (mean 3,000 times "
        "the median).", probe=0.5)
    los_frailty_ratio: list[Ratio] = field(
        [1.0, 1.15, 1.3, 1.45], "Relative treatment stay by frailty, normalised to the mean "
        "[e]." + RATIO_NOTE, probe=[1.0, 1.0, 1.0, 3.0])
    los_band_ratio: list[Ratio] = field(
        [0.9, 1.0, 1.15], "Relative treatment stay by age band, normalised to the mean [e]."
                          + RATIO_NOTE,
        probe=[1.0, 1.0, 2.0])
    senior_review_hours: list[Annotated[float, Field(ge=0.0, le=24.0)]] = field(
        [0.0, 24.0], "Hours of the day (start, end), 0 to 24, in which a senior clinician "
        "confirms a patient whose treatment is over medically fit: the discharge-ready date of "
        "NHS England's discharge-delay data, from which every delay is counted. Treatment "
        "that ends outside the hours is confirmed when they next begin; that wait is "
        "treatment, not delay ([e]). [0, 24]: on a weekday, when treatment ends. A morning "
        "round ([9, 12], as the NHS '100-day discharge challenge' asks) also counts the "
        "afternoon's and night's waits as treatment and takes the default's mean wait from "
        "fit below the 1.3-day calibration floor (seed 11: 1.08-1.38 d); a sweep parameter.",
        probe=[9.0, 12.0])
    weekend_review_ratio: Probability = field(
        0.6, "Chance that a Saturday or Sunday senior review confirms a patient whose treatment "
        "is over, relative to a weekday ([e], 0.3-0.9: NHS Services, Seven Days a Week Forum "
        "2013 found 10-15% of consultants on site at weekends; weekend rounds see the sickest "
        "first); one not confirmed waits for the next day. With weekend_discharge_ratio it "
        "sets the weekend's discharges at ~0.57 of a weekday's (England ~0.55-0.6: 19.5% of "
        "2014 inpatient-survey respondents left at a weekend or on a public holiday, Graham "
        "2018 BMJ Qual Saf [m]).", probe=0.0)
    weekend_discharge_ratio: Probability = field(
        0.85, "Chance that a confirmed, prepared discharge happens on a Saturday or Sunday "
        "relative to a weekday (transport, medicines to take out, a receiving team; [e], "
        "0.6-1); otherwise it waits a day.", probe=0.1)
    discharge_preparation_hours: Hours = field(
        4.0, "Hours to prepare a ready discharge (medicines to take out, transport, letters) "
        "before the person can leave ([e], 2-6 h). At most 87,660 hours (ten years).",
        probe=24.0)
    discharge_hours: list[Annotated[float, Field(ge=0.0, le=24.0)]] = field(
        [11.0, 17.0], "Hours of the day between which discharges happen (start, end), 0 to 24; "
        "a person fit in the evening leaves the next day ([e]; [0, 24] = any time).",
        probe=[0.0, 24.0])
    deconditioning_per_day: Probability = field(
        0.01, "Daily chance that a delayed person's pathway escalates (1->2, 2->3) ([e], "
        "0.005-0.02: no study gives a daily figure; see delay_harm).", probe=0.1,
        evidence=(0.005, 0.02))


    @model_validator(mode="after")
    def _hours(self):
        for name in ("discharge_hours", "senior_review_hours"):
            hours = getattr(self, name)
            if len(hours) != 2 or hours[0] >= hours[1]:
                raise ValueError(f"{name} must be [start, end] with start < end, got {hours}")
        return self


class Pathways(Section):
    split_by_frailty: list[list[Probability]] = field(
        [[0.70, 0.28, 0.015, 0.005], [0.50, 0.45, 0.04, 0.01], [0.35, 0.55, 0.07, 0.03],
         [0.25, 0.60, 0.10, 0.05]],
        "Discharge pathway 0/1/2/3 by frailty (fit..severe); averages to ~50/45/4/1 (DHSC 2022).",
        probe=[[0.25, 0.6, 0.1, 0.05]] * 4)
    lives_alone_p0_ratio: Probability = field(
        0.8, "Pathway 0 share multiplier for people living alone (the rest move to pathway 1).",
        probe=0.2)
    p1_reablement_share: Probability = field(
        0.45, "Share of pathway-1 discharges without a home-care package who get reablement [e].",
        probe=0.9)
    p1_home_care_share: Probability = field(
        0.05, "Share of pathway-1 discharges without a package who get new long-term home care; "
        "the rest get community nursing visits [e].", probe=0.5)
    community_nursing_visits: Annotated[float, Field(ge=0.0, le=1000.0)] = field(
        6.0, "District nurse visits after a pathway-1 discharge with no package [e]. At most "
        "1,000.", probe=20.0, moves="spending")
    nursing_home_share_by_frailty: list[Probability] = field(
        [0.2, 0.25, 0.35, 0.6], "Share of care-home admissions to a nursing home, by frailty.",
        probe=[0.9, 0.9, 0.9, 0.9])

    @model_validator(mode="after")
    def _splits(self):
        if len(self.split_by_frailty) != 4:
            raise ValueError("split_by_frailty needs 4 rows (fit, mild, moderate, severe)")
        for i, row in enumerate(self.split_by_frailty):
            check_split(row, f"split_by_frailty[{i}]", 4)
        if self.p1_reablement_share + self.p1_home_care_share > 1:
            raise ValueError("p1_reablement_share + p1_home_care_share must not exceed 1")
        return self


class Reablement(Section):
    places: int = field(
        175, "Concurrent reablement places ([e], 120-400). Set on seeds 1 and 3, with "
        "home_care.capacity_hours_per_week and home_care.community_patience_days, to the delay "
        "targets (issue 13): at 140 many pathway-1 patients waited a day or two for a place, so "
        "a fifth of discharges were delayed (target 12-20%); at 160 with a tighter home-care "
        "market ~16-17% were; after a two-year warm-up 160 gave ~18% and 175 ~15-16%, with "
        "~37-40% of delayed bed days waiting for service capacity (published about half, "
        "Shared Data Unit 2023). The NAIC's ~85-90% use of "
        "places is a yearly average: a full service in the later years is what a queue needs. "
        "At most 50,000.", probe=120, ge=0, le=50_000)
    duration_mean_days: Days = field(28.0, "Mean reablement episode, days (exponential, cut "
                                      "at max_days)." + DAYS_NOTE, probe=40.0)
    max_days: Days = field(42.0, "Longest reablement episode: free reablement lasts up to six "
                            "weeks (Care Act)." + DAYS_NOTE, probe=21.0)
    outcome_split: list[Probability] = field(
        [0.50, 0.35, 0.15], "Reablement outcome: independent / long-term home care / readmitted.",
        probe=[0.2, 0.65, 0.15])
    episode_cost_gbp: UnitGbp = field(2100.0, "Cost per episode (ASC-FR 2023-24)." + UNIT_GBP_NOTE,
                                       probe=3000.0, probe_with=TIGHT_LA)
    weekend_start_ratio: Probability = field(
        0.5, "Chance that reablement starts a new person on a Saturday or Sunday relative to a "
        "weekday ([e], 0.3-0.8: teams work 7 days with fewer staff); on a day it does not, "
        "the person waits in hospital with the place held (service capacity)." + WEEKEND,
        probe=0.0)

    @model_validator(mode="after")
    def _splits(self):
        check_split(self.outcome_split, "outcome_split", 3)
        return self


class IntermediateCare(Section):
    beds: int = field(60, "Intermediate-care beds (NAIC ~20 per 100k). At most 20,000.",
                       probe=30, ge=0, le=20_000)
    los_mean_days: Days = field(25.0, "Mean intermediate-care bed stay (NAIC)." + DAYS_NOTE,
                                 probe=40.0)
    outcome_split: list[Probability] = field(
        [0.45, 0.35, 0.12, 0.08], "Intermediate-care outcome: home / home care / care home / died.",
        probe=[0.2, 0.3, 0.4, 0.1])
    bed_day_cost_gbp: UnitGbp = field(200.0, "Cost of a funded IC bed day (block)."
                                              + UNIT_GBP_NOTE,
                                       probe=300.0, moves="spending")
    weekend_admission_ratio: Probability = field(
        0.7, "Chance that an intermediate-care unit admits on a Saturday or Sunday relative to "
        "a weekday ([e], 0.5-0.9: units admit 7 days, fewer at weekends); on a day it does "
        "not, the person waits in hospital with the bed held (service capacity)." + WEEKEND,
        probe=0.0, probe_with=SERVICE_HEAVY)

    @model_validator(mode="after")
    def _splits(self):
        check_split(self.outcome_split, "outcome_split", 4)
        return self


class HomeCare(Section):
    capacity_hours_per_week: NonNegFloat = field(
        23_500.0, "Home-care hours per week the local market could deliver at the start with "
        "every carer post filled, all funders ([e], 22k-32k; ~2,200 clients x 12 h at ~90% "
        "use). Set on seeds 1 and 3 with reablement.places and "
        "home_care.community_patience_days to the delay targets (issue 13): a market that "
        "cannot meet every need at once, whose waiting list is held by people giving up; "
        "vacancies (home_care.carer_turnover_per_year) take ~12% off it and it grows "
        "with home_care.market_growth_per_year. At most 5,000,000 (an hour a week for "
        "each of the largest population).", probe=22_000.0, le=float(MAX_PEOPLE))
    hours_per_week_mean: Annotated[float, Field(gt=0.0, le=168.0)] = field(
        12.0, "Mean package size, hours/week (HH1 2008). Package sizes are gamma-distributed "
        "with this mean and package_hours_shape, in whole hours from 1 to "
        "max_package_hours_per_week, for starting clients and new packages alike. At most 168 "
        "(every hour of a week).", probe=16.0)
    package_hours_shape: Annotated[float, Field(gt=0.0, le=100.0)] = field(
        4.0, "Shape of the gamma distribution of package sizes (4: coefficient of variation "
        "0.5, [e]). At most 100.", probe=1.0)
    max_package_hours_per_week: Annotated[float, Field(ge=1.0, le=168.0)] = field(
        60.0, "Largest package, hours/week (larger needs are met in a care home) [e]. 1 to "
        "168.", probe=20.0)
    initial_share_by_band: list[Probability] = field(
        [0.013, 0.04, 0.105], "Share of each age band on home care at the start [e] (~1,900 "
        "clients, ~85% of the hours).",
        probe=[0.03, 0.08, 0.2])
    community_referral_per_year_by_frailty: list[Rate] = field(
        [0.001, 0.005, 0.03, 0.08], "Yearly hazard that someone at home without care is referred "
        "for home care from the community, by frailty [e, calibrated to steady prevalence]."
        + RATE_NOTE,
        probe=[0.01, 0.03, 0.1, 0.2])
    to_care_home_per_year: Rate = field(
        0.48, "Yearly hazard that a home-care client is referred for a care home, at average "
        "frailty [calibrated so care-home prevalence stays steady]." + RATE_NOTE, probe=0.8)
    hold_package_days: NonNegDays = field(
        14.0, "Days a provider holds a client's package during a hospital stay; a client "
        "discharged on pathway 0/1 within it resumes at once, later needs a new package [e]."
        + DAYS_NOTE, probe=0.0)
    package_end_per_year: Rate = field(
        0.30, "Yearly hazard that a package ends for other reasons than death or a care home "
        "(recovery, family care, moving away) [e]." + RATE_NOTE, probe=0.6)
    need_band_ratio: list[Ratio] = field(
        [0.6, 1.0, 1.6], "Relative hazard of a new care need (home-care or care-home referral) "
        "by age band, normalised so the rates above stay population averages [e]." + RATIO_NOTE,
        probe=[1.0, 1.0, 1.0])
    to_care_home_frailty_ratio: list[Ratio] = field(
        [1.0, 1.89, 3.19, 4.76], "Care-home admission hazard ratio by frailty (Clegg 2016)."
                                 + RATIO_NOTE,
        probe=[1.0, 1.0, 1.0, 1.0])
    hour_cost_gbp: UnitGbp = field(24.0, "LA-paid home-care hour (Homecare Assoc. 2023)."
                                          + UNIT_GBP_NOTE,
                                    probe=30.0, probe_with=TIGHT_LA)
    client_contribution_share: Probability = field(
        0.15, "Share of an LA-funded package paid by the client under the means test [e].",
        probe=0.5, moves="spending")
    weekend_start_ratio: Probability = field(
        0.3, "Chance that a provider starts a new package on a Saturday or Sunday relative to a "
        "weekday ([e], 0.2-0.6: new packages start on weekdays; rotas are set in the week); "
        "on a day it does not, the person waits in hospital with the hours held (service "
        "capacity)." + WEEKEND, probe=0.0,
        probe_with={**SERVICE_HEAVY, "pathways.p1_reablement_share": 0.05,
                    "pathways.p1_home_care_share": 0.9,
                    "home_care.capacity_hours_per_week": 100_000.0,
                    "decision.mode_by_funder": {"nhs": "coordinator", "la": "coordinator"}})

    def package_hours(self, quantile):
        """Hours a week of home-care packages at the given quantiles (0-1) of their law.

        One law for starting clients and new packages alike: gamma with mean
        ``hours_per_week_mean`` and shape ``package_hours_shape``, in whole hours from 1 to
        ``max_package_hours_per_week``. Drawn by inversion, so a person's keyed uniform gives
        the same package under every arrangement.
        """
        import numpy as np
        from scipy.special import gammaincinv  # ~0.2 s to import: only when packages are drawn

        k = self.package_hours_shape
        hours = gammaincinv(k, quantile) * self.hours_per_week_mean / k
        return np.clip(np.round(hours), 1.0, self.max_package_hours_per_week)


class CareHomes(Section):
    beds: int = field(2150, "Care-home beds, residential + nursing ([e], ~3.6% of 65+ at ~92%; "
                       "CQC/LaingBuisson occupancy 87-92%). "
                       "At most 300,000 (two thirds of England's care-home beds).", probe=1900,
                       ge=0, le=300_000)
    initial_share_by_band: list[Probability] = field(
        [0.007, 0.035, 0.175], "Share of each age band in a care home at the start (~2,100).",
        probe=[0.01, 0.05, 0.25])
    residential_week_gbp: UnitGbp = field(900.0, "LA-paid residential week (ASC-FR)."
                                                  + UNIT_GBP_NOTE,
                                           probe=1200.0)
    nursing_week_gbp: UnitGbp = field(1050.0, "LA-paid nursing week (ASC-FR)." + UNIT_GBP_NOTE,
                                       probe=1500.0)
    self_funder_price_ratio: Ratio = field(
        1.4, "Fee paid by self-funders relative to the LA rate (CMA 2017: ~40% more)." + RATIO_NOTE,
        probe=1.0, moves="spending")
    client_contribution_week_gbp: UnitGbp = field(
        200.0, "Weekly contribution from income of an LA-funded resident [e]."
               + UNIT_GBP_NOTE, probe=400.0, moves="spending")
    spend_down_days: Days = field(
        900.0, "Days a self-funder pays before capital falls below the limit and the LA picks "
        "them up [e]." + DAYS_NOTE, probe=200.0)
    fnc_week_gbp: UnitGbp = field(254.06, "Funded Nursing Care paid by the NHS per nursing "
                                   "resident-week, 2025/26 (DHSC)." + UNIT_GBP_NOTE, probe=400.0,
                                   moves="spending")
    choice_in_hospital_share: Probability = field(
        0.5, "Share of care-home discharges from an acute bed where the person or family still "
        "chooses a home once funding is agreed ([e], 0.3-0.7; 'patient or family choice' was "
        "its own reason in NHS England's delayed-transfers-of-care returns to 2020). Choosing "
        "runs alongside the wait for a vacancy, so only the days it outlasts that wait are "
        "delayed days with reason 'choice'. Not in a discharge to assess (the choice is made "
        "in the interim place).", probe=1.0)
    choice_days_mean: Days = field(
        7.0, "Mean days to visit and choose a care home, from funding agreed ([e], 3-14: local "
        "choice policies offer an interim home after about a week)." + DAYS_NOTE, probe=30.0)
    choice_days_cv: Annotated[float, Field(ge=0.0, le=4.0)] = field(
        1.0, "Coefficient of variation of the days choosing takes (lognormal: a few families "
        "take weeks; [e], 0.5-1.5; 0 = always the mean). At most 4.", probe=3.0)
    weekend_admission_ratio: Probability = field(
        0.2, "Chance that a care home admits a new resident from hospital on a Saturday or "
        "Sunday relative to a weekday ([e], 0.1-0.4: homes rarely admit at weekends, when "
        "managers and GP cover are off); on a day it does not, the person waits in hospital "
        "with the bed held (service capacity)." + WEEKEND, probe=0.0, probe_with=SERVICE_HEAVY)


class Neighbourhood(Section):
    case_management: bool = field(
        False, "Integrated neighbourhood teams proactively case-manage people at moderate or "
        "severe frailty living at home, up to each team's caseload.", probe=True)
    people_per_zone: int = field(
        5_500, "People aged 65+ per neighbourhood zone (one team per ~30,000 residents at 18.4% "
        "aged 65+). At least 100 (a team for fewer is no neighbourhood), at most 5,000,000.",
        probe=1_000, ge=100, le=MAX_PEOPLE,
        probe_with={"neighbourhood.case_management": True})
    caseload_per_team: int = field(
        150, "People a zone team case-manages at once; others wait for a place [e]. At most "
        "10,000.", probe=20, ge=0, le=10_000,
        probe_with={"neighbourhood.case_management": True})
    crisis_hazard_ratio: Annotated[float, Field(gt=0.0, le=1.5)] = field(
        0.9, "Crisis hazard ratio while case-managed ([e]: evidence reviews find little, range "
        "0.8-1.0 includes no effect). At most 1.5.", probe=0.5,
        probe_with={"neighbourhood.case_management": True}, evidence=(1.0, 0.8))
    team_cost_gbp_per_year: YearlyGbp = field(
        350_000.0, "Cost of one zone team per year, paid by the community-nursing payer [e]."
        + YEARLY_GBP_NOTE, probe=700_000.0, probe_with={"neighbourhood.case_management": True},
        moves="spending")
