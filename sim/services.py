"""Capacity-limited services: beds, places, home-care hours and assessment teams.

Every capacity is a first-come-first-served counting pool (:class:`Capacity`):
intermediate-care beds, reablement places, care-home beds and home-care hours per week; acute
beds are the same pool split into ward groups (:class:`sim.wards.AcuteBeds`). A
counting design matters: ``simpy.Resource`` releases in O(capacity), too slow for thousands of
care-home beds or home-care hours, and ``simpy.Container`` schedules two events per use.
Assessment teams are ``simpy.Resource`` objects (tens of staff).
"""

from __future__ import annotations

from collections import deque

import simpy

from .wards import AcuteBeds


class Capacity:
    """A first-come-first-served pool of interchangeable units (beds, places, hours).

    A counting design rather than ``simpy.Container``: a request that can be met at once
    returns an already-processed event, so the requesting process continues without touching
    the event queue, and a release only schedules events for requests that were waiting. The
    queue is strict FIFO (a large request at the head holds back smaller ones behind it).
    """

    def __init__(self, env: simpy.Environment, name: str, units: float):
        self.env = env
        self.name = name
        self.units = units
        self.level = units
        self.queue: deque[tuple[simpy.Event, float]] = deque()

    def request(self, amount: float = 1.0) -> simpy.events.Event:
        """Event that fires when ``amount`` units are allocated (queue in arrival order)."""
        event = simpy.Event(self.env)
        if not self.queue and self.level >= amount:
            self.level -= amount
            event._ok, event._value, event.callbacks = True, None, None  # processed: no wait
        else:
            self.queue.append((event, amount))
        return event

    def cancel(self, request: simpy.events.Event, amount: float = 1.0) -> None:
        """Withdraw a request; if it was already granted, give the units back."""
        if request.triggered:
            self.release(amount)
            return
        self.queue = deque(item for item in self.queue if item[0] is not request)
        self._grant()

    def release(self, amount: float = 1.0) -> None:
        """Give units back and serve waiting requests in order."""
        self.level += amount
        self._grant()

    def add_units(self, amount: float) -> None:
        """More capacity in service (reinvestment): waiting requests may now be served."""
        self.units += amount
        self.release(amount)

    def remove_units(self, amount: float) -> None:
        """Less capacity (closure): units in use are not taken back but not replaced either."""
        self.units -= amount
        self.level -= amount

    def _grant(self) -> None:
        while self.queue and self.level >= self.queue[0][1]:
            event, amount = self.queue.popleft()
            self.level -= amount
            event.succeed()

    @property
    def in_use(self) -> float:
        """Units allocated now."""
        return self.units - self.level

    @property
    def queue_length(self) -> int:
        """Requests waiting."""
        return len(self.queue)


class Holding:
    """Capacity a process holds or is queueing for, so an interruption can give it back.

    Waiting requests are counted in the occupancy as ``waiting:<capacity name>``.
    """

    def __init__(self, env: simpy.Environment, occupancy):
        self.env, self.occupancy = env, occupancy
        self.items: list[list] = []

    def acquire(self, capacity: Capacity, amount: float = 1.0):
        """Queue for ``amount`` units of ``capacity``; returns the request event."""
        req = capacity.request(amount)
        waiting = not req.triggered
        if waiting:
            self.occupancy.add(f"waiting:{capacity.name}", 1, self.env.now)
        item = [capacity, req, amount, waiting]
        self.items.append(item)
        if waiting:
            req.callbacks.append(lambda _e, item=item: self._granted(item))
        return req

    def _granted(self, item):
        if item[3]:
            item[3] = False
            self.occupancy.add(f"waiting:{item[0].name}", -1, self.env.now)

    def release(self, capacity: Capacity) -> None:
        """Give back what is held of ``capacity`` (or withdraw the request)."""
        for item in list(self.items):
            if item[0] is capacity:
                self._drop(item)

    def _drop(self, item):
        capacity, req, amount, waiting = item
        if waiting:
            item[3] = False
            self.occupancy.add(f"waiting:{capacity.name}", -1, self.env.now)
        capacity.cancel(req, amount)
        self.items.remove(item)

    def keep(self, capacity: Capacity) -> None:
        """Hand the held units over to the person (released when their stay ends)."""
        self.items = [it for it in self.items if it[0] is not capacity]

    def release_all(self) -> None:
        """Give back everything (on interruption)."""
        for item in list(self.items):
            self._drop(item)


class Services:
    """All capacity pools of a place."""

    def __init__(self, env: simpy.Environment, cfg):
        self.acute_beds = AcuteBeds(env, "acute_beds", cfg.acute.beds, cfg.acute.wards)
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
