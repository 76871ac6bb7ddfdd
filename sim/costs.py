"""The ledger of costs and the pure functions that turn it into tables.

The ledger records cost *episodes* (start, end, daily rate, payer), not a row per person per
day: a home-care package, a care-home placement, a block contract for funded beds. One-off
costs (a reablement episode, district-nurse visits, a spell's normal stay) are episodes of zero
length with an amount. Each row carries its *view*: ``cash`` (what a payer actually pays under
its contracts), ``resource`` (care consumed, valued at unit costs) or ``transfer`` (money moved
between funders, such as an outcome payment to a fund holder; not spend on care). The views are
never summed together.

Delayed bed days are recorded separately with the step that caused them, the funder responsible
for that step (or "patient" for a choice the person or family makes) and the funder paying for
the bed: the cost-shifting account.
"""

from __future__ import annotations

import math
from array import array
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from .records import CodedText, records_frame

PAYERS = ("nhs", "la", "pool", "provider", "self")
LEDGER_COLUMNS = ("person", "service", "setting", "payer", "view", "start_day", "end_day",
                  "rate_gbp_per_day", "amount_gbp")
DELAY_COLUMNS = ("person", "start_day", "end_day", "reason", "caused_by", "bed_payer")


class Ledger:
    """Append-only record of cost episodes, with running cash totals per payer.

    Episodes are stored by column (``array`` of doubles, ints and small codes for the text
    columns), not as one list per row: a 5-year default run opens ~700,000 episodes, and a
    row list costs ~180 bytes where the columns cost ~50, so memory per person and the time
    to build the results frame both drop.
    """

    TEXT = ("service", "setting", "payer", "view")

    def __init__(self):
        self._person = array("q")
        self._text = {name: CodedText() for name in self.TEXT}
        self._start, self._end = array("d"), array("d")
        self._rate, self._amount = array("d"), array("d")
        self._closed = {p: 0.0 for p in PAYERS}
        self._open_rate = {p: 0.0 for p in PAYERS}
        self._open_rate_start = {p: 0.0 for p in PAYERS}
        self._open_rate_by_service: dict[tuple[str, str], float] = {}
        # delay stretches, by column too (~200,000 in a default 5-year run)
        self._delay_person, self._delay_start, self._delay_end = array("q"), array("d"), \
            array("d")
        self._delay_text = {name: CodedText() for name in DELAY_COLUMNS[3:]}

    def _append(self, person: int, service: str, setting: str, payer: str, view: str,
                start: float, end: float, rate: float, amount: float) -> int:
        self._person.append(person)
        text = self._text
        text["service"].append(service)
        text["setting"].append(setting)
        text["payer"].append(payer)
        text["view"].append(view)
        self._start.append(start)
        self._end.append(end)
        self._rate.append(rate)
        self._amount.append(amount)
        return len(self._person) - 1

    def __len__(self) -> int:
        return len(self._person)

    def row(self, episode: int) -> tuple:
        """One episode as a tuple in :data:`LEDGER_COLUMNS` order."""
        return (self._person[episode],
                *(self._text[name][episode] for name in self.TEXT),
                self._start[episode], self._end[episode], self._rate[episode],
                self._amount[episode])

    @property
    def rows(self) -> list[tuple]:
        """Every episode as a tuple (for tests and inspection; the frame is faster)."""
        return [self.row(k) for k in range(len(self))]

    def service_of(self, episode: int) -> str:
        """The service an episode pays for."""
        return self._text["service"][episode]

    def open(self, t: float, person: int, service: str, setting: str, payer: str, view: str,
             rate_gbp_per_day: float) -> int:
        """Start an episode paid at a daily rate; returns its id for :meth:`close`."""
        episode = self._append(person, service, setting, payer, view, t, math.nan,
                               rate_gbp_per_day, 0.0)
        if view == "cash":
            self._open_rate[payer] += rate_gbp_per_day
            self._open_rate_start[payer] += rate_gbp_per_day * t
            key = (payer, service)
            self._open_rate_by_service[key] = self._open_rate_by_service.get(key, 0.0) + \
                rate_gbp_per_day
        return episode

    def close(self, episode: int, t: float) -> None:
        """End an open episode at time t."""
        if not math.isnan(self._end[episode]):  # already closed
            return
        start, rate = self._start[episode], self._rate[episode]
        self._end[episode] = t
        amount = rate * (t - start)
        self._amount[episode] = amount
        if self._text["view"][episode] == "cash":
            payer = self._text["payer"][episode]
            self._open_rate[payer] -= rate
            self._open_rate_start[payer] -= rate * start
            self._open_rate_by_service[(payer, self.service_of(episode))] -= rate
            self._closed[payer] += amount

    def charge(self, t: float, person: int, service: str, setting: str, payer: str, view: str,
               amount_gbp: float) -> None:
        """Record a one-off cost at time t."""
        self._append(person, service, setting, payer, view, t, t, 0.0, amount_gbp)
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
            self._delay_person.append(person)
            self._delay_start.append(start)
            self._delay_end.append(end)
            text = self._delay_text
            text["reason"].append(reason)
            text["caused_by"].append(caused_by)
            text["bed_payer"].append(bed_payer)

    def close_all(self, t: float) -> None:
        """Close every open episode at the end of the run."""
        for episode, end in enumerate(self._end):
            if math.isnan(end):
                self.close(episode, t)

    def frame(self) -> pd.DataFrame:
        """The ledger as a DataFrame (one row per episode, :data:`LEDGER_COLUMNS`)."""
        import pandas as pd

        columns = {"person": np.frombuffer(self._person, dtype=np.int64).copy()}
        for name in self.TEXT:
            columns[name] = self._text[name].frame_column()
        for name, values in (("start_day", self._start), ("end_day", self._end),
                             ("rate_gbp_per_day", self._rate), ("amount_gbp", self._amount)):
            columns[name] = np.frombuffer(values, dtype=np.float64).copy()
        return pd.DataFrame(columns, columns=list(LEDGER_COLUMNS))

    @property
    def delays(self) -> list[tuple]:
        """Every delay stretch as a tuple in :data:`DELAY_COLUMNS` order (for tests and
        inspection; :meth:`delay_frame` is faster)."""
        text = [self._delay_text[name] for name in DELAY_COLUMNS[3:]]
        return [(self._delay_person[j], self._delay_start[j], self._delay_end[j],
                 *(column[j] for column in text)) for j in range(len(self._delay_person))]

    def delay_frame(self) -> pd.DataFrame:
        """The delayed-days records as a DataFrame."""
        import pandas as pd

        if not len(self._delay_person):
            return records_frame([], DELAY_COLUMNS)
        columns = {"person": np.array(self._delay_person), "start_day": np.array(self._delay_start),
                   "end_day": np.array(self._delay_end)}
        for name, text in self._delay_text.items():
            columns[name] = text.frame_column()
        return pd.DataFrame(columns, copy=False)


