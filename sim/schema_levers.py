"""Config sections for the levers of issue 14: the mechanisms integrated care pulls beyond the
discharge process. Evidence decides each effect size (a source or an ``[e]`` range per field);
an arrangement only decides what a place can deploy.

* :class:`DelayHarm` - harm from waiting in a hospital bed once medically fit.
* :class:`CareHomeDecision` - where the care-home decision is made: assessed after an
  intermediate-care stay instead of in an acute bed.
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


CARE_HOME_DECISION_SOURCES = (
    " Sources: DHSC Hospital discharge and community support guidance (2022, updated 2024: "
    "discharge to assess; a first care-home placement straight from an acute bed only 'in rare "
    "circumstances', pathway 3 expected to be ~1% of discharges and pathway 2 ~4%); Newton "
    "Europe for the LGA Better Care Support Programme, 'People first, manage what matters' "
    "(2019; 14 systems, 10,400 beds: 32-54% of delayed people were discharged to a setting not "
    "matched to their needs, 92% of those to more intensive care than they needed); ADASS "
    "Autumn Survey (82% of directors saw short-term care-home stays after a hospital discharge "
    "become permanent); Healthwatch East Sussex 2025 (most people placed in discharge-to-assess "
    "care-home beds stayed long term); Thistlethwaite 2011, King's Fund (Torbay: care-home use "
    "fell as intermediate care grew). No controlled study gives the share of would-be pathway-3 "
    "discharges who avoid a care home after an interim stay, hence the [e] range.")


class CareHomeDecision(Section):
    """Where the care-home decision is made: a share of people who would be placed in a care
    home straight from an acute bed go instead to an intermediate-care bed (pathway 2), and
    their long-term needs are assessed at the end of that stay, where some turn out able to
    go home with a package. They use (and wait for) the same intermediate-care beds as any
    pathway-2 discharge."""

    assess_outside_hospital_share: Probability = field(
        0.1, "DEPLOYMENT: share of would-be pathway-3 discharges (a first care-home placement "
        "from an acute bed) sent instead to an intermediate-care bed and assessed there for a "
        "care home at the end of the stay ([e], today's typical provision 0.05-0.25: the 2022 "
        "discharge-to-assess guidance aims for almost all, practice is partial and most "
        "pathway-3 discharges still go straight to a care home). A share, 0-1."
        + CARE_HOME_DECISION_SOURCES, probe=0.9)
    avoided_care_home_share: Probability = field(
        0.3, "EFFECT: of the people assessed at the end of the intermediate-care stay (those "
        "who did not die in it), the share who then go home with a home-care package rather "
        "than to a care home ([e], 0.15-0.45: Newton Europe found a third to a half of delayed "
        "people were placed in more intensive care than they needed; most discharge-to-assess "
        "care-home placements become permanent). The rest are assessed for a care home (CHC, "
        "assessments, funding decision) and wait for a place in the intermediate-care bed. No "
        "extra risk is modelled: deaths in the stay follow intermediate_care.outcome_split, as "
        "for any stay (no study found excess deaths or readmissions from assessing outside "
        "hospital)." + CARE_HOME_DECISION_SOURCES, probe=0.9,
        probe_with={"care_home_decision.assess_outside_hospital_share": 1.0,
                    "pathways.split_by_frailty": [[0.6, 0.28, 0.02, 0.1]] * 4})
