"""End of life: the last phase of life, community end-of-life care and fast-track CHC.

A person's death hazard (:mod:`sim.hazards`) stays what it was; only what its ring means
changes. With ``end_of_life.recognised_share`` > 0 a ring of a community person's death clock
is, with that chance, the *recognition* of a last phase of life rather than the death itself:
the person dies at the phase's end, an exponential ``phase_mean_days`` later. This is the
two-stage model "recognition at share x the death hazard, then a phase": nothing peeks at a
future death, each age band's deaths stay at the published rate (they come a phase later), and
the yearly mortality review counts every death in the phase, wherever it happens, as the
community clock's (:func:`on_death`), so it does not cancel them.

In the phase (:func:`begin`):

* crises are likelier: extra crises at ``(crisis_hazard_ratio - 1)`` x the person's own crisis
  hazard, and a share ``terminal_crisis_share`` of phases end in a terminal crisis within
  ``terminal_crisis_days`` of the death; an admitted person still in hospital at the end of
  the phase dies there, which is how the share of deaths in hospital arises;
* the community end-of-life teams (``slots``, a capacity pool: palliative care / hospice at
  home) take the person on their caseload if a place is free, at recognition or at a later
  crisis, and handle a share ``home_share`` of their crises at home (:func:`treated_at_home`,
  called first thing in :func:`sim.hospital.crisis`);
* a share ``fast_track_share`` have fast-track NHS Continuing Healthcare, a package at home
  paid by the NHS by the week until death (:meth:`sim.billing.Billing.fast_track_chc`).

Draws come from the person's own keyed streams, and only while the phase is on
(``recognised_share`` > 0), so with the phase off nothing is drawn and nothing changes.
"""

from __future__ import annotations

import math

from .context import RunContext
from .population import DEAD, HOME_CARE

#: ``value`` of a death record for a death in the last phase of life (any route)
END_OF_LIFE_DEATH = 2.0


def active(ctx: RunContext) -> bool:
    """True if deaths can be preceded by a recognised last phase of life."""
    return ctx.cfg.end_of_life.recognised_share > 0


def start(ctx: RunContext) -> None:
    """The community end-of-life teams' block contract (their caseload places)."""
    ctx.billing.end_of_life_block(ctx.cfg.end_of_life.slots)


def death_clock(ctx: RunContext, i: int) -> None:
    """Person i's death clock rang: a death now, or the recognition of a last phase."""
    eol, pop = ctx.cfg.end_of_life, ctx.pop
    if eol.recognised_share <= 0:
        ctx.die(i)
        return
    if not math.isnan(pop.end_of_life_until[i]):
        return      # already in the phase: the person dies at its end
    if ctx.streams.person_bernoulli("end_of_life", i, eol.recognised_share):
        begin(ctx, i)
    else:
        ctx.die(i)


def begin(ctx: RunContext, i: int) -> None:
    """Start person i's last phase of life now."""
    eol, pop, streams, now = ctx.cfg.end_of_life, ctx.pop, ctx.streams, ctx.env.now
    length = streams.person_exponential("end_of_life_length", i, eol.phase_mean_days)
    until = now + length
    pop.end_of_life_until[i] = until
    fast_track = streams.person_bernoulli("end_of_life_fast_track", i, eol.fast_track_share)
    ctx.log.record(now, i, "end_of_life", "recognised", value=length,
                   detail="fast_track" if fast_track else "")
    if fast_track:
        ctx.billing.fast_track_chc(i)
    _take_slot(ctx, i)
    crisis_rate = ctx.hazards.rates(pop, i, now)[0] * (eol.crisis_hazard_ratio - 1)
    if crisis_rate > 0:     # extra crises in the phase: a Poisson process up to its end
        t = streams.person_exponential("end_of_life_crises", i, 1 / crisis_rate)
        while t < length:
            ctx.at(t, lambda: _crisis(ctx, i))
            t += streams.person_exponential("end_of_life_crises", i, 1 / crisis_rate)
    if streams.person_bernoulli("end_of_life_terminal", i, eol.terminal_crisis_share):
        before = eol.terminal_crisis_days * streams.person_uniform("end_of_life_terminal", i)
        ctx.at(max(length - before, 0.0), lambda: _crisis(ctx, i))
    ctx.at(length, lambda: _end(ctx, i))


def treated_at_home(ctx: RunContext, i: int) -> bool:
    """A crisis of person i: True if the community end-of-life team handles it at home
    (the person is in the phase and on its caseload, or joins it now)."""
    if math.isnan(ctx.pop.end_of_life_until[i]):
        return False
    if not _take_slot(ctx, i):
        return False
    if not ctx.streams.person_bernoulli("end_of_life_home", i,
                                        ctx.cfg.end_of_life.home_share):
        return False
    ctx.log.record(ctx.env.now, i, "end_of_life", "crisis_at_home")
    return True


def on_death(ctx: RunContext, i: int) -> bool:
    """Person i dies: free their caseload place; True if the death ends a last phase (so the
    mortality review counts it as the community death clock's, wherever it happens)."""
    pop = ctx.pop
    if pop.end_of_life_slot[i]:
        pop.end_of_life_slot[i] = False
        ctx.services.end_of_life.release(1)
    return not math.isnan(pop.end_of_life_until[i])


def _take_slot(ctx: RunContext, i: int) -> bool:
    """Put person i on the end-of-life caseload if a place is free now; True if on it."""
    pop, services = ctx.pop, ctx.services
    if pop.end_of_life_slot[i]:
        return True
    if not services.free_now(services.end_of_life):
        return False
    services.end_of_life.request(1)
    pop.end_of_life_slot[i] = True
    return True


def _crisis(ctx: RunContext, i: int) -> None:
    """A crisis of the phase for a person at home: at home with the team, or an admission."""
    state = int(ctx.pop.state[i])
    if state > HOME_CARE or state == DEAD:
        return      # in hospital, intermediate care, reablement or a care home already
    if treated_at_home(ctx, i):
        return
    ctx.journeys.interrupt(i, "crisis")
    ctx.journeys.start(i, ctx.admit(i))


def _end(ctx: RunContext, i: int) -> None:
    """The end of the phase: the person dies where they are (if nothing came first)."""
    if int(ctx.pop.state[i]) != DEAD:
        ctx.die(i)
