"""The simulation engine of one replication: people, clocks, states, money.

Community events (crisis, death, frailty change, a new care need) use the next-reaction method:
each person has one exponential threshold per event kind, drawn from their own keyed stream,
and the event fires when the integrated hazard reaches it. A hazard that changes (a discharge,
a new package, the end of a readmission window) only rescales the remaining threshold, so no
person needs an always-live SimPy process and the same person meets the same crisis under every
arrangement unless the arrangement changed their history. Crisis hazards run on a seasonal
"operational clock" (winter months tick faster), which avoids rescheduling everyone on
1 December.

The journey itself (admission, discharge process, services) lives in :mod:`sim.pathways`.
"""

from __future__ import annotations

import bisect
import gc
import math

import numpy as np
import simpy

from . import community, pathways
from .clock import Clock
from .config import AGE_BANDS, Scenario
from .costs import Ledger
from .eventlog import EventLog
from .fund import FundYear
from .funding import FundingRules
from .neighbourhood import Neighbourhood
from .population import (
    ACUTE_DELAYED,
    CARE_HOME,
    DEAD,
    HOME_WAITING_CARE,
    STATE_NAMES,
    YEAR,
    Hazards,
    Population,
    State,
    draw_people,
    pick_initial_states,
)
from .results import Occupancy
from .rng import Streams
from .savings import Savings
from .services import Services

CRISIS, DEATH, FRAILTY, NEED = range(4)
CLOCK_NAMES = ("crisis", "death", "frailty", "need")
DELAY_REASONS = ("assessment", "funding_decision", "service_capacity", "dispute",
                 "discharge_process")
WAITING = ("acute_beds", "escalation_beds", "ic_beds", "reablement", "home_care_hours",
           "care_home_beds")
FUNDED = ("acute_beds", "ic_beds", "reablement_places", "home_care_hours",
          "case_management_places")


class CountingEnvironment(simpy.Environment):
    """A SimPy environment that counts processed events (for the benchmark's events/second)."""

    def __init__(self):
        super().__init__()
        self.events_processed = 0

    def step(self):
        """Process the next event and count it."""
        self.events_processed += 1
        super().step()


