"""Integrated neighbourhood teams: zones, caseloads and proactive case management.

The place is split into zones of ``people_per_zone`` people aged 65+ (about 30,000 residents),
each with one team. A team case-manages people at moderate or severe frailty who live at home,
up to its caseload; others eligible wait in their zone's queue for a place. While
case-managed, a person's crisis hazard is multiplied by ``crisis_hazard_ratio`` (default
modest: evidence reviews find little effect). Teams are paid as a block, occupied or not, by
whoever pays for community nursing. Reinvested savings can buy more caseload places.
"""

from __future__ import annotations

from collections import deque

from .context import RunContext
from .population import HOME, HOME_CARE

MODERATE = 2


class Neighbourhood:
    """Zone teams and their caseloads for one replication (inactive unless configured)."""

    def __init__(self, ctx: RunContext):
        cfg = ctx.cfg.neighbourhood
        self.ctx = ctx
        self.active = cfg.case_management
        self.zones = max(1, round(ctx.cfg.population.size / cfg.people_per_zone))
        self.places_per_team = float(cfg.caseload_per_team)
        self.free = [self.places_per_team] * self.zones
        self.queue: list[deque[int]] = [deque() for _ in range(self.zones)]
        self.queued: set[int] = set()

    def start(self) -> None:
        """Open the teams' block contract and record the funded places."""
        if not self.active:
            return
        self.ctx.billing.neighbourhood_teams(self.zones)
        self.ctx.occupancy.add("funded:case_management_places",
                               self.zones * self.places_per_team, 0.0)

    def zone(self, i: int) -> int:
        """Zone of person i: drawn once from their own keyed stream (so the same under every
        arrangement), then kept."""
        pop = self.ctx.pop
        if pop.zone[i] < 0:
            pop.zone[i] = int(self.ctx.streams.person_uniform("zone", i) * self.zones)
        return int(pop.zone[i])

    def eligible(self, i: int) -> bool:
        """Moderate or severe frailty, alive and living at home (with or without care)."""
        pop = self.ctx.pop
        return pop.frailty[i] >= MODERATE and HOME <= pop.state[i] <= HOME_CARE

    def update(self, i: int) -> None:
        """Enrol, queue or discharge person i after a change in their state or frailty."""
        pop = self.ctx.pop
        if pop.case_managed[i]:
            if not self.eligible(i):
                self._leave(i)
        elif i not in self.queued and self.eligible(i):
            z = self.zone(i)
            if self.free[z] >= 1:
                self._enrol(i, z, refresh=False)  # the caller recomputes i's hazards
            else:
                self.queue[z].append(i)
                self.queued.add(i)

    def add_places(self, places: float) -> None:
        """Extra caseload places (reinvestment), spread over the zones."""
        per_zone = places / self.zones
        self.ctx.occupancy.add("funded:case_management_places", places, self.ctx.env.now)
        for z in range(self.zones):
            self.free[z] += per_zone
            self._fill(z)

    def _enrol(self, i: int, z: int, refresh: bool = True) -> None:
        ctx = self.ctx
        self.free[z] -= 1
        ctx.pop.case_managed[i] = True
        ctx.occupancy.add("case_managed", 1, ctx.env.now)
        if refresh:
            ctx.people.refresh(i)

    def _leave(self, i: int) -> None:
        ctx = self.ctx
        ctx.pop.case_managed[i] = False
        ctx.occupancy.add("case_managed", -1, ctx.env.now)
        z = self.zone(i)
        self.free[z] += 1
        self._fill(z)

    def _fill(self, z: int) -> None:
        queue = self.queue[z]
        while queue and self.free[z] >= 1:
            j = queue.popleft()
            self.queued.discard(j)
            if self.eligible(j):
                self._enrol(j, z)
