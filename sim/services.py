"""Capacity-limited services: beds, places, home-care hours and assessment teams.

Every capacity is a first-come-first-served counting pool on top of ``simpy.Container`` (which
serves its queue strictly in order): acute beds, intermediate-care beds, reablement places,
care-home beds and home-care hours per week. A counting design matters: ``simpy.Resource``
releases in O(capacity), too slow for thousands of care-home beds or home-care hours.
Assessment teams are ``simpy.Resource`` objects (tens of staff).
"""

from __future__ import annotations

import simpy


class Capacity:
    """A FIFO pool of interchangeable units (beds, places, hours)."""

    def __init__(self, env: simpy.Environment, name: str, units: float):
        self.name = name
        self.units = units
        self._container = simpy.Container(env, capacity=max(units, 1e-9), init=max(units, 1e-9))
        if units <= 0:
            self._container = simpy.Container(env, capacity=1.0, init=0.0)

    def request(self, amount: float = 1.0) -> simpy.events.Event:
        """Event that fires when ``amount`` units are allocated (queue in arrival order)."""
        return self._container.get(amount)

    def cancel(self, request: simpy.events.Event, amount: float = 1.0) -> None:
        """Withdraw a request; if it was already granted, give the units back."""
        if request.triggered:
            self.release(amount)
        else:
            request.cancel()

    def release(self, amount: float = 1.0) -> None:
        """Give units back."""
        self._container.put(amount)

    @property
    def in_use(self) -> float:
        """Units allocated now."""
        return self._container.capacity - self._container.level if self.units > 0 else 0.0

    @property
    def queue_length(self) -> int:
        """Requests waiting."""
        return len(self._container.get_queue)


class Services:
    """All capacity pools of a place."""

    def __init__(self, env: simpy.Environment, cfg):
        self.acute_beds = Capacity(env, "acute_beds", cfg.acute.beds)
        self.escalation_beds = Capacity(env, "escalation_beds", cfg.acute.escalation_beds)
        self.ic_beds = Capacity(env, "ic_beds", cfg.intermediate_care.beds)
        self.reablement = Capacity(env, "reablement", cfg.reablement.places)
        self.home_care_hours = Capacity(env, "home_care_hours",
                                        cfg.home_care.capacity_hours_per_week)
        self.care_home_beds = Capacity(env, "care_home_beds", cfg.care_homes.beds)
        self.urgent_response = Capacity(env, "urgent_response",
                                        cfg.avoidance.urgent_response_slots)
        self.teams = {
            "nhs": simpy.Resource(env, capacity=cfg.assessment.nhs_assessors),
            "la": simpy.Resource(env, capacity=cfg.assessment.la_social_workers),
        }

    def free_now(self, capacity: Capacity, amount: float = 1.0) -> bool:
        """True if ``amount`` units are free and nobody is queueing."""
        return capacity.queue_length == 0 and capacity.units - capacity.in_use >= amount
