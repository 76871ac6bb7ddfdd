"""Enhanced health in care homes (EHCH): fewer crises for residents of supported homes.

A named GP/PCN clinical lead, a weekly multidisciplinary home round, medicines review, falls
and hydration work (``care_home_support.*``). Which residents it covers: a share ``coverage``
of the place's care-home beds is in supported homes, and each resident's home is supported or
not by one uniform drawn from the person's own keyed stream ``care_home_support`` when they
first take a place (:func:`enrol`), kept in the ``care_home_support_draw`` column. The model
has no individual homes, only care-home localities of a whole patch each, so a per-resident
draw is what gives a coverage between 0 and 1 (homes are ~40 beds, small against a place's
~2,000); the same draw under every arrangement means raising the coverage only adds people.

A covered resident's crisis hazard is cut by ``crisis_reduction``
(:meth:`sim.hazards.Hazards.rates`); the configured resident rates (``crisis.residential_rate_
per_year``, ``crisis.nursing_rate_per_year``) are the rates without support, and the
normalisation of the community rates subtracts them unchanged, so fewer residents' crises
mean fewer admissions in all, not crises moved to people at home. The NHS pays
``coverage x care_homes.beds x cost_per_bed_per_year_gbp`` a year, as a block
(:meth:`sim.billing.Billing.care_home_support`). With coverage 0 nothing is drawn and nothing
is billed, so the run is the model without the lever.
"""

from __future__ import annotations

import math

from .context import RunContext

STREAM = "care_home_support"


def enrol(ctx: RunContext, i: int) -> None:
    """Person i takes a care-home place: draw, once, whether their home is supported."""
    pop = ctx.pop
    if ctx.cfg.care_home_support.coverage > 0 and math.isnan(pop.care_home_support_draw[i]):
        pop.care_home_support_draw[i] = ctx.streams.person_uniform(STREAM, i)


def covered_beds(ctx: RunContext) -> float:
    """Care-home beds whose home gets the enhanced support."""
    return ctx.cfg.care_home_support.coverage * ctx.cfg.care_homes.beds


def start(ctx: RunContext) -> None:
    """Open the NHS's block payment for the covered beds (none at coverage 0)."""
    beds = covered_beds(ctx)
    if beds > 0:
        ctx.billing.care_home_support(beds)
