"""Outcome follow-up: person-time by frailty and setting, where people discharged into
reablement are 91 days later, and crisis admissions of care-home residents.

The outcome KPIs (:mod:`sim.kpis_outcomes`) need three facts that the daily occupancy and the
event log hold only with a full state log (``--event-log``): the person-time spent at each
frailty level in each setting (to weigh by a utility: QALYs; frailty is not in the daily
series), where a person is 91 days after a discharge from hospital into reablement (ASCOF
2B(1)), and whether a person going to hospital came from a care home. :class:`OutcomeTracker`
keeps them as the run goes, for a few list operations per change of place or frailty
(:meth:`sim.people.People.move` calls it; ~1.7% of a run's instructions).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .population import (
    HOME,
    HOME_CARE,
    HOME_WAITING_CARE,
    REABLEMENT,
    STATE_NAMES,
)
from .schema_base import FRAILTY_LEVELS, YEAR

if TYPE_CHECKING:
    import pandas as pd

    from .eventlog import EventLog
    from .population import Population

#: the settings a utility is given for (``outcomes.utility_*``), in this order
SETTINGS = ("home", "home_care", "reablement_ic", "acute", "care_home")
#: where a person is, as far as the outcomes tell apart (a move within one place, e.g. from
#: treatment to delayed in the same bed, changes no outcome and is not followed)
PLACES = ("home", "home_care", "reablement", "intermediate_care", "hospital", "care_home",
          "dead")
#: each state's place (index into PLACES), in State order
PLACE_OF_STATE = (0, 0, 1, 2, 3, 4, 4, 4, 5, 5, 6)
#: each place's setting (index into SETTINGS; -1 for death)
_SETTING_OF_PLACE = (0, 1, 2, 2, 3, 4, -1)
#: days after a discharge into reablement at which a person must still be at home
FOLLOW_UP_DAYS = 91.0
#: alive and not in hospital, a care home or intermediate care (reablement is at home)
AT_HOME = frozenset((HOME, HOME_WAITING_CARE, HOME_CARE, REABLEMENT))
_AT_HOME_PLACES = frozenset(PLACE_OF_STATE[s] for s in AT_HOME)
#: the follow-up counts people of this age and over at the discharge (ASCOF: 65+)
FOLLOW_UP_MIN_AGE = 65.0
_LEVELS = len(FRAILTY_LEVELS)
_REABLEMENT, _HOSPITAL, _CARE_HOME = (PLACES.index(p) for p in (
    "reablement", "hospital", "care_home"))
#: each state's first index into the (setting, frailty) totals (negative for death)
_KEY_OF_STATE = tuple(_SETTING_OF_PLACE[p] * _LEVELS for p in PLACE_OF_STATE)


class OutcomeTracker:
    """Person-time by (setting, frailty) in the counting window, the 91-day follow-up and
    care-home residents' crises that go to hospital.

    Each person's time in their current setting and frailty level runs from a time stamp,
    added to that (setting, frailty) total at their next change of place or frailty, clipped
    to the counting window [warm-up, horizon). :meth:`sim.people.People.move` calls
    :meth:`moved` only when the place changes (:data:`PLACE_OF_STATE`), so moves within a
    hospital stay cost nothing. A follow-up is due :data:`FOLLOW_UP_DAYS` after a move from
    hospital into reablement; it is resolved at the person's first change of place after it
    is due (the place they were in at the due time) or at the horizon, and logged as one
    ``at_home_91d`` event at the discharge time. Discharges whose follow-up falls at or after
    the horizon are never logged: the KPI leaves them out rather than guess.
    """

    def __init__(self, pop: Population, log: EventLog, warmup: float, horizon: float):
        self.pop, self.log = pop, log
        self.warmup, self.horizon = warmup, horizon
        self.area = [0.0] * (len(SETTINGS) * _LEVELS)   # person-days by setting x frailty
        self.since: list[float] = []                     # each person's time stamp
        self.due: dict[int, list[tuple[float, float]]] = {}   # person -> (discharged, due)

    def _close(self, i: int, state: int, t: float) -> None:
        """Add person i's time since their stamp to (state's setting, frailty); restamp."""
        since = self.since[i]
        if since < self.warmup:
            since = self.warmup
        if t > since:
            self.area[_KEY_OF_STATE[state] + self.pop.frailty[i]] += t - since
        self.since[i] = t

    def start(self, n: int) -> None:
        """Stamp the starting population (people 0 .. n-1) at time 0."""
        self.since = [0.0] * n

    def enter(self, i: int, t: float) -> None:
        """An entrant joins at time t (entrants get the next person id, in order)."""
        self.since.append(t)

    def frailty_changed(self, i: int, t: float) -> None:
        """Person i's frailty level is about to change."""
        self._close(i, self.pop.state[i], t)

    def moved(self, i: int, old: int, new: int, t: float) -> None:
        """Person i moved from state ``old`` to ``new`` (of another place) at time t."""
        self._close(i, old, t)
        was, now = PLACE_OF_STATE[old], PLACE_OF_STATE[new]
        if i in self.due:
            self._resolve(i, was, t)
        if now == _REABLEMENT and was == _HOSPITAL and t + FOLLOW_UP_DAYS < self.horizon \
                and (t - self.pop.birth_time[i]) / YEAR >= FOLLOW_UP_MIN_AGE:
            self.due.setdefault(i, []).append((t, t + FOLLOW_UP_DAYS))
        elif now == _HOSPITAL and was == _CARE_HOME:
            self.log.record(t, i, "resident_admission", STATE_NAMES[old])

    def _resolve(self, i: int, place: int, t: float) -> None:
        """Log the follow-ups of person i due by t: they were in ``place`` at the due time."""
        pending = self.due[i]
        done = [(since, due) for since, due in pending if due <= t]
        for since, _due in done:
            self.log.record(since, i, "at_home_91d", PLACES[place],
                            value=float(place in _AT_HOME_PLACES))
        if len(done) == len(pending):
            del self.due[i]
        else:
            self.due[i] = [p for p in pending if p[1] > t]

    def finish(self) -> None:
        """At the horizon: close everyone's person-time and resolve every follow-up due."""
        n = len(self.since)
        key = np.asarray(_KEY_OF_STATE)[self.pop.column("state")[:n]] \
            + self.pop.column("frailty")[:n]
        days = self.horizon - np.maximum(np.asarray(self.since), self.warmup)
        alive = key >= 0
        totals = np.bincount(key[alive], weights=np.maximum(days[alive], 0.0),
                             minlength=len(self.area))
        self.area = [a + float(b) for a, b in zip(self.area, totals)]
        self.since = [self.horizon] * n
        for i in list(self.due):
            self._resolve(i, PLACE_OF_STATE[self.pop.state[i]], self.horizon)

    def frame(self) -> pd.DataFrame:
        """Person-years in the counting window, one row per setting and frailty level."""
        import pandas as pd

        rows = [(s, lvl, self.area[k * _LEVELS + f] / YEAR)
                for k, s in enumerate(SETTINGS) for f, lvl in enumerate(FRAILTY_LEVELS)]
        return pd.DataFrame(rows, columns=["setting", "frailty", "person_years"])
