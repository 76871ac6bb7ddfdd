"""Config sections for the levers of issue 14: the mechanisms integrated care pulls beyond the
discharge process. Evidence decides each effect size (a source or an ``[e]`` range per field);
an arrangement only decides what a place can deploy.

* :class:`DelayHarm` - harm from waiting in a hospital bed once medically fit.
* :class:`CareHomeSupport` - enhanced health in care homes (EHCH): fewer residents' crises.
"""

from __future__ import annotations

from .schema_base import DAYS_NOTE, UNIT_GBP_NOTE, Days, Probability, Section, UnitGbp, field

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


EHCH_SOURCES = (
    " Sources (Improvement Analytics Unit, Health Foundation / NHS England, matched controls): "
    "Rushcliffe (Principia) 2017, 23% fewer emergency admissions; Nottingham City 2019, 18% "
    "fewer (residential homes 34%, nursing homes no clear change); Wakefield 2019, no "
    "conclusive change overall (27% fewer potentially avoidable admissions); Sutton 2019, no "
    "strong evidence either way (weak signs of more admissions in nursing homes). Not found: "
    "an evaluation of the national 2020 rollout.")


class CareHomeSupport(Section):
    """Enhanced health in care homes (EHCH): a named GP/PCN clinical lead, a weekly
    multidisciplinary home round, medicines review, falls and hydration work. A resident whose
    home gets it has fewer crises; the crisis rates in ``crisis`` are the rates without it."""

    coverage: Probability = field(
        0.5, "Share of care-home beds whose home gets the enhanced support (DEPLOYMENT). Every "
        "home has been aligned to a PCN since 2020 (Network Contract DES; NHS England EHCH "
        "framework v3, 2023), but whether the weekly MDT round and the 7-day assessment are "
        "delivered is not collected centrally (parliamentary answer 51753, Sept 2022) and "
        "surveys find it varies (Warmoth & Goodman 2022): [e] 0.3-0.8. Each resident's home is "
        "covered or not by a stable draw at care-home entry.", probe=1.0)
    crisis_reduction: Probability = field(
        0.10, "Relative cut in a covered resident's crisis rate (EFFECT; [e] 0-0.23: the "
        "vanguard evaluations range from no change to 23% fewer emergency admissions). No "
        "separate effect on deaths: Rushcliffe's residents were as likely to die outside "
        "hospital as their controls and Sutton's mortality was the same, so deaths change only "
        "through fewer admissions." + EHCH_SOURCES, probe=0.5,
        probe_with={"care_home_support.coverage": 1.0})
    cost_per_bed_per_year_gbp: UnitGbp = field(
        350.0, "Yearly cost of the support per covered bed, paid by the NHS (DEPLOYMENT price): "
        "the PCN DES pays £120 per bed a year (from October 2020; Pulse 2020) plus the MDT's "
        "time, for which no published figure was found ([e] £100-£400 a bed: a weekly round of "
        "~3 staff-hours for a ~40-bed home). [e] £200-£600." + UNIT_GBP_NOTE,
        probe=1000.0, probe_with={"care_home_support.coverage": 1.0}, moves="spending")
