"""Where each person is, and the journey process they are in.

:class:`People` keeps every person's state in step with the daily occupancy, the event log and
the hazard clocks: journey code moves a person with :meth:`People.move`, starts and ends a
medically-fit-but-delayed stretch with :meth:`People.set_delay`, and marks unmet need with
:meth:`People.set_unmet`. Per-person journey facts live in typed columns of
:class:`~sim.population.Population` (``in_bed_since``, ``holds_package``, ``care_home_kind``
...), never in loose dictionaries.

:class:`Journeys` holds the one live journey process of each person (an admission, a
reablement episode, a referral ...), so that a crisis or a death can interrupt it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import NamedTuple

import simpy

from .costs import Ledger
from .eventlog import EventLog
from .occupancy import Occupancy
from .outcome_tracking import PLACE_OF_STATE, OutcomeTracker
from .population import (
    ACUTE_BOARDING,
    ACUTE_DELAYED,
    ACUTE_TREATMENT,
    DEAD,
    HOME_WAITING_CARE,
    STATE_NAMES,
    Population,
)

IN_HOSPITAL = frozenset((ACUTE_BOARDING, ACUTE_TREATMENT, ACUTE_DELAYED))


#: why a medically fit person is still in an acute bed (the ``reason`` of a delay stretch);
#: the one list every table, series, KPI and figure of delays uses
DELAY_REASONS = ("assessment", "funding_decision", "service_capacity", "dispute",
                 "discharge_process", "choice")


class DelayStretch(NamedTuple):
    """A medically-fit-but-delayed stretch in progress."""

    since: float
    reason: str       # one of DELAY_REASONS
    caused_by: str    # who is responsible for the step (nhs, la, pool, provider; patient)


class People:
    """The population's states, kept in step with occupancy, the log and the hazard clocks."""

    def __init__(self, pop: Population, env: simpy.Environment, occupancy: Occupancy,
                 log: EventLog, ledger: Ledger, bed_payer: str,
                 refresh: Callable[[int], None], outcomes: OutcomeTracker | None = None):
        self.pop, self.env, self.occupancy, self.log = pop, env, occupancy, log
        self.outcomes = outcomes  # person-time and follow-ups for the outcome KPIs
        self.ledger, self.bed_payer = ledger, bed_payer
        self.refresh = refresh    # recompute a person's hazards after a change (the model's)
        self.delays: dict[int, DelayStretch] = {}

    def change_frailty(self, i: int, step: int, refresh: bool = True) -> None:
        """Person i's frailty moves ``step`` levels (+1 worse): their person-time so far counts
        at the old level, and their hazards follow the new one (``refresh``; a caller that
        refreshes anyway may skip it)."""
        if self.outcomes is not None:
            self.outcomes.frailty_changed(i, self.env.now)
        self.pop.frailty[i] += step
        if refresh:
            self.refresh(i)

    def move(self, i: int, new: int) -> None:
        """Move person i to a new state, keeping occupancy and hazards in step."""
        t = self.env.now
        old = int(self.pop.state[i])
        new = int(new)
        if old == new:
            return
        if old == ACUTE_DELAYED:
            self.end_delay(i)
        self.occupancy.add(STATE_NAMES[old], -1, t)
        if new != DEAD:
            self.occupancy.add(STATE_NAMES[new], 1, t)
        if self.outcomes is not None and PLACE_OF_STATE[old] != PLACE_OF_STATE[new]:
            self.outcomes.moved(i, old, new, t)
        self.pop.state[i] = new
        if new != HOME_WAITING_CARE:
            self.pop.unmet[i] = False
        if self.log.states:
            self.log.record(t, i, "state", STATE_NAMES[new])
        if not (old in IN_HOSPITAL and new in IN_HOSPITAL):
            self.refresh(i)   # a move within the hospital changes no hazard and no caseload

    def set_delay(self, i: int, reason: str, caused_by: str) -> None:
        """Start (or change the reason of) a medically-fit-but-delayed stretch."""
        t = self.env.now
        self.end_delay(i)
        self.delays[i] = DelayStretch(t, reason, caused_by)
        self.occupancy.add(f"delayed:{reason}", 1, t)

    def end_delay(self, i: int) -> None:
        """Close the current delay stretch, if any, into the cost-shifting account."""
        current = self.delays.pop(i, None)
        if current is None:
            return
        t = self.env.now
        self.occupancy.add(f"delayed:{current.reason}", -1, t)
        self.ledger.record_delay(i, current.since, t, current.reason, current.caused_by,
                                 self.bed_payer)

    def set_unmet(self, i: int, unmet: bool) -> None:
        """Mark unmet need (waiting at home for care); raises the crisis hazard."""
        self.pop.unmet[i] = unmet
        self.refresh(i)

    def enter_bed(self, i: int) -> None:
        """Record the start of an acute bed stay."""
        self.pop.in_bed_since[i] = self.env.now

    def leave_bed(self, i: int) -> None:
        """Record the end of an acute bed stay (for Little's law and length-of-stay checks)."""
        since = float(self.pop.in_bed_since[i])
        if not math.isnan(since):
            self.pop.in_bed_since[i] = math.nan
            self.log.record(since, i, "bed_stay", "acute", value=self.env.now - since)

    def in_bed(self) -> list[int]:
        """People in an acute bed now."""
        return [i for i in range(self.pop.n) if not math.isnan(self.pop.in_bed_since[i])]

    def alive(self, i: int) -> bool:
        return int(self.pop.state[i]) != DEAD


class Journeys:
    """The live journey process of each person (at most one), so it can be interrupted."""

    def __init__(self, env: simpy.Environment):
        self.env = env
        self.running: dict[int, simpy.Process] = {}

    def start(self, i: int, journey: Generator) -> simpy.Process:
        """Start person i's journey process (replacing any finished one)."""
        process = self.env.process(journey)
        self.running[i] = process
        return process

    def busy(self, i: int) -> bool:
        """True while person i is in a journey process."""
        return i in self.running

    def finish(self, i: int) -> None:
        """Person i's journey process has ended (or handed over to the next one)."""
        self.running.pop(i, None)

    def interrupt(self, i: int, cause: str) -> None:
        """Stop person i's journey (a crisis or death); the process gives back what it holds."""
        process = self.running.pop(i, None)
        if process is not None and process.is_alive and process is not self.env.active_process:
            process.interrupt(cause)
