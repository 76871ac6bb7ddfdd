"""Config sections for the levers of issue 14: the mechanisms integrated care pulls beyond the
discharge process. Evidence decides each effect size (a source or an ``[e]`` range per field);
an arrangement only decides what a place can deploy.

* :class:`DelayHarm` - harm from waiting in a hospital bed once medically fit.
"""

from __future__ import annotations

from .schema_base import DAYS_NOTE, Days, Probability, Section, field

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
        probe=0.3, evidence=(0.005, 0.02))
    death_per_day: Probability = field(
        0.001, "Chance per delayed day of an excess death within death_window_days of leaving "
        "hospital (hospital-acquired infection, falls, deconditioning; [e], 0.0005-0.002). "
        "These deaths are excess deaths: the yearly mortality review, which holds each age "
        "band's deaths at the published rate, leaves them out, so fewer delayed days mean "
        "fewer deaths." + DELAY_HARM_SOURCES, probe=0.2, evidence=(0.0005, 0.002))
    death_window_days: Days = field(
        90.0, "Days after leaving hospital over which an excess death from delay happens "
        "(uniformly; [e], 30-180: studies follow up for 30 days to a year)." + DAYS_NOTE,
        probe=2.0, probe_with={"delay_harm.death_per_day": 0.2})
