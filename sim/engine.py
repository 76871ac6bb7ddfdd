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
* counts processed events (the benchmark's events per second).
"""

from __future__ import annotations

from heapq import heappop, heappush

import simpy
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import NORMAL, Event


class Engine(simpy.Environment):
    """A SimPy environment with a fast run loop, bare calls and an event count."""

    def __init__(self):
        super().__init__()
        self.events_processed = 0

    def call_later(self, delay: float, call: tuple) -> None:
        """Call ``call[0](call)`` after ``delay`` (>= 0), as a NORMAL-priority event."""
        heappush(self._queue, (self._now + delay, NORMAL, next(self._eid), call))

    def step(self) -> None:
        """Process the next event or call (SimPy's ``step``, calls included)."""
        try:
            self._now, _, _, event = heappop(self._queue)
        except IndexError:
            raise EmptySchedule from None
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
        queue, count = self._queue, 0
        try:
            while queue and queue[0][0] < until:
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
