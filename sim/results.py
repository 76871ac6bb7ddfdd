"""Results: time-weighted occupancy, tidy tables, KPIs with 95% intervals, atomic saving.

Occupancy is integrated exactly from state changes (not sampled): each day's value is the
time-weighted mean count over that day. One replication becomes tidy DataFrames (one row per
day x series, per month x service x payer, per live discharge ...); replications are stacked
with a ``replication`` column. KPIs are computed by the registry in :mod:`sim.kpis` and
summarised as a mean with a 95% interval across replications.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .billing import settle_pool_years
from .costs import cost_shifting, monthly_costs
from .kpi_inputs import KpiInputs
from .kpis import compute
from .kpis_yearly import yearly_kpis
from .outdir import write_folder
from .people import DELAY_REASONS
from .population import SETTING, State

#: a delay stretch may start this much before a stay's medically fit time (computed as
#: left - delay) and still lie inside the stay: float rounding, far below a second
FIT_TOLERANCE_DAYS = 1e-9


def series_setting(series: str) -> str:
    """Setting a daily series belongs to (community, acute, residential, or a queue)."""
    if series.startswith("delayed:"):
        return "acute"
    if series.startswith("funded:"):
        return "capacity"
    if series == "case_managed":
        return "community"
    if series.startswith(("waiting:", "alive")) or series == "urgent_response":
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
    discharges: pd.DataFrame
    kpis: dict[str, float]
    events: pd.DataFrame | None = None
    yearly_kpis: pd.DataFrame | None = None   # per whole year (sim.kpis_yearly), if asked


def collect(model, replication: int, seed: int, yearly: bool = False) -> ReplicationResult:
    """Turn a finished model into tidy tables and KPIs (:mod:`sim.kpis`); with ``yearly``,
    also the KPIs of each whole year (:func:`sim.kpis_yearly.yearly_kpis`)."""
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
    log = model.log.frame()
    inputs = KpiInputs(log, daily, ledger, budgets, shifting, model.pop.column("state"),
                       warmup, horizon, pd.Timestamp(model.clock.start), cfg.acute.beds,
                       cfg.costs, model.outcomes.frame(), cfg.outcomes)
    kpis = compute(inputs)
    by_year = yearly_kpis(inputs, delays, cfg.costs.excess_bed_day_gbp, replication) \
        if yearly else None
    discharges = discharge_table(log, delays, warmup, horizon)
    for table in (cash, resource, shifting, budgets, discharges):
        table.insert(0, "replication", replication)
    return ReplicationResult(replication, seed, tidy_daily(daily, replication), cash, resource,
                             budgets, shifting, discharges, kpis,
                             log if model.log.states else None, by_year)


def discharge_table(log: pd.DataFrame, delays: pd.DataFrame, warmup: float,
                    horizon: float) -> pd.DataFrame:
    """One row per live discharge from an acute bed in the counting window [warmup, horizon).

    Columns: person, medically_fit_day, left_day, pathway (0-3), destination (a key of
    :data:`sim.hospital.ARRIVALS`), delay_days (medically fit to leaving), ``delay_<reason>_days``
    for each of :data:`DELAY_REASONS` (the ledger's delay stretches, ``Ledger.delay_frame``,
    that lie inside the stay; they sum to delay_days) and payer (of the care it leads to; ''
    for none).
    """
    t = log["time_days"]
    out = log[(log["kind"] == "discharge") & (t >= warmup) & (t < horizon)]
    payer = out["payer"].to_numpy()
    out = pd.DataFrame({"person": out["person"].to_numpy(),
                        "medically_fit_day": (out["time_days"] - out["value"]).to_numpy(),
                        "left_day": out["time_days"].to_numpy(),
                        "pathway": out["detail"].astype(int).to_numpy(),
                        "destination": out["service"].to_numpy(),
                        "delay_days": out["value"].astype(float).to_numpy()})
    by_reason = _delay_by_reason(out, delays)
    for reason in DELAY_REASONS:
        out[f"delay_{reason}_days"] = by_reason.get(reason, pd.Series(0.0, index=out.index))
    out["payer"] = payer
    return out


def _delay_by_reason(discharges: pd.DataFrame, delays: pd.DataFrame) -> pd.DataFrame:
    """Days of each delay reason per discharge (rows indexed like ``discharges``).

    A stretch belongs to the first discharge of the same person at or after its end, if the
    stretch starts no earlier than that stay's medically fit time (else it belongs to a stay
    that ended in death).
    """
    if discharges.empty or delays.empty:
        return pd.DataFrame(index=discharges.index)
    stays = discharges[["person", "medically_fit_day", "left_day"]].assign(
        stay=discharges.index).sort_values("left_day", kind="stable")
    stretches = delays.sort_values("end_day", kind="stable")
    matched = pd.merge_asof(stretches, stays, left_on="end_day", right_on="left_day",
                            by="person", direction="forward")
    inside = matched[matched["start_day"] >= matched["medically_fit_day"] - FIT_TOLERANCE_DAYS]
    days = (inside["end_day"] - inside["start_day"]).rename("days")
    table = days.groupby([inside["stay"].astype(int), inside["reason"]]).sum().unstack(
        fill_value=0.0)
    return table.reindex(discharges.index, fill_value=0.0)


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
    from .stats import kpi_range, mean_interval  # scipy.stats: only once runs are done

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
        self.discharges = pd.concat([r.discharges for r in replications], ignore_index=True)
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
        self.discharges.to_parquet(folder / "discharges.parquet", index=False)
        self.kpis.to_parquet(folder / "kpis.parquet", index=False)
        if self.events is not None:
            self.events.to_parquet(folder / "events.parquet", index=False)
        (folder / "summary.json").write_text(json.dumps(self.summary_dict(), indent=2))
        (folder / "manifest.json").write_text(json.dumps(self.manifest(), indent=2,
                                                         default=str))
