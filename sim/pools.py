"""Counting pools of interchangeable units: beds, places, home-care hours.

Every community capacity is a first-come-first-served counting pool (:class:`Capacity`). A
counting design matters: ``simpy.Resource`` releases in O(capacity), too slow for thousands of
care-home beds or home-care hours, and ``simpy.Container`` schedules two events per use.
Care-home beds are a :class:`CareHomeBeds`: a vacated room is not usable at once, and a home
may decline a person it is offered. A pool split into localities is a
:class:`sim.localities.Areas` of these; the shared pool is its own only locality
(:meth:`Capacity.area`).
"""

from __future__ import annotations

from collections import deque

import simpy


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

    def occupy(self, amount: float = 1.0) -> None:
        """Units taken by the starting stock (residents, clients): no queue, no offer."""
        self.level -= amount

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

    def area(self, k: int) -> Capacity:
        """Locality k's pool: a shared pool is its own only locality."""
        return self

    @property
    def in_use(self) -> float:
        """Units allocated now."""
        return self.units - self.level

    @property
    def queue_length(self) -> int:
        """Requests waiting."""
        return len(self.queue)


class CareHomeBeds(Capacity):
    """Care-home beds whose vacancies open and close (``care_homes.vacancy_turnaround_days``,
    ``care_homes.decline_share``).

    * A vacated room (a resident died) is not usable for ``turnaround_days``: it is cleared and
      cleaned and the home reviews its list; only then is it offered. The beds in turnaround are
      neither free nor occupied (their time integral is kept for Little's law).
    * Each offer of a free bed to a person is declined with ``decline_share`` (the home's own
      assessment: complex needs, behaviour, the council's rate). The bed is offered to the next
      in the queue, or stays open for the next arrival; the declined person keeps their place
      and is offered again when another vacancy opens. Offers are made when a bed becomes
      usable and when a person joins the queue, each an independent draw of the named stream
      ``rng`` (a numpy Generator: ``care_home_decline``).

    With both at 0 it is a :class:`Capacity` (the same grants in the same order, no draws).
    """

    def __init__(self, env: simpy.Environment, name: str, units: float,
                 turnaround_days: float = 0.0, decline_share: float = 0.0, rng=None):
        super().__init__(env, name, units)
        self.turnaround_days, self.decline_share, self.rng = turnaround_days, decline_share, rng
        self.turning = 0.0                     # beds in turnaround now
        self._turning_area, self._since = 0.0, 0.0
        self.offers = self.declines = 0

    def _declined(self) -> bool:
        self.offers += 1
        declined = bool(self.rng.random() < self.decline_share)
        self.declines += declined
        return declined

    def request(self, amount: float = 1.0) -> simpy.events.Event:
        """As :meth:`Capacity.request`; a free bed is offered to the newcomer, who may be
        declined (and then queues)."""
        if self.decline_share <= 0:
            return super().request(amount)
        event = simpy.Event(self.env)
        if self.level >= amount and not self._declined():
            self.level -= amount
            event._ok, event._value, event.callbacks = True, None, None  # processed: no wait
        else:
            self.queue.append((event, amount))
        return event

    def cancel(self, request: simpy.events.Event, amount: float = 1.0) -> None:
        """Withdraw a request; leaving the queue opens no vacancy, so nobody is offered one."""
        if self.decline_share <= 0 or request.triggered:
            super().cancel(request, amount)
            return
        self.queue = deque(item for item in self.queue if item[0] is not request)

    def _grant(self) -> None:
        if self.decline_share <= 0:
            super()._grant()
            return
        kept: deque = deque()
        while self.queue:
            event, amount = self.queue.popleft()
            if self.level >= amount and not self._declined():
                self.level -= amount
                event.succeed()
            else:
                kept.append((event, amount))
        self.queue = kept

    def vacate(self, amount: float = 1.0) -> None:
        """A resident left: the room is usable again after the turnaround."""
        if self.turnaround_days <= 0:
            self.release(amount)
            return
        self._turn(amount)
        self.env.timeout(self.turnaround_days).callbacks.append(
            lambda _e: self._reopen(amount))

    def _reopen(self, amount: float) -> None:
        self._turn(-amount)
        self.release(amount)

    def _turn(self, delta: float) -> None:
        now = self.env.now
        self._turning_area += self.turning * (now - self._since)
        self._since, self.turning = now, self.turning + delta

    def turnaround_bed_days(self) -> float:
        """Bed days spent in turnaround from the start to now."""
        return self._turning_area + self.turning * (self.env.now - self._since)


class DailyQuota:
    """A number of slots per calendar day (a service that sees so many people a day, such as
    a front-door frailty team), renewed at each midnight of simulated time."""

    def __init__(self, per_day: int):
        self.per_day = per_day
        self.day, self.used = -1, 0

    def take(self, now: float) -> bool:
        """Take one of today's slots; False if none is left today."""
        day = int(now)
        if day != self.day:
            self.day, self.used = day, 0
        if self.used >= self.per_day:
            return False
        self.used += 1
        return True
