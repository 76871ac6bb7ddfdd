"""Time-weighted occupancy: exact daily means of named counts.

Occupancy is integrated exactly from state changes (not sampled): each change adds the count
times the time since the last change to the day's area, and each day's value is its area over
the day - so daily means integrate exactly to bed days and other KPIs.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


class Occupancy:
    """Exact time-weighted daily means of named counts."""

    def __init__(self, keys: list[str], days: int):
        self.keys = list(keys)
        self.index = {k: j for j, k in enumerate(self.keys)}
        # plain lists: element updates on numpy arrays are several times slower in the hot path
        self.count = [0.0] * len(keys)
        self.area = [0.0] * len(keys)
        self.last = [0.0] * len(keys)
        self.daily = np.zeros((days + 1, len(keys)))
        self.days_closed = 0

    def add(self, key: str, delta: float, t: float) -> None:
        """Change a count at time t."""
        j = self.index[key]
        self.area[j] += self.count[j] * (t - self.last[j])
        self.last[j] = t
        self.count[j] += delta

    def close_day(self, day: int, t: float) -> None:
        """Store the mean of day ``day`` (ending at t)."""
        self._close(t)
        self.daily[day] = self.area
        self.area = [0.0] * len(self.keys)
        self.days_closed = day + 1

    def _close(self, t: float) -> None:
        count, last, area = self.count, self.last, self.area
        for j in range(len(area)):
            area[j] += count[j] * (t - last[j])
            last[j] = t

    def finish(self, horizon: float) -> None:
        """Close the last (possibly partial) day at the horizon."""
        day = self.days_closed
        if horizon > day:
            self._close(horizon)
            self.daily[day] = np.asarray(self.area) / (horizon - day)
            self.days_closed = day + 1

    def frame(self, start: dt.date) -> pd.DataFrame:
        """Wide table: one row per day, one column per series (pandas is imported here, after
        the run, so the engine does not pay for it at start-up)."""
        import pandas as pd

        n = self.days_closed
        out = pd.DataFrame(self.daily[:n], columns=self.keys)
        out.insert(0, "day", np.arange(n))
        out.insert(0, "date", pd.to_datetime(start) + pd.to_timedelta(np.arange(n), unit="D"))
        return out
