"""Per-person hazard clocks: crises, deaths, frailty changes and new care needs.

The next-reaction method: each person has one exponential threshold per event kind, drawn from
their own keyed stream, and the event fires when the integrated hazard reaches it. A hazard
that changes (a discharge, a new package, the end of a readmission window) only rescales the
remaining threshold, so no person needs an always-live SimPy process and the same person meets
the same crisis under every arrangement unless the arrangement changed their history. Crisis
hazards run on a seasonal "operational clock" (winter months tick faster, ``crisis.winter_uplift``,
normalised so a whole year keeps the published rate), which avoids rescheduling everyone on
1 December.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable

import numpy as np

from .clock import Clock
from .engine import Engine
from .hazards import Hazards
from .population import DEAD, Population
from .rng import Streams

CRISIS, DEATH, FRAILTY, NEED = range(4)
CLOCK_NAMES = ("crisis", "death", "frailty", "need")


class HazardClocks:
    """The four hazard clocks of every person; ``fire(kind, person)`` acts when one rings."""

    def __init__(self, env: Engine, clock: Clock, streams: Streams, pop: Population,
                 hazards: Hazards, winter_uplift: float, horizon: float,
                 fire: Callable[[int, int], None]):
        self.env, self.streams, self.pop, self.horizon = env, streams, pop, horizon
        self.hazards = hazards
        self.fire = fire
        self._ring_call = self._ring   # one bound method for every ring tuple
        # plain lists: element access on numpy arrays is several times slower in the hot path
        n = pop.capacity
        self.remaining = [[-1.0] * n for _ in range(4)]
        self.rate = [[0.0] * n for _ in range(4)]
        self.since = [[0.0] * n for _ in range(4)]
        self.token = [[0] * n for _ in range(4)]
        factor = (1.0 + winter_uplift * clock.winter.astype(float)) / \
            (1.0 + winter_uplift * 4.0 / 12.0)
        self._season_factor = factor.tolist()
        self._season_cum = np.concatenate([[0.0], np.cumsum(factor)]).tolist()

    def grow(self) -> None:
        """Make room for people added since (entrants)."""
        extra = self.pop.capacity - len(self.rate[0])
        if extra > 0:
            for k in range(4):
                self.remaining[k].extend([-1.0] * extra)
                self.rate[k].extend([0.0] * extra)
                self.since[k].extend([0.0] * extra)
                self.token[k].extend([0] * extra)

    def operational_time(self, t: float) -> float:
        """Seasonal time: integral of the winter factor from 0 to t."""
        d = int(t)
        return self._season_cum[d] + self._season_factor[d] * (t - d)

    def _calendar_time(self, s: float) -> float:
        d = bisect.bisect_right(self._season_cum, s) - 1
        d = min(max(d, 0), len(self._season_factor) - 1)
        return d + (s - self._season_cum[d]) / self._season_factor[d]

    def _calendar_times(self, s: np.ndarray) -> np.ndarray:
        """:meth:`_calendar_time` of many operational times (inf stays inf)."""
        cum, factor = np.asarray(self._season_cum), np.asarray(self._season_factor)
        d = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(factor) - 1)
        finite = np.isfinite(s)
        out = np.full(len(s), np.inf)
        out[finite] = d[finite] + (s[finite] - cum[d[finite]]) / factor[d[finite]]
        return out

    def refresh(self, i: int) -> None:
        """Recompute person i's hazards and reschedule the clocks whose rate changed."""
        t = self.env.now
        if self.pop.state[i] == DEAD:
            for k in range(4):
                self.set_rate(k, i, 0.0, t)
            return
        rate, remaining = self.rate, self.remaining
        crisis, death, frailty, need = self.hazards.rates(self.pop, i, t)
        # unchanged and scheduled (or off): nothing to do, without a call (hot path)
        if crisis != rate[0][i] or (crisis != 0.0 and remaining[0][i] < 0):
            self.set_rate(CRISIS, i, crisis, t)
        if death != rate[1][i] or (death != 0.0 and remaining[1][i] < 0):
            self.set_rate(DEATH, i, death, t)
        if frailty != rate[2][i] or (frailty != 0.0 and remaining[2][i] < 0):
            self.set_rate(FRAILTY, i, frailty, t)
        if need != rate[3][i] or (need != 0.0 and remaining[3][i] < 0):
            self.set_rate(NEED, i, need, t)

    def set_rate(self, k: int, i: int, new: float, t: float) -> None:
        """Change clock k of person i to a new rate at time t, keeping its threshold."""
        rate, remaining = self.rate[k], self.remaining[k]
        old = rate[i]
        left = remaining[i]
        if old == new and (new == 0.0 or left >= 0):
            return
        if k == CRISIS:   # seasonal operational time (inlined operational_time: hot path)
            d = int(t)
            now = self._season_cum[d] + self._season_factor[d] * (t - d)
        else:
            now = t
        since = self.since[k]
        if old > 0 and left >= 0:
            left = left - old * (now - since[i])
            if left < 0.0:
                left = 0.0
        rate[i] = new
        since[i] = now
        tokens = self.token[k]
        token = tokens[i] + 1
        tokens[i] = token
        if new <= 0:
            remaining[i] = left
            return
        if left < 0:
            left = -math.log(self.streams.person_uniform(CLOCK_NAMES[k], i))
        remaining[i] = left
        target = now + left / new
        when = self._calendar_time(target) if k == CRISIS else target
        if when >= self.horizon:
            return
        self.env.call_later(when - t if when > t else 0.0, (self._ring_call, k, i, token))

    def set_rates(self, k: int, ids: np.ndarray, new: np.ndarray, t: float) -> None:
        """:meth:`set_rate` for many people at once (the start, the yearly mortality review).

        The same arithmetic as :meth:`set_rate`, element by element in numpy (so the same
        doubles), then one threshold draw per clock that needs one and one ring per clock that
        is due before the horizon.
        """
        rate_list, remaining_list = self.rate[k], self.remaining[k]
        since_list, token_list = self.since[k], self.token[k]
        old = np.array(rate_list)[ids]
        left = np.array(remaining_list)[ids]
        change = ~((old == new) & ((new == 0.0) | (left >= 0)))
        ids, old, left, new = ids[change], old[change], left[change], new[change]
        now = self.operational_time(t) if k == CRISIS else t
        running = (old > 0) & (left >= 0)
        since = np.array(since_list)[ids]
        left = np.where(running, np.maximum(left - old * (now - since), 0.0), left)
        fresh = (new > 0) & (left < 0)
        uniform = self.streams.person_uniform
        name = CLOCK_NAMES[k]
        left[fresh] = [-math.log(uniform(name, i)) for i in ids[fresh].tolist()]
        target = np.where(new > 0, now + left / np.where(new > 0, new, 1.0), np.inf)
        when = self._calendar_times(target) if k == CRISIS else target
        delay = np.where(when > t, when - t, 0.0)
        call, ring = self.env.call_later, self._ring_call
        for i, rate, remaining, due, wait in zip(ids.tolist(), new.tolist(), left.tolist(),
                                                 when.tolist(), delay.tolist()):
            rate_list[i] = rate
            since_list[i] = now
            token = token_list[i] + 1
            token_list[i] = token
            remaining_list[i] = remaining
            if rate > 0 and due < self.horizon:
                call(wait, (ring, k, i, token))

    def _ring(self, call: tuple) -> None:
        _, k, i, token = call
        if self.token[k][i] != token:
            return
        self.rate[k][i] = 0.0
        self.remaining[k][i] = -1.0
        self.token[k][i] += 1
        self.fire(k, i)
