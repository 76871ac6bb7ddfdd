"""The run context: everything a journey process may touch, and nothing else.

Journey processes (:mod:`sim.hospital`, :mod:`sim.discharge`, :mod:`sim.decisions`,
:mod:`sim.community`, :mod:`sim.placements`) take one :class:`RunContext` instead of the
model: the environment and calendar, the random streams, the people and their journeys, the
capacity pools, the funding rules, billing, the event log and the occupancy. The model
(:mod:`sim.model`) builds it and runs the clock; journey code reads process parameters from
``cfg`` but never a price (billing owns those).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import simpy

from .billing import Billing
from .clock import Clock
from .config import Scenario
from .eventlog import EventLog
from .funding import FundingRules
from .hazards import Hazards
from .occupancy import Occupancy
from .people import Journeys, People
from .rng import Streams
from .services import Services


@dataclass
class RunContext:
    """What journey processes use. ``admit``, ``die`` and ``chc_found_eligible`` are the
    model's: an emergency admission process for a person, a death in the person's current
    state, and the registration of a person the discharge route found eligible for standard
    CHC, so that they are reviewed yearly (:func:`sim.chc.register`)."""

    env: simpy.Environment
    cfg: Scenario
    clock: Clock
    streams: Streams
    people: People
    hazards: Hazards
    journeys: Journeys
    services: Services
    rules: FundingRules
    billing: Billing
    log: EventLog
    occupancy: Occupancy
    horizon: float
    admit: Callable[[int], object]
    die: Callable[..., None]
    chc_found_eligible: Callable[[int], None]

    @property
    def pop(self):
        """The population's columns (shortcut for ``people.pop``)."""
        return self.people.pop

    def at(self, delay: float, action: Callable[[], None]) -> None:
        """Run ``action`` after ``delay`` days if that falls inside the run."""
        if delay >= 0 and self.env.now + delay < self.horizon:
            self.env.timeout(delay).callbacks.append(lambda _e: action())
