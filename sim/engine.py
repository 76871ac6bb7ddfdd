"""The event loop of one replication: SimPy's, with a faster run loop and bare calls.

:class:`Engine` is a ``simpy.Environment`` that

* runs ``run(until=t)`` in one tight loop (no method call, no stop event and no exception per
  event) that processes the events in exactly SimPy's order: by time, priority, then
  scheduling order, stopping before anything at ``t`` itself, as SimPy's own stop event does;
* takes *calls* - a hazard clock ringing, a birthday moving someone up an age band, the end
  of a readmission window - as plain tuples ``(function, *arguments)`` in the same heap
  (:meth:`Engine.call_later`; the function is called with the tuple), ordered by the same
  (time, priority, sequence number) key as every event, so the order of events, and with it
  every result, is what a ``Timeout`` with a callback would give, without allocating one;
* keeps events and calls due on a later day out of the heap, in one list per day, and moves a
  day's entries into the heap (each with the sequence number it was given when scheduled)
  before the first event of that day: the heap holds the day reached (~100 entries at the
  default place) instead of every person's next hazard ring and every long wait (~81,000),
  so each push and pop is cheaper, and the order of events is unchanged;
* counts processed events (the benchmark's events per second).
"""

from __future__ import annotations

from heapq import heappop, heappush
from math import floor, inf

import simpy
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import NORMAL, Event


class Engine(simpy.Environment):
    """A SimPy environment with a fast run loop, bare calls and an event count."""

    def __init__(self):
        super().__init__()
        self.events_processed = 0
        self._open_until = 1.0               # everything due before this time is in the heap
        self._later: dict[int, list] = {}    # day -> entries due that day, not yet in the heap
        self._later_days: list[int] = []     # a heap of the days in ``_later``

    def call_later(self, delay: float, call: tuple) -> None:
        """Call ``call[0](call)`` after ``delay`` (>= 0), as a NORMAL-priority event."""
        self.schedule(call, NORMAL, delay)

    def schedule(self, event, priority=NORMAL, delay: float = 0) -> None:
        """Schedule an event (or a call) ``delay`` from now (SimPy's ``schedule``): into the
        heap if due before the end of the days already reached, else into its day's list."""
        entry = (self._now + delay, priority, next(self._eid), event)
        if entry[0] < self._open_until or entry[0] == inf:   # inf: never due, as in SimPy
            heappush(self._queue, entry)
            return
        day = int(entry[0])
        calls = self._later.get(day)
        if calls is None:
            self._later[day] = [entry]
            heappush(self._later_days, day)
        else:
            calls.append(entry)

    def _next_time(self) -> float:
        """The time of the next event or call (inf if none), first moving the entries of every
        day up to it into the heap, so that the heap's first entry is the next to process."""
        queue, days = self._queue, self._later_days
        while True:
            first = queue[0][0] if queue else inf
            if first < self._open_until:
                return first
            if not days or days[0] > first:   # no day's entries come before the heap's first
                if first < inf:
                    self._open_until = floor(first) + 1.0
                return first
            day = heappop(days)
            for entry in self._later.pop(day):
                heappush(queue, entry)
            self._open_until = day + 1.0

    def peek(self) -> float:
        """The time of the next event or call (SimPy's ``peek``, calls included)."""
        return self._next_time()

    def step(self) -> None:
        """Process the next event or call (SimPy's ``step``, calls included); a wait with no
        end (an infinite delay) is never processed: with only those left, the schedule is
        empty."""
        if self._next_time() == inf:
            raise EmptySchedule
        self._now, _, _, event = heappop(self._queue)
        self.events_processed += 1
        if event.__class__ is tuple:
            event[0](event)
            return
        callbacks, event.callbacks = event.callbacks, None
        try:
            for callback in callbacks:
                callback(event)
        except StopSimulation:
            event.callbacks = callbacks[callbacks.index(callback) + 1:]
            self.schedule(event, simpy.events.URGENT)
            raise
        if not event._ok and not hasattr(event, "_defused"):
            _crash(event)

    def run(self, until=None):
        """Run until a time (the fast loop), an event, or the end of the schedule."""
        if until is None or isinstance(until, Event):
            return super().run(until)
        until = float(until)
        if until <= self._now:
            raise ValueError(f"until (={until}) must be greater than the current simulation "
                             f"time")
        queue, count, open_until = self._queue, 0, self._open_until
        try:
            while True:
                if not queue or queue[0][0] >= open_until:   # the day's end: open the next
                    if self._next_time() >= until:
                        break
                    open_until = self._open_until
                elif queue[0][0] >= until:
                    break
                self._now, _, _, event = heappop(queue)
                count += 1
                if event.__class__ is tuple:
                    event[0](event)
                    continue
                callbacks, event.callbacks = event.callbacks, None
                for callback in callbacks:
                    callback(event)
                if not event._ok and not hasattr(event, "_defused"):
                    _crash(event)
        finally:
            self.events_processed += count
        self._now = until
        return None


def _crash(event: Event) -> None:
    """A failed event nobody defused crashes the run (as in SimPy)."""
    exc = type(event._value)(*event._value.args)
    exc.__cause__ = event._value
    raise exc
