"""The money sections of the scenario schema: budgets and rationing, the funding arrangement
(commissioners, pool or capitated provider, joint scope), cashable savings and unit costs.

Split from :mod:`sim.schema` by concept; :class:`sim.schema.Scenario` puts them together.
Amounts are bounded like the other fields (see :mod:`sim.schema_base`): a unit cost at most
GBP 1m, a yearly amount at most GBP 100bn, so that no typo turns a total into inf or nan.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .schema_base import (
    DAYS_NOTE,
    MAX_DAYS,
    RATIO_NOTE,
    SERVICES,
    UNIT_GBP_NOTE,
    YEARLY_GBP_NOTE,
    Funder,
    NonNegDays,
    Probability,
    Ratio,
    Section,
    Service,
    UnitGbp,
    YearlyGbp,
    field,
)

#: A review interval: at least a day (a shorter one would only add events), at most ten years.
ReviewDays = Annotated[float, Field(ge=1.0, le=MAX_DAYS)]
#: a pool a little below the pooled default's spend, so that it rations and money in or out
#: of it moves who waits (the recalibrated pooled default spends under plan in its first months)
TIGHT_POOL = {"funding.pool.la_contribution_gbp_per_year": 72_000_000.0}
#: an LA budget ~3% under the default's, so that its panel rations (the probes' setting)
TIGHT_LA = {"budgets.la_gbp_per_year": 69_800_000.0}


class Rationing(Section):
    mode: Literal["off", "wait", "eligibility"] = field(
        "wait", "What the cash-limited funder does when spend runs ahead of plan: new packages "
        "wait for the next review with spend back on plan, or eligibility tightens.",
        probe="off", probe_with=TIGHT_LA)
    trigger_ratio: Ratio = field(
        1.0, "Ration when year-to-date spend exceeds this multiple of the year-to-date plan."
        + RATIO_NOTE, probe=3.0, probe_with=TIGHT_LA)
    basis: Literal["plan_to_date", "forecast_outturn"] = field(
        "plan_to_date", "What a review compares: year-to-date spend with the year-to-date "
        "seasonal plan, or the forecast outturn (spend to date plus today's committed daily "
        "spend to the year end) with the year's budget, as finance leads forecast [e].",
        probe="forecast_outturn", probe_with=TIGHT_LA)
    review_interval_days: ReviewDays = field(
        7.0, "Days between budget reviews that switch rationing on or off; at least 1, at most "
        "3,652.5 (ten years).", probe=30.0,
        probe_with=TIGHT_LA)
    eligibility_min_frailty: Literal["mild", "moderate", "severe"] = field(
        "moderate", "Under eligibility rationing, people less frail than this are refused new "
        "packages and wait at home.", probe="severe",
        probe_with={"budgets.rationing.mode": "eligibility", **TIGHT_LA})


class Budgets(Section):
    nhs_gbp_per_year: YearlyGbp = field(
        72_100_000.0, "NHS budget for the modelled services in the first year, before headroom "
        "(first-year cash spend of the fragmented default, calibration run, seed 1; with "
        "fast-track CHC for care-home residents in their last phase, the CHC stock at home "
        "starting at what the route sustains, and the home-care market at 23,500 hours)."
        + YEARLY_GBP_NOTE, probe=50_000_000.0, moves="accounts")
    la_gbp_per_year: YearlyGbp = field(
        72_150_000.0, "LA adult social care budget for older people in the first year, before "
        "headroom: the fragmented default's first-year cash spend (~£68.3m since the home-care "
        "market was set to 23,500 hours a week and people waiting at home may give up; ~£70.4m "
        "before) with ~6% room, as before, so that the calibration run never "
        "rations; a sweep parameter [e]." + YEARLY_GBP_NOTE,
        probe=60_000_000.0)
    nhs_yearly_change: float = field(
        0.02, "Real-terms change of the NHS budget per financial year (+2%: about the growth of "
        "the 65+ population) [e]; -0.5 to 0.5.",
        probe=-0.05, ge=-0.5, le=0.5, probe_with={"run.years": 1.2}, moves="accounts")
    la_yearly_change: float = field(
        0.02, "Real-terms change of the LA budget per financial year, -0.5 to 0.5; e.g. -0.05 "
        "for council cuts (seed 003) [e].",
        probe=-0.05, ge=-0.5, le=0.5,
        # a budget the LA spends close to, so that the cut makes its panel ration (the
        # recalibrated default spends under plan at the default budget)
        probe_with={"run.years": 1.2, **TIGHT_LA})
    headroom_share: float = field(
        0.03, "Budget = base x (1 + headroom) x (1 + yearly change)^year [e]; -0.5 to 1.",
        probe=-0.1,
        ge=-0.5, le=1.0)
    winter_spend_uplift: Annotated[float, Field(ge=0.0, le=10.0)] = field(
        0.02, "Planned extra spend per winter month (Dec-Mar) in the seasonal spending plan; "
        "small because most spend (care-home weeks, blocks) is flat through the year [e]. At "
        "most 10 (+1,000%).", probe=0.5)
    rationing: Rationing = Field(default_factory=Rationing, description="LA/pool rationing rule.")


class Pool(Section):
    scope: list[Service] = field(
        [], "Services the pooled fund pays for (empty: no pool).",
        probe=["reablement"], active_in="fragmented", moves="spending")
    nhs_contribution_gbp_per_year: YearlyGbp = field(
        0.0, "NHS contribution to the pool per year." + YEARLY_GBP_NOTE, probe=1.0e7,
        active_in="pooled", probe_with=TIGHT_POOL)
    la_contribution_gbp_per_year: YearlyGbp = field(
        0.0, "LA contribution to the pool per year." + YEARLY_GBP_NOTE, probe=1.0e7,
        active_in="pooled")
    nhs_contribution_share: Probability | None = field(
        None, "NHS contribution as a share of its yearly budget (after headroom and yearly "
        "change), instead of an amount: give one or the other.", probe=0.15,
        active_in="pooled", probe_with={"funding.pool.nhs_contribution_gbp_per_year": 0.0})
    la_contribution_share: Probability | None = field(
        None, "LA contribution as a share of its yearly budget, instead of an amount: give one "
        "or the other (e.g. 1.0: all of it, as Sheffield pooled virtually all adult social "
        "care).", probe=0.5,
        active_in="pooled", probe_with={"funding.pool.la_contribution_gbp_per_year": 0.0},
        moves="accounts")
    risk_share: Literal["proportional", "fixed", "host"] = field(
        "proportional", "How a year-end over- or underspend is split: by contribution, by fixed "
        "shares, or all to the host.", probe="host", active_in="pooled",
        probe_with={"run.years": 1.2}, moves="accounts")
    nhs_fixed_share: Probability = field(
        0.5, "NHS share of over/underspend under the fixed rule.", probe=0.9, active_in="pooled",
        probe_with={"funding.pool.risk_share": "fixed", "run.years": 1.2}, moves="accounts")
    host: Funder = field("la", "Host body of the pool (bears all under the host rule).",
                          probe="nhs", active_in="pooled",
                          probe_with={"funding.pool.risk_share": "host", "run.years": 1.2},
                          moves="accounts")
    governance_cost_gbp_per_year: YearlyGbp = field(
        150_000.0, "Running cost of the pool per year ([e] £50k-£400k)." + YEARLY_GBP_NOTE,
        probe=400_000.0, active_in="pooled", probe_with=TIGHT_POOL)
    rations: bool = field(
        True, "The pool rations in-scope packages when its spend runs ahead of plan.",
        probe=False, active_in="pooled",
        probe_with={"funding.pool.la_contribution_gbp_per_year": 5_000_000.0})
    fund_holder: Literal["pool", "provider"] = field(
        "pool", "Who holds the fund: a pool hosted by the commissioners (over/underspend split by "
        "the risk-share rule), or an integrated provider on a capitated budget that keeps its "
        "own surplus or deficit (Torbay, Hammersmith & Fulham).", probe="provider",
        active_in="pooled", moves="spending")
    outcome_payment_share: Annotated[float, Field(ge=0.0, le=0.5)] = field(
        0.0, "Share of the yearly contributions paid to the fund holder only if the outcome "
        "target is met at the financial-year end (Tower Hamlets: a % of contract value); at "
        "most 0.5.", probe=0.1, active_in="pooled", moves="accounts")
    outcome_target_mean_delay_days: NonNegDays = field(
        1.0, "Outcome target: mean days from medically fit to leaving hospital over the "
        "financial year's discharges must not exceed this." + DAYS_NOTE, probe=10.0,
        active_in="pooled",
        probe_with={"funding.pool.outcome_payment_share": 0.1}, moves="accounts")
    outcome_payment_rule: Literal["all_or_nothing", "graded"] = field(
        "all_or_nothing", "All or nothing at the target, or graded: the whole payment at or "
        "below the target, falling linearly to none at twice the target (softens the cliff "
        "where results sit near the target).", probe="graded", active_in="pooled",
        probe_with={"funding.pool.outcome_payment_share": 0.1,
                    "funding.pool.outcome_target_mean_delay_days": 2.0, "run.years": 1.2},
        moves="accounts")

    @model_validator(mode="after")
    def _one_contribution_each(self):
        for funder in ("nhs", "la"):
            amount = getattr(self, f"{funder}_contribution_gbp_per_year")
            if getattr(self, f"{funder}_contribution_share") is not None and amount > 0:
                raise ValueError(
                    f"{funder}_contribution_share is set and so is "
                    f"{funder}_contribution_gbp_per_year = {amount:,.0f}: give the "
                    "contribution as a share or as an amount, not both")
        return self


class Funding(Section):
    arrangement: str = Field("fragmented", description="Label of the arrangement (reporting "
                             "only; behaviour comes from the fields below).",
                             json_schema_extra={"label": True})
    commissioner: dict[Service, Funder] = field(
        {"acute": "nhs", "intermediate_care": "nhs", "community_nursing": "nhs", "chc": "nhs",
         "reablement": "la", "home_care": "la", "care_home": "la"},
        "Which funder commissions (decides on and pays for) each service outside the pool.",
        probe={"acute": "nhs", "intermediate_care": "nhs", "community_nursing": "nhs",
               "chc": "nhs", "reablement": "la", "home_care": "nhs", "care_home": "la"})
    joint_scope: list[Service] = field(
        [], "Services for which one joint assessment and a coordinator decision replace the "
        "separate assessments and panels (integrated process).", probe=["home_care"],
        active_in="fragmented")
    pool: Pool = Field(default_factory=Pool, description="Pooled fund (Section 75 / BCF).")

    @model_validator(mode="after")
    def _complete(self):
        missing = [s for s in SERVICES if s not in self.commissioner]
        if missing:
            raise ValueError(f"commissioner must name a funder for every service; missing "
                             f"{missing}")
        if self.pool.fund_holder == "provider" and not self.pool.scope:
            raise ValueError("pool.fund_holder = 'provider' needs the services the provider "
                             "delivers in pool.scope")
        return self


class Savings(Section):
    bed_closure: bool = field(
        False, "Close acute beds when occupancy stays low for a review period (Wakefield's "
        "\"live within capacity\"): the only way freed bed days become cash.", probe=True,
        probe_with={"savings.closure_occupancy_threshold": 0.99})
    closure_occupancy_threshold: Annotated[float, Field(gt=0.0, le=1.0)] = field(
        0.85, "Close beds when mean occupied acute beds over the review period fall below this "
        "share of funded beds [e].", probe=0.99, probe_with={"savings.bed_closure": True})
    closure_review_days: ReviewDays = field(
        91.0, "Days between bed-closure reviews (a quarter); at least 1, at most 3,652.5 (ten "
        "years).", probe=30.0,
        probe_with={"savings.bed_closure": True, "savings.closure_occupancy_threshold": 0.99})
    beds_closed_per_review: int = field(
        10, "Beds closed at a review that finds occupancy below the threshold [e]. At most "
        "50,000 (the most acute beds).",
        probe=1, ge=1, le=50_000, probe_with={"savings.bed_closure": True,
                          "savings.closure_occupancy_threshold": 0.99})
    min_beds_share: Probability = field(
        0.8, "Never close below this share of the starting funded beds [e].", probe=0.99,
        probe_with={"savings.bed_closure": True, "savings.closure_occupancy_threshold": 0.99})
    reinvest_share: Probability = field(
        0.0, "Share of a funder's year-end cash reinvested in capacity: of the cash released by "
        "closed beds, or of the whole underspend (`reinvest_source`); never notional bed-day "
        "values.", probe=1.0,
        probe_with={"run.years": 1.5, "savings.bed_closure": True,
                    "savings.closure_occupancy_threshold": 0.99})
    reinvest_source: Literal["released_cash", "underspend"] = field(
        "released_cash", "What a year-end reinvestment draws on: only cash actually released "
        "that financial year (acute block cash no longer paid for beds closed, less what "
        "earlier reinvestments already committed from it; at most the budget's underspend), "
        "or the whole cash underspend, budget headroom and growth money included. Each "
        "reinvestment records how much came from each.",
        probe="underspend", probe_with={"savings.reinvest_share": 1.0, "run.years": 1.5})
    reinvest_from: list[Literal["nhs", "la", "pool", "provider"]] = field(
        ["nhs", "la", "pool", "provider"], "Budgets whose released cash or underspend is "
        "reinvested.", probe=["la"],
        probe_with={"savings.reinvest_share": 1.0, "savings.reinvest_source": "underspend",
                    "run.years": 1.5}, moves="accounts")
    reinvest_in: Literal["home_care", "reablement", "intermediate_care", "prevention"] = field(
        "home_care", "What reinvested cash buys: home-care hours or reablement places (paid as "
        "used), step-up/step-down intermediate-care beds (block) or neighbourhood "
        "case-management places (block).",
        probe="intermediate_care",
        probe_with={"savings.reinvest_share": 1.0, "savings.reinvest_source": "underspend",
                    "run.years": 1.5, "budgets.la_gbp_per_year": 6_000_000.0,
                    "budgets.nhs_gbp_per_year": 80_000_000.0},
        moves="journeys")
    reinvest_lag_days: NonNegDays = field(
        90.0, "Days from the financial-year end to the bought capacity being in service "
        "(recruitment, procurement) [e]." + DAYS_NOTE, probe=10.0,
        probe_with={"savings.reinvest_share": 1.0, "savings.reinvest_source": "underspend",
                    "run.years": 1.5}, moves="accounts")


class Costs(Section):
    acute_bed_day_gbp: UnitGbp = field(345.0, "Block cost of a funded acute bed day "
                                        "(NCC 2020/21, PQ 165361)." + UNIT_GBP_NOTE, probe=450.0,
                                        moves="spending")
    emergency_admission_gbp: UnitGbp = field(
        3000.0, "Resource cost of an emergency spell's normal stay (NAO 2018, uprated)."
        + UNIT_GBP_NOTE, probe=3600.0, moves="spending")
    escalation_bed_day_gbp: UnitGbp = field(
        600.0, "Cash cost of an occupied escalation bed day (agency staff, [e])." + UNIT_GBP_NOTE,
        probe=900.0, moves="spending")
    elective_bed_day_gbp: UnitGbp = field(
        900.0, "Value of an acute bed day freed for elective or emergency activity (what the "
        "activity a funded but empty bed could host would earn): reference costs 2016/17 "
        "elective inpatient episode £3,684 (HFMA 2017) over a 5.2-day elective stay (Health "
        "Foundation 2023), uprated; non-elective bed day with treatment £901 (NCC 2020/21, PQ "
        "165361) [e: £700-£1,300]. Values capacity freed, never cash." + UNIT_GBP_NOTE,
        probe=1300.0, moves="spending")
    excess_bed_day_gbp: UnitGbp = field(
        345.0, "Resource value of a delayed (excess) acute bed day." + UNIT_GBP_NOTE,
        probe=450.0, moves="spending")
    district_nurse_visit_gbp: UnitGbp = field(50.0, "District nurse visit (PSSRU 2023)."
                                               + UNIT_GBP_NOTE, probe=80.0, moves="spending")
    social_worker_hour_gbp: UnitGbp = field(
        65.0, "An hour of a social worker's time, for LA assessments (PSSRU Unit Costs 2023 "
        "[m]); resource use only (assessors are salaried)." + UNIT_GBP_NOTE, probe=90.0,
        moves="spending")
    nhs_assessor_hour_gbp: UnitGbp = field(
        50.0, "An hour of an NHS discharge assessor's or CHC nurse's time ([e], as a district "
        "nurse's visit, PSSRU 2023); resource use only." + UNIT_GBP_NOTE, probe=80.0,
        moves="spending")
