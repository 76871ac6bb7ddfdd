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
  paid by the NHS by the week until death (:meth:`sim.billing.Billing.fast_track_chc`); it
  stops if the person moves into a care home (:func:`care_home_stay`), whose fees are then paid
  as the placement decided.

Care-home residents have no death clock: their stay ends in death at a Weibull time drawn at
entry (:func:`sim.placements.start_care_home`). With ``care_home_recognised_share`` > 0 a share
of those deaths comes after a recognised phase (:func:`care_home_stay`), placed before the
drawn end (its last ``phase_mean_days``, exponential, or the whole stay if shorter), so deaths
keep their time and number. In it the resident's crisis hazard is raised by the same ratio (the
extra crises as their own Poisson process, at the rate of the resident's home, so enhanced
health in care homes cuts them as it cuts the resident's other crises), a share
``care_home_terminal_crisis_share`` ends in a terminal crisis, and the community end-of-life
teams (in-reach) take the resident on their caseload when the home calls them, at a crisis of
the phase (its extra or terminal crises) if a place is free, and from then on handle
``home_share`` of the resident's crises in the care home. (The home's own staff give the
day-to-day care, so a resident does not take a place at recognition as a person at home does;
that would crowd the teams' places with residents.) The
residents' configured crisis rates hold the phase's crises (:class:`sim.hazards.Hazards`), and
a resident's death stays the care home's (the yearly review counts it as another route's). A
share ``fast_track_share`` of residents' phases is funded by fast-track CHC: whoever pays for
CHC pays the whole care-home fee (at ``chc.week_gbp``) until the death, so the route moves money
between payers, not people.

Draws come from the person's own keyed streams, and only while a phase is on
(``recognised_share`` > 0 for the community, ``care_home_recognised_share`` > 0 for
residents), so with both off nothing is drawn and nothing changes.
"""

from __future__ import annotations

import math

from .context import RunContext
from .decisions import care_home_fees
from .population import DEAD, HOME_CARE, NURSING, RESIDENTIAL

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


def care_home_stay(ctx: RunContext, i: int, remaining: float) -> None:
    """Person i takes a care-home place whose stay ends in death ``remaining`` days from now:
    stop a fast-track package at home, and perhaps place a last phase before the death."""
    eol, pop, streams = ctx.cfg.end_of_life, ctx.pop, ctx.streams
    if not math.isnan(pop.end_of_life_until[i]):
        ctx.billing.stop(i, ("chc_fast_track",))    # the home's fees pay for the care now
        return      # already in a community phase: the person dies at its end, or before
    if eol.care_home_recognised_share <= 0:
        return
    if not streams.person_bernoulli("end_of_life_care_home", i, eol.care_home_recognised_share):
        return
    length = streams.person_exponential("end_of_life_care_home_length", i, eol.phase_mean_days)
    death = ctx.env.now + remaining
    ctx.at(max(remaining - length, 0.0), lambda: _begin_resident(ctx, i, death))


def _begin_resident(ctx: RunContext, i: int, death: float) -> None:
    """Resident i's last phase begins now and ends with their death at ``death``."""
    eol, pop, streams, now = ctx.cfg.end_of_life, ctx.pop, ctx.streams, ctx.env.now
    if int(pop.state[i]) == DEAD or int(pop.care_home_kind[i]) not in (RESIDENTIAL, NURSING):
        return      # died first (in hospital) or left the place
    length = death - now
    fast_track = _fast_track_resident(ctx, i)
    ctx.log.record(now, i, "end_of_life", "recognised", value=length,
                   detail="care_home_fast_track" if fast_track else "care_home")
    crisis_rate = ctx.hazards.care_home_crisis_rate(pop, i) * (eol.crisis_hazard_ratio - 1)
    if crisis_rate > 0:     # extra crises in the phase: a Poisson process up to the death
        t = streams.person_exponential("end_of_life_care_home_crises", i, 1 / crisis_rate)
        while t < length:
            ctx.at(t, lambda: _resident_crisis(ctx, i))
            t += streams.person_exponential("end_of_life_care_home_crises", i, 1 / crisis_rate)
    if streams.person_bernoulli("end_of_life_care_home_terminal", i,
                                eol.care_home_terminal_crisis_share):
        before = eol.terminal_crisis_days * streams.person_uniform(
            "end_of_life_care_home_terminal", i)
        ctx.at(max(length - before, 0.0), lambda: _resident_crisis(ctx, i))


def _fast_track_resident(ctx: RunContext, i: int) -> bool:
    """With chance ``fast_track_share`` a resident's recognised phase is funded by fast-track
    CHC: whoever pays for CHC pays the whole care-home fee until the death (the LA's
    means-tested share, FNC, or a self-funder's fees stop). Not for a resident already on CHC
    or on an interim place (discharge to assess: the assessment in the home decides)."""
    if not ctx.streams.person_bernoulli("end_of_life_care_home_fast_track", i,
                                        ctx.cfg.end_of_life.fast_track_share):
        return False
    fees = ctx.billing.care_home_fees.get(i)
    if fees is None or fees.is_chc or fees.basis == "interim":
        return False
    ctx.billing.fast_track_residents.add(i)
    nursing = int(ctx.pop.care_home_kind[i]) == NURSING
    ctx.billing.switch_care_home_fees(i, nursing, care_home_fees(ctx, i))
    return True


def _resident_crisis(ctx: RunContext, i: int) -> None:
    """A crisis of a resident's phase: in the care home with the team, or an admission."""
    if int(ctx.pop.state[i]) not in (RESIDENTIAL, NURSING):
        return      # in hospital already, or dead
    if _handled_by_team(ctx, i):
        return
    ctx.journeys.interrupt(i, "crisis")
    ctx.journeys.start(i, ctx.admit(i))


def treated_at_home(ctx: RunContext, i: int) -> bool:
    """A crisis of person i: True if the community end-of-life team handles it at home
    (the person is in a community phase and on the caseload or joins it now, or is a resident
    in a phase on the caseload)."""
    pop = ctx.pop
    if math.isnan(pop.end_of_life_until[i]) and not pop.end_of_life_slot[i]:
        return False
    return _handled_by_team(ctx, i)


def _handled_by_team(ctx: RunContext, i: int) -> bool:
    """Person i, in a last phase, has a crisis: True if on (or joining) the caseload and the
    team handles it where the person lives."""
    if not _take_slot(ctx, i):
        return False
    if not ctx.streams.person_bernoulli("end_of_life_home", i,
                                        ctx.cfg.end_of_life.home_share):
        return False
    ctx.log.record(ctx.env.now, i, "end_of_life", "crisis_at_home")
    return True


def on_death(ctx: RunContext, i: int) -> bool:
    """Person i dies: free their caseload place; True if the death ends a community last
    phase (so the mortality review counts it as the community death clock's, wherever it
    happens). A resident's phase leaves the death to the care home's route."""
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
