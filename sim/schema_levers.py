"""Config sections for the levers of issue 14: the mechanisms integrated care pulls beyond the
discharge process. Evidence decides each effect size (a source or an ``[e]`` range per field);
an arrangement only decides what a place can deploy.

* :class:`DelayHarm` - harm from waiting in a hospital bed once medically fit.
* :class:`FrailtyUnit` - frailty assessment at the hospital's front door.
* :class:`CareHomeSupport` - enhanced health in care homes (EHCH): fewer residents' crises.
* :class:`CareHomeDecision` - where the care-home decision is made: assessed after an
  intermediate-care stay instead of in an acute bed.
* :class:`EndOfLife` - the last phase of life, community end-of-life care and fast-track CHC.
* :class:`VirtualWard` - virtual wards / hospital at home: a frail person's crisis treated at
  home instead of an admission.
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


FRAILTY_UNIT_SOURCES = (
    " Sources: Ellis et al. 2017, Cochrane review of comprehensive geriatric assessment (CGA) "
    "in hospital (more people alive and at home at 3-12 months; little or no difference in "
    "length of stay: the weak end); Bolton older person's assessment unit 2022, BGS abstract "
    "(stays on base wards 10.8 -> 8.6 days, before-after: the strong end); Withybush frailty "
    "unit 2022, BGS abstract (short-stay discharges 16% -> 21% of medical discharges); "
    "Silvester et al. 2014, Age and Ageing (Sheffield: frailty unit, discharge to assess and "
    "seven-day working together, 20 fewer beds occupied, in-hospital mortality 11.4% -> "
    "9.2%).")


class FrailtyUnit(Section):
    """Front-door frailty assessment (acute frailty unit or team, comprehensive geriatric
    assessment in ED or same-day emergency care): a frail person assessed at admission may go
    home the same day, and one admitted has a shorter treatment stay. A daily capacity: the
    team sees so many people a day, first come first served."""

    assessments_per_day: int = field(
        8, "Frail people the front-door frailty team can assess a day (today's typical "
        "provision: the NHS Long Term Plan asks every hospital with a type-1 ED for an acute "
        "frailty service 70 hours a week; the 2022 SAMBA day-of-care survey found an acute "
        "frailty unit in 42% of 152 hospitals and 45% of patients 70+ assessed with a frailty "
        "tool; [e] 8 a day sees about half of the default place's ~15 frail admissions a "
        "day). 0 = no service. At most 10,000.", probe=0, ge=0, le=10_000)
    min_frailty: int = field(
        2, "Lowest frailty level the team assesses (0 fit, 1 mild, 2 moderate, 3 severe; "
        "services take Clinical Frailty Scale 5+, about eFI moderate [e]).", probe=3, ge=0,
        le=3)
    same_day_share: Probability = field(
        0.1, "Share of assessed people sent home the same day instead of to a ward bed (their "
        "crisis ends at home, as an urgent-response episode would not) ([e], 0.05-0.2)."
        + FRAILTY_UNIT_SOURCES, probe=0.6, evidence=(0.05, 0.2))
    los_reduction: Annotated[float, Field(ge=0.0, lt=1.0)] = field(
        0.1, "Relative cut in the treatment stay of an assessed person who is admitted ([e], "
        "0-0.2)." + FRAILTY_UNIT_SOURCES, probe=0.5, evidence=(0.0, 0.2))
    cost_per_assessment_gbp: UnitGbp = field(
        150.0, "Cost of one daily assessment slot, paid as a block by the acute payer whether "
        "used or not (the team's geriatrician, nurse and therapist time; [e] 100-300)."
        + UNIT_GBP_NOTE, probe=300.0, moves="spending")


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
        probe_with={"care_home_support.coverage": 1.0}, evidence=(0.0, 0.23))
    cost_per_bed_per_year_gbp: UnitGbp = field(
        350.0, "Yearly cost of the support per covered bed, paid by the NHS (DEPLOYMENT price): "
        "the PCN DES pays £120 per bed a year (from October 2020; Pulse 2020) plus the MDT's "
        "time, for which no published figure was found ([e] £100-£400 a bed: a weekly round of "
        "~3 staff-hours for a ~40-bed home). [e] £200-£600." + UNIT_GBP_NOTE,
        probe=1000.0, probe_with={"care_home_support.coverage": 1.0}, moves="spending")


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
                    "pathways.split_by_frailty": [[0.6, 0.28, 0.02, 0.1]] * 4},
        evidence=(0.15, 0.45))


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
    deaths and of care-home residents' deaths, more crises in it, a terminal crisis that ends
    in hospital unless a community end-of-life team (palliative care / hospice at home, also
    in-reach to care homes) handles it where the person lives, and fast-track NHS Continuing
    Healthcare for a community phase. EFFECT fields are evidence; slots, the fast-track share
    and the prices are what a place deploys."""

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
    care_home_recognised_share: Probability = field(
        0.5, "EFFECT. Share of care-home residents' deaths preceded by a recognised last phase "
        "(the last phase_mean_days of the stay, exponential, or the whole stay if shorter: the "
        "stay's end is drawn at entry, so deaths keep their time), with the crisis hazard "
        "raised by crisis_hazard_ratio and a terminal crisis at care_home_terminal_crisis_share. "
        "0 turns the residents' phase off ([e], 0.4-0.7: of 23 deaths in six residential homes, "
        "9 followed an identifiable end-of-life period and 7 a period of uncertain decline, "
        "Barclay et al. 2014, BJGP 64:e576; end of life recognised before the month of death "
        "for 47.9% of people 75+ who died in 2015, 12.6% on a palliative care register, Stow "
        "et al. 2020, BJGP). Not found: the share of residents' deaths on a care home's "
        "palliative care (Gold Standards Framework) register, nationally.",
        probe=0.9, evidence=(0.4, 0.7))
    care_home_terminal_crisis_share: Probability = field(
        0.3, "EFFECT. Share of care-home residents' last phases that end in a terminal crisis "
        "(an emergency admission within terminal_crisis_days of the death) ([e], 0.2-0.45: "
        "16.1% of permanent residents' deaths in England 2006-2015 followed an emergency "
        "admission in the last week of life, 91.3% of them dying in hospital, Farndale and "
        "Barclay 2018, BMJ Support Palliat Care 8:A43; 70% of permanent residents died in "
        "their care home in 2014, NEoLCIN/PHE 2017, 'The role of care homes in end of life "
        "care'; 24.8% of residents' deaths in hospital in March-June 2020, ONS). The "
        "residents' configured crisis rates hold these crises: the rate outside the phase is "
        "lowered so that the total stays at the configured rate.",
        probe=0.9, evidence=(0.45, 0.2))
    terminal_crisis_days: Days = field(
        5.0, "EFFECT. The terminal crisis comes uniformly within this many days before the "
        "death ([e], 2-14)." + DAYS_NOTE, probe=60.0)
    home_share: Probability = field(
        0.6, "EFFECT. Share of crises of a person on the community end-of-life team's caseload "
        "that the team handles at home instead of an admission ([e], 0.3-0.8: 0.14 vs 0.44 "
        "admissions each, and 7.7% vs 41.6% hospital deaths, for Marie Curie nursing; matched, "
        "not randomised)." + END_OF_LIFE_SOURCES, probe=1.0, evidence=(0.3, 0.8))
    slots: int = field(
        20, "DEPLOYMENT. People the community end-of-life teams (palliative care at home, "
        "hospice at home, in-reach to care homes) hold on their caseload at once; a person "
        "recognised while a place is free (or at a later crisis in the phase) keeps it to the "
        "end of the phase; a care-home resident in a phase joins at a crisis of the phase (the "
        "home calls the team). Today's typical "
        "provision [e]: 20 for 300,000 people, about a third of the 50-65 phases running at once "
        "at the default, besides ~100 residents' phases (Marie Curie nursing reaches ~28,000 "
        "people a year in the UK, ~5% of deaths; hospice-at-home cover varies widely). At most "
        "10,000.",
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


VIRTUAL_WARD_SOURCES = (
    " Sources: Shepperd et al. 2016, Cochrane CD007491.pub2, admission avoidance hospital at "
    "home (16 RCTs, mainly older people: mortality at 6 months RR 0.77, 95% CI 0.60-0.99; "
    "readmission RR 0.98, 0.77-1.23; living in residential care at 6 months RR 0.35); Edgar "
    "et al. 2024, Cochrane CD007491.pub3 (20 RCTs, 3,100 people; the update we could read only "
    "in outline); NHS England virtual ward statistics via HTN (Nov 2023: 11,231 beds, 21.9 per "
    "100,000 adults, 70% occupied; Oct 2024: 78%; 12,825 beds in March 2025 against the 40-50 "
    "per 100,000 ambition); a rural frailty virtual ward, BGS abstract (466 patients a year, mean "
    "stay 3.7 days, 37% step-up admission avoidance, 63% step-down); NHS England's evaluation "
    "(one non-elective admission avoided for every 2.5 virtual-ward admissions); Jalilian et al. "
    "2024, BMJ Open (Wigan, step-down: longer total stays and more readmissions than matched "
    "inpatients, £935 per bed day freed against £536 an inpatient day). Not found: a published "
    "escalation share or per-bed-day cost for English frailty virtual wards, or the share of "
    "frail people's crises suitable for one, hence the [e] ranges.")


class VirtualWard(Section):
    """Virtual wards / hospital at home for frail older people in crisis (step-up, admission
    avoidance): a consultant- or GP-led team treats the crisis at home for a few days, with
    visits and remote monitoring, instead of an emergency admission. A capacity of concurrent
    places; a share of patients is escalated to hospital during the stay."""

    beds: int = field(
        10, "DEPLOYMENT. Concurrent virtual-ward places for frail people at home, all uses "
        "(step-up and step-down); only replaces_admission_share of them take the crises this "
        "model has (4 of today's 10). Default 10, today's typical provision [e] 5-20 for the "
        "default place of 300,000 "
        "residents: England had ~12,000 virtual-ward beds in 2023-24, ~22 per 100,000 adults "
        "(~53 for 240,000 adults), all conditions and ages, about half frailty [e] and about "
        "a third to a half step-up [e]; NHS England's 40-50 per 100,000 ambition would about "
        "double it. 0 = no virtual ward. At most 10,000." + VIRTUAL_WARD_SOURCES,
        probe_with={"virtual_ward.replaces_admission_share": 1.0}, probe=30, ge=0,
        le=10_000)
    min_frailty: int = field(
        2, "DEPLOYMENT. Lowest frailty level taken on (0 fit, 1 mild, 2 moderate, 3 severe; "
        "NHS England's frailty virtual-ward guidance: people 65+ living with frailty, about "
        "Clinical Frailty Scale 5+, eFI moderate [e]). Only people living at home (with or "
        "without a package); care-home residents have enhanced health in care homes instead "
        "(care_home_support).", probe=3, ge=0, le=3,
        probe_with={"virtual_ward.beds": 10, "virtual_ward.replaces_admission_share": 1.0})
    stay_days: Days = field(
        6.0, "DEPLOYMENT. Mean length of a virtual-ward stay, days (exponential; [e] 3.7-14: a "
        "rural frailty virtual ward averaged 3.7 days; NHS England's framework expects stays of "
        "days up to about two weeks)." + DAYS_NOTE + VIRTUAL_WARD_SOURCES, probe=30.0,
        probe_with={"virtual_ward.beds": 10, "virtual_ward.replaces_admission_share": 1.0})
    cost_per_bed_day_gbp: UnitGbp = field(
        200.0, "DEPLOYMENT price. Cost of a virtual-ward place a day, a block paid by the acute "
        "payer whether the place is used or not (nurses, therapists, "
        "senior medical oversight, monitoring kit; [e] £150-£350, well under an acute bed "
        "day: NICE's review found the lower per diem the main driver of the savings in 13 of 15 "
        "studies)." + UNIT_GBP_NOTE, probe=400.0, probe_with={"virtual_ward.beds": 10},
        moves="spending")
    suitable_share: Probability = field(
        0.2, "EFFECT. Share of eligible crises (frail enough, at home) that the virtual ward "
        "can treat at home instead of an admission when a place is free ([e] 0.1-0.3: the "
        "trials recruited a selected minority of older medical admissions; NHS England's 1 in "
        "2.5 counts only the admissions actually avoided)." + VIRTUAL_WARD_SOURCES,
        probe=0.9, evidence=(0.1, 0.3),
        probe_with={"virtual_ward.beds": 10, "virtual_ward.replaces_admission_share": 1.0})
    readmission_share: Probability = field(
        0.15, "EFFECT (a risk). Share of virtual-ward patients escalated to an emergency "
        "admission during the stay (at a uniform point in it) ([e] 0.1-0.25; weakest end the "
        "higher share: the trials found readmissions about as common as after a hospital stay, "
        "RR 0.98, and the Wigan step-down service more). No excess death risk is modelled: the "
        "trials found no more deaths at home (RR 0.77 at 6 months), so deaths change only "
        "through fewer admissions." + VIRTUAL_WARD_SOURCES,
        probe=0.9,
        evidence=(0.25, 0.1),
        probe_with={"virtual_ward.beds": 10, "virtual_ward.replaces_admission_share": 1.0})
    replaces_admission_share: Probability = field(
        0.4, "EFFECT. Share of the virtual-ward places that take people who would otherwise "
        "have been admitted, the crises this model has; the rest serve step-down (earlier "
        "discharge) and people a GP would have kept at home, who are outside the model's "
        "crisis stream, so only beds x this share places are open to its crises (all are paid "
        "for). [e] 0.3-0.5: NHS England counts one non-elective admission avoided per 2.5 "
        "virtual-ward admissions (0.4)." + VIRTUAL_WARD_SOURCES, probe=1.0,
        probe_with={"virtual_ward.beds": 10},
        evidence=(0.3, 0.5))
