"""The ledger of costs and the pure functions that turn it into tables.

The ledger records cost *episodes* (start, end, daily rate, payer), not a row per person per
day: a home-care package, a care-home placement, a block contract for funded beds. One-off
costs (a reablement episode, district-nurse visits, a spell's normal stay) are episodes of zero
length with an amount. Each row carries its *view*: ``cash`` (what a payer actually pays under
its contracts), ``resource`` (care consumed, valued at unit costs) or ``transfer`` (money moved
between funders, such as an outcome payment to a fund holder; not spend on care). The views are
never summed together.

Delayed bed days are recorded separately with the step that caused them, the funder responsible
for that step and the funder paying for the bed: the cost-shifting account.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .records import records_frame

PAYERS = ("nhs", "la", "pool", "provider", "self")
LEDGER_COLUMNS = ("person", "service", "setting", "payer", "view", "start_day", "end_day",
                  "rate_gbp_per_day", "amount_gbp")
DELAY_COLUMNS = ("person", "start_day", "end_day", "reason", "caused_by", "bed_payer")


class Ledger:
    """Append-only record of cost episodes, with running cash totals per payer."""

    def __init__(self):
        self.rows: list[list] = []
        self._closed = {p: 0.0 for p in PAYERS}
        self._open_rate = {p: 0.0 for p in PAYERS}
        self._open_rate_start = {p: 0.0 for p in PAYERS}
        self._open_rate_by_service: dict[tuple[str, str], float] = {}
        self.delays: list[tuple] = []

    def open(self, t: float, person: int, service: str, setting: str, payer: str, view: str,
             rate_gbp_per_day: float) -> int:
        """Start an episode paid at a daily rate; returns its id for :meth:`close`."""
        self.rows.append([person, service, setting, payer, view, t, np.nan, rate_gbp_per_day,
                          0.0])
        if view == "cash":
            self._open_rate[payer] += rate_gbp_per_day
            self._open_rate_start[payer] += rate_gbp_per_day * t
            key = (payer, service)
            self._open_rate_by_service[key] = self._open_rate_by_service.get(key, 0.0) + \
                rate_gbp_per_day
        return len(self.rows) - 1

    def close(self, episode: int, t: float) -> None:
        """End an open episode at time t."""
        row = self.rows[episode]
        if row[6] == row[6]:  # already closed (not NaN)
            return
        row[6] = t
        amount = row[7] * (t - row[5])
        row[8] = amount
        if row[4] == "cash":
            payer = row[3]
            self._open_rate[payer] -= row[7]
            self._open_rate_start[payer] -= row[7] * row[5]
            self._open_rate_by_service[(payer, row[1])] -= row[7]
            self._closed[payer] += amount

    def charge(self, t: float, person: int, service: str, setting: str, payer: str, view: str,
               amount_gbp: float) -> None:
        """Record a one-off cost at time t."""
        self.rows.append([person, service, setting, payer, view, t, t, 0.0, amount_gbp])
        if view == "cash":
            self._closed[payer] += amount_gbp

    def committed_per_day(self, payer: str) -> float:
        """Cash per day ``payer`` is committed to now on all its open episodes."""
        return self._open_rate[payer]

    def open_cash_rate(self, payer: str, services: tuple[str, ...]) -> float:
        """Cash per day ``payer`` is committed to now on open episodes of ``services``."""
        return sum(self._open_rate_by_service.get((payer, s), 0.0) for s in services)

    def cash_to_date(self, payer: str, t: float) -> float:
        """Cash paid by ``payer`` from day 0 to t, open episodes accrued to t."""
        return self._closed[payer] + self._open_rate[payer] * t - self._open_rate_start[payer]

    def record_delay(self, person: int, start: float, end: float, reason: str, caused_by: str,
                     bed_payer: str) -> None:
        """A stretch of medically-fit-but-delayed days in an acute bed."""
        if end > start:
            self.delays.append((person, start, end, reason, caused_by, bed_payer))

    def close_all(self, t: float) -> None:
        """Close every open episode at the end of the run."""
        for i, row in enumerate(self.rows):
            if row[6] != row[6]:
                self.close(i, t)

    def frame(self) -> pd.DataFrame:
        """The ledger as a DataFrame (one row per episode)."""
        return records_frame(self.rows, LEDGER_COLUMNS)

    def delay_frame(self) -> pd.DataFrame:
        """The delayed-days records as a DataFrame."""
        return records_frame(self.delays, DELAY_COLUMNS)


def split_by_period(episodes: pd.DataFrame, edges: np.ndarray) -> pd.DataFrame:
    """Spread each episode's cost over periods bounded by ``edges`` (days, ascending).

    Returns one row per (episode, period) with ``period`` (index into edges) and ``cost_gbp``.
    One-off charges fall in the period containing their day.
    """
    if episodes.empty:
        return episodes.assign(period=pd.Series(dtype=int), cost_gbp=pd.Series(dtype=float))
    start = episodes["start_day"].to_numpy()
    end = episodes["end_day"].to_numpy()
    rate = episodes["rate_gbp_per_day"].to_numpy()
    amount = episodes["amount_gbp"].to_numpy()
    lo = edges[:-1]
    hi = edges[1:]
    overlap = np.clip(np.minimum(end[:, None], hi[None, :]) - np.maximum(start[:, None],
                                                                          lo[None, :]), 0, None)
    cost = overlap * rate[:, None]
    one_off = (end == start)
    if one_off.any():
        idx = np.clip(np.searchsorted(edges, start[one_off], side="right") - 1, 0, len(lo) - 1)
        cost[np.flatnonzero(one_off), idx] += amount[one_off]
    rows, periods = np.nonzero(cost)
    out = episodes.iloc[rows].drop(columns=["start_day", "end_day", "rate_gbp_per_day",
                                            "amount_gbp"]).reset_index(drop=True)
    out["period"] = periods
    out["cost_gbp"] = cost[rows, periods]
    return out


def monthly_costs(ledger: pd.DataFrame, month_edges: np.ndarray, month_labels: list,
                  view: str = "cash") -> pd.DataFrame:
    """Cost per month x service x setting x payer for one view ('cash' or 'resource')."""
    chosen = ledger[ledger["view"] == view]
    parts = []
    # chunk to bound the (episodes x months) matrix
    for start in range(0, len(chosen), 20_000):
        parts.append(split_by_period(chosen.iloc[start:start + 20_000], month_edges))
    split = pd.concat(parts) if parts else split_by_period(chosen, month_edges)
    table = (split.groupby(["period", "service", "setting", "payer"], as_index=False)
             ["cost_gbp"].sum())
    table.insert(0, "month", [month_labels[p] for p in table["period"]])
    return table.drop(columns="period")


def cost_shifting(delays: pd.DataFrame, excess_bed_day_gbp: float, start: float,
                  end: float) -> pd.DataFrame:
    """Delayed bed days and their value by (reason, caused_by, bed_payer) inside [start, end)."""
    if delays.empty:
        return pd.DataFrame(columns=["reason", "caused_by", "bed_payer", "delayed_bed_days",
                                     "value_gbp", "shifted"])
    days = (np.minimum(delays["end_day"], end) - np.maximum(delays["start_day"], start)).clip(0)
    table = (delays.assign(delayed_bed_days=days)
             .groupby(["reason", "caused_by", "bed_payer"], as_index=False)["delayed_bed_days"]
             .sum())
    table["value_gbp"] = table["delayed_bed_days"] * excess_bed_day_gbp
    table["shifted"] = table["caused_by"] != table["bed_payer"]
    return table
