"""Harm from delay: what waiting in an acute bed once medically fit does to a person.

When a delayed stay ends (the person leaves hospital alive), each delayed day has raised the
chance that they leave one frailty level worse (``delay_harm.frailty_per_day``) and the chance
of an excess death within ``delay_harm.death_window_days`` (``delay_harm.death_per_day``), each
as ``1 - exp(-rate x delayed days)``. A frailer person then has more crises, more care needs and
more care-home referrals through the usual hazards, re-set at once; an excess death is recorded
as a death with ``value`` 1, which the yearly mortality review leaves out of the deaths it holds
at the published rate, so shorter delays show as fewer deaths; likewise the frailty it adds
(``harm_steps``) is left out of the yearly crisis review, so they show as fewer crises. Draws
come from the person's own keyed streams, so a person's k-th delay has the same draws under
every arrangement.
"""

from __future__ import annotations

import math

from .context import RunContext
from .population import DEAD

#: ``value`` of a death record for an excess death from delay (0 for every other death).
EXCESS_DEATH = 1.0


def after_delay(ctx: RunContext, i: int, delayed_days: float) -> None:
    """Apply the harm of ``delayed_days`` in an acute bed to person ``i`` as they leave."""
    harm = ctx.cfg.delay_harm
    if delayed_days <= 0:
        return
    streams, pop = ctx.streams, ctx.pop
    if harm.frailty_per_day > 0:
        p = -math.expm1(-harm.frailty_per_day * delayed_days)
        if streams.person_uniform("delay_harm_frailty", i) < p and pop.frailty[i] < 3:
            pop.harm_steps[i] += 1              # left out of the yearly crisis review
            ctx.people.change_frailty(i, 1)     # hazards follow at once
            ctx.log.record(ctx.env.now, i, "delay_harm", "frailty", value=delayed_days)
    if harm.death_per_day > 0:
        p = -math.expm1(-harm.death_per_day * delayed_days)
        u = streams.person_uniform("delay_harm_death", i)
        if u < p:
            # the same uniform, rescaled, places the death in the window (u / p is uniform)
            after = harm.death_window_days * u / p
            ctx.at(after, lambda: _excess_death(ctx, i))


def _excess_death(ctx: RunContext, i: int) -> None:
    if ctx.pop.state[i] != DEAD:
        ctx.log.record(ctx.env.now, i, "delay_harm", "death")
        ctx.die(i, excess=True)