def split_by_period(episodes: pd.DataFrame, edges: np.ndarray) -> pd.DataFrame:
    """Spread each episode's cost over periods bounded by ``edges`` (days, ascending).

    Returns one row per (episode, period) with a non-zero cost, in episode then period order:
    ``row`` (position in ``episodes``), ``period`` (index into edges) and ``cost_gbp``. An
    episode's cost in a period is its daily rate times the days it overlaps the period; a
    one-off charge (end = start) falls in the period containing its day; one before the first
    edge is left out (e.g. charged in the warm-up), one at or after the last edge falls in the
    last period (charges made at the horizon). Only the periods an episode can overlap are
    expanded, so the work grows with the episodes, not episodes x periods.
    """
    import pandas as pd

    start = episodes["start_day"].to_numpy(dtype=float)
    end = episodes["end_day"].to_numpy(dtype=float)
    rate = episodes["rate_gbp_per_day"].to_numpy(dtype=float)
    amount = episodes["amount_gbp"].to_numpy(dtype=float)
    lo, hi = edges[:-1], edges[1:]
    last = len(lo) - 1
    one_off = end == start
    spans = np.flatnonzero(~one_off)
    # first and last period each lasting episode can overlap (NaN ends: every period)
    first = np.clip(np.searchsorted(edges, start[spans], side="right") - 1, 0, last)
    final = np.searchsorted(edges, end[spans], side="left") - 1
    final = np.where(np.isnan(end[spans]), last, np.clip(final, 0, last))
    first = np.where(np.isnan(start[spans]) | np.isnan(end[spans]), 0, first)
    count = np.maximum(final - first + 1, 0)
    # one row per (episode, period) overlapped; 32-bit indices and in-place arithmetic keep
    # the peak down (a default 5-year ledger spreads into ~700,000 rows)
    rows = np.repeat(spans.astype(np.int32), count)
    periods = np.repeat((first - np.cumsum(count) + count).astype(np.int32), count)
    periods += np.arange(len(periods), dtype=np.int32)
    cost = np.minimum(end[rows], hi[periods])
    cost -= np.maximum(start[rows], lo[periods])
    np.clip(cost, 0, None, out=cost)
    cost *= rate[rows]
    offs = np.flatnonzero(one_off & ~(start < edges[0])).astype(np.int32)   # none before
    off_period = np.clip(np.searchsorted(edges, start[offs], side="right") - 1, 0, last)
    off_cost = 0.0 * rate[offs] + amount[offs]
    rows = np.concatenate([rows, offs])
    periods = np.concatenate([periods, off_period.astype(np.int32)])
    cost = np.concatenate([cost, off_cost])
    keep = np.flatnonzero(cost != 0)
    keep = keep[np.argsort(rows[keep], kind="stable")]   # two sorted runs: a linear merge
    return pd.DataFrame({"row": rows[keep], "period": periods[keep], "cost_gbp": cost[keep]})