class Model:
    """One replication of one scenario."""

    def __init__(self, cfg: Scenario, seed: int, replication: int, event_log: bool = False):
        self.cfg = cfg
        self.env = CountingEnvironment()
        self.streams = Streams(seed, replication)
        # whole days, so that daily means integrate exactly to the KPIs
        self.warmup = float(round(cfg.run.warmup_days))
        self.horizon = float(round(cfg.run.warmup_days + cfg.run.years * YEAR))
        self.clock = Clock(cfg.run.start_date, self.horizon)
        expected = cfg.population.size + int(cfg.population.entrants_per_year
                                             * (self.horizon / YEAR + 1)) + 16
        self.pop = Population(expected)
        self.ledger = Ledger()
        self.services = Services(self.env, cfg)
        self.funding = FundingRules(cfg, self.env, self.clock, self.ledger)
        keys = ([s.name.lower() for s in State if s != State.DEAD] + ["alive"]
                + [f"delayed:{r}" for r in DELAY_REASONS] + [f"waiting:{w}" for w in WAITING]
                + ["urgent_response", "case_managed"] + [f"alive:{b}" for b in AGE_BANDS]
                + [f"funded:{f}" for f in FUNDED])
        self.occupancy = Occupancy(keys, self.clock.days)
        self.log = EventLog(states=event_log)
        # per-person bookkeeping for people who hold something
        self.episodes: dict[int, list[int]] = {}
        self.process: dict[int, simpy.Process] = {}
        self.delay: dict[int, tuple[float, str, str]] = {}
        self.held_care_home: dict[int, int] = {}
        self.care_home_payer: dict[int, str] = {}   # who pays a resident's fees now
        self.in_bed: dict[int, float] = {}   # people in an acute bed now, since when
        self._last_discharge: dict[int, float] = {}
        self.pending_payer: dict[int, str] = {}
        self.chc_disputed: dict[int, tuple[float, str]] = {}
        self.home_care_holders: set[int] = set()
        self.interim: set[int] = set()       # on a discharge-to-assess package, not yet decided
        self.suspended_since: dict[int, float] = {}
        self.neighbourhood = Neighbourhood(self)
        self.savings = Savings(self)
        self.fund_year = FundYear(self)
        self._init_clocks()
        self._init_population()
        self.hazards = Hazards(cfg, self.pop)
        self.los_norm = self._length_of_stay_norm()
        self._init_seasonal_clock()

    # --- set-up ------------------------------------------------------------------------------
    def _init_clocks(self):
        # plain lists: element access on numpy arrays is several times slower in the hot path
        n = self.pop.capacity
        self.remaining = [[-1.0] * n for _ in range(4)]
        self.rate = [[0.0] * n for _ in range(4)]
        self.since = [[0.0] * n for _ in range(4)]
        self.token = [[0] * n for _ in range(4)]

    def _grow_clocks(self):
        extra = self.pop.capacity - len(self.rate[0])
        if extra > 0:
            for k in range(4):
                self.remaining[k].extend([-1.0] * extra)
                self.rate[k].extend([0.0] * extra)
                self.since[k].extend([0.0] * extra)
                self.token[k].extend([0] * extra)

    def _init_population(self):
        cfg = self.cfg
        rng = self.streams.generator("population")
        people = draw_people(cfg, rng, cfg.population.size, 0.0, entrants=False)
        pick_initial_states(cfg, self.streams.generator("initial_states"), people)
        state = people["state"]
        hours = np.maximum(np.round(people["package_hours"]), 1.0) * (state == State.HOME_CARE)
        people["package_hours"] = hours
        # the starting stock cannot exceed the capacity the place has
        in_home = np.flatnonzero(np.isin(state, [State.RESIDENTIAL, State.NURSING]))
        state[in_home[cfg.care_homes.beds:]] = State.HOME
        on_care = np.flatnonzero(state == State.HOME_CARE)
        over = np.cumsum(hours[on_care]) > cfg.home_care.capacity_hours_per_week
        state[on_care[over]] = State.HOME
        people["package_hours"] = np.where(state == State.HOME_CARE, hours, 0.0)
        self._initial_ids = self.pop.add(people)

    def _length_of_stay_norm(self) -> float:
        """Mean of the stay ratios over admissions, so the average stay is los_mean_days."""
        n, a, hz = self.pop.n, self.cfg.acute, self.hazards
        band, frailty = self.pop.band[:n], self.pop.frailty[:n]
        weight = hz.crisis_frailty[frailty] * hz.crisis_norm[band]
        ratio = np.array(a.los_frailty_ratio)[frailty] * np.array(a.los_band_ratio)[band]
        return float((weight * ratio).sum() / max(weight.sum(), 1e-12)) or 1.0

    def _init_seasonal_clock(self):
        uplift = self.cfg.crisis.winter_uplift
        # normalised so a whole year keeps the published (annual average) rate
        factor = (1.0 + uplift * self.clock.winter.astype(float)) / (1.0 + uplift * 4.0 / 12.0)
        self._season_factor = factor.tolist()
        self._season_cum = np.concatenate([[0.0], np.cumsum(factor)]).tolist()

    def operational_time(self, t: float) -> float:
        """Seasonal time: integral of the winter factor from 0 to t."""
        d = int(t)
        return self._season_cum[d] + self._season_factor[d] * (t - d)

    def _calendar_time(self, s: float) -> float:
        d = bisect.bisect_right(self._season_cum, s) - 1
        d = min(max(d, 0), len(self._season_factor) - 1)
        return d + (s - self._season_cum[d]) / self._season_factor[d]

    def start(self):
        """Place the initial population and start every process."""
        pop = self.pop
        elapsed_rng = self.streams.generator("care_home_elapsed")
        ids = self._initial_ids
        ch = ids[np.isin(pop.state[ids], [int(s) for s in CARE_HOME])]
        nursing = pop.state[ch] == State.NURSING
        elapsed = self.hazards.equilibrium_elapsed(elapsed_rng, len(ch), nursing)
        counts = np.bincount(pop.state[: pop.n], minlength=len(State))
        for st in State:
            if st != State.DEAD:
                self.occupancy.add(st.name.lower(), int(counts[st]), 0.0)
        self.occupancy.add("alive", int(pop.n), 0.0)
        for b, count in enumerate(np.bincount(pop.band[: pop.n], minlength=3)):
            self.occupancy.add(f"alive:{AGE_BANDS[b]}", int(count), 0.0)
        self.savings.start()
        self.neighbourhood.start()
        self.fund_year.start()
        for i, e in zip(ch, elapsed):
            community.start_care_home(self, int(i), nursing=pop.state[i] == State.NURSING,
                                     source=None, elapsed_days=float(e))
        for i in self._initial_ids:
            i = int(i)
            if pop.state[i] == State.HOME_CARE:
                community.start_home_care(self, i, initial=True)
            self.refresh(i)
            self._schedule_band_changes(i)
        self.funding.start()
        self.env.process(self._yearly_mortality_review())
        self.env.process(self._entrants())
        self.env.process(self._days())
        if self.funding.scope:
            community.open_pool_governance(self)
        community.open_block_contracts(self)

    def _entrants(self):
        """Yearly entry cohorts at min age, arriving evenly through each year."""
        per_year = self.cfg.population.entrants_per_year
        year = 0
        while year * YEAR < self.horizon:
            rng = self.streams.generator(f"entrants:{year}")
            n = rng.poisson(per_year)
            times = np.sort(rng.random(n)) * YEAR + year * YEAR
            people = draw_people(self.cfg, rng, n, 0.0, entrants=True)
            for t, k in zip(times, range(n)):
                if t >= self.horizon:
                    return
                yield self.env.timeout(t - self.env.now)
                one = {name: values[k:k + 1].copy() for name, values in people.items()}
                one["birth_time"] = one["birth_time"] + t
                i = int(self.pop.add(one)[0])
                self._grow_clocks()
                self.occupancy.add("home", 1, t)
                self.occupancy.add("alive", 1, t)
                self.occupancy.add(f"alive:{AGE_BANDS[self.pop.band[i]]}", 1, t)
                self.refresh(i)
                self._schedule_band_changes(i)
            year += 1

    def _yearly_mortality_review(self):
        """Keep each age band's death rate at the published figure as the population drifts."""
        community = {"home", "home_waiting_care", "home_care", "reablement"}
        while True:
            yield self.env.timeout(YEAR)
            since = self.env.now - YEAR
            other = np.zeros(3)
            for t, _i, _kind, state, _payer, _value, band in self.log.of("death"):
                if t >= since and state not in community:
                    other[AGE_BANDS.index(band)] += 1
            self.hazards.renormalise_deaths(self.pop, other)
            for i in range(self.pop.n):
                if self.pop.state[i] != DEAD:
                    self._set_rate(DEATH, i, self.hazards.rates(self.pop, i, self.env.now)[1],
                                   self.env.now)

    def _schedule_band_changes(self, i: int):
        for edge in (75.0, 85.0):
            t = self.pop.birth_time[i] + edge * YEAR
            if self.env.now < t < self.horizon:
                self.env.timeout(t - self.env.now).callbacks.append(
                    lambda _e, i=i: self._band_change(i))

    def _band_change(self, i: int):
        if self.pop.state[i] == State.DEAD:
            return
        old = int(self.pop.band[i])
        new = min(old + 1, 2)
        self.pop.band[i] = new
        self.occupancy.add(f"alive:{AGE_BANDS[old]}", -1, self.env.now)
        self.occupancy.add(f"alive:{AGE_BANDS[new]}", 1, self.env.now)
        self.refresh(i)

    def _days(self):
        """Close each day's time-weighted occupancy."""
        day = 0
        while day + 1 <= self.horizon:
            yield self.env.timeout(day + 1 - self.env.now)
            self.occupancy.close_day(day, self.env.now)
            day += 1

    # --- clocks ------------------------------------------------------------------------------
    def refresh(self, i: int):
        """Recompute person i's hazards and reschedule the clocks whose rate changed."""
        t = self.env.now
        if self.neighbourhood.active:
            self.neighbourhood.update(i)
        if self.pop.state[i] == DEAD:
            for k in range(4):
                self._set_rate(k, i, 0.0, t)
            return
        rates, remaining = self.rate, self.remaining
        for k, new in enumerate(self.hazards.rates(self.pop, i, t)):
            # unchanged and scheduled (or off): nothing to do, without a call (hot path)
            if new != rates[k][i] or (new != 0.0 and remaining[k][i] < 0):
                self._set_rate(k, i, new, t)

    def _set_rate(self, k: int, i: int, new: float, t: float):
        rate, remaining = self.rate[k], self.remaining[k]
        old = rate[i]
        left = remaining[i]
        if old == new and (new == 0.0 or left >= 0):
            return
        now = self.operational_time(t) if k == CRISIS else t
        if old > 0 and left >= 0:
            left = max(left - old * (now - self.since[k][i]), 0.0)
        rate[i] = new
        self.since[k][i] = now
        token = self.token[k][i] + 1
        self.token[k][i] = token
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
        self.env.timeout(max(when - t, 0.0)).callbacks.append(
            lambda _e, k=k, i=i, token=token: self._fire(k, i, token))

    def _fire(self, k: int, i: int, token: int):
        if self.token[k][i] != token:
            return
        self.rate[k][i] = 0.0
        self.remaining[k][i] = -1.0
        self.token[k][i] += 1
        if k == CRISIS:
            pathways.crisis(self, i)
        elif k == DEATH:
            self.die(i)
        elif k == FRAILTY:
            up, down = self.hazards.frailty_change(self.pop, i)
            worse = self.streams.person_uniform("frailty_direction", i) * (up + down) < up
            self.pop.frailty[i] += 1 if worse else -1
        else:
            community.new_care_need(self, i)
        self.refresh(i)

    # --- state changes -----------------------------------------------------------------------
    def move(self, i: int, new: State):
        """Move person i to a new state, keeping occupancy and hazards in step."""
        t = self.env.now
        old = int(self.pop.state[i])
        new = int(new)
        if old == new:
            return
        if old == ACUTE_DELAYED:
            self.end_delay(i)
        self.occupancy.add(STATE_NAMES[old], -1, t)
        if new != DEAD:
            self.occupancy.add(STATE_NAMES[new], 1, t)
        self.pop.state[i] = new
        if new != HOME_WAITING_CARE:
            self.pop.unmet[i] = False
        if self.log.states:
            self.log.record(t, i, "state", STATE_NAMES[new])
        self.refresh(i)

    def set_delay(self, i: int, reason: str, caused_by: str):
        """Start (or change the reason of) a medically-fit-but-delayed stretch."""
        t = self.env.now
        self.end_delay(i)
        self.delay[i] = (t, reason, caused_by)
        self.occupancy.add(f"delayed:{reason}", 1, t)

    def end_delay(self, i: int):
        """Close the current delay stretch, if any, into the cost-shifting account."""
        current = self.delay.pop(i, None)
        if current is None:
            return
        start, reason, caused_by = current
        t = self.env.now
        self.occupancy.add(f"delayed:{reason}", -1, t)
        self.ledger.record_delay(i, start, t, reason, caused_by, self.funding.payer("acute"))

    def leave_bed(self, i: int):
        """Record the end of an acute bed stay (for Little's law and length-of-stay checks)."""
        since = self.in_bed.pop(i, None)
        if since is not None:
            self.log.record(since, i, "bed_stay", "acute", value=self.env.now - since)

    def set_unmet(self, i: int, unmet: bool):
        """Mark unmet need (waiting at home for care); raises the crisis hazard."""
        self.pop.unmet[i] = unmet
        self.refresh(i)

    def open_episode(self, i: int, service: str, setting: str, payer: str, view: str,
                     rate_per_day: float) -> int:
        """Open a cost episode owned by person i (closed on leaving or death)."""
        ep = self.ledger.open(self.env.now, i, service, setting, payer, view, rate_per_day)
        self.episodes.setdefault(i, []).append(ep)
        return ep

    def close_episodes(self, i: int, services: tuple[str, ...] | None = None):
        """Close person i's open episodes (all, or those of the given services)."""
        keep = []
        for ep in self.episodes.pop(i, []):
            if services is None or self.ledger.rows[ep][1] in services:
                self.ledger.close(ep, self.env.now)
            else:
                keep.append(ep)
        if keep:
            self.episodes[i] = keep

    def die(self, i: int):
        """Death in the current state: release everything held and stop the clocks."""
        t = self.env.now
        state = State(self.pop.state[i])
        if state == State.DEAD:
            return
        proc = self.process.pop(i, None)
        if proc is not None and proc.is_alive and proc is not self.env.active_process:
            proc.interrupt("death")
        community.release_holdings(self, i)
        self.close_episodes(i)
        band = AGE_BANDS[self.pop.band[i]]
        self.log.record(t, i, "death", state.name.lower(), detail=band)
        self.occupancy.add("alive", -1, t)
        self.occupancy.add(f"alive:{band}", -1, t)
        self.move(i, State.DEAD)

    # --- running -----------------------------------------------------------------------------
    def run(self, progress=None, chunk_days: float = 30.0):
        """Run to the horizon; ``progress(days)`` is called as simulated time advances."""
        self.start()
        # the event heap holds many short-lived objects; default GC thresholds spend ~20% of
        # the run scanning them, so collect less often while simulating
        thresholds = gc.get_threshold()
        gc.set_threshold(100_000, 50, 100)
        try:
            self._advance(progress, chunk_days)
        finally:
            gc.set_threshold(*thresholds)
        for i in list(self.delay):  # delays still running at the horizon count up to it
            self.end_delay(i)
        for i in list(self.in_bed):  # and so do stays still in a bed
            self.leave_bed(i)
        self.fund_year.finish(self.horizon)
        self.ledger.close_all(self.horizon)
        self.occupancy.finish(self.horizon)
        return self

    def _advance(self, progress, chunk_days: float) -> None:
        t = 0.0
        while t < self.horizon:
            step = min(chunk_days, self.horizon - t)
            self.env.run(until=t + step)
            t += step
            if progress is not None:
                progress(step)
