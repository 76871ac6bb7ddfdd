"""Results: time-weighted occupancy, tidy tables, KPIs with 95% intervals, atomic saving.

Occupancy is integrated exactly from state changes (not sampled): each day's value is the
time-weighted mean count over that day. One replication becomes tidy DataFrames (one row per
day x series, per month x service x payer ...); replications are stacked with a
``replication`` column. KPIs are defined once here (see the README table) and summarised as a
mean with a 95% t-interval across replications.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .billing import settle_pool_years
from .config import AGE_BANDS
from .costs import PAYERS, cost_shifting, monthly_costs
from .outdir import write_folder
from .population import SETTING, State
from .stats import kpi_range, mean_interval, t_interval  # noqa: F401 (t_interval: re-exported)

KPI_DESCRIPTIONS = {
    "emergency_admissions": "admissions to an acute bed per year (all people modelled)",
    "acute_bed_days": "occupied acute bed days per year (treatment + delayed)",
    "delayed_bed_days": "acute bed days per year spent medically fit and awaiting discharge",
    "delayed_bed_share": "delayed_bed_days / acute_bed_days",
    "mean_acute_occupancy": "time-weighted mean occupied acute beds (count)",
    "mean_boarding_wait_hours": "mean wait for a bed over all admissions, zeros included",
    "mean_delay_days": "mean days from medically fit to leaving over live discharges",
    "mean_delay_home_care_days": "mean days from fit to leaving, discharges to a new or "
                                 "restarted home-care package",
    "care_home_admissions": "permanent care-home admissions per year (hospital + community)",
    "care_home_residents_end": "care-home residents at the end of the run",
    "home_care_clients_end": "home-care clients at the end of the run",
    "deaths": "deaths per year, all settings",
    "deaths_65-74": "deaths per year of people aged 65-74 (likewise 75-84, 85+)",
    "total_cost_gbp": "cash paid per year, all payers",
    "cost_nhs_gbp": "cash paid per year by the NHS",
    "cost_la_gbp": "cash paid per year by the local authority",
    "cost_self_gbp": "cash paid per year by people (self-funding and contributions)",
    "cost_pool_gbp": "cash paid per year from the pooled fund",
    "cost_provider_gbp": "cash paid per year by an integrated provider from its capitated budget",
    "risk_share_nhs_gbp": "NHS top-up (+) or refund (-) of the pool's over/underspend per year",
    "risk_share_la_gbp": "LA top-up (+) or refund (-) of the pool's over/underspend per year",
    "statutory_risk_days": "days per year on which the pool cannot cover its NHS statutory "
                           "commitments (acute, CHC) to the year end without a top-up",
    "outcome_payment_gbp": "outcome payments made to the fund holder per year",
    "beds_closed": "acute beds closed under the bed-closure rule (by the end of the run)",
    "reinvested_gbp": "cash underspend reinvested in capacity per year",
    "case_managed_mean": "mean number of people on a neighbourhood team's caseload",
    "referral_to_care_days": "mean days from a referral at home (home care or a care home) to "
                             "the care starting, over care started in the counting window",
    "resource_cost_gbp": "resource use per year valued at unit costs",
    "shifted_cost_gbp": "value per year of delayed bed days caused by another body than the "
                        "one paying for the bed",
    "avoided_crises": "crises per year handled by urgent response or a step-up bed",
    "pathway_escalations": "delayed patients per year whose pathway escalated (deconditioning)",
    "chc_disputes": "CHC/LA funding disputes per year",
    "rationed_decisions": "funding decisions per year held back by rationing",
    "readmission_30d_share": "share of admissions within 30 days of a discharge",
    "home_care_waiting_mean": "mean number waiting at home for home care (unmet need)",
    "acute_occupancy_share": "mean occupied acute beds / funded beds",
}


def series_setting(series: str) -> str:
    """Setting a daily series belongs to (community, acute, residential, or a queue)."""
    if series.startswith("delayed:"):
        return "acute"
    if series.startswith("funded:"):
        return "capacity"
    if series == "case_managed":
        return "community"
    if series.startswith("waiting:") or series.startswith("alive") or \
            series == "urgent_response":
        return "queue" if series.startswith("waiting:") else "all"
    return SETTING[State[series.upper()]]


def tidy_daily(wide: pd.DataFrame, replication: int) -> pd.DataFrame:
    """Long daily table: date, day, replication, series, setting, count."""
    long = wide.melt(id_vars=["date", "day"], var_name="series", value_name="count")
    long.insert(2, "replication", replication)
    settings = {s: series_setting(s) for s in long["series"].unique()}
    long.insert(4, "setting", long["series"].map(settings))
    return long


def _month_edges(model) -> tuple[np.ndarray, list[str]]:
    start = pd.Timestamp(model.clock.start)
    end = start + pd.Timedelta(days=model.horizon)
    months = pd.date_range(start.to_period("M").to_timestamp(), end, freq="MS")
    edges = [(m - start).days for m in months if m > start]
    edges = np.array([0.0] + [float(e) for e in edges if e < model.horizon] + [model.horizon])
    labels = [(start + pd.Timedelta(days=float(e))).strftime("%Y-%m") for e in edges[:-1]]
    return edges, labels


@dataclass
class ReplicationResult:
    """Tidy outputs of one replication."""

    replication: int
    seed: int
    daily: pd.DataFrame
    monthly_costs: pd.DataFrame
    monthly_resource: pd.DataFrame
    budgets: pd.DataFrame
    cost_shifting: pd.DataFrame
    kpis: dict[str, float]
    events: pd.DataFrame | None = None
    extra: dict = field(default_factory=dict)


def collect(model, replication: int, seed: int) -> ReplicationResult:
    """Turn a finished model into tidy tables and KPIs."""
    cfg = model.cfg
    ledger = model.ledger.frame()
    edges, labels = _month_edges(model)
    cash = monthly_costs(ledger, edges, labels, "cash")
    resource = monthly_costs(ledger, edges, labels, "resource")
    delays = model.ledger.delay_frame()
    warmup, horizon = model.warmup, model.horizon
    shifting = cost_shifting(delays, cfg.costs.excess_bed_day_gbp, warmup, horizon)
    daily = model.occupancy.frame(cfg.run.start_date)
    budgets = budget_table(model, cash, edges, labels)
    kpis = compute_kpis(model, ledger, daily, shifting, budgets)
    events = model.log.frame() if model.log.states else None
    for table in (cash, resource, shifting, budgets):
        table.insert(0, "replication", replication)
    daily = tidy_daily(daily, replication)
    return ReplicationResult(replication, seed, daily, cash, resource, budgets, shifting, kpis,
                             events)


def compute_kpis(model, ledger: pd.DataFrame, daily: pd.DataFrame,
                 shifting: pd.DataFrame, budgets: pd.DataFrame) -> dict[str, float]:
    """KPIs of one replication over the counting window [warm-up, horizon)."""
    warmup, horizon = model.warmup, model.horizon
    years = (horizon - warmup) / 365.25
    window = daily[daily["day"] >= np.floor(warmup)]
    occupied = window["acute_treatment"] + window["acute_delayed"]

    log = model.log.frame()
    log = log[(log["time_days"] >= warmup) & (log["time_days"] < horizon)]
    events = {kind: group for kind, group in log.groupby("kind", sort=False)}
    empty = log.iloc[:0]

    def of(kind: str) -> pd.DataFrame:
        return events.get(kind, empty)

    def mean(values: pd.Series) -> float:
        return float(np.mean(values.to_numpy())) if len(values) else 0.0

    admissions, discharges = of("admission"), of("discharge")
    k: dict[str, float] = {}
    k["emergency_admissions"] = len(admissions) / years
    k["acute_bed_days"] = float(occupied.sum()) / years
    k["delayed_bed_days"] = float(window["acute_delayed"].sum()) / years
    k["delayed_bed_share"] = k["delayed_bed_days"] / k["acute_bed_days"] \
        if k["acute_bed_days"] else 0.0
    k["mean_acute_occupancy"] = float(occupied.mean()) if len(occupied) else 0.0
    k["mean_boarding_wait_hours"] = mean(admissions["value"]) * 24
    k["mean_delay_days"] = mean(discharges["value"])
    k["mean_delay_home_care_days"] = mean(
        discharges.loc[discharges["service"] == "home_care", "value"])
    k["care_home_admissions"] = len(of("care_home_admission")) / years
    state = model.pop.state[: model.pop.n]
    k["care_home_residents_end"] = float(np.isin(state, [State.RESIDENTIAL, State.NURSING]).sum())
    k["home_care_clients_end"] = float((state == State.HOME_CARE).sum())
    deaths = of("death")
    k["deaths"] = len(deaths) / years
    for band in AGE_BANDS:
        k[f"deaths_{band}"] = int((deaths["detail"] == band).sum()) / years
    for view, prefix in (("cash", "cost"), ("resource", "resource")):
        chosen = ledger[ledger["view"] == view]
        split = monthly_costs(chosen, np.array([warmup, horizon]), ["window"], view)
        if view == "cash":
            by_payer = split.groupby("payer")["cost_gbp"].sum()
            for payer in PAYERS:
                k[f"cost_{payer}_gbp"] = float(by_payer.get(payer, 0.0)) / years
            k["total_cost_gbp"] = float(split["cost_gbp"].sum()) / years
        else:
            k["resource_cost_gbp"] = float(split["cost_gbp"].sum()) / years
    k["shifted_cost_gbp"] = float(shifting.loc[shifting["shifted"], "value_gbp"].sum()) / years \
        if len(shifting) else 0.0
    k["avoided_crises"] = len(of("crisis_avoided")) / years
    k["pathway_escalations"] = len(of("pathway_escalation")) / years
    k["chc_disputes"] = len(of("chc_dispute")) / years
    k["rationed_decisions"] = len(of("rationed")) / years
    k["readmission_30d_share"] = mean(admissions["detail"] == "readmission")
    k["home_care_waiting_mean"] = float(window["home_waiting_care"].mean())
    k["referral_to_care_days"] = mean(of("referral_to_care")["value"])
    k["acute_occupancy_share"] = k["mean_acute_occupancy"] / model.cfg.acute.beds
    k.update(_money_kpis(model, ledger, budgets, years, events))
    k["case_managed_mean"] = float(window["case_managed"].mean())
    return k


def _money_kpis(model, ledger: pd.DataFrame, budgets: pd.DataFrame, years: float,
                events: dict[str, pd.DataFrame]) -> dict:
    """Risk shares, statutory risk, outcome payments, bed closures and reinvestment."""
    warmup, horizon = model.warmup, model.horizon
    start_month = (pd.Timestamp(model.clock.start) + pd.Timedelta(days=warmup)).strftime("%Y-%m")
    counted = budgets[budgets["month"] >= start_month]
    k = {}
    for funder in ("nhs", "la"):
        k[f"risk_share_{funder}_gbp"] = float(
            counted.loc[counted["funder"] == funder, "risk_share_gbp"].sum()) / years
    k["statutory_risk_days"] = len(events.get("statutory_risk", ())) / years
    transfers = ledger[(ledger["view"] == "transfer") & (ledger["service"] == "outcome_payment")]
    in_window = transfers[(transfers["start_day"] >= warmup) & (transfers["start_day"] <= horizon)]
    k["outcome_payment_gbp"] = float(in_window["amount_gbp"].sum()) / years
    closed = [r[5] for r in model.log.of("beds_closed")]
    k["beds_closed"] = float(sum(closed))
    k["reinvested_gbp"] = sum(r[5] for r in model.log.of("reinvestment")
                              if warmup <= r[0] <= horizon) / years
    return k


def budget_table(model, cash: pd.DataFrame, edges: np.ndarray, labels: list[str]) -> pd.DataFrame:
    """Monthly plan, spend and year-to-date balance per funder, with pool risk shares.

    ``year_end`` marks the month that closes a whole financial year inside the run: only then
    is a pool's balance settled by the risk-share rule (:func:`sim.billing.settle_pool_years`);
    a year the run ends inside keeps an open balance.
    """
    funding, clock = model.funding, model.clock
    spend = cash.groupby(["month", "payer"])["cost_gbp"].sum()
    frac = funding.plan_fraction
    rows = []
    for funder in funding.funders:
        balance = 0.0
        year_of_balance = None
        for m, label in enumerate(labels):
            lo, hi = int(edges[m]), int(min(edges[m + 1], len(clock.financial_year) - 1))
            year = funding.year_index(lo)
            if year != year_of_balance:
                balance, year_of_balance = 0.0, year
            plan_lo = frac[lo - 1] if lo > 0 and funding.year_index(lo - 1) == year else 0.0
            plan = funding.yearly_budget(funder, year) * (frac[hi - 1] - plan_lo)
            spent = float(spend.get((label, funder), 0.0))
            balance += plan - spent
            closes_year = edges[m + 1] < len(clock.financial_year) and \
                funding.year_index(edges[m + 1]) != year
            rows.append({"month": label, "funder": funder, "year": year, "plan_gbp": plan,
                         "spend_gbp": spent, "balance_ytd_gbp": balance,
                         "year_end": bool(closes_year), "risk_share_gbp": 0.0})
    table = pd.DataFrame(rows)
    settle_pool_years(table, funding)
    return table


def summarise(kpis: pd.DataFrame) -> pd.DataFrame:
    """KPI table: one row per KPI with mean, ci_low, ci_high across replications.

    The interval respects the KPI's range (:func:`sim.stats.kpi_range`): counts, £, hours and
    days never get a negative bound, shares stay in [0, 1]. ``replications`` lets a reader
    tell when there are too few for an interval (:func:`sim.stats.too_few`).
    """
    rows = []
    for kpi, group in kpis.groupby("kpi", sort=False):
        mean, lo, hi = mean_interval(group["value"], *kpi_range(str(kpi)))
        rows.append({"kpi": kpi, "mean": mean, "ci_low": lo, "ci_high": hi,
                     "replications": len(group)})
    return pd.DataFrame(rows)


class Results:
    """Everything a run produced, as tidy pandas DataFrames."""

    def __init__(self, config, seed: int, replications: list[ReplicationResult],
                 started: str, finished: str, wall_seconds: float):
        self.config = config
        self.seed = seed
        self.replications = len(replications)
        self.started, self.finished, self.wall_seconds = started, finished, wall_seconds
        self.daily = pd.concat([r.daily for r in replications], ignore_index=True)
        self.monthly_costs = pd.concat([r.monthly_costs for r in replications],
                                       ignore_index=True)
        self.monthly_resource = pd.concat([r.monthly_resource for r in replications],
                                          ignore_index=True)
        self.budgets = pd.concat([r.budgets for r in replications], ignore_index=True)
        self.cost_shifting = pd.concat([r.cost_shifting for r in replications],
                                       ignore_index=True)
        self.kpis = pd.DataFrame([{"replication": r.replication, "kpi": k, "value": v}
                                  for r in replications for k, v in r.kpis.items()])
        logs = [r.events.assign(replication=r.replication) for r in replications
                if r.events is not None]
        self.events = pd.concat(logs, ignore_index=True) if logs else None

    @property
    def summary(self) -> pd.DataFrame:
        """KPI means and 95% intervals."""
        return summarise(self.kpis)

    def summary_dict(self) -> dict:
        """The content of summary.json."""
        table = self.summary
        return {"config": self.config.name, "replications": self.replications,
                "kpis": {row.kpi: {"mean": row.mean, "ci_low": row.ci_low,
                                   "ci_high": row.ci_high} for row in table.itertuples()}}

    def manifest(self) -> dict:
        """Provenance of the run."""
        from . import provenance
        return {"config": self.config.model_dump(mode="json"), "seed": self.seed,
                "replications": self.replications, "started": self.started,
                "finished": self.finished, "wall_seconds": self.wall_seconds,
                **provenance.versions()}

    def save(self, directory: str | Path, overwrite: bool = False) -> Path:
        """Write every table atomically into ``directory`` (see :mod:`sim.outdir`).

        A crash never leaves a half-written folder. A folder holding anything else is refused
        (:class:`sim.outdir.OutputError`); ``overwrite`` replaces an earlier run's results,
        keeping the files caresim did not write.
        """
        write_folder(directory, "run", self.write_files, overwrite)
        return Path(directory)

    def write_files(self, folder: Path) -> None:
        """Write the tables, summary.json and manifest.json into an existing ``folder``."""
        self.daily.to_parquet(folder / "daily.parquet", index=False)
        self.monthly_costs.to_parquet(folder / "monthly_costs.parquet", index=False)
        self.monthly_resource.to_parquet(folder / "monthly_resource_use.parquet", index=False)
        self.budgets.to_parquet(folder / "budgets.parquet", index=False)
        self.cost_shifting.to_parquet(folder / "cost_shifting.parquet", index=False)
        self.kpis.to_parquet(folder / "kpis.parquet", index=False)
        if self.events is not None:
            self.events.to_parquet(folder / "events.parquet", index=False)
        (folder / "summary.json").write_text(json.dumps(self.summary_dict(), indent=2))
        (folder / "manifest.json").write_text(json.dumps(self.manifest(), indent=2,
                                                         default=str))
