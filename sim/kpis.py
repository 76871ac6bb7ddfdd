"""One registry of every KPI: its name, unit, label, definition, report phrase, range, and how
one replication's value is computed.

A KPI is a filter over one replication's outputs in the counting window [warm-up, horizon):
the flat event log (kinds in :data:`sim.eventlog.KINDS`), the daily time-weighted occupancy,
the cost ledger, the budget table, the cost-shifting table and the population's final states,
held together by :class:`sim.kpi_inputs.KpiInputs`. Flows are per simulated year after the
warm-up; stocks are at the end of the run. Results, the command line, sweeps, figures and the
report all read :data:`KPIS` (in the order ``kpis.parquet`` lists them); the README's KPI
table is :func:`markdown_table`. What a KPI is lives in :mod:`sim.kpi_base`; the shape and
causes of delays and the wait for a bed in :mod:`sim.kpis_delays`; the outcome measures
(QALYs, at home after reablement, place of death ...) in :mod:`sim.kpis_outcomes`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from . import benefits
from .costs import PAYERS
from .kpi_base import NON_NEGATIVE, SHARE, SIGNED, Kpi
from .kpi_base import UNITS as UNITS
from .kpi_inputs import KpiInputs
from .kpis_delays import BOARDING_KPIS, DELAY_KPIS
from .kpis_outcomes import OUTCOME_KPIS
from .population import CARE_HOME, State
from .schema_base import AGE_BANDS


def _mean(values: pd.Series) -> float:
    return float(np.mean(values.to_numpy())) if len(values) else 0.0


def _count(kind: str) -> Callable[[KpiInputs], float]:
    return lambda d: len(d.of(kind)) / d.years


def _acute_bed_days(d: KpiInputs) -> float:
    return float(d.occupied.sum()) / d.years


def _delayed_bed_days(d: KpiInputs) -> float:
    return float(d.window["acute_delayed"].sum()) / d.years


def _delayed_bed_share(d: KpiInputs) -> float:
    total = _acute_bed_days(d)
    return _delayed_bed_days(d) / total if total else 0.0


def _mean_acute_occupancy(d: KpiInputs) -> float:
    return float(d.occupied.mean()) if len(d.occupied) else 0.0


def _mean_funded_beds(d: KpiInputs) -> float:
    funded = d.window.get("funded:acute_beds")
    return float(funded.mean()) if funded is not None and len(funded) else float(d.beds)


def _mean_delay_home_care(d: KpiInputs) -> float:
    discharges = d.of("discharge")
    return _mean(discharges.loc[discharges["service"] == "home_care", "value"])


def _deaths_in(band: str) -> Callable[[KpiInputs], float]:
    return lambda d: int((d.of("death")["detail"] == band).sum()) / d.years


def _cash_of(payer: str) -> Callable[[KpiInputs], float]:
    return lambda d: float(d.cash_by_payer.get(payer, 0.0)) / d.years


def _shifted_cost(d: KpiInputs) -> float:
    s = d.shifting
    return float(s.loc[s["shifted"], "value_gbp"].sum()) / d.years if len(s) else 0.0


def _risk_share(funder: str) -> Callable[[KpiInputs], float]:
    def compute(d: KpiInputs) -> float:
        first_month = (d.start + pd.Timedelta(days=d.warmup)).strftime("%Y-%m")
        b = d.budgets[d.budgets["month"] >= first_month]
        return float(b.loc[b["funder"] == funder, "risk_share_gbp"].sum()) / d.years
    return compute


def _outcome_payments(d: KpiInputs) -> float:
    ledger = d.ledger
    paid = ledger[(ledger["view"] == "transfer") & (ledger["service"] == "outcome_payment")]
    paid = paid[(paid["start_day"] >= d.warmup) & (paid["start_day"] <= d.horizon)]
    return float(paid["amount_gbp"].sum()) / d.years


def _reinvested(d: KpiInputs) -> float:
    r = d.whole_run("reinvestment")
    counted = r[(r["time_days"] >= d.warmup) & (r["time_days"] <= d.horizon)]
    return sum(counted["value"].tolist()) / d.years


def _chc_cost(d: KpiInputs) -> float:
    chc = d.cash["service"].isin(("chc", "chc_home", "chc_fast_track"))   # sim.chc, end_of_life
    return float(d.cash.loc[chc, "cost_gbp"].sum()) / d.years


#: the payers' cash KPIs, by payer (they sum to total_cost_gbp)
CASH_BY_PAYER = {payer: f"cost_{payer}_gbp" for payer in PAYERS}
_PAYER_WORDS = {"nhs": ("NHS", "the NHS"), "la": ("local authority", "the local authority"),
                "pool": ("pooled fund", "the pooled fund"),
                "provider": ("integrated provider",
                             "an integrated provider from its capitated budget"),
                "self": ("self-funders", "people (self-funding and contributions)")}


def _registry() -> list[Kpi]:
    per_year, money = "per year", "£ per year"
    k = [
        Kpi("emergency_admissions", per_year, "Emergency admissions / yr",
            "admissions to an acute bed per year, all people modelled, readmissions and "
            "care-home residents included", "Emergency admissions a year", NON_NEGATIVE,
            _count("admission")),
        Kpi("acute_bed_days", "bed days per year", "Acute bed days / yr",
            "occupied acute bed days per year, treatment and delayed days both",
            "Acute bed days a year", NON_NEGATIVE, _acute_bed_days),
        Kpi("delayed_bed_days", "bed days per year", "Delayed bed days / yr",
            "acute bed days per year spent medically fit and awaiting discharge",
            "Delayed bed days a year (medically fit, still in an acute bed)", NON_NEGATIVE,
            _delayed_bed_days),
        Kpi("delayed_bed_share", "share", "Share of bed days delayed",
            "`delayed_bed_days / acute_bed_days`", "The share of acute bed days delayed",
            SHARE, _delayed_bed_share),
        Kpi("mean_acute_occupancy", "beds", "Mean acute beds occupied",
            "time-weighted mean number of occupied acute beds (a count), escalation beds "
            "included", "Acute beds occupied on average", NON_NEGATIVE, _mean_acute_occupancy),
        Kpi("mean_boarding_wait_hours", "hours", "Mean wait for a bed (h)",
            "mean wait for a bed over all admissions, zero waits included",
            "The mean wait for an acute bed", NON_NEGATIVE,
            lambda d: _mean(d.of("admission")["value"]) * 24),
        Kpi("mean_delay_days", "days", "Mean delay once fit (days)",
            "mean days from medically fit to leaving, over all live discharges, zero delays "
            "included", "The mean delay from medically fit to leaving hospital", NON_NEGATIVE,
            lambda d: _mean(d.of("discharge")["value"])),
        Kpi("mean_delay_home_care_days", "days", "Mean delay to home care once fit (days)",
            "mean days from medically fit to leaving, over discharges to a new or restarted "
            "home-care package", "The mean delay from medically fit to leaving with home care",
            NON_NEGATIVE, _mean_delay_home_care),
        Kpi("care_home_admissions", per_year, "Care-home admissions / yr",
            "permanent care-home admissions per year, from hospital, intermediate care and "
            "community", "Permanent care-home admissions a year", NON_NEGATIVE,
            _count("care_home_admission")),
        Kpi("care_home_residents_end", "people", "Care-home residents at end",
            "care-home residents (residential and nursing) at the end of the run",
            "Care-home residents at the end of the run", NON_NEGATIVE,
            lambda d: float(np.isin(d.states, CARE_HOME).sum())),
        Kpi("home_care_clients_end", "people", "Home-care clients at end",
            "home-care clients at the end of the run", "Home-care clients at the end of the run",
            NON_NEGATIVE, lambda d: float((d.states == State.HOME_CARE).sum())),
        Kpi("deaths", per_year, "Deaths / yr", "deaths per year, all settings",
            "Deaths a year", NON_NEGATIVE, _count("death")),
    ]
    k += [Kpi(f"deaths_{band}", per_year, f"Deaths aged {band} / yr",
              f"deaths per year of people aged {band} at death, all settings",
              f"Deaths a year aged {band}", NON_NEGATIVE, _deaths_in(band))
          for band in AGE_BANDS]
    k += [Kpi(CASH_BY_PAYER[p], money, f"Cash, {_PAYER_WORDS[p][0]} (£/yr)",
              f"cash paid per year by {_PAYER_WORDS[p][1]}",
              f"Cash paid by {_PAYER_WORDS[p][1]} a year", NON_NEGATIVE, _cash_of(p))
          for p in PAYERS]
    k += [
        Kpi("total_cost_gbp", money, "Cash, all payers (£/yr)",
            "cash paid per year, all payers (the payers' cash KPIs sum to it)",
            "Cash paid by all payers a year", NON_NEGATIVE,
            lambda d: float(d.cash["cost_gbp"].sum()) / d.years),
        Kpi("resource_cost_gbp", money, "Resource use at unit costs (£/yr)",
            "resource use per year valued at unit costs (never add it to cash)",
            "Resource use at unit costs a year", NON_NEGATIVE,
            lambda d: float(d.resource["cost_gbp"].sum()) / d.years),
        Kpi("shifted_cost_gbp", money, "Shifted delay cost (£/yr)",
            "per year, value of delayed bed days paid by one body but caused by a step another "
            "body is responsible for (zero when one body holds both)",
            "The value of delayed bed days caused by another body than the one paying a year",
            NON_NEGATIVE, _shifted_cost),
        Kpi("avoided_crises", per_year, "Crises handled without admission / yr",
            "crises per year handled by urgent response, a step-up bed, a virtual-ward stay "
            "not escalated or the front-door frailty team's same-day discharge instead of an "
            "admission",
            "Crises handled without an admission a year", NON_NEGATIVE,
            _count("crisis_avoided")),
        Kpi("virtual_ward_stays", per_year, "Virtual-ward stays / yr",
            "virtual-ward (hospital at home) stays begun per year for frail people's crises "
            "at home, escalated or not", "Virtual-ward stays a year", NON_NEGATIVE,
            lambda d: float((d.of("virtual_ward")["service"] == "admitted").sum()) / d.years),
        Kpi("frailty_assessments", per_year, "Front-door frailty assessments / yr",
            "people in crisis per year assessed by the front-door frailty team",
            "Front-door frailty assessments a year", NON_NEGATIVE,
            _count("frailty_assessment")),
        Kpi("pathway_escalations", per_year, "Discharge pathway escalations / yr",
            "delayed patients per year whose discharge pathway escalated (deconditioning)",
            "Discharge pathway escalations a year", NON_NEGATIVE, _count("pathway_escalation")),
        Kpi("chc_disputes", per_year, "CHC/LA funding disputes / yr",
            "CHC/LA funding disputes per year", "CHC/LA funding disputes a year", NON_NEGATIVE,
            _count("chc_dispute")),
        Kpi("rationed_decisions", per_year, "Funding decisions held back / yr",
            "funding decisions per year held back by rationing (waiting for funds, or refused "
            "under eligibility rationing)",
            "Funding decisions held back by rationing a year", NON_NEGATIVE, _count("rationed")),
        Kpi("readmission_30d_share", "share", "30-day readmission share",
            "share of admissions within the readmission window "
            "(`crisis.readmission_window_days`) of a discharge",
            "The share of admissions that are readmissions", SHARE,
            lambda d: _mean(d.of("admission")["detail"] == "readmission")),
        Kpi("home_care_waiting_mean", "people", "Waiting for home care (people)",
            "mean number waiting at home for home care (unmet need)",
            "People waiting at home for home care on average", NON_NEGATIVE,
            lambda d: float(d.window["home_waiting_care"].mean())),
        Kpi("referral_to_care_days", "days", "Referral to care starting (days)",
            "mean days from a referral at home (for home care or a care home) to the care "
            "starting (assessment, decision, rationing and the wait for capacity), over care "
            "started in the counting window",
            "The mean time from a referral at home to care starting", NON_NEGATIVE,
            lambda d: _mean(d.of("referral_to_care")["value"])),
        Kpi("acute_occupancy_share", "share", "Acute occupancy (share of beds)",
            "`mean_acute_occupancy` / the mean funded acute beds over the same days (they "
            "grow with `acute.beds_growth_per_year` and fall with closures; above 1 when "
            "escalation beds are open)",
            "Acute occupancy as a share of funded beds", NON_NEGATIVE,
            lambda d: _mean_acute_occupancy(d) / _mean_funded_beds(d)),
        Kpi("risk_share_nhs_gbp", money, "NHS top-up of the pool (£/yr)",
            "per year, the NHS's top-up (+) or refund (-) of the pool's over/underspend at "
            "each whole financial year's end, under the risk-share rule",
            "The NHS's top-up of the pool a year", SIGNED, _risk_share("nhs")),
        Kpi("risk_share_la_gbp", money, "LA top-up of the pool (£/yr)",
            "per year, the local authority's top-up (+) or refund (-) of the pool's "
            "over/underspend at each whole financial year's end, under the risk-share rule",
            "The local authority's top-up of the pool a year", SIGNED, _risk_share("la")),
        Kpi("statutory_risk_days", "days per year",
            "Days the pool is short of NHS commitments / yr",
            "days per year on which a pool that pays for acute beds or CHC cannot cover those "
            "NHS statutory commitments to the year end from what is left, without a top-up",
            "Days a year the pool is short of its NHS commitments", NON_NEGATIVE,
            _count("statutory_risk")),
        Kpi("outcome_payment_gbp", money, "Outcome payments (£/yr)",
            "outcome payments made to the fund holder per year (a `transfer` between funders, "
            "not spend on care)", "Outcome payments to the fund holder a year", NON_NEGATIVE,
            _outcome_payments),
        Kpi("beds_closed", "beds", "Acute beds closed",
            "acute beds closed by the bed-closure rule by the end of the run",
            "Acute beds closed by the end of the run", NON_NEGATIVE,
            lambda d: float(sum(d.whole_run("beds_closed")["value"].tolist()))),
        Kpi("reinvested_gbp", money, "Cash reinvested (£/yr)",
            "cash reinvested in capacity per year: by default only cash released by closed "
            "beds, or the whole underspend (`savings.reinvest_source`)",
            "Cash reinvested in capacity a year", NON_NEGATIVE, _reinvested),
        Kpi("case_managed_mean", "people", "People case-managed (mean)",
            "mean number of people on a neighbourhood team's caseload",
            "People case-managed by a neighbourhood team on average", NON_NEGATIVE,
            lambda d: float(d.window["case_managed"].mean())),
        *DELAY_KPIS,   # the shape and causes of delays (sim.kpis_delays)
        Kpi("home_care_handbacks", per_year, "Home-care packages handed back / yr",
            "home-care packages per year a provider handed back for want of carers",
            "Home-care packages handed back a year", NON_NEGATIVE, _count("handback")),
        *BOARDING_KPIS,
        Kpi("chc_cost_gbp", money, "NHS Continuing Healthcare (£/yr)",
            "cash paid per year for NHS Continuing Healthcare: care-home placements, standard "
            "CHC packages at home, and fast track at the end of life at home and in care homes",
            "NHS Continuing Healthcare spend a year", NON_NEGATIVE, _chc_cost),
        Kpi("assessment_cost_gbp", money, "Assessor time (£/yr)",
            "assessor, social-worker and CHC-nurse time per year at hourly unit costs "
            "(resource use: the teams are salaried), so duplicated assessments show in money",
            "Assessor time a year at unit costs", NON_NEGATIVE,
            lambda d: float(d.resource.loc[d.resource["service"] == "assessment",
                                           "cost_gbp"].sum()) / d.years),
        # bed days released, classed as a finance director classes them (sim.benefits)
        Kpi("closed_bed_cash_gbp", money, "Block cash released by closed beds (£/yr)",
            "acute block cash per year not paid because the bed-closure review closed beds: "
            "beds closed x days closed x `costs.acute_bed_day_gbp` (cash-releasing)",
            "Block cash released by closed beds a year", NON_NEGATIVE,
            benefits.closed_bed_cash),
        Kpi("empty_bed_value_gbp", money, "Empty funded beds at elective value (£/yr)",
            "funded acute bed days per year left empty, valued at "
            "`costs.elective_bed_day_gbp` (the elective or emergency activity they could "
            "host; capacity freed, non-cash-releasing)",
            "Empty funded acute beds valued at the activity they could host a year",
            NON_NEGATIVE, benefits.empty_bed_value),
        Kpi("escalation_cost_gbp", money, "Escalation beds (£/yr)",
            "cash paid per year for escalation beds (a fall is cost avoided)",
            "Cash paid for escalation beds a year", NON_NEGATIVE, benefits.escalation_cost),
        Kpi("package_cost_gbp", money, "Care packages, public cash (£/yr)",
            "public cash paid per year for home-care packages and care-home places (FNC and "
            "CHC included, self-funders apart): a fall is cash released by packages not bought",
            "Public cash paid for care packages and care-home places a year", NON_NEGATIVE,
            benefits.package_cost),
    ]
    return k + list(OUTCOME_KPIS)   # the outcome measures places report (sim.kpis_outcomes)


#: every KPI by name, in the order results list them
KPIS: dict[str, Kpi] = {kpi.name: kpi for kpi in _registry()}


def compute(inputs: KpiInputs) -> dict[str, float]:
    """Every KPI of one replication, in registry order."""
    return {name: kpi.compute(inputs) for name, kpi in KPIS.items()}


def label(name: str) -> str:
    """A KPI's short label with its unit; a name not in the registry in words."""
    kpi = KPIS.get(name)
    return kpi.label if kpi else name.replace("_", " ").capitalize()


def definition(name: str) -> str:
    """A KPI's one-line definition ('' for a name not in the registry)."""
    kpi = KPIS.get(name)
    return kpi.definition if kpi else ""


def unit(name: str) -> str:
    """A KPI's unit ('' for a name not in the registry)."""
    kpi = KPIS.get(name)
    return kpi.unit if kpi else ""


def markdown_table() -> str:
    """The README's KPI table: one row per KPI with its unit and definition."""
    rows = ["| KPI | unit | definition |", "|---|---|---|"]
    rows += [f"| `{k.name}` | {k.unit} | {k.definition} |" for k in KPIS.values()]
    return "\n".join(rows) + "\n"
