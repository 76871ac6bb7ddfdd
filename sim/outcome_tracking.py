"""Outcome follow-up: person-time by frailty and setting, where people discharged into
reablement are 91 days later, and crisis admissions of care-home residents.

The outcome KPIs (:mod:`sim.kpis_outcomes`) need three facts that the daily occupancy and the
event log hold only with a full state log (``--event-log``): the person-time spent at each
frailty level in each setting (to weigh by a utility: QALYs), the state of a person 91 days
after a discharge from hospital into reablement (ASCOF 2B(1)), and whether a person going to
hospital came from a care home. :class:`OutcomeTracker` keeps them as the run goes, for a few
list operations per state or frailty change (:meth:`sim.people.People.move` calls it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .population import (
    ACUTE_BOARDING,
    DEAD,
    HOME,
    HOME_CARE,
    HOME_WAITING_CARE,
    NURSING,
    REABLEMENT,
    RESIDENTIAL,
    STATE_NAMES,
)
from .schema_base import FRAILTY_LEVELS, YEAR

if TYPE_CHECKING:
    import pandas as pd

    from .eventlog import EventLog
    from .population import Population

#: the settings a utility is given for (``outcomes.utility_*``), in this order
SETTINGS = ("home", "home_care", "reablement_ic", "acute", "care_home")
#: each state's setting (index into SETTINGS; -1 for death)
SETTING_OF_STATE = (0, 0, 1, 2, 2, 3, 3, 3, 4, 4, -1)
#: days after a discharge into reablement at which a person must still be at home
FOLLOW_UP_DAYS = 91.0
#: alive and not in hospital, a care home or intermediate care (reablement is at home)
AT_HOME = frozenset((HOME, HOME_WAITING_CARE, HOME_CARE, REABLEMENT))
#: the follow-up counts people of this age and over at the discharge (ASCOF: 65+)
FOLLOW_UP_MIN_AGE = 65.0
_LEVELS = len(FRAILTY_LEVELS)
_HOSPITAL = frozenset(s for s, k in enumerate(SETTING_OF_STATE) if k == 3)


class OutcomeTracker:
    """Person-time by (setting, frailty) in the counting window, the 91-day follow-up and
    care-home residents' crises that go to hospital.

    Person-time is integrated exactly like :class:`sim.occupancy.Occupancy`, clipped to the
    counting window [warm-up, horizon). A follow-up is due :data:`FOLLOW_UP_DAYS` after a move
    from hospital into reablement; it is resolved at the person's first move after it is due
    (the state they were in at the due time) or at the horizon, and logged as one
    ``at_home_91d`` event at the discharge time. Discharges whose follow-up falls at or after
    the horizon are never logged: the KPI leaves them out rather than guess.
    """

    def __init__(self, pop: Population, log: EventLog, warmup: float, horizon: float):
        self.pop, self.log = pop, log
        self.warmup, self.horizon = warmup, horizon
        n = len(SETTINGS) * _LEVELS
        self.count = [0.0] * n
        self.area = [0.0] * n
        self.last = [0.0] * n
        self.due: dict[int, list[tuple[float, float]]] = {}   # person -> (discharged, due)

    def _add(self, key: int, delta: float, t: float) -> None:
        lo = self.last[key] if self.last[key] > self.warmup else self.warmup
        hi = t if t < self.horizon else self.horizon
        if hi > lo:
            self.area[key] += self.count[key] * (hi - lo)
        self.last[key] = t
        self.count[key] += delta

    def start(self, states: np.ndarray, frailty: np.ndarray) -> None:
        """Count the starting population (at time 0) by setting and frailty."""
        alive = states != DEAD
        settings = np.asarray(SETTING_OF_STATE)[states[alive]]
        keys = settings * _LEVELS + frailty[alive]
        for key, n in enumerate(np.bincount(keys, minlength=len(self.count)).tolist()):
            self._add(key, n, 0.0)

    def enter(self, i: int, t: float) -> None:
        """An entrant joins at home."""
        self._add(SETTING_OF_STATE[HOME] * _LEVELS + self.pop.frailty[i], 1, t)

    def frailty_changed(self, i: int, new: int, t: float) -> None:
        """Person i's frailty level is about to change to ``new``."""
        base = SETTING_OF_STATE[self.pop.state[i]] * _LEVELS
        self._add(base + self.pop.frailty[i], -1, t)
        self._add(base + new, 1, t)

    def moved(self, i: int, old: int, new: int, t: float) -> None:
        """Person i moved from state ``old`` to ``new`` at time t."""
        f = self.pop.frailty[i]
        old_key, new_setting = SETTING_OF_STATE[old] * _LEVELS + f, SETTING_OF_STATE[new]
        if new_setting != SETTING_OF_STATE[old]:
            self._add(old_key, -1, t)
            if new != DEAD:
                self._add(new_setting * _LEVELS + f, 1, t)
        if i in self.due:
            self._resolve(i, old, t)
        if new == REABLEMENT and old in _HOSPITAL and t + FOLLOW_UP_DAYS < self.horizon \
                and (t - self.pop.birth_time[i]) / YEAR >= FOLLOW_UP_MIN_AGE:
            self.due.setdefault(i, []).append((t, t + FOLLOW_UP_DAYS))
        if new == ACUTE_BOARDING and (old == RESIDENTIAL or old == NURSING):
            self.log.record(t, i, "resident_admission", STATE_NAMES[old])

    def _resolve(self, i: int, state: int, t: float) -> None:
        """Log the follow-ups of person i due by t: they were in ``state`` at the due time."""
        pending = self.due[i]
        done = [(since, due) for since, due in pending if due <= t]
        for since, _due in done:
            self.log.record(since, i, "at_home_91d", STATE_NAMES[state],
                            value=float(state in AT_HOME))
        if len(done) == len(pending):
            del self.due[i]
        else:
            self.due[i] = [p for p in pending if p[1] > t]

    def finish(self) -> None:
        """At the horizon: close the person-time and resolve every follow-up now due."""
        for key in range(len(self.count)):
            self._add(key, 0, self.horizon)
        for i in list(self.due):
            self._resolve(i, int(self.pop.state[i]), self.horizon)

    def frame(self) -> pd.DataFrame:
        """Person-years in the counting window, one row per setting and frailty level."""
        import pandas as pd

        rows = [(s, lvl, self.area[k * _LEVELS + f] / YEAR)
                for k, s in enumerate(SETTINGS) for f, lvl in enumerate(FRAILTY_LEVELS)]
        return pd.DataFrame(rows, columns=["setting", "frailty", "person_years"])

