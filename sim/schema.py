"""The scenario schema: every config section and field, with units, sources and checks.

Frozen pydantic models, unknown keys, inf and nan rejected. Each field's description cites its
source row in docs/PARAMETERS.md and states its upper bound (see :mod:`sim.schema_base`); its
metadata holds a probe value (and the settings under which the field acts) that the
field-activity test uses to show the field changes some output. The run and the people
(population, frailty, crises, deaths) live here with :class:`Scenario`; the care services in
:mod:`sim.schema_care`, their market's churn in :mod:`sim.schema_market`; budgets, the funding
arrangement, savings and unit costs in :mod:`sim.schema_money`; where the run starts in
:mod:`sim.schema_start`; the levers of integrated care (harm from delay, front-door frailty
assessment, care-home support, where the care-home decision is made) in
:mod:`sim.schema_levers`; the utilities of the outcome measures in :mod:`sim.schema_outcomes`.
Loading, overrides and error messages live in :mod:`sim.config`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, model_validator

from .schema_assessment import Assessment, Decision
from .schema_base import (
    DAYS_NOTE,
    MAX_PEOPLE,
    RATE_NOTE,
    RATIO_NOTE,
    YEAR,
    Days,
    NonNegDays,
    NonNegFloat,
    Probability,
    Rate,
    RatePer1000,
    Ratio,
    Section,
    check_split,
    field,
)
from .schema_care import (
    Acute,
    Avoidance,
    IntermediateCare,
    Neighbourhood,
    Pathways,
)
from .schema_chc import Chc
from .schema_levers import (
    CareHomeDecision,
    CareHomeSupport,
    DelayHarm,
    EndOfLife,
    FrailtyUnit,
    VirtualWard,
)
from .schema_market import CareHomeMarket, HomeCareMarket, ReablementTeams
from .schema_money import Budgets, Costs, Funding, Savings
from .schema_outcomes import Outcomes
from .schema_start import Start, check_capacity


class Run(Section):
    years: float = field(5.0, "Simulated years reported after the warm-up; at least one day "
                          "(1/365.25 of a year) and at most 50.", probe=3.0,
                          ge=1 / YEAR, le=50.0)
    warmup_days: NonNegDays = field(
        730.0, "Days simulated before results are counted: hospital and community services "
        "start empty and fill within weeks, but the slow stocks take about two years to "
        "settle (care homes, mean stay ~2.2 years; the frailty mix; home-care clients and "
        "the people waiting for them; the age bands' crisis rates): with 180 days, acute "
        "occupancy still rose ~5 points from the first counted year to the second (seed 1), "
        "with 730 about 1 [e]." + DAYS_NOTE, probe=60.0)
    start_date: dt.date = field(
        dt.date(2025, 4, 1), "Calendar date of day 0 (sets weekdays, months, financial years, "
        "winter).", probe=dt.date(2025, 10, 1))
    replications: int = field(5, "Default number of replications; at most 1,000.", probe=2,
                               ge=1, le=1000)
    seed: int = field(1, "Default master seed, 0 to 9,223,372,036,854,775,807 (a 64-bit "
                       "integer, as results tables store it).", probe=2, ge=0, le=2**63 - 1)


class Population(Section):
    size: int = field(55_200, "People modelled at the start (aged min_age and over). Default: "
                       "the 65+ residents of a 300,000 place (ONS Census 2021, 18.4%). At most "
                       "5,000,000 (the largest integrated care system has under a million people "
                       "aged 65+).", probe=30_000, gt=0, le=MAX_PEOPLE)
    min_age: int = field(65, "Youngest age modelled, 18 to 100; entrants join at this age.",
                          probe=70, ge=18, le=100)
    band_shares: list[Probability] = field(
        [0.538, 0.332, 0.130], "Share of people aged 65-74, 75-84, 85+ at the start "
        "(29,700/18,300/7,200 of 55,200: ONS Census 2021).", probe=[0.45, 0.35, 0.20])
    oldest_to_youngest_by_band: list[Annotated[float, Field(gt=0.0, le=1.0)]] = field(
        [0.85, 0.55], "People at the top of the 65-74 and 75-84 bands (aged 74, 84) per person "
        "at the bottom (65, 75) at the start: ages fall linearly across each band, as the "
        "population pyramid does (ONS mid-year estimates: ~0.85 and ~0.5-0.6 [m/e]). It sets "
        "how many turn 75 and 85 each year, so how fast the 85+ band grows: ONS projects UK "
        "85+ from 1.4m (2010) to 1.9m (2020) and 1.7m (2020) to 3.1m (2045), ~2.5-3% a year "
        "[m]. 1 = ages spread evenly (85+ then grows ~8% a year at first). Above 0, at most 1.",
        probe=[1.0, 1.0])
    frailty_split_by_band: list[list[Probability]] = field(
        [[0.62, 0.30, 0.07, 0.01], [0.42, 0.40, 0.14, 0.04], [0.25, 0.42, 0.23, 0.10]],
        "Share fit/mild/moderate/severe (eFI) in each age band; averages to 50/35/12/3% "
        "(Clegg 2016).", probe=[[0.5, 0.35, 0.12, 0.03]] * 3)
    lives_alone_by_band: list[Probability] = field(
        [0.20, 0.38, 0.55], "Share living alone per age band; 30% of 65+ overall (ONS 2021).",
        probe=[0.4, 0.5, 0.7])
    entrants_per_year: NonNegFloat = field(
        3300.0, "People reaching min_age each year (~1.1% of residents, [e]). At most 500,000 "
        "(a tenth of the largest population).", probe=6000.0, le=MAX_PEOPLE / 10)
    entrant_frailty_split: list[Probability] = field(
        [0.70, 0.25, 0.045, 0.005], "Frailty split of entrants.", probe=[0.4, 0.4, 0.15, 0.05])
    self_funder_care_home_share: Probability = field(
        0.40, "Share whose capital including the home is above the upper limit: they self-fund "
        "a care home (gives ~37% self-funded residents, ONS 2022-23).", probe=0.1)
    self_funder_home_care_share: Probability = field(
        0.25, "Share whose capital excluding the home is above the upper limit: they self-fund "
        "home care (ONS 2022: 25.8%).", probe=0.6)
    @model_validator(mode="after")
    def _splits(self):
        check_split(self.band_shares, "band_shares", 3)
        if len(self.frailty_split_by_band) != 3:
            raise ValueError("frailty_split_by_band needs one row per age band (3 rows)")
        for i, row in enumerate(self.frailty_split_by_band):
            check_split(row, f"frailty_split_by_band[{i}]", 4)
        check_split(self.entrant_frailty_split, "entrant_frailty_split", 4)
        if len(self.oldest_to_youngest_by_band) != 2:
            raise ValueError("oldest_to_youngest_by_band needs 2 entries (65-74 and 75-84)")
        if len(self.lives_alone_by_band) != 3:
            raise ValueError("lives_alone_by_band needs 3 entries (one per age band)")
        return self


class Frailty(Section):
    onset_per_1000_py_by_band: list[RatePer1000] = field(
        [130.0, 214.0, 380.0], "Fit -> mild frailty, per 1,000 person-years by band "
        "(Walsh 2023). At most 10,000 per 1,000.", probe=[300.0, 400.0, 600.0])
    worsen_per_year: Rate = field(
        0.08, "Yearly rate of moving up one frailty level from mild or moderate (Kojima 2019: "
        "29.1% over 3.9 y)." + RATE_NOTE, probe=0.3)
    improve_per_year: Rate = field(
        0.035, "Yearly rate of moving down one level (Kojima 2019: 13.7% over 3.9 y)." + RATE_NOTE,
        probe=0.3)


class Crisis(Section):
    rate_per_person_year: Rate = field(
        0.267, "Population-average emergency crisis hazard per person-year: 0.24 admissions "
        "(HES) / (1 - 0.10 avoided share). Band, frailty and other ratios are normalised "
        "around it." + RATE_NOTE, probe=0.35)
    band_relative_rate: list[Annotated[float, Field(gt=0.0, le=10_000.0)]] = field(
        [150.0, 280.0, 500.0], "Relative crisis rate per age band (emergency admissions per "
        "1,000 a year: 150/280/500, from HES 2010/11); only the ratios matter. At most 10,000.",
        probe=[100.0, 300.0, 900.0])
    frailty_hazard_ratio: list[Ratio] = field(
        [1.0, 1.93, 3.04, 4.73], "Hazard ratio of a crisis by frailty (Clegg 2016)." + RATIO_NOTE,
        probe=[1.0, 1.0, 1.0, 1.0])
    lives_alone_ratio: Ratio = field(1.3, "Crisis hazard ratio for living alone [e]." + RATIO_NOTE,
                                      probe=2.0)
    unmet_need_ratio: Ratio = field(
        1.5, "Crisis hazard ratio while waiting at home for care (unmet need) [e]." + RATIO_NOTE,
        probe=3.0)
    readmission_window_days: NonNegDays = field(
        30.0, "Days after a discharge during which the readmission ratio applies." + DAYS_NOTE,
        probe=60.0)
    readmission_ratio: Ratio = field(
        8.0, "Crisis hazard ratio inside the readmission window; set so the 30-day readmission "
        "share is ~15% (Ssentif 2010/11)." + RATIO_NOTE, probe=1.0)
    residential_rate_per_year: Rate = field(
        1.04, "Emergency admissions per resident-year, residential homes (BMJ Qual Saf), "
        "WITHOUT enhanced health in care homes (measured before the 2020 rollout): a covered "
        "resident's rate is cut by care_home_support.crisis_reduction." + RATE_NOTE,
        probe=2.0)
    nursing_rate_per_year: Rate = field(
        0.87, "Emergency admissions per resident-year, nursing homes (BMJ Qual Saf), WITHOUT "
        "enhanced health in care homes: a covered resident's rate is cut by "
        "care_home_support.crisis_reduction." + RATE_NOTE,
        probe=2.0)
    yearly_review: bool = field(
        True, "Once a year, re-set each age band's community crisis rate and the "
        "treatment-stay normaliser so crises per person and the mean treatment stay "
        "(acute.los_mean_days) stay at their published values as the population's frailty "
        "drifts (as deaths do): the frailty onset and worsening rates (eFI records, which also "
        "pick up more coding each year) make the population frailer than the start's "
        "prevalence, which would lengthen stays and raise admissions per person by several "
        "per cent a year. Frailty added by harm from delay is left out, so fewer delays still "
        "mean fewer crises and shorter stays. false = as set at the start.", probe=False,
        probe_with={"run.years": 2.0})
    winter_uplift: Annotated[float, Field(ge=0.0, le=10.0)] = field(
        0.12, "Extra crisis hazard in December-March relative to other months (+12%, [m]); the "
        "yearly average stays at the published rate. At most 10 (+1,000%).", probe=0.5)

    @model_validator(mode="after")
    def _lengths(self):
        if len(self.band_relative_rate) != 3:
            raise ValueError("band_relative_rate needs 3 entries (one per age band)")
        if len(self.frailty_hazard_ratio) != 4:
            raise ValueError("frailty_hazard_ratio needs 4 entries (fit, mild, moderate, severe)")
        return self


class Mortality(Section):
    band_rate_per_1000: list[RatePer1000] = field(
        [14.0, 38.0, 140.0], "Deaths per 1,000 a year by age band, all settings (ONS 2022-23); "
        "community rates are normalised so the band average stays at this figure. At most "
        "10,000 per 1,000.", probe=[30.0, 60.0, 200.0])
    frailty_hazard_ratio: list[Ratio] = field(
        [1.0, 1.92, 3.10, 4.52], "Hazard ratio of death by frailty (Clegg 2016)." + RATIO_NOTE,
        probe=[1.0, 1.0, 1.0, 1.0])
    in_hospital_death_share_by_band: list[Probability] = field(
        [0.03, 0.045, 0.08], "Share of emergency admissions ending in death in hospital, by age "
        "band: ~5% overall, 85+ ~8-10% (HES [m/e]).", probe=[0.1, 0.1, 0.15])
    care_home_los_median_days: Days = field(
        462.0, "Median care-home length of stay until death (Forder & Fernandez 2011)." + DAYS_NOTE,
        probe=300.0)
    care_home_los_mean_days: Days = field(
        801.0, "Mean care-home length of stay until death (Forder & Fernandez 2011)." + DAYS_NOTE,
        probe=1200.0)
    nursing_los_ratio: Ratio = field(
        0.67, "Nursing-home stay length relative to residential (nursing ~12 months median vs "
        "residential 17.9, Steventon & Roberts 2012)." + RATIO_NOTE, probe=1.0)

    @model_validator(mode="after")
    def _shape(self):
        if self.care_home_los_mean_days <= self.care_home_los_median_days:
            raise ValueError("care_home_los_mean_days must exceed care_home_los_median_days "
                             "(a right-skewed stay distribution)")
        if len(self.band_rate_per_1000) != 3 or len(self.frailty_hazard_ratio) != 4 or \
                len(self.in_hospital_death_share_by_band) != 3:
            raise ValueError("band_rate_per_1000 and in_hospital_death_share_by_band need 3 "
                             "entries, frailty_hazard_ratio 4")
        return self


class Scenario(Section):
    """A complete caresim scenario."""

    name: str = Field("scenario", description="Scenario name (used for results folders).",
                      json_schema_extra={"label": True})
    description: str = Field("", description="Free text shown in reports.",
                             json_schema_extra={"label": True})
    run: Run = Field(default_factory=Run, description="Run length and seeds.")
    population: Population = Field(default_factory=Population, description="Population.")
    frailty: Frailty = Field(default_factory=Frailty, description="Frailty progression.")
    crisis: Crisis = Field(default_factory=Crisis, description="Emergency crisis hazard.")
    mortality: Mortality = Field(default_factory=Mortality, description="Deaths.")
    avoidance: Avoidance = Field(default_factory=Avoidance, description="Admission avoidance.")
    acute: Acute = Field(default_factory=Acute, description="Acute hospital.")
    pathways: Pathways = Field(default_factory=Pathways, description="Discharge pathways.")
    reablement: ReablementTeams = Field(default_factory=ReablementTeams,
                                        description="Reablement and its locality teams.")
    intermediate_care: IntermediateCare = Field(default_factory=IntermediateCare,
                                                description="Intermediate-care beds.")
    home_care: HomeCareMarket = Field(default_factory=HomeCareMarket,
                                      description="Home care and its workforce.")
    care_homes: CareHomeMarket = Field(default_factory=CareHomeMarket,
                                       description="Care homes and their vacancies.")
    chc: Chc = Field(default_factory=Chc, description="NHS Continuing Healthcare.")
    assessment: Assessment = Field(default_factory=Assessment, description="Assessments.")
    decision: Decision = Field(default_factory=Decision, description="Funding decisions.")
    budgets: Budgets = Field(default_factory=Budgets, description="Budgets and rationing.")
    funding: Funding = Field(default_factory=Funding, description="Funding arrangement.")
    neighbourhood: Neighbourhood = Field(default_factory=Neighbourhood,
                                         description="Neighbourhood teams and prevention.")
    savings: Savings = Field(default_factory=Savings,
                             description="Cashable savings and reinvestment.")
    costs: Costs = Field(default_factory=Costs, description="Unit costs (2024/25 prices).")
    delay_harm: DelayHarm = Field(default_factory=DelayHarm,
                                  description="Harm from waiting in a bed once medically fit.")
    frailty_unit: FrailtyUnit = Field(default_factory=FrailtyUnit,
                                      description="Frailty assessment at the front door.")
    care_home_support: CareHomeSupport = Field(
        default_factory=CareHomeSupport, description="Enhanced health in care homes (EHCH).")
    care_home_decision: CareHomeDecision = Field(
        default_factory=CareHomeDecision, description="Where the care-home decision is made.")
    end_of_life: EndOfLife = Field(default_factory=EndOfLife,
                                   description="The last phase of life and fast-track CHC.")
    virtual_ward: VirtualWard = Field(default_factory=VirtualWard,
                                      description="Virtual wards / hospital at home.")
    start: Start = Field(default_factory=Start,
                         description="Where the run starts: prevalence or today's snapshot.")
    outcomes: Outcomes = Field(default_factory=Outcomes,
                               description="Outcome measures: utilities for QALYs.")

    @model_validator(mode="after")
    def _consistent(self):
        if self.savings.reinvest_in == "prevention" and not self.neighbourhood.case_management:
            raise ValueError("savings.reinvest_in = 'prevention' buys neighbourhood case-"
                             "management places: set neighbourhood.case_management = true")
        check_capacity(self)
        return self
