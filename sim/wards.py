"""Acute beds split into ward groups, and the bed manager who places outliers.

A hospital does not run its general and acute beds as one perfectly shared pool: beds belong
to wards (specialty, sex, isolation), and an emergency admission waits for a bed in its own
ward group while another group may have one free. After ``acute.outlier_after_hours`` of
boarding - at once if every funded bed is full - the bed manager places the patient in the
first bed free in any group (an "outlier"). Smaller pools must run at lower mean occupancy for
the same risk of a bed shortage (Bagust, Place & Posnett 1999; Jones 2011), which is why
hospitals get into trouble at mean occupancy well below 100%.

:class:`AcuteBeds` is the whole hospital's funded beds: one first-come-first-served queue of
boarders, each waiting for their own group or, once placed as an outlier, for any group. A
:class:`Ward` is one group's face of it with the ``name``, ``request`` and ``cancel`` of a
:class:`sim.services.Capacity`, so a :class:`sim.services.Holding` acquires, releases and
counts it (``waiting:acute_beds``: boarders in every group) as any capacity. With one group it
is the shared pool: the same grants in the same order as a :class:`~sim.services.Capacity`.
"""

from __future__ import annotations

import simpy


class AcuteBeds:
    """The funded acute beds in ``groups`` ward groups of (nearly) equal size.

    Parameters
    ----------
    env : the simulation environment.
    name : the capacity's name in the occupancy series (``acute_beds``).
    units : funded beds.
    groups : ward groups (1: one shared pool). More groups than beds leaves some empty.
    """

    def __init__(self, env: simpy.Environment, name: str, units: int, groups: int):
        self.env, self.name = env, name
        self.funded = [units // groups + (k < units % groups) for k in range(groups)]
        self.free = list(self.funded)
        self.queue: list[list] = []          # [request, group, anywhere], in arrival order
        self.granted: dict[simpy.Event, int] = {}   # request -> group whose bed it holds
        self.wards = [Ward(self, k) for k in range(groups)]

    # --- the whole hospital --------------------------------------------------------------
    @property
    def units(self) -> int:
        """Funded beds in every group."""
        return sum(self.funded)

    @property
    def in_use(self) -> int:
        """Beds occupied (or granted) now."""
        return self.units - sum(self.free)

    @property
    def queue_length(self) -> int:
        """Boarders waiting for a funded bed."""
        return len(self.queue)

    @property
    def full(self) -> bool:
        """True when no group has a free funded bed."""
        return all(f < 1 for f in self.free)

    def ward_for(self, u: float) -> Ward:
        """The ward group of an admission with uniform draw ``u``: groups in proportion to
        their funded beds now, so that every group carries the same load."""
        target, acc = u * self.units, 0
        for ward, size in zip(self.wards, self.funded):
            acc += size
            if target < acc:
                return ward
        return max(self.wards, key=lambda w: self.funded[w.group])

    def remove_units(self, amount: int) -> None:
        """Close beds, one at a time from the largest group (groups stay within a bed of each
        other); beds in use are not taken back but not replaced either."""
        for _ in range(int(amount)):
            group = max(range(len(self.funded)), key=self.funded.__getitem__)
            self.funded[group] -= 1
            self.free[group] -= 1

    def add_units(self, amount: int) -> None:
        """Open beds, one at a time in the smallest group (groups stay within a bed of each
        other); each new bed goes at once to the first boarder who may take it."""
        for _ in range(int(amount)):
            group = min(range(len(self.funded)), key=self.funded.__getitem__)
            self.funded[group] += 1
            self.release(group)

    # --- requests ----------------------------------------------------------------------------
    def request(self, group: int) -> simpy.Event:
        """Event that fires when a bed of ``group`` is allocated (queue in arrival order)."""
        event = simpy.Event(self.env)
        if self.free[group] >= 1:
            self._allocate(event, group)
            event._ok, event._value, event.callbacks = True, None, None  # processed: no wait
        else:
            self.queue.append([event, group, False])
        return event

    def place_anywhere(self, request: simpy.Event) -> None:
        """The bed manager places a waiting boarder as an outlier: the bed free in the group
        with most free beds now, or else the first bed to free in any group."""
        for item in self.queue:
            if item[0] is request:
                item[2] = True
                group = max(range(len(self.free)), key=self.free.__getitem__)
                if self.free[group] >= 1:
                    self.queue.remove(item)
                    self._allocate(request, group)
                    request.succeed()
                return

    def cancel(self, request: simpy.Event) -> None:
        """Withdraw a request; if it was granted, give its bed back to its group."""
        if request.triggered:
            self.release(self.granted.pop(request))
            return
        self.queue = [item for item in self.queue if item[0] is not request]

    def release(self, group: int) -> None:
        """A bed of ``group`` frees: serve the first boarder who may take it."""
        self.free[group] += 1
        while self.free[group] >= 1:
            item = next((it for it in self.queue if it[1] == group or it[2]), None)
            if item is None:
                return
            self.queue.remove(item)
            self._allocate(item[0], group)
            item[0].succeed()

    def _allocate(self, request: simpy.Event, group: int) -> None:
        self.free[group] -= 1
        self.granted[request] = group


class Ward:
    """One ward group of :class:`AcuteBeds`, as a :class:`sim.services.Holding` sees it."""

    def __init__(self, beds: AcuteBeds, group: int):
        self.beds, self.group, self.name = beds, group, beds.name

    def request(self, amount: float = 1.0) -> simpy.Event:
        """Queue for a bed of this group (one bed, whatever ``amount``)."""
        return self.beds.request(self.group)

    def cancel(self, request: simpy.Event, amount: float = 1.0) -> None:
        """Withdraw the request, or give back the bed it was granted (in whichever group)."""
        self.beds.cancel(request)
