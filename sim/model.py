"""The model of one replication: it builds the run context and runs the clock.

The model owns the set-up (the starting population at published prevalence or, with ``start.mode
= "snapshot"``, at today's position: :mod:`sim.start_choice`, :mod:`sim.start`; capacity pools,
funding rules, billing, the hazard clocks) and the place-wide processes (entrants each year, the
yearly mortality review, age-band changes, closing each day's occupancy). The journey itself
lives in the journey modules, which see only the :class:`~sim.context.RunContext`:
:mod:`sim.hospital` (crisis, admission, treatment, leaving), :mod:`sim.discharge` (pathway and
the discharge process), :mod:`sim.decisions` (assessments, CHC, funding decisions),
:mod:`sim.community_care` (reablement, intermediate care, referrals, discharge to assess) and
:mod:`sim.placements` (home-care packages and care-home places).
"""

from __future__ import annotations

import gc

import numpy as np

from . import (
    care_home_support,
    chc,
    community_care,
    end_of_life,
    hospital,
    placements,
    start,
    start_choice,
)
from .billing import Billing
from .care_market import CarerWorkforce
from .clock import Clock
from .config import Scenario
from .context import RunContext
from .costs import Ledger
from .delay_harm import EXCESS_DEATH
from .end_of_life import END_OF_LIFE_DEATH
from .engine import Engine
from .eventlog import EventLog
from .fund import FundYear
from .funding import FundingRules
from .hazard_clocks import CRISIS, DEATH, FRAILTY, HazardClocks
from .hazards import Hazards
from .neighbourhood import Neighbourhood
from .occupancy import Occupancy
from .outcome_tracking import OutcomeTracker
from .people import DELAY_REASONS, Journeys, People
from .population import (
    CARE_HOME,
    DEAD,
    HOME_CARE,
    NURSING,
    Population,
    State,
    draw_people,
    pick_initial_states,
)
from .rng import Streams
from .savings import Savings
from .schema_base import AGE_BANDS, YEAR
from .services import Services

#: queues for capacity; home_care_hours_at_home is the part of the queue for home-care hours
#: waiting at home rather than in hospital (sim.community_care)
WAITING = ("acute_beds", "escalation_beds", "ic_beds", "reablement", "home_care_hours",
           "home_care_hours_at_home", "care_home_beds")
FUNDED = ("acute_beds", "ic_beds", "reablement_places", "home_care_hours",
          "case_management_places")


def occupancy_series() -> list[str]:
    """Names of the daily series: every state, delays by reason, queues, alive by band,
    funded capacity."""
    return ([s.name.lower() for s in State if s != State.DEAD] + ["alive"]
            + [f"delayed:{r}" for r in DELAY_REASONS] + [f"waiting:{w}" for w in WAITING]
            + ["urgent_response", "case_managed"] + [f"alive:{b}" for b in AGE_BANDS]
            + [f"funded:{f}" for f in FUNDED])


def other_deaths_by_band(deaths: list[tuple], since: float) -> np.ndarray:
    """Deaths since ``since`` outside the community (hospital, care homes), by age band: the
    channels with their own rates, taken out of each band's published total before the
    community death rate is re-set. Excess deaths from delay harm are left out, so the review
    does not cancel them, and so are deaths in a last phase of life, which the community death
    clock started wherever they happen (:mod:`sim.end_of_life`)."""
    community = {"home", "home_waiting_care", "home_care", "reablement"}
    other = np.zeros(3)
    for t, _i, _kind, state, _payer, value, band in deaths:
        if t >= since and state not in community and value == 0.0:
            other[AGE_BANDS.index(band)] += 1
    return other


