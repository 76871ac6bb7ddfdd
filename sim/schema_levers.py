"""Config sections for the levers of issue 14: the mechanisms integrated care pulls beyond the
discharge process. Evidence decides each effect size (a source or an ``[e]`` range per field);
an arrangement only decides what a place can deploy.

* :class:`DelayHarm` - harm from waiting in a hospital bed once medically fit.
* :class:`EndOfLife` - the last phase of life, community end-of-life care and fast-track CHC.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .schema_base import (
    DAYS_NOTE,
    RATIO_NOTE,
    UNIT_GBP_NOTE,
    Days,
    Probability,
    Ratio,
    Section,
    UnitGbp,
    field,
)

DELAY_HARM_SOURCES = (
    " Sources: Rojas-Garcia et al. 2018, Health Expectations (systematic review: delayed "
    "discharge is associated with higher mortality, infections, depression and loss of "
    "mobility); Kortebein et al. 2007, JAMA (ten days of bed rest cost healthy older adults "
    "~16% of knee-extension strength); Gill et al. 2004 (hospital stays and new disability). "
    "No study gives a per-day figure for frail patients, hence the [e] range.")


class DelayHarm(Section):
    """Harm from delay: each day a medically fit person waits in an acute bed raises their
    chance of becoming frailer and of dying soon after, so faster discharge can change care
    needs, care-home entry and deaths, not only bed days."""

    frailty_per_day: Probability = field(
        0.01, "Chance per delayed day that a person leaves hospital one frailty level worse "
        "(deconditioning: muscle loss, delirium, loss of confidence), on top of the usual "
        "frailty progression ([e], 0.005-0.02: ten delayed days give a 5-18% chance). Applied "
        "when the delay ends, as 1 - exp(-rate x delayed days)." + DELAY_HARM_SOURCES,
        probe=0.3)
    death_per_day: Probability = field(
        0.001, "Chance per delayed day of an excess death within death_window_days of leaving "
        "hospital (hospital-acquired infection, falls, deconditioning; [e], 0.0005-0.002). "
        "These deaths are excess deaths: the yearly mortality review, which holds each age "
        "band's deaths at the published rate, leaves them out, so fewer delayed days mean "
        "fewer deaths." + DELAY_HARM_SOURCES, probe=0.2)
    death_window_days: Days = field(
        90.0, "Days after leaving hospital over which an excess death from delay happens "
        "(uniformly; [e], 30-180: studies follow up for 30 days to a year)." + DAYS_NOTE,
        probe=2.0, probe_with={"delay_harm.death_per_day": 0.2})


END_OF_LIFE_SOURCES = (
    " Sources: Chitnis et al. 2012/2013, Nuffield Trust for Marie Curie (29,538 people on the "
    "Marie Curie Nursing Service and matched controls: 7.7% vs 41.6% died in hospital, 0.14 vs "
    "0.44 emergency admissions each); Shepperd et al. 2021, Cochrane CD009231 (home-based "
    "end-of-life care: RR 1.31 of dying at home); Nuffield Trust 2024 blog (43% of deaths in "
    "hospital in 2023; an emergency admission in the last month for 80% of those who died in "
    "hospital); OHID End of Life Care Profiles 2018 (46.9% of deaths in hospital in 2016). Not "
    "found: a per-crisis share handled at home by a hospice-at-home team, or the share of "
    "deaths whose last phase is recognised in England, hence the [e] ranges.")


class EndOfLife(Section):
    """The last phase of life: a recognised end-of-life phase before a share of community
    deaths, more crises in it, a terminal crisis that ends in hospital unless a community
    end-of-life team (palliative care / hospice at home) handles it at home, and fast-track
    NHS Continuing Healthcare for the phase. EFFECT fields are evidence; slots, the fast-track
    share and the prices are what a place deploys."""

    recognised_share: Probability = field(
        0.5, "EFFECT. Share of community deaths preceded by a recognised end-of-life phase "
        "(the death clock's ring starts the phase instead; the person dies at its end). 0 turns "
        "the phase off ([e], 0.3-0.7: 63-82% of deaths in England need palliative care, "
        "Murtagh et al. 2014, Palliative Medicine; ~75%, Etkind et al. 2017; only a minority "
        "are recognised and receive it)." + END_OF_LIFE_SOURCES,
        probe=0.9)
    phase_mean_days: Days = field(
        90.0, "EFFECT. Mean length of the phase, days (exponential; [e], 30-180: fast-track "
        "CHC is for a rapidly deteriorating condition that may be entering a terminal phase)."
        + DAYS_NOTE, probe=20.0)
    crisis_hazard_ratio: Ratio = field(
        2.0, "EFFECT. A person's crisis hazard in the phase relative to their own before it "
        "(the extra crises run as their own Poisson process; [e], 1.5-4: people average about "
        "two admissions in their last year against ~0.25 a year at 65+)." + RATIO_NOTE
        + END_OF_LIFE_SOURCES, ge=1.0, probe=10.0,
        probe_with={"end_of_life.recognised_share": 0.9, "end_of_life.phase_mean_days": 180.0})
    terminal_crisis_share: Probability = field(
        0.45, "EFFECT. Share of phases that end in a terminal crisis in the last days of life "
        "([e], 0.35-0.6: 41.6% of the Marie Curie controls died in hospital, and 80% of hospital "
        "deaths followed an emergency admission in the last month)." + END_OF_LIFE_SOURCES,
        probe=0.9)
    terminal_crisis_days: Days = field(
        5.0, "EFFECT. The terminal crisis comes uniformly within this many days before the "
        "death ([e], 2-14)." + DAYS_NOTE, probe=60.0)
    home_share: Probability = field(
        0.6, "EFFECT. Share of crises of a person on the community end-of-life team's caseload "
        "that the team handles at home instead of an admission ([e], 0.3-0.8: 0.14 vs 0.44 "
        "admissions each, and 7.7% vs 41.6% hospital deaths, for Marie Curie nursing; matched, "
        "not randomised)." + END_OF_LIFE_SOURCES, probe=1.0)
    slots: int = field(
        20, "DEPLOYMENT. People the community end-of-life teams (palliative care at home, "
        "hospice at home) hold on their caseload at once; a person recognised while a place is "
        "free (or at a later crisis) keeps it to the end of the phase. Today's typical "
        "provision [e]: 20 for 300,000 people, about a third of the 50-65 phases running at once "
        "at the default (Marie Curie nursing reaches ~28,000 people a year in the UK, ~5% of "
        "deaths; hospice-at-home cover varies widely). At most 10,000.",
        probe=0, ge=0, le=10_000)
    slot_cost_gbp_per_year: Annotated[float, Field(ge=0.0, le=1_000_000.0)] = field(
        30_000.0, "DEPLOYMENT price. Yearly cost of one caseload place (nurses, healthcare "
        "assistants and night sits; a block paid by whoever pays for community nursing) [e] "
        "£20k-£50k; at most £1,000,000.", probe=60_000.0, moves="spending")
    fast_track_share: Probability = field(
        0.45, "DEPLOYMENT. Share of recognised phases funded by fast-track NHS Continuing "
        "Healthcare from recognition to death (NHS England: ~97,000 fast-track referrals a year "
        "in 2018-19, ~35% of those eligible at a time; scaled to 300,000 people ~450 a year at "
        "65+) [e] 0.3-0.6.", probe=0.9, moves="spending")
    fast_track_week_gbp: UnitGbp = field(
        1_000.0, "DEPLOYMENT price. Weekly fast-track CHC package at home (care workers and "
        "night sits, NHS-funded) [e] £700-£1,500." + UNIT_GBP_NOTE, probe=1_500.0,
        moves="spending")
