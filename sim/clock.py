"""Simulation time (days from the start date) mapped to calendar facts.

The model runs in days. Weekdays drive panel meetings, working-day assessments and weekend
discharges; months drive cost tables; financial years (from 1 April) drive budgets; December to
March is winter. Lookups are precomputed per day so that the hot path does no date arithmetic.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")   # as in decision.panel_weekdays
WINTER_MONTHS = (12, 1, 2, 3)


class Clock:
    """Calendar of one run: ``horizon_days`` days from ``start``."""

    def __init__(self, start: dt.date, horizon_days: float,
                 working_hours: tuple[float, float] = (9.0, 17.0)):
        self.start = start
        # assessors' working day on weekdays, as fractions of a day
        self.work_start, self.work_end = working_hours[0] / 24.0, working_hours[1] / 24.0
        self.days = int(math.ceil(horizon_days)) + 1
        dates = [start + dt.timedelta(days=d) for d in range(self.days + 400)]
        self.dates = dates
        self.weekday = np.array([d.weekday() for d in dates], dtype=np.int8)
        self.winter = np.array([d.month in WINTER_MONTHS for d in dates])
        fy = [d.year if d.month >= 4 else d.year - 1 for d in dates]
        self.financial_year = np.array(fy, dtype=np.int32)

    def is_weekend(self, t: float) -> bool:
        """True on Saturday and Sunday."""
        return self.weekday[int(t)] >= 5

    def next_weekday_time(self, t: float, weekdays: set[int], hour: float = 10.0) -> float:
        """Earliest time >= t that falls on one of ``weekdays`` at ``hour`` o'clock."""
        day = int(t)
        for offset in range(15):
            d = day + offset
            moment = d + hour / 24.0
            if int(self.weekday[d]) in weekdays and moment >= t:
                return moment
        raise ValueError("no meeting day found within two weeks")

    def next_working_time(self, t: float) -> float:
        """t itself inside working hours (weekdays, 09:00-17:00 by default), else the next
        start of a working day."""
        day = int(t)
        time_of_day = t - day
        start, end = self.work_start, self.work_end
        if self.weekday[day] < 5 and start - 1e-9 <= time_of_day < end - 1e-9:
            return t
        if self.weekday[day] < 5 and time_of_day < start:
            return day + start
        day += 1
        while self.weekday[day] >= 5:
            day += 1
        return day + start

    @property
    def working_day_hours(self) -> float:
        """Hours in an assessor's working day."""
        return (self.work_end - self.work_start) * 24.0

    def working_days_elapsed(self, t: float, working_days: float) -> float:
        """Elapsed days to do ``working_days`` of work (whole working days of the assessors'
        hours, on weekdays) starting at t."""
        remaining = working_days * (self.work_end - self.work_start)
        now = self.next_working_time(t)
        while True:
            left_today = int(now) + self.work_end - now
            if remaining <= left_today + 1e-12:
                return now + remaining - t
            remaining -= left_today
            now = self.next_working_time(int(now) + self.work_end + 1e-6)

    def financial_year_starts(self) -> list[float]:
        """Day offsets of every 1 April inside the horizon (and day 0)."""
        starts = [0.0]
        for d in range(1, self.days):
            if self.dates[d].month == 4 and self.dates[d].day == 1:
                starts.append(float(d))
        return starts
