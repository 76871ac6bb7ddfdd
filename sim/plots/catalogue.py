"""The named figure kinds: which data each needs and how it is drawn from a results folder.

Used by ``caresim plot`` (:func:`sim.report.write_plots`) and the HTML report, so both show the
same figures under the same names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from ..kpis import KPIS
from ..kpis_outcomes import OUTCOME_KPIS
from ..schema_base import YEAR
from . import delays, money, outcomes, sensitivity, timeseries
from .data import Folder

SWEEP_ONLY = "sensitivity figures need a sweep folder (caresim sweep)"


class Skip(Exception):
    """This figure does not apply to this folder (the message says why)."""


@dataclass(frozen=True)
class Kind:
    name: str
    caption: str
    draw: Callable[[Folder], object]


def _need(frame, what: str):
    if frame is None or len(frame) == 0:
        raise Skip(f"{what} is not in this results folder")
    return frame


def _bed_use(f: Folder):
    daily = _need(f.stacked("daily"), "daily.parquet")
    return timeseries.bed_use(daily, beds=f.per_run("acute.beds"),
                              escalation_beds=f.per_run("acute.escalation_beds"),
                              warmup_days=f.per_run("run.warmup_days"), order=f.names)


def _care_settings(f: Folder):
    daily = _need(f.stacked("daily"), "daily.parquet")
    return timeseries.care_settings(daily, warmup_days=f.per_run("run.warmup_days"),
                                    order=f.names)


def _whole_months(frame: pd.DataFrame, f: Folder) -> pd.DataFrame:
    """Only the calendar months each run simulated from start to end.

    A run that starts or ends inside a month has a first or last month with fewer days, whose
    spend would read as a drop; such months are left out of the monthly bar charts.
    """
    keep = []
    for run in f.runs:
        rows = frame[frame["scenario"] == run.name] if "scenario" in frame else frame
        start = pd.Timestamp(run.section("run.start_date") or "NaT")
        days = (run.section("run.warmup_days", 0) or 0) + YEAR * (run.section("run.years")
                                                                     or 0)
        if pd.isna(start) or not days:
            keep.append(rows)
            continue
        end = start + pd.Timedelta(days=days)
        first = start.to_period("M") if start.day == 1 else start.to_period("M") + 1
        last = end.to_period("M") - 1    # the month holding the end is partial (or empty)
        months = pd.PeriodIndex(rows["month"].astype(str), freq="M")
        keep.append(rows[(months >= first) & (months <= last)])
    return pd.concat(keep, ignore_index=True) if keep else frame


def _cash(f: Folder):
    costs = _need(f.stacked("costs"), "monthly_costs.parquet")
    return money.cash_by_service(_need(_whole_months(costs, f), "a whole month of costs"),
                                 order=f.names)


def _resource(f: Folder):
    resource = _need(f.stacked("resource"), "monthly_resource_use.parquet")
    return money.resource_use(_need(_whole_months(resource, f), "a whole month of resource use"),
                              order=f.names)


def _cumulative(f: Folder):
    if len(f.runs) < 2:
        raise Skip("a cumulative difference needs two or more scenarios (a compare folder)")
    costs = _need(f.stacked("costs"), "monthly_costs.parquet")
    return money.cumulative_cost_difference(costs, f.base, order=f.names)


def _budgets(f: Folder):
    return money.budget_balance(_need(f.stacked("budgets"), "budgets.parquet"), order=f.names)


def _shifting(f: Folder):
    shifting = _need(f.stacked("shifting"), "cost_shifting.parquet")
    return money.cost_shifting(shifting, order=f.names,
                               replications={r.name: r.replications for r in f.runs},
                               years={r.name: r.section("run.years") for r in f.runs})


def _destinations(f: Folder):
    tables = []
    for run in f.runs:
        # discharges.parquet (every run since it was added), or an older run's event log
        found = run.table("discharges") if run.has("discharges") else run.table("events")
        if found is not None and len(found):
            tables.append(outcomes.discharge_destinations(
                found, warmup_days=run.section("run.warmup_days", 0.0) or 0.0))
    if not tables:
        raise Skip("discharge destinations need discharges.parquet (written by every run "
                   "since caresim 0.2) or an event log (events.parquet, --event-log)")
    return outcomes.destinations(pd.concat(tables, ignore_index=True), order=f.names)


def _delay_survival(f: Folder):
    discharges = _need(f.stacked("discharges"), "discharges.parquet (written by every run "
                       "since caresim 0.2)")
    return delays.delay_survival(discharges, order=f.names,
                                 replications={r.name: r.replications for r in f.runs})


def _setting_mix(f: Folder):
    daily = _need(f.stacked("daily"), "daily.parquet")
    return outcomes.setting_mix(daily, warmup_days=f.per_run("run.warmup_days"), order=f.names)


def _forest(f: Folder):
    if f.paired is None or not len(f.paired):
        raise Skip("paired differences need a compare folder (paired_differences.parquet) or "
                   "a sweep with analysis.json 'paired_differences'")
    # cash by payer is left out: a payer's -100% is money moving to another payer, not a cut;
    # the outcome measures have their own table in the report (sim.report_outcomes), and a
    # forest of every KPI would no longer read at a glance
    left_out = {f"cost_{p}_gbp" for p in money.PAYER_ORDER} | {k.name for k in OUTCOME_KPIS}
    kpis = [k for k in KPIS if k in set(f.paired["kpi"])]
    kpis += [k for k in dict.fromkeys(f.paired["kpi"]) if k not in kpis]
    return outcomes.forest(f.paired, kpis=[k for k in kpis if k not in left_out])


def _sweep_records(f: Folder, key: str):
    if f.sweep is None:
        raise Skip(SWEEP_ONLY)
    records = f.sweep.records(key)
    if records is None:
        raise Skip(f"analysis.json has no '{key}' results")
    return records


def _tornado(f: Folder):
    return sensitivity.tornado(_sweep_records(f, "oat"))


def _sobol(f: Folder):
    return sensitivity.sobol(_sweep_records(f, "sobol"))


def _morris(f: Folder):
    return sensitivity.morris(_sweep_records(f, "morris"))


def _lhs(f: Folder):
    if f.sweep is None:
        raise Skip(SWEEP_ONLY)
    kpis = _need(f.sweep.kpis, "the sweep's kpis.parquet")
    design = _need(f.sweep.design, "the sweep's design.parquet")
    return sensitivity.lhs_scatter(kpis, design)


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("bed_use", "Acute bed use: people in treatment and medically fit but delayed (by "
         "reason of delay), people waiting in ED for a bed, and the funded-bed line.", _bed_use),
    Kind("care_settings", "People in intermediate care, reablement, home care, waiting at "
         "home for home care, and in residential and nursing homes over time.", _care_settings),
    Kind("cash_by_service", "Cash paid each month by service, for each payer (whole months "
         "only: a month the run covers in part is left out).", _cash),
    Kind("resource_use", "Resource use valued at unit costs each month (a separate view: "
         "never add it to cash; whole months only).", _resource),
    Kind("cumulative_cost_difference", "Cumulative cash difference of each scenario versus "
         "the base, by payer and in total, with the 95% interval of the total.", _cumulative),
    Kind("budget_balance", "Year-to-date spend against plan per funder and financial year, "
         "with the year-end risk share of the pooled fund.", _budgets),
    Kind("cost_shifting", "Who caused and who paid for delayed acute bed days.", _shifting),
    Kind("destinations", "Where people went when they left an acute bed, grouped by "
         "discharge pathway.", _destinations),
    Kind("delay_survival", "Share of each pathway's live discharges still in hospital x days "
         "after medically fit (log scale, pooled over replications): the height at 1 day is "
         "the share delayed a day or more; a line that stays high to the right means more "
         "long waits.", _delay_survival),
    Kind("setting_mix", "Mean number of people in each care setting over the reporting "
         "window.", _setting_mix),
    Kind("forest", "Paired change of each KPI against the base scenario, as % of the base "
         "mean with 95% intervals. Cash by payer is left out (money moving from one payer to "
         "another is not a change in spending: see the key findings).", _forest),
    Kind("tornado", "One-at-a-time sensitivity: KPI swing as each parameter moves between its "
         "low and high value.", _tornado),
    Kind("sobol", "Sobol first- and total-order indices with 95% confidence intervals.",
         _sobol),
    Kind("morris", "Morris screening: mean absolute elementary effect against its spread.",
         _morris),
    Kind("lhs_scatter", "KPI at each Latin-hypercube design point against each swept "
         "parameter.", _lhs),
)}


def figures(folder: Folder, kinds: list[str] | None = None):
    """Yield (Kind, Figure or None, note) for each requested kind, in catalogue order."""
    unknown = [k for k in (kinds or []) if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown plot kind(s) {unknown}; choose from {list(KINDS)}")
    for name, kind in KINDS.items():
        if kinds and name not in kinds:
            continue
        try:
            yield kind, kind.draw(folder), None
        except Skip as skip:
            yield kind, None, str(skip)
