"""The home-care workforce: carers leave and are replaced, and providers hand packages back.

The hours a home-care market can deliver are not fixed. The nominal hours
(``home_care.capacity_hours_per_week``) are split into carer posts of about
``home_care.hours_per_carer`` hours each. Each post alternates between filled (its carer leaves
after an exponential time, mean one year over ``carer_turnover_per_year``) and vacant (a
replacement is recruited after an exponential time, mean ``recruitment_days_mean``): an
alternating renewal process, so the long-run vacancy share is r*T / (1 + r*T)
(:func:`vacancy_share`). The posts start in that stationary state (each vacant with that
chance; by memorylessness the residual times are the same exponentials), so the run has no
transient and the starting clients are those the carers in post can serve.

When a carer leaves and the hours in use exceed the hours the carers in post deliver, the
provider **hands back** packages until they fit: first packages it is holding for clients in
hospital (no visits are missed), then packages of clients at home; within each, one picked at
random with the named stream ``home_care_handback``, keyed by the post that lost its carer
(rotas are lost by geography and run, not by the client's need, and no evidence says which
packages go first). A client at home goes back to waiting at home for care and re-enters the
queue for hours with their funding standing (:func:`sim.community_care.community_care_request`,
``decided=True``): the same first-come-first-served queue as hospital discharges. A client in
hospital loses the held package and needs a new one on discharge. Each handback is an event
(``handback``). A recruit's hours serve the queue in order. ``funded:home_care_hours`` follows
the hours the carers in post deliver. Clients mid-process (a discharge-to-assess assessment or
a care-home referral at home) are not handed back: their package is about to change anyway.

With ``home_care.localities`` above 1 the hours are split into patches
(:mod:`sim.localities`): each patch has its own posts (post k works patch k // posts per
patch), and a carer who leaves hands back packages of that patch's clients only.

With ``carer_turnover_per_year = 0`` (the default) nothing is drawn or scheduled.
"""

from __future__ import annotations

import math

import numpy as np

from . import community_care, localities, placements
from .context import RunContext
from .decisions import home_care_fees
from .population import HOME_CARE, HOME_WAITING_CARE
from .schema_base import YEAR

FUNDED = "funded:home_care_hours"


def vacancy_share(turnover_per_year: float, recruitment_days: float) -> float:
    """Long-run share of posts vacant: r*T / (1 + r*T), T in years."""
    rt = turnover_per_year * recruitment_days / YEAR
    return rt / (1.0 + rt)


