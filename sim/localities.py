"""Community capacity in localities, not one perfectly shared pool.

A home-care market is not one pool: a carer works a patch (travel time between visits), and
councils commission home care by zone; reablement teams are locality teams; a family looks
for a care home within reach. ``home_care.localities``, ``reablement.localities`` and
``care_homes.localities`` split each service's units into that many equal locality pools
(:class:`Areas`). A person lives in one area: a uniform draw made once per person from the
keyed stream ``locality`` (population column ``locality_draw``), so that patch k of n is the
same area for every service (with 8 home-care patches and 4 care-home localities, patches 2k
and 2k+1 lie in locality k). A request goes to its own locality's pool. Home care and
reablement never cross. A person waiting for a care home takes a vacancy in any locality after
``care_homes.out_of_area_after_days`` (families widen the search; :class:`CareHomeAreas`), as
the bed manager places an acute outlier (:mod:`sim.wards`). The bed's locality is kept in the
population column ``care_home_locality``, so the bed is vacated where it is.

With one locality (the default) a service's capacity is the shared pool itself (a
:class:`sim.pools.Capacity`, whose ``area(k)`` is itself) and nothing is drawn.
Smaller pools wait longer at the same utilisation: n localities of c units each queue as n
Erlang-C systems of c servers, not one of n*c.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import simpy

from .pools import Capacity, CareHomeBeds


def locality(pop, streams, i: int, n: int) -> int:
    """Person i's locality of ``n`` (0 when n = 1, without a draw)."""
    if n <= 1:
        return 0
    u = pop.locality_draw[i]
    if math.isnan(u):
        u = pop.locality_draw[i] = streams.person_uniform("locality", i)
    return min(int(u * n), n - 1)


def localities_of(pop, streams, ids: np.ndarray, n: int) -> np.ndarray:
    """:func:`locality` of many people at once: the same draws (a person without one gets it
    now) and the same arithmetic, in numpy."""
    if n <= 1:
        return np.zeros(len(ids), dtype=np.int64)
    draws = np.array([pop.locality_draw[i] for i in ids.tolist()], dtype=float)
    for j in np.flatnonzero(np.isnan(draws)).tolist():
        locality(pop, streams, int(ids[j]), n)
        draws[j] = pop.locality_draw[int(ids[j])]
    return np.minimum((draws * n).astype(np.int64), n - 1)


def split(units: float, n: int) -> list[float]:
    """Units of each of ``n`` equal localities: whole units (beds, places) within one of each
    other, or an equal share of hours."""
    if isinstance(units, int):
        return [units // n + (k < units % n) for k in range(n)]
    return [units / n] * n


class Areas:
    """A service's units in locality pools that never cross (home care, reablement).

    Totals (``units``, ``level``, ``in_use``, ``queue_length``) are sums over the localities,
    so occupancy series and KPIs stay totals; ``area(k)`` is locality k's pool.
    """

    def __init__(self, pools: list):
        self.pools = pools
        self.name = pools[0].name

    def area(self, k: int):
        """Locality k's pool."""
        return self.pools[k]

    def __len__(self) -> int:
        return len(self.pools)

    @property
    def units(self) -> float:
        return sum(p.units for p in self.pools)

    @property
    def level(self) -> float:
        return sum(p.level for p in self.pools)

    @property
    def in_use(self) -> float:
        return sum(p.in_use for p in self.pools)

    @property
    def queue_length(self) -> int:
        return sum(p.queue_length for p in self.pools)

    def add_units(self, amount: float) -> None:
        """More capacity (reinvestment), spread equally over the localities."""
        for pool, share in zip(self.pools, split(amount, len(self.pools))):
            if share:
                pool.add_units(share)

    def remove_units(self, amount: float) -> None:
        """Less capacity, taken equally from the localities."""
        for pool, share in zip(self.pools, split(amount, len(self.pools))):
            pool.remove_units(share)


class CareHomeArea(CareHomeBeds):
    """One locality's care-home beds; a request waiting here widens to every locality after
    the group's ``out_of_area_after_days``."""

    def __init__(self, group: CareHomeAreas, k: int, env, name, units, *market):
        super().__init__(env, name, units, *market)
        self.group, self.k = group, k

    def request(self, amount: float = 1.0) -> simpy.events.Event:
        """As :meth:`sim.pools.CareHomeBeds.request`; a request that waits is widened later."""
        event = super().request(amount)
        if not event.triggered:
            self.env.timeout(self.group.after_days).callbacks.append(
                lambda _e: self.group.widen(event, self))
        return event

    def cancel(self, request: simpy.events.Event, amount: float = 1.0) -> None:
        """Withdraw a request, or give its bed back to the locality that granted it."""
        self.group.wide = [w for w in self.group.wide if w[0] is not request]
        granted_in = self.group.granted.pop(request, self.k)
        if request.triggered:
            self.group.pools[granted_in].release(amount)
            return
        super().cancel(request, amount)

    def _grant(self) -> None:
        super()._grant()
        self.group.spill(self)


class CareHomeAreas(Areas):
    """Care-home beds in localities; a person waiting ``after_days`` for one takes a vacancy
    in any locality (in order of widening; each offer may be declined as any other)."""

    def __init__(self, env, name: str, units: int, n: int, after_days: float, *market):
        self.after_days = after_days
        self.wide: list[tuple[simpy.Event, CareHomeArea]] = []   # widened, in order
        self.granted: dict[simpy.Event, int] = {}    # request -> locality, when out of area
        super().__init__([CareHomeArea(self, k, env, name, u, *market)
                          for k, u in enumerate(split(units, n))])

    @property
    def offers(self) -> int:
        return sum(p.offers for p in self.pools)

    @property
    def declines(self) -> int:
        return sum(p.declines for p in self.pools)

    def turnaround_bed_days(self) -> float:
        return sum(p.turnaround_bed_days() for p in self.pools)

    def widen(self, request: simpy.events.Event, home: CareHomeArea) -> None:
        """The family widens the search: the request may take a bed in any locality."""
        if request.triggered or not any(item[0] is request for item in home.queue):
            return
        self.wide.append((request, home))
        for pool in sorted(self.pools, key=lambda p: -p.level):
            if request.triggered or pool.level < 1:
                break
            self._offer(pool, request, home)

    def spill(self, pool: CareHomeArea) -> None:
        """Beds ``pool`` has free after its own queue go to widened requests, in order."""
        self.wide = [w for w in self.wide if not w[0].triggered]   # served at home meanwhile
        for request, home in list(self.wide):
            if pool.level < 1:
                return
            self._offer(pool, request, home)

    def _offer(self, pool: CareHomeArea, request, home: CareHomeArea) -> None:
        if pool.decline_share > 0 and pool._declined():
            return
        home.queue = deque(item for item in home.queue if item[0] is not request)
        self.wide = [w for w in self.wide if w[0] is not request]
        pool.level -= 1
        if pool is not home:
            self.granted[request] = pool.k
        request.succeed()

    def settle(self, request) -> int | None:
        """The locality whose bed a kept request holds, if not its own (out of area)."""
        return self.granted.pop(request, None)


def build(env, name: str, units, n: int) -> Capacity | Areas:
    """The pool of a service: shared (n = 1) or in ``n`` localities that never cross."""
    if n <= 1:
        return Capacity(env, name, units)
    return Areas([Capacity(env, name, u) for u in split(units, n)])