class Model:
    """One replication of one scenario."""

    def __init__(self, cfg: Scenario, seed: int, replication: int, event_log: bool = False):
        self.cfg = cfg
        self.env = Engine()
        self.streams = Streams(seed, replication)
        # whole days, so that daily means integrate exactly to the KPIs
        self.warmup = float(round(cfg.run.warmup_days))
        self.horizon = float(round(cfg.run.warmup_days + cfg.run.years * YEAR))
        self.clock = Clock(cfg.run.start_date, self.horizon, tuple(cfg.assessment.working_hours))
        expected = cfg.population.size + int(cfg.population.entrants_per_year
                                             * (self.horizon / YEAR + 1)) + 16
        self.pop = Population(expected)
        self.ledger = Ledger()
        self.services = Services(self.env, cfg, self.streams)
        self.funding = FundingRules(cfg, self.env, self.clock, self.ledger)
        self.occupancy = Occupancy(occupancy_series(), self.clock.days)
        # carers in post at the start (home-care hours deliverable), before the starting clients
        self.workforce = CarerWorkforce(self.env, cfg, self.streams,
                                        self.services.home_care_hours, self.occupancy)
        self.log = EventLog(states=event_log)
        self.billing = Billing(cfg, self.funding, self.ledger, self.env)
        self._init_population()
        # hazards are normalised over the starting population, so they come after it
        self.hazards = Hazards(cfg, self.pop)
        self.clocks = HazardClocks(self.env, self.clock, self.streams, self.pop, self.hazards,
                                   cfg.crisis.winter_uplift, self.horizon, self._fire)
        self.outcomes = OutcomeTracker(self.pop, self.log, self.warmup, self.horizon)
        self.people = People(self.pop, self.env, self.occupancy, self.log, self.ledger,
                             self.funding.payer("acute"), self.refresh, self.outcomes)
        self.ctx = RunContext(
            env=self.env, cfg=cfg, clock=self.clock, streams=self.streams, people=self.people,
            hazards=self.hazards, journeys=Journeys(self.env), services=self.services,
            rules=self.funding, billing=self.billing, log=self.log, occupancy=self.occupancy,
            horizon=self.horizon, admit=lambda i: hospital.emergency_admission(self.ctx, i),
            die=self.die, chc_found_eligible=lambda i: chc.register(self.ctx, i))
        self.neighbourhood = Neighbourhood(self.ctx)
        self.savings = Savings(self.ctx, self.warmup, self.neighbourhood)
        self.fund_year = FundYear(self.ctx)

    # --- set-up ------------------------------------------------------------------------------
    def _init_population(self):
        cfg = self.cfg
        rng = self.streams.generator("population")
        people = draw_people(cfg, rng, cfg.population.size, 0.0, entrants=False)
        self.snapshot = None
        if cfg.start.mode == "snapshot":    # today's position (sim.start_choice)
            self.snapshot = start_choice.choose(cfg, self.streams.generator("snapshot"),
                                                 people)
            self._initial_ids = self.pop.add(people)
            return
        pick_initial_states(cfg, self.streams.generator("initial_states"), people)
        state, hours = people["state"], people["package_hours"]
        # the starting stock cannot exceed the capacity the place has (for home care, the hours
        # the carers in post at the start deliver)
        in_home = np.flatnonzero(np.isin(state, [State.RESIDENTIAL, State.NURSING]))
        state[in_home[cfg.care_homes.beds:]] = State.HOME
        on_care = np.flatnonzero(state == State.HOME_CARE)
        patches = cfg.home_care.localities
        if patches > 1:     # each client in their own patch (sim.localities); ids start at 0
            draws = np.full(len(state), np.nan)
            draws[on_care] = [self.streams.person_uniform("locality", int(i)) for i in on_care]
            people["locality_draw"] = draws
            patch = np.minimum((draws[on_care] * patches).astype(int), patches - 1)
        else:
            patch = np.zeros(len(on_care), dtype=int)
        pools = self.services.home_care_hours
        for k in range(patches):
            mine = on_care[patch == k]
            over = np.cumsum(hours[mine]) > pools.area(k).units
            state[mine[over]] = State.HOME
        people["package_hours"] = np.where(state == State.HOME_CARE, hours, 0.0)
        self._initial_ids = self.pop.add(people)

    def start(self):
        """Place the initial population and start every process."""
        pop, ctx = self.pop, self.ctx
        elapsed_rng = self.streams.generator("care_home_elapsed")
        ids = self._initial_ids
        state = pop.column("state")
        ch = ids[np.isin(state[ids], [int(s) for s in CARE_HOME])]
        nursing = state[ch] == State.NURSING
        elapsed = self.hazards.equilibrium_elapsed(elapsed_rng, len(ch), nursing)
        counts = np.bincount(state, minlength=len(State))
        for st in State:
            if st != State.DEAD:
                self.occupancy.add(st.name.lower(), int(counts[st]), 0.0)
        self.occupancy.add("alive", int(pop.n), 0.0)
        self.outcomes.start(int(pop.n))
        for b, count in enumerate(np.bincount(pop.column("band"), minlength=3)):
            self.occupancy.add(f"alive:{AGE_BANDS[b]}", int(count), 0.0)
        self.savings.start()
        self.neighbourhood.start()
        self.fund_year.start()
        self.workforce.start(ctx)
        chc.start(ctx, ids.tolist())      # the starting stock on standard CHC
        for i, e in zip(ch, elapsed):
            placements.start_care_home(ctx, int(i), nursing=pop.state[i] == NURSING,
                                       source=None, elapsed_days=float(e))
        ids = self._initial_ids.tolist()
        for i in ids:
            if pop.state[i] == HOME_CARE:
                placements.start_home_care(ctx, i, initial=True)
            if self.neighbourhood.active:
                self.neighbourhood.update(i)
        if self.snapshot is not None:
            start.place(ctx, self.snapshot, self.streams.generator("snapshot_times"))
        self._schedule_band_changes_at_start()
        # everyone's hazard clocks at once (what refresh(i) does for one person)
        rates = self.hazards.rates_of(pop, self._initial_ids, 0.0).reshape(-1, 4)
        for k in range(4):
            self.clocks.set_rates(k, self._initial_ids, rates[:, k], self.env.now)
        self.funding.start()
        self.env.process(self._yearly_mortality_review())
        self.env.process(self._entrants())
        self.env.process(self._days())
        if self.funding.scope:
            self.billing.fund_governance()
        self.billing.intermediate_care_block(self.cfg.intermediate_care.beds)
        self.billing.frailty_unit(self.cfg.frailty_unit.assessments_per_day)
        self.billing.virtual_ward(self.cfg.virtual_ward.beds)
        care_home_support.start(ctx)
        end_of_life.start(self.ctx)

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
                self.clocks.grow()
                self.occupancy.add("home", 1, t)
                self.outcomes.enter(i, t)
                self.occupancy.add("alive", 1, t)
                self.occupancy.add(f"alive:{AGE_BANDS[self.pop.band[i]]}", 1, t)
                self.refresh(i)
                self._schedule_band_changes(i)
            year += 1

    def _yearly_mortality_review(self):
        """Keep each age band's death and crisis rates at the published figures as the
        population drifts (``crisis.yearly_review``: crises too)."""
        while True:
            yield self.env.timeout(YEAR)
            other = other_deaths_by_band(self.log.of("death"), self.env.now - YEAR)
            self.hazards.renormalise_deaths(self.pop, other)
            alive = np.flatnonzero(self.pop.column("state") != DEAD)
            now = self.env.now
            self.clocks.set_rates(DEATH, alive, self.hazards.rates_of(self.pop, alive, now)[:, 1],
                                  now)
            if self.cfg.crisis.yearly_review:
                self.hazards.renormalise_crises(self.pop)
                self.clocks.set_rates(CRISIS, alive,
                                      self.hazards.rates_of(self.pop, alive, now)[:, 0], now)

    def _schedule_band_changes_at_start(self):
        """:meth:`_schedule_band_changes` for the whole starting population at once."""
        birth = self.pop.column("birth_time")
        for edge in (75.0, 85.0):
            t = birth + edge * YEAR
            due = np.flatnonzero((self.env.now < t) & (t < self.horizon))
            for i, when in zip(due.tolist(), t[due].tolist()):
                self.env.call_later(when - self.env.now, (self._band_change, i))

    def _schedule_band_changes(self, i: int):
        for edge in (75.0, 85.0):
            t = self.pop.birth_time[i] + edge * YEAR
            if self.env.now < t < self.horizon:
                self.env.call_later(t - self.env.now, (self._band_change, i))

    def _band_change(self, call: tuple):
        i = call[1]
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

    # --- hazards -------------------------------------------------------------------------------
    def refresh(self, i: int) -> None:
        """Person i's circumstances changed: update their caseload place and hazard clocks."""
        if self.neighbourhood.active:
            self.neighbourhood.update(i)
        self.clocks.refresh(i)

    def _fire(self, kind: int, i: int) -> None:
        """A hazard clock rang: a crisis, a death, a frailty change or a new care need."""
        if kind == CRISIS:
            hospital.crisis(self.ctx, i)
        elif kind == DEATH:
            end_of_life.death_clock(self.ctx, i)     # a death, or a last phase of life
        elif kind == FRAILTY:
            up, down = self.hazards.frailty_change(self.pop, i)
            worse = self.streams.person_uniform("frailty_direction", i) * (up + down) < up
            self.people.change_frailty(i, 1 if worse else -1, refresh=False)
            chc.needs_grew(self.ctx, i, worse)       # standard CHC for people in care
        else:
            community_care.new_care_need(self.ctx, i)
        self.refresh(i)

    def die(self, i: int, excess: bool = False) -> None:
        """Death in the current state: release everything held and stop the clocks.
        ``excess``: a death the published rates do not hold (harm from delay)."""
        t = self.env.now
        state = State(self.pop.state[i])
        if state == State.DEAD:
            return
        self.ctx.journeys.interrupt(i, "death")
        placements.release_holdings(self.ctx, i)
        self.billing.stop(i)
        last_phase = end_of_life.on_death(self.ctx, i)
        band = AGE_BANDS[self.pop.band[i]]
        value = EXCESS_DEATH if excess else END_OF_LIFE_DEATH if last_phase else 0.0
        self.log.record(t, i, "death", state.name.lower(), value=value, detail=band)
        self.occupancy.add("alive", -1, t)
        self.occupancy.add(f"alive:{band}", -1, t)
        self.people.move(i, State.DEAD)

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
        for i in list(self.people.delays):  # delays still running at the horizon count up to it
            self.people.end_delay(i)
        for i in self.people.in_bed():      # and so do stays still in a bed
            self.people.leave_bed(i)
        self.fund_year.finish(self.horizon)
        self.ledger.close_all(self.horizon)
        self.occupancy.finish(self.horizon)
        self.outcomes.finish()
        return self

    def _advance(self, progress, chunk_days: float) -> None:
        t = 0.0
        while t < self.horizon:
            step = min(chunk_days, self.horizon - t)
            self.env.run(until=t + step)
            t += step
            if progress is not None:
                progress(step)