class CarerWorkforce:
    """The carer posts behind the home-care hours of one replication.

    Built with the capacity (before the starting clients, who are trimmed to the hours the
    carers in post deliver); :meth:`start` schedules the leavers and recruits.
    """

    def __init__(self, env, cfg, streams, capacity, occupancy):
        hc = cfg.home_care
        self.env, self.streams, self.capacity, self.occupancy = env, streams, capacity, occupancy
        self.ctx: RunContext | None = None
        nominal = hc.capacity_hours_per_week
        self.active = hc.carer_turnover_per_year > 0 and nominal > 0
        self.posts, self.hours, self.vacant = 0, 0.0, 0
        self.handed_back_hours = 0.0
        if not self.active:
            return
        self.patches = hc.localities
        # each patch's posts (sim.localities); post k works patch k // per_patch
        self.per_patch = max(1, round(nominal / self.patches / hc.hours_per_carer))
        self.posts = self.per_patch * self.patches
        self.hours = nominal / self.posts
        self.stay_days = YEAR / hc.carer_turnover_per_year
        self.recruit_days = hc.recruitment_days_mean
        share = vacancy_share(hc.carer_turnover_per_year, hc.recruitment_days_mean)
        self._vacant_at_start = [streams.person_uniform("carer_post", k) < share
                                 for k in range(self.posts)]
        self.vacant = sum(self._vacant_at_start)
        self._is_vacant = list(self._vacant_at_start)
        for k in range(self.patches):
            posts = self._vacant_at_start[k * self.per_patch:(k + 1) * self.per_patch]
            self.capacity.area(k).remove_units(sum(posts) * self.hours)
        occupancy.add(FUNDED, -self.vacant * self.hours, 0.0)

    def patch(self, post: int):
        """The hours pool of the patch a post works."""
        return self.capacity.area(post // self.per_patch)

    @property
    def deliverable_hours(self) -> float:
        """Hours a week the carers in post deliver now."""
        return self.capacity.units

    def start(self, ctx: RunContext) -> None:
        """Schedule each post's first leaving or recruitment, and the market's yearly growth
        (``home_care.market_growth_per_year``)."""
        growth = ctx.cfg.home_care.market_growth_per_year
        if growth > 0:
            ctx.env.process(self._yearly_growth(ctx, growth))
        if not self.active:
            return
        self.ctx = ctx
        for k, vacant in enumerate(self._vacant_at_start):
            if vacant:
                self._after("carer_recruited", k, self.recruit_days, self._recruit)
            else:
                self._after("carer_leaves", k, self.stay_days, self._leave)

    def _yearly_growth(self, ctx: RunContext, growth: float):
        while ctx.env.now + YEAR < ctx.horizon:
            yield ctx.env.timeout(YEAR)
            self.grow(growth)

    def grow(self, share: float) -> None:
        """The market's hours grow by ``share`` of what it delivers at full staff: each post's
        hours grow (a filled post's patch gains them now, a vacant post's when it is filled);
        without carer churn the pools grow by that share of their hours."""
        t = self.env.now
        if not self.active:
            added = self.capacity.units * share       # spread over the patches (localities)
            self.capacity.add_units(added)
            self.occupancy.add(FUNDED, added, t)
            return
        extra = self.hours * share
        self.hours += extra
        for k in range(self.patches):
            filled = self.per_patch - sum(self._is_vacant[k * self.per_patch:
                                                       (k + 1) * self.per_patch])
            self.capacity.area(k).add_units(filled * extra)
        self.occupancy.add(FUNDED, (self.posts - self.vacant) * extra, t)

    def _after(self, stream: str, post: int, mean: float, action) -> None:
        delay = self.streams.person_exponential(stream, post, mean)
        self.ctx.at(delay, lambda: action(post))

    def _leave(self, post: int) -> None:
        t = self.env.now
        self.vacant += 1
        self._is_vacant[post] = True
        self.patch(post).remove_units(self.hours)
        self.occupancy.add(FUNDED, -self.hours, t)
        self._hand_back_excess(post)
        self._after("carer_recruited", post, self.recruit_days, self._recruit)

    def _recruit(self, post: int) -> None:
        self.vacant -= 1
        self._is_vacant[post] = False
        self.occupancy.add(FUNDED, self.hours, self.env.now)
        self.patch(post).add_units(self.hours)   # waiting requests are served in order
        self._after("carer_leaves", post, self.stay_days, self._leave)

    def _hand_back_excess(self, post: int) -> None:
        """Hand packages back until the hours in use fit the hours deliverable."""
        pool = self.patch(post)
        while pool.level < -1e-9:
            held, at_home = self.candidates(post // self.per_patch)
            clients = held or at_home
            if not clients:
                return          # only hours granted to people still leaving hospital
            u = self.streams.person_uniform("home_care_handback", post)
            i = clients[min(int(u * len(clients)), len(clients) - 1)]
            self.handed_back_hours += float(self.ctx.pop.package_hours[i])
            hand_back(self.ctx, i)

    def candidates(self, patch: int | None = None) -> tuple[list[int], list[int]]:
        """Packages a provider can hand back (in ``patch``, or anywhere): held for clients in
        hospital, and of clients at home who are not mid-process; each in id order."""
        ctx = self.ctx
        pop = ctx.pop
        holders = np.array(sorted(pop.package_holders), dtype=np.int64)
        if patch is not None and self.patches > 1:
            holders = holders[localities.localities_of(pop, ctx.streams, holders,
                                                       self.patches) == patch]
        held, at_home = [], []
        for i in holders.tolist():
            if not math.isnan(pop.package_suspended_since[i]):
                held.append(i)
            elif pop.state[i] == HOME_CARE and not ctx.journeys.busy(i):
                at_home.append(i)
        return held, at_home


def hand_back(ctx: RunContext, i: int) -> None:
    """A provider hands back person i's package: the hours return to the market; a client at
    home waits at home for a new provider, with the funding already agreed."""
    pop = ctx.pop
    at_home = int(pop.state[i]) == HOME_CARE
    hours = float(pop.package_hours[i])
    payer = home_care_fees(ctx, i).payer
    placements.end_home_care(ctx, i)
    ctx.log.record(ctx.env.now, i, "handback", "home_care", payer, hours,
                   "at_home" if at_home else "in_hospital")
    if at_home:
        ctx.people.move(i, HOME_WAITING_CARE)
        ctx.people.set_unmet(i, True)
        ctx.journeys.start(i, community_care.community_care_request(
            ctx, i, "home_care", assessed=True, decided=True))