def monthly_costs(ledger: pd.DataFrame, month_edges: np.ndarray, month_labels: list,
                  view: str = "cash") -> pd.DataFrame:
    """Cost per month x service x setting x payer for one view ('cash' or 'resource')."""
    import pandas as pd

    chosen = (ledger["view"] == view).to_numpy()
    keys = ["service", "setting", "payer"]
    numbers = ["start_day", "end_day", "rate_gbp_per_day", "amount_gbp"]
    split = split_by_period(ledger.loc[chosen, numbers], month_edges)
    rows = np.flatnonzero(chosen)[split["row"].to_numpy()]
    # one integer key per (period, service, setting, payer), from the keys' sorted codes:
    # the same groups, order and sums as grouping on the four columns, at a fraction of the
    # memory
    key = split["period"].to_numpy().astype(np.int64)
    names = {}
    for name in keys:
        codes, names[name] = pd.factorize(ledger[name], sort=True)
        key *= max(len(names[name]), 1)
        key += codes[rows]
    sums = pd.Series(split["cost_gbp"].to_numpy()).groupby(key).sum()
    key = sums.index.to_numpy()
    decoded = {}
    for name in reversed(keys):
        size = max(len(names[name]), 1)
        decoded[name] = names[name].take(key % size).array
        key = key // size
    table = pd.DataFrame({"month": [month_labels[p] for p in key.tolist()],
                          **{name: decoded[name] for name in keys},
                          "cost_gbp": sums.to_numpy()})
    return table


def cost_shifting(delays: pd.DataFrame, excess_bed_day_gbp: float, start: float,
                  end: float) -> pd.DataFrame:
    """Delayed bed days and their value by (reason, caused_by, bed_payer) inside [start, end)."""
    import pandas as pd

    if delays.empty:
        return pd.DataFrame(columns=["reason", "caused_by", "bed_payer", "delayed_bed_days",
                                     "value_gbp", "shifted"])
    days = (np.minimum(delays["end_day"], end) - np.maximum(delays["start_day"], start)).clip(0)
    table = (delays.assign(delayed_bed_days=days)
             .groupby(["reason", "caused_by", "bed_payer"], as_index=False)["delayed_bed_days"]
             .sum())
    table["value_gbp"] = table["delayed_bed_days"] * excess_bed_day_gbp
    table["shifted"] = [is_shifted(c, b) for c, b in zip(table["caused_by"], table["bed_payer"])]
    return table


def is_shifted(caused_by: str, bed_payer: str) -> bool:
    """True if a delayed bed day's cost is shifted: one funder's step kept the person in a bed
    another pays for. Days the person or family cause (``caused_by`` = "patient", choosing a
    care home) are no funder's step, so never shifted."""
    return caused_by in PAYERS and caused_by != bed_payer
